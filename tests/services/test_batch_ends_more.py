"""The daily batch's ends of cards and certificates (R_CARD_2, R_CARD_8, R_CERT_7, R_USE_3),
continued: the order in which chunks take expired cards and lapsed moves, the order of the
revocations in the event log, no revocation statement for a lapsed move whose card had already
ended, and, on PostgreSQL, a status changed by a clerk while the batch runs is kept."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import event, select, text

from mynacard.db.models import Card, CardState, Event
from mynacard.services import batch
from tests.services.conftest import KANAZAWA, NAKANOTO, at, issued_card, move_away, new_resident, statements


def _set_card(office, card_id: str, **values: object) -> None:
    sets = ", ".join(f"{k} = :{k}" for k in values)
    with office.store.engine.begin() as conn:
        conn.execute(text(f"UPDATE cards SET {sets} WHERE id = :id"), {**values, "id": card_id})


def _cards(office, n: int) -> list[str]:
    """``n`` holders with a card each, by card ID."""
    return sorted(issued_card(office, new_resident(office, name=f"期限 {i}")) for i in range(n))


def test_expired_cards_are_taken_by_expiry_date_then_card_id_chunk_by_chunk_R_CARD_2(office):
    a, b, c, d = _cards(office, 4)
    # d expires first; a, b and c on the same day, c inserted first, b suspended
    for card_id, day in ((d, "2028-01-10"), (a, "2028-01-20"), (b, "2028-01-20"), (c, "2028-01-20")):
        _set_card(office, card_id, expires_on=day)
    _set_card(office, b, state=CardState.SUSPENDED.value)
    with office.work(at=at("2028-01-21"), actor="batch") as w:
        rep = batch.daily(w, chunk=1)
    assert rep.expired_cards == [d, a, b, c]
    assert rep.counts["expired_cards"] == 4


def test_the_revocations_of_ended_cards_are_logged_by_card_then_kind_R_CERT_7(office):
    cards = _cards(office, 2)
    for card_id in cards:  # the cards end while their certificates are still good
        _set_card(office, card_id, expires_on="2028-01-20")
    with office.work(at=at("2028-01-21"), actor="batch") as w:
        batch.daily(w)
    with office.store.session() as s:
        logged = [(e.card_id, e.action, e.details.get("kind")) for e in s.scalars(
            select(Event).where(Event.action == "certificate_revoked").order_by(Event.id))]
    assert logged == [(card_id, "certificate_revoked", kind) for card_id in cards for kind in ("auth", "sign")]


def test_lapsed_moves_are_taken_in_the_order_they_were_made_R_CARD_8(office):
    first, second = new_resident(office, name="転居 一"), new_resident(office, name="転居 二")
    cards = {rid: issued_card(office, rid) for rid in (first, second)}
    move_away(office, second)  # the later resident moves first
    move_away(office, first)
    with office.work(at=at("2026-11-04"), actor="batch") as w:
        rep = batch.daily(w, municipality_code=KANAZAWA, chunk=1)
    assert rep.lapsed_cards == [cards[second], cards[first]]


def test_a_lapsed_move_whose_card_had_already_ended_revokes_nothing_R_CARD_8(office):
    rid = new_resident(office)
    card_id = issued_card(office, rid)
    move_away(office, rid)
    _set_card(office, card_id, state=CardState.RETURNED.value)
    with office.work(at=at("2026-11-04"), actor="batch") as w, statements(office) as ran:
        rep = batch.daily(w)
    assert (rep.lapsed_cards, rep.counts["revoked_certificates"]) == ([], 0)
    assert [s for s in ran if s.startswith("UPDATE certificates") and "revoked_at" in s] == []
    with office.store.session() as s:
        assert s.get(Card, card_id).state == "returned"
        assert s.scalars(text("SELECT status FROM moves WHERE resident_id = :r"), {"r": rid}).one() == "lapsed"


def _pg_office(pg_url):
    from mynacard.db.store import Store
    from mynacard.services import residents
    from mynacard.services.context import Office
    from tests.keypool import pooled_key
    from tests.services.conftest import MASTER_KEY, NAKANOTO

    store = Store(pg_url)
    store.migrate()
    office = Office(store=store, master_key=MASTER_KEY, keygen=pooled_key)
    with office.store.engine.begin() as conn:
        known = set(conn.execute(text("SELECT code FROM municipalities")).scalars())
    with office.work(at=at("2020-01-01"), actor="setup") as w:
        for code, name in ((NAKANOTO, "中能登町"), (KANAZAWA, "金沢市")):
            if code not in known:
                residents.add_municipality(w, code, name, "石川県")
    return office


@pytest.mark.postgres
def test_a_move_presented_while_the_batch_runs_stays_presented_R_CARD_8(pg_url):
    office = _pg_office(pg_url)
    try:
        rid = new_resident(office, name="転居 三")
        issued_card(office, rid)
        move_away(office, rid)
        presented: list[bool] = []

        def present_meanwhile(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
            if statement.startswith("UPDATE moves") and not presented:
                presented.append(True)  # the card presented at the window, committed first
                with office.store.engine.connect() as other:
                    other.execute(text("UPDATE moves SET status = 'done' WHERE resident_id = :r"), {"r": rid})
                    other.commit()

        event.listen(office.store.engine, "before_cursor_execute", present_meanwhile)
        try:
            with office.work(at=at("2026-11-04"), actor="batch") as w:
                batch.daily(w, municipality_code=KANAZAWA)
        finally:
            event.remove(office.store.engine, "before_cursor_execute", present_meanwhile)
        assert presented == [True]
        with office.store.session() as s:
            assert s.scalars(text("SELECT status FROM moves WHERE resident_id = :r"), {"r": rid}).one() == "done"
            # and the card presented stays in effect, its authentication certificate with it (the
            # signing certificate ended with the move itself)
            assert s.scalars(text("SELECT state FROM cards WHERE resident_id = :r"), {"r": rid}).one() == "issued"
            assert s.scalars(text("SELECT status FROM certificates WHERE resident_id = :r AND kind = 'auth'"),
                             {"r": rid}).one() == "good"
    finally:
        office.store.dispose()


@pytest.mark.postgres
def test_a_certificate_revoked_while_the_batch_expires_it_stays_revoked_R_CERT_3(pg_url):
    import threading

    office = _pg_office(pg_url)
    try:
        card_id = issued_card(office, new_resident(office, name="失効 四"))
        with office.store.engine.connect() as conn:
            serial = conn.execute(text("SELECT serial FROM certificates WHERE card_id = :c AND kind = 'auth'"),
                                  {"c": card_id}).scalar_one()
        clerk = office.store.engine.connect()  # revokes it; the batch's UPDATE waits for its commit
        clerk.execute(text("UPDATE certificates SET status = 'revoked', reason = 'key_compromise' "
                           "WHERE serial = :s"), {"s": serial})
        done: list[object] = []

        def run() -> None:
            try:
                with office.work(at=at("2029-06-16"), actor="batch") as w:
                    done.append(batch.daily(w, municipality_code=NAKANOTO).counts["expired_certificates"])
            except Exception as e:  # shown by the assertions below
                done.append(repr(e))

        t = threading.Thread(target=run)
        t.start()
        with office.store.engine.connect() as watch:  # until the batch waits for the clerk's lock
            for _ in range(1500):
                # the clerk's transaction holds the only lock in this database: any wait is on it
                if watch.execute(text("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                                      "AND wait_event_type = 'Lock'")).scalar_one():
                    break
                watch.rollback()  # pg_stat_activity is read once per transaction: a new one each time
                time.sleep(0.01)
            else:
                clerk.rollback()
                raise AssertionError(f"the batch never waited: {done}")
        clerk.commit()
        clerk.close()
        t.join(timeout=10)
        assert done == [1]  # the signing certificate only
        with office.store.engine.connect() as conn:
            assert conn.execute(text("SELECT status FROM certificates WHERE serial = :s"),
                                {"s": serial}).scalar_one() == "revoked"
    finally:
        office.store.dispose()
