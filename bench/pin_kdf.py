"""The cost of a PIN verifier per VERIFY: the keyed HMAC-SHA256 of every PIN now, and the
Argon2id of earlier releases at their product default and at the tests' setting (what someone
holding the database *and* the master key would pay per guess).

    python bench/pin_kdf.py [-n 5]
"""

from __future__ import annotations

import argparse
import os
import time
from collections.abc import Callable

from mynacard.chip.pins import PRODUCTION_KDF, PinVerifier, pin_matches

KEY = os.urandom(32)


def per_call(fn: Callable[[], object], n: int) -> float:
    start = time.perf_counter()
    for _ in range(n):
        fn()
    return (time.perf_counter() - start) / n


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=5)
    n = parser.parse_args().n
    keyed = PinVerifier.new(b"1234", KEY)
    s = per_call(lambda: pin_matches(keyed, b"0000", KEY), 10_000)
    print(f"keyed HMAC-SHA256 (every PIN)      {s * 1e6:10.1f} us   all 10,000 4-digit PINs: {s * 1e4 * 1e3:8.1f} ms"
          " (only with the master key)")
    for label, setting in (("product t=2,m=19MiB,p=1", PRODUCTION_KDF), ("tests   t=1,m=64KiB,p=1", (1, 64, 1))):
        os.environ["MYNACARD_PIN_KDF"] = "t={},m={},p={}".format(*setting)
        v = PinVerifier.argon2(b"ABC123")
        s = per_call(lambda v=v: pin_matches(v, b"ABC124", KEY), n if setting == PRODUCTION_KDF else 1000)
        years = s * 36**6 / (365 * 86400)
        print(f"Argon2id {label} {s * 1e3:10.2f} ms   all 6-character passwords (36^6): {years:8.1f} core-years")


if __name__ == "__main__":
    main()
