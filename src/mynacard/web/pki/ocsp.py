"""OCSP answers as lookups: a pre-signed response per certificate, re-signed when the
certificate's status changes (in the transaction that changed it) or the response grows old.

The responses carry no nonce: RFC 8954 2.1 lets a responder that pre-signs ignore it, and
OpenSSL then only warns. Requests are parsed here and never raise: anything that does not
parse is answered ``malformedRequest``, a certificate the CA did not issue ``unauthorized``.
"""

from __future__ import annotations

from datetime import timedelta

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from cryptography.x509 import ocsp
from sqlalchemy import event, inspect
from sqlalchemy.orm import Session, sessionmaker

from mynacard.ca import malformed_request_response, unauthorized_response
from mynacard.ca.ocsp import RESPONSE_LIFETIME
from mynacard.db import repositories as repo
from mynacard.db.models import Certificate
from mynacard.db.staff import OcspCacheEntry
from mynacard.services import pki
from mynacard.services.context import Work
from mynacard.web.pki.responder import responder

REFRESH_BEFORE = timedelta(hours=6)
CHANGED = "mynacard.changed_certificates"
KINDS = ("sign", "auth")


def sign_response(w: Work, cert: Certificate) -> OcspCacheEntry:
    """Sign the current status of ``cert`` with the delegated responder and store it."""
    ca = pki.authority(w, cert.kind)
    r = responder(w, cert.kind)
    resp = ca.build_ocsp_response(
        x509.load_der_x509_certificate(cert.der), pki.ocsp_status(cert), at=w.at,
        responder_certificate=r.certificate, responder_key=r.key,
    )
    row = w.session.get(OcspCacheEntry, cert.serial)
    if row is None:
        row = OcspCacheEntry(serial=cert.serial, kind=cert.kind)
        w.session.add(row)
    row.status = cert.status
    row.produced_at = w.at
    row.next_update = w.at + RESPONSE_LIFETIME
    row.der = resp.public_bytes(Encoding.DER)
    return row


def cached_response(w: Work, cert: Certificate) -> bytes:
    """The stored response if it still says the truth and is fresh; else a new one."""
    row = w.session.get(OcspCacheEntry, cert.serial)
    if (row is None or row.status != cert.status or w.at < row.produced_at
            or w.at >= row.next_update - REFRESH_BEFORE):
        row = sign_response(w, cert)
    return row.der


# --- refreshing in the transaction that changes a status ---------------------------------------


def _collect(session: Session, _ctx: object, _instances: object) -> None:
    changed: set[int] = session.info.setdefault(CHANGED, set())
    for obj in list(session.new) + list(session.dirty):
        if isinstance(obj, Certificate):
            hist = inspect(obj).attrs.status.history
            if obj in session.new or hist.has_changes():
                changed.add(obj.serial)


def watch(sessions: sessionmaker[Session]) -> None:
    """Note every certificate whose status a session changes (see ``refresh_changed``)."""
    if not event.contains(sessions, "before_flush", _collect):
        event.listen(sessions, "before_flush", _collect)


def refresh_changed(w: Work) -> int:
    """Re-sign the responses of the certificates changed in this unit of work (before commit),
    so that a hold reaches OCSP the moment it is committed (R_LOSS_1, R_CERT_8)."""
    w.session.flush()
    serials = w.session.info.pop(CHANGED, set())
    for serial in serials:
        cert = repo.certificate(w.session, serial)
        if cert is not None:
            sign_response(w, cert)
    if serials:
        w.session.flush()
        w.session.info.pop(CHANGED, None)
    return len(serials)


# --- answering requests ---------------------------------------------------------------------


def _issuer_matches(req: ocsp.OCSPRequest, issuer: x509.Certificate) -> bool:
    try:
        algo = req.hash_algorithm
        h = hashes.Hash(type(algo)())
        h.update(issuer.subject.public_bytes())
        name_hash = h.finalize()
        spki = issuer.public_key().public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
        from asn1crypto import keys  # type: ignore[import-untyped]

        bits = keys.PublicKeyInfo.load(spki)["public_key"].contents[1:]
        h = hashes.Hash(type(algo)())
        h.update(bits)
        return name_hash == req.issuer_name_hash and h.finalize() == req.issuer_key_hash
    except Exception:
        return False


def answer(w: Work, kind: str, data: bytes) -> bytes:
    """The DER response to the DER request ``data`` for the CA ``kind``."""
    try:
        req = ocsp.load_der_ocsp_request(data)
        serial = req.serial_number
    except Exception:
        return malformed_request_response().public_bytes(Encoding.DER)
    ca = pki.authority(w, kind)
    if not _issuer_matches(req, ca.certificate):
        return unauthorized_response().public_bytes(Encoding.DER)
    cert = repo.certificate(w.session, serial) if 0 < serial < 2**160 else None
    if cert is None or cert.kind != kind:
        return unauthorized_response().public_bytes(Encoding.DER)
    return cached_response(w, cert)
