"""The kiosk's issuance at the service level (R_USE_2): who may get a 住民票の写し there and when,
what a refusal says and keeps, the document and its municipal seal, and its download secret.
Written against the mutants that lived in ``services/kiosk.py``."""

from __future__ import annotations

import io
import re
import secrets
from datetime import datetime

import pytest
from pyhanko.pdf_utils.reader import PdfFileReader

from mynacard.client import JpkiCard
from mynacard.client import approve as ap
from mynacard.db import repositories as repo
from mynacard.db.provider import KioskDocument, MunicipalSeal
from mynacard.errors import NotFoundError
from mynacard.rules.login import pkce_challenge
from mynacard.services import kiosk, login, loss
from mynacard.services.login import TokenError
from mynacard.services.vcard import DEMO_PINS, open_card
from mynacard.timeutil import JST

MONDAY = datetime(2026, 2, 16, 10, 0, tzinfo=JST)


def _answer(office, card_id: str, at: datetime):
    card = JpkiCard(open_card(office, card_id, lambda: at))
    return lambda challenge: ap.answer(card, challenge, DEMO_PINS["auth"])


def _token(office, card_id: str, at: datetime = MONDAY) -> str:
    return kiosk.terminal_login(office, at, _answer(office, card_id, at))


def _issue(office, token: str, at: datetime = MONDAY) -> kiosk.Issued:
    with office.work(at=at, actor="kiosk") as w:
        return kiosk.issue(w, token)


def _refusal(office, token: str, at: datetime = MONDAY) -> kiosk.KioskRefused:
    with pytest.raises(kiosk.KioskRefused) as err, office.work(at=at, actor="kiosk") as w:
        kiosk.issue(w, token)
    return err.value


def _holder(office, card_id: str) -> int:
    with office.work(at=MONDAY, actor="test") as w:
        return repo.card(w.session, card_id).resident_id


def _kiosk_events(office, resident_id: int) -> list[tuple[str, dict]]:
    with office.work(at=MONDAY, actor="test") as w:
        return [(e.action, e.details) for e in repo.events(w.session, resident_id=resident_id)
                if e.action.startswith("kiosk_")]


def test_the_kiosk_issues_a_numbered_sealed_copy_once_per_session_and_charges_the_fee_R_USE_2(office, card_id):
    rid = _holder(office, card_id)
    token = _token(office, card_id)
    issued = _issue(office, token)
    assert re.fullmatch(r"20260216-[0-9A-F]{8}", issued.number)
    assert issued.fee == 200
    sig = PdfFileReader(io.BytesIO(issued.pdf)).embedded_signatures[0]
    assert sig.field_name == "MunicipalSeal"
    assert sig.sig_object["/SubFilter"] == "/ETSI.CAdES.detached"  # PAdES
    assert sig.sig_object["/Reason"] == "電子公印"
    assert sig.sig_object["/Location"] == "石川県中能登町"
    assert sig.md_algorithm == "sha256"
    assert len(sig.signed_data["certificates"]) == 2  # the municipal head's certificate and its root
    with office.work(at=MONDAY, actor="test") as w:
        doc = kiosk.document(w, issued.number, issued.download)
        assert (doc.resident_id, doc.fee, doc.kind, doc.pdf) == (rid, 200, "residence_certificate", issued.pdf)
    assert _kiosk_events(office, rid) == [("kiosk_issued", {"document": issued.number, "fee": 200})]
    with pytest.raises(TokenError):  # one kiosk session, one document
        _issue(office, token)


def test_the_municipal_seal_is_made_once_and_kept_sealed_in_the_store_R_USE_2(office, card_id):
    tokens = [_token(office, card_id), _token(office, card_id, MONDAY.replace(hour=11))]
    made = []
    keygen = office.keygen
    office.keygen = lambda: made.append(1) or keygen()
    first = _issue(office, tokens[0])
    assert len(made) == 2  # the seal root and the municipality's seal, on first use
    second = _issue(office, tokens[1], MONDAY.replace(hour=11))
    assert len(made) == 2  # the second copy is sealed with the same, stored key
    certs = [PdfFileReader(io.BytesIO(d.pdf)).embedded_signatures[0].signer_cert.dump() for d in (first, second)]
    assert certs[0] == certs[1]
    with office.work(at=MONDAY, actor="test") as w:
        row = w.session.get(MunicipalSeal, "174076")
        assert row.certificate_der == certs[0]
        assert row.created_at == MONDAY


def test_the_kiosk_is_closed_after_23_and_the_refusal_is_kept_R_USE_2(office, card_id):
    rid = _holder(office, card_id)
    late = MONDAY.replace(hour=23, minute=1)
    err = _refusal(office, _token(office, card_id, late), late)
    assert err.reason == "closed"
    assert err.message == "The kiosk service runs 6:30-23:00, except 29 December - 3 January."
    assert err.message_ja == "コンビニ交付のご利用時間は6時30分から23時までです(12月29日から1月3日を除く)。"
    assert _kiosk_events(office, rid) == [("kiosk_refused", {"reason": "closed"})]


