"""Holds and revocations of single certificates: what the clerk is told when one does not fit, what
the event log keeps, how a later life event treats a card whose two certificates differ, and the
store's PIN counters at the edge (a locked PIN, a card-face PIN)."""

from __future__ import annotations

from datetime import date

import pytest

from mynacard.chip.pins import FacePin, PinId
from mynacard.db import repositories as repo
from mynacard.errors import PinLocked, StateError, ValidationError
from mynacard.rules.events import RevocationReason
from mynacard.services import certificates, lifecycle, loss, pki
from mynacard.services.pinstore import StorePins
from tests.services.conftest import PINS, at, issued_card, new_resident

PINS_NO_SIGN = {k: v for k, v in PINS.items() if k != "sign"}


def _events(office, rid: int, action: str) -> list:
    with office.work(at=at("2027-12-31"), actor="reader") as w:
        return [e for e in repo.events(w.session, resident_id=rid) if e.action == action]


def test_an_unknown_certificate_kind_is_refused_naming_the_two_kinds(office):
    card_id = issued_card(office, new_resident(office))
    with pytest.raises(ValidationError) as err, office.work(at=at("2026-01-05"), actor="clerk") as w:
        certificates.revoke(w, card_id, "signature")
    assert err.value.fields["field"] == "kind"
    assert err.value.message == "Certificate kind must be 'sign' or 'auth', not 'signature'."
    assert err.value.message_ja == "電子証明書の種類は sign(署名用) か auth(利用者証明用) です。"


def test_a_hold_is_logged_with_the_holder_card_serial_and_kind_R_LOSS_1(office):
    rid = new_resident(office)
    card_id = issued_card(office, rid)
    with office.work(at=at("2026-01-05"), actor="clerk") as w:
        cert = repo.latest_certificate(w.session, card_id, "auth")
        serial = cert.serial
        pki.hold(w, cert)
    [held] = _events(office, rid, "certificate_held")
    assert (held.resident_id, held.card_id, held.certificate_serial, held.details) == (
        rid,
        card_id,
        serial,
        {"kind": "auth"},
    )


def test_only_a_good_certificate_can_be_put_on_hold_and_the_clerk_is_told_why_R_CERT_8(office):
    rid = new_resident(office)
    card_id = issued_card(office, rid)
    with office.work(at=at("2026-01-05"), actor="clerk") as w:
        certificates.revoke(w, card_id, "sign")
    with pytest.raises(StateError) as err, office.work(at=at("2026-01-06"), actor="clerk") as w:
        cert = repo.latest_certificate(w.session, card_id, "sign")
        serial = cert.serial
        pki.hold(w, cert)
    assert err.value.message == (f"Certificate {serial:x} is revoked; only a good certificate can be put on hold.")
    assert err.value.message_ja == "有効な電子証明書のみ一時保留にできます。"
    assert _events(office, rid, "certificate_held") == []


def test_a_revocation_is_logged_with_the_holder_card_serial_kind_and_reason_R_CERT_6(office):
    rid = new_resident(office)
    card_id = issued_card(office, rid)
    with office.work(at=at("2026-01-05"), actor="clerk") as w:
        serial = certificates.revoke(w, card_id, "sign").serial
    [revoked] = _events(office, rid, "certificate_revoked")
    assert (revoked.resident_id, revoked.card_id, revoked.certificate_serial, revoked.details) == (
        rid,
        card_id,
        serial,
        {"kind": "sign", "reason": "unspecified"},
    )


def test_a_revoked_certificate_cannot_be_revoked_again_and_the_clerk_is_told_why_R_CERT_6(office):
    rid = new_resident(office)
    card_id = issued_card(office, rid)
    with office.work(at=at("2026-01-05"), actor="clerk") as w:
        certificates.revoke(w, card_id, "auth")
    with pytest.raises(StateError) as err, office.work(at=at("2026-01-06"), actor="clerk") as w:
        cert = repo.latest_certificate(w.session, card_id, "auth")
        serial = cert.serial
        pki.revoke(w, cert, RevocationReason.KEY_COMPROMISE)
    assert err.value.message == f"Certificate {serial:x} is already revoked."
    assert err.value.message_ja == "この電子証明書はすでに失効しているか、有効期間が満了しています。"
    assert len(_events(office, rid, "certificate_revoked")) == 1


