"""The reissue policy's claims, one reason at a time, and its window records: what each reason
proves and records, when the card it replaces counts as expiring, and what a refusal says
(R_LOSS_2, R_LOSS_4, R_CARD_6, R_CARD_7, R_NUM_2). Written against the mutants that lived in
``services/reissue.py``; the table of free and charged reasons is ``test_reissue_policy.py``."""

from __future__ import annotations

from datetime import date

import pytest

from mynacard.db import repositories as repo
from mynacard.errors import NotAllowedError, NotFoundError, StateError, ValidationError
from mynacard.rules.fees import ReissueReason as R
from mynacard.services import face, lifecycle, loss, reissue
from mynacard.services.reissue import Claim
from tests.services.conftest import at, issued_card, new_resident

#: The card below expires on 2034-06-15 (10th birthday after 2025-05-10): from 2034-03-16 it has
#: under 3 months left (R_LOSS_4).
EXPIRES = date(2034, 6, 15)
POLICE = {"police_report": "第123号"}


def _claim(office, rid: int, policy, received: str = "2027-01-20", documents=None, when: str | None = None):
    with office.work(at=at(when or received), actor="clerk") as w:
        case = reissue.Case(w, repo.resident(w.session, rid), repo.live_card(w.session, rid),
                            date.fromisoformat(received), documents or {})
        return policy(case)


def _suspended(office) -> tuple[int, str]:
    rid = new_resident(office)
    card_id = issued_card(office, rid)
    with office.work(at=at("2027-01-17T03:00"), actor="hotline") as w:
        loss.hotline_suspend(w, name="能登 太郎", birth_date=date(1990, 6, 15))
    return rid, card_id


@pytest.mark.parametrize(("policy", "reason"), [
    (reissue.loss, R.LOSS), (reissue.theft, R.THEFT), (reissue.loss_not_holders_fault, R.LOSS_NOT_HOLDERS_FAULT)])
def test_a_lost_or_stolen_card_is_claimed_with_the_police_number_and_its_expiry_R_LOSS_2_R_LOSS_4(
    office, policy, reason
):
    rid, _ = _suspended(office)
    assert _claim(office, rid, policy, documents=POLICE) == Claim(reason, card_expiring=False, evidence=POLICE)
    late = _claim(office, rid, policy, "2034-04-01", documents={"police_report": " 第9号 "})
    assert late == Claim(reason, card_expiring=True, evidence={"police_report": "第9号"})


def test_a_damaged_card_is_claimed_with_the_card_itself_R_LOSS_2(office):
    rid = new_resident(office)
    issued_card(office, rid)
    docs = {"damaged_card": "持参"}
    assert _claim(office, rid, reissue.damage, documents=docs) == Claim(R.DAMAGE, card_expiring=False, evidence=docs)
    assert _claim(office, rid, reissue.damage, "2034-06-15", documents=docs).card_expiring is True


def test_a_disaster_is_free_with_its_certificate_and_charged_without_R_LOSS_4(office):
    rid = new_resident(office)
    issued_card(office, rid)
    docs = {"disaster_certificate": "罹災第7号"}
    assert _claim(office, rid, reissue.disaster, documents=docs) == Claim(R.DISASTER, card_expiring=False,
                                                                          evidence=docs)
    assert _claim(office, rid, reissue.disaster) == Claim(R.DISASTER, proven=False, card_expiring=False)
    assert _claim(office, rid, reissue.disaster, "2034-04-01") == Claim(R.DISASTER, proven=False, card_expiring=True)
    assert _claim(office, rid, reissue.disaster, "2034-04-01", documents=docs).card_expiring is True


def _moves(office, rid: int, n: int) -> None:
    for i in range(n):
        with office.work(at=at(f"2026-0{i + 1}-10"), actor="clerk") as w:
            face.move_within(w, rid, new_address=f"石川県鹿島郡中能登町{i + 1}番地")


def test_a_full_notes_field_is_claimed_with_its_count_and_last_entry_R_CARD_7(office):
    rid = new_resident(office)
    issued_card(office, rid)
    _moves(office, rid, 4)  # the 4th entry fills the field (R_CARD_7: 4 entries)
    claim = _claim(office, rid, reissue.notes_full)
    assert claim == Claim(R.NOTES_FULL, card_expiring=False, event_on=date(2026, 4, 10), evidence={"notes_full": "4/4"})
    assert _claim(office, rid, reissue.notes_full, "2034-04-01").card_expiring is True


def test_a_notes_full_claim_without_a_card_says_none_of_the_entries_is_used_R_CARD_7(office):
    rid = new_resident(office)
    with pytest.raises(NotAllowedError) as err:
        _claim(office, rid, reissue.notes_full)
    assert err.value.message == (
        "The notes field is not full: the card in effect has 0 of 4 entries (R_CARD_7). A full notes field is "
        "the only reason for a notes_full reissue; choose the true reason.")
    assert err.value.message_ja == "追記欄に余白があります(4欄中0欄使用)。追記欄の余白なしによる再交付はできません。"
    assert (err.value.notes, err.value.capacity) == (0, 4)


