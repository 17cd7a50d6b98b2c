"""Login and signing with the card for relying parties (デジタル認証アプリ相当の認証・署名).

The workflows of an OpenID Connect provider compatible with the Digital Agency's
authentication-app API: client registration, the authorization request, the holder's approval
with the card (a signature over the request's challenge with the authentication certificate,
and with the signing certificate when attributes or a document signature are asked for), the
code exchange, userinfo, and signing transactions. Each runs in one unit of work and takes the
time from it. The holder's approval checks the signature, the chain to the sandbox's JPKI CA
and the certificate's status in the store at that moment.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import json
import os
import secrets
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, ParamSpec, TypeVar

import jwt
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.serialization import Encoding
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from mynacard.crypto import seal_private_key, unseal_private_key
from mynacard.db import repositories as repo
from mynacard.db.models import CertStatus
from mynacard.db.provider import LoginClient, LoginKey, LoginRequest, LoginToken, SignTransaction
from mynacard.errors import MynaError, NotFoundError, ValidationError
from mynacard.rules.login import (
    ATTRIBUTE_SCOPES,
    AuthorizationRequest,
    LoginError,
    pairwise_subject,
    parse_authorization,
    parse_client_id,
    pkce_matches,
)
from mynacard.services.context import Work

REQUEST_LIFETIME = timedelta(minutes=5)  # the holder has five minutes to approve with the card
CODE_LIFETIME = timedelta(seconds=60)
TOKEN_LIFETIME = timedelta(minutes=10)
TRANSACTION_LIFETIME = timedelta(minutes=10)
KEY_ID = "mynacard-login-1"
P = ParamSpec("P")
R = TypeVar("R")
ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"

# The otherName OIDs of the basic four attributes in the signing certificate (R_CERT_9).
_ATTRIBUTE_OIDS = {
    "name": "1.2.392.200149.8.5.5.1",
    "gender": "1.2.392.200149.8.5.5.3",
    "birthdate": "1.2.392.200149.8.5.5.4",
    "address": "1.2.392.200149.8.5.5.5",
}


class ClientAuthError(MynaError):
    """The relying party did not authenticate at the token endpoint (OAuth ``invalid_client``)."""

    code = "invalid_client"
    http_status = 401
    keep_changes = True  # the refusal's audit entry stays


class GrantError(MynaError):
    """A code, verifier or token the provider does not accept (OAuth ``invalid_grant``)."""

    code = "invalid_grant"
    http_status = 400
    keep_changes = True  # the refusal's audit entry stays


class CodeReplayed(GrantError):
    """A code presented twice; the tokens it gave are withdrawn, and that withdrawal is kept."""


class TokenError(MynaError):
    """A missing, unknown or expired bearer token (``invalid_token``)."""

    code = "invalid_token"
    http_status = 401


def _audited(stage: str) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Record every refusal of ``stage`` in the event log; the refusal families keep the entry
    (``keep_changes``) although the rest of the unit of work is rolled back with them."""

    def wrap(fn: Callable[P, R]) -> Callable[P, R]:
        @functools.wraps(fn)
        def run(*args: P.args, **kwargs: P.kwargs) -> R:
            try:
                return fn(*args, **kwargs)
            except (LoginError, ClientAuthError, GrantError) as e:
                w = args[0]
                assert isinstance(w, Work)
                w.log("login_refused", stage=stage, reason=str(e.fields.get("error", e.code)), detail=e.message[:200])
                raise

        return run

    return wrap


# -- relying parties ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Registration:
    client: LoginClient
    secret: str | None  # shown once; only its hash is kept


