"""An office with an issued card, a signer for each format, and the office's verifier."""

from __future__ import annotations

import base64
import os
from collections.abc import Callable
from datetime import datetime, timedelta
from io import BytesIO

import pytest

from mynacard.chip import KeySlot
from mynacard.client import JpkiCard
from mynacard.client import signing as sig
from mynacard.db import repositories as repo
from mynacard.db.store import Store
from mynacard.services import face
from mynacard.services.context import Office
from mynacard.services.vcard import DEMO_PINS, issue_demo_card, open_card
from mynacard.timeutil import JST
from mynacard.tsa import service as tsa_service
from mynacard.verify.office import OfficeVerifier
from tests.keypool import pooled_key

MASTER_KEY = os.urandom(32)
AT = datetime(2026, 2, 15, 20, 0, tzinfo=JST)  # the card is issued then
SIGNED = AT + timedelta(days=10)  # documents are signed then
MOVED = AT + timedelta(days=40)  # the holder moves: the signing certificate is revoked
LATER = AT + timedelta(days=60)  # verification after the move

DOC = "令和7年分 所得税及び復興特別所得税の確定申告書\n".encode() * 20
XML_DOC = "<申告書><氏名>見本 太郎</氏名><所得>5000000</所得></申告書>".encode()
FORMATS = ["cms-detached", "cms", "pades", "xades"]


def make_office(tmp_path, name: str) -> Office:
    store = Store(str(tmp_path / f"{name}.db"))
    store.migrate()
    return Office(store=store, master_key=MASTER_KEY, keygen=pooled_key)


def pdf_doc() -> bytes:
    from reportlab.pdfgen import canvas

    buf = BytesIO()
    c = canvas.Canvas(buf)
    c.drawString(100, 750, "kakutei shinkoku 2025")
    c.save()
    return buf.getvalue()


class Signer:
    """Signs a document of one format with a card of an office, optionally timestamped."""

    def sign_bytes(self, data: bytes, *, at: datetime = SIGNED) -> bytes:
        """An attached CMS over ``data`` (e.g. a consent statement)."""
        card = JpkiCard(open_card(self.office, self.card_id, lambda: at))
        op = sig.CardOperation(card, KeySlot.SIGN)
        op.login(DEMO_PINS["sign"])
        return sig.sign_cms(sig.card_signer(op), data, at=at, detached=False)

    def __init__(self, office: Office, card_id: str) -> None:
        self.office, self.card_id = office, card_id

    def timestamper(self, at: datetime | None):
        if at is None:
            return None
        return sig.FunctionTimeStamper(lambda req: tsa_service.respond(self.office, req, at=at))

    def sign(
        self, fmt: str, *, at: datetime = SIGNED, ts: datetime | None = None, slot: KeySlot = KeySlot.SIGN
    ) -> tuple[bytes, bytes | None]:
        """``(signature file, detached content or None)``."""
        card = JpkiCard(open_card(self.office, self.card_id, lambda: at))
        op = sig.CardOperation(card, slot)
        op.login(DEMO_PINS[slot.value])
        stamper = self.timestamper(ts)
        if fmt == "cms-detached":
            return sig.sign_cms(sig.card_signer(op), DOC, at=at, timestamper=stamper), DOC
        if fmt == "cms":
            return sig.sign_cms(sig.card_signer(op), DOC, at=at, detached=False, timestamper=stamper), None
        if fmt == "pades":
            return sig.sign_pdf(sig.card_signer(op), pdf_doc(), timestamper=stamper), None
        assert op.cert is not None
        xades = fmt == "xades"
        return sig.sign_xml(sig.card_key(op), op.cert, op.chain, XML_DOC, xades=xades, timestamper=stamper), None


@pytest.fixture
def office(tmp_path):
    o = make_office(tmp_path, "office")
    yield o
    o.store.dispose()


@pytest.fixture
def card_id(office) -> str:
    return issue_demo_card(office, AT)


@pytest.fixture
def signer(office, card_id) -> Signer:
    return Signer(office, card_id)


@pytest.fixture
def verifier(office, card_id) -> OfficeVerifier:
    return OfficeVerifier(office, at=AT)


def move(office: Office, card_id: str, at: datetime = MOVED) -> None:
    """The holder moves within the town: the signing certificate is revoked (R_CERT_5)."""
    with office.work(at=at, actor="test clerk") as w:
        card = repo.card(w.session, card_id)
        assert card is not None
        face.move_within(w, card.resident_id, new_address="石川県鹿島郡中能登町井田1番地")


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


Flip = Callable[[bytes], bytes]
