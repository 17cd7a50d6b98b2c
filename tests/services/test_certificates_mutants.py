"""Certificates at the window: adding one (and its fee on the application), renewing one, releasing a
hold: what is refused, word for word, and what the event log keeps (R_CERT_3, R_CERT_4, R_CERT_6,
R_CERT_10, R_LOSS_4). Written against the mutants that lived in ``services/certificates.py``."""

from __future__ import annotations

from datetime import date

import pytest

from mynacard.db import repositories as repo
from mynacard.errors import NotAllowedError, NotFoundError, StateError
from mynacard.services import cards, certificates, loss, pki
from tests.services.conftest import PINS, at, issued_card, new_resident
from tests.services.test_cert_choice import HAND_ON, _lost_and_made, _pins


def _event(office, card_id: str, action: str):
    with office.work(at=at("2035-01-01"), actor="reader") as w:
        [ev] = [e for e in repo.events(w.session, card_id=card_id) if e.action == action]
        w.session.expunge(ev)
        return ev


def _suspend(office) -> None:
    with office.work(at=at("2027-01-17T03:00"), actor="hotline") as w:
        loss.hotline_suspend(w, name="能登 太郎", birth_date=date(1990, 6, 15))


def test_a_certificate_added_at_its_fee_adds_the_fee_to_the_application_and_is_logged_R_CERT_10_R_LOSS_4(office):
    rid = new_resident(office)
    card_id = _lost_and_made(office, rid, "none")
    with office.work(at=at(HAND_ON), actor="clerk") as w:
        cards.issue(w, card_id, identity_documents=["passport"], pins=_pins("none"))
        before = repo.application(w.session, repo.card(w.session, card_id).application_id).fee_total
    with office.work(at=at("2027-03-01"), actor="clerk") as w:
        added = certificates.add(w, card_id, "sign", pin="XYZ789")
        number, serial = added.receipt.number, added.certificate.serial
        after = repo.application(w.session, repo.card(w.session, card_id).application_id).fee_total
    assert (before, after) == (800, 1000)
    ev = _event(office, card_id, "certificate_added")
    assert (ev.resident_id, ev.card_id, ev.certificate_serial) == (rid, card_id, serial)
    assert ev.details == {"kind": "sign", "fee": 200, "receipt": number}


def test_a_free_certificate_added_is_logged_with_no_fee_and_no_receipt_R_CERT_10(office):
    rid = new_resident(office)
    card_id = issued_card(office, rid, certificates="auth", pins=_pins("auth"))
    with office.work(at=at("2026-01-10"), actor="clerk") as w:
        assert certificates.add(w, card_id, "sign", pin="XYZ789").receipt is None
    assert _event(office, card_id, "certificate_added").details == {"kind": "sign", "fee": 0, "receipt": None}


def test_a_certificate_is_not_added_to_a_suspended_card_or_twice(office):
    rid = new_resident(office)
    card_id = issued_card(office, rid, certificates="auth", pins=_pins("auth"))
    with pytest.raises(StateError) as err, office.work(at=at("2026-01-10"), actor="clerk") as w:
        certificates.add(w, card_id, "auth", pin="1234")
    assert (err.value.message, err.value.message_ja) == (
        "The card already has a auth certificate in effect; renew or revoke it.",
        "利用者証明用電子証明書はすでに有効です。")
    _suspend(office)
    with pytest.raises(StateError) as err, office.work(at=at("2027-01-18"), actor="clerk") as w:
        certificates.add(w, card_id, "sign", pin="XYZ789")
    assert err.value.message == f"Cannot issue a certificate: card {card_id} is suspended (it must be issued)."
    assert err.value.message_ja == "電子証明書を発行できません。カードの状態は「一時停止中」です。"


def test_no_signing_certificate_is_added_for_an_adult_ward_R_CERT_4(office):
    rid = new_resident(office, adult_ward=True)
    card_id = issued_card(office, rid, certificates="auth", pins=_pins("auth"), legal_representative="後見人")
    with pytest.raises(NotAllowedError) as err, office.work(at=at("2026-01-10"), actor="clerk") as w:
        certificates.add(w, card_id, "sign", pin="XYZ789")
    assert (err.value.message, err.value.message_ja) == (
        "No signing certificate for under-15s or adult wards (R_CERT_4).",
        "15歳未満の方・成年被後見人の方には署名用電子証明書は発行されません。")


