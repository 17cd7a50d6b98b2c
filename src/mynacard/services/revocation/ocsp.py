"""OCSP answers as lookups (R_CERT_8): one pre-signed response per certificate, signed by the
delegated responder, re-signed in the unit of work that changes the certificate's status
(see ``mynacard.services.revocation``) or when it grows old.

Answering a request costs a parse, a comparison with the issuer's hashes (kept per process)
and one indexed read that joins the stored response to the certificate's current status, so a
response that no longer says the truth is never served, whoever changed the status. Only a miss
(no response yet, an old one) opens a unit of work to sign.

The stored responses name the certificate by SHA-1 hashes, as OpenSSL, Windows and Java ask by
default, and carry no nonce: RFC 8954 2.1 lets a responder that pre-signs ignore it, and
OpenSSL then only warns. A request hashed with another algorithm (``openssl ocsp -sha256``) is
answered by a response signed for it, with its CertID and its nonce: a client looks for the
CertID it sent, algorithm included, and would find no status in a SHA-1 one. A request that
does not parse is answered ``malformedRequest``, one for another issuer ``unauthorized``, and a
serial this CA has no record of a signed ``unknown`` (RFC 6960 2.2).
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from cryptography.x509 import ocsp
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from mynacard.ca import malformed_request_response, unauthorized_response
from mynacard.ca.ocsp import MAX_NONCE_BYTES, RESPONSE_LIFETIME, build_unknown_response
from mynacard.db import repositories as repo
from mynacard.db.models import Certificate, CertificateAuthorityRow
from mynacard.db.staff import OcspCacheEntry, RevocationChange
from mynacard.db.store import Store
from mynacard.services import pki
from mynacard.services.context import Office, Work
from mynacard.services.revocation import cache
from mynacard.services.revocation.responders import responder
from mynacard.services.revocation.upsert import upsert

REFRESH_BEFORE = timedelta(hours=6)
MALFORMED = malformed_request_response().public_bytes(Encoding.DER)
UNAUTHORIZED = unauthorized_response().public_bytes(Encoding.DER)


def sign_response(w: Work, cert: Certificate) -> bytes:
    """Sign the current status of ``cert`` with the delegated responder and store it."""
    ca = pki.authority(w, cert.kind)
    r = responder(w, cert.kind)
    der = ca.build_ocsp_response(
        x509.load_der_x509_certificate(cert.der), pki.ocsp_status(cert), at=w.at,
        responder_certificate=r.certificate, responder_key=r.key,
    ).public_bytes(Encoding.DER)
    values = {"kind": cert.kind, "status": cert.status, "produced_at": w.at,
              "next_update": w.at + RESPONSE_LIFETIME, "der": der}
    upsert(w.session, OcspCacheEntry, {"serial": cert.serial}, values)
    cache.note_signed(w.session, cert.kind, cert.serial, w.at, w.at + RESPONSE_LIFETIME - REFRESH_BEFORE, der)
    return der


def _fresh(produced_at: datetime, next_update: datetime, at: datetime) -> bool:
    return produced_at <= at < next_update - REFRESH_BEFORE


def response_der(w: Work, cert: Certificate) -> bytes:
    """The stored response of ``cert`` if it says its current status and is fresh; else a new one."""
    row = w.session.get(OcspCacheEntry, cert.serial, populate_existing=True)
    if row is None or row.status != cert.status or not _fresh(row.produced_at, row.next_update, w.at):
        return sign_response(w, cert)
    return row.der


def _signed_for(w: Work, cert: Certificate, req: ocsp.OCSPRequest) -> bytes:
    """A response to ``req`` alone, signed now and not stored: its CertID hashed as the request's,
    its nonce echoed."""
    ca = pki.authority(w, cert.kind)
    r = responder(w, cert.kind)
    return ca.build_ocsp_response(
        x509.load_der_x509_certificate(cert.der), pki.ocsp_status(cert), at=w.at, nonce=_nonce(req),
        responder_certificate=r.certificate, responder_key=r.key, hash_algorithm=req.hash_algorithm,
    ).public_bytes(Encoding.DER)


def _nonce(req: ocsp.OCSPRequest) -> bytes | None:
    """The request's nonce (RFC 8954) when it is one a response may carry (1 to 32 bytes)."""
    try:
        value = req.extensions.get_extension_for_class(x509.OCSPNonce).value.nonce
    except x509.ExtensionNotFound:
        return None
    return value if 1 <= len(value) <= MAX_NONCE_BYTES else None


def response(w: Work, cert: Certificate) -> ocsp.OCSPResponse:
    """``response_der`` parsed: what the CLI, the export and the demo show."""
    return ocsp.load_der_ocsp_response(response_der(w, cert))


def forget(session: Session, serials: list[int]) -> None:
    """Drop the stored responses of ``serials`` (signed again when next asked for)."""
    for i in range(0, len(serials), 500):
        chunk = [str(s) for s in serials[i : i + 500]]
        session.execute(delete(OcspCacheEntry).where(OcspCacheEntry.serial.in_(chunk)))


