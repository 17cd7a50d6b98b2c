"""The hotline's suspension (R_LOSS_1): the reference number the caller is given, the event that
keeps it with the holder, and the refusal when the card is already suspended."""

from __future__ import annotations

import re
from datetime import date

import pytest

from mynacard.errors import StateError
from mynacard.services import loss
from tests.services.conftest import at, issued_card, new_resident
from tests.services.test_loss_mutants import _events

BORN = date(1990, 6, 15)


def test_the_caller_gets_a_dated_reference_that_the_event_log_keeps_with_the_holder_R_LOSS_1(office):
    rid = new_resident(office)
    card_id = issued_card(office, rid)
    with office.work(at=at("2026-01-01T03:00"), actor="hotline") as w:
        done = loss.hotline_suspend(w, name="能登 太郎", birth_date=BORN)
    # H, the day of the call, six upper-case hexadecimal digits: read out over the phone
    assert re.fullmatch(r"H20260101-[0-9A-F]{6}", done.reference), done.reference
    [event] = _events(office, card_id, "card_suspended")
    assert event.resident_id == rid
    assert event.details["reference"] == done.reference


def test_references_of_calls_on_one_day_differ_R_LOSS_1(office):
    refs = set()
    for i in range(6):
        rid = new_resident(office, name=f"能登 {'一二三四五六'[i]}郎")
        issued_card(office, rid)
        with office.work(at=at("2026-01-01T03:00"), actor="hotline") as w:
            refs.add(loss.hotline_suspend(w, name=f"能登 {'一二三四五六'[i]}郎", birth_date=BORN).reference)
    assert len(refs) == 6


def test_a_second_call_for_a_suspended_card_is_refused_and_says_why_R_LOSS_1(office):
    card_id = issued_card(office, new_resident(office))
    with office.work(at=at("2026-01-01T03:00"), actor="hotline") as w:
        loss.hotline_suspend(w, name="能登 太郎", birth_date=BORN)
    with pytest.raises(StateError) as err, office.work(at=at("2026-01-01T04:00"), actor="hotline") as w:
        loss.hotline_suspend(w, name="能登 太郎", birth_date=BORN)
    assert err.value.message == f"Cannot suspend the card: card {card_id} is suspended (it must be issued)."
    assert err.value.message_ja == "一時停止できません。カードの状態は「一時停止中」です。"
    assert len(_events(office, card_id, "card_suspended")) == 1
