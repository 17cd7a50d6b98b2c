"""Benchmark: CMS verifications per second, revocation status cached, vs. raw RSA-2048 verifies.

    .venv/bin/python bench/verify_cms.py [-n 2000] [--rounds 5] [--attached]

A card is issued in a temporary SQLite store and signs one document (detached CMS, the card's
80 2A); the office's verifier then verifies it N times at advancing validation times (within a
minute, the office verifier's cache age). Its OCSP answer is fetched once and cached, the path
validation once per certificate, so each verification parses the CMS, hashes the document,
checks the signed attributes and the RSA signature, the validity period and the cached status.
Printed, as medians of interleaved rounds in the same run: RSA-2048 PKCS#1 v1.5 verifications
per second with cryptography (the floor of any verification), the CMS rate, and their ratio
(goal: at least 0.3).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from mynacard.client import JpkiCard
from mynacard.client import signing as sig
from mynacard.db.store import Store
from mynacard.services.context import Office
from mynacard.services.vcard import DEMO_PINS, issue_demo_card, open_card
from mynacard.timeutil import JST
from mynacard.verify.office import OfficeVerifier

AT = datetime(2026, 2, 15, 20, 0, tzinfo=JST)


def rate(fn, n: int) -> float:
    start = time.perf_counter()
    for i in range(n):
        fn(i)
    return n / (time.perf_counter() - start)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("-n", type=int, default=2000)
    ap.add_argument("--attached", action="store_true", help="attached CMS instead of detached")
    ap.add_argument("--size", type=int, default=4096, help="document size in bytes")
    ap.add_argument("--rounds", type=int, default=5, help="interleaved rounds; the medians are printed")
    args = ap.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        store = Store(str(Path(tmp) / "bench.db"))
        store.migrate()
        office = Office(store=store, master_key=os.urandom(32))
        card_id = issue_demo_card(office, AT)
        card = JpkiCard(open_card(office, card_id, lambda: AT))
        op = sig.CardOperation(card, sig.KeySlot.SIGN)
        op.login(DEMO_PINS["sign"])
        doc = os.urandom(args.size)
        p7s = sig.sign_cms(sig.card_signer(op), doc, at=AT, detached=not args.attached)
        content = None if args.attached else doc
        verifier = OfficeVerifier(office, at=AT)
        first = verifier.verify(p7s, at=AT, content=content)
        assert first.valid, first.message

        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        pub = key.public_key()
        msg = b"x" * 100
        signature = key.sign(msg, padding.PKCS1v15(), hashes.SHA256())

        def raw(_: int) -> None:
            pub.verify(signature, msg, padding.PKCS1v15(), hashes.SHA256())

        def cms(i: int) -> None:
            v = verifier.verify(p7s, at=AT + timedelta(milliseconds=i % 60_000), content=content)
            if not v.valid:
                raise SystemExit(f"unexpected verdict: {v.status}: {v.message}")

        rate(raw, min(args.n, 200))  # warm up
        rate(cms, min(args.n, 200))
        raws, cmss = [], []
        for _ in range(args.rounds):  # interleaved, so that a busy machine weighs on both alike
            raws.append(rate(raw, args.n))
            cmss.append(rate(cms, args.n))
        raw_rate, cms_rate = statistics.median(raws), statistics.median(cmss)
        store.dispose()
    kind = "attached" if args.attached else "detached"
    print(f"RSA-2048 verify (cryptography): {raw_rate:10.0f} /s")
    print(
        f"CMS {kind} verify, status cached: {cms_rate:8.0f} /s  ({args.size} B document, n={args.n}, "
        f"median of {args.rounds} rounds)"
    )
    print(f"ratio: {cms_rate / raw_rate:.2f} (goal >= 0.30)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
