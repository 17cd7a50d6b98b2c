"""The convenience-store kiosk at the service level (R_USE_2): the 住民票の写し it issues, its seal,
what it refuses and why, the event log, and fetching a document again with its download secret.
Written against the mutants that lived in ``services/kiosk.py``."""

from __future__ import annotations

import io
import re
import secrets
from datetime import datetime, timedelta

import pytest
from pyhanko.pdf_utils.reader import PdfFileReader
from pypdf import PdfReader

from mynacard.client import JpkiCard
from mynacard.client import approve as ap
from mynacard.db import repositories as repo
from mynacard.db.provider import KioskDocument, MunicipalSeal
from mynacard.errors import NotFoundError
from mynacard.rules.login import pkce_challenge
from mynacard.services import face, kiosk, login, loss, portal
from mynacard.services.login import TokenError
from mynacard.services.vcard import open_card
from tests.services.conftest import KANAZAWA, PINS, at, issued_card, new_resident

OPEN = at("2026-02-16T10:00")  # a Monday, inside 6:30-23:00


def _answer(office, card_id: str, when: datetime):
    card = JpkiCard(open_card(office, card_id, lambda: when))
    return lambda challenge: ap.answer(card, challenge, PINS["auth"])


def _kiosk_token(office, card_id: str, when: datetime = OPEN) -> str:
    return kiosk.terminal_login(office, when, _answer(office, card_id, when))


def _portal_token(office, card_id: str, when: datetime = OPEN) -> str:
    """The same provider flow as the kiosk's, for the portal: a token of another client."""
    callback = "http://127.0.0.1:8000/portal/callback"
    verifier = secrets.token_urlsafe(48)
    params = {
        "response_type": "code",
        "client_id": portal.CLIENT_ID,
        "redirect_uri": callback,
        "scope": "openid",
        "state": "s",
        "nonce": "n",
        "code_challenge": pkce_challenge(verifier),
        "code_challenge_method": "S256",
    }
    with office.work(at=when, actor="portal") as w:
        portal.client(w, callback)
        row, browser = login.start(w, params)
        challenge = login.challenge(w, row.id)
    signatures = _answer(office, card_id, when)(challenge)
    with office.work(at=when, actor="portal") as w:
        assert login.approve(w, row.id, signatures).ok
    with office.work(at=when, actor="portal") as w:
        _, code = login.finish(w, row.id, browser)
        form = {"code": code, "redirect_uri": callback, "code_verifier": verifier}
        return login.exchange_code(
            w, portal.client(w, callback), form, "http://127.0.0.1:8000/api/realms/main"
        ).access_token


def _events(office, action: str, resident_id: int) -> list[dict]:
    with office.work(at=at("2031-01-01"), actor="reader") as w:
        return [e.details for e in repo.events(w.session, resident_id=resident_id) if e.action == action]


@pytest.fixture
def holder(office) -> tuple[int, str]:
    rid = new_resident(office, name="能登 花子", sex="2")
    return rid, issued_card(office, rid)


def _issue(office, token: str, when: datetime = OPEN) -> kiosk.Issued:
    with office.work(at=when, actor="kiosk") as w:
        return kiosk.issue(w, token)


# --- issuing ---------------------------------------------------------------------------------


def test_the_kiosk_issues_a_residence_certificate_of_the_holder_R_USE_2(office, holder):
    rid, card_id = holder
    issued = _issue(office, _kiosk_token(office, card_id))
    assert re.fullmatch(r"20260216-[0-9A-F]{8}", issued.number)  # the day, then 8 upper-case hex digits
    assert issued.fee == 200
    assert len(issued.download) == 32  # 24 random bytes, base64url
    text = PdfReader(io.BytesIO(issued.pdf)).pages[0].extract_text()
    for shown in (
        issued.number,
        "能登 花子",
        "1990",
        "女",
        "石川県鹿島郡中能登町能登部下91部23番地",
        "石川県中能登町長",
    ):
        assert shown in text
    with office.work(at=OPEN, actor="kiosk") as w:
        doc = kiosk.document(w, issued.number, issued.download)
        assert (doc.resident_id, doc.kind, doc.fee, doc.pdf) == (rid, "residence_certificate", 200, issued.pdf)
    assert _events(office, "kiosk_issued", rid) == [{"document": issued.number, "fee": 200}]


def test_the_seal_is_a_pades_signature_of_the_mayor_with_its_root_R_USE_2(office, holder):
    _, card_id = holder
    issued = _issue(office, _kiosk_token(office, card_id))
    [sig] = PdfFileReader(io.BytesIO(issued.pdf)).embedded_signatures
    assert sig.field_name == "MunicipalSeal"
    assert sig.sig_object["/SubFilter"] == "/ETSI.CAdES.detached"  # PAdES
    assert (sig.sig_object["/Reason"], sig.sig_object["/Location"]) == ("電子公印", "石川県中能登町")
    assert sig.md_algorithm == "sha256"
    with office.work(at=OPEN, actor="reader") as w:
        root = w.session.get(MunicipalSeal, kiosk.ROOT).certificate_der
    assert root in [c.dump() for c in sig.other_embedded_certs]  # a verifier can build the chain


