"""Workflow timings on the embedded SQLite store and on PostgreSQL.

    python bench/workflows.py [-n 20] [--pg postgresql+psycopg://postgres@127.0.0.1:5432/test]

For each store: a whole hand-over (application, J-LIS making, hand-over with two keys generated
on the chip and two certificates issued), a hotline suspension, a found-release, an OCSP
response and a CRL; then the same hand-overs from 4 threads at once. Keys are fresh RSA-2048
keys as in the product (about 70 ms each, so a hand-over cannot be faster than ~150 ms).
PostgreSQL runs in a database of its own that is dropped afterwards; it is skipped, saying why,
when no server answers.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from datetime import date, datetime, timedelta

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from mynacard.db import repositories as repo
from mynacard.db.store import Store
from mynacard.ids import IndividualNumber
from mynacard.services import cards, loss, pki, residents, revocation
from mynacard.services.context import Office
from mynacard.timeutil import JST

PINS = {"sign": "ABC123", "auth": "1234", "resident": "1234", "card_info": "1234"}
T0 = datetime(2026, 4, 1, 10, 0, tzinfo=JST)


def hand_over(office: Office, i: int) -> tuple[str, str]:
    name = f"試験 {i:05d}"
    birth = date(1960, 1, 1) + timedelta(days=i % 10_000)  # all adults in 2026
    with office.work(at=T0, actor="bench") as w:
        r = residents.register(w, individual_number=str(IndividualNumber.generate()), name=name,
                               address="石川県鹿島郡中能登町1", birth_date=birth, sex="1",
                               municipality_code="174076")
        card_id = cards.apply(w, r.id).card.id
    with office.work(at=T0 + timedelta(days=20), actor="j-lis") as w:
        cards.make(w, card_id)
    with office.work(at=T0 + timedelta(days=30), actor="bench") as w:
        cards.issue(w, card_id, identity_documents=["drivers_license"], pins=PINS)
    return card_id, name


def timed(fn: Callable[[], object]) -> float:
    t = time.perf_counter()
    fn()
    return (time.perf_counter() - t) * 1000


def one_resident(office: Office, i: int, results: dict[str, list[float]]) -> None:
    """Time a hand-over, a hotline suspension, a found-release, an OCSP response and a CRL."""
    out: list[tuple[str, str]] = []
    results["hand-over"].append(timed(lambda: out.append(hand_over(office, i))))
    card_id, name = out[0]
    birth = date(1960, 1, 1) + timedelta(days=i % 10_000)
    at = T0 + timedelta(days=60)

    def suspend() -> None:
        with office.work(at=at, actor="hotline") as w:
            loss.hotline_suspend(w, name=name, birth_date=birth)

    def found() -> None:
        with office.work(at=at + timedelta(hours=1), actor="bench") as w:
            loss.found(w, card_id)

    def ocsp() -> None:
        with office.work(at=at + timedelta(hours=2), actor="ocsp") as w:
            revocation.response(w, repo.current_certificate(w.session, card_id, "auth"))

    def crl() -> None:
        with office.work(at=at + timedelta(hours=3), actor="crl") as w:
            revocation.full_crl(w, "sign")

    for key, fn in (("hotline", suspend), ("found", found), ("ocsp", ocsp), ("crl", crl)):
        results[key].append(timed(fn))


def run(label: str, db: str, n: int) -> None:
    store = Store(db)
    store.migrate()
    office = Office(store=store, master_key=os.urandom(32))
    with office.work(at=T0, actor="setup") as w:
        residents.add_municipality(w, "174076", "中能登町", "石川県")
        pki.authority(w, "sign"), pki.authority(w, "auth")
    results: dict[str, list[float]] = {k: [] for k in ("hand-over", "hotline", "found", "ocsp", "crl")}
    for i in range(n):
        one_resident(office, i, results)
    print(f"\n{label}  ({n} residents)")
    for key, xs in results.items():
        print(f"  {key:<10} median {statistics.median(xs):8.1f} ms   (min {min(xs):.1f}, max {max(xs):.1f})")
    threads, per = 4, max(1, n // 4)
    errors: list[BaseException] = []

    def worker(k: int) -> None:
        for j in range(per):
            try:
                hand_over(office, 10_000 + k * 1000 + j)
            except BaseException as e:  # report, do not hide
                errors.append(e)

    t = time.perf_counter()
    ts = [threading.Thread(target=worker, args=(k,)) for k in range(threads)]
    for th in ts:
        th.start()
    for th in ts:
        th.join()
    secs = time.perf_counter() - t
    done = threads * per - len(errors)
    print(f"  {threads} threads: {done} hand-overs in {secs:.2f} s = {done / secs:.1f}/s"
          + (f", {len(errors)} failed: {errors[0]!r}" if errors else ""))
    store.dispose()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("-n", type=int, default=20)
    ap.add_argument("--pg", default=os.environ.get("MYNACARD_TEST_PG_URL",
                                                   "postgresql+psycopg://postgres@127.0.0.1:5432/test"))
    args = ap.parse_args()
    print(f"mynacard workflow benchmark, Python {sys.version.split()[0]}, {os.cpu_count()} CPUs")
    with tempfile.TemporaryDirectory() as d:
        run("SQLite (embedded default)", f"{d}/bench.db", args.n)
    try:
        admin = create_engine(args.pg, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 3})
        with admin.connect() as c:
            c.execute(text("select 1"))
    except Exception as e:
        print(f"\nPostgreSQL: SKIP ({type(e).__name__}: {str(e).splitlines()[0]})")
        return
    name = f"mynacard_bench_{uuid.uuid4().hex[:8]}"
    with admin.connect() as c:
        c.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        run("PostgreSQL", make_url(args.pg).set(database=name).render_as_string(hide_password=False), args.n)
    finally:
        with admin.connect() as c:
            c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


if __name__ == "__main__":
    main()
