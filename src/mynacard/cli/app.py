"""Global options, the office a command works in, output and error mapping."""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape

from mynacard.errors import MynaError, ValidationError
from mynacard.timeutil import JST, parse_at

if TYPE_CHECKING:  # the store, SQLAlchemy and the services load when a command opens the office
    from mynacard.services.context import Office, Work

#: The IDs the store numbers (an SQL INTEGER): a larger number is a usage error, not a crash.
MAX_ID = 2_147_483_647
# The longest wait between two OCSP refreshes: a response is signed again in the six hours before
# its nextUpdate, so a longer wait would let some responses expire unrenewed.
MAX_REFRESH_EVERY = 6 * 3600
ResidentIdArg = Annotated[int, typer.Argument(min=1, max=MAX_ID, help="Resident ID (住民ID)")]

console = Console()
err_console = Console(stderr=True)


@dataclass
class Options:
    db: str
    at: datetime | None
    json: bool
    actor: str
    base_url: str
    pin_stdin: bool = False
    _office: Office | None = None

    def key_path(self) -> Path | None:
        """The master key file: MYNACARD_KEY_FILE, else ``<db>.key`` beside a SQLite file. A
        database server has no default: its key must be configured (see ``load_master_key``)."""
        env = os.environ.get("MYNACARD_KEY_FILE")
        if env:
            return Path(env)
        if "://" not in self.db:
            return Path(self.db + ".key")
        from mynacard.db.store import sqlite_path

        path = sqlite_path(self.db)  # a sqlite:/// URL is a file too
        return Path(str(path) + ".key") if path is not None else None

    def office(self) -> Office:
        if self._office is None:
            from sqlalchemy.exc import ArgumentError, OperationalError

            from mynacard.crypto import load_master_key
            from mynacard.db.store import Store
            from mynacard.services.context import Office

            try:
                store = Store(self.db)  # a --db that names no database fails here, before any key
                master_key = load_master_key(self.key_path())
                store.bind_keys(master_key)
                migrated = store.migrate_if_behind()
                self._office = Office(store=store, master_key=master_key, base_url=self.base_url)
            except MynaError as e:
                raise fail(e) from None
            except (ValueError, OSError, ImportError, ArgumentError, OperationalError) as e:
                # a --db that names no database (a NUL byte, an unknown scheme, a folder that
                # does not exist, a server that does not answer), or a damaged key file
                reason = str(getattr(e, "orig", None) or e).splitlines()[0][:200]
                raise fail(
                    ValidationError(
                        "db",
                        f"Cannot open the store: {reason}. Give --db (or MYNACARD_DB) a SQLite file path "
                        "or an SQLAlchemy URL such as postgresql+psycopg://user@host/db.",
                        "データベースを開けません。--db の指定を確認してください。",
                    )
                ) from None
            # Chip states of the first, plain form are sealed now (needs the master key): only after a
            # migration or when the store's marker says some may be left, not a scan on every command.
            if migrated or store.needs_chip_upgrade():
                from mynacard.services.pinstore import upgrade_all

                upgrade_all(self._office, self.now())
        return self._office

    def now(self) -> datetime:
        """The time of this command: --at, or the clock (the only place the clock is read)."""
        return self.at or datetime.now(JST)


def opts(ctx: typer.Context) -> Options:
    o = ctx.find_root().obj
    assert isinstance(o, Options)
    return o


def _json_wanted() -> bool:
    """Whether the running command was given --json (errors then go out as JSON too)."""
    try:
        from typer._click.globals import get_current_context
    except ImportError:  # pragma: no cover - older Typer on Click
        from click import get_current_context  # type: ignore[no-redef]
    ctx = get_current_context(silent=True)
    obj = ctx.find_root().obj if ctx is not None else None
    return isinstance(obj, Options) and obj.json


def fail(e: MynaError) -> typer.Exit:
    """Report ``e`` on stderr (JSON under --json, else English and Japanese); exit code 2."""
    if _json_wanted():
        typer.echo(json.dumps({"error": e.to_dict()}, ensure_ascii=False), err=True)
        return typer.Exit(2)
    # Messages quote user input and commands ("mynacard[pcsc]"): never read them as Rich markup.
    err_console.print(f"[bold red]error:[/] {escape(e.message)}")
    if e.message_ja != e.message:
        err_console.print(f"[red]エラー:[/] {escape(e.message_ja)}")
    return typer.Exit(2)


