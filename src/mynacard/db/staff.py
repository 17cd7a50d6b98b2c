"""Tables of the office service: staff accounts and sessions, the hash-chained audit
log, the delegated OCSP responders, pre-signed OCSP responses and published CRLs.

They live apart from ``models.py`` (the card system itself) but share its ``Base`` so that one
Alembic history migrates both.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from mynacard.db.models import Base
from mynacard.db.types import AwareDateTime, BigSerial


class StaffAccount(Base):
    """A local staff account (職員). ``municipality_code`` scopes clerks and supervisors."""

    __tablename__ = "staff_accounts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(100), default="")
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20))
    municipality_code: Mapped[str | None] = mapped_column(String(6))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(AwareDateTime)


class StaffSession(Base):
    """A login session: only the SHA-256 of the bearer token is stored."""

    __tablename__ = "staff_sessions"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    account_id: Mapped[int] = mapped_column(Integer, index=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(AwareDateTime)
    expires_at: Mapped[datetime] = mapped_column(AwareDateTime)


class AuditEntry(Base):
    """One staff action or number read (R_NUM_3), chained: ``hash = SHA-256(prev_hash || entry)``."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(AwareDateTime, index=True)
    actor: Mapped[str] = mapped_column(String(64), index=True)  # the audit view's filters
    role: Mapped[str] = mapped_column(String(20))
    action: Mapped[str] = mapped_column(String(60))
    target: Mapped[str] = mapped_column(String(100), default="", index=True)
    outcome: Mapped[str] = mapped_column(String(20))  # ok / denied / error
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64), unique=True)


class OcspResponder(Base):
    """The delegated OCSP signing certificate of a CA (EKU OCSPSigning, id-pkix-ocsp-nocheck)."""

    __tablename__ = "ocsp_responders"

    kind: Mapped[str] = mapped_column(String(4), primary_key=True)
    certificate_der: Mapped[bytes] = mapped_column(LargeBinary)
    sealed_key: Mapped[bytes] = mapped_column(LargeBinary)  # empty when the key is in a token
    key_ref: Mapped[str | None] = mapped_column(String(200))  # RFC 7512 URI of a key in a PKCS#11 token
    not_after: Mapped[datetime] = mapped_column(AwareDateTime)


class OcspCacheEntry(Base):
    """A pre-signed OCSP response, refreshed whenever the certificate's status changes."""

    __tablename__ = "ocsp_responses"

    serial: Mapped[int] = mapped_column(BigSerial, primary_key=True)
    kind: Mapped[str] = mapped_column(String(4))
    status: Mapped[str] = mapped_column(String(8))
    produced_at: Mapped[datetime] = mapped_column(AwareDateTime)
    next_update: Mapped[datetime] = mapped_column(AwareDateTime)
    der: Mapped[bytes] = mapped_column(LargeBinary)


class PublishedCrl(Base):
    """The last CRL of one scope ("" = the whole CA, else a municipality code), full or delta.
    A full CRL keeps the serials it listed on hold, so that a delta CRL can list the released
    ones (R_CERT_8)."""

    __tablename__ = "published_crls"

    kind: Mapped[str] = mapped_column(String(4), primary_key=True)
    scope: Mapped[str] = mapped_column(String(6), primary_key=True)
    delta: Mapped[bool] = mapped_column(Boolean, primary_key=True)
    number: Mapped[int] = mapped_column(Integer)
    this_update: Mapped[datetime] = mapped_column(AwareDateTime)
    next_update: Mapped[datetime] = mapped_column(AwareDateTime)
    entries: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # hex serial -> "hold"
    der: Mapped[bytes] = mapped_column(LargeBinary)
    stale: Mapped[bool] = mapped_column(Boolean, default=False)  # a status it lists changed since


class RevocationChange(Base):
    """One certificate whose status changed (or that was deleted), in commit order: how every
    process that keeps OCSP answers in memory learns which to drop
    (``mynacard.services.revocation.cache``). Written by a trigger on ``certificates`` (migration
    0016), so that no statement, whoever runs it, changes a status unseen; the refresher keeps
    the last million rows."""

    __tablename__ = "revocation_changes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    serial: Mapped[int] = mapped_column(BigSerial)


class LoginThrottle(Base):
    """Login attempts of one key in the current window: ``user:<name>`` for an account,
    ``addr:<address>`` for names that are no account. Kept in the store, so a restart or a
    second process sees the same count."""

    __tablename__ = "login_throttle"

    key: Mapped[str] = mapped_column(String(120), primary_key=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    window_start: Mapped[datetime] = mapped_column(AwareDateTime)


class WindowResult(Base):
    """What a window POST left for the page it redirects to (post/redirect/get): sealed under
    the master key, found by the SHA-256 of the token in the redirect's URL, bound to the staff
    session that made it. ``once`` (an individual number read) is shown a single time."""

    __tablename__ = "window_results"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    session_hash: Mapped[str] = mapped_column(String(64), index=True)
    expires_at: Mapped[datetime] = mapped_column(AwareDateTime, index=True)
    sealed: Mapped[bytes] = mapped_column(LargeBinary)
    once_sealed: Mapped[bytes | None] = mapped_column(LargeBinary)
