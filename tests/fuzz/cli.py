"""The command line's arguments: hypothesis-made argv for every ``mynacard`` command through
Typer's CliRunner. Any exit code is fine; a traceback or an exception escaping is a finding.

Commands that block or reach outside the process are left out: ``serve``, ``serve-ocsp``,
``demo`` (it replaces its database), ``vcard`` and ``client`` (the PC/SC reader). Paths stay inside a scratch
directory (the runner's working directory), so no argument can make the fuzzer write elsewhere.
"""

from __future__ import annotations

import functools
import os
import random
import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import typer.main
import typer.testing
import uvicorn
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

import mynacard.cli.app as cli_app
from mynacard.cli.main import app
from mynacard.services import context
from mynacard.services.context import Office
from tests.fuzz.common import Tally
from tests.fuzz.store import FuzzStore
from tests.keypool import pooled_key

SKIP = ("serve", "serve-ocsp", "demo", "vcard", "client")
HOSTILE = [
    "", " ", "\x00", "a\x00b", "-", "--", "-1", "0", "1", "2", "99999999999999999999999", "1e9", "nan", "0x10",
    "12345678901234567890123", "123456789018",
    "\uff12\uff10\uff12\uff15-\uff10\uff14-\uff10\uff11", "2025-02-30", "2025-13-01", "0001-01-01",
    "9999-12-31", "1868-01-24", "2025-04-01T25:00", "2025-04-01T10:00+09:00", "R7.4.1", "令和7年4月1日",
    "A" * 5000, "能登 太郎", "\u202eevil", "%s%n", "{0}", "[bold]x[/]", "'; DROP TABLE residents; --", "\\",
    "\ud800".encode("utf-8", "surrogatepass").decode("utf-8", "replace"), "🙂", "\n", "\r\n", "\t",
    "sign", "auth", "resident", "card_info", "loss", "theft", "bogus", "new", "renewal", "reissue", "window",
    "online", "mail", "booth", "drivers_license", "passport", "release", "reissue", "tax", "174076", "172014",
]
DATEISH = re.compile(r"birth|date|_on$|received|planned|until|from|to$|^at$|moved|notice|end|since")


def commands() -> list[tuple[list[str], Any]]:
    out: list[tuple[list[str], Any]] = []

    def walk(c: Any, path: list[str]) -> None:
        if hasattr(c, "commands"):  # a group; the top one loads its subcommands when asked
            for name in c.list_commands(None):
                if not path and name in SKIP:
                    continue
                walk(c.get_command(None, name), [*path, name])
        else:
            out.append((path, c))

    walk(typer.main.get_command(app), [])
    return out


def _value(draw: Any, name: str, ids: list[str]) -> str:
    choice = draw(st.integers(0, 9))
    if choice <= 2:
        return draw(st.sampled_from(HOSTILE))
    if choice == 3:
        return draw(st.text(max_size=40))
    if choice == 4 and DATEISH.search(name):
        return draw(st.dates()).isoformat()
    if choice == 5:
        return str(draw(st.integers(-(2**70), 2**70)))
    if choice in (6, 7) and ids:
        return draw(st.sampled_from(ids))
    return draw(st.from_regex(r"[0-9A-Za-z_\-:.]{0,24}", fullmatch=True))


@st.composite
def argv(draw: Any, cmds: list[tuple[list[str], Any]], ids: list[str]) -> list[str]:
    path, cmd = draw(st.sampled_from(cmds))
    out: list[str] = []
    if draw(st.booleans()):
        out += ["--at", draw(st.one_of(st.sampled_from(["2025-05-10T10:00", "2031-01-01T09:00"]),
                                       st.sampled_from(HOSTILE)))]
    if draw(st.integers(0, 4)) == 0:
        out.append("--json")
    if draw(st.integers(0, 20)) == 0:
        out += ["--db", draw(st.sampled_from(["bogus://x", "", ".", "sub/dir/x.db", "sqlite:///nonexistent/x.db",
                                              "\x00", "a" * 300]))]
    out += path
    for p in cmd.params:
        if p.param_type_name == "argument":
            if draw(st.integers(0, 9)) > 0:
                n = 1 if p.nargs == 1 else draw(st.integers(0, 3))
                out += [_value(draw, p.name or "", ids) for _ in range(n)]
            continue
        if not p.opts or draw(st.integers(0, 2)) == 0:
            continue
        if p.is_flag:
            out.append(draw(st.sampled_from(list(p.opts) + list(p.secondary_opts or []))))
            continue
        for _ in range(draw(st.integers(1, 2)) if p.multiple else 1):
            out += [p.opts[0], _value(draw, p.name or "", ids)]
    if draw(st.integers(0, 9)) == 0:
        out.insert(draw(st.integers(0, len(out))), draw(st.sampled_from([*HOSTILE, "--help", "--nope", "-x"])))
    return out


