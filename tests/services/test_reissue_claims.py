"""The reissue reasons, the kinds of application and the window records, called directly
(R_LOSS_2, R_LOSS_4, R_LOSS_5, R_CARD_6, R_CARD_7, R_NUM_2): the claim each returns, and each
refusal with its class, field and both messages. Through the application itself, the table of
free and charged reasons is ``test_reissue_policy.py``."""

from __future__ import annotations

from datetime import date

import pytest

from mynacard.db import repositories as repo
from mynacard.db.models import Card, CardState, Event
from mynacard.errors import NotAllowedError, NotFoundError, StateError, ValidationError
from mynacard.rules.fees import ReissueReason as R
from mynacard.services import lifecycle, residents
from mynacard.services.reissue import (
    Case,
    Claim,
    admin_error,
    damage,
    disaster,
    for_renewal,
    lapsed,
    loss,
    loss_not_holders_fault,
    notes_full,
    number_change,
    record_admin_error,
    record_moved_in_from_abroad,
    return_from_abroad,
    theft,
)
from tests.services.conftest import at, issued_card, new_resident, open_office

RECEIVED = date(2027, 1, 20)
#: Expires within 3 months of RECEIVED: in the renewal window (R_LOSS_4 "expiring").
EXPIRING = date(2027, 3, 1)
#: Far from its expiry.
NOT_EXPIRING = date(2030, 6, 15)


def _card(expires_on: date, state: str = CardState.SUSPENDED, notes: list | None = None, id: str = "C1") -> Card:
    return Card(id=id, state=state, expires_on=expires_on, notes=notes or [])


def _case(old: Card | None, documents: dict | None = None, *, w=None, resident=None, received=RECEIVED) -> Case:
    return Case(w=w, resident=resident, old=old, received=received, documents=documents or {})


# --- the paid and police-report reasons keep the card's expiry (R_LOSS_2, R_LOSS_4) ------------


@pytest.mark.parametrize(
    ("check", "reason", "doc"),
    [
        (loss, R.LOSS, "police_report"),
        (theft, R.THEFT, "police_report"),
        (loss_not_holders_fault, R.LOSS_NOT_HOLDERS_FAULT, "police_report"),
        (damage, R.DAMAGE, "damaged_card"),
    ],
)
@pytest.mark.parametrize("expires_on", [EXPIRING, NOT_EXPIRING])
def test_reason_claim_carries_evidence_and_expiry_R_LOSS_4(check, reason, doc, expires_on):
    claim = check(_case(_card(expires_on), {doc: "  七尾署 第99号 "}))
    assert claim == Claim(reason, card_expiring=expires_on == EXPIRING, evidence={doc: "七尾署 第99号"})


POLICE_JA = "紛失・盗難による再交付には警察署の遺失届(受理番号)が必要です。"
DAMAGED_JA = "損傷による再交付には損傷したカードをお持ちください。"


@pytest.mark.parametrize(
    ("check", "doc", "named", "ja"),
    [
        (loss, "police_report", "loss needs the police report", POLICE_JA),
        (theft, "police_report", "theft needs the police report", POLICE_JA),
        (loss_not_holders_fault, "police_report", "loss_not_holders_fault needs the police report", POLICE_JA),
        (damage, "damaged_card", "damage needs the damaged card", DAMAGED_JA),
    ],
)
def test_a_reason_without_its_document_is_refused_naming_the_document_R_LOSS_2(check, doc, named, ja):
    example = {
        "police_report": "the police report's receipt number",
        "damaged_card": "a note that the damaged card was handed in",
    }[doc]
    with pytest.raises(ValidationError) as e:
        check(_case(_card(NOT_EXPIRING), {doc: "   "}))
    assert e.value.to_dict() == {
        "code": "invalid_input",
        "message": f"A reissue for {named} (R_LOSS_2): give documents={{'{doc}': ...}} (e.g. {example}).",
        "message_ja": ja,
        "field": "documents",
        "document": doc,
    }


@pytest.mark.parametrize("check", [loss, theft, loss_not_holders_fault])
def test_a_lost_or_stolen_card_still_in_effect_is_suspended_before_its_reissue_R_LOSS_2(check):
    with pytest.raises(StateError) as e:
        check(_case(_card(NOT_EXPIRING, state=CardState.ISSUED), {"police_report": "七尾署 第99号"}))
    assert e.value.to_dict() == {
        "code": "wrong_state",
        "message": "The lost card is still in effect: suspend it first (hotline or loss report).",
        "message_ja": "紛失したカードの一時停止(紛失の届出)を先に行ってください。",
    }
    # a damaged card is brought to the window: it needs no suspension
    assert damage(_case(_card(NOT_EXPIRING, state=CardState.ISSUED), {"damaged_card": "持参"})).reason is R.DAMAGE


