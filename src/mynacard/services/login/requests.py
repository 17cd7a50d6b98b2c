"""The authorization request and the holder's approval with the card."""

from __future__ import annotations

import hmac
import os
import secrets
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.serialization import Encoding
from sqlalchemy import select

from mynacard.db import repositories as repo
from mynacard.db.models import CertStatus
from mynacard.db.provider import LoginRequest, SignTransaction
from mynacard.errors import NotFoundError
from mynacard.rules.login import (
    ATTRIBUTE_SCOPES,
    AuthorizationRequest,
    LoginError,
    parse_authorization,
)
from mynacard.services.context import Work
from mynacard.services.login.clients import _check_redirect, client
from mynacard.services.login.common import (
    CODE_LIFETIME,
    REQUEST_LIFETIME,
    _audited,
    _b64,
    _bytes,
    _cert,
    _digest_info,
    _signed,
    digest,
)

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
    """The basic four attributes of a signing certificate (R_CERT_9) as OpenID Connect claims."""
    from mynacard.verify.attributes import signer_attributes

    a = signer_attributes(cert)
    if a is None:
        return {}
    out = {"name": a.name, "address": a.address, "gender": a.sex}
    out["birthdate"] = a.birth_date.isoformat() if a.birth_date else a.birth_date_raw
    return out


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