# --- answering requests ------------------------------------------------------------------------


@dataclass(frozen=True)
class _Issuer:
    """What a request must name to be about this CA: its name and key hashes per algorithm."""

    name: bytes
    spki_bits: bytes
    hashes: dict[str, tuple[bytes, bytes]]

    def matches(self, req: ocsp.OCSPRequest) -> bool:
        algo = req.hash_algorithm
        got = self.hashes.get(algo.name)
        if got is None:
            h1, h2 = hashes.Hash(algo), hashes.Hash(algo)
            h1.update(self.name)
            h2.update(self.spki_bits)
            got = (h1.finalize(), h2.finalize())
            self.hashes[algo.name] = got
        return got == (req.issuer_name_hash, req.issuer_key_hash)


def _issuer_of(der: bytes) -> _Issuer:
    from asn1crypto import keys  # type: ignore[import-untyped]

    cert = x509.load_der_x509_certificate(der)
    spki = cert.public_key().public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
    bits = keys.PublicKeyInfo.load(spki)["public_key"].contents[1:]
    return _Issuer(cert.subject.public_bytes(), bits, {})


_issuers: weakref.WeakKeyDictionary[Store, dict[str, _Issuer]] = weakref.WeakKeyDictionary()


def _issuer(store: Store, kind: str) -> _Issuer | None:
    """The CA of ``kind`` as requests name it, read once per process (a CA never changes)."""
    known = _issuers.setdefault(store, {})
    if kind not in known:
        query = select(CertificateAuthorityRow.certificate_der).where(CertificateAuthorityRow.kind == kind)
        der = None
        # a CA made moments ago may not be on a lagging replica yet: then the primary is asked
        for engine in dict.fromkeys((store.read_engine, store.engine)):
            with engine.connect() as conn:
                der = conn.execute(query).scalar()
            if der is not None:
                break
        if der is None:
            return None
        known[kind] = _issuer_of(der)
    return known[kind]


_LOOKUP = (
    select(Certificate.kind, Certificate.status, OcspCacheEntry.status, OcspCacheEntry.produced_at,
           OcspCacheEntry.next_update, OcspCacheEntry.der)
    .outerjoin(OcspCacheEntry, OcspCacheEntry.serial == Certificate.serial)
)


def _stored(store: Store, serial: int) -> tuple[int, Any]:
    """The change log's last id, then the certificate's status and stored response (in this
    order: a change committed between the two reads is then seen again, never missed). Read from
    a replica (MYNACARD_DB_READ) when there is one: its change log is as old as its rows."""
    with store.read_engine.connect() as conn:
        seen = int(conn.execute(select(func.max(RevocationChange.id))).scalar() or 0)
        return seen, conn.execute(_LOOKUP.where(Certificate.serial == str(serial))).first()


def answer(office: Office, kind: str, data: bytes, *, at: datetime) -> bytes:
    """The DER response to the DER request ``data`` for the CA ``kind`` at ``at``: from this
    process's memory (or Redis) when it has it current (``cache``), else a lookup when the
    stored response is current, else signed (and stored) in a unit of work."""
    mem = cache.answers(office.store)
    hit = mem.lookup(kind, data, at)
    if hit is not None:
        return hit
    try:
        req = ocsp.load_der_ocsp_request(data)
        serial = req.serial_number
        issuer = _issuer(office.store, kind)
        if issuer is None or not issuer.matches(req):
            return UNAUTHORIZED
        stored_fits = req.hash_algorithm.name == "sha1"  # the stored CertIDs are SHA-1
    except Exception:
        return MALFORMED
    row = None
    if 0 < serial < 2**160:
        seen, row = _stored(office.store, serial)
    if row is not None and stored_fits:
        cert_kind, status, signed_status, produced_at, next_update, der = row
        if cert_kind == kind:
            mem.remember_request(kind, data, serial)  # what the bytes ask: the next time, no parse
        if cert_kind == kind and signed_status == status and _fresh(produced_at, next_update, at):
            der = bytes(der)
            mem.keep(kind, serial, seen, produced_at, next_update - REFRESH_BEFORE, der)
            return der
    with office.work(at=at, actor="ocsp") as w:
        # not on a lagging replica yet is not "unknown": the primary is asked
        replica = office.store.read_engine is not office.store.engine
        cert = repo.certificate(w.session, serial) if row is not None or replica else None
        if cert is None or cert.kind != kind:
            r = responder(w, kind)
            ca = pki.authority(w, kind)
            return build_unknown_response(issuer=ca.certificate, request=req, at=at,
                                          signer_certificate=r.certificate, signer_key=r.key).public_bytes(Encoding.DER)
        return response_der(w, cert) if stored_fits else _signed_for(w, cert, req)
