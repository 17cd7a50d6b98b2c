"""Finding a resident by name among N: the indexed search key against the old ``LIKE '%…%'``.

    python bench/name_search.py [-n 200000] [--pg postgresql+psycopg://postgres@127.0.0.1:5432/test]

Loads N residents (names drawn from common surnames, some written with 異体字, and their
フリガナ; keys computed by ``rules.text.search_key`` as the ORM would) with executemany into a
fresh store, then times, median of ``--rounds`` queries each:

- ``find``: the window search, ``repositories.find_residents`` (a prefix range of the key index,
  folding 異体字, kana and spaces),
- ``hotline``: the hotline's identity question, ``repositories.residents_named``,
- ``like``: the search before the key, ``name LIKE '%surname%'`` (a full scan, and it misses 髙橋
  typed as 高橋).

Prints the figures and ``RESULT name_search_find <ms> <like ms> ratio=<x>``.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import create_engine, insert, select, text
from sqlalchemy.engine import make_url

from mynacard.db import repositories as repo
from mynacard.db.models import Municipality, Resident
from mynacard.db.store import Store
from mynacard.rules.text import given_name_key, search_key
from mynacard.timeutil import JST

SURNAMES = [("髙橋", "タカハシ"), ("高橋", "タカハシ"), ("佐藤", "サトウ"), ("鈴木", "スズキ"), ("田中", "タナカ"),
            ("渡邊", "ワタナベ"), ("渡辺", "ワタナベ"), ("伊藤", "イトウ"), ("山﨑", "ヤマザキ"), ("山崎", "ヤマザキ"),
            ("中村", "ナカムラ"), ("小林", "コバヤシ"), ("齋藤", "サイトウ"), ("斉藤", "サイトウ"), ("加藤", "カトウ"),
            ("吉田", "ヨシダ"), ("山田", "ヤマダ"), ("佐々木", "ササキ"), ("松本", "マツモト"), ("井上", "イノウエ")]
GIVEN = [("太郎", "タロウ"), ("花子", "ハナコ"), ("一郎", "イチロウ"), ("陽子", "ヨウコ"), ("翔", "ショウ"),
         ("恵", "メグミ"), ("健太", "ケンタ"), ("美咲", "ミサキ"), ("大輔", "ダイスケ"), ("由美", "ユミ")]
AT = datetime(2026, 4, 1, 10, 0, tzinfo=JST)


def load(store: Store, n: int) -> tuple[str, date]:
    """N residents; returns one (name, birth date) to ask the hotline about."""
    rnd = random.Random(7)
    with store.sessions() as s:
        s.add(Municipality(code="174076", name="中能登町", prefecture="石川県"))
        s.commit()
    rows: list[dict[str, Any]] = []
    for i in range(n):
        (sn, sk), (gn, gk) = rnd.choice(SURNAMES), rnd.choice(GIVEN)
        name, kana = f"{sn}{rnd.choice(' 　')}{gn}{i}", f"{sk} {gk}"
        rows.append({
            "number_sealed": b"-", "number_hash": f"{i:064d}", "name": name, "name_kana": kana,
            "name_key": search_key(name), "kana_key": search_key(kana), "given_key": given_name_key(name),
            "given_kana_key": given_name_key(kana), "address": "中能登町",
            "birth_date": date(1940, 1, 1) + timedelta(days=rnd.randrange(30000)), "sex": "1",
            "municipality_code": "174076", "nationality": "JP", "adult_ward": False, "dv_protected": False,
            "moving_out_filed": False, "created_at": AT,
        })
    with store.engine.begin() as c:
        for k in range(0, n, 10_000):
            c.execute(insert(Resident), rows[k:k + 10_000])
        if store.engine.dialect.name == "postgresql":
            c.execute(text("ANALYZE residents"))
        else:
            c.execute(text("ANALYZE"))
    probe = rows[n // 2]
    return probe["name"].replace("髙", "高"), probe["birth_date"]


def median_ms(fn: Callable[[], int], rounds: int) -> tuple[float, int]:
    times, found = [], 0
    for _ in range(rounds):
        t = time.perf_counter()
        found = fn()
        times.append((time.perf_counter() - t) * 1000)
    return statistics.median(times), found


def run(url: str, n: int, rounds: int) -> tuple[float, float]:
    store = Store(url)
    store.migrate()
    t = time.perf_counter()
    name, born = load(store, n)
    print(f"[{store.engine.dialect.name}] loaded {n} residents in {time.perf_counter() - t:.1f} s")
    with store.sessions() as s:
        def find() -> int:
            return len(repo.find_residents(s, name="高橋　太", limit=50))

        def hotline() -> int:
            return len(repo.residents_named(s, name, born))

        def like() -> int:
            q = select(Resident).where(Resident.name.like("%高橋%")).order_by(Resident.id).limit(50)
            return len(s.scalars(q).all())

        def like_miss() -> int:  # the old search ran to the end of the table for a rare name
            return len(s.scalars(select(Resident).where(Resident.name.like("%長谷部%")).limit(50)).all())

        def find_miss() -> int:
            return len(repo.find_residents(s, name="長谷部", limit=50))

        figures = {}
        for label, fn in (("find (key prefix, 50 rows)", find), ("hotline (whole key + birth)", hotline),
                          ("like '%高橋%' (50 rows)", like), ("find, no such name", find_miss),
                          ("like, no such name", like_miss)):
            ms, found = median_ms(fn, rounds)
            figures[label] = ms
            print(f"  {label:32s} {ms:9.2f} ms  ({found} found)")
    store.dispose()
    return figures["find, no such name"], figures["like, no such name"]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("-n", type=int, default=200_000)
    ap.add_argument("--rounds", type=int, default=21)
    ap.add_argument("--pg", default=None, help="also on PostgreSQL (a database of its own, dropped after)")
    a = ap.parse_args()
    with tempfile.TemporaryDirectory() as d:
        ours, ref = run(str(f"{d}/names.db"), a.n, a.rounds)
    print(f"RESULT name_search_find {ours:.2f}ms {ref:.2f}ms ratio={ref / max(ours, 1e-6):.0f}")
    if a.pg:
        admin = create_engine(a.pg, isolation_level="AUTOCOMMIT")
        db = f"mynacard_bench_{uuid.uuid4().hex[:8]}"
        try:
            with admin.connect() as c:
                c.execute(text(f'CREATE DATABASE "{db}"'))
        except Exception as e:  # no server: say so and stop
            print(f"PostgreSQL skipped: {type(e).__name__}: {str(e).splitlines()[0]}", file=sys.stderr)
            return
        try:
            ours, ref = run(make_url(a.pg).set(database=db).render_as_string(hide_password=False), a.n, a.rounds)
            print(f"RESULT name_search_find_pg {ours:.2f}ms {ref:.2f}ms ratio={ref / max(ours, 1e-6):.0f}")
        finally:
            with admin.connect() as c:
                c.execute(text(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)'))


if __name__ == "__main__":
    main()
