"""Moves and changes of name: what is refused and why, what the card's notes field, the move
record and the event log keep (R_CARD_7, R_CARD_8). Written against the mutants that lived in
``services/face.py``."""

from __future__ import annotations

import itertools
from datetime import date

import pytest
from sqlalchemy import select

from mynacard.audit.log import entries
from mynacard.db import repositories as repo
from mynacard.db.models import Move
from mynacard.errors import NotFoundError, StateError, ValidationError
from mynacard.services import cards, face, lifecycle, loss, residents
from mynacard.services.context import Office
from tests.keypool import pooled_key
from tests.services.conftest import KANAZAWA, MASTER_KEY, NAKANOTO, PINS, at, issued_card, new_resident
from tests.storetemplate import migrated_store

KANAZAWA_ADDRESS = "石川県金沢市広坂1丁目1番1号"
UNKNOWN_CODE = "131016"  # a municipality this office never registered

# Each test moves its own resident, so one store serves the module; each gets its own days.
_DAYS = itertools.count()


@pytest.fixture(scope="module")
def office(tmp_path_factory):
    store = migrated_store(tmp_path_factory.mktemp("face") / "test.db")
    off = Office(store=store, master_key=MASTER_KEY, keygen=pooled_key)
    with off.work(at=at("2020-01-01"), actor="setup") as w:
        residents.add_municipality(w, NAKANOTO, "中能登町", "石川県")
        residents.add_municipality(w, KANAZAWA, "金沢市", "石川県")
    yield off
    store.dispose()


def _events(office, action: str, resident_id: int) -> list[tuple[str | None, dict]]:
    with office.work(at=at("2031-01-01"), actor="reader") as w:
        return [(e.card_id, e.details) for e in repo.events(w.session, resident_id=resident_id) if e.action == action]


def _moves(office, resident_id: int) -> list[Move]:
    with office.work(at=at("2031-01-01"), actor="reader") as w:
        found = w.session.scalars(select(Move).where(Move.resident_id == resident_id).order_by(Move.id)).all()
        w.session.expunge_all()
        return list(found)


def _resident(office, resident_id: int):
    with office.work(at=at("2031-01-01"), actor="reader") as w:
        r = repo.resident(w.session, resident_id)
        w.session.expunge_all()
        return r


def _card(office, card_id: str):
    with office.work(at=at("2031-01-01"), actor="reader") as w:
        c = repo.card(w.session, card_id)
        w.session.expunge_all()
        return c


def _moved_in(office, *, notice: str = "2026-08-05") -> tuple[int, str]:
    """A resident whose card waits for continued use at Kanazawa (present by 2026-11-03)."""
    rid = new_resident(office)
    card_id = issued_card(office, rid)
    with office.work(at=at("2026-07-31"), actor="clerk") as w:
        face.move_out(w, rid, to_municipality=KANAZAWA, planned_on=date(2026, 8, 1))
    with office.work(at=at(notice), actor="kanazawa") as w:
        face.move_in(w, rid, new_address=KANAZAWA_ADDRESS, moved_in_on=date(2026, 8, 2))
    return rid, card_id


# --- change of name --------------------------------------------------------------------------


def test_a_name_change_is_written_in_the_notes_field_dated_in_wareki_and_logged_R_CARD_7(office):
    rid = new_resident(office, name="能登 花子", sex="2")
    card_id = issued_card(office, rid)
    with office.work(at=at("2026-06-01"), actor="clerk") as w:
        face.change_name(w, rid, new_name="  金沢 花子 ")
    assert _card(office, card_id).notes == [{"on": "2026-06-01", "text": "令和8年6月1日 氏名変更 金沢 花子"}]
    assert _resident(office, rid).name == "金沢 花子"
    [(logged_card, details)] = _events(office, "attributes_changed", rid)
    assert logged_card == card_id
    assert details == {"what": "name", "certificates": {"sign": "revoke"}}


