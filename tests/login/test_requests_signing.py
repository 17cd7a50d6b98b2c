"""The signing certificate's part of the holder's approval (``services/login/requests``): when a site
asks for attributes or a document signature, the card also signs with the signing certificate of
the same holder, and signs the open transaction's digest. Each refusal says why in English and
Japanese, is kept on the request and audited; an approval records both certificates."""

from __future__ import annotations

import base64
import hashlib
from datetime import timedelta

import pytest
from cryptography import x509

from mynacard.client import JpkiCard
from mynacard.client import approve as ap
from mynacard.db import repositories as repo
from mynacard.db.models import Event
from mynacard.db.provider import LoginRequest, SignTransaction
from mynacard.services.vcard import DEMO_MUNICIPALITY, DEMO_PINS, open_card
from tests.client.conftest import AT
from tests.login.conftest import OIDC, back, card_answer, start
from tests.services.conftest import issued_card, new_resident

DOCUMENT = "利用規約に同意します。".encode()
EXPIRED_JA = "ログイン要求の有効期限が切れました。もう一度ログインしてください。"


def _events(office, action: str) -> list[dict]:
    with office.work(at=AT, actor="reader") as w:
        return [e.details for e in w.session.query(Event).all() if e.action == action]


def _row(office, request_id: str) -> LoginRequest:
    with office.work(at=AT, actor="reader") as w:
        return w.session.get(LoginRequest, request_id)


def _refused(office, web, started, answer: dict) -> dict:
    """Post the answer; check the refusal is kept, audited, and sends the browser back with
    access_denied. Returns the app's response body."""
    r = web.post(started.path, json=answer)
    assert r.status_code == 403, r.text
    body = r.json()
    row = _row(office, started.request_id)
    assert (row.status, row.refusal, row.resident_id, row.sign_serial) == ("refused", body["refusal"], None, None)
    assert _events(office, "login_refused") == [
        {"client_id": "RP00000001", "request": started.request_id[:8], "reason": body["refusal"]}
    ]
    assert back(web, started)["error"] == "access_denied"
    return body


def _refusal(code: str, message: str, message_ja: str) -> dict:
    return {"status": "refused", "refusal": code, "error": {"code": code, "message": message, "message_ja": message_ja}}


def _transaction(web, site) -> str:
    cc = web.post(f"{OIDC}/token", data={"grant_type": "client_credentials"}, auth=("RP00000001", site))
    body = {"digest": base64.b64encode(hashlib.sha256(DOCUMENT).digest()).decode()}
    tx = web.post("/api/sign-transactions", json=body, headers={"Authorization": f"Bearer {cc.json()['access_token']}"})
    assert tx.status_code == 201, tx.text
    return tx.json()["sign_transaction_id"]


def _transaction_row(office, tx_id: str) -> SignTransaction:
    with office.work(at=AT, actor="reader") as w:
        return w.session.get(SignTransaction, tx_id)


# -- the signing certificate is needed -----------------------------------------------------------


def test_attributes_without_the_signing_certificate_are_refused_and_say_what_is_needed(
    office, card_id, web, site
) -> None:
    s = start(web, "openid name")
    _, answer = card_answer(office, card_id, web, s)
    del answer["sign_certificate"], answer["sign_signature"]
    assert _refused(office, web, s, answer) == _refusal(
        "missing_signing",
        "Attributes and signatures need a signature with the signing certificate too.",
        "署名用電子証明書による署名が必要です。",
    )


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            {"sign_certificate": base64.b64encode(b"not a certificate").decode()},
            "sign_certificate is not a DER certificate.",
        ),
        ({"sign_signature": ""}, "sign_signature is missing."),
        ({"sign_signature": "not base64!"}, "sign_signature is not base64."),
    ],
)
def test_a_malformed_signing_part_is_refused_and_says_what_is_wrong(office, card_id, web, site, change, message):
    s = start(web, "openid name")
    _, answer = card_answer(office, card_id, web, s)
    answer.update(change)
    assert _refused(office, web, s, answer) == _refusal(
        "malformed", message, "送られたデータの形式が正しくありません。"
    )


