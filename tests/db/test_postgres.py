"""The PostgreSQL backend: migrations, the whole lifecycle, and PIN counters under concurrency.

Runs against ``MYNACARD_TEST_PG_URL`` (default: postgresql+psycopg://postgres@127.0.0.1:5432/test),
in a database of its own that it drops afterwards. Skipped, with the reason, where no server answers.
"""

from __future__ import annotations

import threading
from datetime import date

import pytest

from mynacard.db import repositories as repo
from mynacard.db.store import Store
from mynacard.errors import PinError
from mynacard.services import holder, loss, pins, residents
from mynacard.services.context import Office
from tests.keypool import pooled_key
from tests.services.conftest import MASTER_KEY, at, issued_card, new_resident

pytestmark = pytest.mark.postgres


@pytest.fixture(scope="module")
def pg_office(pg_url):
    store = Store(pg_url)
    store.migrate()
    store.migrate()  # idempotent
    off = Office(store=store, master_key=MASTER_KEY, keygen=pooled_key)
    with off.work(at=at("2020-01-01"), actor="setup") as w:
        residents.add_municipality(w, "174076", "中能登町", "石川県")
    yield off
    store.dispose()


def test_lifecycle_on_postgresql_R_LOSS_1_R_LOSS_3(pg_office):
    rid = new_resident(pg_office, birth=date(1985, 2, 28))
    card_id = issued_card(pg_office, rid)
    with pg_office.work(at=at("2027-01-17T03:00"), actor="hotline") as w:
        loss.hotline_suspend(w, name="能登 太郎", birth_date=date(1985, 2, 28))
    with pg_office.work(at=at("2027-01-17T03:01"), actor="t") as w:  # R_LOSS_1: suspended, both held
        assert repo.card(w.session, card_id).state == "suspended"
        assert sorted(c.status for c in repo.certificates_of_card(w.session, card_id)) == ["hold", "hold"]
    with pg_office.work(at=at("2027-01-18"), actor="clerk") as w:
        loss.found(w, card_id)
    with pg_office.work(at=at("2027-01-18"), actor="t") as w:  # R_LOSS_3: lifted, holds released
        assert repo.card(w.session, card_id).state == "issued"
        certs = repo.certificates_of_card(w.session, card_id)
        assert sorted(c.status for c in certs) == ["good", "good"]
        # 159-bit serials survive the round trip
        assert all(c.serial.bit_length() > 64 for c in certs)


def test_concurrent_wrong_pins_never_lose_a_try_R_PIN_4(pg_office):
    """Five clients present a wrong signing password at once: all five tries are spent, none is
    lost to a race, because the card row is read with a row lock."""
    rid = new_resident(pg_office, birth=date(1980, 1, 1))
    card_id = issued_card(pg_office, rid)
    barrier = threading.Barrier(5)
    errors: list[Exception] = []

    def attempt() -> None:
        barrier.wait()
        try:
            with pg_office.work(at=at("2026-01-01"), actor="holder") as w:
                holder.sign(w, card_id, "sign", b"doc", pin="WRONG9")
        except PinError as e:
            errors.append(e)

    threads = [threading.Thread(target=attempt) for _ in range(5)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(errors) == 5
    # each attempt saw its own counter value: no two read the same one
    assert sorted(e.tries_left for e in errors) == [0, 1, 2, 3, 4]
    with pg_office.work(at=at("2026-01-01"), actor="t") as w:
        assert pins.tries_left(w, card_id)["sign"] == 0
