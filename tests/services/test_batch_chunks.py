"""The daily batch in chunks with a checkpoint (``batch.run_daily``, R_CARD_2, R_CARD_8, R_CERT_4,
R_USE_3): a chunk at a time, counts only, its checkpoint and its scope, and where it resumes after
a crash at any step. What each step does is ``test_batch_steps.py``."""

from __future__ import annotations

import json
from datetime import date

import pytest
from sqlalchemy import func, select

from mynacard.db import repositories as repo
from mynacard.db.models import Card, ExpiryNotice, Move, StoreMeta
from mynacard.services import batch, cards
from tests.services.conftest import KANAZAWA, NAKANOTO, at, issued_card, issued_cards, move_away, new_resident

CARD_END = at("2034-06-16T02:00")  # the default cards expire on 2034-06-15 (R_CARD_2)
CARD_NOTICE = at("2034-03-15T02:00")  # three months before the cards expire (R_USE_3)
CERT_NOTICE = at("2029-03-15T02:00")  # three months before their certificates expire, 2029-06-15


def _crash_at(monkeypatch, step: str, call: int) -> None:
    """Make the ``call``-th chunk of ``step`` fail as a power cut would."""
    real = batch._STEP[step]
    calls = {"n": 0}

    def crashing(w, rep, scope, after, limit):  # type: ignore[no-untyped-def]
        calls["n"] += 1
        if calls["n"] == call:
            raise RuntimeError("power cut")
        return real(w, rep, scope, after, limit)

    monkeypatch.setitem(batch._STEP, step, crashing)


def _checkpoint(office, when, code=None) -> dict | None:
    with office.store.session() as s:
        row = s.get(StoreMeta, batch.checkpoint_name(when.date(), code))
        return None if row is None else json.loads(row.value)


def _log(office, card_id: str) -> list:
    with office.work(at=at("2040-01-01"), actor="reader") as w:
        found = sorted(repo.events(w.session, card_id=card_id), key=lambda e: e.id)
        w.session.expunge_all()
        return found


def _notices_sent(office) -> int:
    with office.store.session() as s:
        return s.scalar(select(func.count()).select_from(ExpiryNotice))


def test_the_checkpoint_is_named_after_the_day_and_the_municipality_or_all():
    assert batch.checkpoint_name(date(2034, 6, 16), None) == "batch:2034-06-16:all"
    assert batch.checkpoint_name(date(2034, 6, 16), "174076") == "batch:2034-06-16:174076"


# --- a chunk at a time, counts only ----------------------------------------------------------


def test_the_chunked_batch_logs_each_expiry_as_the_batch_and_reports_counts_only_R_CARD_2_R_CERT_4(office):
    ids = issued_cards(office, 3)
    seen: list[tuple[str, int]] = []
    rep = batch.run_daily(office, at=CARD_END, chunk=2, progress=lambda step, n: seen.append((step, n)))
    # six certificates (expired on 2029-06-15, never run before) and three cards, two a chunk
    assert seen == [
        ("certificates", 2),
        ("certificates", 2),
        ("certificates", 2),
        ("certificates", 0),
        ("cards", 2),
        ("cards", 1),
        ("moves", 0),
        ("card_notices", 0),
        ("certificate_notices", 0),
    ]
    assert (rep.counts["expired_certificates"], rep.counts["expired_cards"]) == (6, 3)
    # national scale: counts only, bounded memory
    assert rep.expired_certificates == [] and rep.expired_cards == [] and rep.notices == []
    with office.store.session() as s:
        c = s.get(Card, ids[0])
        assert (c.state, c.end_reason, c.ended_at) == ("expired", "expired", CARD_END)
    steps = [e for e in _log(office, ids[0]) if e.at == CARD_END]
    assert sorted((e.action, e.details.get("kind")) for e in steps) == [
        ("card_expired", None),
        ("certificate_expired", "auth"),
        ("certificate_expired", "sign"),
    ]
    for e in steps:
        assert e.actor == "batch" and e.resident_id is not None and e.card_id == ids[0]
        if e.action == "certificate_expired":
            assert e.certificate_serial is not None and e.details == {"kind": e.details["kind"]}
        else:
            assert e.certificate_serial is None and e.details == {"reason": "expired"}


