"""The process the crash harness kills: it runs one workflow through the real adapters (the
``mynacard`` command, or the office service's API in-process) and SIGKILLs itself at a chosen
point.

Kill points are counted by SQLAlchemy event hooks that only this harness installs (nothing in
the product knows about them): every SQL statement sent to the database (``sql:...``), the
moment before a transaction's COMMIT reaches the database (``commit``), and the moment after
it returned (``committed``). ``MYNACARD_CRASH_KILL_AT=N`` (or ``kill_at``) kills the process at
the N-th point; 0 counts the points and lets the workflow finish.

Every workflow here resumes from what the store says, so that running it again after a crash
is what a clerk would do: finish the steps that did not happen, repeat none that did.
"""

from __future__ import annotations

import base64
import functools
import itertools
import json
import os
import signal
import sys
import traceback
from pathlib import Path
from typing import Any

from sqlalchemy import event, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

import mynacard.cli.app as cli_app
from mynacard.cli.main import app as cli
from mynacard.crypto import new_rsa_key
from mynacard.db.models import Card, CardState, Certificate, CertStatus, Resident
from mynacard.db.store import Store
from mynacard.services.context import Office

KILL_AT_ENV = "MYNACARD_CRASH_KILL_AT"

_KEYS: list[Any] = []
_next_key = itertools.count()


def keygen() -> Any:
    """The chip's and the CA's key generator in the children: a few keys made in the fork server."""
    return _KEYS[next(_next_key) % len(_KEYS)]


def _warm_up() -> None:
    """Done once in the fork server, inherited by every child: RSA keys (~70 ms each) and the
    imports and first-migration work that would otherwise cost each child a second."""
    _KEYS.extend(new_rsa_key() for _ in range(6))
    import fastapi.testclient  # noqa: F401

    import mynacard.web.app  # noqa: F401

    store = Store("sqlite://")
    store.migrate()
    store.dispose()


_warm_up()


class KillSwitch:
    """Counts kill points; at the ``kill_at``-th, records its label and SIGKILLs the process."""

    def __init__(self, kill_at: int, trace: Path | None) -> None:
        self.kill_at, self.trace, self.n = kill_at, trace, 0
        self.labels: list[str] = []

    def point(self, label: str) -> None:
        self.n += 1
        self.labels.append(label)
        if self.n == self.kill_at:
            if self.trace is not None:
                self.trace.write_text(json.dumps({"killed_at": self.n, "label": label}))
            os.kill(os.getpid(), signal.SIGKILL)

    def install(self) -> None:
        def sql(conn: Any, cursor: Any, statement: str, *_a: Any) -> None:
            words = statement.split()
            table = ""
            for kw in ("INTO", "FROM", "UPDATE", "TABLE"):
                if kw in words[:-1]:
                    table = words[words.index(kw) + 1]
                    break
            self.point(f"sql:{words[0].upper() if words else '?'} {table}".strip())

        event.listen(Engine, "before_cursor_execute", sql)
        event.listen(Engine, "commit", lambda conn: self.point("commit"))
        event.listen(Session, "after_commit", lambda s: self.point("committed"))

    def finish(self) -> None:
        if self.trace is not None:
            self.trace.write_text(json.dumps({"points": self.n, "labels": self.labels}))


# --- the workflows, through the adapters ---------------------------------------------------------


def run_cli(*args: str, at: str) -> None:
    """One ``mynacard`` command in this process; a non-zero exit is an error of the harness."""
    rv = cli(["--at", at, "--json", *args], prog_name="mynacard", standalone_mode=False)
    if rv not in (None, 0):
        raise RuntimeError(f"mynacard {' '.join(args)} exited {rv}")


def _peek(url: str) -> Store:
    return Store(url)


def card_state(url: str, card_id: str) -> str:
    store = _peek(url)
    with store.session() as s:
        c = s.get(Card, card_id)
        state = c.state if c else ""
    store.dispose()
    return state


def current_cert(url: str, card_id: str, kind: str) -> Certificate | None:
    store = _peek(url)
    with store.session() as s:
        row = s.scalars(
            select(Certificate).where(
                Certificate.card_id == card_id,
                Certificate.kind == kind,
                Certificate.status.in_([CertStatus.GOOD, CertStatus.HOLD]),
            )
        ).first()
    store.dispose()
    return row


def newer_card(url: str, resident_id: int, old_card: str) -> Card | None:
    store = _peek(url)
    with store.session() as s:
        row = s.scalars(
            select(Card).where(Card.resident_id == resident_id, Card.id != old_card)
        ).first()
    store.dispose()
    return row


def resident_address(url: str, resident_id: int) -> str:
    store = _peek(url)
    with store.session() as s:
        r = s.get(Resident, resident_id)
        addr = r.address if r else ""
    store.dispose()
    return addr


PINS = ["--sign-pin", "ABC123", "--auth-pin", "1234", "--resident-pin", "2345", "--card-info-pin", "3456"]
NEW_ADDRESS = "石川県鹿島郡中能登町井田1番地"


def op_init(spec: dict[str, Any]) -> None:
    """The first command on a new database (its schema is made)."""
    run_cli("municipality", "add", "174076", "中能登町", "石川県", at="2025-04-01T09:00")