def register_client(
    w: Work,
    client_id: str,
    name: str,
    redirect_uris: list[str],
    *,
    jwks: dict[str, Any] | None = None,
    with_secret: bool = False,
) -> Registration:
    """Register a relying party with its redirect URIs and its means of client authentication:
    a public JWK set for ``private_key_jwt`` (as the real API), a secret, or both."""
    parse_client_id({"client_id": client_id})
    if w.session.get(LoginClient, client_id) is not None:
        raise ValidationError(
            "client_id", f"Client {client_id} is already registered.", f"クライアント {client_id} は登録済みです。"
        )
    uris = [u.strip() for u in redirect_uris if u.strip()]
    if not uris:
        raise ValidationError(
            "redirect_uris", "Give at least one redirect URI.", "リダイレクトURIを1つ以上指定してください。"
        )
    for u in uris:
        if not (u.startswith("https://") or u.startswith("http://")) or len(u) > 255 or "#" in u:
            raise ValidationError("redirect_uris", f"Not an absolute http(s) URI without a fragment: {u!r}.")
    if jwks is not None:
        try:
            jwt.PyJWKSet.from_dict(jwks)
        except Exception as exc:  # PyJWT raises several families for a bad set
            raise ValidationError(
                "jwks", f"The JWK set cannot be read: {exc}.", "JWK セットを読み取れません。"
            ) from None
    if jwks is None and not with_secret:
        raise ValidationError("jwks", "Give a public JWK set (private_key_jwt) or ask for a client secret.")
    secret = secrets.token_urlsafe(32) if with_secret else None
    client = LoginClient(
        client_id=client_id,
        name=name,
        redirect_uris=uris,
        jwks=jwks,
        secret_hash=digest(secret) if secret else None,
        created_at=w.at,
    )
    w.session.add(client)
    w.log("login_client_registered", client_id=client_id)
    return Registration(client, secret)


def client(w: Work, client_id: str) -> LoginClient:
    c = w.session.get(LoginClient, client_id)
    if c is None:
        raise LoginError(
            "unauthorized_client", "client_id", f"Unknown client {client_id}.", "登録されていないクライアントです。"
        )
    return c


def _check_redirect(w: Work, params: dict[str, str]) -> tuple[LoginClient, str]:
    """The client and the redirect URI, both checked, before anything is sent back to it.

    An unknown client or an unregistered redirect URI must not be redirected to: the adapter
    shows the error itself.
    """
    c = client(w, parse_client_id(params))
    uri = params.get("redirect_uri", "")
    if uri not in c.redirect_uris:
        raise LoginError(
            "invalid_request",
            "redirect_uri",
            "The redirect URI is not registered for this client.",
            "リダイレクトURIが登録されていません。",
        )
    return c, uri


check_redirect = _audited("authorize")(_check_redirect)


# -- the authorization request -----------------------------------------------------------------


@_audited("authorize")
def start(w: Work, params: dict[str, str]) -> tuple[LoginRequest, str]:
    """Open an authorization request; returns it and the browser's secret (its cookie).

    The browser's secret binds the code to the browser that started the request: the approval
    link (shown as a QR code to the holder) alone cannot collect the code.
    """
    _check_redirect(w, params)
    req = parse_authorization(params)
    if req.sign_transaction_id is not None:
        tx = w.session.get(SignTransaction, req.sign_transaction_id)
        if tx is None or tx.client_id != req.client_id or tx.status != "started" or tx.expires_at <= w.at:
            raise LoginError(
                "invalid_request", "sign_transaction_id", "No open signing transaction of this client has this ID."
            )
    browser = secrets.token_urlsafe(32)
    row = LoginRequest(
        id=secrets.token_urlsafe(32),
        client_id=req.client_id,
        redirect_uri=req.redirect_uri,
        scope=" ".join(req.scopes),
        state=req.state,
        nonce=req.nonce,
        code_challenge=req.code_challenge,
        sign_transaction_id=req.sign_transaction_id,
        challenge=os.urandom(32),
        created_at=w.at,
        expires_at=w.at + REQUEST_LIFETIME,
        status="pending",
        claims={"browser": digest(browser)},
    )
    w.session.add(row)
    w.log("login_started", client_id=req.client_id, request=row.id[:8], scope=row.scope)
    return row, browser


def parsed(row: LoginRequest) -> AuthorizationRequest:
    return AuthorizationRequest(
        row.client_id,
        row.redirect_uri,
        tuple(row.scope.split()),
        row.state,
        row.nonce,
        row.code_challenge,
        row.sign_transaction_id,
    )


