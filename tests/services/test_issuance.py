"""Application, manufacture and hand-over (R_CARD_1, R_CARD_2, R_CERT_2..4)."""

from __future__ import annotations

from datetime import date

import pytest
from cryptography import x509

from mynacard.db import repositories as repo
from mynacard.errors import NotAllowedError, ValidationError
from mynacard.services import cards
from tests.services.conftest import PINS, at, issued_card, new_resident


def test_adult_card_lifecycle_to_issue_R_CARD_1_R_CARD_2(office):
    rid = new_resident(office, birth=date(1990, 6, 15))
    card_id = issued_card(office, rid)
    with office.work(at=at("2025-05-10"), actor="test") as w:
        c = repo.card(w.session, card_id)
        assert c.state == "issued"
        # made 2025-04-20 -> 10th birthday after it: 2034-06-15
        assert c.expires_on == date(2034, 6, 15)
        certs = {x.kind: x for x in repo.certificates_of_card(w.session, card_id)}
        assert set(certs) == {"sign", "auth"}
        # R_CERT_3: 5th birthday after issue (2025-05-10) -> 2029-06-15
        assert certs["auth"].expires_on == date(2029, 6, 15)
        assert certs["sign"].expires_on == date(2029, 6, 15)
        cert = x509.load_der_x509_certificate(certs["sign"].der)
        assert cert.public_key().key_size == 2048


def test_under_15_gets_no_signing_certificate_R_CERT_4(office):
    rid = new_resident(office, birth=date(2015, 3, 3), name="能登 花子", sex="2")
    card_id = issued_card(office, rid, legal_representative="能登 太郎")
    with office.work(at=at("2025-05-10"), actor="test") as w:
        kinds = {x.kind for x in repo.certificates_of_card(w.session, card_id)}
        assert kinds == {"auth"}
        # minor: 5th birthday after making (2025-04-20) -> 2030-03-03
        assert repo.card(w.session, card_id).expires_on == date(2030, 3, 3)


def test_signing_certificate_refused_for_under_15_store_unchanged_R_CERT_4(office):
    rid = new_resident(office, birth=date(2015, 3, 3))
    with office.work(at=at("2025-04-01"), actor="clerk") as w:
        card_id = cards.apply(w, rid).card.id
    with office.work(at=at("2025-04-20"), actor="j-lis") as w:
        cards.make(w, card_id)
    with pytest.raises(NotAllowedError), office.work(at=at("2025-05-10"), actor="clerk") as w:
        cards.issue(
            w, card_id, identity_documents=["passport"], pins=PINS, want_signing=True, legal_representative="親"
        )
    with office.work(at=at("2025-05-10"), actor="test") as w:
        assert repo.card(w.session, card_id).state == "made"
        assert repo.certificates_of_card(w.session, card_id) == []


def test_identity_needs_photo_id_or_two_documents_R_CARD_1(office):
    rid = new_resident(office)
    with office.work(at=at("2025-04-01"), actor="clerk") as w:
        card_id = cards.apply(w, rid).card.id
    with office.work(at=at("2025-04-20"), actor="j-lis") as w:
        cards.make(w, card_id)
    with pytest.raises(ValidationError) as err, office.work(at=at("2025-05-10"), actor="clerk") as w:
        cards.issue(w, card_id, identity_documents=["health_insurance_card"], pins=PINS)
    assert err.value.field == "identity_documents"
    with office.work(at=at("2025-05-10"), actor="clerk") as w:
        cards.issue(w, card_id, identity_documents=["health_insurance_card", "pension_book"], pins=PINS)


def test_wrong_pin_form_refused_at_hand_over_R_PIN_1(office):
    rid = new_resident(office)
    with office.work(at=at("2025-04-01"), actor="clerk") as w:
        card_id = cards.apply(w, rid).card.id
    with office.work(at=at("2025-04-20"), actor="j-lis") as w:
        cards.make(w, card_id)
    with pytest.raises(ValidationError) as err, office.work(at=at("2025-05-10"), actor="clerk") as w:
        cards.issue(w, card_id, identity_documents=["passport"], pins={**PINS, "sign": "ABCDEF"})
    assert err.value.field == "pin.sign"
    with office.work(at=at("2025-05-10"), actor="t") as w:
        assert repo.card(w.session, card_id).state == "made"


def test_renewal_before_window_refused_R_CARD_6(office):
    rid = new_resident(office, birth=date(1990, 6, 15))
    issued_card(office, rid)
    # expiry 2034-06-15 -> window opens 2034-03-16
    with pytest.raises(NotAllowedError) as err, office.work(at=at("2034-03-15"), actor="clerk") as w:
        cards.apply(w, rid, kind="renewal")
    assert err.value.opens_on == "2034-03-16"
    with office.work(at=at("2034-03-16"), actor="clerk") as w:
        cards.apply(w, rid, kind="renewal")


def test_renewal_inside_window_runs_to_11th_birthday_R_CARD_6(office):
    rid = new_resident(office, birth=date(1990, 6, 15))
    old = issued_card(office, rid)
    new = issued_card(office, rid, kind="renewal", applied="2034-04-01", made="2034-04-20", handed="2034-05-01")
    with office.work(at=at("2034-05-01"), actor="t") as w:
        assert repo.card(w.session, old).state == "reissued"
        # 11th birthday after 2034-04-20 -> 2044-06-15 (a first card would end 2043-06-15)
        assert repo.card(w.session, new).expires_on == date(2044, 6, 15)
        old_certs = repo.certificates_of_card(w.session, old)
        assert {c.status for c in old_certs} == {"revoked"}  # R_CERT_7
