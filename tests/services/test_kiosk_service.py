"""The convenience-store kiosk at the service level (R_USE_2): the terminal's login, the 住民票の写し
it issues and its municipal seal, what it refuses and why, the event log, and fetching a document
again with its download secret."""

from __future__ import annotations

import io
import re
import secrets
from dataclasses import replace
from datetime import datetime, timedelta

import jwt
import pytest
from pyhanko.pdf_utils.reader import PdfFileReader
from pypdf import PdfReader

from mynacard.client import JpkiCard
from mynacard.client import approve as ap
from mynacard.db import repositories as repo
from mynacard.db.models import Event
from mynacard.db.provider import KioskDocument, LoginClient, LoginRequest, MunicipalSeal
from mynacard.errors import NotFoundError
from mynacard.rules.login import pkce_challenge
from mynacard.services import kiosk, login, loss
from mynacard.services.login import TokenError
from mynacard.services.vcard import open_card
from tests.services.conftest import KANAZAWA, PINS, at, issued_card, new_resident

OPEN = at("2026-02-16T10:00")  # a Monday, inside 6:30-23:00


@pytest.fixture
def holder(office) -> tuple[int, str]:
    rid = new_resident(office, name="能登 花子", sex="2")
    return rid, issued_card(office, rid)


def _answer(office, card_id: str, when: datetime):
    card = JpkiCard(open_card(office, card_id, lambda: when))
    return lambda challenge: ap.answer(card, challenge, PINS["auth"])


def _kiosk_token(office, card_id: str, when: datetime = OPEN) -> str:
    return kiosk.terminal_login(office, when, _answer(office, card_id, when))


def _issue(office, token: str, when: datetime = OPEN) -> kiosk.Issued:
    with office.work(at=when, actor="kiosk") as w:
        return kiosk.issue(w, token)


def _refusal(office, token: str, when: datetime = OPEN) -> kiosk.KioskRefused:
    with pytest.raises(kiosk.KioskRefused) as err:
        _issue(office, token, when)
    return err.value


def _kiosk_events(office, resident_id: int) -> list[tuple[str, dict]]:
    with office.work(at=at("2031-01-01"), actor="reader") as w:
        events = repo.events(w.session, resident_id=resident_id)
        return [(e.action, e.details) for e in events if e.action.startswith("kiosk_")]


def _signatures(issued: kiosk.Issued) -> list:
    return PdfFileReader(io.BytesIO(issued.pdf)).embedded_signatures


# --- issuing ---------------------------------------------------------------------------------


def test_the_kiosk_issues_the_holders_residence_certificate_once_per_session_R_USE_2(office, holder):
    rid, card_id = holder
    token = _kiosk_token(office, card_id)
    issued = _issue(office, token)
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
    assert _kiosk_events(office, rid) == [("kiosk_issued", {"document": issued.number, "fee": 200})]
    with pytest.raises(TokenError):  # one kiosk session, one document
        _issue(office, token)


def test_the_seal_is_a_pades_signature_of_the_mayor_with_its_root_R_USE_2(office, holder):
    _, card_id = holder
    [sig] = _signatures(_issue(office, _kiosk_token(office, card_id)))
    assert sig.field_name == "MunicipalSeal"
    assert sig.sig_object["/SubFilter"] == "/ETSI.CAdES.detached"  # PAdES
    assert (sig.sig_object["/Reason"], sig.sig_object["/Location"]) == ("電子公印", "石川県中能登町")
    assert sig.md_algorithm == "sha256"
    assert len(sig.signed_data["certificates"]) == 2  # the mayor's certificate and its root
    with office.work(at=OPEN, actor="reader") as w:
        root = w.session.get(MunicipalSeal, kiosk.ROOT).certificate_der
    assert root in [c.dump() for c in sig.other_embedded_certs]  # a verifier can build the chain


