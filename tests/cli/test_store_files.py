"""Files that hold secrets are private to their owner, and a database server with no master key
configured is a clear error rather than a stray key file in the working directory."""

from __future__ import annotations

import os
import stat

from typer.testing import CliRunner

from mynacard.cli.main import app as cli

NO_KEY = {"MYNACARD_MASTER_KEY": "", "MYNACARD_KEY_FILE": ""}


def mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_the_sqlite_file_and_its_key_are_created_0600(tmp_path):
    old = os.umask(0o022)  # the usual umask, under which SQLite alone would make the file 0644
    try:
        res = CliRunner().invoke(cli, ["--db", str(tmp_path / "town.db"), "municipality", "add", "174076",
                                       "中能登町", "石川県"], env=NO_KEY)
    finally:
        os.umask(old)
    assert res.exit_code == 0, res.output
    assert mode(tmp_path / "town.db") == 0o600
    assert mode(tmp_path / "town.db.key") == 0o600


def test_postgresql_without_a_key_says_how_to_configure_one(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    res = CliRunner().invoke(cli, ["--db", "postgresql+psycopg://127.0.0.1:5432/test", "resident", "show", "1"],
                             env=NO_KEY)
    assert res.exit_code == 2, res.output
    assert "MYNACARD_MASTER_KEY" in res.output and "MYNACARD_KEY_FILE" in res.output
    assert "Traceback" not in res.output
    assert list(tmp_path.iterdir()) == []  # no stray ./mynacard.key


def test_a_malformed_master_key_is_a_clear_error(tmp_path):
    res = CliRunner().invoke(cli, ["--db", str(tmp_path / "t.db"), "events"],
                             env={"MYNACARD_MASTER_KEY": "not base64!"})
    assert res.exit_code == 2 and "32-byte key in base64" in res.output


def test_another_master_key_is_refused_before_anything_is_read(tmp_path):
    import base64

    db = str(tmp_path / "t.db")
    first = {"MYNACARD_MASTER_KEY": base64.b64encode(os.urandom(32)).decode()}
    res = CliRunner().invoke(cli, ["--db", db, "municipality", "add", "174076", "中能登町", "石川県"], env=first)
    assert res.exit_code == 0, res.output
    other = {"MYNACARD_MASTER_KEY": base64.b64encode(os.urandom(32)).decode()}
    res = CliRunner().invoke(cli, ["--db", db, "events"], env=other)
    assert res.exit_code == 2 and "another master key" in res.output and "Traceback" not in res.output
    assert CliRunner().invoke(cli, ["--db", db, "events"], env=first).exit_code == 0