@pytest.mark.parametrize("new_name", ["能登 花子", "   "])
def test_a_name_change_needs_a_new_name_R_CARD_7(office, new_name):
    rid = new_resident(office, name="能登 花子", sex="2")
    with pytest.raises(ValidationError) as err, office.work(at=at("2026-06-01"), actor="clerk") as w:
        face.change_name(w, rid, new_name=new_name)
    assert err.value.to_dict() == {
        "code": "invalid_input",
        "message": "Give the new name (different from the current one).",
        "message_ja": "新しい氏名を入力してください。",
        "field": "new_name",
    }
    assert _resident(office, rid).name == "能登 花子"


def test_a_name_with_a_control_character_is_refused_naming_the_field(office):
    rid = new_resident(office)
    with pytest.raises(ValidationError) as err, office.work(at=at("2026-06-01"), actor="clerk") as w:
        face.change_name(w, rid, new_name="金沢\x00花子")
    assert err.value.field == "new_name"
    assert err.value.message == "new_name contains a control character (U+0000); enter it again without it."


# --- moving out ------------------------------------------------------------------------------


def test_the_moving_out_notice_is_stored_flagged_and_logged_R_CARD_8(office):
    rid = new_resident(office)
    card_id = issued_card(office, rid)
    with office.work(at=at("2026-07-31"), actor="clerk") as w:
        mv = face.move_out(w, rid, to_municipality=KANAZAWA, planned_on=date(2026, 8, 1))
        assert mv.status == "moving_out"
    [stored] = _moves(office, rid)
    assert (stored.card_id, stored.from_code, stored.to_code) == (card_id, NAKANOTO, KANAZAWA)
    assert (stored.planned_move_out_on, stored.status) == (date(2026, 8, 1), "moving_out")
    assert _resident(office, rid).moving_out_filed is True
    assert _events(office, "moving_out_filed", rid) == [(None, {"to": KANAZAWA, "planned_on": "2026-08-01"})]


def test_a_resident_without_a_card_can_file_the_moving_out_notice_R_CARD_8(office):
    rid = new_resident(office)
    with office.work(at=at("2026-07-31"), actor="clerk") as w:
        face.move_out(w, rid, to_municipality=KANAZAWA, planned_on=date(2026, 8, 1))
    [stored] = _moves(office, rid)
    assert (stored.card_id, stored.status) == (None, "moving_out")


def test_a_second_moving_out_notice_is_refused_while_one_is_under_way_R_CARD_8(office):
    rid = new_resident(office)
    with office.work(at=at("2026-07-31"), actor="clerk") as w:
        face.move_out(w, rid, to_municipality=KANAZAWA, planned_on=date(2026, 8, 1))
    with pytest.raises(StateError) as err, office.work(at=at("2026-07-31"), actor="clerk") as w:
        face.move_out(w, rid, to_municipality=UNKNOWN_CODE, planned_on=date(2026, 8, 2))
    assert (err.value.message, err.value.message_ja) == (
        "A move is already under way for this resident.",
        "転出の手続き中です。",
    )
    assert len(_moves(office, rid)) == 1


def test_a_move_inside_the_municipality_is_not_a_moving_out_notice_R_CARD_8(office):
    rid = new_resident(office)
    with pytest.raises(ValidationError) as err, office.work(at=at("2026-07-31"), actor="clerk") as w:
        face.move_out(w, rid, to_municipality=NAKANOTO, planned_on=date(2026, 8, 1))
    assert err.value.to_dict() == {
        "code": "invalid_input",
        "message": "A move inside the municipality is a move_within.",
        "message_ja": "同一市区町村内の転居は転居届で手続きしてください。",
        "field": "to_municipality",
    }
    assert _moves(office, rid) == []


# --- moving in -------------------------------------------------------------------------------


