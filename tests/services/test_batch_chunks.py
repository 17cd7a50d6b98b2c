"""The daily batch in chunks with a checkpoint (``batch.run_daily``): resumable after a crash."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from mynacard.db.models import Card, ExpiryNotice, StoreMeta
from mynacard.services import batch
from tests.services.conftest import at, issued_card, new_resident


def _cards(office, n: int) -> list[str]:
    ids = []
    for i in range(n):
        rid = new_resident(office, name=f"期限 {i}", birth=date(1990, 6, 15))
        ids.append(issued_card(office, rid))  # all expire 2034-06-15
    return ids


def test_chunked_batch_expires_every_card_and_resumes_after_a_crash_R_CARD_2(office, monkeypatch):
    ids = _cards(office, 5)
    when = at("2034-06-16T02:00")
    real = batch._STEP["cards"]
    calls = {"n": 0}

    def crash_on_second_chunk(w, rep, scope, after, limit):  # type: ignore[no-untyped-def]
        calls["n"] += 1
        if calls["n"] == 2:
            raise RuntimeError("power cut")
        return real(w, rep, scope, after, limit)

    monkeypatch.setitem(batch._STEP, "cards", crash_on_second_chunk)
    with pytest.raises(RuntimeError):
        batch.run_daily(office, at=when, chunk=2)
    with office.store.session() as s:
        assert s.scalar(select(func.count()).select_from(Card).where(Card.state == "expired")) == 2
        saved = s.get(StoreMeta, batch.checkpoint_name(when.date(), None))
        assert saved is not None and '"step":"cards"' in saved.value  # the first chunk is recorded
    monkeypatch.setitem(batch._STEP, "cards", real)
    rep = batch.run_daily(office, at=when, chunk=2)
    assert rep.resumed_from is not None and rep.resumed_from.startswith("cards")
    assert rep.counts["expired_cards"] == 5  # 2 before the crash, 3 after it
    with office.store.session() as s:
        states = s.scalars(select(Card.state).where(Card.id.in_(ids))).all()
    assert sorted(states) == ["expired"] * 5
    again = batch.run_daily(office, at=when, chunk=2)
    assert again.counts["expired_cards"] == 5 and again.resumed_from == "done"  # nothing more done


def test_chunked_notices_match_the_single_transaction_batch_R_USE_3(office):
    _cards(office, 3)
    rep = batch.run_daily(office, at=at("2034-03-15T02:00"), chunk=1)
    assert rep.counts["notices"] == 3
    with office.store.session() as s:
        assert s.scalar(select(func.count()).select_from(ExpiryNotice)) == 3
    with office.work(at=at("2034-03-16"), actor="batch") as w:
        assert batch.daily(w).notices == []  # sent once, whichever form ran