def test_the_municipal_seal_is_made_once_and_kept_sealed_in_the_store_R_USE_2(office, holder):
    _, card_id = holder
    later = OPEN + timedelta(hours=1)
    tokens = [_kiosk_token(office, card_id), _kiosk_token(office, card_id, later)]
    made, keygen = [], office.keygen
    office.keygen = lambda: made.append(1) or keygen()
    first = _issue(office, tokens[0])
    assert len(made) == 2  # the seal root and the municipality's seal, on first use
    second = _issue(office, tokens[1], later)
    assert len(made) == 2  # the second copy is sealed with the same, stored key
    signers = [_signatures(d)[0].signer_cert.dump() for d in (first, second)]
    assert signers[0] == signers[1]
    with office.work(at=OPEN, actor="reader") as w:
        row = w.session.get(MunicipalSeal, "174076")
        assert (row.certificate_der, row.created_at) == (signers[0], OPEN)


def test_a_seal_made_meanwhile_by_another_process_is_the_one_used_R_USE_2(office):
    """Two kiosks seal the municipality's first document at the same moment: the one that loses
    the race to store the seal uses the other's key and certificate instead of failing."""
    with office.work(at=OPEN, actor="kiosk") as w:
        kiosk.seal(w, KANAZAWA, "金沢市", "石川県")  # the seal root exists already
    pooled, theirs = office.keygen, []

    def keygen_while_another_kiosk_makes_the_seal():
        if not theirs:
            theirs.append(None)
            with office.work(at=OPEN, actor="other-kiosk") as other:
                theirs[0] = kiosk.seal(other, "174076", "中能登町", "石川県")
        return pooled()

    office.keygen = keygen_while_another_kiosk_makes_the_seal
    with office.work(at=OPEN, actor="kiosk") as w:
        key, cert, _root = kiosk.seal(w, "174076", "中能登町", "石川県")
    their_key, their_cert, _ = theirs[0]
    assert cert == their_cert
    assert key.private_numbers() == their_key.private_numbers()


# --- the kiosk's login ------------------------------------------------------------------------


def test_the_kiosk_logs_in_as_its_own_client_with_pkce_under_the_offices_base_url(office, holder, monkeypatch):
    """The kiosk terminal's login is the provider's code flow for the kiosk's own client: its one
    redirect URI is the office's base URL (without its trailing slash) + /kiosk/callback, the
    code is proven with a PKCE verifier of 48 random bytes, and every step is logged as the kiosk."""
    _, card_id = holder
    office.base_url = "https://city.example/SANDBOX/"
    callback = "https://city.example/SANDBOX/kiosk/callback"
    exchanged, exchange_code = [], login.exchange_code

    def exchange(w, client, form, issuer):
        tokens = exchange_code(w, client, form, issuer)
        exchanged.append((dict(form), tokens.id_token))
        return tokens

    monkeypatch.setattr(login, "exchange_code", exchange)
    token = _kiosk_token(office, card_id)
    [(form, id_token)] = exchanged
    with office.work(at=OPEN, actor="reader") as w:
        assert w.session.get(LoginClient, kiosk.CLIENT_ID).redirect_uris == [callback]
        row = w.session.get(LoginRequest, login.bearer(w, token, "authorization_code").request_id)
        assert (row.client_id, row.redirect_uri, row.scope, row.status) == ("KIOSK", callback, "openid", "exchanged")
        assert len(row.state) == len(row.nonce) == 11 and row.state != row.nonce  # 8 random bytes each
        assert pkce_challenge(form["code_verifier"]) == row.code_challenge
        nonce = row.nonce
        events = w.session.query(Event).filter(Event.action.like("login_%")).order_by(Event.id)
        steps = [(e.action, e.actor) for e in events]
    assert len(form["code_verifier"]) == 64 and form["redirect_uri"] == callback
    claims = jwt.decode(id_token, options={"verify_signature": False})
    assert (claims["iss"], claims["aud"], claims["nonce"]) == (
        "https://city.example/SANDBOX/api/realms/main",
        "KIOSK",
        nonce,
    )
    assert steps == [
        ("login_client_registered", "kiosk"),
        ("login_started", "kiosk"),
        ("login_approved", "kiosk"),
        ("login_tokens_issued", "kiosk"),
    ]


