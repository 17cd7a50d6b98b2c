from __future__ import annotations

import base64
import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime

import pytest
from sqlalchemy import event

from mynacard.services import cards, face, residents
from mynacard.services.context import Office
from mynacard.timeutil import JST
from tests.keypool import pooled_key
from tests.storetemplate import migrated_store

MASTER_KEY = base64.b64decode(base64.b64encode(os.urandom(32)))
NAKANOTO = "174076"
KANAZAWA = "172014"


def at(text: str) -> datetime:
    """A Japan time from 'YYYY-MM-DD' or 'YYYY-MM-DDTHH:MM'."""
    if len(text) == 10:
        text += "T10:00"
    return datetime.fromisoformat(text).replace(tzinfo=JST)


def open_office(path) -> Office:
    """An office on a fresh store at ``path`` that knows 中能登町 and 金沢市; the caller disposes of
    ``office.store``. A test module whose tests each make a resident of their own may share one
    (a module-scoped ``office`` fixture)."""
    off = Office(store=migrated_store(path), master_key=MASTER_KEY, keygen=pooled_key)
    with off.work(at=at("2020-01-01"), actor="setup") as w:
        residents.add_municipality(w, NAKANOTO, "中能登町", "石川県")
        residents.add_municipality(w, KANAZAWA, "金沢市", "石川県")
    return off


@pytest.fixture
def office(tmp_path):
    off = open_office(tmp_path / "test.db")
    yield off
    off.store.dispose()


NUMBERS = iter(["123456789018"] + [None] * 10_000)


def new_resident(
    office: Office,
    *,
    when: str = "2025-04-01",
    birth: date = date(1990, 6, 15),
    name: str = "能登 太郎",
    sex: str = "1",
    **kw,
) -> int:
    from mynacard.ids import IndividualNumber

    with office.work(at=at(when), actor="clerk") as w:
        r = residents.register(
            w,
            individual_number=str(IndividualNumber.generate()),
            name=name,
            address="石川県鹿島郡中能登町能登部下91部23番地",
            birth_date=birth,
            sex=sex,
            municipality_code=kw.pop("municipality_code", NAKANOTO),
            **kw,
        )
        return r.id


PINS = {"sign": "ABC123", "auth": "1234", "resident": "2345", "card_info": "3456"}


def issued_card(
    office: Office,
    resident_id: int,
    *,
    applied: str = "2025-04-01",
    made: str = "2025-04-20",
    handed: str = "2025-05-10",
    pins: dict | None = None,
    kind: str = "new",
    **issue_kw,
) -> str:
    """Apply, make and hand over a card; returns its ID."""
    with office.work(at=at(applied), actor="clerk") as w:
        card_id = cards.apply(w, resident_id, kind=kind, channel="online").card.id
    with office.work(at=at(made), actor="j-lis") as w:
        cards.make(w, card_id)
    with office.work(at=at(handed), actor="clerk") as w:
        cards.issue(w, card_id, identity_documents=["drivers_license"], pins=pins or PINS, **issue_kw)
    return card_id


def issued_cards(office: Office, n: int, **resident_kw) -> list[str]:
    """``n`` holders with a card each; with the defaults the cards expire on 2034-06-15 and their
    certificates on 2029-06-15 (the daily batch's tests)."""
    return [issued_card(office, new_resident(office, name=f"期限 {i}", **resident_kw)) for i in range(n)]


def move_away(office: Office, resident_id: int, *, to: str = KANAZAWA, notice: str = "2026-08-05") -> None:
    """Out on 2026-07-31 (planned 08-01), in at ``to`` on 08-02 with the notice on ``notice``: the
    card is to be presented within 90 days of the notice (by 2026-11-03 for the default, R_CARD_8)."""
    with office.work(at=at("2026-07-31"), actor="clerk") as w:
        face.move_out(w, resident_id, to_municipality=to, planned_on=date(2026, 8, 1))
    with office.work(at=at(notice), actor="clerk") as w:
        face.move_in(w, resident_id, new_address="新しい住所1番地", moved_in_on=date(2026, 8, 2))


@contextmanager
def statements(office: Office) -> Iterator[list[str]]:
    """The SQL statements run on the store while the block runs."""
    seen: list[str] = []

    def note(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        seen.append(statement)

    event.listen(office.store.engine, "before_cursor_execute", note)
    try:
        yield seen
    finally:
        event.remove(office.store.engine, "before_cursor_execute", note)


def count_work(office: Office, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The actors of the units of work the office opens from now on."""
    opened: list[str] = []
    real = office.work

    def work(*, at, actor):  # type: ignore[no-untyped-def]
        opened.append(actor)
        return real(at=at, actor=actor)

    monkeypatch.setattr(office, "work", work)
    return opened


@contextmanager
def pg_office(url: str, *municipalities: tuple[str, str]) -> Iterator[Office]:
    """An office on the PostgreSQL database ``url`` (migrated), with 中能登町 and the given
    (code, name) municipalities of Ishikawa registered unless the database has them already."""
    from sqlalchemy import text

    from mynacard.db.store import Store

    store = Store(url)
    store.migrate()
    office = Office(store=store, master_key=MASTER_KEY, keygen=pooled_key)
    try:
        with office.work(at=at("2020-01-01"), actor="setup") as w:
            known = set(w.session.execute(text("SELECT code FROM municipalities")).scalars())
            for code, name in ((NAKANOTO, "中能登町"), *municipalities):
                if code not in known:
                    residents.add_municipality(w, code, name, "石川県")
        yield office
    finally:
        store.dispose()


REDIS_URL = "redis://127.0.0.1:6379/9"


@pytest.fixture
def redis(monkeypatch):
    """OCSP responses kept in the local Redis (database 9): the client, and a list the test fills
    with the serials whose keys are deleted afterwards."""
    from mynacard.services.revocation import cache
    from tests.conftest import skip_or_fail

    monkeypatch.setenv(cache.REDIS_ENV, REDIS_URL)
    try:
        client = cache.redis_client()
        client.ping()
    except Exception as e:
        skip_or_fail(f"Redis not reachable at {REDIS_URL}: {type(e).__name__}: {e}")
    used: list[int] = []
    yield client, used
    if used:
        client.delete(*[cache._KEY.format(s) for s in used])
    cache._redis_clients.pop(REDIS_URL, None)
