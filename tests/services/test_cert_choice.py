"""The certificates are the holder's choice at application, hand-over and later at the window
(R_CERT_10, R_CERT_4, R_CERT_6, R_LOSS_4).

The fee table covers first issue, renewal and every reissue reason with each choice: the card
fee as one receipt line, the certificate fee as another, and the latter only when a
certificate is issued. The card handed over then carries exactly the chosen certificates: a
key, a certificate and a PIN for each, nothing for a declined one.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import pytest

from mynacard.chip import KeySlot, PinId
from mynacard.db import repositories as repo
from mynacard.errors import NotAllowedError, ValidationError
from mynacard.services import cards, certificates, chips, lifecycle, reissue
from mynacard.services.context import Office, Work
from tests.services.conftest import PINS, at, issued_card, new_resident
from tests.services.test_reissue_policy import _fill_notes, _suspend

CARD_LINE = {"item": "card reissue", "item_ja": "個人番号カード再交付手数料", "amount": 800}
CERT_LINE = {"item": "certificate reissue", "item_ja": "電子証明書発行手数料", "amount": 200}
CHOICES = {"both": {"sign", "auth"}, "sign": {"sign"}, "auth": {"auth"}, "none": set()}
APPLY_ON, MAKE_ON, HAND_ON = "2027-01-20", "2027-01-25", "2027-01-30"

Apply = Callable[[Work, str], Any]  # (work, choice) -> Applied


def _reissue(rid: int, reason: str, documents: dict[str, str] | None = None) -> Apply:
    return lambda w, certs: cards.apply(w, rid, kind="reissue", reason=reason, documents=documents or {},
                                        certificates=certs)


def first_issue(office: Office, rid: int, card_id: str | None) -> Apply:
    return lambda w, certs: cards.apply(w, rid, kind="new", channel="window", certificates=certs)


def renewal(office: Office, rid: int, card_id: str | None) -> Apply:
    return lambda w, certs: cards.apply(w, rid, kind="renewal", certificates=certs)


def number_change(office: Office, rid: int, card_id: str | None) -> Apply:
    return lambda w, certs: lifecycle.change_number(w, rid, reason="漏えい", certificates=certs).application


def notes_full(office: Office, rid: int, card_id: str | None) -> Apply:
    _fill_notes(office, rid, 4)
    return _reissue(rid, "notes_full")


def disaster(office: Office, rid: int, card_id: str | None) -> Apply:
    return _reissue(rid, "disaster", {"disaster_certificate": "罹災第12号"})


def disaster_unproven(office: Office, rid: int, card_id: str | None) -> Apply:
    return _reissue(rid, "disaster")


def theft(office: Office, rid: int, card_id: str | None) -> Apply:
    _suspend(office, card_id)
    return _reissue(rid, "theft", {"police_report": "七尾署 第99号"})


def loss_not_holders_fault(office: Office, rid: int, card_id: str | None) -> Apply:
    _suspend(office, card_id)
    return _reissue(rid, "loss_not_holders_fault", {"police_report": "第7号"})


def admin_error(office: Office, rid: int, card_id: str | None) -> Apply:
    with office.work(at=at("2027-01-19"), actor="supervisor-1") as w:
        reissue.record_admin_error(w, rid, description="券面の誤記", recorded_role="supervisor")
    return _reissue(rid, "admin_error")


def return_from_abroad(office: Office, rid: int, card_id: str | None) -> Apply:
    with office.work(at=at("2027-01-15"), actor="clerk") as w:
        reissue.record_moved_in_from_abroad(w, rid, moved_in_on=date(2027, 1, 12))
    return _reissue(rid, "return_from_abroad")


def loss(office: Office, rid: int, card_id: str | None) -> Apply:
    _suspend(office, card_id)
    return _reissue(rid, "loss", {"police_report": "第1号"})


def damage(office: Office, rid: int, card_id: str | None) -> Apply:
    return _reissue(rid, "damage", {"damaged_card": "presented"})


# reason, setup, paid? (R_LOSS_4: the card fee, and the certificate fee with a certificate)
REASONS: list[tuple[str, Callable[[Office, int, str | None], Apply], bool]] = [
    ("first_issue", first_issue, False),
    ("renewal", renewal, False),
    ("number_change", number_change, False),
    ("notes_full", notes_full, False),
    ("disaster", disaster, False),
    ("disaster_without_certificate", disaster_unproven, True),
    ("theft", theft, False),
    ("loss_not_holders_fault", loss_not_holders_fault, False),
    ("admin_error", admin_error, False),
    ("return_from_abroad", return_from_abroad, False),
    ("loss", loss, True),
    ("damage", damage, True),
]
ROWS = [(name, setup, paid, choice) for name, setup, paid in REASONS for choice in CHOICES]


def _dates(name: str) -> tuple[str, str, str]:
    # A renewal is applied for inside its window: the card of 2025 expires on 2034-06-15.
    return ("2034-04-01", "2034-04-10", "2034-04-20") if name == "renewal" else (APPLY_ON, MAKE_ON, HAND_ON)


def _pins(choice: str) -> dict[str, str]:
    return {k: v for k, v in PINS.items() if k in ("resident", "card_info") or k in CHOICES[choice]}


@pytest.mark.parametrize(("name", "setup", "paid", "choice"), ROWS, ids=[f"{r[0]}-{r[3]}" for r in ROWS])
def test_fee_and_card_follow_the_choice_R_LOSS_4_R_CERT_10(office, name, setup, paid, choice):
    rid = new_resident(office)
    old = None if name == "first_issue" else issued_card(office, rid)
    run = setup(office, rid, old)
    applied_on, made_on, hand_on = _dates(name)
    with office.work(at=at(applied_on), actor="clerk") as w:
        applied = run(w, choice)
        app = applied.application
        assert app.certificates == choice  # recorded on the application
        expected = ([CARD_LINE] + ([CERT_LINE] if CHOICES[choice] else [])) if paid else []
        assert (applied.receipt.lines if applied.receipt else []) == expected
        assert app.fee_total == sum(x["amount"] for x in expected)
        card_id = applied.card.id
    with office.work(at=at(made_on), actor="j-lis") as w:
        cards.make(w, card_id)
    with office.work(at=at(hand_on), actor="clerk") as w:
        issued = cards.issue(w, card_id, identity_documents=["passport"], pins=_pins(choice))
        assert issued.receipt is None  # everything was paid with the application
        assert set(issued.certificates) == CHOICES[choice]
        c = repo.card(w.session, card_id)
        chip = chips.chip_of(w, c)
        for slot in KeySlot:
            chosen = slot.value in CHOICES[choice]
            assert chip.has_key(slot) is chosen
            assert (chip.certificate(slot) is not None) is chosen
            assert (chip.ca_certificate(slot) is not None) is chosen
            assert chip.is_set(PinId(slot.value)) is chosen
        certs = [x for x in repo.certificates_of_card(w.session, card_id)]
        assert {x.kind for x in certs} == CHOICES[choice]
        assert c.cert_expires_on == (min(x.expires_on for x in certs) if certs else None)
        receipts = repo.receipts_of(w.session, rid)
        assert sum(rc.total for rc in receipts if rc.application_id == app.id) == app.fee_total


def _made(office: Office, rid: int, **apply_kw) -> str:
    with office.work(at=at(APPLY_ON), actor="clerk") as w:
        card_id = cards.apply(w, rid, **apply_kw).card.id
    with office.work(at=at(MAKE_ON), actor="j-lis") as w:
        cards.make(w, card_id)
    return card_id


def _lost_and_made(office: Office, rid: int, certs: str) -> str:
    _suspend(office, issued_card(office, rid))
    return _made(office, rid, kind="reissue", reason="loss", documents={"police_report": "第1号"}, certificates=certs)


def _untouched(office: Office, card_id: str) -> None:
    with office.work(at=at(HAND_ON), actor="t") as w:
        c = repo.card(w.session, card_id)
        assert c.state == "made" and repo.certificates_of_card(w.session, card_id) == []
        chip = chips.chip_of(w, c)
        assert not any(chip.is_set(p) for p in PinId)


def test_pin_for_a_declined_certificate_is_refused_store_unchanged_R_CERT_10(office):
    rid = new_resident(office)
    card_id = _made(office, rid, certificates="auth")
    with pytest.raises(ValidationError) as err, office.work(at=at(HAND_ON), actor="clerk") as w:
        cards.issue(w, card_id, identity_documents=["passport"], pins=PINS)
    assert err.value.field == "pin.sign" and "署名用電子証明書" in err.value.message_ja
    _untouched(office, card_id)


def test_signing_certificate_refused_for_under_15_at_application_R_CERT_4(office):
    rid = new_resident(office, birth=date(2015, 3, 3))
    for choice in ("both", "sign"):
        with pytest.raises(NotAllowedError) as err, office.work(at=at(APPLY_ON), actor="clerk") as w:
            cards.apply(w, rid, certificates=choice)
        assert "R_CERT_4" in err.value.message
    with office.work(at=at(APPLY_ON), actor="t") as w:
        assert repo.pending_card(w.session, rid) is None


def test_signing_certificate_refused_for_adult_ward_at_hand_over_R_CERT_4(office):
    rid = new_resident(office, adult_ward=True)
    card_id = _made(office, rid, certificates="auth")
    with pytest.raises(NotAllowedError), office.work(at=at(HAND_ON), actor="clerk") as w:
        cards.issue(w, card_id, identity_documents=["passport"], pins=PINS, certificates="sign",
                    legal_representative="後見人")
    _untouched(office, card_id)


def test_no_certificate_after_paying_its_fee_is_refused_R_LOSS_4(office):
    """Charged for a certificate not issued: refused, the card stays to be handed over."""
    rid = new_resident(office)
    card_id = _lost_and_made(office, rid, "both")
    with pytest.raises(NotAllowedError) as err, office.work(at=at(HAND_ON), actor="clerk") as w:
        cards.issue(w, card_id, identity_documents=["passport"], pins=_pins("none"), certificates="none")
    assert "fee" in err.value.message and "手数料" in err.value.message_ja
    _untouched(office, card_id)


def test_certificates_chosen_at_hand_over_pay_their_fee_then_R_LOSS_4(office):
    rid = new_resident(office)
    card_id = _lost_and_made(office, rid, "none")
    with office.work(at=at(HAND_ON), actor="clerk") as w:
        issued = cards.issue(w, card_id, identity_documents=["passport"], pins=_pins("auth"), certificates="auth")
        assert issued.receipt is not None and issued.receipt.lines == [CERT_LINE]
        app = repo.application(w.session, issued.card.application_id)
        assert (app.certificates, app.fee_total) == ("auth", 1000)


def test_declined_certificate_added_later_with_its_fee_once_R_CERT_10_R_LOSS_4(office):
    rid = new_resident(office)
    card_id = _lost_and_made(office, rid, "none")
    with office.work(at=at(HAND_ON), actor="clerk") as w:
        cards.issue(w, card_id, identity_documents=["passport"], pins=_pins("none"))
        assert repo.card(w.session, card_id).cert_expires_on is None
    with office.work(at=at("2027-03-01"), actor="clerk") as w:
        added = certificates.add(w, card_id, "sign", pin="XYZ789")
        assert added.receipt is not None and added.receipt.lines == [CERT_LINE]
        c = repo.card(w.session, card_id)
        assert chips.chip_of(w, c).has_key(KeySlot.SIGN) and chips.chip_of(w, c).is_set(PinId.SIGN)
        assert c.cert_expires_on == added.certificate.expires_on
    with office.work(at=at("2027-03-02"), actor="clerk") as w:
        second = certificates.add(w, card_id, "auth", pin="4321")
        assert second.receipt is None  # the certificate fee of this card is paid
        # the application keeps what was chosen at hand-over; the additions are in the event log
        assert repo.application(w.session, repo.card(w.session, card_id).application_id).certificates == "none"
        actions = [e.action for e in repo.events(w.session, card_id=card_id)]
        assert actions.count("certificate_added") == 2


def test_certificate_added_to_a_free_card_is_free_R_CERT_10(office):
    rid = new_resident(office)
    card_id = issued_card(office, rid, certificates="auth", pins=_pins("auth"))
    with office.work(at=at("2026-01-10"), actor="clerk") as w:
        added = certificates.add(w, card_id, "sign", pin="XYZ789")
        assert added.receipt is None
        assert repo.receipts_of(w.session, rid) == []


def test_voluntary_revocation_leaves_the_chip_as_if_declined_R_CERT_6(office):
    rid = new_resident(office)
    card_id = issued_card(office, rid)
    with office.work(at=at("2026-01-10"), actor="clerk") as w:
        cert = certificates.revoke(w, card_id, "sign")
        assert cert.status == "revoked"
        c = repo.card(w.session, card_id)
        chip = chips.chip_of(w, c)
        assert not chip.has_key(KeySlot.SIGN) and chip.certificate(KeySlot.SIGN) is None
        assert not chip.is_set(PinId.SIGN) and chip.is_set(PinId.AUTH)
        auth = repo.current_certificate(w.session, card_id, "auth")
        assert c.cert_expires_on == auth.expires_on
        assert [e.action for e in repo.events(w.session, card_id=card_id)][-1] == "certificate_revoked"
    with office.work(at=at("2026-02-10"), actor="clerk") as w:  # and a new one can be added
        assert certificates.add(w, card_id, "sign", pin="NEW123").receipt is None


def test_signing_certificate_without_authentication_one_is_capped_by_the_card_R_CERT_3(office):
    rid = new_resident(office)
    card_id = issued_card(office, rid, certificates="sign", pins=_pins("sign"))
    with office.work(at=at("2026-01-10"), actor="t") as w:
        (cert,) = repo.certificates_of_card(w.session, card_id)
        assert (cert.kind, cert.expires_on) == ("sign", date(2029, 6, 15))  # 5th birthday after 2025-05-10


def test_move_revoking_the_only_certificate_clears_the_card_face_field_R_CERT_5(office):
    """A move revokes the signing certificate at once; on a card that carried only that one, the
    face's certificate-expiry field no longer has a date to show (電子証明書なし)."""
    from mynacard.services import face

    rid = new_resident(office)
    card_id = issued_card(office, rid, certificates="sign", pins=_pins("sign"))
    with office.work(at=at("2026-01-10"), actor="clerk") as w:
        assert repo.card(w.session, card_id).cert_expires_on == date(2029, 6, 15)
        face.move_within(w, rid, new_address="石川県鹿島郡中能登町井田2番地")
    with office.work(at=at("2026-01-11"), actor="clerk") as w:
        c = repo.card(w.session, card_id)
        assert c.state == "issued" and c.cert_expires_on is None
        assert repo.current_certificate(w.session, card_id, "sign") is None
