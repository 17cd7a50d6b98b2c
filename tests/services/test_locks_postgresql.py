"""What the serialising locks hold on PostgreSQL: a first-use lock by its name, and a CA's
publication lock on that CA only (the two CAs publish side by side). A second unit of work that
asks for a held lock waits; here it gives up after a short ``lock_timeout`` so the test can see it."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from mynacard.services import pki
from tests.services.conftest import at, pg_office

WAIT = "SET LOCAL lock_timeout = '1s'"


def test_a_first_use_lock_makes_another_unit_of_work_wait_for_the_same_name_only(pg_url):
    with pg_office(pg_url) as office, office.work(at=at("2026-01-05"), actor="first") as first:
        first.serialize("receipt-number")
        with office.work(at=at("2026-01-05"), actor="second") as second:
            second.session.execute(text(WAIT))
            second.serialize("first-ca")  # another name: not held
        with (
            pytest.raises(OperationalError, match="lock timeout"),
            office.work(at=at("2026-01-05"), actor="third") as third,
        ):
            third.session.execute(text(WAIT))
            third.serialize("receipt-number")


def _held(office, kind: str) -> None:
    """A second publisher of ``kind`` waits while another holds its CA's lock."""
    with (
        pytest.raises(OperationalError, match="lock timeout"),
        office.work(at=at("2026-01-05"), actor=f"another-{kind}-publisher") as other,
    ):
        other.session.execute(text(WAIT))
        pki.lock(other, kind)


def test_a_publication_lock_holds_its_own_ca_and_leaves_the_other_free_R_CERT_8(pg_url):
    with pg_office(pg_url) as office:
        with office.work(at=at("2026-01-05"), actor="setup") as w:
            pki.authority(w, "sign")  # the first CA, the other not made yet
        with office.work(at=at("2026-01-05"), actor="sign-publisher") as first:
            pki.lock(first, "sign")
            _held(office, "sign")
        with office.work(at=at("2026-01-05"), actor="setup") as w:
            pki.authority(w, "auth")
        with office.work(at=at("2026-01-05"), actor="sign-publisher") as first:
            pki.lock(first, "sign")
            with office.work(at=at("2026-01-05"), actor="auth-publisher") as second:
                second.session.execute(text(WAIT))
                pki.lock(second, "auth")
            _held(office, "sign")