def test_found_lifts_the_hold_left_after_one_certificate_was_released_alone_R_LOSS_3(office):
    """A lost card's signing certificate released on its own at the window; when the card is
    found, the authentication certificate still on hold is released too."""
    card_id = issued_card(office, new_resident(office))
    with office.work(at=at("2027-01-17T03:00"), actor="hotline") as w:
        loss.hotline_suspend(w, name="能登 太郎", birth_date=date(1990, 6, 15))
    with office.work(at=at("2027-01-18"), actor="clerk") as w:
        certificates.release(w, card_id, "sign")
    with office.work(at=at("2027-01-19"), actor="clerk") as w:
        done = loss.found(w, card_id)
    assert done == {"auth": "release"}
    with office.work(at=at("2027-01-19T11:00"), actor="reader") as w:
        assert repo.latest_certificate(w.session, card_id, "sign").status == "good"
        assert repo.latest_certificate(w.session, card_id, "auth").status == "good"


def test_a_returned_card_keeps_the_certificate_expiry_its_face_shows_R_CARD_10(office):
    rid = new_resident(office)
    card_id = issued_card(office, rid)
    with office.work(at=at("2026-01-05"), actor="reader") as w:
        written = repo.card(w.session, card_id).cert_expires_on
    assert written is not None
    with office.work(at=at("2026-02-01"), actor="clerk") as w:
        lifecycle.return_card(w, card_id)
    with office.work(at=at("2026-02-02"), actor="reader") as w:
        c = repo.card(w.session, card_id)
        assert c.state == "returned"
        assert c.cert_expires_on == written
        assert repo.latest_certificate(w.session, card_id, "sign").status == "revoked"


def test_a_locked_pin_is_named_in_the_refusal_R_PIN_2(office):
    card_id = issued_card(office, new_resident(office))
    with office.work(at=at("2026-01-01"), actor="holder") as w:
        store = StorePins(office, card_id, work=w)
        for _ in range(3):
            store.spend(PinId.RESIDENT)
    with pytest.raises(PinLocked) as err, office.work(at=at("2026-01-01"), actor="holder") as w:
        StorePins(office, card_id, work=w).spend(PinId.RESIDENT)
    assert err.value.fields["pin"] == "resident"
    assert err.value.message.startswith("The resident PIN is locked.")
    assert err.value.message_ja.startswith("住民基本台帳用の暗証番号がロックされています。")


def test_a_card_face_pin_try_is_counted_and_has_no_stored_verifier_R_PIN_7(office):
    """The card-face PINs are compared with the card data, not with a stored verifier."""
    card_id = issued_card(office, new_resident(office))
    with office.work(at=at("2026-01-01"), actor="holder") as w:
        spent = StorePins(office, card_id, work=w).spend(FacePin.B)
        assert (spent.pin, spent.verifier, spent.tries_left) == (FacePin.B, None, 9)
        assert StorePins(office, card_id, work=w).tries_left(FacePin.B) == 9
        assert StorePins(office, card_id, work=w).tries_left(FacePin.A) == 10


def test_a_certificate_added_at_the_window_is_returned_good_and_current_R_CERT_10(office):
    card_id = issued_card(office, new_resident(office), certificates="auth", pins={**PINS_NO_SIGN})
    with office.work(at=at("2026-01-10"), actor="clerk") as w:
        added = certificates.add(w, card_id, "sign", pin="XYZ789")
        assert (added.certificate.status, added.certificate.kind, added.certificate.card_id) == (
            "good",
            "sign",
            card_id,
        )
        assert added.certificate.not_before == at("2026-01-10")
        serial, expires_on = added.certificate.serial, added.certificate.expires_on
    [issued] = [
        e for e in _events(office, _rid(office, card_id), "certificate_issued") if e.certificate_serial == serial
    ]
    assert (issued.card_id, issued.details) == (card_id, {"kind": "sign", "expires_on": str(expires_on)})


def _rid(office, card_id: str) -> int:
    with office.work(at=at("2026-01-11"), actor="reader") as w:
        return repo.card(w.session, card_id).resident_id