def test_a_child_gets_an_authentication_certificate_back_after_revoking_it_R_CERT_4(office):
    rid = new_resident(office, birth=date(2015, 6, 15))
    card_id = issued_card(office, rid, certificates="auth", pins=_pins("auth"), legal_representative="母")
    with office.work(at=at("2026-01-10"), actor="clerk") as w:
        certificates.revoke(w, card_id, "auth")
    with office.work(at=at("2026-01-11"), actor="clerk") as w:
        assert certificates.add(w, card_id, "auth", pin="1234").certificate.kind == "auth"


def test_renewal_is_refused_word_for_word_when_it_cannot_be_done_R_CERT_3(office):
    rid = new_resident(office)
    card_id = issued_card(office, rid, certificates="auth", pins=_pins("auth"))  # certificates expire 2029-06-15

    def refused(kind: str, when: str):
        with pytest.raises((StateError, NotFoundError, NotAllowedError)) as err, \
                office.work(at=at(when), actor="clerk") as w:
            certificates.renew(w, card_id, kind)
        return err.value

    e = refused("sign", "2029-04-01")
    assert (type(e), e.message, e.message_ja) == (
        NotFoundError, "The card has no sign certificate to renew; issue a new one.",
        "更新する署名用電子証明書がありません。")
    e = refused("auth", "2029-03-15")
    assert e.message == "Certificate renewal opens on 2029-03-16, 3 months before its expiry 2029-06-15 (R_CERT_3)."
    assert e.message_ja == (
        "電子証明書の更新は、有効期限 令和11年6月15日(2029-06-15) の3か月前、"
        "令和11年3月16日(2029-03-16) から受け付けます。")
    assert e.opens_on == "2029-03-16"
    with office.work(at=at("2029-03-20T03:00"), actor="hotline") as w:
        loss.hotline_suspend(w, name="能登 太郎", birth_date=date(1990, 6, 15))
    e = refused("auth", "2029-04-01")
    assert e.message == f"Cannot renew a certificate: card {card_id} is suspended (it must be issued)."
    assert e.message_ja == "電子証明書を更新できません。カードの状態は「一時停止中」です。"


def test_a_held_or_revoked_certificate_is_not_renewed_R_CERT_3_R_CERT_6(office):
    rid = new_resident(office)
    card_id = issued_card(office, rid)
    with office.work(at=at("2029-04-01"), actor="clerk") as w:
        pki.hold(w, repo.latest_certificate(w.session, card_id, "sign"))  # the CA holds it alone
    with pytest.raises(StateError) as err, office.work(at=at("2029-04-02"), actor="clerk") as w:
        certificates.renew(w, card_id, "sign")
    assert (err.value.message, err.value.message_ja) == (
        "The certificate is on hold: release or revoke the hold first.", "一時保留中の電子証明書は更新できません。")
    with office.work(at=at("2029-04-03"), actor="clerk") as w:
        certificates.revoke(w, card_id, "sign")
    with pytest.raises(StateError) as err, office.work(at=at("2029-04-04"), actor="clerk") as w:
        certificates.renew(w, card_id, "sign")
    assert (err.value.message, err.value.message_ja) == (
        "The certificate is revoked: issue a new one instead of renewing.",
        "失効した電子証明書は更新できません。新規に発行してください。")


def test_a_renewal_supersedes_the_old_certificate_and_is_logged_R_CERT_3(office):
    rid = new_resident(office)
    card_id = issued_card(office, rid, pins=PINS)
    with office.work(at=at("2029-04-01"), actor="clerk") as w:
        old = repo.latest_certificate(w.session, card_id, "auth").serial
        new = certificates.renew(w, card_id, "auth", pin="9876").serial
    ev = _event(office, card_id, "certificate_renewed")
    assert (ev.resident_id, ev.card_id, ev.certificate_serial) == (rid, card_id, new)
    assert ev.details == {"kind": "auth", "previous": format(old, "x")}
    assert ev.details["previous"] == ev.details["previous"].lower()


def test_a_hold_is_released_one_certificate_at_a_time_and_only_where_there_is_one_R_CERT_6(office):
    rid = new_resident(office)
    card_id = issued_card(office, rid, certificates="auth", pins=_pins("auth"))
    _suspend(office)
    with pytest.raises(StateError) as err, office.work(at=at("2027-01-18"), actor="clerk") as w:
        certificates.release(w, card_id, "sign")
    assert (err.value.message, err.value.message_ja) == (
        "The card has no sign certificate.", "署名用電子証明書がありません。")
    with office.work(at=at("2027-01-18"), actor="clerk") as w:
        assert certificates.release(w, card_id, "auth").status == "good"
    assert _event(office, card_id, "certificate_released").details == {"kind": "auth"}