def test_a_card_suspended_after_the_login_gets_nothing_R_USE_2_R_LOSS_1(office, card_id):
    rid = _holder(office, card_id)
    token = _token(office, card_id)
    with office.work(at=MONDAY, actor="hotline") as w:
        holder = repo.resident(w.session, rid)
        loss.hotline_suspend(w, name=holder.name, birth_date=holder.birth_date, caller="本人")
    err = _refusal(office, token)
    assert err.reason == "card"
    assert err.message == "The card has no effect (suspended, expired or returned)."
    assert err.message_ja == "このカードではご利用になれません。市区町村の窓口にお問い合わせください。"
    assert _kiosk_events(office, rid) == [("kiosk_refused", {"reason": "card"})]
    with office.work(at=MONDAY, actor="test") as w:
        assert w.session.query(KioskDocument).count() == 0


@pytest.mark.parametrize(
    ("change", "why"),
    [
        ({"dv_protected": True}, "under a DV protection measure"),
        ({"moving_out_filed": True}, "a moving-out notice has been filed"),
    ],
)
def test_a_holder_the_kiosk_may_not_serve_is_sent_to_the_window_R_USE_2(office, card_id, change, why):
    rid = _holder(office, card_id)
    token = _token(office, card_id)
    with office.work(at=MONDAY, actor="window") as w:
        for k, v in change.items():
            setattr(repo.resident(w.session, rid), k, v)
    err = _refusal(office, token)
    assert err.reason == why
    assert err.message == f"Convenience-store issuance is not available: {why}."
    assert err.message_ja == "コンビニ交付はご利用になれません。市区町村の窓口で請求してください。"
    assert _kiosk_events(office, rid) == [("kiosk_refused", {"reason": why})]


def test_a_document_is_fetched_only_with_its_download_secret(office, card_id):
    issued = _issue(office, _token(office, card_id))
    for number, secret in ((issued.number, "guess"), ("20260216-00000000", issued.download)):
        with pytest.raises(NotFoundError) as err, office.work(at=MONDAY, actor="test") as w:
            kiosk.document(w, number, secret)
        assert (err.value.message, err.value.message_ja) == ("No such document.", "証明書が見つかりません。")


def test_a_login_to_another_relying_party_is_not_a_kiosk_session(office, card_id):
    callback = office.base_url.rstrip("/") + "/other/callback"
    verifier = secrets.token_urlsafe(48)
    params = {"response_type": "code", "client_id": "OTHER", "redirect_uri": callback, "scope": "openid",
              "state": "s", "nonce": "n", "code_challenge": pkce_challenge(verifier), "code_challenge_method": "S256"}
    with office.work(at=MONDAY, actor="rp") as w:
        login.first_party_client(w, "OTHER", "他のサービス", callback)
        row, browser = login.start(w, params)
        challenge = login.challenge(w, row.id)
    signatures = _answer(office, card_id, MONDAY)(challenge)
    with office.work(at=MONDAY, actor="rp") as w:
        assert login.approve(w, row.id, signatures).ok
    with office.work(at=MONDAY, actor="rp") as w:
        _, code = login.finish(w, row.id, browser)
        form = {"code": code or "", "redirect_uri": callback, "code_verifier": verifier}
        client = login.first_party_client(w, "OTHER", "他のサービス", callback)
        token = login.exchange_code(w, client, form, office.base_url.rstrip("/") + "/api/realms/main").access_token
    with pytest.raises(TokenError) as err:
        _issue(office, token)
    assert err.value.message == "Not a kiosk session."


def test_a_seal_made_by_another_process_at_the_same_moment_is_the_one_used_R_USE_2(office, card_id):
    """Two kiosks of one municipality sealing their first copy at once: the second to store its
    new seal finds the first one's row and uses that key and certificate instead of failing."""
    from cryptography.hazmat.primitives.serialization import Encoding
    from sqlalchemy import insert

    from mynacard.ca.seal import seal_root
    from mynacard.crypto import seal_private_key
    from tests.keypool import pooled_key

    theirs_key = pooled_key()
    theirs = seal_root(theirs_key, MONDAY)
    keygen = office.keygen
    with office.work(at=MONDAY, actor="kiosk") as w:

        def other_process_first():  # the other kiosk commits its seal while ours is being made
            w.session.execute(insert(MunicipalSeal).values(
                code="174076", certificate_der=theirs.public_bytes(Encoding.DER), created_at=MONDAY,
                sealed_key=seal_private_key(theirs_key, office.master_key, context=b"seal")))
            return keygen()

        kiosk.seal(w, "999999", "他町", "石川県")  # the root exists: only the municipality's seal is made below
        office.keygen = other_process_first
        key, cert, _root = kiosk.seal(w, "174076", "中能登町", "石川県")
    assert cert == theirs
    assert key.private_numbers() == theirs_key.private_numbers()
