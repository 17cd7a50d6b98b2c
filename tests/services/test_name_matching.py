"""Finding residents as clerks type their names, on SQLite and on PostgreSQL: the window search
and the hotline's identity question (R_LOSS_1) match across 異体字, kana and full-width spaces,
through the indexed search keys (migration 0014), and the backfill of existing rows."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select, text

from mynacard.db import repositories as repo
from mynacard.db.models import Resident
from mynacard.db.store import Store
from mynacard.errors import NotFoundError
from mynacard.services import face, loss, residents
from mynacard.services.context import Office
from tests.keypool import pooled_key
from tests.services.conftest import MASTER_KEY, NAKANOTO, at, issued_card, new_resident

BORN = date(1970, 3, 3)


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request, tmp_path):
    if request.param == "sqlite":
        return str(tmp_path / "names.db")
    return request.getfixturevalue("pg_url")


def _fresh(url: str) -> Store:
    """A store with nothing in it (the module's PostgreSQL database is emptied first)."""
    store = Store(url)
    if store.engine.dialect.name == "postgresql":
        with store.engine.begin() as c:
            c.execute(text("DROP SCHEMA public CASCADE"))
            c.execute(text("CREATE SCHEMA public"))
    return store


@pytest.fixture
def named_office(store_url):
    store = _fresh(store_url)
    store.migrate()
    off = Office(store=store, master_key=MASTER_KEY, keygen=pooled_key)
    with off.work(at=at("2020-01-01"), actor="setup") as w:
        residents.add_municipality(w, NAKANOTO, "中能登町", "石川県")
    yield off
    store.dispose()


def _find(office: Office, name: str) -> list[str]:
    with office.work(at=at("2026-01-01"), actor="clerk") as w:
        return [r.name for r in residents.find(w, name=name)]


def test_search_finds_variant_kanji_kana_and_full_width_spaces(named_office):
    new_resident(named_office, name="髙橋 太郎", name_kana="タカハシ タロウ", birth=BORN)
    new_resident(named_office, name="山﨑　花子", name_kana="やまさき はなこ", birth=BORN)
    new_resident(named_office, name="高田 一", birth=BORN)
    assert _find(named_office, "高橋") == ["髙橋 太郎"]
    assert _find(named_office, "高橋　太郎") == ["髙橋 太郎"]
    assert _find(named_office, "たかはし") == ["髙橋 太郎"]
    assert _find(named_office, "ﾀｶﾊｼ ﾀﾛｳ") == ["髙橋 太郎"]
    assert _find(named_office, "山崎 花子") == ["山﨑　花子"]
    assert _find(named_office, "ヤマサキ") == ["山﨑　花子"]  # フリガナ stored in hiragana
    assert _find(named_office, "高") == ["髙橋 太郎", "高田 一"]
    assert _find(named_office, "太郎") == ["髙橋 太郎"]  # the given name alone
    assert _find(named_office, "はなこ") == ["山﨑　花子"]  # the given name in フリガナ
    assert _find(named_office, "橋") == [] and _find(named_office, "郎") == []  # no part from the middle
    assert _find(named_office, "%") == [] and _find(named_office, "_") == []


def test_search_key_follows_a_change_of_name(named_office):
    rid = new_resident(named_office, name="能登 花子", birth=BORN)
    issued_card(named_office, rid)
    with named_office.work(at=at("2026-02-01"), actor="clerk") as w:
        face.change_name(w, rid, new_name="渡邊 花子")
    assert _find(named_office, "渡辺") == ["渡邊 花子"]
    assert _find(named_office, "能登") == []


def test_hotline_identifies_the_holder_across_variants_and_kana_R_LOSS_1(named_office):
    rid = new_resident(named_office, name="髙橋 太郎", name_kana="タカハシ タロウ", birth=BORN)
    card_id = issued_card(named_office, rid)
    with named_office.work(at=at("2027-01-17T03:00"), actor="hotline") as w:
        s = loss.hotline_suspend(w, name="たかはし　たろう", birth_date=BORN)
    assert s.card.id == card_id and s.card.state == "suspended"


@pytest.mark.parametrize("said", ["高橋　太郎", "高橋太郎", "髙橋 太郎"])
def test_hotline_matches_the_name_as_said_with_the_address_R_LOSS_1(named_office, said):
    rid = new_resident(named_office, name="髙橋 太郎", birth=BORN)
    issued_card(named_office, rid)
    with named_office.work(at=at("2027-01-17T03:00"), actor="hotline") as w:
        s = loss.hotline_suspend(
            w, name=said, birth_date=BORN, address="石川県鹿島郡中能登町能登部下９１部２３番地"
        )
    assert s.card.state == "suspended"


def test_hotline_refuses_a_partial_name_or_two_holders_R_LOSS_1(named_office):
    """The identity question needs the whole name: a prefix is not enough, and two residents
    whose names fold together (髙橋 and 高橋, same birthday) are not told apart by name alone."""
    a = new_resident(named_office, name="髙橋 太郎", birth=BORN)
    issued_card(named_office, a)
    with pytest.raises(NotFoundError), named_office.work(at=at("2027-01-17T03:00"), actor="hotline") as w:
        loss.hotline_suspend(w, name="高橋", birth_date=BORN)
    b = new_resident(named_office, name="高橋 太郎", birth=BORN)
    issued_card(named_office, b)
    with pytest.raises(NotFoundError), named_office.work(at=at("2027-01-17T03:00"), actor="hotline") as w:
        loss.hotline_suspend(w, name="高橋 太郎", birth_date=BORN)
    with named_office.work(at=at("2027-01-17T03:00"), actor="t") as w:  # nothing was suspended
        assert [c.state for c in repo.cards_in_states(w.session, ["suspended"])] == []


def test_search_uses_the_key_index(named_office):
    """The search is a range of the name_key index, not a scan of every resident."""
    new_resident(named_office, name="髙橋 太郎", birth=BORN)
    store = named_office.store
    q = select(Resident.id).where(repo.prefix(Resident.name_key, "高橋"))
    compiled = q.compile(store.engine, compile_kwargs={"literal_binds": True})
    with store.engine.connect() as c:
        if store.engine.dialect.name == "postgresql":
            c.execute(text("SET enable_seqscan = off"))
            plan = " ".join(r[0] for r in c.execute(text(f"EXPLAIN {compiled}")))
        else:
            plan = " ".join(str(r[-1]) for r in c.execute(text(f"EXPLAIN QUERY PLAN {compiled}")))
    assert "ix_residents_name_key" in plan, plan


def test_migration_fills_the_keys_of_existing_residents(store_url):
    store = _fresh(store_url)
    store.migrate("0012")
    with store.engine.begin() as c:
        c.execute(text("INSERT INTO municipalities (code, name, prefecture, card_fee, cert_fee, kiosk_fee, "
                       "found_policy) VALUES ('174076', '中能登町', '石川県', 800, 200, 200, 'release')"))
        c.execute(
            text("INSERT INTO residents (number_sealed, number_hash, name, name_kana, address, birth_date, sex, "
                 "municipality_code, nationality, adult_ward, dv_protected, moving_out_filed, created_at) VALUES "
                 "(:b, 'h1', '齋藤　一郎', 'さいとう いちろう', '中能登町', :d, '1', '174076', 'JP', false, false, "
                 "false, :t)"),
            {"b": b"x", "d": BORN, "t": at("2020-01-01")},
        )
    store.migrate()
    with store.engine.connect() as c:
        keys = c.execute(text("SELECT name_key, kana_key, given_key, given_kana_key FROM residents")).one()
        assert tuple(keys) == ("斎藤一郎", "サイトウイチロウ", "一郎", "イチロウ")
    with store.sessions() as s:  # and the search finds them
        assert [r.name for r in repo.find_residents(s, name="斉藤")] == ["齋藤　一郎"]
        assert [r.name for r in repo.find_residents(s, name="いちろう")] == ["齋藤　一郎"]
    store.dispose()
