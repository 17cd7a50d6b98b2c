"""Return, number change, foreign residents, the daily batch, number reads
(R_CARD_9, R_CARD_10, R_CERT_7, R_NUM_2, R_NUM_3, R_USE_3)."""

from __future__ import annotations

from datetime import date

import pytest

from mynacard.db import repositories as repo
from mynacard.errors import StateError, ValidationError
from mynacard.services import batch, cards, lifecycle, residents
from tests.services.conftest import at, issued_card, new_resident


def _card(office, card_id):
    with office.work(at=at("2020-01-01"), actor="t") as w:
        c = repo.card(w.session, card_id)
        return c, sorted(x.status for x in repo.certificates_of_card(w.session, card_id))


def test_return_revokes_both_certificates_R_CARD_10_R_CERT_7(office):
    rid = new_resident(office)
    card_id = issued_card(office, rid)
    with office.work(at=at("2026-01-01"), actor="clerk") as w:
        lifecycle.return_card(w, card_id)
    c, statuses = _card(office, card_id)
    assert c.state == "returned" and statuses == ["revoked", "revoked"]
    with pytest.raises(StateError), office.work(at=at("2026-01-02"), actor="clerk") as w:
        lifecycle.return_card(w, card_id)


def test_number_change_lapses_card_and_applies_free_reissue_R_NUM_2(office):
    rid = new_resident(office)
    card_id = issued_card(office, rid)
    with office.work(at=at("2026-01-01"), actor="clerk") as w:
        old_number = repo.number_of(repo.resident(w.session, rid))
        res = lifecycle.change_number(w, rid, reason="leaked on a web site")
        assert repo.number_of(repo.resident(w.session, rid)) == res.new_number
        assert repo.resident_by_number(w.session, old_number) is None
        assert res.application.application.fee_total == 0
        assert res.application.application.reason == "number_change"
        assert res.new_number != old_number
    c, statuses = _card(office, card_id)
    assert c.state == "lapsed" and statuses == ["revoked", "revoked"]


def test_foreign_resident_card_bound_to_period_of_stay_R_CARD_9(office):
    rid = new_resident(
        office, nationality="VN", residence_status="technical_intern", period_of_stay_end=date(2027, 3, 31)
    )
    card_id = issued_card(office, rid)
    c, _ = _card(office, card_id)
    assert c.expires_on == date(2027, 3, 31)
    assert c.limit_on == date(2034, 6, 15)
    with office.work(at=at("2027-03-01"), actor="clerk") as w:
        lifecycle.extend_for_stay(w, rid, new_period_of_stay_end=date(2030, 3, 31))
    assert _card(office, card_id)[0].expires_on == date(2030, 3, 31)
    with office.work(at=at("2030-03-01"), actor="clerk") as w:
        lifecycle.extend_for_stay(w, rid, new_period_of_stay_end=date(2040, 3, 31))
    assert _card(office, card_id)[0].expires_on == date(2034, 6, 15)  # never past the R_CARD_2 date


def test_permanent_resident_card_not_bound_to_stay_R_CARD_9(office):
    rid = new_resident(
        office, nationality="US", residence_status="permanent_resident", period_of_stay_end=date(2027, 3, 31)
    )
    card_id = issued_card(office, rid)
    assert _card(office, card_id)[0].expires_on == date(2034, 6, 15)


def test_batch_expires_cards_and_revokes_R_CERT_7_and_is_idempotent(office):
    rid = new_resident(office, birth=date(2015, 3, 3))
    card_id = issued_card(office, rid, legal_representative="親")
    # minor's card made 2025-04-20 -> 2030-03-03; certificates capped by it
    with office.work(at=at("2030-03-03T23:00"), actor="batch") as w:
        assert batch.daily(w).expired_cards == []
    with office.work(at=at("2030-03-04T01:00"), actor="batch") as w:
        rep = batch.daily(w)
        assert rep.expired_cards == [card_id]
        assert len(rep.expired_certificates) == 1
    with office.work(at=at("2030-03-04T02:00"), actor="batch") as w:
        rep = batch.daily(w)
        assert rep.expired_cards == [] and rep.expired_certificates == []
    c, statuses = _card(office, card_id)
    assert c.state == "expired" and statuses == ["expired"]  # capped by the card (R_CERT_3)


