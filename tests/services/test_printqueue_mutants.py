"""The print queue of expiry notices (有効期限通知書, R_USE_3) at the service level: which notices a
filter shows, the counts, the scoping by municipality, and marking them printed (who and when,
printed before, another municipality's or unknown, the limits). Written against the mutants of
``services/printqueue.py``.

One store is built per module (three cards, the batches that make their certificate notices and
their card notices) and each test works on its own copy of it."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select

from mynacard.db.models import ExpiryNotice
from mynacard.db.store import Store
from mynacard.errors import ValidationError
from mynacard.services import batch, printqueue, residents
from mynacard.services.context import Office
from tests.keypool import pooled_key
from tests.services.conftest import KANAZAWA, MASTER_KEY, NAKANOTO, at, issued_card, new_resident
from tests.storetemplate import migrated_store

DAY = date(2029, 3, 20)  # the certificate notices
CARD_DAY = date(2034, 3, 20)  # the card notices
ADDRESS = "石川県鹿島郡中能登町能登部下91部23番地"  # every resident's (new_resident)


@dataclass(frozen=True)
class Holder:
    name: str
    rid: int
    card_id: str


@dataclass(frozen=True)
class World:
    path: Path
    holders: list[Holder]  # two of Nakanoto, then one of Kanazawa


@pytest.fixture(scope="module")
def world(tmp_path_factory) -> World:
    path = tmp_path_factory.mktemp("printqueue") / "world.db"
    store = migrated_store(path)
    office = Office(store=store, master_key=MASTER_KEY, keygen=pooled_key)
    with office.work(at=at("2020-01-01"), actor="setup") as w:
        residents.add_municipality(w, NAKANOTO, "中能登町", "石川県")
        residents.add_municipality(w, KANAZAWA, "金沢市", "石川県")
    holders = []
    for name, code in [("能登 一郎", NAKANOTO), ("能登 二郎", NAKANOTO), ("金沢 三郎", KANAZAWA)]:
        rid = new_resident(office, name=name, municipality_code=code)
        holders.append(Holder(name, rid, issued_card(office, rid)))
    for day in (DAY, CARD_DAY):
        with office.work(at=at(day.isoformat()), actor="j-lis") as w:
            batch.daily(w)
    store.dispose()
    return World(path, holders)


@pytest.fixture
def desk(world, tmp_path):
    """An office on a copy of the module's store."""
    shutil.copyfile(world.path, tmp_path / "copy.db")
    store = Store(str(tmp_path / "copy.db"))
    yield Office(store=store, master_key=MASTER_KEY, keygen=pooled_key)
    store.dispose()


def _ids(desk: Office, day: date = DAY) -> dict[str, int]:
    """The notices of a day: card ID -> notice ID."""
    with desk.work(at=at("2034-04-01"), actor="reader") as w:
        found = {n.card_id: n.id for n in w.session.scalars(select(ExpiryNotice).where(ExpiryNotice.sent_on == day))}
    return found


def _row(desk: Office, h: Holder, *, day: date = DAY, printed_at=None, printed_by=None) -> dict:
    with desk.work(at=at("2034-04-01"), actor="reader") as w:
        [n] = w.session.scalars(select(ExpiryNotice).where(ExpiryNotice.card_id == h.card_id,
                                                            ExpiryNotice.sent_on == day))
        nid, app = n.id, n.application_id
    subject, expires = ("certificate", date(2029, 6, 15)) if day == DAY else ("card", date(2034, 6, 15))
    return {"id": nid, "name": h.name, "address": ADDRESS, "rid": h.rid, "card_id": h.card_id, "subject": subject,
            "expires_on": expires, "application_id": app, "printed_at": printed_at, "printed_by": printed_by}


def _notices(desk: Office, **kw) -> list[dict]:
    with desk.work(at=at("2034-04-01"), actor="reader") as w:
        return printqueue.notices(w, **({"day": DAY} | kw))


def _counts(desk: Office, **kw) -> dict[str, int]:
    with desk.work(at=at("2034-04-01"), actor="reader") as w:
        return printqueue.counts(w, **({"day": DAY} | kw))


def _mark(desk: Office, ids, *, actor: str = "clerk", when: str = "2029-03-21", **kw) -> printqueue.Marked:
    with desk.work(at=at(when), actor=actor) as w:
        return printqueue.mark_printed(w, ids, **kw)


def test_the_queue_lists_the_days_notices_unprinted_by_default_in_order_R_USE_3(desk, world):
    rows = [_row(desk, h) for h in world.holders]
    assert _notices(desk) == sorted(rows, key=lambda r: r["id"])
    assert _notices(desk, day=CARD_DAY) == sorted((_row(desk, h, day=CARD_DAY) for h in world.holders),
                                                  key=lambda r: r["id"])
    assert _notices(desk, day=date(2029, 3, 21)) == []
    assert _notices(desk, municipality_code=NAKANOTO) == sorted(rows[:2], key=lambda r: r["id"])
    assert _notices(desk, municipality_code=KANAZAWA) == [rows[2]]
    assert _counts(desk) == {"printed": 0, "unprinted": 3, "all": 3}


