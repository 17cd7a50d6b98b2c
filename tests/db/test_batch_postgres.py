"""The daily batch on PostgreSQL (partitioned certificates and events): what it expires, the
expiry notices it sends once, and its refusal to run before a card's last step (R_USE_3).

Runs against ``MYNACARD_TEST_PG_URL`` in a database of its own; skipped where no server answers.
"""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from mynacard.db.models import Card, Certificate, ExpiryNotice
from mynacard.db.store import Store
from mynacard.errors import StateError
from mynacard.services import batch, residents
from mynacard.services.context import Office
from tests.keypool import pooled_key
from tests.services.conftest import MASTER_KEY, at, issued_card, new_resident

pytestmark = pytest.mark.postgres


@pytest.fixture(scope="module")
def pg_office(pg_url):
    store = Store(pg_url)
    store.migrate()
    off = Office(store=store, master_key=MASTER_KEY, keygen=pooled_key)
    with off.work(at=at("2020-01-01"), actor="setup") as w:
        residents.add_municipality(w, "174076", "中能登町", "石川県")
    yield off
    store.dispose()


def _count(office, q) -> int:
    with office.store.session() as s:
        return int(s.scalar(q))


def test_batch_expires_notifies_once_and_refuses_an_earlier_time_R_USE_3(pg_office) -> None:
    ids = [issued_card(pg_office, new_resident(pg_office, name=f"期限 {i}", birth=date(1990, 6, 15)))
           for i in range(3)]
    # the certificates (five years, to the 5th birthday after issue) expire before the cards
    rep = batch.run_daily(pg_office, at=at("2030-06-16T02:00"), chunk=2)
    assert rep.counts["expired_certificates"] == 6
    live = select(func.count()).select_from(Certificate).where(Certificate.card_id.in_(ids),
                                                               Certificate.status != "expired")
    assert _count(pg_office, live) == 0
    # the cards expire 2034-06-15: their notices go out 3 to 2 months before, once each
    rep = batch.run_daily(pg_office, at=at("2034-03-15T02:00"), chunk=2)
    assert rep.counts["notices"] == 3
    with pg_office.work(at=at("2034-03-16T02:00"), actor="batch") as w:
        assert batch.daily(w, chunk=2).notices == []
    sent = select(func.count()).select_from(ExpiryNotice).where(ExpiryNotice.card_id.in_(ids))
    assert _count(pg_office, sent) == 3
    # simulated time cannot run backwards: the cards' last steps are the notices of 2034-03-15
    with pg_office.work(at=at("2034-03-14T02:00"), actor="batch") as w, pytest.raises(StateError) as e:
        batch._check_order(w, ids)
    assert e.value.card_id in ids  # type: ignore[attr-defined]
    rep = batch.run_daily(pg_office, at=at("2034-06-16T02:00"), chunk=2)
    assert rep.counts["expired_cards"] == 3
    assert _count(pg_office, select(func.count()).select_from(Card).where(Card.id.in_(ids),
                                                                          Card.state == "expired")) == 3
