"""The office's timestamp authority: made (root and TSA certificate, keys sealed) the first
time it is needed, then answering RFC 3161 requests at the time passed in."""

from __future__ import annotations

from datetime import datetime

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from sqlalchemy import select

from mynacard.crypto import seal_private_key, unseal_private_key
from mynacard.db.relying import TsaKey
from mynacard.errors import StateError
from mynacard.services.context import Office, Work
from mynacard.tsa.authority import TimestampAuthority, rejection

ORGANIZATION = "mynacard sandbox JPKI"


def _context(role: str) -> bytes:
    return b"tsa:" + role.encode()


def _load(w: Work, rows: dict[str, TsaKey]) -> TimestampAuthority:
    return TimestampAuthority(
        root=x509.load_der_x509_certificate(rows["root"].certificate_der),
        certificate=x509.load_der_x509_certificate(rows["tsa"].certificate_der),
        key=unseal_private_key(rows["tsa"].sealed_key, w.office.master_key, context=_context("tsa")),
    )


def _rows(w: Work) -> dict[str, TsaKey]:
    return {r.role: r for r in w.session.scalars(select(TsaKey)).all()}


def authority(w: Work) -> TimestampAuthority:
    """The TSA of the office, made the first time it is needed.

    First use is safe under concurrency: the rows are inserted with ON CONFLICT DO NOTHING and
    read back, so when two transactions race, both end up with the one that was stored first."""
    rows = _rows(w)
    if "root" in rows and "tsa" in rows:
        return _load(w, rows)
    try:
        tsa, root_key = TimestampAuthority.generate(
            at=w.at, organization=ORGANIZATION, root_key=w.office.keygen(), tsa_key=w.office.keygen()
        )
    except ValueError as e:  # e.g. a simulated time before 1950, which X.509 UTCTime cannot hold
        raise StateError(
            f"The timestamp authority cannot be set up at {w.at.isoformat()}: {e}",
            "この日時ではタイムスタンプ局を開設できません。",
        ) from e
    dialect = w.session.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    for role, cert, key in (("root", tsa.root, root_key), ("tsa", tsa.certificate, tsa.key)):
        values = {
            "role": role,
            "certificate_der": cert.public_bytes(Encoding.DER),
            "sealed_key": seal_private_key(key, w.office.master_key, context=_context(role)),
        }
        w.session.execute(insert(TsaKey).values(**values).on_conflict_do_nothing())
    w.session.expire_all()
    stored = _load(w, _rows(w))
    if stored.certificate == tsa.certificate:
        w.log(
            "tsa_created",
            subject=tsa.certificate.subject.rfc4514_string(),
            tsa_serial=format(tsa.certificate.serial_number, "x"),
        )
    return stored


def respond(office: Office, request_der: bytes, *, at: datetime) -> bytes:
    """The TimeStampResp to one request (a rejection for a bad request, never an exception)."""
    try:
        with office.work(at=at, actor="tsa") as w:
            return authority(w).respond(request_der, at=at)
    except StateError as e:
        return rejection("time_not_available", e.message)


def root_certificate(office: Office, *, at: datetime) -> x509.Certificate:
    with office.work(at=at, actor="tsa") as w:
        return authority(w).root
