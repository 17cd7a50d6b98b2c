"""The day's batch in chunks (``batch.run_daily``): its checkpoint, its scope, what it reports and
how it resumes after a crash at any step (R_CARD_2, R_CERT_4, R_USE_3). Written against the mutants
that lived in ``services/batch.py``."""

from __future__ import annotations

import json
from datetime import date

import pytest
from sqlalchemy import func, select

from mynacard.db import repositories as repo
from mynacard.db.models import Card, Certificate, ExpiryNotice, StoreMeta
from mynacard.services import batch
from tests.services.conftest import KANAZAWA, at, issued_card, new_resident

CARD_END = at("2034-06-16T02:00")  # the cards below expire on 2034-06-15 (R_CARD_2)
CERT_END = at("2029-06-16T02:00")  # their certificates on the 5th birthday, 2029-06-15 (R_CERT_4)
CERT_NOTICE = at("2029-03-15T02:00")  # three months before the certificates expire (R_USE_3)


def _cards(office, n: int, **kw) -> list[str]:
    return [issued_card(office, new_resident(office, name=f"期限 {i}", **kw)) for i in range(n)]


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


def _checkpoint(office, when, code=None) -> dict:
    with office.store.session() as s:
        row = s.get(StoreMeta, batch.checkpoint_name(when.date(), code))
        assert row is not None
        return json.loads(row.value)


def test_the_checkpoint_is_named_after_the_day_and_the_municipality_or_all():
    assert batch.checkpoint_name(date(2034, 6, 16), None) == "batch:2034-06-16:all"
    assert batch.checkpoint_name(date(2034, 6, 16), "174076") == "batch:2034-06-16:174076"


def test_a_municipality_batch_touches_only_its_residents_and_keeps_its_own_checkpoint_R_CARD_2(office):
    ours = _cards(office, 2)
    theirs = _cards(office, 1, municipality_code=KANAZAWA)
    rep = batch.run_daily(office, at=CARD_END, municipality_code=KANAZAWA)
    assert rep.counts["expired_cards"] == 1
    with office.store.session() as s:
        states = dict(s.execute(select(Card.id, Card.state).where(Card.id.in_(ours + theirs))).all())
        assert s.get(StoreMeta, batch.checkpoint_name(CARD_END.date(), None)) is None
    assert [states[c] for c in ours] == ["issued", "issued"]
    assert states[theirs[0]] == "expired"
    assert _checkpoint(office, CARD_END, KANAZAWA)["step"] == "done"


def test_the_batch_acts_as_batch_and_reports_counts_without_lists_R_CARD_2(office):
    ids = _cards(office, 3)
    seen: list[tuple[str, int]] = []
    rep = batch.run_daily(office, at=CARD_END, chunk=2, progress=lambda step, n: seen.append((step, n)))
    assert rep.counts["expired_cards"] == 3
    assert rep.expired_cards == [] and rep.notices == []  # national scale: counts only, bounded memory
    # six certificates (expired on 2029-06-15, never run before) and three cards, two a chunk
    assert seen == [("certificates", 2), ("certificates", 2), ("certificates", 2), ("certificates", 0),
                    ("cards", 2), ("cards", 1), ("moves", 0), ("card_notices", 0), ("certificate_notices", 0)]
    with office.work(at=at("2034-06-17"), actor="reader") as w:
        [event] = [e for e in repo.events(w.session, card_id=ids[0]) if e.action == "card_expired"]
        assert event.actor == "batch"


def test_a_fresh_batch_starts_with_the_certificates_R_CERT_4(office):
    _cards(office, 2)
    rep = batch.run_daily(office, at=CERT_END)
    assert rep.counts["expired_certificates"] == 4  # both certificates of both cards
    assert rep.counts["expired_cards"] == 0
    with office.store.session() as s:
        assert s.scalar(select(func.count()).select_from(Certificate).where(Certificate.status == "expired")) == 4


