"""Findings of the fuzz campaign and the crash harness, each fixed, each with the input that
found it: the answer is now a clear error (exit code 2), never a traceback."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from mynacard.cli.main import app


@pytest.fixture
def run(tmp_path, monkeypatch):
    runner = CliRunner()
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("MYNACARD_DB", raising=False)
    db = str(tmp_path / "f.db")

    def run(*args: str, db: str | None = db):
        pre = ["--db", db] if db is not None else []
        return runner.invoke(app, [*pre, "--json", *args])

    assert run("municipality", "add", "174076", "中能登町", "石川県").exit_code == 0
    return run


def refused(result, *words: str) -> str:
    """Exit code 2 with a message, no exception escaping."""
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert result.exit_code == 2, result.output
    text = result.output
    assert "Traceback" not in text
    for w in words:
        assert w in text, text
    return text


@pytest.mark.parametrize(
    "db",
    [
        "bogus://x",  # an unknown URL scheme
        "sqlite:///no/such/folder/x.db",  # a folder that does not exist
        "a\x00b",  # a NUL byte
        ".",  # a folder, not a file
    ],
)
def test_a_db_that_names_no_database_is_refused(run, db):
    refused(run("events", db=db), "Cannot open the store", "--db")


def test_a_damaged_key_file_is_refused(run, tmp_path):
    """A key file cut short (e.g. a process killed while writing it)."""
    (tmp_path / "g.db.key").write_bytes(b"")
    refused(run("events", db=str(tmp_path / "g.db")), "damaged")


def test_an_output_path_that_cannot_be_written_is_refused(run, tmp_path):
    refused(run("cert", "crl", "sign", "--out", str(tmp_path)), "Cannot write --out")
    refused(run("cert", "crl", "sign", "--out", str(tmp_path / "no" / "such" / "x.crl")), "Cannot write --out")


def test_an_export_folder_that_cannot_be_written_is_refused(run, tmp_path):
    (tmp_path / "file").write_text("x")
    refused(run("export", str(tmp_path / "file")), "Cannot write the export")


@pytest.mark.parametrize("at", ["0001-01-01", "1950-01-01T08:00", "9999-12-31T10:00"])
def test_a_simulated_time_no_certificate_can_carry_is_refused(run, at):
    """Found as ``--at 0001-01-01 export DIR``: the CRL could not be dated (RFC 5280 times begin in 1950)."""
    refused(run("--at", at, "export", "out"), "out of range")


def test_simulated_time_inside_the_range_still_works(run):
    assert run("--at", "1950-01-02T10:00", "export", "out").exit_code == 0
    assert run("--at", "2999-01-02T10:00", "events").exit_code == 0


def test_the_service_clock_refuses_a_time_no_certificate_can_carry(tmp_path):
    """Found by the stateful API run: POST /api/admin/clock took year 1 (or 9999), and from then
    on every CRL, search and batch answered 500 until the clock was set again."""
    from fastapi.testclient import TestClient

    from mynacard.web.app import create_app
    from mynacard.web.clock import Clock
    from tests.web.conftest import PASSWORD, at, make_office

    office = make_office(str(tmp_path / "clock.db"))
    c = TestClient(create_app(office, clock=Clock(at("2025-04-01T10:00"), advance=False)))
    token = c.post("/api/login", json={"username": "root", "password": PASSWORD}).json()["token"]
    c.headers["Authorization"] = f"Bearer {token}"
    for bad in ("0001-01-01T00:00:00", "1950-01-01T08:59:00", "9999-12-31T23:00:00"):
        r = c.post("/api/admin/clock", json={"at": bad, "advance": False})
        assert r.status_code == 422, r.text
        assert "out of range" in r.json()["error"]["fields"]["at"]
        assert c.get("/crl/sign.crl").status_code == 200
        assert c.get("/api/residents", params={"name": "能登"}).status_code == 200
    assert c.post("/api/admin/clock", json={"at": "1950-01-01T09:00:00", "advance": False}).status_code == 200
    assert c.get("/crl/sign.crl").status_code == 200
    office.store.dispose()


@pytest.mark.parametrize("serial", ["A" * 5000, "F" * 41, "0", "0x0"])
def test_a_serial_no_certificate_can_have_is_not_found(run, serial):
    """Found as ``cert ocsp AAAA...`` (5,000 digits): the lookup failed inside SQLAlchemy."""
    refused(run("cert", "ocsp", serial), "No certificate")
    refused(run("cert", "show", serial), "No certificate")


@pytest.mark.parametrize("limit", ["1180591620717411303423", "0", "-5"])
def test_an_events_limit_out_of_range_is_refused(run, limit):
    """Found as ``events --card ... --limit 1180591620717411303423``: SQLite could not take the number."""
    refused(run("events", "--limit", limit), "--limit")


def test_an_events_limit_in_range_works(run):
    assert run("events", "--limit", "1").exit_code == 0