def test_a_number_change_claim_needs_a_change_since_the_last_application_R_NUM_2(office):
    rid = new_resident(office)
    issued_card(office, rid)
    with pytest.raises(NotAllowedError) as err:
        _claim(office, rid, reissue.number_change)
    assert err.value.message == (
        "No change of the individual number is recorded since this resident's last application. A number is "
        "changed at the window (number change, R_NUM_2), which applies for the free card itself.")
    assert err.value.message_ja == (
        "個人番号の変更の記録がありません。番号の変更は窓口で行い、その際にカードの交付申請も行われます。")
    with office.work(at=at("2027-02-01"), actor="clerk") as w:
        app = lifecycle.change_number(w, rid, reason="漏えい").application.application
        changed = repo.last_event(w.session, rid, "number_changed")
        assert app.reason == "number_change" and app.documents == {"number_changed": str(changed.id)}


def test_an_admin_error_claim_needs_a_supervisors_record_of_this_card_R_LOSS_4(office):
    rid = new_resident(office)
    card_id = issued_card(office, rid)
    with pytest.raises(NotAllowedError) as err:
        _claim(office, rid, reissue.admin_error)
    assert err.value.message == (
        "No administrative error is recorded for this resident's card: a supervisor records the error of the "
        "municipality or J-LIS first (admin-error), then the reissue is free.")
    assert err.value.message_ja == (
        "市区町村・J-LISの誤りの記録がありません。責任者が誤りを記録してから再交付を申請してください。")
    with office.work(at=at("2027-01-19"), actor="chief") as w:
        rec_id = reissue.record_admin_error(w, rid, description="券面の誤記", recorded_role="supervisor",
                                            card_id=card_id).id
    claim = _claim(office, rid, reissue.admin_error)
    assert (claim.reason, claim.record.id) == (R.ADMIN_ERROR, rec_id)
    assert claim.evidence == {"admin_error_record": str(rec_id)}


def test_an_admin_error_recorded_without_a_card_counts_for_the_card_in_effect_R_LOSS_4(office):
    rid = new_resident(office)
    issued_card(office, rid)
    with office.work(at=at("2027-01-19"), actor="chief") as w:
        reissue.record_admin_error(w, rid, description="誤り", recorded_role="admin")
    assert _claim(office, rid, reissue.admin_error).reason == R.ADMIN_ERROR


def test_an_admin_error_recorded_for_a_card_does_not_pay_for_a_new_card_without_one_R_LOSS_4(office):
    rid = new_resident(office)
    card_id = issued_card(office, rid)
    with office.work(at=at("2027-01-19"), actor="chief") as w:
        reissue.record_admin_error(w, rid, description="誤り", recorded_role="supervisor", card_id=card_id)
    with office.work(at=at("2027-01-19"), actor="clerk") as w:
        case = reissue.Case(w, repo.resident(w.session, rid), None, date(2027, 1, 20), {})
        with pytest.raises(NotAllowedError):
            reissue.admin_error(case)


def test_a_window_record_is_logged_with_its_card_and_date_R_LOSS_4(office):
    rid = new_resident(office)
    card_id = issued_card(office, rid)
    with office.work(at=at("2027-01-19"), actor="chief") as w:
        rec = reissue.record_admin_error(w, rid, description=" 券面の誤記 ", recorded_role="supervisor",
                                         card_id=card_id, occurred_on=date(2027, 1, 5))
        assert (rec.card_id, rec.description, rec.occurred_on, rec.recorded_by, rec.recorded_role) == (
            card_id, "券面の誤記", date(2027, 1, 5), "chief", "supervisor")
        [ev] = [e for e in repo.events(w.session, resident_id=rid) if e.action == "admin_error_recorded"]
        assert (ev.resident_id, ev.card_id) == (rid, card_id)
        assert ev.details == {"record": rec.id, "occurred_on": "2027-01-05"}
        moved = reissue.record_moved_in_from_abroad(w, rid, moved_in_on=date(2027, 1, 10))
        [ev] = [e for e in repo.events(w.session, resident_id=rid) if e.action == "moved_in_from_abroad_recorded"]
        assert ev.card_id is None and ev.details == {"record": moved.id, "occurred_on": "2027-01-10"}
        assert (moved.description, moved.recorded_role) == ("国外からの転入", "clerk")


