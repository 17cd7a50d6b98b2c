"""Releasing a held certificate (R_CERT_8): what the certificate and the event log keep, and what a
release of a certificate that is not on hold is told. Written against the mutants that lived in
``services/pki.py``."""

from __future__ import annotations

from datetime import date

import pytest

from mynacard.db import repositories as repo
from mynacard.errors import StateError
from mynacard.services import loss, pki
from tests.services.conftest import at, issued_card, new_resident


def _suspended(office) -> tuple[int, str]:
    rid = new_resident(office)
    card_id = issued_card(office, rid)
    with office.work(at=at("2027-01-17T03:00"), actor="hotline") as w:
        loss.hotline_suspend(w, name="能登 太郎", birth_date=date(1990, 6, 15))
    return rid, card_id


def test_a_released_hold_leaves_no_revocation_time_or_reason_and_is_logged_R_CERT_8(office):
    rid, card_id = _suspended(office)
    with office.work(at=at("2027-01-19"), actor="clerk") as w:
        cert = repo.latest_certificate(w.session, card_id, "sign")
        assert (cert.status, cert.reason) == ("hold", "certificate_hold")
        pki.release(w, cert)
        serial = cert.serial
    with office.work(at=at("2027-01-19T11:00"), actor="reader") as w:
        cert = repo.latest_certificate(w.session, card_id, "sign")
        assert cert.status == "good"
        assert cert.revoked_at is None
        assert cert.reason is None
        [event] = [e for e in repo.events(w.session, resident_id=rid) if e.action == "certificate_released"]
        assert (event.resident_id, event.card_id, event.certificate_serial) == (rid, card_id, serial)
        assert event.details == {"kind": "sign"}
        assert event.actor == "clerk"


def test_a_certificate_not_on_hold_cannot_be_released_and_is_told_why_R_CERT_8(office):
    rid = new_resident(office)
    card_id = issued_card(office, rid)
    with pytest.raises(StateError) as err, office.work(at=at("2026-01-05"), actor="clerk") as w:
        cert = repo.latest_certificate(w.session, card_id, "auth")
        serial = cert.serial
        pki.release(w, cert)
    assert err.value.message == (
        f"Certificate {serial:x} is good, not on hold: there is no hold to release. "
        "A revoked certificate cannot come back; issue a new one instead."
    )
    assert err.value.message_ja == (
        "この電子証明書は一時保留中ではないため、保留を解除できません。失効した証明書は新たに発行してください。"
    )
    with office.work(at=at("2026-01-06"), actor="reader") as w:
        assert repo.latest_certificate(w.session, card_id, "auth").status == "good"
        assert not [e for e in repo.events(w.session, resident_id=rid) if e.action == "certificate_released"]
