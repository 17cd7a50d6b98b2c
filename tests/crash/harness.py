"""The crash harness: kill a process with SIGKILL at a reproducible point inside a workflow,
check the store as the next process finds it, restart the workflow, check again.

A trial is (operation, kill point). Its operation's prelude (the resident and card it needs) is
made in this process through the services; the operation runs in a child forked from a
fork server that has imported everything once (``worker.py``), which SIGKILLs itself at the
chosen point. Kill points are drawn from a seeded ``random.Random`` between 1 and the number
of points the same operation had when it ran to the end (counted once per operation and
database), so a seed replays the same kills.
"""

from __future__ import annotations

import base64
import json
import multiprocessing
import os
import random
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from mynacard.db.store import Store
from mynacard.ids import IndividualNumber
from mynacard.services import cards, loss, residents
from mynacard.services.context import Office
from mynacard.timeutil import parse_at
from mynacard.web.deps import auth
from tests.crash.invariants import check_store
from tests.keypool import pooled_key

NAKANOTO = "174076"
PASSWORD = "crash harness password"
PINS = {"sign": "ABC123", "auth": "1234", "resident": "2345", "card_info": "3456"}
OPERATIONS = ("issue", "reissue", "move", "hotline", "revoke")
#: When each operation has ended, the time the checker looks at the store.
CHECK_AT = "2027-06-01T10:00"
CHILD_TIMEOUT = 120


def _context() -> Any:
    root = str(Path(__file__).resolve().parents[2])  # the fork server imports tests.crash.worker
    if root not in os.environ.get("PYTHONPATH", "").split(os.pathsep):
        os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [root, os.environ.get("PYTHONPATH")]))
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(["tests.crash.worker"])
    return ctx


@dataclass
class Trial:
    op: str
    db: str
    kill_at: int
    killed: bool = False
    label: str = ""
    after_kill: list[str] = field(default_factory=list)
    after_restart: list[str] = field(default_factory=list)
    crashed: str = ""  # an exception escaped (exit code 1), with its traceback


@dataclass
class Report:
    trials: list[Trial] = field(default_factory=list)
    points: dict[str, int] = field(default_factory=dict)
    labels: dict[str, list[str]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)  # known failures being fixed on other branches

    @property
    def kills(self) -> int:
        return sum(t.killed for t in self.trials)

    @property
    def failures(self) -> list[Trial]:
        return [t for t in self.trials if t.after_kill or t.after_restart or t.crashed]

    def summary(self) -> str:
        by_op = Counter(t.op for t in self.trials if t.killed)
        labels = Counter(t.label for t in self.trials if t.killed)
        lines = [
            f"crash harness: {len(self.trials)} trials, {self.kills} SIGKILLs, {len(self.failures)} failed",
            "  kills per operation: " + ", ".join(f"{k} {v}" for k, v in sorted(by_op.items())),
            "  kill points: " + ", ".join(f"{k} x{v}" for k, v in sorted(labels.items())),
            "  points per run: " + ", ".join(f"{k} {v}" for k, v in sorted(self.points.items())),
        ]
        for note in sorted(set(self.notes)):
            lines.append(f"  known, fixed elsewhere: {note} (x{self.notes.count(note)})")
        for t in self.failures[:10]:
            lines.append(f"  FAILED {t.op} on {t.db} killed at {t.kill_at} ({t.label}):")
            lines += [f"    after kill: {v}" for v in t.after_kill[:5]]
            lines += [f"    after restart: {v}" for v in t.after_restart[:5]]
            if t.crashed:
                lines.append("    " + last_error(t.crashed))
        return "\n".join(lines)


