"""``mynacard backup FILE`` and ``mynacard restore FILE``: a whole store, SQLite or PostgreSQL, in
a portable file (see ``mynacard.db.backup``)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from mynacard.cli.app import emit, err_console, fail, opts
from mynacard.errors import ConfigError, MynaError


def backup_cmd(ctx: typer.Context, file: Annotated[Path, typer.Argument(help="New backup file to write")]) -> None:
    """Back up the whole store (--db) to FILE: a consistent snapshot, sealed data stays sealed.

    The master key is not in the backup: keep it (MYNACARD_MASTER_KEY or the key file) apart.
    """
    from mynacard import audit
    from mynacard.db.backup import backup

    o = opts(ctx)
    store = o.office().store
    if file.exists():  # checked before the trail records a backup that would not be written
        raise fail(ConfigError(f"{file} exists: a backup never overwrites a file. Name a new file.",
                               "バックアップ先のファイルがすでにあります。新しいファイル名を指定してください。"))
    try:
        audit.append(store, at=o.now(), actor=o.actor[:64] or "cli", role="cli", action="store.backup",
                     target=f"file:{file.name}"[:100])
        info = backup(store, file)
    except MynaError as e:
        raise fail(e) from None
    emit(ctx, {"file": str(info.path), "revision": info.revision, "rows": sum(info.rows.values()),
               "tables": info.rows})


def restore_cmd(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="A backup written by `mynacard backup`")],
    replace: Annotated[
        bool, typer.Option("--replace", help="Replace the data of the store named with --db (it is deleted)")
    ] = False,
) -> None:
    """Restore FILE into the store named by --db, which must be new or empty.

    A store that holds data is replaced only with --replace and only when named on the command
    line with --db (never one picked up from MYNACARD_DB or the default). The restore needs the
    master key the backup was made under; the audit chain is verified afterwards.
    """
    from mynacard import audit
    from mynacard.db import backup as bk

    o = opts(ctx)
    root = ctx.find_root()
    # Typer may carry its own copy of click: compare the source by name.
    if replace and getattr(root.get_parameter_source("db"), "name", None) != "COMMANDLINE":
        raise fail(ConfigError(
            "--replace deletes the data of the target store: name that store on the command line with --db.",
            "--replace は復元先のデータを削除します。--db で復元先を明示してください。",
        ))
    if not file.is_file():
        raise fail(ConfigError(f"No backup file {file}.", f"バックアップファイル {file} がありません。"))
    from mynacard.crypto import StoreKeys, load_master_key
    from mynacard.db.store import Store, database_url, sqlite_path

    try:
        key = load_master_key(o.key_path(), create=False)
    except MynaError as e:
        raise fail(ConfigError(
            f"{e.message} Restoring needs the master key of the store that was backed up: set "
            "MYNACARD_MASTER_KEY or MYNACARD_KEY_FILE to it (or copy its key file to <db>.key).",
            e.message_ja,
        )) from None
    target = sqlite_path(database_url(o.db))
    created = target is not None and not target.exists()
    store = Store(o.db, keys=StoreKeys(key))
    try:
        bk.check_key(store, file)
        from alembic.migration import MigrationContext

        with store.engine.connect() as conn:
            current = MigrationContext.configure(conn).get_current_revision()
        # A new store is built up to the backup's schema, filled, then upgraded like any other.
        store.migrate((bk.header_revision(file) or "head") if current is None else "head")
        info = bk.restore(store, file, replace=replace)
        store.migrate()
        # a backup of an older release may hold chip states of the first, plain form: seal them now
        from mynacard.services.context import Office
        from mynacard.services.pinstore import upgrade_all

        upgrade_all(Office(store=store, master_key=key, base_url=o.base_url), o.now())
        n, problems = audit.verify(store)
        audit.append(store, at=o.now(), actor=o.actor[:64] or "cli", role="cli", action="store.restore",
                     target=f"file:{file.name}"[:100], rows=sum(info.rows.values()), chain_ok=not problems)
    except MynaError as e:
        store.dispose()
        if created and target is not None:
            target.unlink(missing_ok=True)
        raise fail(e) from None
    emit(ctx, {"file": str(file), "rows": sum(info.rows.values()), "audit_entries": n, "audit_ok": not problems})
    if problems:
        for p in problems:
            err_console.print(f"[red]audit entry {p.entry_id}:[/] {p.problem}")
        raise typer.Exit(1)
