"""Benchmark: one signature by the virtual card over PC/SC (pcscd + vpcd) vs. raw RSA-2048.

    .venv/bin/python bench/sign_pcsc.py [-n 20] [--port 35963]

A card is issued in a temporary SQLite store and inserted in the vpcd reader by the vpcd
client (a thread); pyscard then sends the JPKI client's APDUs through pcscd. Printed, as the
median of N runs in this same process:

- ``raw``: ``RSAPrivateKey.sign`` (PKCS#1 v1.5, SHA-256) with cryptography, no card;
- ``80 2A``: SELECT of the key EF and COMPUTE DIGITAL SIGNATURE, PIN already verified;
- ``VERIFY+80 2A``: what a client does per document: VERIFY (two commits of the counter to
  the store: spend, then reset, R_PIN_4), SELECT key EF, 80 2A.

Exits 0 with a SKIP line when pcscd or its vpcd reader is not available.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import threading
import time
from datetime import datetime
from pathlib import Path

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from mynacard.chip import KeySlot, PinId, digest_info
from mynacard.client import JpkiCard, PcscTransport
from mynacard.db.store import Store
from mynacard.errors import MynaError
from mynacard.services.context import Office
from mynacard.services.vcard import DEMO_PINS, issue_demo_card, open_card
from mynacard.timeutil import JST
from mynacard.vcard import DEFAULT_PORT, VpcdClient, VpcdError

AT = datetime(2026, 2, 15, 20, 0, tzinfo=JST)


def median_ms(fn, n: int) -> tuple[float, float, float]:  # type: ignore[no-untyped-def]
    times = []
    for _ in range(n):
        t = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t) * 1000)
    return statistics.median(times), min(times), max(times)


def main() -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[1])
    ap.add_argument("-n", type=int, default=20, help="runs per measurement (median)")
    ap.add_argument("--port", type=int, default=DEFAULT_PORT, help="vpcd port (35963: 'Virtual PCD 00 00')")
    args = ap.parse_args()

    tmp = tempfile.TemporaryDirectory()
    store = Store(str(Path(tmp.name) / "bench.db"))
    store.migrate()
    office = Office(store=store, master_key=os.urandom(32))
    card_id = issue_demo_card(office, AT)
    client = VpcdClient(open_card(office, card_id, lambda: AT), port=args.port)
    try:
        client.connect()
    except VpcdError as e:
        print(f"SKIP: {e}")
        return 0
    thread = threading.Thread(target=client.serve, daemon=True)
    thread.start()
    reader = f"Virtual PCD 00 {args.port - DEFAULT_PORT:02d}"
    transport = None
    for _ in range(100):
        try:
            transport = PcscTransport(reader)
            break
        except MynaError:
            time.sleep(0.05)
    if transport is None:
        print(f"SKIP: the card did not appear in the PC/SC reader {reader!r} (is pcscd running?)")
        return 0
    try:
        card = JpkiCard(transport)
        di = digest_info("sha256", bytes(32))
        card.sign(KeySlot.AUTH, DEMO_PINS["auth"], di)  # warm up: AP selected, key unsealed
        card_only = median_ms(lambda: card.sign_verified(KeySlot.AUTH, di), args.n)
        with_verify = median_ms(lambda: card.sign(KeySlot.AUTH, DEMO_PINS["auth"], di), args.n)
        tries = card.tries_left(PinId.AUTH)
        apdus = len(card.apdu.log)
    finally:
        transport.close()
        client.stop()
        thread.join(timeout=5)
        store.dispose()
        tmp.cleanup()

    key = rsa.generate_private_key(65537, 2048)
    raw = median_ms(lambda: key.sign(b"x" * 64, padding.PKCS1v15(), hashes.SHA256()), args.n)

    print(
        f"RSA-2048 PKCS#1 v1.5 SHA-256 signature, median of {args.n} (min-max), "
        f"{sys.platform}, Python {sys.version.split()[0]}"
    )
    print(f"  raw (cryptography, no card)        {raw[0]:8.2f} ms  ({raw[1]:.2f}-{raw[2]:.2f})")
    print(f"  PC/SC: SELECT key + 80 2A          {card_only[0]:8.2f} ms  ({card_only[1]:.2f}-{card_only[2]:.2f})")
    print(f"  PC/SC: VERIFY + SELECT key + 80 2A {with_verify[0]:8.2f} ms  ({with_verify[1]:.2f}-{with_verify[2]:.2f})")
    print(
        f"  overhead of the card over PC/SC: x{card_only[0] / raw[0]:.1f} (sign only), "
        f"x{with_verify[0] / raw[0]:.1f} (with VERIFY); {apdus} APDUs sent, auth PIN tries left {tries}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