@pytest.mark.parametrize("expires_on", [EXPIRING, NOT_EXPIRING])
def test_disaster_free_with_certificate_charged_without_R_LOSS_4(expires_on):
    expiring = expires_on == EXPIRING
    with_cert = disaster(_case(_card(expires_on), {"disaster_certificate": "罹災第12号"}))
    assert with_cert == Claim(R.DISASTER, card_expiring=expiring, evidence={"disaster_certificate": "罹災第12号"})
    assert with_cert.proven is True
    without = disaster(_case(_card(expires_on), {"disaster_certificate": "  "}))
    assert without == Claim(R.DISASTER, proven=False, card_expiring=expiring)
    assert without.proven is False


# --- notes full (R_CARD_7) ----------------------------------------------------------------------


def _notes(n: int) -> list[dict]:
    return [{"on": f"2026-0{i + 1}-10", "what": "住所"} for i in range(n)]


def test_notes_full_claim_dates_the_last_note_R_CARD_7_R_LOSS_5():
    claim = notes_full(_case(_card(EXPIRING, state=CardState.ISSUED, notes=_notes(4))))
    assert claim == Claim(R.NOTES_FULL, card_expiring=True, event_on=date(2026, 4, 10), evidence={"notes_full": "4/4"})
    claim = notes_full(_case(_card(NOT_EXPIRING, state=CardState.ISSUED, notes=_notes(4))))
    assert claim.card_expiring is False


def test_notes_full_without_a_date_has_no_event_date_R_CARD_7():
    notes = [{"what": "住所"}] * 4
    assert notes_full(_case(_card(NOT_EXPIRING, notes=notes))).event_on is None


@pytest.mark.parametrize(("old", "used"), [(_card(NOT_EXPIRING, notes=_notes(3)), 3), (None, 0)])
def test_a_notes_field_not_full_or_no_card_is_refused_with_its_count_R_CARD_7(old, used):
    with pytest.raises(NotAllowedError) as e:
        notes_full(_case(old))
    assert e.value.to_dict() == {
        "code": "not_allowed",
        "message": f"The notes field is not full: the card in effect has {used} of 4 entries (R_CARD_7). A full "
        "notes field is the only reason for a notes_full reissue; choose the true reason.",
        "message_ja": f"追記欄に余白があります(4欄中{used}欄使用)。追記欄の余白なしによる再交付はできません。",
        "notes": used,
        "capacity": 4,
    }


# --- renewal (R_CARD_6) --------------------------------------------------------------------------


def test_renewal_without_a_card_refused_R_CARD_6():
    for old in (None, Card(id="C1", state=CardState.ISSUED, expires_on=None)):
        with pytest.raises(StateError) as e:
            for_renewal(_case(old), None)
        assert e.value.to_dict() == {
            "code": "wrong_state",
            "message": "There is no card in effect to renew; apply for a new card.",
            "message_ja": "更新できる有効なカードがありません。新規に申請してください。",
        }


def test_renewal_with_another_reason_refused_R_CARD_6():
    with pytest.raises(ValidationError) as e:
        for_renewal(_case(_card(EXPIRING, state=CardState.ISSUED)), "loss")
    assert e.value.to_dict() == {
        "code": "invalid_input",
        "message": "A renewal has no other reason.",
        "message_ja": "更新の申請に理由は選べません。",
        "field": "reason",
    }


def test_renewal_with_reason_renewal_or_none_accepted_R_CARD_6():
    old = _card(EXPIRING, state=CardState.ISSUED)
    assert for_renewal(_case(old), "renewal") == Claim(R.RENEWAL)
    assert for_renewal(_case(old), None) == Claim(R.RENEWAL)
    # the window opens 3 months before the expiry, the day after the same date
    assert for_renewal(_case(old, received=date(2026, 12, 2)), None) == Claim(R.RENEWAL)


def test_renewal_before_the_window_refused_with_its_opening_R_CARD_6():
    old = _card(EXPIRING, state=CardState.ISSUED)
    with pytest.raises(NotAllowedError) as e:
        for_renewal(_case(old, received=date(2026, 12, 1)), "renewal")
    assert e.value.to_dict() == {
        "code": "not_allowed",
        "message": "Renewal opens on 2026-12-02, 3 months before the expiry 2027-03-01 (R_CARD_6). Come back then.",
        "message_ja": "更新の申請は、有効期限 令和9年3月1日(2027-03-01) の3か月前、"
        "令和8年12月2日(2026-12-02) から受け付けます。",
        "opens_on": "2026-12-02",
    }


