"""The hotline's identity questions (R_LOSS_1): every answer must fit the one cardholder found,
the refusal tells the operator what to ask again, and a caller with no card in effect is told so."""

from __future__ import annotations

from datetime import date

import pytest

from mynacard.db import repositories as repo
from mynacard.errors import NotFoundError, StateError
from mynacard.services import loss
from tests.services.conftest import at, issued_card, new_resident

BORN = date(1990, 6, 15)


def _number(office, resident_id: int) -> str:
    with office.work(at=at("2026-01-01"), actor="reader") as w:
        return str(repo.number_of(repo.resident(w.session, resident_id)))


def _state(office, card_id: str) -> str:
    with office.work(at=at("2026-01-01T03:00"), actor="reader") as w:
        return repo.card(w.session, card_id).state


@pytest.mark.parametrize(
    "answers",
    [
        {"name": "能登 次郎", "birth_date": BORN},  # the number is right, the name is not
        {"name": "能登 太郎", "birth_date": date(1990, 6, 16)},
        {"name": "能登 太郎", "birth_date": BORN, "address": "石川県金沢市広坂1丁目1番1号"},
    ],
    ids=["name", "birth", "address"],
)
def test_the_hotline_suspends_nothing_when_one_answer_does_not_fit_the_numbered_holder_R_LOSS_1(office, answers):
    rid = new_resident(office)
    card_id = issued_card(office, rid)
    with pytest.raises(NotFoundError) as err, office.work(at=at("2026-01-01T03:00"), actor="hotline") as w:
        loss.hotline_suspend(w, individual_number=_number(office, rid), **answers)
    assert err.value.message == (
        "The caller's answers do not identify one cardholder: ask for the name, date of birth and "
        "address (or the individual number) again."
    )
    assert err.value.message_ja == (
        "本人確認ができませんでした。氏名・生年月日・住所(または個人番号)をもう一度確認してください。"
    )
    assert _state(office, card_id) == "issued"


def test_the_hotline_suspends_when_every_answer_fits_the_numbered_holder_R_LOSS_1(office):
    rid = new_resident(office)
    card_id = issued_card(office, rid)
    with office.work(at=at("2026-01-01T03:00"), actor="hotline") as w:
        loss.hotline_suspend(
            w,
            name="能登太郎",
            birth_date=BORN,
            individual_number=_number(office, rid),
            address="石川県鹿島郡中能登町能登部下91部23番地",
        )
    assert _state(office, card_id) == "suspended"


def test_a_caller_without_a_card_in_effect_is_told_to_apply_first_R_LOSS_1(office):
    rid = new_resident(office)
    with pytest.raises(StateError) as err, office.work(at=at("2026-01-01T03:00"), actor="hotline") as w:
        loss.hotline_suspend(w, name="能登 太郎", birth_date=BORN)
    assert err.value.message == f"Resident {rid} has no card in effect. Apply for a card first."
    assert err.value.message_ja == "有効な個人番号カードがありません。交付申請を行ってください。"
    assert err.value.to_dict()["resident_id"] == rid