def test_a_marked_notice_moves_from_unprinted_to_printed_with_who_and_when_R_USE_3(desk, world):
    one, two, three = world.holders
    ids = _ids(desk)
    assert _mark(desk, [ids[two.card_id]], actor="clerk-a") == printqueue.Marked([ids[two.card_id]], 0, 0)
    printed = _row(desk, two, printed_at=at("2029-03-21"), printed_by="clerk-a")
    assert _notices(desk, show="printed") == [printed]
    unprinted = sorted([_row(desk, one), _row(desk, three)], key=lambda r: r["id"])
    assert _notices(desk, show="unprinted") == unprinted
    assert _notices(desk) == unprinted  # the default
    assert _notices(desk, show="all") == sorted([_row(desk, one), printed, _row(desk, three)], key=lambda r: r["id"])
    assert _counts(desk) == {"printed": 1, "unprinted": 2, "all": 3}
    assert _counts(desk, municipality_code=NAKANOTO) == {"printed": 1, "unprinted": 1, "all": 2}
    assert _counts(desk, municipality_code=KANAZAWA) == {"printed": 0, "unprinted": 1, "all": 1}
    assert _counts(desk, day=CARD_DAY) == {"printed": 0, "unprinted": 3, "all": 3}
    assert _notices(desk, show="printed", municipality_code=KANAZAWA) == []


def test_a_notice_marked_again_keeps_who_printed_it_first_R_USE_3(desk, world):
    one, two, _ = world.holders
    ids = _ids(desk)
    _mark(desk, [ids[one.card_id]], actor="clerk-a")
    again = _mark(desk, [ids[two.card_id], ids[one.card_id], ids[one.card_id]], actor="clerk-b", when="2029-03-22")
    assert again == printqueue.Marked([ids[two.card_id]], 1, 0)
    assert _notices(desk, show="printed") == sorted(
        [_row(desk, one, printed_at=at("2029-03-21"), printed_by="clerk-a"),
         _row(desk, two, printed_at=at("2029-03-22"), printed_by="clerk-b")], key=lambda r: r["id"])


def test_marking_all_the_days_notices_lists_them_in_order(desk, world):
    ids = sorted(_ids(desk).values())
    assert _mark(desk, list(reversed(ids))) == printqueue.Marked(ids, 0, 0)
    assert _counts(desk) == {"printed": 3, "unprinted": 0, "all": 3}


def test_another_municipalitys_notice_is_not_marked_and_counts_as_unknown_R_USE_3(desk, world):
    one, _, three = world.holders
    ids = _ids(desk)
    marked = _mark(desk, [ids[one.card_id], ids[three.card_id], 999_999], municipality_code=NAKANOTO)
    assert marked == printqueue.Marked([ids[one.card_id]], 0, 2)
    assert _notices(desk, show="printed", municipality_code=KANAZAWA) == []
    theirs = ids[three.card_id]
    assert _mark(desk, [theirs], municipality_code=KANAZAWA) == printqueue.Marked([theirs], 0, 0)
    assert _mark(desk, [999_999, 999_998]) == printqueue.Marked([], 0, 2)


def test_the_printer_is_recorded_in_at_most_64_characters(desk, world):
    one = world.holders[0]
    nid = _ids(desk)[one.card_id]
    _mark(desk, [nid], actor="a" * 70)
    [row] = _notices(desk, show="printed")
    assert row["printed_by"] == "a" * 64


def test_marking_nothing_or_more_than_a_page_is_refused(desk, world):
    with pytest.raises(ValidationError) as err:
        _mark(desk, [])
    assert (err.value.field, err.value.message, err.value.message_ja) == (
        "notice", "Choose the notices that were printed.", "印刷済みにする通知書を選んでください。")
    with pytest.raises(ValidationError) as err:
        _mark(desk, range(1, 1002))
    assert (err.value.field, err.value.message, err.value.message_ja) == (
        "notice", "At most 1000 notices at a time.", "一度に印刷済みにできる通知書は1000件までです。")
    assert _counts(desk) == {"printed": 0, "unprinted": 3, "all": 3}
    every = sorted([*_ids(desk).values(), *_ids(desk, CARD_DAY).values()])
    assert every == [1, 2, 3, 4, 5, 6]
    assert _mark(desk, range(1, 1001)) == printqueue.Marked(every, 0, 994)  # a full page


def test_the_filter_is_one_of_unprinted_printed_or_all():
    assert [printqueue.check_show(s) for s in ("unprinted", "printed", "all")] == ["unprinted", "printed", "all"]
    with pytest.raises(ValidationError) as err:
        printqueue.check_show("done")
    assert (err.value.field, err.value.message, err.value.message_ja) == (
        "show", "show must be unprinted, printed or all.",
        "表示する通知書は「未印刷」「印刷済み」「すべて」から選んでください。")
