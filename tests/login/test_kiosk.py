"""Convenience-store issuance: a 住民票の写し with the card and its authentication PIN, within
the opening hours, sealed by the municipality (R_USE_2)."""

from __future__ import annotations

import io
import json
from urllib.parse import urlparse

from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko_certvalidator import ValidationContext
from typer.testing import CliRunner

from mynacard.cli.main import app as cli
from mynacard.crypto import load_or_create_master_key
from mynacard.db import repositories as repo
from mynacard.db.models import Event
from mynacard.db.provider import MunicipalSeal
from mynacard.db.store import Store
from mynacard.services.context import Office
from mynacard.services.vcard import DEMO_PINS, issue_demo_card
from tests.client.conftest import AT
from tests.keypool import pooled_key
from tests.login.conftest import OIDC, Started, approve


def setup(tmp_path) -> tuple[str, str, Office]:
    db = str(tmp_path / "kiosk.db")
    store = Store(db)
    store.migrate()
    office = Office(store=store, master_key=load_or_create_master_key(tmp_path / "kiosk.db.key"), keygen=pooled_key)
    return db, issue_demo_card(office, AT), office


def kiosk(db: str, card_id: str, at: str, out, pin: str = DEMO_PINS["auth"]):
    return CliRunner().invoke(
        cli, ["--db", db, "--at", at, "kiosk", "issue", "--card", card_id, "--pin", pin, "--out", str(out)]
    )


def check_seal(office: Office, pdf: bytes) -> str:
    """The PDF's seal verifies, untouched, up to the sandbox's seal root; returns the signer's name."""
    with office.work(at=AT, actor="test") as w:
        root = w.session.get(MunicipalSeal, "root").certificate_der
    from asn1crypto import x509 as asn1_x509

    vc = ValidationContext(trust_roots=[asn1_x509.Certificate.load(root)], allow_fetching=False)
    sig = PdfFileReader(io.BytesIO(pdf)).embedded_signatures[0]
    status = validate_pdf_signature(sig, vc)
    assert status.intact and status.valid and status.trusted, status.pretty_print_details()
    return sig.signer_cert.subject.native["common_name"]


def test_kiosk_issues_at_2259_and_refuses_at_2301_and_new_year_R_USE_2(tmp_path) -> None:
    db, card_id, office = setup(tmp_path)
    r = kiosk(db, card_id, "2026-02-16T22:59", tmp_path / "ok.pdf")
    assert r.exit_code == 0, r.output
    assert "200円" in r.output
    pdf = (tmp_path / "ok.pdf").read_bytes()
    assert pdf.startswith(b"%PDF") and check_seal(office, pdf) == "中能登町長"
    r = kiosk(db, card_id, "2026-02-16T23:01", tmp_path / "late.pdf")
    assert r.exit_code == 2 and "23時" in r.output and not (tmp_path / "late.pdf").exists()
    r = kiosk(db, card_id, "2027-01-02T10:00", tmp_path / "newyear.pdf")
    assert r.exit_code == 2 and not (tmp_path / "newyear.pdf").exists()
    with office.work(at=AT, actor="test") as w:
        actions = [e.action for e in w.session.query(Event).all() if e.action.startswith("kiosk_")]
    assert actions == ["kiosk_issued", "kiosk_refused", "kiosk_refused"]  # refusals are recorded


def test_the_verifier_accepts_the_municipal_seal(tmp_path) -> None:
    """A relying party checks a kiosk's 住民票の写し with ``mynacard verify``: the seal is valid,
    and a changed byte is caught."""
    db, card_id, _office = setup(tmp_path)
    assert kiosk(db, card_id, "2026-02-16T10:00", tmp_path / "jumin.pdf").exit_code == 0
    r = CliRunner().invoke(
        cli, ["--db", db, "--at", "2026-02-16T10:05", "--json", "verify", str(tmp_path / "jumin.pdf")]
    )
    assert r.exit_code == 0, r.output
    verdict = json.loads(r.stdout)
    assert (
        verdict["status"] == "valid" and verdict["certificate"]["kind"] == "seal" and "中能登町長" in verdict["message"]
    )
    pdf = bytearray((tmp_path / "jumin.pdf").read_bytes())
    i = pdf.index(b"/Title")  # inside the signed byte range
    pdf[i + 1] = ord("X")
    (tmp_path / "altered.pdf").write_bytes(bytes(pdf))
    r = CliRunner().invoke(
        cli, ["--db", db, "--at", "2026-02-16T10:05", "--json", "verify", str(tmp_path / "altered.pdf")]
    )
    assert r.exit_code == 1 and json.loads(r.stdout)["status"] in ("altered", "malformed")


def test_kiosk_refuses_a_wrong_pin_and_a_protected_resident_R_USE_2(tmp_path) -> None:
    db, card_id, office = setup(tmp_path)
    r = kiosk(db, card_id, "2026-02-16T10:00", tmp_path / "x.pdf", pin="0000")
    assert r.exit_code == 2 and "残り2回" in r.output
    with office.work(at=AT, actor="window") as w:
        repo.resident(w.session, repo.card(w.session, card_id).resident_id).dv_protected = True
    r = kiosk(db, card_id, "2026-02-16T10:00", tmp_path / "x.pdf")
    assert r.exit_code == 2 and "窓口" in r.output and not (tmp_path / "x.pdf").exists()


def test_kiosk_screen_in_the_browser_flow(office, card_id, web, clock) -> None:
    clock.set(AT.replace(hour=22, minute=30), advance=False)
    assert "マイナンバーカードを置いて開始" in web.get("/kiosk").text
    r = web.get("/kiosk/start")
    page = web.get(urlparse(r.headers["location"])._replace(scheme="", netloc="").geturl())
    link = page.text.split("mynacard client approve ")[1].split("<")[0]
    started = Started(link, "", "", "")
    assert approve(office, card_id, web, started, at=AT.replace(hour=22, minute=30)).status_code == 200
    back = web.get(f"{OIDC}/auth/wait/{started.request_id}")
    done = web.get(urlparse(back.headers["location"])._replace(scheme="", netloc="").geturl())
    assert done.status_code == 200 and "住民票の写しを発行しました" in done.text
    number = done.text.split("/kiosk/document/")[1].split('"')[0]
    pdf = web.get(f"/kiosk/document/{number}")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    other = web.get(f"/kiosk/document/{number}", cookies={"kiosk_doc": "guess"})
    assert other.status_code == 404  # only the kiosk session that issued it can fetch it


def test_kiosk_refuses_a_suspended_card_R_LOSS_1(tmp_path) -> None:
    from mynacard.services import loss

    db, card_id, office = setup(tmp_path)
    with office.work(at=AT, actor="hotline") as w:
        holder = repo.resident(w.session, repo.card(w.session, card_id).resident_id)
        loss.hotline_suspend(w, name=holder.name, birth_date=holder.birth_date, caller="本人")
    r = kiosk(db, card_id, "2026-02-16T10:00", tmp_path / "x.pdf")
    assert r.exit_code == 2 and "一時保留" in r.output and not (tmp_path / "x.pdf").exists()