# --- reasons and records read from the store ------------------------------------------------------


@pytest.fixture(scope="module")
def office(tmp_path_factory):
    """One store for the module: each test has a resident of its own."""
    off = open_office(tmp_path_factory.mktemp("reissue") / "test.db")
    yield off
    off.store.dispose()


def _store_case(w, rid: int, old: Card | None = None, received: date = RECEIVED) -> Case:
    return Case(w=w, resident=residents.get(w, rid), old=old, received=received, documents={})


NO_NUMBER_CHANGE = {
    "code": "not_allowed",
    "message": "No change of the individual number is recorded since this resident's last application. "
    "A number is changed at the window (number change, R_NUM_2), which applies for the free card itself.",
    "message_ja": "個人番号の変更の記録がありません。番号の変更は窓口で行い、その際にカードの交付申請も行われます。",
}


def test_number_change_needs_a_recorded_change_after_the_last_application_R_NUM_2(office):
    rid = new_resident(office)
    with office.work(at=at("2027-01-05"), actor="clerk") as w:
        for _ in range(2):  # nothing recorded, then an application without a change
            with pytest.raises(NotAllowedError) as e:
                number_change(_store_case(w, rid))
            assert e.value.to_dict() == NO_NUMBER_CHANGE
            w.log("card_applied", resident_id=rid)
            w.session.flush()
    with office.work(at=at("2027-01-10T23:30"), actor="clerk") as w:
        changed = w.log("number_changed", resident_id=rid)
        w.session.flush()
        claim = number_change(_store_case(w, rid))
        assert claim == Claim(R.NUMBER_CHANGE, event_on=date(2027, 1, 10), evidence={"number_changed": str(changed.id)})
    with office.work(at=at("2027-01-12"), actor="clerk") as w:
        w.log("card_applied", resident_id=rid)
        w.session.flush()
        with pytest.raises(NotAllowedError) as e:
            number_change(_store_case(w, rid))
        assert e.value.to_dict() == NO_NUMBER_CHANGE


def test_a_number_change_at_the_window_applies_with_the_change_as_its_evidence_R_NUM_2(office):
    rid = new_resident(office)
    issued_card(office, rid)
    with office.work(at=at("2027-02-01"), actor="clerk") as w:
        app = lifecycle.change_number(w, rid, reason="漏えい").application.application
        changed = repo.last_event(w.session, rid, "number_changed")
        assert app.reason == "number_change" and app.documents == {"number_changed": str(changed.id)}


NO_ADMIN_ERROR = {
    "code": "not_allowed",
    "message": "No administrative error is recorded for this resident's card: a supervisor records the "
    "error of the municipality or J-LIS first (admin-error), then the reissue is free.",
    "message_ja": "市区町村・J-LISの誤りの記録がありません。責任者が誤りを記録してから再交付を申請してください。",
}


def test_admin_error_needs_a_supervisors_record_of_this_card_R_LOSS_4(office):
    rid = new_resident(office)
    card_id = issued_card(office, rid)
    other = new_resident(office, name="能登 花子")
    other_card = issued_card(office, other)
    with office.work(at=at("2027-01-19"), actor="clerk") as w:
        old = repo.card(w.session, card_id)
        with pytest.raises(NotAllowedError) as e:
            admin_error(_store_case(w, rid, old))
        assert e.value.to_dict() == NO_ADMIN_ERROR
    with office.work(at=at("2027-01-19"), actor="supervisor-1") as w:
        rec = record_admin_error(w, rid, description="券面の誤記", recorded_role="supervisor", card_id=card_id)
        rec_id = rec.id
    with office.work(at=at("2027-01-20"), actor="clerk") as w:
        old = repo.card(w.session, card_id)
        claim = admin_error(_store_case(w, rid, old))
        assert claim.reason is R.ADMIN_ERROR and claim.proven is True
        assert claim.record.id == rec_id
        assert claim.evidence == {"admin_error_record": str(rec_id)}
        assert claim.event_on is None
        # a record of this card does not stand for another card, nor for no card
        for o in (repo.card(w.session, other_card), None):
            with pytest.raises(NotAllowedError) as e:
                admin_error(_store_case(w, rid, o))
            assert e.value.to_dict() == NO_ADMIN_ERROR


