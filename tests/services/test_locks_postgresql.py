"""What the serialising locks hold on PostgreSQL: a first-use lock by its name, a CA's
publication lock on that CA only (the two CAs publish side by side), and no lock for an OCSP
answer by a current responder. A second unit of work that
asks for a held lock waits; here it gives up after a short ``lock_timeout`` so the test can see it."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from mynacard.db import repositories as repo
from mynacard.db.staff import OcspResponder
from mynacard.services import pki
from mynacard.services.revocation.responders import RENEW_BEFORE, responder
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


def test_ocsp_answers_do_not_wait_for_a_publication_of_their_ca_R_CERT_8(pg_url):
    """A current delegated responder is read without the CA's lock: a CRL being published (or a
    responder being issued) does not hold up the answers."""
    with pg_office(pg_url) as office:
        with office.work(at=at("2026-01-05"), actor="setup") as w:
            issued = responder(w, "sign").certificate
        with office.work(at=at("2026-01-06"), actor="sign-publisher") as first:
            pki.lock(first, "sign")
            with office.work(at=at("2026-01-06"), actor="ocsp") as second:
                second.session.execute(text(WAIT))
                assert responder(second, "sign").certificate == issued


def test_a_responder_renewed_meanwhile_by_another_unit_of_work_is_taken_not_renewed_again_R_CERT_8(pg_url):
    with pg_office(pg_url) as office:
        with office.work(at=at("2026-02-01"), actor="setup") as w:
            old = responder(w, "auth").certificate
        due = old.not_valid_after_utc - RENEW_BEFORE
        with office.work(at=due, actor="late") as late:
            # read before the other renews it (as ``responder`` reads it before it waits for the lock)
            read_before = late.session.get(OcspResponder, "auth")
            assert read_before.not_after == old.not_valid_after_utc
            with office.work(at=due, actor="early") as early:
                renewed = responder(early, "auth").certificate
            assert renewed != old
            assert responder(late, "auth").certificate == renewed
        with office.work(at=due, actor="reader") as w:
            issued = [
                e for e in repo.events(w.session) if e.action == "ocsp_responder_issued" and e.details["kind"] == "auth"
            ]
        assert len(issued) == 2  # the first and one renewal
