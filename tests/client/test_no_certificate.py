"""A card without the signing certificate, as the cardholder's client sees it (R_CERT_10).

The holder declined it at hand-over: the client says so in English and Japanese before asking
for any password, spends no try, and reads the certificate once the window has added one."""

from __future__ import annotations

from typer.testing import CliRunner

from mynacard.chip import KeySlot, PinId
from mynacard.cli.main import app
from mynacard.client import JpkiCard
from mynacard.client.card import NoCertificate
from mynacard.crypto import load_or_create_master_key
from mynacard.db.store import Store
from mynacard.services import certificates
from mynacard.services.context import Office
from mynacard.services.vcard import DEMO_PINS, issue_demo_card, open_card
from tests.client.conftest import AT, clock
from tests.keypool import pooled_key

runner = CliRunner()


def _office(tmp_path) -> tuple[str, Office]:
    db = str(tmp_path / "cli.db")
    store = Store(db)
    store.migrate()
    return db, Office(store=store, master_key=load_or_create_master_key(tmp_path / "cli.db.key"), keygen=pooled_key)


def cli(db: str, card_id: str, *args: str):
    return runner.invoke(app, ["--db", db, "--at", "2026-02-15T20:00", "client", "--card", card_id, *args])


def test_card_without_signing_certificate_reads_as_such_R_CERT_10(tmp_path) -> None:
    db, office = _office(tmp_path)
    card_id = issue_demo_card(office, AT, certificates="auth")
    card = JpkiCard(open_card(office, card_id, clock))
    assert card.has_certificate(KeySlot.AUTH) and not card.has_certificate(KeySlot.SIGN)
    assert card.certificate(KeySlot.SIGN, ca=True) is None
    assert card.certificate(KeySlot.AUTH) is not None
    assert card.tries_left(PinId.SIGN) == 5  # the PIN object answers, holding no PIN
    office.store.dispose()

    r = cli(db, card_id, "certs")
    assert r.exit_code == 0, r.output
    assert "no signing certificate" in r.output and "署名用電子証明書: 搭載されていません" in r.output
    r = cli(db, card_id, "certs", "--sign", "--pin", DEMO_PINS["sign"])
    assert r.exit_code == 2
    assert "no signing certificate" in r.output and "署名用電子証明書が搭載されていません" in r.output
    assert DEMO_PINS["sign"] not in r.output
    (tmp_path / "doc.txt").write_bytes(b"e-Tax")
    r = cli(db, card_id, "sign", str(tmp_path / "doc.txt"), "-o", str(tmp_path / "doc.p7s"), "--pin", "ABC123")
    assert r.exit_code == 2 and "no signing certificate" in r.output
    assert not (tmp_path / "doc.p7s").exists()
    r = cli(db, card_id, "pins")
    assert r.exit_code == 0 and "未設定(電子証明書なし)" in r.output


def test_signing_certificate_added_at_the_window_is_then_read_R_CERT_10(tmp_path) -> None:
    db, office = _office(tmp_path)
    card_id = issue_demo_card(office, AT, certificates="auth")
    with office.work(at=AT, actor="clerk") as w:
        added = certificates.add(w, card_id, "sign", pin="NEWPW1")
        assert added.receipt is None  # a first issue: free
    card = JpkiCard(open_card(office, card_id, clock))
    assert card.has_certificate(KeySlot.SIGN)
    card.verify(PinId.SIGN, "newpw1")  # R_PIN_1: upper-cased
    assert card.certificate(KeySlot.SIGN).serial_number == added.certificate.serial
    office.store.dispose()
    r = cli(db, card_id, "certs", "--sign", "--pin", "NEWPW1")
    assert r.exit_code == 0, r.output
    assert "署名用電子証明書 signing" in r.output


def test_no_certificate_error_names_the_kind_in_both_languages_R_CERT_10() -> None:
    err = NoCertificate(KeySlot.AUTH)
    assert err.kind == "auth" and "authentication" in err.message and "利用者証明用" in err.message_ja