def test_batch_revokes_both_certificates_of_a_card_that_lapses_R_CERT_7(office):
    """A card that loses effect while its certificates are still good (continued use missed,
    R_CARD_8) gets both revoked by the batch, with the reason cessationOfOperation; once."""
    from mynacard.services import face
    from tests.services.conftest import KANAZAWA

    rid = new_resident(office)
    card_id = issued_card(office, rid)
    with office.work(at=at("2026-07-31"), actor="clerk") as w:
        face.move_out(w, rid, to_municipality=KANAZAWA, planned_on=date(2026, 8, 1))
    with office.work(at=at("2026-08-05"), actor="kanazawa") as w:
        face.move_in(w, rid, new_address="石川県金沢市広坂1丁目1番1号", moved_in_on=date(2026, 8, 2))
    c, statuses = _card(office, card_id)
    assert statuses == ["good", "revoked"]  # the move revoked the signing one (R_CERT_5)
    with office.work(at=at("2026-11-04T01:00"), actor="batch") as w:
        assert batch.daily(w).lapsed_cards == [card_id]
    with office.work(at=at("2026-11-04T02:00"), actor="batch") as w:
        assert batch.daily(w).lapsed_cards == []
    with office.work(at=at("2026-11-04T03:00"), actor="t") as w:
        auth = repo.current_certificate(w.session, card_id, "auth") or repo.latest_certificate(
            w.session, card_id, "auth"
        )
        assert (auth.status, auth.reason) == ("revoked", "cessation_of_operation")
    c, statuses = _card(office, card_id)
    assert c.state == "lapsed" and statuses == ["revoked", "revoked"]


def test_expiry_notice_with_renewal_application_id_R_USE_3(office):
    rid = new_resident(office)
    card_id = issued_card(office, rid)  # card expires 2034-06-15
    with office.work(at=at("2034-03-14"), actor="batch") as w:
        assert [n.subject for n in batch.daily(w).notices] == []
    with office.work(at=at("2034-03-15"), actor="batch") as w:
        notices = batch.daily(w).notices
        assert [(n.card_id, n.subject) for n in notices] == [(card_id, "card")]
        app_id = notices[0].application_id
        assert len(app_id) == 23 and app_id.isdigit()
    with office.work(at=at("2034-03-16"), actor="batch") as w:
        assert batch.daily(w).notices == []  # sent once
    with office.work(at=at("2034-04-01"), actor="clerk") as w:
        cards.apply(w, rid, kind="renewal", channel="mail", application_id=app_id)


def test_no_expiry_notice_for_stay_bound_cards_R_USE_3(office):
    rid = new_resident(office, nationality="VN", residence_status="student", period_of_stay_end=date(2027, 3, 31))
    issued_card(office, rid)
    with office.work(at=at("2027-01-01"), actor="batch") as w:
        assert batch.daily(w).notices == []


def test_certificate_expiry_notice_before_card_R_USE_3(office):
    rid = new_resident(office)
    issued_card(office, rid)  # certificates expire 2029-06-15
    with office.work(at=at("2029-03-20"), actor="batch") as w:
        # one notice covers both certificates expiring on the same day
        notices = batch.daily(w).notices
        assert [(n.subject, n.expires_on) for n in notices] == [("certificate", date(2029, 6, 15))]


def test_number_read_needs_purpose_and_is_recorded_R_NUM_3(office):
    rid = new_resident(office)
    with pytest.raises(ValidationError), office.work(at=at("2026-01-01"), actor="clerk-1") as w:
        residents.read_number(w, rid, "marketing")
    with office.work(at=at("2026-01-02"), actor="clerk-2") as w:
        n = residents.read_number(w, rid, "tax")
        assert len(n) == 12
        assert repr(n).startswith("IndividualNumber('********")
    with office.work(at=at("2026-01-03"), actor="holder") as w:
        history = residents.number_history(w, rid)
        assert [(h.actor, h.purpose) for h in history] == [("clerk-2", "tax")]


def test_invalid_number_and_future_birth_refused_store_unchanged_R_NUM_1(office):
    with pytest.raises(ValidationError) as err, office.work(at=at("2026-01-01"), actor="clerk") as w:
        residents.register(
            w,
            individual_number="123456789012",
            name="x",
            address="y",
            birth_date=date(1990, 1, 1),
            sex="1",
            municipality_code="174076",
        )
    assert err.value.field == "individual_number"
    with pytest.raises(ValidationError) as err, office.work(at=at("2026-01-01"), actor="clerk") as w:
        residents.register(
            w,
            individual_number="123456789018",
            name="x",
            address="y",
            birth_date=date(2026, 1, 2),
            sex="1",
            municipality_code="174076",
        )
    assert err.value.field == "birth_date"
    with pytest.raises(ValidationError), office.work(at=at("2026-01-01"), actor="clerk") as w:
        residents.register(
            w,
            individual_number="123456789018",
            name="x",
            address="y",
            birth_date="1990-02-30",
            sex="1",
            municipality_code="174076",
        )
    with office.work(at=at("2026-01-01"), actor="t") as w:
        assert residents.find(w, name="x") == []


def test_unknown_resident_is_not_found(office):
    from mynacard.errors import NotFoundError

    with pytest.raises(NotFoundError), office.work(at=at("2026-01-01"), actor="clerk") as w:
        cards.apply(w, 999)
