"""CRLs at the distribution points the certificates name (``ca.crl_url()``), and delta CRLs.

A full CRL of a scope (the whole CA, or one municipality's partition) is signed again only when
what it lists changed or it is getting old; otherwise serving it is a lookup. A delta CRL lists
what changed since the last full CRL of its scope: new revocations and holds, holds turned into
revocations, and released holds as removeFromCRL (RFC 5280 5.2.4, R_CERT_8).
"""

from __future__ import annotations

import hashlib
from datetime import timedelta

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from mynacard.ca import RevocationEntry
from mynacard.ca.crl import DEFAULT_CRL_LIFETIME
from mynacard.db import repositories as repo
from mynacard.db.models import Certificate, CertStatus
from mynacard.db.staff import PublishedCrl
from mynacard.rules.events import RevocationReason
from mynacard.services import pki
from mynacard.services.context import Work

REFRESH_BEFORE = timedelta(hours=6)


def _listed(w: Work, kind: str, scope: str) -> list[Certificate]:
    certs = repo.certificates(w.session, kind=kind, statuses=[CertStatus.REVOKED, CertStatus.HOLD],
                              municipality_code=scope or None)
    return [c for c in certs if c.expires_on >= w.today]


def _version(certs: list[Certificate]) -> str:
    text = "|".join(sorted(f"{c.serial:x}:{c.status}:{c.reason}:{c.revoked_at}" for c in certs))
    return hashlib.sha256(text.encode()).hexdigest()


def _fresh(row: PublishedCrl | None, w: Work, version: str) -> bool:
    return (row is not None and row.version == version and row.this_update <= w.at
            and w.at < row.next_update - REFRESH_BEFORE)


def full_crl(w: Work, kind: str, scope: str = "") -> bytes:
    """The DER of the current full CRL of ``kind`` (``scope`` = a municipality code or "")."""
    certs = _listed(w, kind, scope)
    version = _version(certs)
    row = w.session.get(PublishedCrl, (kind, scope, False))
    if _fresh(row, w, version):
        assert row is not None
        return row.der
    crl = pki.crl(w, kind, municipality_code=scope or None, with_delta=True)
    if row is None:
        row = PublishedCrl(kind=kind, scope=scope, delta=False)
        w.session.add(row)
    row.number = crl.extensions.get_extension_for_class(x509.CRLNumber).value.crl_number
    row.this_update = crl.last_update_utc
    row.next_update = crl.next_update_utc or crl.last_update_utc + DEFAULT_CRL_LIFETIME
    row.entries = {format(c.serial, "x"): c.status for c in certs}
    row.der = crl.public_bytes(Encoding.DER)
    row.version = version
    return row.der


def delta_crl(w: Work, kind: str, scope: str = "") -> bytes:
    """The DER of a delta CRL against the last full CRL of the scope (published first if none)."""
    base = w.session.get(PublishedCrl, (kind, scope, False))
    if base is None or not (base.this_update <= w.at < base.next_update):
        full_crl(w, kind, scope)
        base = w.session.get(PublishedCrl, (kind, scope, False))
    assert base is not None
    certs = _listed(w, kind, scope)
    version = base.version + ":" + _version(certs)
    row = w.session.get(PublishedCrl, (kind, scope, True))
    if _fresh(row, w, version):
        assert row is not None
        return row.der
    entries: list[RevocationEntry] = []
    now = {format(c.serial, "x"): c for c in certs}
    at = w.at.replace(microsecond=0)
    for serial, c in now.items():
        if base.entries.get(serial) != c.status:
            entries.append(RevocationEntry(
                serial=c.serial, revoked_at=(c.revoked_at or c.not_before).replace(microsecond=0),
                reason=pki.REASON_FLAGS[RevocationReason(c.reason or "unspecified")],
                on_hold=c.status == CertStatus.HOLD))
    for serial, status in base.entries.items():
        if status == CertStatus.HOLD and serial not in now:
            cert = repo.certificate(w.session, int(serial, 16))
            if cert is not None and cert.status == CertStatus.GOOD:
                entries.append(RevocationEntry(serial=cert.serial, revoked_at=at,
                                               reason=x509.ReasonFlags.remove_from_crl))
    ca_row = repo.ca_row(w.session, kind, for_update=True)
    assert ca_row is not None
    ca_row.crl_number += 1
    crl = pki.authority(w, kind).build_crl(
        entries, at=w.at, number=ca_row.crl_number, municipality_code=scope or None,
        next_update=base.next_update if base.next_update > w.at else None, delta_of=base.number,
    )
    if row is None:
        row = PublishedCrl(kind=kind, scope=scope, delta=True, entries={})
        w.session.add(row)
    row.number = ca_row.crl_number
    row.this_update = crl.last_update_utc
    row.next_update = crl.next_update_utc or crl.last_update_utc + DEFAULT_CRL_LIFETIME
    row.der = crl.public_bytes(Encoding.DER)
    row.version = version
    return row.der
