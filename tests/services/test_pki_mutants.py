"""Releasing a certificate hold (R_CERT_6, R_LOSS_3): what is refused and why, what the
certificate keeps and what the event log says. Written against the mutants that lived in
``services/pki.py``."""

from __future__ import annotations

import pytest

from mynacard.db import repositories as repo
from mynacard.errors import StateError
from mynacard.services import certificates, loss
from tests.services.conftest import at, issued_card, new_resident


def test_a_held_certificate_released_is_good_again_without_a_reason_and_logged_R_CERT_6(office):
    rid = new_resident(office)
    card_id = issued_card(office, rid)
    with office.work(at=at("2026-01-01"), actor="hotline") as w:
        loss.report_loss(w, card_id)
    with office.work(at=at("2026-01-02"), actor="clerk") as w:
        released = certificates.release(w, card_id, "sign").serial
    with office.work(at=at("2026-01-03"), actor="reader") as w:
        cert = repo.latest_certificate(w.session, card_id, "sign")
        assert (cert.serial, cert.status, cert.revoked_at, cert.reason) == (released, "good", None, None)
        logged = [
            (e.resident_id, e.card_id, e.certificate_serial, e.details)
            for e in repo.events(w.session, resident_id=rid)
            if e.action == "certificate_released"
        ]
    assert logged == [(rid, card_id, released, {"kind": "sign"})]


def test_only_a_held_certificate_can_be_released_and_the_refusal_says_why_R_CERT_6(office):
    card_id = issued_card(office, new_resident(office))
    with pytest.raises(StateError) as err, office.work(at=at("2026-01-02"), actor="clerk") as w:
        certificates.release(w, card_id, "auth")
    with office.work(at=at("2026-01-03"), actor="reader") as w:
        serial = repo.latest_certificate(w.session, card_id, "auth").serial
    assert err.value.message == (
        f"Certificate {serial:x} is good, not on hold: there is no hold to release. "
        "A revoked certificate cannot come back; issue a new one instead."
    )
    assert err.value.message_ja == (
        "この電子証明書は一時保留中ではないため、保留を解除できません。失効した証明書は新たに発行してください。"
    )