#: Command arguments that name what a command acted on (for its audit entry).
_TARGETS = ("card_id", "resident_id", "serial", "kind")


@contextmanager
def work(ctx: typer.Context, actor: str | None = None) -> Iterator[Work]:
    """One workflow transaction at the command's time; MynaError -> message and exit code 2."""
    from mynacard import audit

    o = opts(ctx)
    who = actor or o.actor
    action = "cli." + ".".join(ctx.command_path.split()[1:])[:55]
    target = ",".join(f"{k}:{ctx.params[k]}" for k in _TARGETS if ctx.params.get(k) is not None)[:100]
    try:
        with o.office().work(at=o.now(), actor=who) as w:
            yield w
            # a command's audit entry commits with what it did (never its options: PINs)
            audit.append_in(w.session, at=w.at, actor=who, role="cli", action=action, target=target)
    except MynaError as e:
        try:
            audit.append(o.office().store, at=o.now(), actor=who, role="cli", action=action, target=target,
                         outcome="error", code=e.code)
        except Exception:  # the store may be what failed; the error below still reaches the user
            pass
        if o.json:
            typer.echo(json.dumps({"error": e.to_dict()}, ensure_ascii=False), err=True)
            raise typer.Exit(2) from None
        raise fail(e) from None


def read_pin(ctx: typer.Context, given: str | None, label: str, *, confirm: bool = False) -> str:
    """A PIN: the option's value, else one line of stdin (``--pin-stdin``), else a hidden prompt.
    ``-`` as the value asks for it the same way (for optional PINs such as ``--sign-pin -``)."""
    if given is not None and given != "-":
        return given
    if opts(ctx).pin_stdin:
        import sys

        line = sys.stdin.readline()
        if not line:
            raise fail(ValidationError(
                "pin",
                f"No line left on standard input for the {label} (--pin-stdin reads one PIN a line, in the "
                "order of the command's help).",
                f"標準入力に{label}がありません(--pin-stdin では1行に1つずつ入力してください)。",
            ))
        return line.rstrip("\r\n")
    value: str = typer.prompt(label, hide_input=True, confirmation_prompt=confirm)
    return value


def write_file(path: Path, data: bytes, option: str = "--out") -> None:
    """Write an output file the user named; a path that cannot be written is an input error."""
    try:
        path.write_bytes(data)
    except OSError as e:
        raise fail(
            ValidationError(
                option.lstrip("-"),
                f"Cannot write {option} {str(path)!r}: {e.strerror or e}. Give the path of a file in a folder "
                "that exists and that you may write.",
                "出力先のファイルに書き込めません。パスを確認してください。",
            )
        ) from None


def _default(v: Any) -> Any:
    if isinstance(v, datetime | date):
        return v.isoformat()
    if isinstance(v, bytes):
        return v.hex()
    return str(v)


def emit(ctx: typer.Context, data: Any, render: Callable[[Any], None] | None = None) -> None:
    """Print ``data`` as JSON with --json, else with ``render`` (or a simple key: value list)."""
    if opts(ctx).json:
        typer.echo(json.dumps(data, ensure_ascii=False, indent=2, default=_default))
        return
    if render is not None:
        render(data)
        return
    from mynacard.cli import render as r

    if isinstance(data, dict):
        r.kv(data)
    elif isinstance(data, list) and all(isinstance(x, dict) for x in data):
        r.rows(data)
    elif isinstance(data, list):
        for x in data:
            console.print(escape(r.text(x)))
    else:
        console.print(escape(str(data)))


def parse_date_opt(value: str | None, name: str) -> date | None:
    if value is None:
        return None
    from mynacard.errors import ValidationError
    from mynacard.rules.wareki import parse_date

    try:
        return parse_date(value, name)
    except ValidationError as e:  # 西暦 or 和暦 (2026-11-28, 令和8年11月28日, R8.11.28)
        raise typer.BadParameter(f"{e.message} / {e.message_ja}", param_hint=name) from None


def at_callback(value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        return parse_at(value)
    except ValueError as e:
        raise typer.BadParameter(str(e)) from None
