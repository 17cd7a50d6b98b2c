"""Certificate workflows at the window, called directly (R_CERT_3, R_CERT_4, R_CERT_6, R_CERT_10,
R_LOSS_4): the certificate issued or renewed, the fee, the event, and each refusal with its
class and both messages."""

from __future__ import annotations

from datetime import date

import pytest

from mynacard.chip import PinId
from mynacard.db import repositories as repo
from mynacard.errors import NotAllowedError, StateError, ValidationError
from mynacard.services import cards, certificates, chips, loss, residents
from mynacard.services.context import Office
from tests.keypool import pooled_key
from tests.services.conftest import MASTER_KEY, NAKANOTO, at, issued_card, new_resident
from tests.services.test_cert_choice import CERT_LINE, HAND_ON, _lost_and_made, _pins
from tests.storetemplate import migrated_store

#: The default card of conftest: holder born 1990-06-15, handed over 2025-05-10; its certificates
#: run to the 5th birthday after issue, 2029-06-15 (R_CERT_3), renewable from 3 months before.
CERT_EXPIRES = date(2029, 6, 15)
RENEWAL_OPENS = "2029-03-16"


@pytest.fixture(scope="module")
def office(tmp_path_factory):
    store = migrated_store(tmp_path_factory.mktemp("certs") / "test.db")
    off = Office(store=store, master_key=MASTER_KEY, keygen=pooled_key)
    with off.work(at=at("2020-01-01"), actor="setup") as w:
        residents.add_municipality(w, NAKANOTO, "中能登町", "石川県")
    yield off
    store.dispose()


def _suspend(office: Office, card_id: str, when: str) -> None:
    with office.work(at=at(when), actor="hotline") as w:
        loss.report_loss(w, card_id)


def _last_event(w, card_id: str, action: str):
    return [e for e in repo.events(w.session, card_id=card_id) if e.action == action][-1]


# --- add (R_CERT_10, R_CERT_4, R_LOSS_4) ------------------------------------------------------------


def test_added_certificate_charged_once_and_logged_R_CERT_10_R_LOSS_4(office):
    rid = new_resident(office)
    card_id = _lost_and_made(office, rid, "none")
    with office.work(at=at(HAND_ON), actor="clerk") as w:
        cards.issue(w, card_id, identity_documents=["passport"], pins=_pins("none"))
        fee_before = repo.application(w.session, repo.card(w.session, card_id).application_id).fee_total
    with office.work(at=at("2027-03-01"), actor="clerk") as w:
        added = certificates.add(w, card_id, "sign", pin="XYZ789")
        assert added.receipt.lines == [CERT_LINE]
        app = repo.application(w.session, repo.card(w.session, card_id).application_id)
        assert app.fee_total == fee_before + 200
        ev = _last_event(w, card_id, "certificate_added")
        assert (ev.resident_id, ev.certificate_serial) == (rid, added.certificate.serial)
        assert ev.details == {"kind": "sign", "fee": 200, "receipt": added.receipt.number}


def test_free_added_certificate_logged_with_no_fee_R_CERT_10(office):
    rid = new_resident(office)
    card_id = issued_card(office, rid, certificates="auth", pins=_pins("auth"))
    with office.work(at=at("2026-01-10"), actor="clerk") as w:
        added = certificates.add(w, card_id, "sign", pin="XYZ789")
        assert added.receipt is None
        ev = _last_event(w, card_id, "certificate_added")
        assert (ev.resident_id, ev.card_id, ev.certificate_serial) == (rid, card_id, added.certificate.serial)
        assert ev.details == {"kind": "sign", "fee": 0, "receipt": None}


def test_certificate_in_effect_not_added_twice(office):
    rid = new_resident(office)
    card_id = issued_card(office, rid)
    with office.work(at=at("2026-01-10"), actor="clerk") as w:
        with pytest.raises(StateError) as e:
            certificates.add(w, card_id, "auth", pin="4321")
        assert e.value.to_dict() == {
            "code": "wrong_state",
            "message": "The card already has a auth certificate in effect; renew or revoke it.",
            "message_ja": "利用者証明用電子証明書はすでに有効です。",
        }


def test_certificate_not_added_to_a_suspended_card(office):
    rid = new_resident(office)
    card_id = issued_card(office, rid, certificates="auth", pins=_pins("auth"))
    _suspend(office, card_id, "2027-01-17T03:00")
    with office.work(at=at("2027-01-18"), actor="clerk") as w:
        with pytest.raises(StateError) as e:
            certificates.add(w, card_id, "sign", pin="XYZ789")
        assert e.value.to_dict() == {
            "code": "wrong_state",
            "message": f"Cannot issue a certificate: card {card_id} is suspended (it must be issued).",
            "message_ja": "電子証明書を発行できません。カードの状態は「一時停止中」です。",
            "card_id": card_id,
            "state": "suspended",
        }


NO_SIGNING = {
    "code": "not_allowed",
    "message": "No signing certificate for under-15s or adult wards (R_CERT_4).",
    "message_ja": "15歳未満の方・成年被後見人の方には署名用電子証明書は発行されません。",
}


