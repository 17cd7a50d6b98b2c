"""Certificate workflows at the window, called directly (R_CERT_3, R_CERT_4, R_CERT_6, R_CERT_10,
R_LOSS_4): a certificate added and its fee, a renewal, a hold released, the event each one logs,
and each refusal with its class and both messages."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest
from cryptography.x509 import ReasonFlags

from mynacard.ca import CertStatus as OcspStatus
from mynacard.chip import KeySlot, PinId
from mynacard.db import repositories as repo
from mynacard.errors import MynaError, NotAllowedError, NotFoundError, StateError, ValidationError
from mynacard.services import cards, certificates, chips, loss, pki
from mynacard.services.context import Office, Work
from tests.services.conftest import at, issued_card, new_resident, open_office
from tests.services.test_cert_choice import CERT_LINE, HAND_ON, _lost_and_made, _pins

#: The default card of conftest: holder born 1990-06-15, handed over 2025-05-10; its certificates
#: run to the 5th birthday after issue, 2029-06-15 (R_CERT_3), renewable from 3 months before.
CERT_EXPIRES = date(2029, 6, 15)
RENEWAL_OPENS = "2029-03-16"
NO_SIGNING = {
    "code": "not_allowed",
    "message": "No signing certificate for under-15s or adult wards (R_CERT_4).",
    "message_ja": "15歳未満の方・成年被後見人の方には署名用電子証明書は発行されません。",
}


@pytest.fixture(scope="module")
def office(tmp_path_factory):
    """One store for the module: each test has a resident and a card of its own."""
    off = open_office(tmp_path_factory.mktemp("certs") / "test.db")
    yield off
    off.store.dispose()


def _auth_only_card(office: Office, rid: int, **issue_kw) -> str:
    """A card whose holder declined the signing certificate."""
    return issued_card(office, rid, certificates="auth", pins=_pins("auth"), **issue_kw)


def _suspend(office: Office, card_id: str, when: str) -> None:
    with office.work(at=at(when), actor="hotline") as w:
        loss.report_loss(w, card_id)


def _refusal(office: Office, when: str, error: type[MynaError], call: Callable[[Work], object]) -> MynaError:
    with pytest.raises(error) as err, office.work(at=at(when), actor="clerk") as w:
        call(w)
    return err.value


def _only_event(office: Office, card_id: str, action: str):
    with office.work(at=at("2035-01-01"), actor="reader") as w:
        [ev] = [e for e in repo.events(w.session, card_id=card_id) if e.action == action]
        w.session.expunge(ev)
        return ev


# --- add (R_CERT_10, R_CERT_4, R_LOSS_4) ------------------------------------------------------------


def test_a_certificate_added_at_its_fee_is_charged_once_on_the_application_and_logged_R_CERT_10_R_LOSS_4(office):
    rid = new_resident(office)
    card_id = _lost_and_made(office, rid, "none")
    with office.work(at=at(HAND_ON), actor="clerk") as w:
        cards.issue(w, card_id, identity_documents=["passport"], pins=_pins("none"))
        before = repo.application(w.session, repo.card(w.session, card_id).application_id).fee_total
    with office.work(at=at("2027-03-01"), actor="clerk") as w:
        added = certificates.add(w, card_id, "sign", pin="XYZ789")
        assert added.receipt.lines == [CERT_LINE]
        after = repo.application(w.session, repo.card(w.session, card_id).application_id).fee_total
    assert (before, after) == (800, 1000)
    ev = _only_event(office, card_id, "certificate_added")
    assert (ev.resident_id, ev.card_id, ev.certificate_serial) == (rid, card_id, added.certificate.serial)
    assert ev.details == {"kind": "sign", "fee": 200, "receipt": added.receipt.number}


def test_a_free_certificate_added_is_logged_with_no_fee_and_no_receipt_R_CERT_10(office):
    rid = new_resident(office)
    card_id = _auth_only_card(office, rid)
    with office.work(at=at("2026-01-10"), actor="clerk") as w:
        added = certificates.add(w, card_id, "sign", pin="XYZ789")
    assert added.receipt is None
    ev = _only_event(office, card_id, "certificate_added")
    assert (ev.resident_id, ev.card_id, ev.certificate_serial) == (rid, card_id, added.certificate.serial)
    assert ev.details == {"kind": "sign", "fee": 0, "receipt": None}


def test_a_certificate_is_not_added_twice_or_to_a_suspended_card(office):
    rid = new_resident(office)
    card_id = _auth_only_card(office, rid)
    e = _refusal(office, "2026-01-10", StateError, lambda w: certificates.add(w, card_id, "auth", pin="4321"))
    assert e.to_dict() == {
        "code": "wrong_state",
        "message": "The card already has a auth certificate in effect; renew or revoke it.",
        "message_ja": "利用者証明用電子証明書はすでに有効です。",
    }
    _suspend(office, card_id, "2027-01-17T03:00")
    e = _refusal(office, "2027-01-18", StateError, lambda w: certificates.add(w, card_id, "sign", pin="XYZ789"))
    assert e.to_dict() == {
        "code": "wrong_state",
        "message": f"Cannot issue a certificate: card {card_id} is suspended (it must be issued).",
        "message_ja": "電子証明書を発行できません。カードの状態は「一時停止中」です。",
        "card_id": card_id,
        "state": "suspended",
    }


def test_no_signing_certificate_is_added_for_an_adult_ward_R_CERT_4(office):
    rid = new_resident(office, adult_ward=True)
    card_id = _auth_only_card(office, rid, legal_representative="後見人")
    e = _refusal(office, "2026-01-10", NotAllowedError, lambda w: certificates.add(w, card_id, "sign", pin="XYZ789"))
    assert e.to_dict() == NO_SIGNING


def test_a_child_gets_an_authentication_certificate_again_after_revoking_it_but_no_signing_one_R_CERT_4(office):
    rid = new_resident(office, birth=date(2015, 6, 15))
    card_id = _auth_only_card(office, rid, legal_representative="母")
    e = _refusal(office, "2026-01-10", NotAllowedError, lambda w: certificates.add(w, card_id, "sign", pin="XYZ789"))
    assert e.to_dict() == NO_SIGNING
    with office.work(at=at("2026-01-10"), actor="clerk") as w:
        certificates.revoke(w, card_id, "auth")
    with office.work(at=at("2026-01-11"), actor="clerk") as w:
        assert certificates.add(w, card_id, "auth", pin="1234").certificate.kind == "auth"


# --- renew (R_CERT_3) ------------------------------------------------------------------------------


def test_renewal_is_refused_without_a_certificate_before_its_window_and_for_a_suspended_card_R_CERT_3(office):
    rid = new_resident(office)
    card_id = _auth_only_card(office, rid)  # the certificate expires 2029-06-15

    def renew(kind: str) -> Callable[[Work], object]:
        return lambda w: certificates.renew(w, card_id, kind)

    e = _refusal(office, "2029-04-01", NotFoundError, renew("sign"))
    assert e.to_dict() == {
        "code": "not_found",
        "message": "The card has no sign certificate to renew; issue a new one.",
        "message_ja": "更新する署名用電子証明書がありません。",
    }
    e = _refusal(office, "2029-03-15", NotAllowedError, renew("auth"))
    assert e.to_dict() == {
        "code": "not_allowed",
        "message": f"Certificate renewal opens on {RENEWAL_OPENS}, 3 months before its expiry 2029-06-15 (R_CERT_3).",
        "message_ja": "電子証明書の更新は、有効期限 令和11年6月15日(2029-06-15) の3か月前、"
        "令和11年3月16日(2029-03-16) から受け付けます。",
        "opens_on": RENEWAL_OPENS,
    }
    _suspend(office, card_id, "2029-03-20T03:00")
    e = _refusal(office, "2029-04-01", StateError, renew("auth"))
    assert e.to_dict() == {
        "code": "wrong_state",
        "message": f"Cannot renew a certificate: card {card_id} is suspended (it must be issued).",
        "message_ja": "電子証明書を更新できません。カードの状態は「一時停止中」です。",
        "card_id": card_id,
        "state": "suspended",
    }


def test_a_held_or_revoked_certificate_is_not_renewed_R_CERT_3_R_CERT_6(office):
    rid = new_resident(office)
    card_id = issued_card(office, rid)
    with office.work(at=at("2029-04-01"), actor="clerk") as w:
        pki.hold(w, repo.current_certificate(w.session, card_id, "sign"))  # the CA holds it alone
    e = _refusal(office, "2029-04-02", StateError, lambda w: certificates.renew(w, card_id, "sign"))
    assert e.to_dict() == {
        "code": "wrong_state",
        "message": "The certificate is on hold: release or revoke the hold first.",
        "message_ja": "一時保留中の電子証明書は更新できません。",
    }
    with office.work(at=at("2029-04-03"), actor="clerk") as w:
        certificates.revoke(w, card_id, "sign")
    e = _refusal(office, "2029-04-04", StateError, lambda w: certificates.renew(w, card_id, "sign"))
    assert e.to_dict() == {
        "code": "wrong_state",
        "message": "The certificate is revoked: issue a new one instead of renewing.",
        "message_ja": "失効した電子証明書は更新できません。新規に発行してください。",
    }


def test_renewal_on_the_opening_day_supersedes_the_old_certificate_and_is_logged_R_CERT_3(office):
    rid = new_resident(office)
    card_id = issued_card(office, rid)
    with office.work(at=at(RENEWAL_OPENS), actor="clerk") as w:
        old = repo.current_certificate(w.session, card_id, "auth")
        old_serial = old.serial
        new = certificates.renew(w, card_id, "auth")  # no new PIN: the old one stays
        assert new.expires_on == date(2034, 6, 15)  # 5th birthday after the old expiry
        assert old.status == "revoked"
        assert repo.current_certificate(w.session, card_id, "auth").serial == new.serial
        assert chips.chip_of(w, repo.card(w.session, card_id)).is_set(PinId.AUTH)
        new_serial = new.serial
    ev = _only_event(office, card_id, "certificate_renewed")
    assert (ev.resident_id, ev.card_id, ev.certificate_serial) == (rid, card_id, new_serial)
    assert ev.details == {"kind": "auth", "previous": format(old_serial, "x")}


def test_renewal_with_a_new_pin_checks_its_form_first_R_CERT_3(office):
    rid = new_resident(office)
    card_id = issued_card(office, rid)
    with office.work(at=at("2029-04-01"), actor="clerk") as w:
        with pytest.raises(ValidationError):
            certificates.renew(w, card_id, "sign", pin="12")
        assert repo.current_certificate(w.session, card_id, "sign").expires_on == CERT_EXPIRES
        certificates.renew(w, card_id, "auth")
        assert certificates.renew(w, card_id, "sign", pin="NEW123").expires_on == date(2034, 6, 15)


# --- release (R_CERT_6) ----------------------------------------------------------------------------


def test_a_hold_is_released_one_certificate_at_a_time_and_only_where_there_is_one_R_CERT_6(office):
    rid = new_resident(office)
    card_id = _auth_only_card(office, rid)
    _suspend(office, card_id, "2027-01-17T03:00")
    e = _refusal(office, "2027-01-18", StateError, lambda w: certificates.release(w, card_id, "sign"))
    assert e.to_dict() == {
        "code": "wrong_state",
        "message": "The card has no sign certificate.",
        "message_ja": "署名用電子証明書がありません。",
    }
    with office.work(at=at("2027-01-18"), actor="clerk") as w:
        assert certificates.release(w, card_id, "auth").status == "good"
    assert _only_event(office, card_id, "certificate_released").details == {"kind": "auth"}


# --- revoke (R_CERT_6) -----------------------------------------------------------------------------


KEY_COMPROMISE = ReasonFlags.key_compromise


def test_revocation_at_the_window_is_unspecified_but_after_a_hold_a_key_compromise_R_CERT_6(office):
    """The holder's own revocation of a good certificate gives no reason; a certificate on hold
    (its card reported lost) is revoked as compromised. Either way the chip forgets its key."""
    rid = new_resident(office)
    card_id = issued_card(office, rid)
    with office.work(at=at("2027-01-17"), actor="clerk") as w:
        pki.hold(w, repo.current_certificate(w.session, card_id, "sign"))
    with office.work(at=at("2027-01-18"), actor="clerk") as w:
        for kind, reason, flag in [("auth", "unspecified", None), ("sign", "key_compromise", KEY_COMPROMISE)]:
            cert = certificates.revoke(w, card_id, kind)
            assert (cert.kind, cert.status, cert.reason) == (kind, "revoked", reason)
            assert pki.ocsp_status(cert) == OcspStatus("revoked", at("2027-01-18"), flag)  # what relying parties see
            assert not chips.chip_of(w, repo.card(w.session, card_id)).has_key(KeySlot(kind))
    with office.work(at=at("2035-01-01"), actor="reader") as w:
        revoked = [e.details for e in repo.events(w.session, card_id=card_id) if e.action == "certificate_revoked"]
    assert revoked == [{"kind": "auth", "reason": "unspecified"}, {"kind": "sign", "reason": "key_compromise"}]
    e = _refusal(office, "2027-01-19", StateError, lambda w: certificates.revoke(w, card_id, "sign"))
    assert e.to_dict() == {
        "code": "wrong_state",
        "message": "The card has no sign certificate in effect to revoke.",
        "message_ja": "失効させる署名用電子証明書がありません。",
    }
