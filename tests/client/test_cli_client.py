"""``mynacard client`` with --card (in-process): messages, exit codes, no PIN on screen."""

from __future__ import annotations

import sys

from typer.testing import CliRunner

from mynacard.cli.main import app
from mynacard.crypto import load_or_create_master_key
from mynacard.db.store import Store
from mynacard.services.context import Office
from mynacard.services.vcard import DEMO_PINS, issue_demo_card
from tests.client.conftest import AT
from tests.keypool import pooled_key

runner = CliRunner()


def setup_db(tmp_path) -> tuple[str, str]:
    db = str(tmp_path / "cli.db")
    store = Store(db)
    store.migrate()
    office = Office(store=store, master_key=load_or_create_master_key(tmp_path / "cli.db.key"), keygen=pooled_key)
    card_id = issue_demo_card(office, AT)
    store.dispose()
    return db, card_id


def cli(db: str, card_id: str, *args: str):
    return runner.invoke(app, ["--db", db, "--at", "2026-02-15T20:00", "client", "--card", card_id, *args])


def test_pins_and_attributes_R_PIN_7_R_CHIP_4(tmp_path) -> None:
    db, card_id = setup_db(tmp_path)
    r = cli(db, card_id, "pins")
    assert r.exit_code == 0, r.output
    assert "5" in r.output and "locked" not in r.output
    r = cli(db, card_id, "attributes", "--pin", DEMO_PINS["card_info"])
    assert r.exit_code == 0, r.output
    assert "残り3回" in r.output  # tries shown before the entry (R_PIN_7)
    assert "見本 太郎" in r.output and DEMO_PINS["card_info"] not in r.output.replace("残り3回", "")


def test_wrong_form_exit_2_without_a_try_R_PIN_2(tmp_path) -> None:
    db, card_id = setup_db(tmp_path)
    r = cli(db, card_id, "attributes", "--pin", "12345")
    assert r.exit_code == 2
    r = runner.invoke(app, ["--db", db, "--json", "client", "--card", card_id, "pins"])
    assert '"card_info": 3' in r.output


def test_locked_pin_says_how_to_unlock_R_PIN_5(tmp_path) -> None:
    db, card_id = setup_db(tmp_path)
    for left in (2, 1):
        r = cli(db, card_id, "attributes", "--pin", "0000")
        assert r.exit_code == 2 and f"残り{left}回" in r.output
    r = cli(db, card_id, "attributes", "--pin", "0000")
    assert r.exit_code == 2 and "窓口" in r.output and "window" in r.output
    r = cli(db, card_id, "attributes", "--pin", DEMO_PINS["card_info"])  # refused before any VERIFY
    assert r.exit_code == 2 and "locked" in r.output


def test_sign_file_and_change_pin_R_PIN_6(tmp_path) -> None:
    db, card_id = setup_db(tmp_path)
    doc = tmp_path / "doc.txt"
    doc.write_text("hello")
    r = cli(db, card_id, "sign", str(doc), "-o", str(tmp_path / "doc.p7s"), "--pin", DEMO_PINS["sign"])
    assert r.exit_code == 0, r.output
    assert (tmp_path / "doc.p7s").read_bytes()[:1] == b"\x30"
    r = cli(db, card_id, "change-pin", "auth", "--pin", DEMO_PINS["auth"], "--new-pin", "2468")
    assert r.exit_code == 0, r.output
    r = cli(db, card_id, "sign", str(doc), "-o", str(tmp_path / "a.p7s"), "--key", "auth", "--pin", "2468")
    assert r.exit_code == 0, r.output


def test_reader_without_pcsc_extra_names_what_to_install_R_USE_1(tmp_path, monkeypatch) -> None:
    """Without pyscard (the optional 'pcsc' extra) a reader command says what to install, exit 2."""
    monkeypatch.setitem(sys.modules, "smartcard", None)  # import smartcard -> ImportError
    db = str(tmp_path / "noreader.db")
    for args in (["client", "readers"], ["client", "pins"]):
        r = runner.invoke(app, ["--db", db, *args])
        assert r.exit_code == 2, r.output
        assert "mynacard[pcsc]" in r.output and "libpcsclite-dev" in r.output
        assert "カードリーダー" in r.output
