"""The client-credentials token, opening a signing transaction and the provider's JWKS: what is
refused and why, what is stored and logged. Written against the mutants that lived in
``services/login/tokens.py``."""

from __future__ import annotations

import base64
import hashlib

import pytest

from mynacard.db import repositories as repo
from mynacard.db.provider import LoginClient, LoginToken, SignTransaction
from mynacard.errors import ValidationError
from mynacard.services import login
from tests.client.conftest import AT

# DER DigestInfo of a SHA-256 hash, before the hash (RFC 8017 section 9.2, note 1)
SHA256_DIGEST_INFO = bytes.fromhex("3031300d060960864801650304020105000420")
DOCUMENT = hashlib.sha256(b"an application form").digest()


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


@pytest.fixture
def token(office) -> str:
    with office.work(at=AT, actor="rp") as w:
        login.register_client(w, "RP00000001", "サンプル電子申請", ["https://rp.example/callback"], with_secret=True)
        tokens = login.client_credentials(w, w.session.get(LoginClient, "RP00000001"))
    assert (tokens.expires_in, tokens.scope) == (600, "sign")  # access tokens live 10 minutes
    return tokens.access_token


def _start(office, token: str, body: dict) -> SignTransaction:
    with office.work(at=AT, actor="rp") as w:
        tx = login.start_transaction(w, token, body)
        w.session.flush()
        w.session.expunge(tx)
        return tx


def test_the_client_credentials_token_may_open_signing_transactions(office, token):
    with office.work(at=AT, actor="reader") as w:
        row = w.session.get(LoginToken, login.digest(token))
        assert (row.client_id, row.grant, row.scope, row.request_id) == (
            "RP00000001",
            "client_credentials",
            "sign",
            None,
        )


def test_a_signing_transaction_over_a_sha256_hash_is_stored_and_logged(office, token):
    tx = _start(office, token, {"digest": b64(DOCUMENT)})
    assert (tx.client_id, tx.digest, tx.digest_info, tx.created_at) == ("RP00000001", DOCUMENT, False, AT)
    with office.work(at=AT, actor="reader") as w:
        logged = [e.details for e in repo.events(w.session) if e.action == "sign_transaction_started"]
    assert logged == [{"client_id": "RP00000001", "transaction": tx.id}]


def test_a_signing_transaction_over_a_digest_info_keeps_that_it_is_one(office, token):
    tx = _start(office, token, {"digest": b64(SHA256_DIGEST_INFO + DOCUMENT), "digest_info": True})
    assert (tx.digest, tx.digest_info) == (SHA256_DIGEST_INFO + DOCUMENT, True)


def _refused(office, token: str, body: dict) -> dict:
    with pytest.raises(ValidationError) as err, office.work(at=AT, actor="rp") as w:
        login.start_transaction(w, token, body)
    return err.value.to_dict()


NOT_A_HASH = {
    "code": "invalid_input",
    "message": "digest must be a SHA-256 hash (32 bytes, base64).",
    "message_ja": "digest は SHA-256 のハッシュ値(32バイト)です。",
    "field": "digest",
}
NOT_A_DIGEST_INFO = {
    "code": "invalid_input",
    "message": "With digest_info, digest must be a DER DigestInfo of a SHA-256 hash (51 bytes).",
    "message_ja": "With digest_info, digest must be a DER DigestInfo of a SHA-256 hash (51 bytes).",
    "field": "digest",
}


def test_a_digest_that_is_not_strict_base64_is_refused(office, token):
    text = b64(DOCUMENT)
    assert _refused(office, token, {"digest": text[:10] + "!" + text[10:]}) == {
        "code": "invalid_input",
        "message": "digest must be base64.",
        "message_ja": "digest は base64 で指定してください。",
        "field": "digest",
    }


@pytest.mark.parametrize(
    "body",
    [
        {"digest": b64(DOCUMENT[:31])},
        {"digest": b64(SHA256_DIGEST_INFO + DOCUMENT)},  # a DigestInfo without digest_info
        {"digest_info": False},
    ],
)
def test_a_digest_that_is_not_a_sha256_hash_is_refused(office, token, body):
    assert _refused(office, token, body) == NOT_A_HASH


@pytest.mark.parametrize(
    "digest",
    [
        DOCUMENT,  # the bare hash
        SHA256_DIGEST_INFO + DOCUMENT[:31],
        SHA256_DIGEST_INFO + DOCUMENT + b"\x00",
        bytes.fromhex("3031300d060960864801650304020205000420") + DOCUMENT,  # SHA-384's OID, 32 bytes
    ],
)
def test_with_digest_info_only_a_sha256_digest_info_is_taken(office, token, digest):
    assert _refused(office, token, {"digest": b64(digest), "digest_info": True}) == NOT_A_DIGEST_INFO


def test_the_provider_publishes_its_id_token_key_for_rs256_signatures(office):
    with office.work(at=AT, actor="rp") as w:
        [key] = login.jwks(w)["keys"]
    assert (key["kty"], key["use"], key["alg"]) == ("RSA", "sig", "RS256")
