"""What keeping the CA key in a PKCS#11 token costs, against a key sealed in the store.

    python bench/signing_keys.py [-n 200]

Signs leaf certificates, CRLs (100 entries) and OCSP responses with the same CA profile, once
with a cryptography RSA-2048 key and once with an RSA-2048 key generated in a throwaway SoftHSM2
token (needs Debian's softhsm2 and the ``hsm`` extra; skipped, saying why, without them). Also
times the individual-number keyed-hash lookup and sealing. Prints the median per operation.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import tempfile
import time
from collections.abc import Callable
from datetime import date, datetime, timedelta

from cryptography.hazmat.primitives.asymmetric import rsa

from mynacard.ca import CertificateAuthority, CertKind, CertRequest, RevocationEntry
from mynacard.ca import CertStatus as OcspStatus
from mynacard.crypto import NumberVault, Signer
from mynacard.timeutil import JST

AT = datetime(2026, 4, 1, 10, 0, tzinfo=JST)
MODULE = "/usr/lib/softhsm/libsofthsm2.so"


def median_ms(fn: Callable[[], object], n: int) -> float:
    times = []
    for _ in range(n):
        t = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t) * 1000)
    return statistics.median(times)


def run(name: str, key: Signer, n: int) -> None:
    ca = CertificateAuthority.generate(CertKind.AUTH, at=AT, key=key)
    leaf_key = rsa.generate_private_key(public_exponent=65537, key_size=2048).public_key()
    req = CertRequest(public_key=leaf_key, not_before=AT, expires_on=date(2031, 4, 1), municipality_code="174076")
    leaf = ca.issue(req, at=AT)
    entries = [RevocationEntry(serial=1000 + i, revoked_at=AT - timedelta(days=1), reason=None) for i in range(100)]
    cert_ms = median_ms(lambda: ca.issue(req, at=AT), n)
    crl_ms = median_ms(lambda: ca.build_crl(entries, at=AT, number=1, next_update=AT + timedelta(days=1)), n)
    ocsp_ms = median_ms(lambda: ca.build_ocsp_response(leaf, OcspStatus("good"), at=AT), n)
    print(f"{name:<24} certificate {cert_ms:6.2f} ms   CRL(100) {crl_ms:6.2f} ms   OCSP {ocsp_ms:6.2f} ms")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("-n", type=int, default=200)
    n = ap.parse_args().n
    print(f"median of {n} runs each")
    run("sealed key (in memory)", rsa.generate_private_key(public_exponent=65537, key_size=2048), n)
    util = shutil.which("softhsm2-util")
    try:
        import pkcs11  # noqa: F401
    except ImportError:
        util = None
    if util is None or not os.path.exists(MODULE):
        print("PKCS#11 token: skipped (needs softhsm2 and pip install -e '.[hsm]')")
    else:
        with tempfile.TemporaryDirectory() as d:
            os.mkdir(f"{d}/tokens")
            with open(f"{d}/softhsm2.conf", "w") as fh:
                fh.write(f"directories.tokendir = {d}/tokens\nobjectstore.backend = file\nlog.level = ERROR\n")
            os.environ["SOFTHSM2_CONF"] = f"{d}/softhsm2.conf"
            subprocess.run([util, "--init-token", "--free", "--label", "bench", "--so-pin", "12345678",
                            "--pin", "246810"], check=True, capture_output=True)
            from mynacard import hsm

            key = hsm.open_token("bench", module=MODULE, pin="246810").generate("bench-ca")
            run("PKCS#11 token (SoftHSM2)", key, n)
    vault = NumberVault(os.urandom(32))
    sealed = vault.seal("123456789018")
    look = median_ms(lambda: vault.lookup("123456789018"), n * 10) * 1000
    seal = median_ms(lambda: vault.seal("123456789018"), n * 10) * 1000
    opened = median_ms(lambda: vault.open(sealed), n * 10) * 1000
    print(f"individual number: keyed-hash lookup {look:.1f} µs, seal {seal:.1f} µs, unseal {opened:.1f} µs")


if __name__ == "__main__":
    main()