@pytest.mark.parametrize(("role", "description", "field", "message", "message_ja"), [
    ("clerk", "誤り", None, "An administrative error is recorded by a supervisor, not by a clerk.",
     "市区町村・J-LISの誤りの記録は責任者が行います。"),
    ("supervisor", "  ", "description", "Describe the error (1-400 characters).",
     "誤りの内容を400文字以内で入力してください。"),
    ("supervisor", "あ" * 401, "description", "Describe the error (1-400 characters).",
     "誤りの内容を400文字以内で入力してください。"),
])
def test_an_admin_error_record_is_refused_with_its_reason_R_LOSS_4(office, role, description, field, message,
                                                                   message_ja):
    rid = new_resident(office)
    with pytest.raises((NotAllowedError, ValidationError)) as err, office.work(at=at("2027-01-19"), actor="x") as w:
        reissue.record_admin_error(w, rid, description=description, recorded_role=role)
    assert (err.value.message, err.value.message_ja) == (message, message_ja)
    assert getattr(err.value, "field", None) == field


def test_a_description_of_400_characters_is_kept_R_LOSS_4(office):
    rid = new_resident(office)
    with office.work(at=at("2027-01-19"), actor="x") as w:
        assert reissue.record_admin_error(w, rid, description="あ" * 400, recorded_role="supervisor").description


@pytest.mark.parametrize("which", ["admin_error", "moved_in"])
def test_a_record_dated_in_the_future_is_refused_R_LOSS_5(office, which):
    rid = new_resident(office)
    with pytest.raises(ValidationError) as err, office.work(at=at("2027-01-19"), actor="x") as w:
        if which == "admin_error":
            reissue.record_admin_error(w, rid, description="誤り", recorded_role="supervisor",
                                       occurred_on=date(2027, 1, 20))
        else:
            reissue.record_moved_in_from_abroad(w, rid, moved_in_on=date(2027, 1, 20))
    assert err.value.field == ("occurred_on" if which == "admin_error" else "moved_in_on")
    assert (err.value.message, err.value.message_ja) == ("The date 2027-01-20 is in the future.",
                                                         "未来の日付は指定できません。")


def test_a_record_for_another_residents_card_is_refused(office):
    rid, other = new_resident(office), new_resident(office, name="能登 花子")
    theirs = issued_card(office, other)
    with pytest.raises(NotFoundError) as err, office.work(at=at("2027-01-19"), actor="x") as w:
        reissue.record_admin_error(w, rid, description="誤り", recorded_role="supervisor", card_id=theirs)
    assert (err.value.message, err.value.message_ja) == (f"Resident {rid} has no card {theirs}.",
                                                         "この住民のカードではありません。")


def test_a_renewal_needs_a_card_in_effect_and_takes_no_other_reason_R_CARD_6(office):
    rid = new_resident(office)
    with pytest.raises(StateError) as err:
        _claim(office, rid, lambda case: reissue.for_renewal(case, None))
    assert (err.value.message, err.value.message_ja) == (
        "There is no card in effect to renew; apply for a new card.",
        "更新できる有効なカードがありません。新規に申請してください。")
    issued_card(office, rid)
    with pytest.raises(ValidationError) as err:
        _claim(office, rid, lambda case: reissue.for_renewal(case, "loss"), "2034-04-01")
    assert (err.value.field, err.value.message, err.value.message_ja) == (
        "reason", "A renewal has no other reason.", "更新の申請に理由は選べません。")
    assert _claim(office, rid, lambda case: reissue.for_renewal(case, "renewal"), "2034-04-01") == Claim(R.RENEWAL)
    with pytest.raises(NotAllowedError) as err:
        _claim(office, rid, lambda case: reissue.for_renewal(case, None), "2034-03-15")
    assert err.value.message == (
        "Renewal opens on 2034-03-16, 3 months before the expiry 2034-06-15 (R_CARD_6). Come back then.")
    assert err.value.message_ja == (
        "更新の申請は、有効期限 令和16年6月15日(2034-06-15) の3か月前、令和16年3月16日(2034-03-16) から受け付けます。")
    assert err.value.opens_on == "2034-03-16"


def test_a_card_that_expired_the_day_before_makes_a_new_application_free_R_LOSS_4(office):
    rid = new_resident(office)
    issued_card(office, rid)
    with office.work(at=at("2034-06-15"), actor="clerk") as w:  # its last day: still in effect
        lifecycle.return_card(w, repo.live_card(w.session, rid).id)
    # returned (not expired) on its last day: the window of its last 3 months makes a new card free
    assert _claim(office, rid, reissue.lapsed, "2034-06-15") == Claim(R.LAPSED, card_expiring=True)
    assert _claim(office, rid, reissue.lapsed, "2034-06-16") == Claim(R.LAPSED, card_expiring=True)


def test_a_card_returned_long_before_its_expiry_makes_a_new_application_charged_R_LOSS_4(office):
    rid = new_resident(office)
    issued_card(office, rid)
    with office.work(at=at("2027-01-10"), actor="clerk") as w:
        lifecycle.return_card(w, repo.live_card(w.session, rid).id)
    assert _claim(office, rid, reissue.lapsed, "2027-01-20") == Claim(R.LAPSED, card_expiring=False)