@contextmanager
def _no_office_per_call() -> Iterator[None]:
    """One office per --db for the whole campaign (the product opens and migrates per command;
    that would make each input cost 0.15 s) and pooled keys: speed only, same code paths.
    Everything is put back afterwards, so the rest of a test session sees the product as it is."""
    cache: dict[tuple[str, str], Office] = {}
    original = cli_app.Options.office
    original_office_cls = context.Office  # the CLI imports it from there when it opens the store

    def office(self: Any) -> Office:
        if self._office is None:
            key = (self.db, self.base_url)
            if key not in cache:
                cache[key] = original(self)
            self._office = cache[key]
        return self._office

    # Typer builds the click command tree from the annotations at every invoke (0.3 s): once.
    built = typer.main.get_command(app)
    original_get = typer.testing._get_command  # type: ignore[attr-defined]
    cli_app.Options.office = office  # type: ignore[method-assign]
    context.Office = functools.partial(Office, keygen=pooled_key)  # type: ignore[misc]
    typer.testing._get_command = lambda a: built if a is app else original_get(a)  # type: ignore[attr-defined]
    try:
        yield
    finally:
        cli_app.Options.office = original  # type: ignore[method-assign]
        context.Office = original_office_cls  # type: ignore[misc]
        typer.testing._get_command = original_get  # type: ignore[attr-defined]
        for o in cache.values():
            o.store.dispose()


def _ids(fs: FuzzStore) -> list[str]:
    from sqlalchemy import select

    from mynacard.db.models import Card, Resident

    with fs.office.store.session() as s:
        cards = [c.id for c in s.scalars(select(Card))]
        residents = [str(r.id) for r in s.scalars(select(Resident))]
    return cards + residents + [format(c.serial, "x") for c in fs.certificates]


class _Waits(BaseException):
    """Raised by the campaign's ``time.sleep`` and ``uvicorn.run``: a command that repeats, or one
    that starts a server (``login demo-site``, ``rp efile-demo``), would wait here for ever."""


_sleep = time.sleep
_uvicorn_run = uvicorn.run


def _wait(seconds: float) -> None:
    if threading.current_thread() is not threading.main_thread():
        return _sleep(seconds)  # the product's own background threads wait as they would
    raise _Waits(seconds)


def _serve(*args: Any, **kwargs: Any) -> None:
    raise _Waits("serve")


def run(n: int, fs: FuzzStore, workdir: Path, seed: int = 0, tally: Tally | None = None) -> Tally:
    tally = tally or Tally("cli")
    cmds = commands()
    ids = _ids(fs)
    runner = CliRunner()
    env = {"MYNACARD_DB": fs.db, "MYNACARD_MASTER_KEY": fs.master_key_b64, "MYNACARD_AT": "", "COLUMNS": "120"}
    scratch = workdir / "cli-scratch"
    scratch.mkdir(exist_ok=True)
    here = os.getcwd()

    @settings(max_examples=n, deadline=None, database=None, derandomize=False,
              suppress_health_check=list(HealthCheck), phases=[Phase.generate])
    @given(args=argv(cmds, ids))
    def one(args: list[str]) -> None:
        tally.inputs += 1
        try:
            result = runner.invoke(app, args, env=env, input="")
        except _Waits:  # a command that repeats (--every) reached its first wait, or a server its start
            return
        exc = result.exception
        if exc is not None and not isinstance(exc, SystemExit):
            tally.crashed(exc, args)
        elif "Traceback (most recent call last)" in (result.output or ""):
            tally.found("traceback", "a traceback printed", args)

    os.chdir(scratch)
    try:
        with _no_office_per_call():
            random.seed(seed)
            time.sleep, uvicorn.run = _wait, _serve
            one()
    finally:
        time.sleep, uvicorn.run = _sleep, _uvicorn_run
        os.chdir(here)
    return tally