def op_issue(spec: dict[str, Any]) -> None:
    """The hand-over (交付): PINs, two key pairs, two certificates."""
    if card_state(spec["url"], spec["card"]) == CardState.MADE:
        run_cli("card", "issue", spec["card"], "--id-doc", "drivers_license", *PINS, at="2025-05-10T10:00")


def op_reissue(spec: dict[str, Any]) -> None:
    """A reissue after a loss: application with the police report, making, hand-over."""
    url, rid, old = spec["url"], spec["resident"], spec["card"]
    new = newer_card(url, rid, old)
    if new is None:
        run_cli("card", "apply", str(rid), "--kind", "reissue", "--reason", "loss", "--police-report", "P-123",
                at="2027-02-01T10:00")
        new = newer_card(url, rid, old)
        assert new is not None
    if card_state(url, new.id) == CardState.APPLIED:
        run_cli("card", "make", new.id, at="2027-02-15T10:00")
    if card_state(url, new.id) == CardState.MADE:
        run_cli("card", "issue", new.id, "--id-doc", "drivers_license", *PINS, at="2027-03-01T10:00")


def op_move(spec: dict[str, Any]) -> None:
    """A move (転居): the signing certificate is revoked, then a new one is issued."""
    url, rid, card_id = spec["url"], spec["resident"], spec["card"]
    if resident_address(url, rid) != NEW_ADDRESS:
        run_cli("resident", "move", str(rid), "--address", NEW_ADDRESS, at="2026-03-01T10:00")
    if current_cert(url, card_id, "sign") is None:
        run_cli("cert", "issue", card_id, "sign", "--pin", "NEW123", at="2026-03-01T10:05")


def _client(spec: dict[str, Any], at: str, user: str) -> Any:
    from fastapi.testclient import TestClient

    from mynacard.timeutil import parse_at
    from mynacard.web.app import create_app
    from mynacard.web.clock import Clock

    office = Office(store=Store(spec["url"]), master_key=base64.b64decode(spec["master_key"]), keygen=keygen)
    client = TestClient(create_app(office, clock=Clock(parse_at(at), advance=False)))
    # logged in by the harness beforehand: argon2 is slow on purpose
    client.headers["Authorization"] = f"Bearer {spec['tokens'][user]}"
    return client


def _expect(r: Any) -> None:
    if r.status_code >= 300:
        raise RuntimeError(f"{r.request.method} {r.request.url.path} -> {r.status_code}: {r.text[:300]}")


def op_hotline(spec: dict[str, Any]) -> None:
    """The hotline at 3 a.m. through the office service: card suspended, both certificates held."""
    if card_state(spec["url"], spec["card"]) == CardState.ISSUED:
        c = _client(spec, "2027-01-17T03:00", "hotline")
        _expect(c.post("/api/hotline/suspend", json={"name": spec["name"], "birth_date": spec["birth"]}))


def op_revoke(spec: dict[str, Any]) -> None:
    """Revocation: the signing certificate with the command, the authentication one at the window API."""
    url, card_id = spec["url"], spec["card"]
    if current_cert(url, card_id, "sign") is not None:
        run_cli("cert", "revoke", card_id, "sign", at="2026-06-01T10:00")
    if current_cert(url, card_id, "auth") is not None:
        c = _client(spec, "2026-06-01T10:05", "root")
        _expect(c.post(f"/api/cards/{card_id}/certificates/auth/revoke"))


OPS = {
    "init": op_init,
    "issue": op_issue,
    "reissue": op_reissue,
    "move": op_move,
    "hotline": op_hotline,
    "revoke": op_revoke,
}


def run(spec: dict[str, Any]) -> None:
    """The child's body: install the kill switch, run the workflow, exit 0 (done) or 1 (an
    exception escaped: a finding, its traceback on stderr)."""
    out = os.open(os.devnull, os.O_WRONLY)
    os.dup2(out, 1)
    if spec.get("stderr"):
        err = os.open(spec["stderr"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.dup2(err, 2)
    os.environ["MYNACARD_DB"] = spec["url"]
    os.environ["MYNACARD_MASTER_KEY"] = spec["master_key"]
    # The product makes fresh RSA keys; the harness draws them from the pool (speed only).
    cli_app.Office = functools.partial(Office, keygen=keygen)  # type: ignore[misc]
    kill_at = int(spec.get("kill_at") or os.environ.get(KILL_AT_ENV, "0"))
    switch = KillSwitch(kill_at, Path(spec["trace"]) if spec.get("trace") else None)
    switch.install()
    try:
        OPS[spec["op"]](spec)
    except BaseException:
        traceback.print_exc()
        sys.stderr.flush()
        os._exit(1)
    switch.finish()
    sys.stdout.flush()
    os._exit(0)



def main(argv: list[str]) -> None:
    """``MYNACARD_CRASH_KILL_AT=N python -m tests.crash.worker [mynacard arguments]``: the
    ``mynacard`` command, killed at its N-th kill point (0: print how many it has)."""
    switch = KillSwitch(int(os.environ.get(KILL_AT_ENV, "0")), None)
    switch.install()
    try:
        cli(argv, prog_name="mynacard")
    finally:
        if switch.kill_at == 0:
            print(f"{switch.n} kill points: {', '.join(switch.labels)}", file=sys.stderr)


if __name__ == "__main__":
    main(sys.argv[1:])
