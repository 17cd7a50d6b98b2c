"""The delegated OCSP signing certificate of each CA (RFC 6960 4.2.2.2).

Issued by the CA with extendedKeyUsage id-kp-OCSPSigning and id-pkix-ocsp-nocheck (so that
clients do not ask for its own status), stored with its key sealed under the master key (or, when
the CA's key is in a PKCS#11 token, with a new key made in that token), and re-issued when the
(possibly simulated) time leaves its validity. Every response the office signs, whichever adapter
asked for it, is signed by this responder, never by the CA key.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta
from functools import lru_cache

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from mynacard import hsm
from mynacard.ca import CertKind
from mynacard.crypto import Signer, seal_private_key, unseal_private_key
from mynacard.db import repositories as repo
from mynacard.db.staff import OcspResponder
from mynacard.services import pki
from mynacard.services.context import Work
from mynacard.services.revocation.upsert import upsert

LIFETIME = timedelta(days=90)
RENEW_BEFORE = timedelta(days=7)


@dataclass(frozen=True)
class Responder:
    certificate: x509.Certificate
    key: Signer


def _context(kind: str) -> bytes:
    return b"ocsp-responder:" + kind.encode()


@lru_cache(maxsize=16)
def _load(certificate_der: bytes, sealed_key: bytes, key_ref: str | None, master_key: bytes, kind: str) -> Responder:
    """A stored responder, unsealed (or found in its token) once per process (its stored bytes
    are the cache key)."""
    cert = x509.load_der_x509_certificate(certificate_der)
    if key_ref:
        return Responder(cert, hsm.signer(key_ref))
    return Responder(cert, unseal_private_key(sealed_key, master_key, context=_context(kind)))


def _current(w: Work, row: OcspResponder | None, kind: str) -> Responder | None:
    if row is None:
        return None
    r = _load(row.certificate_der, row.sealed_key, row.key_ref, w.office.master_key, kind)
    if r.certificate.not_valid_before_utc <= w.at < r.certificate.not_valid_after_utc - RENEW_BEFORE:
        return r
    return None


def responder(w: Work, kind: CertKind | str) -> Responder:
    """The responder of ``kind`` at ``w.at``, issued (or re-issued) when needed."""
    kind = CertKind(kind)
    row = w.session.get(OcspResponder, kind.value)
    r = _current(w, row, kind.value)
    if r is not None:
        return r
    ca = pki.authority(w, kind)
    pki.lock(w, kind)  # one issuer at a time; another may have issued it meanwhile
    row = w.session.get(OcspResponder, kind.value, populate_existing=True)
    r = _current(w, row, kind.value)
    if r is not None:
        return r
    ca_row = repo.ca_row(w.session, kind.value)
    key: Signer
    key_ref: str | None
    if ca_row is not None and ca_row.key_ref:  # the responder's key goes where the CA's is
        token = hsm.open_token(hsm.KeyRef.parse(ca_row.key_ref).token)
        token_key = token.generate(f"mynacard-{kind.value}-ocsp-{secrets.token_hex(4)}")
        key, key_ref, sealed = token_key, token_key.uri, b""
    else:
        file_key = w.office.keygen()
        key, key_ref = file_key, None
        sealed = seal_private_key(file_key, w.office.master_key, context=_context(kind.value))
    cert = ca.issue_ocsp_responder(key.public_key(), at=w.at, lifetime=LIFETIME)
    stored = {"certificate_der": cert.public_bytes(Encoding.DER), "sealed_key": sealed, "key_ref": key_ref,
              "not_after": cert.not_valid_after_utc}
    upsert(w.session, OcspResponder, {"kind": kind.value}, stored)
    w.log("ocsp_responder_issued", kind=kind.value, serial=cert.serial_number)
    return Responder(cert, key)
