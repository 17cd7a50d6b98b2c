"""The convenience-store kiosk's document number (R_USE_2): the day, then eight upper-case hex
digits, whatever the random part. The rest of the kiosk is ``test_kiosk_service.py``."""

from __future__ import annotations

import io
import secrets
from types import SimpleNamespace

from pypdf import PdfReader

from mynacard.client import JpkiCard
from mynacard.client import approve as ap
from mynacard.services import kiosk
from mynacard.services.vcard import open_card
from tests.services.conftest import PINS, at, issued_card, new_resident

OPEN = at("2026-02-16T10:00")  # a Monday, inside 6:30-23:00


def test_the_document_number_is_the_day_and_the_random_part_in_upper_case_R_USE_2(office, monkeypatch):
    rid = new_resident(office, name="能登 花子", sex="2")
    card = JpkiCard(open_card(office, issued_card(office, rid), lambda: OPEN))
    token = kiosk.terminal_login(office, OPEN, lambda challenge: ap.answer(card, challenge, PINS["auth"]))
    # a random part with hex letters in it, as secrets.token_hex gives them: lower case
    monkeypatch.setattr(kiosk, "secrets", SimpleNamespace(token_hex=lambda n: "c0ffee0a"[: 2 * n],
                                                          token_urlsafe=secrets.token_urlsafe))
    with office.work(at=OPEN, actor="kiosk") as w:
        issued = kiosk.issue(w, token)
    assert issued.number == "20260216-C0FFEE0A"
    assert "20260216-C0FFEE0A" in PdfReader(io.BytesIO(issued.pdf)).pages[0].extract_text()
    with office.work(at=OPEN, actor="kiosk") as w:
        assert kiosk.document(w, "20260216-C0FFEE0A", issued.download).resident_id == rid