def test_admin_error_record_without_a_card_stands_for_any_card_R_LOSS_4(office):
    rid = new_resident(office)
    card_id = issued_card(office, rid)
    with office.work(at=at("2027-01-19"), actor="admin") as w:
        rec_id = record_admin_error(w, rid, description="誤り", recorded_role="admin").id
    with office.work(at=at("2027-01-20"), actor="clerk") as w:
        claim = admin_error(_store_case(w, rid, repo.card(w.session, card_id)))
        assert (claim.reason, claim.record.id) == (R.ADMIN_ERROR, rec_id)


def test_admin_error_recorded_by_a_clerk_role_is_no_evidence_R_LOSS_4(office):
    """A record kept with a role outside the supervisors' is not taken as evidence."""
    rid = new_resident(office)
    with office.work(at=at("2027-01-19"), actor="supervisor-1") as w:
        rec = record_admin_error(w, rid, description="誤り", recorded_role="supervisor")
        rec.recorded_role = "clerk"
    with office.work(at=at("2027-01-20"), actor="clerk") as w:
        with pytest.raises(NotAllowedError) as e:
            admin_error(_store_case(w, rid))
        assert e.value.to_dict() == NO_ADMIN_ERROR


def test_record_admin_error_stored_and_logged_R_LOSS_4(office):
    rid = new_resident(office)
    card_id = issued_card(office, rid)
    with office.work(at=at("2027-01-19T11:00"), actor="supervisor-1") as w:
        rec = record_admin_error(
            w,
            rid,
            description=" 券面の誤記 ",
            recorded_role="supervisor",
            card_id=card_id,
            occurred_on=date(2027, 1, 3),
        )
        rec_id = rec.id
    with office.work(at=at("2027-01-19T12:00"), actor="t") as w:
        (stored,) = repo.window_records_of(w.session, rid)
        assert (stored.id, stored.kind, stored.card_id, stored.occurred_on, stored.description) == (
            rec_id,
            "admin_error",
            card_id,
            date(2027, 1, 3),
            "券面の誤記",
        )
        assert (stored.recorded_by, stored.recorded_role, stored.recorded_at, stored.used_by) == (
            "supervisor-1",
            "supervisor",
            at("2027-01-19T11:00"),
            None,
        )
        ev = w.session.query(Event).filter_by(action="admin_error_recorded", resident_id=rid).one()
        assert (ev.card_id, ev.actor, ev.at) == (card_id, "supervisor-1", at("2027-01-19T11:00"))
        assert ev.details == {"record": rec_id, "occurred_on": "2027-01-03"}


def test_record_admin_error_defaults_to_today_R_LOSS_4(office):
    rid = new_resident(office)
    with office.work(at=at("2027-01-19T23:30"), actor="supervisor-1") as w:
        rec = record_admin_error(w, rid, description="誤り", recorded_role="supervisor")
        assert rec.occurred_on == date(2027, 1, 19)
        assert rec.card_id is None


def test_record_admin_error_refused_to_a_clerk_R_LOSS_4(office):
    rid = new_resident(office)
    with office.work(at=at("2027-01-19"), actor="clerk") as w:
        with pytest.raises(NotAllowedError) as e:
            record_admin_error(w, rid, description="誤り", recorded_role="clerk")
        assert e.value.to_dict() == {
            "code": "not_allowed",
            "message": "An administrative error is recorded by a supervisor, not by a clerk.",
            "message_ja": "市区町村・J-LISの誤りの記録は責任者が行います。",
        }
        assert repo.window_records_of(w.session, rid) == []


@pytest.mark.parametrize("description", ["", "   ", "x" * 401])
def test_record_admin_error_needs_a_description_of_1_to_400_characters(office, description):
    rid = new_resident(office)
    with office.work(at=at("2027-01-19"), actor="s") as w:
        with pytest.raises(ValidationError) as e:
            record_admin_error(w, rid, description=description, recorded_role="supervisor")
        assert e.value.to_dict() == {
            "code": "invalid_input",
            "message": "Describe the error (1-400 characters).",
            "message_ja": "誤りの内容を400文字以内で入力してください。",
            "field": "description",
        }


def test_record_admin_error_takes_400_characters(office):
    rid = new_resident(office)
    with office.work(at=at("2027-01-19"), actor="s") as w:
        assert record_admin_error(w, rid, description="x" * 400, recorded_role="supervisor").description == "x" * 400