def test_later_documents_are_sealed_with_the_same_stored_seal_R_USE_2(office, holder):
    _, card_id = holder
    first = _issue(office, _kiosk_token(office, card_id))
    later = OPEN + timedelta(hours=1)
    second = _issue(office, _kiosk_token(office, card_id, later), later)
    signers = [PdfFileReader(io.BytesIO(d.pdf)).embedded_signatures[0].signer_cert.dump() for d in (first, second)]
    assert signers[0] == signers[1]
    with office.work(at=OPEN, actor="reader") as w:
        assert w.session.get(MunicipalSeal, "174076").certificate_der == signers[0]


def test_one_kiosk_session_issues_one_document_R_USE_2(office, holder):
    _, card_id = holder
    token = _kiosk_token(office, card_id)
    _issue(office, token)
    with pytest.raises(TokenError), office.work(at=OPEN, actor="kiosk") as w:
        kiosk.issue(w, token)


# --- refusals --------------------------------------------------------------------------------


def test_a_token_of_another_service_is_not_a_kiosk_session(office, holder):
    _, card_id = holder
    token = _portal_token(office, card_id)
    with pytest.raises(TokenError) as err, office.work(at=OPEN, actor="kiosk") as w:
        kiosk.issue(w, token)
    assert err.value.message == "Not a kiosk session."


def test_the_kiosk_refuses_out_of_hours_and_logs_why_R_USE_2(office, holder):
    rid, card_id = holder
    late = at("2026-02-16T23:01")
    with pytest.raises(kiosk.KioskRefused) as err:
        _issue(office, _kiosk_token(office, card_id, late), late)
    assert (err.value.message, err.value.message_ja, err.value.reason) == (
        "The kiosk service runs 6:30-23:00, except 29 December - 3 January.",
        "コンビニ交付のご利用時間は6時30分から23時までです(12月29日から1月3日を除く)。",
        "closed",
    )
    assert _events(office, "kiosk_refused", rid) == [{"reason": "closed"}]


def test_the_kiosk_refuses_a_card_suspended_after_the_login_R_LOSS_1(office, holder):
    rid, card_id = holder
    token = _kiosk_token(office, card_id)
    with office.work(at=OPEN + timedelta(minutes=1), actor="hotline") as w:
        loss.report_loss(w, card_id)
    with pytest.raises(kiosk.KioskRefused) as err:
        _issue(office, token, OPEN + timedelta(minutes=2))
    assert (err.value.message, err.value.message_ja, err.value.reason) == (
        "The card has no effect (suspended, expired or returned).",
        "このカードではご利用になれません。市区町村の窓口にお問い合わせください。",
        "card",
    )
    assert _events(office, "kiosk_refused", rid) == [{"reason": "card"}]


def test_the_kiosk_refuses_a_holder_who_filed_a_moving_out_notice_R_USE_2(office, holder):
    rid, card_id = holder
    with office.work(at=OPEN - timedelta(days=1), actor="clerk") as w:
        face.move_out(w, rid, to_municipality=KANAZAWA, planned_on=OPEN.date() + timedelta(days=10))
    with pytest.raises(kiosk.KioskRefused) as err:
        _issue(office, _kiosk_token(office, card_id))
    assert (err.value.message, err.value.message_ja, err.value.reason) == (
        "Convenience-store issuance is not available: a moving-out notice has been filed.",
        "コンビニ交付はご利用になれません。市区町村の窓口で請求してください。",
        "a moving-out notice has been filed",
    )
    assert _events(office, "kiosk_refused", rid) == [{"reason": "a moving-out notice has been filed"}]


# --- fetching again --------------------------------------------------------------------------

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


def test_a_seal_made_meanwhile_by_another_process_is_the_one_used_R_USE_2(office, holder):
    """Two kiosks issue the municipality's first document at the same moment: the one that loses
    the race to store the seal uses the other's, so every document has the same seal."""
    _, card_id = holder
    with office.work(at=OPEN, actor="kiosk") as w:
        kiosk.seal(w, KANAZAWA, "金沢市", "石川県")  # the seal root exists already
    token = _kiosk_token(office, card_id)
    pooled, raced = office.keygen, []

    def keygen_while_another_kiosk_makes_the_seal():
        if not raced:
            raced.append(True)
            with office.work(at=OPEN, actor="other-kiosk") as other:
                kiosk.seal(other, "174076", "中能登町", "石川県")
        return pooled()

    office.keygen = keygen_while_another_kiosk_makes_the_seal
    issued = _issue(office, token)
    office.keygen = pooled
    with office.work(at=OPEN, actor="reader") as w:
        stored = w.session.get(MunicipalSeal, "174076").certificate_der
    assert PdfFileReader(io.BytesIO(issued.pdf)).embedded_signatures[0].signer_cert.dump() == stored
