"""Row locks of the login request on PostgreSQL: the holder's app and the browser read the request
without locking it, and an answer holds it until its unit of work ends, so that two answers
cannot both find it pending."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from mynacard.rules.login import LoginError
from mynacard.services import login
from mynacard.services.context import Office
from tests.client.conftest import AT
from tests.login.conftest import started_request

pytestmark = pytest.mark.postgres




def _take(office: Office, request_id: str) -> None:
    """Lock the request from another unit of work, without waiting: a lock held elsewhere fails."""
    with office.work(at=AT, actor="other") as other:
        other.session.execute(
            text("SELECT id FROM login_requests WHERE id = :r FOR UPDATE NOWAIT"), {"r": request_id}
        )


def test_reading_the_approval_request_holds_no_lock(pg_office) -> None:
    request_id = started_request(pg_office)[0]
    with pg_office.work(at=AT, actor="holder") as w:
        assert login.challenge(w, request_id)["status"] == "pending"
        _take(pg_office, request_id)  # an answer arriving now is not held up


def test_an_answer_holds_its_request_until_its_unit_of_work_ends(pg_office) -> None:
    request_id = started_request(pg_office)[0]
    with pg_office.work(at=AT, actor="holder") as w:
        refused = login.approve(w, request_id, {})
        assert refused.refusal == "malformed"
        with pytest.raises(OperationalError):
            _take(pg_office, request_id)
    _take(pg_office, request_id)


def test_collecting_the_code_holds_the_request_until_its_unit_of_work_ends(pg_office) -> None:
    request_id = started_request(pg_office)[0]
    with pg_office.work(at=AT, actor="login") as w:
        with pytest.raises(LoginError):
            login.finish(w, request_id, "another browser's secret")
        with pytest.raises(OperationalError):
            _take(pg_office, request_id)
    _take(pg_office, request_id)
