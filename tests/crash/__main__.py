"""The long crash run: ``python -m tests.crash --kills 500`` (SQLite, and PostgreSQL when
reachable at MYNACARD_TEST_PG_URL or 127.0.0.1:5432/test). Prints the kills per operation, the
kill points hit and every broken invariant; exit code 1 if any."""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
import uuid
from pathlib import Path

from tests.crash.harness import OPERATIONS, Harness, init_trials


def _pg_database() -> tuple[str, object] | None:
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    from tests.conftest import PG_URL

    try:
        admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 3})
        with admin.connect() as c:
            c.execute(text("select 1"))
    except Exception as e:
        print(f"PostgreSQL not reachable ({type(e).__name__}): SQLite only")
        return None
    name = f"mynacard_crash_{uuid.uuid4().hex[:10]}"
    with admin.connect() as c:
        c.execute(text(f'CREATE DATABASE "{name}"'))
    return make_url(PG_URL).set(database=name).render_as_string(hide_password=False), (admin, name)


def main() -> int:
    ap = argparse.ArgumentParser(prog="python -m tests.crash", description=__doc__)
    ap.add_argument("--kills", type=int, default=500, help="SIGKILLs in all (split over the databases)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="both")
    ap.add_argument("--ops", default=",".join(OPERATIONS), help="operations, comma-separated")
    ap.add_argument("--init-kills", type=int, default=None, help="kills during a first start (default kills/20)")
    args = ap.parse_args()
    ops = tuple(args.ops.split(","))
    failed = 0
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="mynacard-crash-") as tmp:
        work = Path(tmp)
        targets: list[tuple[str, str]] = []
        pg = None
        if args.db in ("postgresql", "both"):
            pg = _pg_database()
            if pg is not None:
                targets.append(("postgresql", pg[0]))
        if args.db in ("sqlite", "both"):
            targets.append(("sqlite", str(work / "crash.db")))
        init = args.init_kills if args.init_kills is not None else max(1, args.kills // 20)
        per = max(1, (args.kills - (init if args.db != "postgresql" else 0)) // max(1, len(targets)))
        try:
            if args.db != "postgresql":
                r = init_trials(work, init, seed=args.seed)
                print("first start (SQLite):\n" + r.summary(), flush=True)
                failed += len(r.failures)
            for kind, url in targets:
                h = Harness(url, work, seed=args.seed)
                try:
                    h.run(per, ops, progress=True)
                finally:
                    h.close()
                print(f"{kind}:\n{h.report.summary()}", flush=True)
                failed += len(h.report.failures)
        finally:
            if pg is not None:
                from sqlalchemy import text

                admin, name = pg[1]  # type: ignore[misc]
                with admin.connect() as c:
                    c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    print(f"done in {time.monotonic() - started:.0f} s; {failed} failed trial(s)")
    return 1 if failed else 0


if __name__ == "__main__":
    os.environ.setdefault("PYTHONWARNINGS", "ignore::DeprecationWarning")
    sys.exit(main())