class Harness:
    """One database (SQLite file or PostgreSQL URL) and the trials run against it."""

    def __init__(self, url: str, workdir: Path, *, seed: int = 0) -> None:
        self.url = url
        self.workdir = workdir
        self.rng = random.Random(seed)
        self.master_key = base64.b64encode(os.urandom(32)).decode()
        self.ctx = _context()
        self.report = Report()
        self.n = 0
        self.kind = "sqlite" if "://" not in url or url.startswith("sqlite") else "postgresql"
        store = Store(url)
        store.migrate()
        self.office = Office(store=store, master_key=base64.b64decode(self.master_key), keygen=pooled_key)
        with self.office.work(at=parse_at("2020-01-01T09:00"), actor="setup") as w:
            residents.add_municipality(w, NAKANOTO, "中能登町", "石川県")
        self.tokens = {}
        for user, role in (("hotline", "hotline"), ("root", "admin")):
            auth.create_account(store, username=user, password=PASSWORD, role=role)
            self.tokens[user] = auth.login(store, user, PASSWORD)[0]

    def close(self) -> None:
        self.office.store.dispose()

    # --- children ---------------------------------------------------------------------------

    def child(self, spec: dict[str, Any]) -> tuple[int, dict[str, Any], str]:
        """Run one worker; returns (exit code, its trace, its stderr)."""
        fd, trace = tempfile.mkstemp(prefix="trace-", dir=self.workdir)
        os.close(fd)
        err = trace + ".err"
        spec = {**spec, "master_key": self.master_key, "tokens": self.tokens, "trace": trace, "stderr": err}
        from tests.crash import worker

        p = self.ctx.Process(target=worker.run, args=(spec,))
        p.start()
        p.join(CHILD_TIMEOUT)
        if p.exitcode is None:
            p.kill()
            p.join()
            raise RuntimeError(f"worker {spec['op']} did not finish in {CHILD_TIMEOUT} s")
        text = Path(trace).read_text()
        stderr = Path(err).read_text() if os.path.exists(err) else ""
        for f in (trace, err):
            if os.path.exists(f):
                os.unlink(f)
        return p.exitcode, (json.loads(text) if text else {}), stderr

    # --- preludes: what each operation needs, made through the services ----------------------

    def _resident(self) -> dict[str, Any]:
        self.n += 1
        birth = date(1960, 1, 1) + timedelta(days=self.n)
        name = f"試験 {self.n:05d}"
        with self.office.work(at=parse_at("2025-04-01T09:00"), actor="clerk") as w:
            r = residents.register(
                w,
                individual_number=str(IndividualNumber.generate()),
                name=name,
                address="石川県鹿島郡中能登町能登部下91部23番地",
                birth_date=birth,
                sex="1",
                municipality_code=NAKANOTO,
            )
            return {"resident": r.id, "name": name, "birth": birth.isoformat()}

    def _made_card(self, rid: int) -> str:
        with self.office.work(at=parse_at("2025-04-01T10:00"), actor="clerk") as w:
            card_id = cards.apply(w, rid, channel="online").card.id
        with self.office.work(at=parse_at("2025-04-20T10:00"), actor="j-lis") as w:
            cards.make(w, card_id)
        return card_id

    def prelude(self, op: str) -> dict[str, Any]:
        spec = {"op": op, "url": self.url, **self._resident()}
        card_id = self._made_card(spec["resident"])
        spec["card"] = card_id
        if op == "issue":
            return spec
        with self.office.work(at=parse_at("2025-05-10T10:00"), actor="clerk") as w:
            cards.issue(w, card_id, identity_documents=["drivers_license"], pins=PINS)
        if op == "reissue":
            with self.office.work(at=parse_at("2027-01-17T03:00"), actor="hotline") as w:
                loss.hotline_suspend(w, name=spec["name"], birth_date=date.fromisoformat(spec["birth"]))
        return spec

    # --- one trial ------------------------------------------------------------------------------

    def check(self, spec: dict[str, Any], *, done: bool) -> list[str]:
        store = Store(self.url)  # a new process's view: nothing cached
        try:
            office = Office(store=store, master_key=base64.b64decode(self.master_key), keygen=pooled_key)
            return check_store(office, at=parse_at(CHECK_AT), spec=spec, done=done, notes=self.report.notes)
        finally:
            store.dispose()

    def points(self, op: str) -> int:
        """The kill points of ``op`` when it runs to the end (counted on a throwaway trial)."""
        if op not in self.report.points:
            spec = self.prelude(op)
            code, trace, err = self.child({**spec, "kill_at": 0})
            if code != 0:
                raise AssertionError(f"{op} fails without any kill:\n{err}")
            self.report.points[op] = int(trace["points"])
            self.report.labels[op] = list(trace["labels"])
        return self.report.points[op]

    def draw(self, op: str, total: int) -> int:
        """A kill point: uniform over all points, or one time in four just before or just after
        a COMMIT (the named checkpoints ``commit`` and ``committed``)."""
        commits = [i + 1 for i, label in enumerate(self.report.labels[op]) if label in ("commit", "committed")]
        if commits and self.rng.random() < 0.25:
            return self.rng.choice(commits)
        return self.rng.randint(1, total)

    def trial(self, op: str, kill_at: int | None = None) -> Trial:
        total = self.points(op)
        spec = self.prelude(op)
        n = kill_at if kill_at is not None else self.draw(op, total)
        t = Trial(op=op, db=self.kind, kill_at=n)
        code, trace, err = self.child({**spec, "kill_at": n})
        t.killed = code == -9
        t.label = trace.get("label", "") if t.killed else "(finished before the point)"
        if code not in (0, -9):
            t.crashed = err or f"exit code {code}"
        t.after_kill = self.check(spec, done=not t.killed)
        code, _trace, err = self.child({**spec, "kill_at": 0})  # the restart: finish the workflow
        if code != 0:
            t.crashed = t.crashed or err or f"restart exit code {code}"
        t.after_restart = self.check(spec, done=True)
        self.report.trials.append(t)
        return t

    def run(self, kills: int, ops: tuple[str, ...] = OPERATIONS, *, progress: bool = False) -> Report:
        started = time.monotonic()
        i = 0
        while self.report.kills < kills:
            op = ops[i % len(ops)]
            i += 1
            t = self.trial(op)
            if progress and i % 10 == 0:
                print(f"  {self.kind}: {i} trials, {self.report.kills} kills, "
                      f"{len(self.report.failures)} failed, {time.monotonic() - started:.0f} s", flush=True)
            if i > kills * 3 + 10:
                break
            del t
        return self.report