def request(w: Work, request_id: str, *, for_update: bool = False) -> LoginRequest:
    stmt = select(LoginRequest).where(LoginRequest.id == request_id)
    if for_update:
        stmt = stmt.with_for_update().execution_options(populate_existing=True)
    row = w.session.scalars(stmt).first()
    if row is None:
        raise NotFoundError(
            "No such login request (it may be from another provider).", "該当するログイン要求がありません。"
        )
    return row


def challenge(w: Work, request_id: str) -> dict[str, Any]:
    """What the holder's app shows and signs: who asks, for what, and the challenge."""
    row = request(w, request_id)
    c = client(w, row.client_id)
    req = parsed(row)
    data: dict[str, Any] = {
        "request": row.id,
        "client_id": c.client_id,
        "client_name": c.name,
        "scope": row.scope,
        "attributes": [s for s in req.scopes if s in ATTRIBUTE_SCOPES],
        "challenge": _b64(row.challenge),
        "expires_at": row.expires_at.isoformat(),
        "status": _status(row, w.at),
        "needs_signing_certificate": req.wants_attributes or req.wants_signature,
    }
    if row.sign_transaction_id:
        tx = w.session.get(SignTransaction, row.sign_transaction_id)
        assert tx is not None
        data["sign"] = {"digest": _b64(tx.digest), "digest_info": tx.digest_info}
    return data


def _status(row: LoginRequest, at: datetime) -> str:
    if row.status == "pending" and row.expires_at <= at:
        return "expired"
    return row.status


@dataclass
class Approval:
    """The outcome of a holder's approval: ``refusal`` is None when the login was approved."""

    request: LoginRequest
    refusal: str | None = None
    detail: str = ""
    fields: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.refusal is None


REFUSALS_JA = {
    "replayed": "このログイン要求は既に使われています。",
    "expired": "ログイン要求の有効期限が切れました。もう一度ログインしてください。",
    "bad_signature": "署名を検証できませんでした。",
    "unknown_ca": "公的個人認証サービスの証明書ではありません。",
    "wrong_certificate": "証明書の種類が違います。",
    "revoked": "電子証明書は失効しています。",
    "on_hold": "電子証明書は一時保留中です。",
    "expired_certificate": "電子証明書の有効期限が切れています。",
    "not_same_card": "利用者証明用と署名用の証明書が同じ人のものではありません。",
    "missing_signing": "署名用電子証明書による署名が必要です。",
    "malformed": "送られたデータの形式が正しくありません。",
}


