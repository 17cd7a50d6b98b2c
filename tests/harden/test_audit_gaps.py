"""The audit trail holds every CLI action, every card PIN try (never the PIN) and the purpose
of every number read from the window UI (R_NUM_3). 429s and 500s: see the limiter and log tests."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from mynacard import audit
from mynacard.chip import PinId
from mynacard.cli.main import app
from mynacard.client import JpkiCard
from mynacard.crypto import StoreKeys, load_master_key
from mynacard.db.store import Store
from mynacard.errors import WrongPin
from mynacard.services import holder, pins
from mynacard.services.context import Office
from mynacard.services.vcard import issue_demo_card, open_card
from tests.client.conftest import AT, MASTER_KEY, clock
from tests.harden.conftest import login_ui
from tests.keypool import pooled_key
from tests.web.conftest import register


@pytest.fixture
def card_office(tmp_path):
    store = Store(str(tmp_path / "cards.db"))
    store.migrate()
    yield Office(store=store, master_key=MASTER_KEY, keygen=pooled_key)
    store.dispose()


@pytest.fixture
def demo_card(card_office) -> str:
    return issue_demo_card(card_office, AT)


def _entries(store, action: str):
    with store.sessions() as s:
        return [e for e in audit.entries(s, limit=1000) if e.action == action]


def test_cli_actions_are_audited(tmp_path):
    db = str(tmp_path / "cli.db")
    run = CliRunner().invoke
    r = run(app, ["--db", db, "--actor", "tanaka", "municipality", "add", "174076", "中能登町", "石川県"])
    assert r.exit_code == 0
    r = run(app, ["--db", db, "--actor", "tanaka", "card", "show", "NOSUCHCARD"])
    assert r.exit_code == 2
    store = Store(db, keys=StoreKeys(load_master_key(Path(db + ".key"))))  # the chain is keyed
    ok = _entries(store, "cli.municipality.add")
    assert [(e.actor, e.role, e.outcome) for e in ok] == [("tanaka", "cli", "ok")]
    failed = _entries(store, "cli.card.show")
    assert [(e.outcome, e.target, e.details) for e in failed] == [("error", "card_id:NOSUCHCARD",
                                                                  {"code": "not_found"})]
    assert audit.verify(store)[1] == []


def test_pin_tries_on_an_inserted_card_are_audited(card_office, demo_card):
    card = JpkiCard(open_card(card_office, demo_card, clock))
    with pytest.raises(WrongPin):
        card.verify(PinId.AUTH, "9999")
    card.verify(PinId.AUTH, "4821")
    tries = _entries(card_office.store, "card.pin_try")
    assert [e.outcome for e in reversed(tries)] == ["denied", "ok"]
    assert all(e.target == f"card:{demo_card}" for e in tries)
    assert not any("9999" in str(e.details) or "4821" in str(e.details) for e in tries)


def test_pin_tries_of_the_service_are_audited(card_office, demo_card):
    with pytest.raises(WrongPin), card_office.work(at=AT, actor="holder") as w:
        holder.sign(w, demo_card, "sign", b"doc", pin="WRONG99")
    with card_office.work(at=AT, actor="holder") as w:
        holder.sign(w, demo_card, "sign", b"doc", pin="NOTO2025")
    tries = _entries(card_office.store, "card.pin_try")
    assert [(e.outcome, e.details["pin"]) for e in reversed(tries)] == [("denied", "sign"), ("ok", "sign")]


def test_pin_tries_of_a_pin_change_are_audited_R_PIN_6(card_office, demo_card):
    """A PIN change tries the current PIN: that try is in the audit trail too, never its value."""
    with pytest.raises(WrongPin), card_office.work(at=AT, actor="holder") as w:
        pins.change(w, demo_card, "auth", "9999", "5678")
    with card_office.work(at=AT, actor="holder") as w:
        pins.change(w, demo_card, "auth", "4821", "5678")
    tries = _entries(card_office.store, "card.pin_try")
    assert [(e.outcome, e.details["pin"]) for e in reversed(tries)] == [("denied", "auth"), ("ok", "auth")]
    assert not any(v in str(e.details) for e in tries for v in ("9999", "4821", "5678"))


def test_ui_number_reads_record_their_purpose_R_NUM_3(web_app, web_staff, web_office):
    rid = register(web_staff["clerk"], name="目的 太郎")
    ui = login_ui(web_app, "clerk")
    token = re.search(r'name="csrf" value="([^"]+)"', ui.get(f"/residents/{rid}").text).group(1)
    assert ui.post(f"/residents/{rid}/number", data={"purpose": "disaster", "csrf": token}).status_code == 200
    reads = [e for e in _entries(web_office.store, "resident.number_read") if e.target == f"resident:{rid}"]
    assert [e.details.get("purpose") for e in reads] == ["disaster"]
