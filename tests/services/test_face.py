"""Card-face updates: moves and marriage (R_CARD_7, R_CARD_8, R_CERT_5)."""

from __future__ import annotations

from datetime import date

import pytest

from mynacard.chip import CardInfo
from mynacard.db import repositories as repo
from mynacard.errors import StateError, WrongPin
from mynacard.services import batch, cards, chips, face
from tests.services.conftest import KANAZAWA, PINS, at, issued_card, new_resident


def _certs(office, card_id):
    with office.work(at=at("2030-01-01"), actor="t") as w:
        return sorted((c.kind, c.status) for c in repo.certificates_of_card(w.session, card_id))


def _chip_info(office, card_id) -> CardInfo:
    with office.work(at=at("2030-01-01"), actor="t") as w:
        return chips.chip_of(w, repo.card(w.session, card_id)).card_info


def test_move_within_revokes_signing_keeps_auth_and_writes_notes_R_CERT_5_R_CARD_7(office):
    rid = new_resident(office)
    card_id = issued_card(office, rid)
    with office.work(at=at("2026-03-01"), actor="clerk") as w:
        res = face.move_within(w, rid, new_address="石川県鹿島郡中能登町井田1番地")
    assert res.certificates == {"sign": "revoke"}
    assert res.note_written
    assert _certs(office, card_id) == [("auth", "good"), ("sign", "revoked")]
    assert _chip_info(office, card_id).address == "石川県鹿島郡中能登町井田1番地"
    with office.work(at=at("2026-03-01"), actor="t") as w:
        # the notes field is dated in 和暦, as the card face prints it
        assert repo.card(w.session, card_id).notes[0]["text"] == "令和8年3月1日 転居 石川県鹿島郡中能登町井田1番地"
        signed = repo.latest_certificate(w.session, card_id, "sign")
        assert signed.reason == "affiliation_changed"


def test_marriage_with_new_signing_certificate_R_CERT_5(office):
    rid = new_resident(office, name="能登 花子", sex="2")
    card_id = issued_card(office, rid)
    with office.work(at=at("2026-06-01"), actor="clerk") as w:
        res = face.change_name(w, rid, new_name="金沢 花子", new_signing_pin="HANA2026")
    assert res.new_signing_serial is not None
    assert _certs(office, card_id) == [("auth", "good"), ("sign", "good"), ("sign", "revoked")]
    assert _chip_info(office, card_id).name == "金沢 花子"


def test_move_to_other_municipality_with_continued_use_R_CARD_8(office):
    rid = new_resident(office)
    card_id = issued_card(office, rid)
    with office.work(at=at("2026-07-31"), actor="clerk") as w:
        face.move_out(w, rid, to_municipality=KANAZAWA, planned_on=date(2026, 8, 1))
    with office.work(at=at("2026-08-05"), actor="kanazawa") as w:
        res = face.move_in(w, rid, new_address="石川県金沢市広坂1丁目1番1号", moved_in_on=date(2026, 8, 2))
    assert res.present_by == date(2026, 11, 3)  # 90 days after the notice
    assert _certs(office, card_id) == [("auth", "good"), ("sign", "revoked")]
    with office.work(at=at("2026-08-10"), actor="kanazawa") as w:
        face.continued_use(w, card_id, resident_pin=PINS["resident"], new_signing_pin="KANA2026")
    with office.work(at=at("2026-08-10"), actor="t") as w:
        c = repo.card(w.session, card_id)
        assert c.state == "issued" and c.continued_use_by is None
        new_sign = repo.current_certificate(w.session, card_id, "sign")
        assert new_sign.municipality_code == KANAZAWA


def test_late_moving_in_notice_makes_the_card_lose_effect_R_CARD_8(office):
    rid = new_resident(office)
    card_id = issued_card(office, rid)
    with office.work(at=at("2026-07-31"), actor="clerk") as w:
        face.move_out(w, rid, to_municipality=KANAZAWA, planned_on=date(2026, 8, 1))
    # moved in on 08-02, notice on 08-17: 15 days > 14
    with office.work(at=at("2026-08-17"), actor="kanazawa") as w:
        face.move_in(w, rid, new_address="石川県金沢市広坂1丁目1番1号", moved_in_on=date(2026, 8, 2))
    with office.work(at=at("2026-08-17"), actor="t") as w:
        assert repo.card(w.session, card_id).state == "lapsed"
    assert _certs(office, card_id) == [("auth", "revoked"), ("sign", "revoked")]  # R_CERT_7


def test_card_not_presented_within_90_days_lapses_in_the_batch_R_CARD_8(office):
    rid = new_resident(office)
    card_id = issued_card(office, rid)
    with office.work(at=at("2026-07-31"), actor="clerk") as w:
        face.move_out(w, rid, to_municipality=KANAZAWA, planned_on=date(2026, 8, 1))
    with office.work(at=at("2026-08-05"), actor="kanazawa") as w:
        face.move_in(w, rid, new_address="石川県金沢市広坂1丁目1番1号", moved_in_on=date(2026, 8, 2))
    with office.work(at=at("2026-11-03"), actor="batch") as w:
        assert batch.daily(w).lapsed_cards == []  # the 90th day still counts
    with office.work(at=at("2026-11-04"), actor="batch") as w:
        assert batch.daily(w).lapsed_cards == [card_id]
    with pytest.raises(StateError), office.work(at=at("2026-11-05"), actor="kanazawa") as w:
        face.continued_use(w, card_id, resident_pin=PINS["resident"])


def test_continued_use_with_wrong_pin_spends_a_try_and_changes_nothing_else_R_PIN_4(office):
    rid = new_resident(office)
    card_id = issued_card(office, rid)
    with office.work(at=at("2026-07-31"), actor="clerk") as w:
        face.move_out(w, rid, to_municipality=KANAZAWA, planned_on=date(2026, 8, 1))
    with office.work(at=at("2026-08-05"), actor="kanazawa") as w:
        face.move_in(w, rid, new_address="石川県金沢市広坂1丁目1番1号", moved_in_on=date(2026, 8, 2))
    with pytest.raises(WrongPin) as err, office.work(at=at("2026-08-10"), actor="kanazawa") as w:
        face.continued_use(w, card_id, resident_pin="0000")
    assert err.value.tries_left == 2
    with office.work(at=at("2026-08-10"), actor="t") as w:
        c = repo.card(w.session, card_id)
        assert c.continued_use_by == date(2026, 11, 3)  # still pending
        assert chips.chip_of(w, c).tries_left("resident") == 2  # the try stayed spent


def test_full_notes_field_asks_for_free_reissue_R_CARD_7(office):
    """[policy] The notes field holds 4 changes (stated here, not read from the code)."""
    capacity = 4
    rid = new_resident(office)
    card_id = issued_card(office, rid)
    results = []
    for i in range(capacity + 1):
        with office.work(at=at(f"2026-0{i + 1}-10"), actor="clerk") as w:
            results.append(face.move_within(w, rid, new_address=f"石川県鹿島郡中能登町{i + 1}番地"))
    assert [r.notes_full for r in results] == [False] * (capacity - 1) + [True, True]
    assert [r.note_written for r in results] == [True] * capacity + [False]
    with office.work(at=at("2026-06-11"), actor="t") as w:
        assert len(repo.card(w.session, card_id).notes) == capacity
    # ... and the full field is a free reissue (R_LOSS_4)
    with office.work(at=at("2026-06-11"), actor="clerk") as w:
        applied = cards.apply(w, rid, kind="reissue", reason="notes_full")
        assert (applied.application.fee_total, applied.receipt) == (0, None)