def last_error(text: str) -> str:
    """The exception line of a traceback."""
    lines = [x for x in text.strip().splitlines() if "Error" in x.split(":")[0] or "Exception" in x.split(":")[0]]
    return lines[-1] if lines else text.strip()[-200:]


def init_trials(workdir: Path, kills: int, *, seed: int = 0, points: list[int] | None = None) -> Report:
    """SIGKILL during the very first command on a new SQLite database (its schema is being
    made), then run the command again: the store must open and work."""
    rng = random.Random(seed)
    report = Report()
    h_key = base64.b64encode(os.urandom(32)).decode()
    ctx = _context()
    from tests.crash import worker

    def child(url: str, kill_at: int) -> tuple[int, dict[str, Any], str]:
        fd, trace = tempfile.mkstemp(prefix="trace-", dir=workdir)
        os.close(fd)
        spec = {"op": "init", "url": url, "master_key": h_key, "kill_at": kill_at, "trace": trace,
                "stderr": trace + ".err"}
        p = ctx.Process(target=worker.run, args=(spec,))
        p.start()
        p.join(CHILD_TIMEOUT)
        text = Path(trace).read_text()
        err = Path(trace + ".err").read_text() if os.path.exists(trace + ".err") else ""
        return p.exitcode or 0, (json.loads(text) if text else {}), err

    code, trace, err = child(str(workdir / "init-count.db"), 0)
    assert code == 0, err
    total = int(trace["points"])
    report.points["init"] = total
    for k in range(kills):
        db = workdir / f"init-{k}.db"
        n = points[k] if points else rng.randint(1, total)
        t = Trial(op="init", db="sqlite", kill_at=n)
        code, trace, err = child(str(db), n)
        t.killed = code == -9
        t.label = trace.get("label", "")
        code, _trace, err = child(str(db), 0)
        if code != 0:
            t.crashed = err or f"exit code {code}"
            t.after_restart = ["the command fails after a crash during the first start: " + last_error(err)]
        report.trials.append(t)
        for f in db.parent.glob(db.name + "*"):
            f.unlink()
    return report


