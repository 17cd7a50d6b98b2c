"""Hand-overs per second against the RSA limit, measured in the same run, interleaved.

    python bench/handover.py [-n 10] [--rounds 3] [--db postgresql+psycopg://root@127.0.0.1:5432/test] [--profile]

A hand-over (交付, ``services.cards.issue``) generates two RSA-2048 key pairs on the chip and has
the CA sign two certificates; it also sets the four PINs (keyed HMAC verifiers), writes the chip
and records the certificates and events. The limit is what the crypto alone allows: two
``rsa.generate_private_key(65537, 2048)`` and two RSA-2048 PKCS#1 v1.5 signatures, timed in a
loop. Rounds alternate (limit, ours, limit, ours, ...) so that both see the same machine load.
The applications and the J-LIS making are prepared before a round and not timed.

The store is a throwaway SQLite file (default) or, with ``--db``, a PostgreSQL database of its
own created beside the one named and dropped afterwards. ``--profile`` prints where a hand-over
spends its time (cProfile, cumulative). Last line: ``RESULT handover <ours/s> <limit/s> ratio=<x>``
(goal: at least 0.8).
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import statistics
import sys
import tempfile
import time
import uuid
from datetime import date, datetime, timedelta

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from mynacard.db.store import Store
from mynacard.ids import IndividualNumber
from mynacard.services import cards, pki, residents
from mynacard.services.context import Office
from mynacard.timeutil import JST

PINS = {"sign": "ABC123", "auth": "1234", "resident": "1234", "card_info": "1234"}
T0 = datetime(2026, 4, 1, 10, 0, tzinfo=JST)


def limit_once() -> None:
    """Two key pairs and two signatures: the crypto of one hand-over."""
    tbs = os.urandom(600)
    for _ in range(2):
        k = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        k.sign(tbs, padding.PKCS1v15(), hashes.SHA256())


def prepare(office: Office, n: int, start: int) -> list[str]:
    """``n`` cards made by J-LIS, waiting to be handed over."""
    ids = []
    for i in range(start, start + n):
        with office.work(at=T0, actor="bench") as w:
            r = residents.register(w, individual_number=str(IndividualNumber.generate()), name=f"試験 {i:05d}",
                                   address="石川県鹿島郡中能登町1", birth_date=date(1960, 1, 1) + timedelta(days=i),
                                   sex="1", municipality_code="174076")
            ids.append(cards.apply(w, r.id).card.id)
    for card_id in ids:
        with office.work(at=T0 + timedelta(days=20), actor="j-lis") as w:
            cards.make(w, card_id)
    return ids


def hand_over(office: Office, card_id: str) -> None:
    with office.work(at=T0 + timedelta(days=30), actor="bench") as w:
        cards.issue(w, card_id, identity_documents=["drivers_license"], pins=PINS)


def rate(fn, items) -> float:  # type: ignore[no-untyped-def]
    t = time.perf_counter()
    for x in items:
        fn(x)
    return len(items) / (time.perf_counter() - t)


def run(db: str, n: int, rounds: int, profile: bool) -> tuple[float, float]:
    store = Store(db)
    store.migrate()
    office = Office(store=store, master_key=os.urandom(32))
    with office.work(at=T0, actor="setup") as w:
        residents.add_municipality(w, "174076", "中能登町", "石川県")
        pki.authority(w, "sign"), pki.authority(w, "auth")
    hand_over(office, prepare(office, 1, 0)[0])  # warm-up: imports, caches, first statements
    ours, limit = [], []
    for r in range(rounds):
        limit.append(rate(lambda _: limit_once(), range(n)))
        ids = prepare(office, n, 1 + r * n)
        ours.append(rate(lambda c: hand_over(office, c), ids))
        print(f"round {r + 1}: limit {limit[-1]:6.2f}/s  ours {ours[-1]:6.2f}/s  ratio {ours[-1] / limit[-1]:.2f}"
              f"  load {os.getloadavg()[0]:.1f}")
    if profile:
        ids = prepare(office, n, 1 + rounds * n)
        prof = cProfile.Profile()
        prof.enable()
        for c in ids:
            hand_over(office, c)
        prof.disable()
        pstats.Stats(prof).sort_stats("cumulative").print_stats(25)
    store.dispose()
    return statistics.median(ours), statistics.median(limit)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-n", type=int, default=10, help="hand-overs (and limit loops) per round")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--db", default=None, help="a PostgreSQL URL: a database of its own is made beside it")
    ap.add_argument("--profile", action="store_true")
    a = ap.parse_args()
    print(f"hand-over benchmark, Python {sys.version.split()[0]}, {os.cpu_count()} CPUs, "
          f"PIN KDF {os.environ.get('MYNACARD_PIN_KDF', 'default')}")
    if a.db is None:
        with tempfile.TemporaryDirectory() as d:
            ours, limit = run(f"{d}/handover.db", a.n, a.rounds, a.profile)
    else:
        name = f"mynacard_handover_{uuid.uuid4().hex[:8]}"
        admin = create_engine(a.db, isolation_level="AUTOCOMMIT")
        with admin.connect() as c:
            c.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            ours, limit = run(make_url(a.db).set(database=name).render_as_string(hide_password=False),
                              a.n, a.rounds, a.profile)
        finally:
            with admin.connect() as c:
                c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    print(f"median: ours {ours:.2f} hand-overs/s, limit {limit:.2f}/s (2 keygens + 2 signatures)")
    print(f"RESULT handover {ours:.2f} {limit:.2f} ratio={ours / limit:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
