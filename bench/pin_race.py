"""Concurrent wrong signing passwords against one card: how many are compared?

    python bench/pin_race.py [-n 100] [--procs 25] [--pg postgresql+psycopg://postgres@127.0.0.1:5432/test]

Issues a demo card in a fresh store (SQLite, and PostgreSQL in a database of its own that is
dropped afterwards), then fires ``n`` wrong passwords at it at once over the card's APDUs
(``StoreCard``, what ``vcard insert`` and ``client --card`` use): from ``n`` threads, then from
``--procs`` processes. Prints attempts fired, PIN comparisons made (counted in the comparison
function, in every process) and whether the correct password is then refused. The counter
allows 5 (R_PIN_1).
"""

from __future__ import annotations

import argparse
import base64
import multiprocessing
import os
import tempfile
import threading
import uuid
from collections import Counter
from datetime import datetime
from pathlib import Path

os.environ.setdefault("MYNACARD_PIN_KDF", "t=1,m=64,p=1")

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from mynacard.chip import PinId
from mynacard.client import JpkiCard
from mynacard.db.store import Store
from mynacard.errors import PinLocked, WrongPin
from mynacard.services.context import Office
from mynacard.services.vcard import DEMO_PINS, issue_demo_card, open_card
from mynacard.timeutil import JST

AT = datetime(2026, 2, 15, 20, 0, tzinfo=JST)
KEY = base64.b64decode(base64.b64encode(os.urandom(32)))


def clock() -> datetime:
    return AT


def count_comparisons(counter_file: str) -> None:
    """Append one byte to ``counter_file`` per PIN comparison made in this process."""
    from mynacard.chip import model

    compare = model.pin_matches

    def counted(verifier, value, key):  # type: ignore[no-untyped-def]
        fd = os.open(counter_file, os.O_WRONLY | os.O_APPEND | os.O_CREAT)
        os.write(fd, b"x")
        os.close(fd)
        return compare(verifier, value, key)

    model.pin_matches = counted  # type: ignore[assignment]


def attempt(office: Office, card_id: str, pw: str) -> str:
    try:
        JpkiCard(open_card(office, card_id, clock)).verify(PinId.SIGN, pw)
        return "accepted"
    except WrongPin:
        return "wrong"
    except PinLocked:
        return "locked"
    except Exception as exc:
        return type(exc).__name__


def child(db: str, card_id: str, pws: list[str], barrier, counter_file: str, results) -> None:  # type: ignore[no-untyped-def]
    count_comparisons(counter_file)
    store = Store(db)
    office = Office(store=store, master_key=KEY)
    barrier.wait()
    for pw in pws:
        results.put(attempt(office, card_id, pw))
    store.dispose()


def run(db: str, n: int, procs: int, mode: str) -> None:
    store = Store(db)
    store.migrate()
    office = Office(store=store, master_key=KEY)
    card_id = issue_demo_card(office, AT)
    counter = Path(tempfile.mkdtemp()) / "comparisons"
    wrong = [f"WRONG{i}" for i in range(n)]
    if mode == "threads":
        count_comparisons(str(counter))
        barrier = threading.Barrier(n)
        outcomes: Counter[str] = Counter()
        lock = threading.Lock()

        def go(pw: str) -> None:
            barrier.wait()
            r = attempt(office, card_id, pw)
            with lock:
                outcomes[r] += 1

        threads = [threading.Thread(target=go, args=(pw,)) for pw in wrong]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    else:
        store.dispose()
        ctx = multiprocessing.get_context("fork")
        b = ctx.Barrier(procs)
        results = ctx.Queue()
        share = n // procs
        ps = [
            ctx.Process(target=child, args=(db, card_id, wrong[i * share : (i + 1) * share], b, str(counter), results))
            for i in range(procs)
        ]
        for p in ps:
            p.start()
        outcomes = Counter(results.get(timeout=600) for _ in range(share * procs))
        for p in ps:
            p.join()
    compared = counter.stat().st_size if counter.exists() else 0
    correct = attempt(office, card_id, DEMO_PINS["sign"])
    fired = sum(outcomes.values())
    print(f"  {mode:9} fired {fired:4}  compared {compared:4}  answers {dict(outcomes)}  correct password: {correct}")
    store.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=100)
    parser.add_argument("--procs", type=int, default=25)
    parser.add_argument("--pg", default="postgresql+psycopg://postgres@127.0.0.1:5432/test")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        print("SQLite")
        for mode in ("threads", "processes"):
            run(str(Path(tmp) / f"{mode}.db"), args.n, args.procs, mode)
    try:
        admin = create_engine(args.pg, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 3})
        with admin.connect() as c:
            c.execute(text("select 1"))
    except Exception as exc:
        print(f"PostgreSQL skipped: {type(exc).__name__}")
        return
    print("PostgreSQL")
    for mode in ("threads", "processes"):
        name = f"mynacard_bench_{uuid.uuid4().hex[:8]}"
        with admin.connect() as c:
            c.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            run(make_url(args.pg).set(database=name).render_as_string(hide_password=False), args.n, args.procs, mode)
        finally:
            with admin.connect() as c:
                c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


if __name__ == "__main__":
    main()
