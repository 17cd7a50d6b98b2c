"""Tables of the relying-party side: the timestamp authority's keys, registered relying
parties (署名検証者), holders' consents, the certificates each relying party follows."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Integer, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from mynacard.db.models import Base
from mynacard.db.types import AwareDateTime, BigSerial


class TsaKey(Base):
    """The TSA root and the TSA certificate, each with its key sealed under the master key."""

    __tablename__ = "tsa_keys"

    role: Mapped[str] = mapped_column(String(4), primary_key=True)  # root / tsa
    certificate_der: Mapped[bytes] = mapped_column(LargeBinary)
    sealed_key: Mapped[bytes] = mapped_column(LargeBinary)


class RelyingParty(Base):
    """A registered verifier (署名検証者 / 利用者証明検証者): its credentials and webhook."""

    __tablename__ = "relying_parties"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    client_id: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    secret_hash: Mapped[str] = mapped_column(String(64))  # SHA-256 of a 256-bit random secret
    webhook_url: Mapped[str | None] = mapped_column(String(400))
    sealed_webhook_secret: Mapped[bytes | None] = mapped_column(LargeBinary)
    notified_event_id: Mapped[int] = mapped_column(Integer, default=0)  # last event pushed
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(AwareDateTime)


class HolderConsent(Base):
    """A holder's consent that one relying party may receive their latest basic four attributes."""

    __tablename__ = "holder_consents"
    __table_args__ = (UniqueConstraint("relying_party_id", "resident_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    relying_party_id: Mapped[int] = mapped_column(ForeignKey("relying_parties.id"), index=True)
    resident_id: Mapped[int] = mapped_column(ForeignKey("residents.id"), index=True)
    given_at: Mapped[datetime] = mapped_column(AwareDateTime)
    withdrawn_at: Mapped[datetime | None] = mapped_column(AwareDateTime)
    evidence_serial: Mapped[int | None] = mapped_column(BigSerial)  # the certificate that signed it


class FollowedCertificate(Base):
    """A certificate a relying party asked about: its status changes are pushed to the webhook."""

    __tablename__ = "followed_certificates"

    relying_party_id: Mapped[int] = mapped_column(ForeignKey("relying_parties.id"), primary_key=True)
    serial: Mapped[int] = mapped_column(BigSerial, primary_key=True)
    since: Mapped[datetime] = mapped_column(AwareDateTime)
