"""A card issued in a fresh store, and the client talking to it in-process (StoreCard)."""

from __future__ import annotations

import base64
import os
from datetime import datetime

import pytest
from cryptography import x509

from mynacard.chip import KeySlot
from mynacard.client import JpkiCard
from mynacard.db import repositories as repo
from mynacard.services.context import Office
from mynacard.services.vcard import DEMO_PINS, issue_demo_card, open_card
from mynacard.timeutil import JST
from tests.keypool import pooled_key
from tests.storetemplate import migrated_store

MASTER_KEY = base64.b64decode(base64.b64encode(os.urandom(32)))
AT = datetime(2026, 2, 15, 20, 0, tzinfo=JST)
PINS = DEMO_PINS


def clock() -> datetime:
    return AT


@pytest.fixture
def office(tmp_path):
    store = migrated_store(tmp_path / "client.db")
    yield Office(store=store, master_key=MASTER_KEY, keygen=pooled_key)
    store.dispose()


@pytest.fixture
def card_id(office) -> str:
    return issue_demo_card(office, AT)


@pytest.fixture
def card(office, card_id) -> JpkiCard:
    return JpkiCard(open_card(office, card_id, clock))


def issued_certificate(office: Office, card_id: str, slot: KeySlot) -> x509.Certificate:
    with office.work(at=AT, actor="test") as w:
        row = repo.current_certificate(w.session, card_id, slot.value)
        assert row is not None
        return x509.load_der_x509_certificate(row.der)


def tries_in_store(office: Office, card_id: str) -> dict[str, int]:
    """The counters as a fresh card session reads them from the store (R_PIN_4)."""
    fresh = JpkiCard(open_card(office, card_id, clock))
    return {p.value: n for p, n in fresh.all_tries_left().items()}