def test_the_chunked_batch_lapses_one_move_a_chunk_R_CARD_8(office):
    for name in ("能登 太郎", "能登 次郎"):
        rid = new_resident(office, name=name)
        issued_card(office, rid)
        move_away(office, rid)
    chunks: list[tuple[str, int]] = []
    rep = batch.run_daily(office, at=at("2026-11-04"), chunk=1, progress=lambda s, n: chunks.append((s, n)))
    assert [n for s, n in chunks if s == "moves"] == [1, 1, 0]
    assert (rep.counts["lapsed_cards"], rep.counts["revoked_certificates"]) == (2, 2)  # the auth certificates


def test_card_notices_in_chunks_of_one_reach_every_card_whatever_its_id_R_USE_3(office):
    # five cards expiring on five days (births 06-15 .. 06-19), every one due on 2034-03-19
    for day in range(15, 20):
        issued_card(office, new_resident(office, name=f"通知 {day}", birth=date(1990, 6, day)))
    rep = batch.run_daily(office, at=at("2034-03-19T02:00"), chunk=1)
    assert rep.counts["notices"] == 5
    with office.store.session() as s:
        assert sorted(s.scalars(select(ExpiryNotice.expires_on))) == [date(2034, 6, d) for d in range(15, 20)]


def test_chunked_notices_match_the_single_transaction_batch_R_USE_3(office):
    issued_cards(office, 3)
    rep = batch.run_daily(office, at=CARD_NOTICE, chunk=1)
    assert rep.counts["notices"] == 3
    assert _notices_sent(office) == 3
    with office.work(at=at("2034-03-16"), actor="batch") as w:
        assert batch.daily(w).notices == []  # sent once, whichever form ran


def test_a_municipalitys_chunked_batch_lapses_only_its_own_moves_and_keeps_its_own_checkpoint_R_CARD_8(office):
    rid = new_resident(office)
    card_id = issued_card(office, rid)
    move_away(office, rid, to=KANAZAWA)
    other = new_resident(office, name="金沢 一郎", municipality_code=KANAZAWA)
    other_card = issued_card(office, other)
    move_away(office, other, to=NAKANOTO)
    chunks: list[tuple[str, int]] = []
    when = at("2026-11-04")
    rep = batch.run_daily(
        office, at=when, municipality_code=KANAZAWA, chunk=1, progress=lambda s, n: chunks.append((s, n))
    )
    assert chunks == [
        ("certificates", 0),
        ("cards", 0),
        ("moves", 1),
        ("moves", 0),
        ("card_notices", 0),
        ("certificate_notices", 0),
    ]
    assert (rep.counts["lapsed_cards"], rep.lapsed_cards, rep.resumed_from) == (1, [], None)
    assert [(e.action, e.actor) for e in _log(office, card_id) if e.action == "card_lapsed"] == [
        ("card_lapsed", "batch")
    ]
    with office.store.session() as s:
        assert s.get(Card, other_card).state == "issued"
        assert s.scalars(select(Move.status).where(Move.resident_id == other)).one() == "moved_in"
    assert _checkpoint(office, when, KANAZAWA) == {"step": "done", "after": None, "counts": rep.counts}


# --- resuming after a crash ------------------------------------------------------------------


def test_chunked_batch_expires_every_card_and_resumes_after_a_crash_R_CARD_2(office, monkeypatch):
    ids = issued_cards(office, 5)
    _crash_at(monkeypatch, "cards", 2)
    with pytest.raises(RuntimeError):
        batch.run_daily(office, at=CARD_END, chunk=2)
    with office.store.session() as s:
        assert s.scalar(select(func.count()).select_from(Card).where(Card.state == "expired")) == 2
    assert _checkpoint(office, CARD_END)["step"] == "cards"  # the first chunk is recorded
    monkeypatch.undo()
    rep = batch.run_daily(office, at=CARD_END, chunk=2)
    assert rep.resumed_from is not None and rep.resumed_from.startswith("cards")
    assert rep.counts["expired_cards"] == 5  # 2 before the crash, 3 after it
    with office.store.session() as s:
        states = s.scalars(select(Card.state).where(Card.id.in_(ids))).all()
    assert sorted(states) == ["expired"] * 5
    again = batch.run_daily(office, at=CARD_END, chunk=2)
    assert again.counts["expired_cards"] == 5 and again.resumed_from == "done"  # nothing more done


