"""The cost of a PIN verifier: one Argon2id derivation per VERIFY, at the product default
and at the tests' setting, and the old HMAC for comparison (what an attacker pays per guess).

    python bench/pin_kdf.py [-n 5]
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import os
import time

from mynacard.chip.pins import PRODUCTION_KDF, PinVerifier, pin_matches


def per_call(fn, n: int) -> float:
    start = time.perf_counter()
    for _ in range(n):
        fn()
    return (time.perf_counter() - start) / n


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=5)
    n = parser.parse_args().n
    salt = os.urandom(16)
    hmac_s = per_call(lambda: hmac.new(salt, b"1234", hashlib.sha256).digest(), 10_000)
    every = hmac_s * 1e4 * 1e3
    print(f"HMAC-SHA256 (old form)        {hmac_s * 1e6:10.1f} us   all 10,000 4-digit PINs: {every:8.1f} ms")
    for label, setting in (("product t=2,m=19MiB,p=1", PRODUCTION_KDF), ("tests   t=1,m=64KiB,p=1", (1, 64, 1))):
        os.environ["MYNACARD_PIN_KDF"] = "t={},m={},p={}".format(*setting)
        v = PinVerifier.new(b"1234")
        s = per_call(lambda v=v: pin_matches(v, b"0000"), n if setting == PRODUCTION_KDF else 1000)
        print(f"Argon2id {label} {s * 1e3:10.2f} ms   all 10,000 4-digit PINs: {s * 1e4:8.1f} s (one core)")


if __name__ == "__main__":
    main()
