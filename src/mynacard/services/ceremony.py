"""The key ceremony (鍵生成式): the two root CAs are made once, their keys sealed in the store or
generated in a PKCS#11 token, their fingerprints shown to the witnesses and the ceremony
recorded in the audit trail."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.serialization import Encoding
from sqlalchemy.exc import IntegrityError

from mynacard import audit
from mynacard.ca import CertificateAuthority, CertKind
from mynacard.crypto import Signer
from mynacard.db import repositories as repo
from mynacard.db.models import CertificateAuthorityRow
from mynacard.errors import StateError
from mynacard.hsm import Token
from mynacard.services import pki
from mynacard.services.context import Work


@dataclass(frozen=True)
class NewCa:
    kind: str
    subject: str
    fingerprint: str  # SHA-256 of the certificate, colon-separated hex (as openssl prints it)
    key_store: str  # "sealed" or the key's PKCS#11 URI
    not_before: datetime
    not_after: datetime


def fingerprint(der: bytes) -> str:
    h = hashes.Hash(hashes.SHA256())
    h.update(der)
    return ":".join(f"{b:02X}" for b in h.finalize())


def ceremony(w: Work, *, token: Token | None = None, years: int = 20) -> list[NewCa]:
    """Create the signing and authentication CAs. Refused once either exists: a ceremony never
    replaces a CA (that would orphan every certificate it issued)."""
    existing = [k.value for k in CertKind if repo.ca_row(w.session, k.value) is not None]
    if existing:
        raise StateError(
            f"The CAs already exist ({', '.join(existing)}): a ceremony creates them once and never replaces them.",
            "認証局はすでに作成されています。鍵生成式は一度だけ行います。",
        )
    made: list[NewCa] = []
    for kind in (CertKind.SIGN, CertKind.AUTH):
        key: Signer
        if token is not None:
            token_key = token.generate(f"mynacard-{kind.value}-ca-{secrets.token_hex(4)}")
            key, key_ref = token_key, token_key.uri
        else:
            key, key_ref = w.office.keygen(), None
        ca = CertificateAuthority.generate(kind, at=w.at, settings=pki.settings(w), key=key, years=years)
        der = ca.certificate.public_bytes(Encoding.DER)
        w.session.add(
            CertificateAuthorityRow(
                kind=kind.value,
                certificate_der=der,
                sealed_key=b"" if key_ref else ca.sealed_key(w.office.master_key),
                key_ref=key_ref,
                crl_number=0,
            )
        )
        try:
            w.session.flush()
        except IntegrityError:  # another ceremony (or a first use) made it meanwhile
            raise StateError(
                f"The {kind.value} CA was created meanwhile by another process: a ceremony never replaces a CA.",
                "認証局は別の処理によってすでに作成されました。",
            ) from None
        new = NewCa(
            kind=kind.value,
            subject=ca.certificate.subject.rfc4514_string(),
            fingerprint=fingerprint(der),
            key_store=key_ref or "sealed",
            not_before=ca.certificate.not_valid_before_utc,
            not_after=ca.certificate.not_valid_after_utc,
        )
        made.append(new)
        w.log("ca_created", kind=kind.value, subject=new.subject, fingerprint=new.fingerprint, key_store=new.key_store)
        audit.append_in(
            w.session, at=w.at, actor=w.actor, role="cli", action="ca.ceremony", target=f"ca:{kind.value}",
            fingerprint=new.fingerprint, key_store=new.key_store, subject=new.subject,
        )
    return made
