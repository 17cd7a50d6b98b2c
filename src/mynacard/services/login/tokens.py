"""The token, userinfo and signing-transaction endpoints, and the provider's key."""

from __future__ import annotations

import base64
import hmac
import json
import secrets
import uuid
from dataclasses import dataclass
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from mynacard.crypto import seal_private_key, unseal_private_key
from mynacard.db.provider import LoginClient, LoginKey, LoginRequest, LoginToken, SignTransaction
from mynacard.errors import NotFoundError, ValidationError
from mynacard.rules.login import (
    pairwise_subject,
    pkce_matches,
)
from mynacard.services.context import Work
from mynacard.services.login.common import (
    _SHA256_PREFIX,
    ASSERTION_TYPE,
    KEY_ID,
    TOKEN_LIFETIME,
    TRANSACTION_LIFETIME,
    ClientAuthError,
    CodeReplayed,
    GrantError,
    TokenError,
    _audited,
    _b64,
    _derived,
    _half_hash,
    digest,
)


@_audited("token")
def authenticate_client(w: Work, form: dict[str, str], basic: tuple[str, str] | None, token_url: str) -> LoginClient:
    """Client authentication at the token endpoint: ``private_key_jwt`` (the real API's method),
    or, as a sandbox convenience, ``client_secret_basic`` / ``client_secret_post``."""
    if form.get("client_assertion_type") == ASSERTION_TYPE and form.get("client_assertion"):
        assertion = form["client_assertion"]
        try:
            claimed = jwt.decode(assertion, options={"verify_signature": False})
        except jwt.PyJWTError:
            raise ClientAuthError("The client assertion is not a JWT.") from None
        cid = str(claimed.get("iss", ""))
        c = w.session.get(LoginClient, cid)
        if c is None or not c.jwks or claimed.get("sub") != cid:
            raise ClientAuthError("Unknown client, or iss and sub differ in the client assertion.")
        try:
            header = jwt.get_unverified_header(assertion)
            keys = jwt.PyJWKSet.from_dict(c.jwks).keys
            key = next(k for k in keys if header.get("kid") in (None, k.key_id))
            jwt.decode(
                assertion,
                key.key,
                algorithms=["RS256", "PS256", "ES256"],
                audience=[token_url, token_url.rsplit("/protocol/", 1)[0]],
                options={"verify_exp": False, "verify_iat": False, "verify_nbf": False},
            )
        except (StopIteration, jwt.PyJWTError) as exc:
            raise ClientAuthError(f"The client assertion does not verify ({exc or 'no key'}).") from None
        exp = claimed.get("exp")
        if not isinstance(exp, int | float) or exp <= w.at.timestamp():
            raise ClientAuthError("The client assertion has expired (exp).")
        return c
    cid, secret = basic or (form.get("client_id", ""), form.get("client_secret", ""))
    c = w.session.get(LoginClient, cid)
    if c is None or not c.secret_hash or not secret or not hmac.compare_digest(c.secret_hash, digest(secret)):
        raise ClientAuthError("Client authentication failed.")
    return c


@dataclass(frozen=True)
class Tokens:
    access_token: str
    expires_in: int
    scope: str
    id_token: str | None = None


@_audited("token")
def exchange_code(w: Work, c: LoginClient, form: dict[str, str], issuer: str) -> Tokens:
    """``grant_type=authorization_code``: the code, its redirect URI and the PKCE verifier."""
    code = form.get("code", "")
    row = w.session.scalars(
        select(LoginRequest)
        .where(LoginRequest.code_hash == digest(code))
        .with_for_update()
        .execution_options(populate_existing=True)
    ).first()
    if row is None or row.client_id != c.client_id:
        raise GrantError("Unknown code, or a code of another client.")
    if row.status == "exchanged":
        # A code used twice: the tokens it gave are withdrawn (RFC 6749 section 4.1.2).
        for t in w.session.scalars(select(LoginToken).where(LoginToken.request_id == row.id)):
            w.session.delete(t)
        w.log("login_code_replayed", client_id=c.client_id, request=row.id[:8])
        raise CodeReplayed("The code has already been used; the tokens it gave are withdrawn.")
    if row.code_expires_at is None or row.code_expires_at <= w.at:
        raise GrantError("The code has expired.")
    if form.get("redirect_uri") != row.redirect_uri:
        raise GrantError("redirect_uri differs from the authorization request's.")
    if not pkce_matches(form.get("code_verifier"), row.code_challenge):
        raise GrantError("The code_verifier does not match the code_challenge (PKCE).")
    row.status = "exchanged"
    assert row.resident_id is not None and row.auth_time is not None
    access = _token(w, c, "authorization_code", row.scope, row.id)
    claims = {
        "iss": issuer,
        "sub": subject(w, c.client_id, row.resident_id),
        "aud": c.client_id,
        "iat": int(w.at.timestamp()),
        "exp": int((w.at + TOKEN_LIFETIME).timestamp()),
        "auth_time": int(row.auth_time.timestamp()),
        "nonce": row.nonce,
        "acr": "aal3",
        "at_hash": _half_hash(access),
    }
    id_token = jwt.encode(claims, signing_key(w), algorithm="RS256", headers={"kid": KEY_ID})
    w.log("login_tokens_issued", resident_id=row.resident_id, client_id=c.client_id, request=row.id[:8])
    return Tokens(access, int(TOKEN_LIFETIME.total_seconds()), row.scope, id_token)