def test_moving_in_needs_the_moving_out_notice_first_R_CARD_8(office):
    rid = new_resident(office)
    with pytest.raises(StateError) as err, office.work(at=at("2026-08-05"), actor="kanazawa") as w:
        face.move_in(w, rid, new_address=KANAZAWA_ADDRESS, moved_in_on=date(2026, 8, 2))
    assert (err.value.message, err.value.message_ja) == (
        "File the moving-out notice first (move-out).",
        "先に転出届を提出してください。",
    )


def test_a_second_moving_in_notice_is_refused_R_CARD_8(office):
    rid, _ = _moved_in(office)
    with pytest.raises(StateError) as err, office.work(at=at("2026-08-06"), actor="kanazawa") as w:
        face.move_in(w, rid, new_address="石川県金沢市広坂2丁目1番1号", moved_in_on=date(2026, 8, 2))
    assert err.value.message == "File the moving-out notice first (move-out)."
    assert _resident(office, rid).address == KANAZAWA_ADDRESS


def test_moving_in_to_an_unregistered_municipality_is_refused_R_CARD_8(office):
    rid = new_resident(office)
    with office.work(at=at("2026-07-31"), actor="clerk") as w:
        face.move_out(w, rid, to_municipality=UNKNOWN_CODE, planned_on=date(2026, 8, 1))
    with pytest.raises(NotFoundError) as err, office.work(at=at("2026-08-05"), actor="x") as w:
        face.move_in(w, rid, new_address="東京都千代田区1番地", moved_in_on=date(2026, 8, 2))
    assert (err.value.message, err.value.message_ja) == (
        f"Unknown municipality {UNKNOWN_CODE}.",
        "転入先の市区町村が登録されていません。",
    )


def test_a_moving_in_address_with_a_control_character_is_refused_naming_the_field(office):
    rid = new_resident(office)
    with pytest.raises(ValidationError) as err, office.work(at=at("2026-08-05"), actor="kanazawa") as w:
        face.move_in(w, rid, new_address="金沢市\n広坂", moved_in_on=date(2026, 8, 2))
    assert err.value.field == "new_address"
    assert err.value.message == "new_address contains a control character (U+000A); enter it again without it."


def test_moving_in_in_time_clears_the_moving_out_flag_and_logs_the_change_R_CARD_8(office):
    rid, card_id = _moved_in(office)
    r = _resident(office, rid)
    assert (r.municipality_code, r.address, r.moving_out_filed) == (KANAZAWA, KANAZAWA_ADDRESS, False)
    [stored] = _moves(office, rid)
    assert (stored.status, stored.present_by) == ("moved_in", date(2026, 11, 3))
    [(logged_card, details)] = _events(office, "attributes_changed", rid)
    assert logged_card == card_id
    assert details == {"what": "address (moving in)", "certificates": {"sign": "revoke"}}


def test_moving_in_without_a_card_closes_the_move_R_CARD_8(office):
    rid = new_resident(office)
    with office.work(at=at("2026-07-31"), actor="clerk") as w:
        face.move_out(w, rid, to_municipality=KANAZAWA, planned_on=date(2026, 8, 1))
    with office.work(at=at("2026-08-05"), actor="kanazawa") as w:
        res = face.move_in(w, rid, new_address=KANAZAWA_ADDRESS, moved_in_on=date(2026, 8, 2))
    assert (res.card, res.present_by) == (None, None)
    [stored] = _moves(office, rid)
    assert stored.status == "done"
    assert _events(office, "attributes_changed", rid) == [(None, {"what": "address (moving in)"})]
    assert _resident(office, rid).moving_out_filed is False
    # the move is over: the resident may move again
    with office.work(at=at("2026-09-01"), actor="kanazawa") as w:
        face.move_out(w, rid, to_municipality=NAKANOTO, planned_on=date(2026, 9, 10))


def test_a_late_moving_in_notice_closes_the_move_as_lapsed_and_says_why_R_CARD_8(office):
    rid, card_id = _moved_in(office, notice="2026-08-17")  # 15 days after moving in
    [stored] = _moves(office, rid)
    assert stored.status == "lapsed"
    c = _card(office, card_id)
    assert (c.state, c.end_reason) == ("lapsed", "moving-in notice more than 14 days after moving in")
    [(logged_card, details)] = _events(office, "card_lapsed", rid)
    assert (logged_card, details) == (card_id, {"reason": "moving-in notice more than 14 days after moving in"})


