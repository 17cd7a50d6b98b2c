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
from mynacard.errors import StateError
from mynacard.services import batch, loss
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


# --- what the batch writes: the cards, the certificates and the log ------------------------------


def _moved(office, n: int) -> list[str]:
    """``n`` holders who moved to Kanazawa (notice 2026-08-05) and never presented their card:
    their continued use ends after 2026-11-03 (R_CARD_8)."""
    from mynacard.services import face

    ids = []
    for i in range(n):
        rid = new_resident(office, name=f"転出 {i}")
        ids.append(issued_card(office, rid))
        with office.work(at=at("2026-07-31"), actor="clerk") as w:
            face.move_out(w, rid, to_municipality=KANAZAWA, planned_on=date(2026, 8, 1))
        with office.work(at=at("2026-08-05"), actor="kanazawa") as w:
            face.move_in(w, rid, new_address="石川県金沢市広坂1丁目1番1号", moved_in_on=date(2026, 8, 2))
    return ids


def _log(office, card_id: str) -> list:
    with office.work(at=at("2040-01-01"), actor="reader") as w:
        found = sorted(repo.events(w.session, card_id=card_id), key=lambda e: e.id)
        w.session.expunge_all()
        return found


def test_a_card_not_presented_after_a_move_lapses_with_its_certificate_and_both_are_logged_R_CARD_8_R_CERT_7(
    office,
):
    ids = _moved(office, 2)
    when = at("2026-11-04T02:00")
    rep = batch.run_daily(office, at=when, chunk=1)
    assert (rep.counts["lapsed_cards"], rep.counts["revoked_certificates"]) == (2, 2)  # the auth certificates
    with office.store.session() as s:
        for card_id in ids:
            c = s.get(Card, card_id)
            assert (c.state, c.end_reason, c.continued_use_by) == (
                "lapsed", "not presented within 90 days of moving", None)
            assert c.ended_at == when
            [auth] = [x for x in s.scalars(select(Certificate).where(Certificate.card_id == card_id))
                      if x.kind == "auth"]
            assert (auth.status, auth.reason, auth.revoked_at) == ("revoked", "cessation_of_operation", when)
    for card_id in ids:
        steps = [e for e in _log(office, card_id) if e.at == when]
        assert [(e.action, e.actor, e.details) for e in steps] == [
            ("certificate_revoked", "batch", {"kind": "auth", "reason": "cessation_of_operation"}),
            ("card_lapsed", "batch", {"reason": "not presented within 90 days of moving"})]
        assert steps[0].certificate_serial is not None and steps[1].certificate_serial is None
        assert {e.resident_id for e in steps} == {steps[0].resident_id} and steps[0].resident_id is not None


def test_a_card_returned_after_its_move_is_not_touched_when_the_move_lapses_R_CARD_8(office):
    from mynacard.services import lifecycle

    [card_id] = _moved(office, 1)
    with office.work(at=at("2026-09-01"), actor="kanazawa") as w:
        lifecycle.return_card(w, card_id)
    rep = batch.run_daily(office, at=at("2026-11-04T02:00"))
    assert rep.counts["lapsed_cards"] == 0
    with office.store.session() as s:
        c = s.get(Card, card_id)
        assert (c.state, c.end_reason) == ("returned", "returned by the holder")


def test_an_expired_card_and_its_certificates_are_logged_each_R_CARD_2_R_CERT_4(office):
    ids = _cards(office, 3)
    rep = batch.run_daily(office, at=CARD_END, chunk=2)
    assert (rep.counts["expired_certificates"], rep.counts["expired_cards"]) == (6, 3)
    with office.store.session() as s:
        c = s.get(Card, ids[0])
        assert (c.state, c.end_reason, c.ended_at) == ("expired", "expired", CARD_END)
    steps = [e for e in _log(office, ids[0]) if e.at == CARD_END]
    assert sorted((e.action, e.details.get("kind")) for e in steps) == [
        ("card_expired", None), ("certificate_expired", "auth"), ("certificate_expired", "sign")]
    for e in steps:
        assert e.actor == "batch" and e.resident_id is not None and e.card_id == ids[0]
        if e.action == "certificate_expired":
            assert e.certificate_serial is not None and e.details == {"kind": e.details["kind"]}
        else:
            assert e.certificate_serial is None and e.details == {"reason": "expired"}


def test_the_batch_cannot_run_before_a_cards_last_recorded_step_R_CARD_2(office):
    ids = _cards(office, 2)
    with office.work(at=at("2034-06-20T03:00"), actor="hotline") as w:  # a later step of the first card
        loss.report_loss(w, ids[0])
    with pytest.raises(StateError) as err:
        batch.run_daily(office, at=CARD_END)  # 2034-06-16: before that step
    last = max(e.at for e in _log(office, ids[0]))  # the loss report
    assert last == at("2034-06-20T03:00")
    assert err.value.message == (
        f"The time {CARD_END.isoformat()} is before the last recorded step of card {ids[0]} ({last.isoformat()}): "
        "simulated time cannot run backwards. Use a later --at.")
    assert err.value.message_ja == "このカードの直前の記録(2034-06-19 18:00 UTC)より前の日時では処理できません。"
    assert (err.value.card_id, err.value.last_at) == (ids[0], last.isoformat())
    with office.store.session() as s:  # the certificates' step refused it first: nothing was kept
        assert s.get(Card, ids[1]).state == "issued"
        assert sorted(s.scalars(select(Certificate.status).where(Certificate.card_id == ids[0]))) == ["hold", "hold"]


def test_a_later_step_of_another_card_does_not_stop_the_batch_R_CARD_2(office):
    ids = _cards(office, 1)
    other = issued_card(office, new_resident(office, name="別 人", when="2033-04-01"),  # nothing due in 2034
                        applied="2033-04-01", made="2033-04-20", handed="2033-05-10")
    with office.work(at=at("2034-06-20T03:00"), actor="hotline") as w:
        loss.report_loss(w, other)
    assert batch.run_daily(office, at=CARD_END).counts["expired_cards"] == 1
    with office.store.session() as s:
        assert (s.get(Card, ids[0]).state, s.get(Card, other).state) == ("expired", "suspended")


def test_card_notices_in_chunks_of_one_reach_every_card_whatever_its_id_R_USE_3(office):
    # five cards expiring on five days (births 06-15 .. 06-19), every one due on 2034-03-19
    for day in range(15, 20):
        issued_card(office, new_resident(office, name=f"通知 {day}", birth=date(1990, 6, day)))
    rep = batch.run_daily(office, at=at("2034-03-19T02:00"), chunk=1)
    assert rep.counts["notices"] == 5
    with office.store.session() as s:
        assert sorted(s.scalars(select(ExpiryNotice.expires_on))) == [date(2034, 6, d) for d in range(15, 20)]