def client_credentials(w: Work, c: LoginClient) -> Tokens:
    """``grant_type=client_credentials``: a token that may open signing transactions."""
    access = _token(w, c, "client_credentials", "sign", None)
    return Tokens(access, int(TOKEN_LIFETIME.total_seconds()), "sign")


def _token(w: Work, c: LoginClient, grant: str, scope: str, request_id: str | None) -> str:
    value = secrets.token_urlsafe(32)
    w.session.add(
        LoginToken(
            token_hash=digest(value),
            client_id=c.client_id,
            grant=grant,
            request_id=request_id,
            scope=scope,
            expires_at=w.at + TOKEN_LIFETIME,
        )
    )
    return value


def bearer(w: Work, token: str | None, grant: str) -> LoginToken:
    row = w.session.get(LoginToken, digest(token)) if token else None
    if row is None or row.grant != grant or row.expires_at <= w.at:
        raise TokenError("The access token is missing, unknown, of the wrong kind, or expired.")
    return row


def userinfo(w: Work, token: str | None) -> dict[str, Any]:
    """``sub`` and, for each attribute scope granted, that attribute from the signing certificate."""
    t = bearer(w, token, "authorization_code")
    row = w.session.get(LoginRequest, t.request_id)
    assert row is not None and row.resident_id is not None
    out: dict[str, Any] = {"sub": subject(w, t.client_id, row.resident_id)}
    out.update((row.claims or {}).get("attributes", {}))
    return out


def subject(w: Work, client_id: str, resident_id: int) -> str:
    return pairwise_subject(_derived(w, b"mynacard login subject"), client_id, resident_id)


# -- signing transactions ----------------------------------------------------------------------


def start_transaction(w: Work, token: str | None, body: dict[str, Any]) -> SignTransaction:
    """Open a signing transaction over a document's SHA-256 digest (or a DER DigestInfo)."""
    t = bearer(w, token, "client_credentials")
    try:
        digest = base64.b64decode(str(body.get("digest", "")), validate=True)
    except ValueError:
        raise ValidationError("digest", "digest must be base64.", "digest は base64 で指定してください。") from None
    as_info = bool(body.get("digest_info", False))
    if as_info:
        if not digest.startswith(_SHA256_PREFIX) or len(digest) != len(_SHA256_PREFIX) + 32:
            raise ValidationError(
                "digest", "With digest_info, digest must be a DER DigestInfo of a SHA-256 hash (51 bytes)."
            )
    elif len(digest) != 32:
        raise ValidationError(
            "digest",
            "digest must be a SHA-256 hash (32 bytes, base64).",
            "digest は SHA-256 のハッシュ値(32バイト)です。",
        )
    tx = SignTransaction(
        id=str(uuid.uuid4()),
        client_id=t.client_id,
        digest=digest,
        digest_info=as_info,
        created_at=w.at,
        expires_at=w.at + TRANSACTION_LIFETIME,
    )
    w.session.add(tx)
    w.log("sign_transaction_started", client_id=t.client_id, transaction=tx.id)
    return tx


def transaction_result(w: Work, token: str | None, tx_id: str) -> dict[str, Any]:
    """The signature and the signing certificate of a signed transaction, for the client whose
    authorization flow carried it."""
    t = bearer(w, token, "authorization_code")
    row = w.session.get(LoginRequest, t.request_id)
    tx = w.session.get(SignTransaction, tx_id)
    if row is None or tx is None or row.sign_transaction_id != tx_id or tx.client_id != t.client_id:
        raise NotFoundError("No signing transaction of this login has this ID.")
    if tx.status != "signed" or tx.signature is None or tx.certificate_der is None:
        raise NotFoundError("The transaction has not been signed.")
    return {
        "sign_transaction_id": tx.id,
        "digest": _b64(tx.digest),
        "digest_info": tx.digest_info,
        "signature": _b64(tx.signature),
        "certificate": _b64(tx.certificate_der),
    }


# -- the provider's key ------------------------------------------------------------------------


def signing_key(w: Work) -> rsa.RSAPrivateKey:
    """The ID-token key: made on first use (safe when several processes start at once)."""
    row = w.session.get(LoginKey, KEY_ID)
    if row is None:
        key = w.office.keygen()
        try:
            with w.session.begin_nested():
                w.session.add(
                    LoginKey(
                        kid=KEY_ID,
                        sealed_key=seal_private_key(key, w.office.master_key, context=b"login"),
                        created_at=w.at,
                    )
                )
            return key
        except IntegrityError:  # another process made it first: use theirs
            row = w.session.get(LoginKey, KEY_ID, populate_existing=True)
            assert row is not None
    return unseal_private_key(row.sealed_key, w.office.master_key, context=b"login")


def jwks(w: Work) -> dict[str, Any]:
    public = signing_key(w).public_key()
    jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(public))
    jwk.update({"kid": KEY_ID, "use": "sig", "alg": "RS256"})
    return {"keys": [jwk]}
