"""The demo e-filing receiver, a registered relying party talking to a live office over HTTP:
a signed XML return is verified by the verifier API and recorded; the filer keeps one filer ID
through a renewal and a move (the linkage API); altered, revoked, authentication-key, other-CA,
non-XML and garbage filings are refused with their reasons in Japanese and English."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from mynacard.chip import KeySlot
from mynacard.db import repositories as repo
from mynacard.db.staff import AuditEntry
from mynacard.db.store import Store
from mynacard.relying import service as rp_service
from mynacard.services import certificates, face
from mynacard.services.context import Office
from mynacard.services.vcard import DEMO_PINS, issue_demo_card
from mynacard.timeutil import JST
from mynacard.web.clock import Clock
from mynacard.web.efile_demo import create_receiver
from tests.keypool import pooled_key
from tests.verify.conftest import AT, LATER, MASTER_KEY, SIGNED, XML_DOC, Signer, make_office, move
from tests.web.live import free_port, live_server

RENEWED = datetime(2030, 4, 1, 10, 0, tzinfo=JST)  # inside the signing certificate's renewal window
MOVED_LATE = datetime(2030, 5, 1, 10, 0, tzinfo=JST)


@pytest.fixture
def live(tmp_path):
    """A live office with a demo card, and the receiver registered there as a relying party."""
    port = free_port()
    store = Store(str(tmp_path / "office.db"))
    store.migrate()
    office = Office(store=store, master_key=MASTER_KEY, keygen=pooled_key, base_url=f"http://127.0.0.1:{port}")
    card_id = issue_demo_card(office, AT)
    with office.work(at=AT, actor="test admin") as w:
        reg = rp_service.register(w, "電子申告 (demo)")
        cid, secret = reg.relying_party.client_id, reg.secret
    clock = Clock(SIGNED, advance=False)
    with live_server(office, port, clock) as url:
        app = create_receiver(url, cid, secret, str(tmp_path / "efile.db"), now=clock.now)
        yield office, card_id, clock, TestClient(app), cid
    store.dispose()


def file(receiver: TestClient, document: bytes) -> tuple[int, dict]:
    r = receiver.post("/api/filings", content=document, headers={"Content-Type": "application/xml"})
    return r.status_code, r.json()


def test_a_filing_is_verified_recorded_and_keeps_its_filer_through_a_renewal_and_a_move(live) -> None:
    office, card_id, clock, receiver, cid = live
    signer = Signer(office, card_id)

    code, first = file(receiver, signer.sign("xades", at=SIGNED)[0])
    assert code == 201, first
    assert first["accepted"] and first["new_filer"] and first["signer"]["name"] == "見本 太郎"
    assert "受付番号" in first["message_ja"] and first["receipt"] in first["message"]
    filer = first["filer_id"]

    # the same certificate again: the same filer, a new receipt
    code, again = file(receiver, signer.sign("xmldsig", at=SIGNED + timedelta(minutes=1))[0])
    assert code == 201 and again["filer_id"] == filer and not again["new_filer"]
    assert again["receipt"] != first["receipt"]

    # renewal: a new signing certificate, linked to the old one by the office
    with office.work(at=RENEWED, actor="clerk") as w:
        certificates.renew(w, card_id, "sign", pin=DEMO_PINS["sign"])
    clock.set(RENEWED + timedelta(hours=1), advance=False)
    code, renewed = file(receiver, signer.sign("xades", at=RENEWED + timedelta(minutes=5))[0])
    assert code == 201, renewed
    assert renewed["serial"] != first["serial"]
    assert renewed["filer_id"] == filer and not renewed["new_filer"]

    # a move: the renewed certificate is revoked and a new one issued
    with office.work(at=MOVED_LATE, actor="clerk") as w:
        card = repo.card(w.session, card_id)
        assert card is not None
        face.move_within(
            w, card.resident_id, new_address="石川県鹿島郡中能登町井田1番地", new_signing_pin=DEMO_PINS["sign"]
        )
    clock.set(MOVED_LATE + timedelta(hours=1), advance=False)
    code, moved = file(receiver, signer.sign("xades", at=MOVED_LATE + timedelta(minutes=5))[0])
    assert code == 201, moved
    assert moved["filer_id"] == filer and moved["signer"]["address"] == "石川県鹿島郡中能登町井田1番地"
    assert len({first["serial"], renewed["serial"], moved["serial"]}) == 3

    # who filed what
    rows = receiver.get("/api/filings", params={"filer": filer}).json()
    assert [r["receipt"] for r in rows] == [first["receipt"], again["receipt"], renewed["receipt"], moved["receipt"]]
    assert {r["root"] for r in rows} == {"申告書"} and all(r["size"] > len(XML_DOC) for r in rows)
    assert rows[-1]["received_at"].startswith("2030-05-01")

    # the office's audit log holds the receiver's own calls: a verify per filing, linkage lookups
    with office.store.sessions() as s:
        actions = [e.action for e in s.scalars(select(AuditEntry).where(AuditEntry.actor == cid))]
    assert actions.count("rp.verify") == 4 and actions.count("rp.linkage") == 2


def test_bad_filings_are_refused_with_their_reasons(live, tmp_path) -> None:
    office, card_id, clock, receiver, _ = live
    signer = Signer(office, card_id)
    good = signer.sign("xades", at=SIGNED)[0]
    cases: dict[str, bytes] = {
        "altered": good.replace(b"5000000", b"0000005", 1),
        "wrong_key_usage": signer.sign("xades", at=SIGNED, slot=KeySlot.AUTH)[0],
        "malformed": b"<?xml version='1.0'?><\x00garbage",
        "not_xml": signer.sign("cms", at=SIGNED)[0],
    }
    assert cases["altered"] != good
    other = make_office(tmp_path, "other")
    cases["unknown_ca"] = Signer(other, issue_demo_card(other, AT)).sign("xades", at=SIGNED)[0]
    other.store.dispose()

    for expected, document in cases.items():
        code, out = file(receiver, document)
        assert code == 422, (expected, out)
        assert not out["accepted"] and out["status"] == expected, (expected, out)
        assert out["message"] and out["message_ja"] and out["message"] != out["message_ja"]
    code, out = file(receiver, b"")
    assert code == 422 and out["status"] == "malformed" and out["message_ja"] == "ファイルが空です。"

    # a return signed without a timestamp and sent after the move that revoked its certificate
    move(office, card_id)
    clock.set(LATER, advance=False)
    code, out = file(receiver, good)
    assert code == 422 and out["status"] == "revoked" and "affiliation_changed" in out["message"]

    assert receiver.get("/api/filings").json() == []
    assert [r["status"] for r in receiver.get("/api/rejections").json()] == [*cases, "malformed", "revoked"]


def test_the_upload_form(live) -> None:
    office, card_id, _, receiver, _ = live
    signer = Signer(office, card_id)
    assert "type='file'" in receiver.get("/").text
    r = receiver.post("/file", files={"return": ("return.xml", signer.sign("xades")[0], "application/xml")})
    assert r.status_code == 200 and "id='receipt'>R0000000001<" in r.text and "F00000001" in r.text
    r = receiver.post("/file", files={"return": ("return.xml", b"not xml at all", "application/xml")})
    assert r.status_code == 422 and "id='reason-ja'" in r.text and "malformed" in r.text


def test_the_receiver_needs_valid_credentials_at_the_office(live, tmp_path) -> None:
    office, card_id, _, receiver, cid = live
    url = receiver.app.state.receiver.api.base  # type: ignore[attr-defined]
    wrong = TestClient(create_receiver(url, cid, "wrong secret", str(tmp_path / "x.db")))
    code, out = file(wrong, Signer(office, card_id).sign("xades")[0])
    assert code == 502 and "401" in out["message"]
    assert wrong.get("/api/filings").json() == []