def test_no_signing_certificate_for_an_adult_ward_R_CERT_4(office):
    rid = new_resident(office, name="能登 三郎")
    card_id = issued_card(office, rid, certificates="auth", pins=_pins("auth"))
    with office.work(at=at("2026-01-09"), actor="clerk") as w:
        residents.get(w, rid).adult_ward = True
    with office.work(at=at("2026-01-10"), actor="clerk") as w:
        with pytest.raises(NotAllowedError) as e:
            certificates.add(w, card_id, "sign", pin="XYZ789")
        assert e.value.to_dict() == NO_SIGNING


def test_under_15_gets_an_authentication_certificate_not_a_signing_one_R_CERT_4(office):
    rid = new_resident(office, birth=date(2015, 6, 15), name="能登 四郎")
    card_id = issued_card(
        office, rid, certificates="none", pins=_pins("none"), legal_representative="能登 太郎(父)"
    )
    with office.work(at=at("2026-01-10"), actor="clerk") as w:
        with pytest.raises(NotAllowedError) as e:
            certificates.add(w, card_id, "sign", pin="XYZ789")
        assert e.value.to_dict() == NO_SIGNING
        added = certificates.add(w, card_id, "auth", pin="4321")
        assert added.certificate.kind == "auth"


# --- renew (R_CERT_3) ------------------------------------------------------------------------------


def test_renewal_before_its_window_refused_R_CERT_3(office):
    rid = new_resident(office)
    card_id = issued_card(office, rid)
    with office.work(at=at("2029-03-15"), actor="clerk") as w:
        with pytest.raises(NotAllowedError) as e:
            certificates.renew(w, card_id, "auth")
        assert e.value.to_dict() == {
            "code": "not_allowed",
            "message": f"Certificate renewal opens on {RENEWAL_OPENS}, 3 months before its expiry 2029-06-15 "
            "(R_CERT_3).",
            "message_ja": "電子証明書の更新は、有効期限 令和11年6月15日(2029-06-15) の3か月前、"
            "令和11年3月16日(2029-03-16) から受け付けます。",
            "opens_on": RENEWAL_OPENS,
        }


def test_renewal_on_the_opening_day_supersedes_the_old_one_R_CERT_3(office):
    rid = new_resident(office)
    card_id = issued_card(office, rid)
    with office.work(at=at(RENEWAL_OPENS), actor="clerk") as w:
        old = repo.current_certificate(w.session, card_id, "auth")
        old_serial = old.serial
        new = certificates.renew(w, card_id, "auth")  # no new PIN: the old one stays
        assert new.expires_on == date(2034, 6, 15)  # 5th birthday after the old expiry
        assert old.status == "revoked"
        assert repo.current_certificate(w.session, card_id, "auth").serial == new.serial
        c = repo.card(w.session, card_id)
        assert chips.chip_of(w, c).is_set(PinId.AUTH)
        ev = _last_event(w, card_id, "certificate_renewed")
        assert (ev.resident_id, ev.certificate_serial) == (rid, new.serial)
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


def test_renewal_of_a_revoked_or_held_certificate_refused(office):
    rid = new_resident(office)
    card_id = issued_card(office, rid)
    with office.work(at=at("2029-04-01"), actor="clerk") as w:
        certificates.revoke(w, card_id, "sign")
        with pytest.raises(StateError) as e:
            certificates.renew(w, card_id, "sign")
        assert e.value.to_dict() == {
            "code": "wrong_state",
            "message": "The certificate is revoked: issue a new one instead of renewing.",
            "message_ja": "失効した電子証明書は更新できません。新規に発行してください。",
        }


def test_renewal_of_a_card_not_in_effect_refused(office):
    rid = new_resident(office)
    card_id = issued_card(office, rid)
    _suspend(office, card_id, "2029-04-01T03:00")
    with office.work(at=at("2029-04-01"), actor="clerk") as w:
        with pytest.raises(StateError) as e:
            certificates.renew(w, card_id, "auth")
        assert e.value.to_dict() == {
            "code": "wrong_state",
            "message": f"Cannot renew a certificate: card {card_id} is suspended (it must be issued).",
            "message_ja": "電子証明書を更新できません。カードの状態は「一時停止中」です。",
            "card_id": card_id,
            "state": "suspended",
        }
        # the held certificate can be released, one at a time
        cert = certificates.release(w, card_id, "auth")
        assert cert.status == "good"


def test_renewal_of_a_held_certificate_refused(office):
    rid = new_resident(office)
    card_id = issued_card(office, rid)
    with office.work(at=at("2029-04-01"), actor="clerk") as w:
        from mynacard.services import pki

        pki.hold(w, repo.current_certificate(w.session, card_id, "auth"))
        with pytest.raises(StateError) as e:
            certificates.renew(w, card_id, "auth")
        assert e.value.to_dict() == {
            "code": "wrong_state",
            "message": "The certificate is on hold: release or revoke the hold first.",
            "message_ja": "一時保留中の電子証明書は更新できません。",
        }


def test_release_of_a_card_without_the_certificate_refused(office):
    rid = new_resident(office)
    card_id = issued_card(office, rid, certificates="auth", pins=_pins("auth"))
    with office.work(at=at("2026-01-10"), actor="clerk") as w:
        with pytest.raises(StateError) as e:
            certificates.release(w, card_id, "sign")
        assert e.value.to_dict() == {
            "code": "wrong_state",
            "message": "The card has no sign certificate.",
            "message_ja": "署名用電子証明書がありません。",
        }
