"""Migration 0018 gives a store's municipalities the letterhead of their documents (the sandbox
window by default, no address or telephone) and the table of printed documents kept for reprints."""

from __future__ import annotations

import sqlite3

import sqlalchemy as sa

from mynacard.db.models import WINDOW_DEFAULT, Municipality
from mynacard.db.store import Store


def test_upgrade_keeps_municipalities_and_gives_them_the_default_window(tmp_path):
    db = str(tmp_path / "old.db")
    store = Store(db)
    store.migrate("0012")
    store.dispose()
    con = sqlite3.connect(db)
    con.execute("INSERT INTO municipalities (code, name, prefecture, card_fee, cert_fee, kiosk_fee, found_policy) "
                "VALUES ('174076', '中能登町', '石川県', 800, 200, 200, 'release')")
    con.commit()
    con.close()
    store = Store(db)
    store.migrate()
    with store.sessions() as s:
        m = s.get(Municipality, "174076")
        assert (m.name, m.address, m.window, m.phone, m.card_fee) == ("中能登町", "", WINDOW_DEFAULT, "", 800)
        assert sa.inspect(s.get_bind()).has_table("issued_documents")
    store.dispose()
