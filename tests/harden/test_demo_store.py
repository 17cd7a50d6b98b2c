"""``mynacard demo`` never destroys a store the user did not name for destruction."""

from __future__ import annotations

import hashlib
import sqlite3

import pytest
from typer.testing import CliRunner

from mynacard.cli import demo
from mynacard.cli.main import app


def _digest(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def town(tmp_path, monkeypatch):
    """A user's own store, town.db, with a municipality in it; the working directory is tmp_path."""
    monkeypatch.chdir(tmp_path)
    r = CliRunner().invoke(app, ["--db", "town.db", "municipality", "add", "174076", "中能登町", "石川県"])
    assert r.exit_code == 0, r.output
    return tmp_path / "town.db"


class Stop(Exception):
    pass


@pytest.fixture
def no_story(monkeypatch):
    """Stop the demo right after it chose and prepared its store."""

    def stop(self, office):
        raise Stop(office.store.url)

    monkeypatch.setattr(demo.Story, "__init__", stop)


def test_demo_ignores_MYNACARD_DB_and_keeps_the_users_store(town, monkeypatch, no_story):
    before = _digest(town)
    monkeypatch.setenv("MYNACARD_DB", "town.db")
    r = CliRunner().invoke(app, ["demo"])
    assert isinstance(r.exception, Stop)
    assert str(r.exception).endswith("mynacard-demo.db")  # its own file, not the user's
    assert town.exists() and _digest(town) == before


def test_demo_refuses_a_named_store_that_it_did_not_make(town):
    before = _digest(town)
    r = CliRunner().invoke(app, ["--db", "town.db", "demo"])  # --fresh is the default
    assert r.exit_code == 2
    assert "did not make" in r.output
    assert _digest(town) == before


def test_demo_refuses_a_file_that_is_not_a_store(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "notes.txt").write_text("my notes")
    r = CliRunner().invoke(app, ["--db", "notes.txt", "demo", "--fresh"])
    assert r.exit_code == 2
    assert (tmp_path / "notes.txt").read_text() == "my notes"


def test_fresh_deletes_only_a_store_the_demo_made(tmp_path, monkeypatch, no_story):
    monkeypatch.chdir(tmp_path)
    made = tmp_path / "mynacard-demo.db"
    con = sqlite3.connect(made)
    con.execute("CREATE TABLE events (id INTEGER PRIMARY KEY, action TEXT)")
    con.execute("INSERT INTO events (action) VALUES (?)", (demo.DEMO_MARK,))
    con.commit()
    con.close()
    r = CliRunner().invoke(app, ["demo"])
    assert isinstance(r.exception, Stop)
    # the demo's own store was deleted and made again, empty (the story was stopped)
    assert demo._store_kind(str(made)) == "none"
    made.unlink()
    made.write_bytes(b"")
    r = CliRunner().invoke(app, ["demo", "--no-fresh"])
    assert isinstance(r.exception, Stop)  # an empty file is used as it is


def test_a_store_made_by_the_demo_is_marked(tmp_path, monkeypatch):
    """The whole story runs in the demo's own file, which carries the mark --fresh looks for."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MYNACARD_DB", "town.db")
    r = CliRunner().invoke(app, ["demo"])
    assert r.exit_code == 0, r.output
    assert not (tmp_path / "town.db").exists()
    assert demo._store_kind(str(tmp_path / "mynacard-demo.db")) == "demo"