def test_a_resumed_batch_says_where_it_resumed_R_USE_3(office, monkeypatch):
    issued_cards(office, 5)  # their expiry notices are due
    _crash_at(monkeypatch, "card_notices", 2)
    with pytest.raises(RuntimeError):
        batch.run_daily(office, at=CARD_NOTICE, chunk=2)
    saved = _checkpoint(office, CARD_NOTICE)
    assert saved["step"] == "card_notices" and saved["after"].startswith("2034-06-15 ")
    assert saved["counts"]["notices"] == 2
    monkeypatch.undo()
    rep = batch.run_daily(office, at=CARD_NOTICE, chunk=2)
    assert rep.resumed_from == f"card_notices {saved['after']}"
    assert rep.counts["notices"] == 5
    assert _notices_sent(office) == 5  # each sent once


@pytest.mark.parametrize(
    ("step", "when", "count", "expected"),
    [
        ("cards", CARD_END, "expired_cards", 3),  # the step after a finished one
        ("card_notices", CARD_NOTICE, "notices", 3),
        ("certificate_notices", CERT_NOTICE, "notices", 3),  # the last step
    ],
)
def test_a_crash_at_the_first_chunk_of_a_step_resumes_at_that_step_R_CARD_2_R_USE_3(
    office, monkeypatch, step, when, count, expected
):
    issued_cards(office, 3)
    _crash_at(monkeypatch, step, 1)
    with pytest.raises(RuntimeError):
        batch.run_daily(office, at=when, chunk=2)
    saved = _checkpoint(office, when)
    assert saved == {"step": step, "after": None, "counts": saved["counts"]}
    monkeypatch.undo()
    rep = batch.run_daily(office, at=when, chunk=2)
    assert rep.resumed_from == step
    assert rep.counts[count] == expected
    if count == "notices":
        assert _notices_sent(office) == expected
    assert _checkpoint(office, when)["step"] == "done"


def test_a_batch_stopped_inside_a_step_resumes_after_its_last_key_and_starts_the_next_step_afresh_R_USE_3(
    office, monkeypatch
):
    """On 2034-04-01 the card of one holder (to 2034-06-15) and the certificates of another
    (handed over in 2030: to 2034-06-15, the card to 2039) are due for their notices; the
    certificates' card ID sorts before the key where the card notices stopped."""
    ids = iter(["FFFFFFFFFFF1", "000000000002"])
    monkeypatch.setattr(cards, "new_card_id", lambda: next(ids))
    card_due = issued_card(office, new_resident(office))
    certs_due = issued_card(
        office, new_resident(office, name="能登 次郎"), applied="2030-04-01", made="2030-04-20", handed="2030-05-10"
    )
    when = at("2034-04-01")

    def stop_inside_the_card_notices(step: str, n: int) -> None:
        if step == "card_notices" and n == 1:
            raise RuntimeError("power cut")

    with pytest.raises(RuntimeError):
        batch.run_daily(office, at=when, chunk=1, progress=stop_inside_the_card_notices)
    rep = batch.run_daily(office, at=when, chunk=1)
    assert rep.resumed_from == f"card_notices 2034-06-15 {card_due}"
    with office.store.session() as s:
        sent = sorted((n.card_id, n.subject, n.expires_on, n.sent_on) for n in s.scalars(select(ExpiryNotice)))
    assert sent == [
        (certs_due, "certificate", date(2034, 6, 15), date(2034, 4, 1)),
        (card_due, "card", date(2034, 6, 15), date(2034, 4, 1)),
    ]