def approve(w: Work, request_id: str, answer: dict[str, Any]) -> Approval:
    """The holder's answer from the card: checked and recorded, approved or refused.

    ``answer`` holds base64 ``auth_certificate`` and ``auth_signature`` (over the challenge),
    and, when the request asks for attributes or a signature, ``sign_certificate`` and
    ``sign_signature`` (over the challenge) and ``document_signature`` (over the transaction's
    digest). A refusal is recorded (and audited) rather than raised, so that it is kept.
    """
    row = request(w, request_id, for_update=True)
    if row.status != "pending":
        return _refuse(w, row, "replayed", "This login request has already been answered.", keep_status=True)
    if row.expires_at <= w.at:
        return _refuse(w, row, "expired", "The login request has expired; start again from the site.")
    req = parsed(row)
    try:
        auth_cert, auth_sig = _cert(answer, "auth_certificate"), _bytes(answer, "auth_signature")
    except ValueError as exc:
        return _refuse(w, row, "malformed", str(exc))
    problem = _check_certificate(w, auth_cert, "auth")
    if problem:
        return _refuse(w, row, *problem)
    if not _signed(auth_cert, auth_sig, _digest_info(row.challenge)):
        return _refuse(
            w,
            row,
            "bad_signature",
            "The signature over the challenge does not verify with the authentication certificate.",
        )
    auth_row = repo.certificate(w.session, auth_cert.serial_number)
    assert auth_row is not None
    claims: dict[str, Any] = {}
    sign_row = None
    if req.wants_attributes or req.wants_signature:
        if not answer.get("sign_certificate"):
            return _refuse(
                w,
                row,
                "missing_signing",
                "Attributes and signatures need a signature with the signing certificate too.",
            )
        try:
            sign_cert, sign_sig = _cert(answer, "sign_certificate"), _bytes(answer, "sign_signature")
        except ValueError as exc:
            return _refuse(w, row, "malformed", str(exc))
        problem = _check_certificate(w, sign_cert, "sign")
        if problem:
            return _refuse(w, row, *problem)
        sign_row = repo.certificate(w.session, sign_cert.serial_number)
        assert sign_row is not None
        if sign_row.resident_id != auth_row.resident_id:
            return _refuse(w, row, "not_same_card", "The two certificates belong to different holders.")
        if not _signed(sign_cert, sign_sig, _digest_info(row.challenge)):
            return _refuse(
                w,
                row,
                "bad_signature",
                "The signature over the challenge does not verify with the signing certificate.",
            )
        wanted = [s for s in req.scopes if s in ATTRIBUTE_SCOPES]
        claims = {k: v for k, v in signing_attributes(sign_cert).items() if k in wanted}
        if req.wants_signature:
            tx = w.session.get(SignTransaction, row.sign_transaction_id, with_for_update=True)
            if tx is None or tx.status != "started" or tx.expires_at <= w.at:
                return _refuse(w, row, "expired", "The signing transaction is no longer open.")
            try:
                doc_sig = _bytes(answer, "document_signature")
            except ValueError as exc:
                return _refuse(w, row, "malformed", str(exc))
            signed = tx.digest if tx.digest_info else _digest_info(tx.digest, prehashed=True)
            if not _signed(sign_cert, doc_sig, signed):
                return _refuse(
                    w, row, "bad_signature", "The document signature does not verify over the transaction's digest."
                )
            tx.status, tx.signature, tx.certificate_der = "signed", doc_sig, sign_row.der
    row.status = "approved"
    row.resident_id = auth_row.resident_id
    row.auth_serial = auth_row.serial
    row.sign_serial = sign_row.serial if sign_row else None
    row.auth_time = w.at
    row.claims = {**(row.claims or {}), "attributes": claims}
    w.log(
        "login_approved",
        resident_id=auth_row.resident_id,
        serial=auth_row.serial,
        client_id=row.client_id,
        request=row.id[:8],
    )
    return Approval(row)


def _refuse(w: Work, row: LoginRequest, reason: str, detail: str, *, keep_status: bool = False) -> Approval:
    if not keep_status:
        row.status, row.refusal = "refused", reason
    w.log("login_refused", client_id=row.client_id, request=row.id[:8], reason=reason)
    return Approval(row, reason, detail)


def _check_certificate(w: Work, cert: x509.Certificate, kind: str) -> tuple[str, str] | None:
    """None when ``cert`` is a current certificate of ``kind`` issued by the sandbox's JPKI CA."""
    ca = repo.ca_row(w.session, kind)
    if ca is None:
        return ("unknown_ca", "No CA of this kind exists in this sandbox.")
    ca_cert = x509.load_der_x509_certificate(ca.certificate_der)
    if cert.issuer != ca_cert.subject:
        other = repo.ca_row(w.session, "sign" if kind == "auth" else "auth")
        if other is not None and cert.issuer == x509.load_der_x509_certificate(other.certificate_der).subject:
            return (
                "wrong_certificate",
                f"This is not a{'n authentication' if kind == 'auth' else ' signing'} certificate.",
            )
        return ("unknown_ca", "The certificate was not issued by the JPKI CA of this sandbox.")
    try:
        cert.verify_directly_issued_by(ca_cert)
    except (ValueError, TypeError, InvalidSignature):
        return ("unknown_ca", "The certificate's signature does not verify with the JPKI CA.")
    row = repo.certificate(w.session, cert.serial_number)
    if row is None or row.der != cert.public_bytes(Encoding.DER) or row.kind != kind:
        return ("unknown_ca", "The CA has no record of this certificate.")
    if row.status == CertStatus.REVOKED:
        return ("revoked", f"The certificate was revoked ({row.reason or 'unspecified'}).")
    if row.status == CertStatus.HOLD:
        return ("on_hold", "The certificate is on hold (the card was reported lost).")
    if not (cert.not_valid_before_utc <= w.at <= cert.not_valid_after_utc) or row.status != CertStatus.GOOD:
        return ("expired_certificate", "The certificate is not valid at this time.")
    return None


