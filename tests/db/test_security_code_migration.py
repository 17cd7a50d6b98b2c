"""Migration 0012 seals the cards' security codes of a store that kept them in clear: the column
is gone, each code opens under the store's key for its own card only, and the card's other rows
(certificates, PIN counters) stay with it. Without the key the upgrade refuses and changes nothing."""

from __future__ import annotations

import sqlite3
from datetime import datetime

import pytest
import sqlalchemy as sa

from mynacard.crypto import StoreKeys
from mynacard.db import repositories as repo
from mynacard.db.models import Card
from mynacard.db.store import Store
from mynacard.errors import ConfigError
from mynacard.services.context import Office
from mynacard.services.vcard import issue_demo_card
from mynacard.timeutil import JST
from tests.keypool import pooled_key
from tests.services.conftest import MASTER_KEY

AT = datetime(2026, 2, 15, 10, 0, tzinfo=JST)


def store_with_clear_codes(tmp_path) -> tuple[str, dict[str, str]]:
    """A store with two issued cards, put back in the form of revision 0010: security codes in
    clear in ``cards.security_code``."""
    db = str(tmp_path / "old.db")
    store = Store(db)
    store.migrate()
    office = Office(store=store, master_key=MASTER_KEY, keygen=pooled_key)
    ids = [issue_demo_card(office, AT) for _ in range(2)]
    with store.sessions() as s:
        codes = {i: repo.security_code_of(s.get(Card, i)) for i in ids}
    store.dispose()
    con = sqlite3.connect(db)
    con.execute("ALTER TABLE cards ADD COLUMN security_code VARCHAR(4)")
    for card_id, code in codes.items():
        con.execute("UPDATE cards SET security_code = ? WHERE id = ?", (code, card_id))
    con.execute("ALTER TABLE cards DROP COLUMN security_code_sealed")
    con.execute("UPDATE alembic_version SET version_num = '0010'")
    con.commit()
    con.close()
    return db, codes


def counts(db: str) -> dict[str, int]:
    con = sqlite3.connect(db)
    try:
        tables = ("cards", "certificates", "chip_pins")
        return {t: con.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in tables}
    finally:
        con.close()


def test_upgrade_seals_the_security_codes(tmp_path):
    db, codes = store_with_clear_codes(tmp_path)
    before = counts(db)
    assert all(c is not None and len(c) == 4 for c in codes.values())
    store = Store(db, keys=StoreKeys(MASTER_KEY))
    store.migrate()
    assert counts(db) == before  # the card's certificates and PIN rows came through the rebuild
    with store.sessions() as s:
        cols = {c["name"] for c in sa.inspect(s.get_bind()).get_columns("cards")}
        assert "security_code" not in cols
        for card_id, code in codes.items():
            card = s.get(Card, card_id)
            assert repo.security_code_of(card) == code
            assert code.encode() not in card.security_code_sealed
        # a sealed code is bound to its card: moved to another card's row it does not open
        a, b = (s.get(Card, i) for i in codes)
        with pytest.raises(ValueError, match="security code"):
            StoreKeys(MASTER_KEY).security_codes.open(b.id, a.security_code_sealed)
    store.dispose()


def test_upgrade_without_the_key_refuses_and_changes_nothing(tmp_path):
    db, codes = store_with_clear_codes(tmp_path)
    store = Store(db)
    with pytest.raises(ConfigError, match="security codes"):
        store.migrate()
    store.dispose()
    con = sqlite3.connect(db)
    assert con.execute("SELECT version_num FROM alembic_version").fetchone() == ("0010",)
    assert dict(con.execute("SELECT id, security_code FROM cards").fetchall()) == codes
    con.close()
