"""The tables of the relying side: the login provider (the authentication-app API) with its relying
parties, requests, tokens, signing transactions and key, and the convenience-store kiosk."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from mynacard.db.models import Base
from mynacard.db.types import AwareDateTime, BigSerial


class LoginClient(Base):
    """A relying party registered with the provider (クライアント登録)."""

    __tablename__ = "login_clients"

    client_id: Mapped[str] = mapped_column(String(255), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    redirect_uris: Mapped[list[str]] = mapped_column(JSON)
    # Client authentication at the token endpoint: a public JWK set (private_key_jwt, as the real
    # API) and/or a secret (client_secret_basic / _post, a sandbox convenience), stored hashed.
    jwks: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    secret_hash: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(AwareDateTime)


class LoginRequest(Base):
    """One authorization request, from the relying party's redirect to the code's exchange."""

    __tablename__ = "login_requests"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    client_id: Mapped[str] = mapped_column(ForeignKey("login_clients.client_id"), index=True)
    redirect_uri: Mapped[str] = mapped_column(String(255))
    scope: Mapped[str] = mapped_column(String(100))
    state: Mapped[str] = mapped_column(String(255))
    nonce: Mapped[str] = mapped_column(String(255))
    code_challenge: Mapped[str] = mapped_column(String(128))
    sign_transaction_id: Mapped[str | None] = mapped_column(String(36))
    challenge: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(AwareDateTime)
    expires_at: Mapped[datetime] = mapped_column(AwareDateTime)
    # pending -> approved -> exchanged, or refused / expired
    status: Mapped[str] = mapped_column(String(10), default="pending")
    refusal: Mapped[str | None] = mapped_column(String(40))
    resident_id: Mapped[int | None] = mapped_column(Integer)
    auth_serial: Mapped[int | None] = mapped_column(BigSerial)
    sign_serial: Mapped[int | None] = mapped_column(BigSerial)
    auth_time: Mapped[datetime | None] = mapped_column(AwareDateTime)
    claims: Mapped[dict[str, Any] | None] = mapped_column(JSON)  # the attributes to release
    code_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    code_expires_at: Mapped[datetime | None] = mapped_column(AwareDateTime)


class LoginToken(Base):
    """An access token, stored only as its hash."""

    __tablename__ = "login_tokens"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    client_id: Mapped[str] = mapped_column(ForeignKey("login_clients.client_id"), index=True)
    grant: Mapped[str] = mapped_column(String(20))  # authorization_code / client_credentials
    request_id: Mapped[str | None] = mapped_column(ForeignKey("login_requests.id"))
    scope: Mapped[str] = mapped_column(String(100))
    expires_at: Mapped[datetime] = mapped_column(AwareDateTime)


class SignTransaction(Base):
    """A signing transaction (署名トランザクション): a digest a relying party wants signed."""

    __tablename__ = "sign_transactions"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    client_id: Mapped[str] = mapped_column(ForeignKey("login_clients.client_id"), index=True)
    digest: Mapped[bytes] = mapped_column(LargeBinary)  # SHA-256, or a DER DigestInfo
    digest_info: Mapped[bool] = mapped_column(default=False)  # the digest is already a DigestInfo
    created_at: Mapped[datetime] = mapped_column(AwareDateTime)
    expires_at: Mapped[datetime] = mapped_column(AwareDateTime)
    status: Mapped[str] = mapped_column(String(10), default="started")  # started / signed
    signature: Mapped[bytes | None] = mapped_column(LargeBinary)
    certificate_der: Mapped[bytes | None] = mapped_column(LargeBinary)


class LoginKey(Base):
    """The provider's ID-token signing key, sealed under the master key."""

    __tablename__ = "login_keys"

    kid: Mapped[str] = mapped_column(String(64), primary_key=True)
    sealed_key: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(AwareDateTime)


class MunicipalSeal(Base):
    """A municipality's electronic seal (電子公印) for the documents it issues, and the sandbox's
    LGPKI-like root that certifies it (``code`` = "root")."""

    __tablename__ = "municipal_seals"

    code: Mapped[str] = mapped_column(String(6), primary_key=True)
    certificate_der: Mapped[bytes] = mapped_column(LargeBinary)
    sealed_key: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(AwareDateTime)


class KioskDocument(Base):
    """A certificate issued at a convenience-store kiosk (コンビニ交付), kept for its download."""

    __tablename__ = "kiosk_documents"

    number: Mapped[str] = mapped_column(String(24), primary_key=True)
    resident_id: Mapped[int] = mapped_column(ForeignKey("residents.id"), index=True)
    kind: Mapped[str] = mapped_column(String(30))  # residence_certificate (住民票の写し)
    fee: Mapped[int] = mapped_column(Integer)
    issued_at: Mapped[datetime] = mapped_column(AwareDateTime)
    pdf: Mapped[bytes] = mapped_column(LargeBinary)
    download_hash: Mapped[str] = mapped_column(String(64))  # the kiosk screen's one download link