# -- one holder, and the card's own signature -------------------------------------------------------


def test_a_signing_certificate_of_another_holder_is_refused(office, card_id, web, site) -> None:
    """Two holders' cards cannot be combined: the other card signs the same challenge correctly,
    and still its signing certificate is not the holder's."""
    other = issued_card(
        office,
        new_resident(office, when="2026-01-28", name="別人 花子", municipality_code=DEMO_MUNICIPALITY[0]),
        applied="2026-01-28",
        made="2026-02-01",
        handed="2026-02-15T20:00",  # when the sandbox's CAs are made
        pins=DEMO_PINS,
    )
    s = start(web, "openid name")
    shown, answer = card_answer(office, card_id, web, s)
    theirs = ap.answer(JpkiCard(open_card(office, other, lambda: AT)), shown, DEMO_PINS["auth"], DEMO_PINS["sign"])
    answer["sign_certificate"], answer["sign_signature"] = theirs["sign_certificate"], theirs["sign_signature"]
    assert _refused(office, web, s, answer) == _refusal(
        "not_same_card",
        "The two certificates belong to different holders.",
        "利用者証明用と署名用の証明書が同じ人のものではありません。",
    )


def test_a_signing_signature_over_another_challenge_is_refused(office, card_id, web, site) -> None:
    first, second = start(web, "openid name"), start(web, "openid name")
    _, old = card_answer(office, card_id, web, first)
    _, answer = card_answer(office, card_id, web, second)
    answer["sign_signature"] = old["sign_signature"]
    assert _refused(office, web, second, answer) == _refusal(
        "bad_signature",
        "The signature over the challenge does not verify with the signing certificate.",
        "署名を検証できませんでした。",
    )


# -- the document signature ------------------------------------------------------------------------


def test_a_login_without_the_document_signature_is_refused_and_the_transaction_stays_open(
    office, card_id, web, site
) -> None:
    tx_id = _transaction(web, site)
    s = start(web, "openid sign", sign_transaction_id=tx_id)
    _, answer = card_answer(office, card_id, web, s)
    del answer["document_signature"]
    assert _refused(office, web, s, answer) == _refusal(
        "malformed", "document_signature is missing.", "送られたデータの形式が正しくありません。"
    )
    assert _transaction_row(office, tx_id).status == "started"


def test_a_document_signature_over_something_else_is_refused_and_the_transaction_stays_open(
    office, card_id, web, site
) -> None:
    tx_id = _transaction(web, site)
    s = start(web, "openid sign", sign_transaction_id=tx_id)
    _, answer = card_answer(office, card_id, web, s)
    answer["document_signature"] = answer["sign_signature"]  # the card's signature over the challenge
    assert _refused(office, web, s, answer) == _refusal(
        "bad_signature",
        "The document signature does not verify over the transaction's digest.",
        "署名を検証できませんでした。",
    )
    tx = _transaction_row(office, tx_id)
    assert (tx.status, tx.signature, tx.certificate_der) == ("started", None, None)


def test_a_transaction_signed_in_another_login_is_refused_as_no_longer_open(office, card_id, web, site) -> None:
    """Two logins may carry the same transaction; once one has signed it, the other cannot."""
    tx_id = _transaction(web, site)
    first = start(web, "openid sign", sign_transaction_id=tx_id)
    second = start(web, "openid sign", sign_transaction_id=tx_id)
    _, answer = card_answer(office, card_id, web, first)
    assert web.post(first.path, json=answer).status_code == 200
    signed = _transaction_row(office, tx_id)
    _, again = card_answer(office, card_id, web, second)
    assert _refused(office, web, second, again) == _refusal(
        "expired",
        "The signing transaction is no longer open.",
        "ログイン要求の有効期限が切れました。もう一度ログインしてください。",
    )
    kept = _transaction_row(office, tx_id)
    assert (kept.status, kept.signature, kept.certificate_der) == ("signed", signed.signature, signed.certificate_der)