def signing_attributes(cert: x509.Certificate) -> dict[str, str]:
    """The basic four attributes of a signing certificate (R_CERT_9), read by OID."""
    from asn1crypto.core import UTF8String

    out: dict[str, str] = {}
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return out
    by_oid = {v: k for k, v in _ATTRIBUTE_OIDS.items()}
    for name in san:
        if isinstance(name, x509.OtherName) and name.type_id.dotted_string in by_oid:
            out[by_oid[name.type_id.dotted_string]] = UTF8String.load(name.value).native
    if "birthdate" in out:
        out["birthdate"] = _era_date(out["birthdate"])
    return out


def _era_date(value: str) -> str:
    """EYYYYMMDD (E the era digit, YYYY the Western year) as ISO 8601 ``YYYY-MM-DD``."""
    digits = value[1:] if len(value) == 9 else value
    return f"{digits[:4]}-{digits[4:6]}-{digits[6:8]}"


# -- the browser comes back, the code is exchanged ----------------------------------------------


def finish(w: Work, request_id: str, browser: str | None) -> tuple[LoginRequest, str | None]:
    """The browser that started the request collects the outcome: a fresh code once approved.

    Returns the request and the code (None while pending, or when refused or expired).
    """
    row = request(w, request_id, for_update=True)
    if not browser or not hmac.compare_digest((row.claims or {}).get("browser", ""), digest(browser)):
        raise LoginError(
            "access_denied",
            "request",
            "This browser did not start the login request.",
            "このブラウザーで開始したログインではありません。",
        )
    if row.status != "approved" or row.code_hash is not None:
        return row, None
    code = secrets.token_urlsafe(32)
    row.code_hash, row.code_expires_at = digest(code), w.at + CODE_LIFETIME
    return row, code


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


# -- helpers -----------------------------------------------------------------------------------

_SHA256_PREFIX = bytes.fromhex("3031300d060960864801650304020105000420")


def _digest_info(data: bytes, *, prehashed: bool = False) -> bytes:
    """The DER DigestInfo the card signs for ``data`` (SHA-256)."""
    return _SHA256_PREFIX + (data if prehashed else hashlib.sha256(data).digest())


def _signed(cert: x509.Certificate, signature: bytes, digest_info: bytes) -> bool:
    """True when ``signature`` is the card's PKCS#1 v1.5 signature of exactly ``digest_info``."""
    key = cert.public_key()
    if not isinstance(key, rsa.RSAPublicKey):
        return False
    try:
        return hmac.compare_digest(key.recover_data_from_signature(signature, padding.PKCS1v15(), None), digest_info)
    except (InvalidSignature, ValueError):
        return False


def _cert(answer: dict[str, Any], name: str) -> x509.Certificate:
    try:
        return x509.load_der_x509_certificate(_bytes(answer, name))
    except ValueError:
        raise ValueError(f"{name} is not a DER certificate.") from None


def _bytes(answer: dict[str, Any], name: str) -> bytes:
    value = answer.get(name)
    if not isinstance(value, str) or not value:
        raise ValueError(f"{name} is missing.")
    try:
        return base64.b64decode(value, validate=True)
    except ValueError:
        raise ValueError(f"{name} is not base64.") from None


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def _half_hash(token: str) -> str:
    """``at_hash``: the left half of SHA-256 of the access token, base64url (OIDC core 3.1.3.6)."""
    d = hashlib.sha256(token.encode("ascii")).digest()[:16]
    return base64.urlsafe_b64encode(d).rstrip(b"=").decode("ascii")


def _derived(w: Work, info: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info).derive(w.office.master_key)
