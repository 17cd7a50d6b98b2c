"""What a verification says: valid, or exactly why not, with the signer's basic four attributes."""

from __future__ import annotations

import base64
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from mynacard.timeutil import JST


class Status(StrEnum):
    VALID = "valid"
    REVOKED = "revoked"  # with reason and date
    ON_HOLD = "on_hold"  # 一時保留 (certificateHold)
    EXPIRED = "expired"
    NOT_YET_VALID = "not_yet_valid"
    WRONG_KEY_USAGE = "wrong_key_usage"  # e.g. the authentication certificate signed a document
    UNKNOWN_CA = "unknown_ca"
    ALTERED = "altered"  # the content or the signed attributes changed after signing
    MALFORMED = "malformed"  # not a signature we can read
    REVOCATION_UNKNOWN = "revocation_unknown"  # neither OCSP nor a CRL could be had


STATUS_JA = {
    Status.VALID: "署名は有効です。",
    Status.REVOKED: "署名用電子証明書は失効しています。",
    Status.ON_HOLD: "署名用電子証明書は一時保留中です。",
    Status.EXPIRED: "署名用電子証明書の有効期間が満了しています。",
    Status.NOT_YET_VALID: "署名用電子証明書の有効期間が始まっていません。",
    Status.WRONG_KEY_USAGE: "この電子証明書は文書の署名には使えません。",
    Status.UNKNOWN_CA: "署名用電子証明書の発行元が公的個人認証サービスの署名用認証局ではありません。",
    Status.ALTERED: "署名の後に文書が改ざんされています。",
    Status.MALFORMED: "署名データを読み取れません。",
    Status.REVOCATION_UNKNOWN: "失効情報を確認できません。",
}


@dataclass(frozen=True)
class SignerAttributes:
    """The basic four attributes (基本4情報) as the signing certificate carries them."""

    name: str
    birth_date: date | None
    sex: str  # "1" male, "2" female, "9" (or "3") not known
    address: str
    birth_date_raw: str = ""  # the certificate's own form, era digit + YYYYMMDD

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "birth_date": self.birth_date.isoformat() if self.birth_date else None,
            "sex": self.sex,
            "address": self.address,
        }


@dataclass(slots=True)
class RevocationStatus:
    """The status of a certificate at one moment, and where it came from."""

    status: str  # good / revoked / hold / unknown
    at: datetime  # the moment asked about
    source: str = ""  # ocsp / crl / ""
    reason: str | None = None  # RFC 5280 reason name, e.g. affiliation_changed
    revoked_at: datetime | None = None

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["at"] = self.at.astimezone(JST).isoformat()
        d["revoked_at"] = self.revoked_at.astimezone(JST).isoformat() if self.revoked_at else None
        return d


@dataclass(slots=True)
class Verdict:
    """One verification's result. ``status`` is ``valid`` or the first reason it is not."""

    status: Status
    message: str
    format: str = ""  # cms / cms-detached / pades / xmldsig / xades
    validation_time: datetime | None = None
    checked_at: datetime | None = None  # the moment the certificate was checked at
    timestamp: datetime | None = None  # what a valid signature timestamp proves
    signing_time: datetime | None = None  # claimed by the signer, not proven
    signer: SignerAttributes | None = None
    certificate_serial: int | None = None
    certificate_kind: str | None = None  # sign / auth / seal (a municipal seal) / None (unknown)
    certificate_der: bytes | None = None  # the signer's certificate (for the relying-party services)
    revocation: RevocationStatus | None = None  # at ``checked_at``
    revocation_now: RevocationStatus | None = None  # at ``validation_time``
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def valid(self) -> bool:
        return self.status is Status.VALID

    @property
    def message_ja(self) -> str:
        return STATUS_JA[self.status]

    def to_dict(self) -> dict[str, Any]:
        def iso(t: datetime | None) -> str | None:
            return t.astimezone(JST).isoformat() if t else None

        return {
            "status": self.status.value,
            "valid": self.valid,
            "message": self.message,
            "message_ja": self.message_ja,
            "format": self.format,
            "validation_time": iso(self.validation_time),
            "checked_at": iso(self.checked_at),
            "timestamp": iso(self.timestamp),
            "signing_time": iso(self.signing_time),
            "signer": self.signer.to_dict() if self.signer else None,
            "certificate": None
            if self.certificate_serial is None
            else {
                "serial": format(self.certificate_serial, "x"),
                "kind": self.certificate_kind,
                "der": base64.b64encode(self.certificate_der).decode() if self.certificate_der else None,
            },
            "revocation": self.revocation.to_dict() if self.revocation else None,
            "revocation_now": self.revocation_now.to_dict() if self.revocation_now else None,
            "details": self.details,
        }