def test_a_card_refused_for_a_reason_without_its_own_text_is_told_the_card_cannot_be_used(office, holder, monkeypatch):
    """Every refusal of the provider has its Japanese text; one without it (a new reason) shows
    the kiosk's general answer, never the English detail."""
    _, card_id = holder
    approve = login.approve

    def approve_with_a_new_reason(w, request_id, answer):
        return replace(approve(w, request_id, answer), refusal="new_reason", detail="a reason added later")

    monkeypatch.setattr(login, "approve", approve_with_a_new_reason)
    with pytest.raises(kiosk.KioskRefused) as err:
        _kiosk_token(office, card_id)
    assert (err.value.message, err.value.message_ja, err.value.reason) == (
        "The card was not accepted: a reason added later",
        "このカードではご利用になれません。",
        "new_reason",
    )


# --- refusals --------------------------------------------------------------------------------


def test_a_token_of_another_service_is_not_a_kiosk_session(office, holder):
    _, card_id = holder
    callback = office.base_url.rstrip("/") + "/other/callback"
    verifier = secrets.token_urlsafe(48)
    params = {
        "response_type": "code",
        "client_id": "OTHER",
        "redirect_uri": callback,
        "scope": "openid",
        "state": "s",
        "nonce": "n",
        "code_challenge": pkce_challenge(verifier),
        "code_challenge_method": "S256",
    }
    with office.work(at=OPEN, actor="rp") as w:
        login.first_party_client(w, "OTHER", "他のサービス", callback)
        row, browser = login.start(w, params)
        challenge = login.challenge(w, row.id)
    signatures = _answer(office, card_id, OPEN)(challenge)
    with office.work(at=OPEN, actor="rp") as w:
        assert login.approve(w, row.id, signatures).ok
    with office.work(at=OPEN, actor="rp") as w:
        _, code = login.finish(w, row.id, browser)
        form = {"code": code, "redirect_uri": callback, "code_verifier": verifier}
        client = login.first_party_client(w, "OTHER", "他のサービス", callback)
        token = login.exchange_code(w, client, form, office.base_url.rstrip("/") + "/api/realms/main").access_token
    with pytest.raises(TokenError) as err:
        _issue(office, token)
    assert err.value.message == "Not a kiosk session."


def test_the_kiosk_is_closed_after_23_and_the_refusal_is_kept_R_USE_2(office, holder):
    rid, card_id = holder
    late = at("2026-02-16T23:01")
    err = _refusal(office, _kiosk_token(office, card_id, late), late)
    assert (err.message, err.message_ja, err.reason) == (
        "The kiosk service runs 6:30-23:00, except 29 December - 3 January.",
        "コンビニ交付のご利用時間は6時30分から23時までです(12月29日から1月3日を除く)。",
        "closed",
    )
    assert _kiosk_events(office, rid) == [("kiosk_refused", {"reason": "closed"})]


def test_a_card_suspended_after_the_login_gets_nothing_R_USE_2_R_LOSS_1(office, holder):
    rid, card_id = holder
    token = _kiosk_token(office, card_id)
    with office.work(at=OPEN + timedelta(minutes=1), actor="hotline") as w:
        loss.report_loss(w, card_id)
    err = _refusal(office, token, OPEN + timedelta(minutes=2))
    assert (err.message, err.message_ja, err.reason) == (
        "The card has no effect (suspended, expired or returned).",
        "このカードではご利用になれません。市区町村の窓口にお問い合わせください。",
        "card",
    )
    assert _kiosk_events(office, rid) == [("kiosk_refused", {"reason": "card"})]
    with office.work(at=OPEN, actor="reader") as w:
        assert w.session.query(KioskDocument).count() == 0


@pytest.mark.parametrize(
    ("flag", "why"),
    [("dv_protected", "under a DV protection measure"), ("moving_out_filed", "a moving-out notice has been filed")],
)
def test_a_holder_the_kiosk_may_not_serve_is_sent_to_the_window_R_USE_2(office, holder, flag, why):
    rid, card_id = holder
    token = _kiosk_token(office, card_id)
    with office.work(at=OPEN, actor="window") as w:
        setattr(repo.resident(w.session, rid), flag, True)
    err = _refusal(office, token)
    assert (err.message, err.message_ja, err.reason) == (
        f"Convenience-store issuance is not available: {why}.",
        "コンビニ交付はご利用になれません。市区町村の窓口で請求してください。",
        why,
    )
    assert _kiosk_events(office, rid) == [("kiosk_refused", {"reason": why})]


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