# --- continued use ---------------------------------------------------------------------------


def test_continued_use_writes_the_notes_field_closes_the_move_and_logs_it_R_CARD_8(office):
    rid, card_id = _moved_in(office)
    with office.work(at=at("2026-08-10"), actor="kanazawa") as w:
        res = face.continued_use(w, card_id, resident_pin=PINS["resident"])
        assert res.card is not None and res.card.id == card_id
        assert (res.note_written, res.notes_full) == (True, False)
    assert _card(office, card_id).notes[-1] == {"on": "2026-08-10", "text": f"令和8年8月10日 転入 {KANAZAWA_ADDRESS}"}
    [stored] = _moves(office, rid)
    assert stored.status == "done"
    assert _events(office, "continued_use", rid) == [(card_id, {})]
    with office.work(at=at("2026-08-10"), actor="reader") as w:
        tries = [(e.target, e.outcome, e.details.get("pin")) for e in entries(w.session, action="card.pin_try")]
    assert tries[0] == (f"card:{card_id}", "ok", "resident")


def test_continued_use_on_the_90th_day_still_counts_R_CARD_8(office):
    _, card_id = _moved_in(office)
    with office.work(at=at("2026-11-03"), actor="kanazawa") as w:
        face.continued_use(w, card_id, resident_pin=PINS["resident"])
    assert _card(office, card_id).continued_use_by is None


def test_continued_use_after_the_90_days_is_refused_with_the_last_day_R_CARD_8(office):
    _, card_id = _moved_in(office)
    with pytest.raises(StateError) as err, office.work(at=at("2026-11-04"), actor="kanazawa") as w:
        face.continued_use(w, card_id, resident_pin=PINS["resident"])
    assert (err.value.message, err.value.message_ja) == (
        "The 90-day limit for continued use ended on 2026-11-03; the card has lost effect.",
        "継続利用の期限(転入届から90日)を過ぎています。",
    )


def test_a_suspended_card_can_be_presented_for_continued_use_R_CARD_8(office):
    _, card_id = _moved_in(office)
    with office.work(at=at("2026-08-08"), actor="kanazawa") as w:
        loss.report_loss(w, card_id)
    with office.work(at=at("2026-08-10"), actor="kanazawa") as w:
        face.continued_use(w, card_id, resident_pin=PINS["resident"])
    c = _card(office, card_id)
    assert (c.state, c.continued_use_by) == ("suspended", None)


def test_a_returned_card_cannot_be_presented_for_continued_use_R_CARD_8(office):
    _, card_id = _moved_in(office)
    with office.work(at=at("2026-08-08"), actor="kanazawa") as w:
        lifecycle.return_card(w, card_id)
    with pytest.raises(StateError) as err, office.work(at=at("2026-08-10"), actor="kanazawa") as w:
        face.continued_use(w, card_id, resident_pin=PINS["resident"])
    assert err.value.message == (
        f"Cannot record continued use: card {card_id} is returned (it must be issued or suspended)."
    )
    assert err.value.message_ja == "継続利用の手続きできません。カードの状態は「返納済み」です。"


def test_a_card_that_did_not_move_needs_no_continued_use_R_CARD_8(office):
    rid = new_resident(office)
    card_id = issued_card(office, rid)
    with pytest.raises(StateError) as err, office.work(at=at("2026-08-10"), actor="clerk") as w:
        face.continued_use(w, card_id, resident_pin=PINS["resident"])
    assert (err.value.message, err.value.message_ja) == (
        "No move is waiting for this card's continued use.",
        "継続利用の手続きは不要です。",
    )


