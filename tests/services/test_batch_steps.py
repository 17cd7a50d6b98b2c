"""The daily batch's steps (R_CARD_2, R_CARD_8, R_CERT_3, R_CERT_7, R_USE_3): what it expires and
lapses, in which municipality, what the cards, moves and certificates keep, what the event log
says, which expiry notices it mails, and the refusal of a time before a card's last step. The
chunks, the checkpoint and the resumption of ``batch.run_daily`` are ``test_batch_chunks.py``."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from mynacard.db import repositories as repo
from mynacard.db.models import Card, Certificate, ExpiryNotice, Move
from mynacard.errors import StateError
from mynacard.services import batch, face, lifecycle, loss
from tests.services.conftest import (
    KANAZAWA,
    NAKANOTO,
    PINS,
    at,
    issued_card,
    issued_cards,
    move_away,
    new_resident,
)

CARD_END = at("2034-06-16T02:00")  # the default cards expire on 2034-06-15 (R_CARD_2)


def _card(office, card_id: str) -> Card:
    with office.store.session() as s:
        c = s.get(Card, card_id)
        s.expunge_all()
        return c


def _move_status(office, rid: int) -> str:
    with office.store.session() as s:
        return s.scalars(select(Move.status).where(Move.resident_id == rid)).one()


def _events(office, card_id: str, *actions: str) -> list[tuple]:
    with office.work(at=at("2040-01-01"), actor="reader") as w:
        return [
            (e.action, e.actor, e.resident_id, e.certificate_serial, e.details)
            for e in repo.events(w.session, card_id=card_id)
            if e.action in actions and e.actor.endswith("batch")
        ]


def _serial(office, card_id: str, kind: str) -> int:
    with office.work(at=at("2031-01-01"), actor="reader") as w:
        return repo.latest_certificate(w.session, card_id, kind).serial


def _notices(office) -> list[tuple[str, str, date, date]]:
    with office.store.session() as s:
        return sorted((n.card_id, n.subject, n.expires_on, n.sent_on) for n in s.scalars(select(ExpiryNotice)))


# --- lapsed moves (R_CARD_8) -----------------------------------------------------------------


def test_a_card_not_presented_within_90_days_lapses_with_its_certificate_and_the_log_says_why_R_CARD_8_R_CERT_7(
    office,
):
    late = new_resident(office)
    late_card = issued_card(office, late)
    move_away(office, late)
    presented = new_resident(office, name="能登 次郎")
    presented_card = issued_card(office, presented)
    move_away(office, presented)
    with office.work(at=at("2026-08-10"), actor="clerk") as w:
        face.continued_use(w, presented_card, resident_pin=PINS["resident"])
    waiting = new_resident(office, name="能登 三郎")
    waiting_card = issued_card(office, waiting)
    move_away(office, waiting, notice="2026-08-10")  # to be presented by 2026-11-08

    when = at("2026-11-04")
    with office.work(at=when, actor="batch") as w:
        rep = batch.daily(w)
    assert rep.lapsed_cards == [late_card]
    # the auth certificate: the signing one went at the move
    assert (rep.counts["lapsed_cards"], rep.counts["revoked_certificates"]) == (1, 1)
    c = _card(office, late_card)
    assert (c.state, c.end_reason, c.continued_use_by) == ("lapsed", "not presented within 90 days of moving", None)
    assert c.ended_at == when
    assert _move_status(office, late) == "lapsed"
    with office.store.session() as s:
        auth = s.scalars(select(Certificate).where(Certificate.card_id == late_card, Certificate.kind == "auth")).one()
        assert (auth.status, auth.reason, auth.revoked_at) == ("revoked", "cessation_of_operation", when)
    assert _events(office, late_card, "certificate_revoked", "card_lapsed") == [
        ("certificate_revoked", "batch", late, auth.serial, {"kind": "auth", "reason": "cessation_of_operation"}),
        ("card_lapsed", "batch", late, None, {"reason": "not presented within 90 days of moving"}),
    ]
    # the card presented in time and the one still within its 90 days are untouched
    assert (_card(office, presented_card).state, _move_status(office, presented)) == ("issued", "done")
    assert (_card(office, waiting_card).state, _move_status(office, waiting)) == ("issued", "moved_in")


def test_lapses_over_several_chunks_are_all_listed_and_counted_R_CARD_8(office):
    cards = []
    for name in ("能登 太郎", "能登 次郎"):
        rid = new_resident(office, name=name)
        cards.append(issued_card(office, rid))
        move_away(office, rid)
    with office.work(at=at("2026-11-04"), actor="batch") as w:
        rep = batch.daily(w, chunk=1)
    assert sorted(rep.lapsed_cards) == sorted(cards)
    assert (rep.counts["lapsed_cards"], rep.counts["revoked_certificates"]) == (2, 2)


def test_a_card_returned_after_its_move_is_not_touched_when_the_move_lapses_R_CARD_8(office):
    rid = new_resident(office)
    card_id = issued_card(office, rid)
    move_away(office, rid)
    with office.work(at=at("2026-09-01"), actor="kanazawa") as w:
        lifecycle.return_card(w, card_id)
    rep = batch.run_daily(office, at=at("2026-11-04T02:00"))
    assert rep.counts["lapsed_cards"] == 0
    c = _card(office, card_id)
    assert (c.state, c.end_reason) == ("returned", "returned by the holder")


# --- expiry (R_CARD_2, R_CERT_3) -------------------------------------------------------------


def test_expired_certificates_are_listed_logged_and_counted_R_CERT_3(office):
    """The adult of ``issued_card``: certificates to 2029-06-15, the card to 2034-06-15."""
    rid = new_resident(office)
    card_id = issued_card(office, rid)
    by_serial = sorted([(_serial(office, card_id, "sign"), "sign"), (_serial(office, card_id, "auth"), "auth")])
    with office.work(at=at("2029-06-16"), actor="batch") as w:
        rep = batch.daily(w)
    assert rep.expired_certificates == [format(s, "x") for s, _ in by_serial]  # lower-case hex, by serial
    assert rep.counts["expired_certificates"] == 2
    assert sorted(_events(office, card_id, "certificate_expired"), key=lambda e: e[3]) == [
        ("certificate_expired", "batch", rid, s, {"kind": k}) for s, k in by_serial
    ]
    assert _card(office, card_id).state == "issued"


def test_expired_cards_end_with_their_reason_and_are_all_listed_R_CARD_2(office):
    first, second = issued_cards(office, 2)
    with office.work(at=at("2034-06-16"), actor="batch") as w:
        rep = batch.daily(w, chunk=1)
    assert sorted(rep.expired_cards) == sorted([first, second])
    assert rep.counts["expired_cards"] == 2
    assert len(rep.expired_certificates) == 4  # listed over four chunks too
    for card_id in (first, second):
        c = _card(office, card_id)
        assert (c.state, c.end_reason, c.ended_at) == ("expired", "expired", at("2034-06-16"))
        [(_, _, _, _, details)] = _events(office, card_id, "card_expired")
        assert details == {"reason": "expired"}


def test_a_municipalitys_batch_expires_only_its_own_residents_cards_and_certificates_R_CARD_2(office):
    ours = issued_card(office, new_resident(office))
    theirs = issued_card(office, new_resident(office, name="金沢 一郎", municipality_code=KANAZAWA))
    with office.work(at=at("2029-06-16"), actor="batch") as w:
        rep = batch.daily(w, municipality_code=NAKANOTO)
    assert rep.counts["expired_certificates"] == 2
    with office.work(at=at("2029-06-16"), actor="reader") as w:
        assert {c.status for c in repo.certificates_of_card(w.session, theirs)} == {"good"}
        assert {c.status for c in repo.certificates_of_card(w.session, ours)} == {"expired"}
    with office.work(at=at("2034-06-16"), actor="batch") as w:
        rep = batch.daily(w, municipality_code=NAKANOTO)
    assert rep.expired_cards == [ours]
    assert _card(office, theirs).state == "issued"


# --- simulated time --------------------------------------------------------------------------


def test_the_batch_refuses_a_time_before_a_cards_last_step_and_names_it(office):
    rid = new_resident(office)
    card_id = issued_card(office, rid)
    move_away(office, rid)
    with office.work(at=at("2026-11-10"), actor="hotline") as w:  # recorded on the card after 11-05
        loss.report_loss(w, card_id)
    issued_card(office, new_resident(office, name="能登 次郎"))  # another card, its steps earlier
    with pytest.raises(StateError) as err, office.work(at=at("2026-11-05"), actor="batch") as w:
        batch.daily(w)  # the step of the moves finds the card
    assert err.value.to_dict() == {
        "code": "wrong_state",
        "message": f"The time 2026-11-05T10:00:00+09:00 is before the last recorded step of card {card_id} "
        "(2026-11-10T01:00:00+00:00): simulated time cannot run backwards. Use a later --at.",
        "message_ja": "このカードの直前の記録(2026-11-10 01:00 UTC)より前の日時では処理できません。",
        "card_id": card_id,
        "last_at": "2026-11-10T01:00:00+00:00",
    }
    assert _card(office, card_id).state == "suspended"  # nothing changed


def test_the_batch_cannot_expire_a_certificate_before_its_cards_last_recorded_step_R_CARD_2(office):
    ids = issued_cards(office, 2)
    with office.work(at=at("2034-06-20T03:00"), actor="hotline") as w:  # a later step of the first card
        loss.report_loss(w, ids[0])
    with pytest.raises(StateError) as err:
        batch.run_daily(office, at=CARD_END)  # 2034-06-16: before that step
    assert err.value.to_dict() == {
        "code": "wrong_state",
        "message": f"The time {CARD_END.isoformat()} is before the last recorded step of card {ids[0]} "
        "(2034-06-19T18:00:00+00:00): simulated time cannot run backwards. Use a later --at.",
        "message_ja": "このカードの直前の記録(2034-06-19 18:00 UTC)より前の日時では処理できません。",
        "card_id": ids[0],
        "last_at": "2034-06-19T18:00:00+00:00",
    }
    with office.store.session() as s:  # the certificates' step refused it first: nothing was kept
        assert s.get(Card, ids[1]).state == "issued"
        assert sorted(s.scalars(select(Certificate.status).where(Certificate.card_id == ids[0]))) == ["hold", "hold"]


def test_a_later_step_of_another_card_does_not_stop_the_batch_R_CARD_2(office):
    [card_id] = issued_cards(office, 1)
    other = issued_card(
        office,
        new_resident(office, name="別 人", when="2033-04-01"),  # nothing due in 2034
        applied="2033-04-01",
        made="2033-04-20",
        handed="2033-05-10",
    )
    with office.work(at=at("2034-06-20T03:00"), actor="hotline") as w:
        loss.report_loss(w, other)
    assert batch.run_daily(office, at=CARD_END).counts["expired_cards"] == 1
    assert (_card(office, card_id).state, _card(office, other).state) == ("expired", "suspended")


# --- expiry notices (R_USE_3: mailed 2-3 months before the expiry) -----------------------------


def test_a_certificate_notice_is_still_due_two_months_before_the_expiry_R_USE_3(office):
    card_id = issued_card(office, new_resident(office))  # certificates to 2029-06-15
    with office.work(at=at("2029-04-15"), actor="batch") as w:
        batch.daily(w)
    assert _notices(office) == [(card_id, "certificate", date(2029, 6, 15), date(2029, 4, 15))]


def test_no_notice_is_mailed_less_than_two_months_before_the_expiry_R_USE_3(office):
    issued_card(office, new_resident(office))
    with office.work(at=at("2029-04-16"), actor="batch") as w:
        batch.daily(w)
    assert _notices(office) == []


def test_a_notice_for_a_month_end_expiry_goes_out_on_the_day_three_months_before_R_USE_3(office):
    """Born on 31 May: certificates to 2029-05-31, three months before is 2029-02-28."""
    card_id = issued_card(office, new_resident(office, birth=date(1990, 5, 31)))
    with office.work(at=at("2029-02-28"), actor="batch") as w:
        batch.daily(w)
    assert _notices(office) == [(card_id, "certificate", date(2029, 5, 31), date(2029, 2, 28))]


def test_a_suspended_card_gets_no_card_notice_R_USE_3(office):
    """Cards to 2034-06-15: their notices are due on 2034-04-01."""
    issued, suspended = issued_cards(office, 2)
    with office.work(at=at("2034-03-01"), actor="hotline") as w:
        loss.report_loss(w, suspended)
    with office.work(at=at("2034-04-01"), actor="batch") as w:
        batch.daily(w)
    assert _notices(office) == [(issued, "card", date(2034, 6, 15), date(2034, 4, 1))]


def test_a_municipalitys_batch_mails_only_its_own_residents_notices_R_USE_3(office):
    ours = issued_card(office, new_resident(office))
    issued_card(office, new_resident(office, name="金沢 一郎", municipality_code=KANAZAWA))
    with office.work(at=at("2029-04-01"), actor="batch") as w:
        batch.daily(w, municipality_code=NAKANOTO)
    with office.work(at=at("2034-04-01"), actor="batch") as w:
        batch.daily(w, municipality_code=NAKANOTO)
    assert _notices(office) == [
        (ours, "card", date(2034, 6, 15), date(2034, 4, 1)),
        (ours, "certificate", date(2029, 6, 15), date(2029, 4, 1)),
    ]
