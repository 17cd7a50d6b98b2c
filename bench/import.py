"""Loading residents from CSV (``mynacard import``): rows per second for N residents.

    python bench/import.py [-n 10000] [--batch-size 500] [--bad 1] [--pg postgresql+psycopg://...]

Writes a CSV of N residents (individual numbers given, valid check digits; ``--bad`` percent of
rows with a date that does not exist, which are refused) and runs ``mynacard import`` on a new
store in a fresh process, as a clerk would (progress bar off with ``--json``). The figure is the
wall time of the whole command, store opening included. Last line:
``RESULT import <rows/s> <seconds> rows=<N> refused=<refused>``.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ENTRY = "from mynacard.cli.main import app; app(prog_name='mynacard')"


def number(i: int) -> str:
    """A valid 12-digit individual number (R_NUM_1) from ``i``."""
    from stdnum.jp import in_

    body = f"{i + 10_000_000_000:011d}"[-11:]
    return body + in_.calc_check_digit(body)


def write_csv(path: Path, n: int, bad_percent: float) -> int:
    rng = random.Random(7)
    bad = 0
    with path.open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(["name", "address", "birth_date", "sex", "municipality", "individual_number"])
        for i in range(n):
            day = f"{rng.randint(1940, 2020)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
            if rng.random() * 100 < bad_percent:
                day, bad = day[:5] + "13-40", bad + 1
            w.writerow([f"能登 太郎{i}", f"石川県鹿島郡中能登町能登部上{i}", day, rng.choice("12"), "174076",
                        number(i)])
    return bad


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("-n", type=int, default=10_000)
    ap.add_argument("--batch-size", type=int, default=500)
    ap.add_argument("--bad", type=float, default=1.0, help="percent of rows with a bad date")
    ap.add_argument("--pg", default=None, help="a PostgreSQL URL instead of a SQLite file")
    a = ap.parse_args()
    env = dict(os.environ)
    env.setdefault("MYNACARD_MASTER_KEY", "YmVuY2gtbWFzdGVyLWtleS0zMi1ieXRlcy1sb25nISE=")
    with tempfile.TemporaryDirectory() as tmp:
        db = a.pg or str(Path(tmp) / "import.db")
        f = Path(tmp) / "residents.csv"
        bad = write_csv(f, a.n, a.bad)
        base = [sys.executable, "-c", ENTRY, "--db", db, "--at", "2025-05-10T10:00", "--json"]
        subprocess.run([*base, "municipality", "add", "174076", "中能登町", "石川県"], env=env, check=True,
                       capture_output=True)
        t = time.perf_counter()
        p = subprocess.run([*base, "import", str(f), "--batch-size", str(a.batch_size)], env=env,
                           capture_output=True, text=True)
        s = time.perf_counter() - t
        if p.returncode not in (0, 1):
            sys.exit(f"import failed ({p.returncode}): {p.stderr[-2000:]}")
        out = json.loads(p.stdout)
    refused = len(out["refused"])
    assert out["loaded"] + refused == a.n and refused == bad, (out["loaded"], refused, bad)
    print(f"store: {'PostgreSQL' if a.pg else 'SQLite'}; {a.n} rows, batch {a.batch_size}, {bad} bad rows")
    print(f"loaded {out['loaded']}, refused {refused} in {s:.2f} s")
    print(f"RESULT import {a.n / s:.0f} {s:.2f} rows={a.n} refused={refused}")


if __name__ == "__main__":
    main()
