"""No individual number reaches the server log, even when the database refuses a statement."""

from __future__ import annotations

import logging
import threading

import pytest
from sqlalchemy.exc import IntegrityError

from mynacard.db import repositories as repo
from mynacard.db.models import Resident
from mynacard.ids import IndividualNumber
from tests.web.conftest import at


def test_engine_hides_statement_parameters(web_office):
    """A refused INSERT's error message names the statement, never its values."""
    number = str(IndividualNumber.generate())
    store = web_office.store
    with store.sessions() as s:
        for _ in range(2):
            s.add(Resident(**repo.number_columns(s, number), name="重複 太郎", address="石川県", sex="1",
                           birth_date=at("1990-06-15").date(), municipality_code="174076",
                           created_at=at("2025-04-01")))
        with pytest.raises(IntegrityError) as e:
            s.flush()
        s.rollback()
    assert "[SQL parameters hidden due to hide_parameters=True]" in str(e.value)
    assert "[parameters:" not in str(e.value)


def test_double_click_registration_logs_no_number(web_staff, caplog):
    """Eight identical registrations at once: one is registered, the others get a 409, and
    nothing in the log (at any level) carries the number."""
    caplog.set_level(logging.DEBUG)
    clerk = web_staff["clerk"]
    number = str(IndividualNumber.generate())
    body = {"individual_number": number, "name": "二重 押下", "address": "石川県鹿島郡中能登町1",
            "birth_date": "1990-06-15", "sex": "1", "municipality_code": "174076"}
    barrier = threading.Barrier(8)
    codes: list[int] = []

    def post() -> None:
        barrier.wait()
        codes.append(clerk.post("/api/residents", json=body).status_code)

    threads = [threading.Thread(target=post) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(codes) == [201] + [409] * 7, codes
    logged = "\n".join(r.getMessage() + (r.exc_text or "") for r in caplog.records)
    assert number not in logged and number[:8] not in logged


def test_a_database_error_reaching_the_500_handler_logs_no_value(web_app, web_staff, caplog, monkeypatch):
    """PostgreSQL's own message quotes the refused value ("Key (individual_number)=(...)"): the
    service's error handler logs the error's kind, never its message."""
    from sqlalchemy.exc import DataError

    from mynacard.services import residents

    number = str(IndividualNumber.generate())

    class DriverError(Exception):
        sqlstate = "22021"

    def broken(*a, **k):
        raise DataError("INSERT INTO residents ...", {"individual_number": number},
                        DriverError(f"Key (individual_number)=({number}) is bad"))

    monkeypatch.setattr(residents, "register", broken)
    caplog.set_level(logging.DEBUG)
    r = web_staff["clerk"].post("/api/residents", json={
        "individual_number": number, "name": "記録 太郎", "address": "石川県", "birth_date": "1990-06-15",
        "sex": "1", "municipality_code": "174076"})
    assert r.status_code == 500
    logged = "\n".join(r.getMessage() + (r.exc_text or "") for r in caplog.records)
    assert "DriverError" in logged and number not in logged


def test_an_internal_error_is_audited(web_app, web_staff, monkeypatch):
    from mynacard import audit
    from mynacard.services import residents

    def broken(*a, **k):
        raise RuntimeError("boom")

    monkeypatch.setattr(residents, "register", broken)
    r = web_staff["super"].post("/api/residents", json={
        "individual_number": str(IndividualNumber.generate()), "name": "監査 太郎", "address": "石川県",
        "birth_date": "1990-06-15", "sex": "1", "municipality_code": "174076"})
    assert r.status_code == 500
    with web_app.state.mynacard.office.store.sessions() as s:
        last = audit.entries(s, limit=1)[0]
    assert (last.actor, last.action, last.outcome, last.details) == (
        "super", "resident.register", "error", {"code": "internal"})
