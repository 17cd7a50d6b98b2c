"""The ID token's subject and ``at_hash``, the strength of access tokens, the provider's signing key
made once (also when another process makes it at the same moment), and a card's answer that is
not strict base64. Pins down ``services/login/tokens.py`` and the helpers of
``services/login/common.py``."""

from __future__ import annotations

import base64
import hashlib
from datetime import timedelta

import jwt
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.x509.oid import NameOID

from mynacard.db.provider import LoginKey, LoginRequest
from mynacard.rules.login import pairwise_subject
from mynacard.services import login
from mynacard.services.login.common import _digest_info, _signed
from tests.login.conftest import AT, MASTER_KEY, approve, back, card_answer, exchange, start


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _expected_subject(client_id: str, resident_id: int) -> str:
    """The pairwise ``sub``: keyed by an HKDF-SHA256 derivation of the office's master key with the
    label ``mynacard login subject``, so that it stays the same for as long as the master key does."""
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"mynacard login subject").derive(MASTER_KEY)
    return pairwise_subject(key, client_id, resident_id)


def _login(office, card_id, web, site) -> tuple[dict, int]:
    s = start(web)
    assert approve(office, card_id, web, s).status_code == 200
    tokens = exchange(web, back(web, s)["code"], s.verifier, site).json()
    with office.work(at=AT, actor="reader") as w:
        resident_id = w.session.get(LoginRequest, s.request_id).resident_id
    return tokens, resident_id


def test_the_id_token_binds_its_access_token_by_at_hash_oidc_core_3_1_3_6(office, card_id, web, site) -> None:
    """``at_hash``: base64url, without padding, of the left half of SHA-256 of the access token."""
    tokens, _ = _login(office, card_id, web, site)
    claims = jwt.decode(tokens["id_token"], options={"verify_signature": False})
    left_half = hashlib.sha256(tokens["access_token"].encode("ascii")).digest()[:16]
    assert claims["at_hash"] == _b64url(left_half)
    assert len(claims["at_hash"]) == 22


def test_the_subject_is_derived_from_the_master_key_for_the_holder_and_the_site(office, card_id, web, site) -> None:
    tokens, resident_id = _login(office, card_id, web, site)
    sub = jwt.decode(tokens["id_token"], options={"verify_signature": False})["sub"]
    assert sub == _expected_subject("RP00000001", resident_id)
    info = web.get(
        "/api/realms/main/protocol/openid-connect/userinfo",
        headers={"Authorization": f"Bearer {tokens['access_token']}"},
    ).json()
    assert info == {"sub": sub}


def test_two_holders_at_one_site_have_different_subjects(office) -> None:
    with office.work(at=AT, actor="login") as w:
        first, second = login.subject(w, "RP00000001", 1), login.subject(w, "RP00000001", 2)
    assert (first, second) == (_expected_subject("RP00000001", 1), _expected_subject("RP00000001", 2))
    assert first != second


def test_an_access_token_carries_256_random_bits(office, card_id, web, site) -> None:
    tokens, _ = _login(office, card_id, web, site)
    assert len(_unb64url(tokens["access_token"])) == 32


# -- the provider's signing key --------------------------------------------------------------------


def _public(key) -> tuple[int, int]:
    numbers = key.public_key().public_numbers()
    return numbers.n, numbers.e


def test_the_id_token_key_is_made_on_first_use_only_and_then_reused(office, monkeypatch) -> None:
    made = []
    keygen = office.keygen

    def counting():
        made.append(keygen())
        return made[-1]

    monkeypatch.setattr(office, "keygen", counting)
    with office.work(at=AT, actor="provider") as w:
        first = login.signing_key(w)
    with office.work(at=AT, actor="provider") as w:
        again = login.signing_key(w)
        assert _public(login.signing_key(w)) == _public(again)
    assert len(made) == 1
    assert _public(first) == _public(again) == _public(made[0])


def test_a_key_made_meanwhile_by_another_process_is_used_and_not_replaced(office, monkeypatch) -> None:
    keygen = office.keygen
    theirs = []

    def raced():
        monkeypatch.setattr(office, "keygen", keygen)
        # another process makes and stores the key while this one makes its own
        with office.work(at=AT, actor="other process") as other:
            theirs.append(login.signing_key(other))
        return keygen()

    monkeypatch.setattr(office, "keygen", raced)
    with office.work(at=AT, actor="provider") as w:
        used = login.signing_key(w)
    assert _public(used) == _public(theirs[0])
    with office.work(at=AT, actor="reader") as w:
        assert w.session.query(LoginKey).count() == 1
        assert _public(login.signing_key(w)) == _public(theirs[0])


# -- the card's answer ---------------------------------------------------------------------------


def test_a_signature_with_a_character_outside_base64_is_refused_not_cleaned_up(office, card_id, web, site) -> None:
    s = start(web)
    _, answer = card_answer(office, card_id, web, s)
    answer["auth_signature"] = answer["auth_signature"][:8] + "*" + answer["auth_signature"][8:]
    r = web.post(s.path, json=answer)
    assert r.status_code == 403
    assert r.json()["error"] == {
        "code": "malformed",
        "message": "auth_signature is not base64.",
        "message_ja": "送られたデータの形式が正しくありません。",
    }


def test_a_certificate_without_an_rsa_key_never_verifies_a_card_signature() -> None:
    """The card signs with PKCS#1 v1.5 RSA: a certificate with another kind of key (here P-256)
    does not verify, even with a valid signature of its own kind over the same DigestInfo."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "not a card")])
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(AT - timedelta(days=1))
        .not_valid_after(AT + timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    info = _digest_info(b"a challenge")
    signature = key.sign(info, ec.ECDSA(hashes.SHA256()))
    key.public_key().verify(signature, info, ec.ECDSA(hashes.SHA256()))  # valid as an ECDSA signature
    assert _signed(cert, signature, info) is False


# -- userinfo ------------------------------------------------------------------------------------


def _token_and_request(office, card_id, web, site) -> tuple[str, str, int]:
    s = start(web)
    assert approve(office, card_id, web, s).status_code == 200
    tokens = exchange(web, back(web, s)["code"], s.verifier, site).json()
    with office.work(at=AT, actor="reader") as w:
        resident_id = w.session.get(LoginRequest, s.request_id).resident_id
    return tokens["access_token"], s.request_id, resident_id


def test_userinfo_of_a_login_stored_without_claims_is_the_subject_alone(office, card_id, web, site) -> None:
    """The claims column may be empty (it is nullable): no attribute is then released."""
    token, request_id, resident_id = _token_and_request(office, card_id, web, site)
    with office.work(at=AT, actor="test") as w:
        w.session.get(LoginRequest, request_id).claims = None
    with office.work(at=AT, actor="provider") as w:
        assert login.userinfo(w, token) == {"sub": _expected_subject("RP00000001", resident_id)}


def test_userinfo_never_answers_for_a_login_without_a_holder(office, card_id, web, site) -> None:
    """A login row that lost its holder gives no subject at all, rather than one shared by every
    such row."""
    token, request_id, _ = _token_and_request(office, card_id, web, site)
    with office.work(at=AT, actor="test") as w:
        w.session.get(LoginRequest, request_id).resident_id = None
    with pytest.raises(AssertionError), office.work(at=AT, actor="provider") as w:
        login.userinfo(w, token)