def test_a_card_filed_for_moving_out_but_not_moved_in_needs_no_continued_use_yet_R_CARD_8(office):
    rid = new_resident(office)
    card_id = issued_card(office, rid)
    with office.work(at=at("2026-07-31"), actor="clerk") as w:
        face.move_out(w, rid, to_municipality=KANAZAWA, planned_on=date(2026, 8, 1))
    with pytest.raises(StateError) as err, office.work(at=at("2026-08-10"), actor="clerk") as w:
        face.continued_use(w, card_id, resident_pin=PINS["resident"])
    assert err.value.message == "No move is waiting for this card's continued use."


def test_a_card_reissued_after_moving_in_needs_no_continued_use_R_CARD_8(office):
    """The new card is made with the new address: the open move does not wait for it."""
    rid, old_id = _moved_in(office)
    with office.work(at=at("2026-08-08"), actor="kanazawa") as w:
        loss.report_loss(w, old_id)
    with office.work(at=at("2026-08-09"), actor="kanazawa") as w:
        applied = cards.apply(w, rid, kind="reissue", reason="loss", documents={"police_report": "第1号"})
        new_id = applied.card.id
    with office.work(at=at("2026-08-20"), actor="j-lis") as w:
        cards.make(w, new_id)
    with office.work(at=at("2026-09-01"), actor="kanazawa") as w:
        cards.issue(w, new_id, identity_documents=["drivers_license"], pins=PINS)
    assert _card(office, new_id).continued_use_by is None
    with pytest.raises(StateError) as err, office.work(at=at("2026-09-02"), actor="kanazawa") as w:
        face.continued_use(w, new_id, resident_pin=PINS["resident"])
    assert err.value.message == "No move is waiting for this card's continued use."


# --- a move inside the municipality ----------------------------------------------------------


@pytest.mark.parametrize("new_address", ["石川県鹿島郡中能登町能登部下91部23番地", "  "])
def test_a_move_within_needs_a_new_address_R_CARD_7(office, new_address):
    rid = new_resident(office)  # lives at 石川県鹿島郡中能登町能登部下91部23番地
    with pytest.raises(ValidationError) as err, office.work(at=at("2026-03-01"), actor="clerk") as w:
        face.move_within(w, rid, new_address=new_address)
    assert err.value.to_dict() == {
        "code": "invalid_input",
        "message": "Give the new address (different from the current one).",
        "message_ja": "新しい住所を入力してください。",
        "field": "new_address",
    }


def test_a_move_within_address_with_a_control_character_is_refused_naming_the_field(office):
    rid = new_resident(office)
    with pytest.raises(ValidationError) as err, office.work(at=at("2026-03-01"), actor="clerk") as w:
        face.move_within(w, rid, new_address="中能登町\t井田")
    assert err.value.field == "new_address"
    assert err.value.message == "new_address contains a control character (U+0009); enter it again without it."


def test_a_move_within_is_logged_as_an_address_change_and_can_bring_a_new_signing_certificate_R_CERT_5(office):
    rid = new_resident(office)
    card_id = issued_card(office, rid)
    with office.work(at=at("2026-03-01"), actor="clerk") as w:
        res = face.move_within(w, rid, new_address="石川県鹿島郡中能登町井田1番地", new_signing_pin="IDA2026")
        assert res.new_signing_serial is not None
        assert repo.current_certificate(w.session, card_id, "sign").serial == res.new_signing_serial
    [(logged_card, details)] = _events(office, "attributes_changed", rid)
    assert (logged_card, details) == (card_id, {"what": "address", "certificates": {"sign": "revoke"}})


def test_a_full_notes_field_is_logged_for_the_card_R_CARD_7(office):
    rid = new_resident(office)
    card_id = issued_card(office, rid)
    for i in range(5):  # the field holds 4 changes
        with office.work(at=at(f"2026-0{i + 1}-10"), actor="clerk") as w:
            face.move_within(w, rid, new_address=f"石川県鹿島郡中能登町{i + 1}番地")
    assert _events(office, "notes_full", rid) == [(card_id, {})]
