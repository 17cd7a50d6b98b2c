"""The daily batch over a national-size store (``mynacard bulk-load``) on PostgreSQL.

    MYNACARD_KEY_FILE=<the store's key> python bench/batch.py \\
        --db postgresql+psycopg://root@127.0.0.1:5432/mynacard_bulk [--at 2026-11-29T02:00] [--rounds 3] \\
        [--next-day] [--statements]

Each round runs the whole day's batch (``services.batch.daily``: expiries, lapses, expiry
notices) at ``--at`` in one transaction and rolls it back, so every round sees the same store
and the store is left as it was. With ``--next-day`` the batch of ``--at`` runs first in the
same transaction, untimed, and the batch of the day after is timed: an ordinary day, measured
without committing the first day's catch-up. Then, unless ``--no-chunked``, ``run_daily`` (chunks committed
with a checkpoint) runs once for real in a copy-free way: only with ``--commit``, since it
changes the store (idempotent: a second run the same day does nothing).

The goal: a day's batch over 1,000,000 cards in under 10 s. Prints the store's size, the
figures of each round, and last ``RESULT batch-1m <median s> 10 ratio=<10 / median>`` (above 1:
faster than the goal). With fewer cards than 1,000,000 the time is scaled to 1,000,000 (linear,
said in the output).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from rich.progress import Progress
from sqlalchemy import event, func, select

from mynacard.crypto import load_master_key
from mynacard.db.models import Card, Certificate, Event
from mynacard.db.store import Store
from mynacard.services import batch
from mynacard.services.context import Office, Work
from mynacard.timeutil import JST, parse_at

GOAL_S = 10.0
TARGET_CARDS = 1_000_000


class StatementTimes:
    """Wall time of each statement the store runs, summed by statement text."""

    def __init__(self, store: Store) -> None:
        self.total: dict[str, list[float]] = {}
        self._start: list[float] = []
        event.listen(store.engine, "before_cursor_execute", self._before)
        event.listen(store.engine, "after_cursor_execute", self._after)

    def _before(self, conn: Any, cursor: Any, statement: str, *rest: Any) -> None:
        self._start.append(time.perf_counter())

    def _after(self, conn: Any, cursor: Any, statement: str, *rest: Any) -> None:
        entry = self.total.setdefault(" ".join(statement.split())[:160], [0.0, 0])
        entry[0] += time.perf_counter() - self._start.pop()
        entry[1] += 1

    def clear(self) -> None:
        self.total.clear()

    def print(self, top: int = 12) -> None:
        print("statements of the last round, longest first (s, calls):")
        for text, (s, n) in sorted(self.total.items(), key=lambda kv: -kv[1][0])[:top]:
            print(f"  {s:7.3f} {int(n):5d}  {text}")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--db", default=os.environ.get("MYNACARD_DB", "postgresql+psycopg://root@127.0.0.1:5432/mynacard_bulk"))
    ap.add_argument("--at", default="2026-11-29T02:00", help="the batch's time (Japan), e.g. the day after the load")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--chunk", type=int, default=batch.CHUNK)
    ap.add_argument("--commit", action="store_true", help="also run run_daily once, committing (changes the store)")
    ap.add_argument("--next-day", action="store_true",
                    help="time the batch of the day after --at, run in the same rolled-back transaction after the "
                         "batch of --at (untimed): an ordinary day, without committing the first")
    ap.add_argument("--statements", action="store_true",
                    help="print the statements of the last round that took longest (wall time, calls)")
    a = ap.parse_args()
    store = Store(a.db)
    key_file = os.environ.get("MYNACARD_KEY_FILE")
    office = Office(store=store, master_key=load_master_key(Path(key_file) if key_file else None, create=False))
    at = parse_at(a.at) if "T" in a.at else datetime.fromisoformat(a.at).replace(tzinfo=JST)
    with store.engine.connect() as conn:
        n_cards = conn.execute(select(func.count()).select_from(Card)).scalar_one()
        n_certs = conn.execute(select(func.count()).select_from(Certificate)).scalar_one()
        n_events = conn.execute(select(func.count()).select_from(Event)).scalar_one()
    print(f"store: {store.engine.dialect.name}, {n_cards:,} cards, {n_certs:,} certificates, {n_events:,} events")
    print(f"batch at {at.isoformat()}, chunk {a.chunk}, {a.rounds} round(s) rolled back; load {os.getloadavg()}")
    timed_at = at + timedelta(days=1) if a.next_day else at
    stats = StatementTimes(store) if a.statements else None
    times = []
    for i in range(a.rounds):
        with store.sessions() as session:
            if a.next_day:
                first = batch.daily(Work(office, session, at, "bench-batch"), chunk=a.chunk, keep=False)
                session.flush()
                print(f"round {i + 1}: the batch of {at.date()} first (not timed): {first.counts}")
            w = Work(office, session, timed_at, "bench-batch")
            if stats is not None:
                stats.clear()
            t, cpu = time.perf_counter(), time.process_time()
            rep = batch.daily(w, chunk=a.chunk, keep=False)
            session.flush()
            dt, cpu = time.perf_counter() - t, time.process_time() - cpu
            session.rollback()
        times.append(dt)
        print(f"round {i + 1}: {dt:6.2f} s (client CPU {cpu:.2f} s) at {timed_at.date()}  {rep.counts}")
    if stats is not None:
        stats.print()
    if a.commit:
        with Progress() as progress:
            task = progress.add_task("run_daily", total=None)
            t = time.perf_counter()
            rep = batch.run_daily(office, at=at + timedelta(seconds=1), actor="bench-batch", chunk=a.chunk,
                                  progress=lambda step, n: progress.update(task, advance=n, description=step))
            dt = time.perf_counter() - t
        print(f"run_daily (committed, checkpointed): {dt:.2f} s {rep.counts} resumed_from={rep.resumed_from}")
    med = statistics.median(times)
    scaled = med * TARGET_CARDS / max(n_cards, 1)
    if n_cards < TARGET_CARDS:
        print(f"median {med:.2f} s over {n_cards:,} cards; scaled linearly to 1,000,000 cards: {scaled:.2f} s")
    else:
        scaled = med
        print(f"median {med:.2f} s over {n_cards:,} cards")
    print(f"RESULT batch-1m {scaled:.2f} {GOAL_S:g} ratio={GOAL_S / scaled:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