def test_a_resumed_batch_says_where_it_resumed_R_USE_3(office, monkeypatch):
    when = at("2034-03-15T02:00")  # the five cards' expiry notices are due
    _cards(office, 5)
    _crash_at(monkeypatch, "card_notices", 2)
    with pytest.raises(RuntimeError):
        batch.run_daily(office, at=when, chunk=2)
    saved = _checkpoint(office, when)
    assert saved["step"] == "card_notices" and saved["after"].startswith("2034-06-15 ")
    assert saved["counts"]["notices"] == 2
    monkeypatch.undo()
    rep = batch.run_daily(office, at=when, chunk=2)
    assert rep.resumed_from == f"card_notices {saved['after']}"
    assert rep.counts["notices"] == 5
    with office.store.session() as s:
        assert s.scalar(select(func.count()).select_from(ExpiryNotice)) == 5  # each sent once


@pytest.mark.parametrize(
    ("step", "when", "count", "expected"),
    [
        ("cards", CARD_END, "expired_cards", 3),  # the step after a finished one
        ("card_notices", at("2034-03-15T02:00"), "notices", 3),
        ("certificate_notices", CERT_NOTICE, "notices", 3),  # the last step
    ],
)
def test_a_crash_at_the_first_chunk_of_a_step_resumes_at_that_step_R_CARD_2_R_USE_3(
    office, monkeypatch, step, when, count, expected
):
    _cards(office, 3)
    _crash_at(monkeypatch, step, 1)
    with pytest.raises(RuntimeError):
        batch.run_daily(office, at=when, chunk=2)
    assert _checkpoint(office, when) == {"step": step, "after": None, "counts": _checkpoint(office, when)["counts"]}
    monkeypatch.undo()
    rep = batch.run_daily(office, at=when, chunk=2)
    assert rep.resumed_from == step
    assert rep.counts[count] == expected
    if count == "notices":
        with office.store.session() as s:
            assert s.scalar(select(func.count()).select_from(ExpiryNotice)) == expected
    assert _checkpoint(office, when)["step"] == "done"


def test_a_batch_resumed_in_one_step_walks_the_next_steps_from_their_start_R_USE_3(office, monkeypatch):
    when = at("2034-03-15T02:00")
    _cards(office, 3)  # cards expiring 2034-06-15: card notices due
    # a card handed over in August 2029: its certificates expire on its holder's 5th birthday after
    # that, 2034-06-14, before the card (2039), and before the key where the card notices' walk stopped
    later = issued_card(office, new_resident(office, name="証明 次郎", birth=date(1990, 6, 14), when="2029-07-01"),
                        applied="2029-07-01", made="2029-07-20", handed="2029-08-10")
    _crash_at(monkeypatch, "card_notices", 2)
    with pytest.raises(RuntimeError):
        batch.run_daily(office, at=when, chunk=2)
    assert _checkpoint(office, when)["after"] > "2034-06-14 " + later
    monkeypatch.undo()
    batch.run_daily(office, at=when, chunk=2)
    with office.store.session() as s:
        sent = s.execute(select(ExpiryNotice.subject, ExpiryNotice.card_id, ExpiryNotice.expires_on)).all()
    assert sorted(subject for subject, _, _ in sent) == ["card", "card", "card", "certificate"]
    assert ("certificate", later, date(2034, 6, 14)) in sent


def test_a_supervisors_batch_in_one_transaction_touches_only_their_municipality_R_CARD_2(office):
    ours = _cards(office, 2)
    theirs = _cards(office, 1, municipality_code=KANAZAWA)
    with office.work(at=CARD_END, actor="supervisor") as w:
        rep = batch.daily(w, municipality_code=KANAZAWA)
    assert rep.expired_cards == theirs
    with office.store.session() as s:
        states = dict(s.execute(select(Card.id, Card.state).where(Card.id.in_(ours + theirs))).all())
    assert [states[c] for c in ours] == ["issued", "issued"] and states[theirs[0]] == "expired"


def test_the_batch_in_one_transaction_goes_through_every_chunk_R_CARD_2(office):
    ids = _cards(office, 3)
    with office.work(at=CARD_END, actor="batch") as w:
        rep = batch.daily(w, chunk=2)
    assert sorted(rep.expired_cards) == sorted(ids)
    assert len(rep.expired_certificates) == 6