def test_a_transaction_at_the_end_of_its_ten_minutes_is_refused_as_no_longer_open(
    office, card_id, web, site, clock
) -> None:
    tx_id = _transaction(web, site)
    end = AT + timedelta(minutes=10)
    clock.set(end - timedelta(minutes=1))  # the login itself is still young
    s = start(web, "openid sign", sign_transaction_id=tx_id)
    _, answer = card_answer(office, card_id, web, s)
    clock.set(end)
    assert _refused(office, web, s, answer) == _refusal(
        "expired",
        "The signing transaction is no longer open.",
        "ログイン要求の有効期限が切れました。もう一度ログインしてください。",
    )
    assert _transaction_row(office, tx_id).status == "started"


def test_a_transaction_is_signed_up_to_its_last_moment(office, card_id, web, site, clock) -> None:
    tx_id = _transaction(web, site)
    end = AT + timedelta(minutes=10)
    clock.set(end - timedelta(minutes=1))
    s = start(web, "openid sign", sign_transaction_id=tx_id)
    _, answer = card_answer(office, card_id, web, s)
    clock.set(end - timedelta(microseconds=1))
    r = web.post(s.path, json=answer)
    assert r.status_code == 200, r.text
    assert _transaction_row(office, tx_id).status == "signed"


# -- what an approval records ---------------------------------------------------------------------


def _serials(office, card_id: str) -> dict[str, int]:
    with office.work(at=AT, actor="reader") as w:
        return {k: repo.current_certificate(w.session, card_id, k).serial for k in ("auth", "sign")}


def test_an_approval_records_the_holder_both_certificates_and_the_attributes_R_CERT_9(
    office, card_id, web, site
) -> None:
    s = start(web, "openid name address")
    _, answer = card_answer(office, card_id, web, s)
    r = web.post(s.path, json=answer)
    assert r.json() == {"status": "approved", "refusal": None}
    serials = _serials(office, card_id)
    row = _row(office, s.request_id)
    with office.work(at=AT, actor="reader") as w:
        holder = repo.card(w.session, card_id).resident_id
    assert (row.status, row.refusal, row.resident_id) == ("approved", None, holder)
    assert (row.auth_serial, row.sign_serial) == (serials["auth"], serials["sign"])
    assert row.auth_time == AT
    assert row.claims["attributes"] == {"name": "見本 太郎", "address": "石川県鹿島郡中能登町能登部下91部23番地"}
    with office.work(at=AT, actor="reader") as w:
        approvals = [
            (e.actor, e.resident_id, e.certificate_serial, e.details)
            for e in w.session.query(Event).all()
            if e.action == "login_approved"
        ]
    assert approvals == [("holder", holder, serials["auth"], {"client_id": "RP00000001", "request": s.request_id[:8]})]


def test_an_approval_with_the_authentication_certificate_alone_records_no_signing_certificate(
    office, card_id, web, site
) -> None:
    s = start(web)
    _, answer = card_answer(office, card_id, web, s)
    assert web.post(s.path, json=answer).status_code == 200
    row = _row(office, s.request_id)
    assert (row.auth_serial, row.sign_serial) == (_serials(office, card_id)["auth"], None)
    assert row.claims["attributes"] == {}


def test_a_signed_transaction_keeps_the_signature_and_the_signing_certificate_R_CERT_1(
    office, card_id, web, site
) -> None:
    tx_id = _transaction(web, site)
    s = start(web, "openid sign", sign_transaction_id=tx_id)
    _, answer = card_answer(office, card_id, web, s)
    assert web.post(s.path, json=answer).status_code == 200
    tx = _transaction_row(office, tx_id)
    with office.work(at=AT, actor="reader") as w:
        sign_der = repo.current_certificate(w.session, card_id, "sign").der
    assert (tx.status, tx.signature, tx.certificate_der) == (
        "signed",
        base64.b64decode(answer["document_signature"]),
        sign_der,
    )
    assert x509.load_der_x509_certificate(tx.certificate_der).serial_number == _row(office, s.request_id).sign_serial
