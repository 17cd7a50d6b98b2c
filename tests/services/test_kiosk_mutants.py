"""Fetching a kiosk document again with its download secret (R_USE_2). Written against the
mutants that lived in ``services/kiosk.py``; issuing is tested end to end in tests/login."""

from __future__ import annotations

import pytest

from mynacard.db.provider import KioskDocument
from mynacard.errors import NotFoundError
from mynacard.services import kiosk, login
from tests.services.conftest import at, new_resident

NUMBER = "20260216-0A1B2C3D"
SECRET = "the-kiosk-screens-link-secret"


@pytest.fixture
def document(office):
    rid = new_resident(office)
    with office.work(at=at("2026-02-16"), actor="kiosk") as w:
        w.session.add(
            KioskDocument(
                number=NUMBER,
                resident_id=rid,
                kind="residence_certificate",
                fee=200,
                issued_at=w.at,
                pdf=b"%PDF-sealed",
                download_hash=login.digest(SECRET),
            )
        )
    return NUMBER


def test_the_download_secret_fetches_the_document_R_USE_2(office, document):
    with office.work(at=at("2026-02-16"), actor="kiosk") as w:
        assert kiosk.document(w, document, SECRET).pdf == b"%PDF-sealed"


@pytest.mark.parametrize(("number", "secret"), [(NUMBER, "a-guessed-secret"), ("20260216-FFFFFFFF", SECRET)])
def test_a_wrong_secret_or_number_finds_no_document_and_says_so_R_USE_2(office, document, number, secret):
    with pytest.raises(NotFoundError) as err, office.work(at=at("2026-02-16"), actor="kiosk") as w:
        kiosk.document(w, number, secret)
    assert (err.value.message, err.value.message_ja) == ("No such document.", "証明書が見つかりません。")
