"""``mynacard admin``: staff accounts; ``mynacard audit``: verify the hash-chained audit log."""

from __future__ import annotations

from typing import Annotated

import typer

from mynacard.cli.app import console, emit, err_console, fail, opts
from mynacard.errors import MynaError

admin_app = typer.Typer(help="Staff accounts of the office service (職員アカウント).", no_args_is_help=True)
audit_app = typer.Typer(help="The audit log of staff actions and number reads.", no_args_is_help=True)


@admin_app.command("create")
def create(
    ctx: typer.Context,
    username: Annotated[str, typer.Argument(help="User name (a-z, 0-9, . _ -)")],
    role: Annotated[str, typer.Option(help="clerk / supervisor / hotline / auditor / admin")] = "admin",
    municipality: Annotated[str | None, typer.Option(help="Municipality code (clerks, supervisors)")] = None,
    password: Annotated[str, typer.Option(prompt=True, hide_input=True, confirmation_prompt=True,
                                          envvar="MYNACARD_ADMIN_PASSWORD")] = "",
    display_name: Annotated[str, typer.Option()] = "",
) -> None:
    """Create a staff account (the first administrator is made this way)."""
    from mynacard import audit
    from mynacard.web.deps import auth

    o = opts(ctx)
    store = o.office().store
    try:
        acc = auth.create_account(store, username=username, password=password, role=role,
                                  municipality_code=municipality, display_name=display_name)
    except MynaError as e:
        raise fail(e) from None
    audit.append(store, at=o.now(), actor=o.actor[:64] or "cli", role="cli", action="admin.accounts",
                 target=f"account:{acc.username}", role_given=acc.role)
    emit(ctx, {"username": acc.username, "role": acc.role, "municipality_code": acc.municipality_code})


@admin_app.command("list")
def list_accounts(ctx: typer.Context) -> None:
    """The staff accounts."""
    from mynacard.web.deps import auth

    rows = [{"username": a.username, "role": a.role, "municipality_code": a.municipality_code, "active": a.active}
            for a in auth.list_accounts(opts(ctx).office().store)]
    emit(ctx, rows, lambda rs: [console.print(f"{r['username']:<20} {r['role']:<11} {r['municipality_code'] or '-':<7} "
                                              f"{'active' if r['active'] else 'disabled'}") for r in rs])


@admin_app.command("disable")
def disable(ctx: typer.Context, username: str) -> None:
    """Disable an account and end its sessions."""
    from mynacard.web.deps import auth

    try:
        auth.set_active(opts(ctx).office().store, username, False)
    except MynaError as e:
        raise fail(e) from None
    emit(ctx, {"username": username, "active": False})


@audit_app.command("head")
def head(ctx: typer.Context) -> None:
    """Print the newest entry's ID and hash, to keep outside the database (e.g. daily)."""
    from mynacard import audit

    n, h = audit.head(opts(ctx).office().store)
    emit(ctx, {"head": f"{n}:{h}"})


@audit_app.command("verify")
def verify(
    ctx: typer.Context,
    expect_head: Annotated[
        str | None, typer.Option(help="A head printed earlier by `audit head` (ID:hash): detects cut-off entries")
    ] = None,
) -> None:
    """Check the hash chain: exit 1 if an entry was edited or deleted."""
    from mynacard import audit

    expected = None
    if expect_head is not None:
        n_text, _, h = expect_head.partition(":")
        if not n_text.isdigit() or len(h) != 64:
            raise typer.BadParameter("use the ID:hash that `mynacard audit head` printed", param_hint="--expect-head")
        expected = (int(n_text), h)
    n, problems = audit.verify(opts(ctx).office().store, expect_head=expected)
    emit(ctx, {"entries": n, "ok": not problems,
               "problems": [{"entry": p.entry_id, "problem": p.problem} for p in problems]})
    if problems:
        for p in problems:
            err_console.print(f"[red]entry {p.entry_id}:[/] {p.problem}")
        raise typer.Exit(1)
