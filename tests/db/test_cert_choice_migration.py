"""Migration 0013 adds the holder's choice of certificates and the card face's certificate
expiry field to a store of revision 0012, whose applications keep no choice (R_CERT_10)."""

from __future__ import annotations

import sqlalchemy as sa

from mynacard.crypto import StoreKeys
from mynacard.db.store import Store
from tests.services.conftest import MASTER_KEY


def _columns(store: Store, table: str) -> set[str]:
    return {c["name"] for c in sa.inspect(store.engine).get_columns(table)}


def test_upgrade_from_0012_adds_the_choice_and_the_face_field(tmp_path):
    store = Store(str(tmp_path / "old.db"), keys=StoreKeys(MASTER_KEY))
    store.migrate("0012")
    assert "certificates" not in _columns(store, "applications")
    assert "cert_expires_on" not in _columns(store, "cards")
    store.migrate()
    assert "certificates" in _columns(store, "applications")
    assert "cert_expires_on" in _columns(store, "cards")
    store.migrate()  # at head: nothing to do
    store.dispose()
