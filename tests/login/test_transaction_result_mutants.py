"""A signing transaction's result (R_CERT_1): only the login that carried it reads it, and it
returns the digest, the DigestInfo, the card's signature and the signing certificate. Written
against the mutants that lived in ``services/login/tokens.transaction_result``."""

from __future__ import annotations

import base64
import hashlib
import secrets
from datetime import timedelta

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding

from mynacard.db.provider import LoginClient, LoginRequest, LoginToken, SignTransaction
from mynacard.errors import NotFoundError
from mynacard.services import login
from tests.client.conftest import AT
from tests.login.conftest import OIDC, REDIRECT
from tests.login.test_provider import login_once

DOCUMENT = "利用規約に同意します。".encode()


def _transaction(web, site) -> str:
    cc = web.post(f"{OIDC}/token", data={"grant_type": "client_credentials"}, auth=("RP00000001", site)).json()
    tx = web.post("/api/sign-transactions",
                  json={"digest": base64.b64encode(hashlib.sha256(DOCUMENT).digest()).decode()},
                  headers={"Authorization": f"Bearer {cc['access_token']}"})
    assert tx.status_code == 201, tx.text
    return tx.json()["sign_transaction_id"]


def test_the_login_that_carried_a_transaction_reads_its_signature_and_certificate_R_CERT_1(
    office, card_id, web, site
):
    tx_id = _transaction(web, site)
    _, tokens = login_once(office, card_id, web, site, "openid sign", sign_transaction_id=tx_id)
    with office.work(at=AT, actor="rp") as w:
        result = login.transaction_result(w, tokens["access_token"], tx_id)
    assert sorted(result) == ["certificate", "digest", "digest_info", "sign_transaction_id", "signature"]
    assert result["sign_transaction_id"] == tx_id
    assert base64.b64decode(result["digest"]) == hashlib.sha256(DOCUMENT).digest()
    cert = x509.load_der_x509_certificate(base64.b64decode(result["certificate"]))
    cert.public_key().verify(base64.b64decode(result["signature"]), DOCUMENT, padding.PKCS1v15(), hashes.SHA256())
    assert result["digest_info"] is False  # opened with a bare SHA-256 digest, not a DigestInfo


def test_another_login_of_the_same_client_cannot_read_the_transaction_R_CERT_1(office, card_id, web, site):
    tx_id = _transaction(web, site)
    login_once(office, card_id, web, site, "openid sign", sign_transaction_id=tx_id)
    _, plain = login_once(office, card_id, web, site)  # the same relying party, a login without it
    for which in (tx_id, "65a04b4e-af8b-45a2-8713-5ec2631bab64"):
        with pytest.raises(NotFoundError) as err, office.work(at=AT, actor="rp") as w:
            login.transaction_result(w, plain["access_token"], which)
        assert err.value.message == "No signing transaction of this login has this ID."


@pytest.fixture
def carried(office) -> tuple[str, str]:
    """(access token, transaction ID): a login of the relying party, exchanged, that carried a signing
    transaction still open. Written to the store directly (no card): the tests then set the
    transaction's record as they need it."""
    with office.work(at=AT, actor="rp") as w:
        login.register_client(w, "RP00000001", "サンプル電子申請", [REDIRECT], with_secret=True)
        opener = login.client_credentials(w, w.session.get(LoginClient, "RP00000001")).access_token
        digest = base64.b64encode(hashlib.sha256(DOCUMENT).digest()).decode()
        tx = login.start_transaction(w, opener, {"digest": digest})
        row = LoginRequest(id=secrets.token_urlsafe(32), client_id="RP00000001", redirect_uri=REDIRECT,
                           scope="openid sign", state="s", nonce="n", code_challenge="c", sign_transaction_id=tx.id,
                           challenge=b"x" * 32, created_at=AT, expires_at=AT + timedelta(minutes=5),
                           status="exchanged", resident_id=1, auth_time=AT)
        access = secrets.token_urlsafe(32)
        w.session.add_all([row, LoginToken(token_hash=login.digest(access), client_id="RP00000001",
                                           grant="authorization_code", request_id=row.id, scope=row.scope,
                                           expires_at=AT + timedelta(minutes=10))])
        return access, tx.id


def _not_found(office, access: str, tx_id: str) -> dict:
    with pytest.raises(NotFoundError) as err, office.work(at=AT, actor="rp") as w:
        login.transaction_result(w, access, tx_id)
    return err.value.to_dict()


@pytest.mark.parametrize(
    ("status", "signature", "certificate"),
    [
        ("started", None, None),  # the holder has not approved yet
        ("signed", b"sig", None),  # a record missing the certificate, or the signature
        ("signed", None, b"cert"),
        ("started", b"sig", b"cert"),  # not marked signed
    ],
)
def test_a_transaction_is_given_out_only_once_signed_with_signature_and_certificate_R_CERT_1(
    office, carried, status, signature, certificate
):
    access, tx_id = carried
    with office.work(at=AT, actor="setup") as w:
        tx = w.session.get(SignTransaction, tx_id)
        tx.status, tx.signature, tx.certificate_der = status, signature, certificate
    assert _not_found(office, access, tx_id) == {
        "code": "not_found",
        "message": "The transaction has not been signed.",
        "message_ja": "The transaction has not been signed.",
    }


def test_a_transaction_gone_from_the_store_is_not_found_for_the_login_that_carried_it(office, carried):
    access, tx_id = carried
    with office.work(at=AT, actor="setup") as w:
        w.session.delete(w.session.get(SignTransaction, tx_id))
    assert _not_found(office, access, tx_id)["message"] == "No signing transaction of this login has this ID."