def test_record_admin_error_in_the_future_refused(office):
    rid = new_resident(office)
    with office.work(at=at("2027-01-19"), actor="s") as w:
        assert record_admin_error(w, rid, description="誤り", recorded_role="supervisor", occurred_on=date(2027, 1, 19))
        with pytest.raises(ValidationError) as e:
            record_admin_error(w, rid, description="誤り", recorded_role="supervisor", occurred_on=date(2027, 1, 20))
        assert e.value.to_dict() == {
            "code": "invalid_input",
            "message": "The date 2027-01-20 is in the future.",
            "message_ja": "未来の日付は指定できません。",
            "field": "occurred_on",
        }


def test_record_admin_error_of_another_residents_card_refused(office):
    rid = new_resident(office)
    other = new_resident(office, name="能登 花子")
    other_card = issued_card(office, other)
    with office.work(at=at("2027-01-19"), actor="s") as w:
        for card_id in (other_card, "NO-SUCH-CARD"):
            with pytest.raises(NotFoundError) as e:
                record_admin_error(w, rid, description="誤り", recorded_role="supervisor", card_id=card_id)
            assert e.value.to_dict() == {
                "code": "not_found",
                "message": f"Resident {rid} has no card {card_id}.",
                "message_ja": "この住民のカードではありません。",
            }


def test_return_from_abroad_needs_a_recorded_moving_in_R_LOSS_4_R_LOSS_5(office):
    rid = new_resident(office)
    with office.work(at=at("2027-01-19"), actor="clerk") as w:
        with pytest.raises(NotAllowedError) as e:
            return_from_abroad(_store_case(w, rid))
        assert e.value.to_dict() == {
            "code": "not_allowed",
            "message": "No moving-in from abroad is recorded for this resident: record the moving-in notice "
            "(move-in-from-abroad) first.",
            "message_ja": "国外からの転入の記録がありません。先に国外からの転入届を記録してください。",
        }
        rec = record_moved_in_from_abroad(w, rid, moved_in_on=date(2027, 1, 6))
        claim = return_from_abroad(_store_case(w, rid))
        assert claim == Claim(
            R.RETURN_FROM_ABROAD,
            event_on=date(2027, 1, 6),
            record=rec,
            evidence={"moved_in_from_abroad_record": str(rec.id)},
        )


def test_record_moved_in_from_abroad_stored_and_logged(office):
    rid = new_resident(office)
    with office.work(at=at("2027-01-19T11:00"), actor="clerk-7") as w:
        rec_id = record_moved_in_from_abroad(w, rid, moved_in_on=date(2027, 1, 19)).id
    with office.work(at=at("2027-01-19T12:00"), actor="t") as w:
        (stored,) = repo.window_records_of(w.session, rid)
        assert (stored.id, stored.kind, stored.card_id, stored.occurred_on, stored.description) == (
            rec_id,
            "moved_in_from_abroad",
            None,
            date(2027, 1, 19),
            "国外からの転入",
        )
        assert (stored.recorded_by, stored.recorded_role) == ("clerk-7", "clerk")
        ev = w.session.query(Event).filter_by(action="moved_in_from_abroad_recorded", resident_id=rid).one()
        assert ev.card_id is None
        assert ev.details == {"record": rec_id, "occurred_on": "2027-01-19"}


def test_record_moved_in_from_abroad_in_the_future_refused(office):
    rid = new_resident(office)
    with office.work(at=at("2027-01-19"), actor="clerk") as w:
        with pytest.raises(ValidationError) as e:
            record_moved_in_from_abroad(w, rid, moved_in_on=date(2027, 1, 20))
        assert e.value.to_dict() == {
            "code": "invalid_input",
            "message": "The date 2027-01-20 is in the future.",
            "message_ja": "未来の日付は指定できません。",
            "field": "moved_in_on",
        }


@pytest.mark.parametrize(
    ("state", "expires_on", "free"),
    [
        (CardState.EXPIRED, date(2030, 6, 15), True),  # expired by its state
        (CardState.RETURNED, date(2026, 1, 20), True),  # expired a year before
        (CardState.RETURNED, date(2027, 3, 1), True),  # under 3 months left
        (CardState.RETURNED, date(2030, 6, 15), False),
    ],
)
def test_lapsed_free_when_the_earlier_card_expired_or_expiring_R_LOSS_4(office, state, expires_on, free):
    rid = new_resident(office)
    card_id = issued_card(office, rid)
    with office.work(at=at("2027-01-20"), actor="clerk") as w:
        c = repo.card(w.session, card_id)
        c.state, c.expires_on = state, expires_on
        w.session.flush()
        assert lapsed(_store_case(w, rid)) == Claim(R.LAPSED, card_expiring=free)
