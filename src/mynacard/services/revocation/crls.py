"""CRLs and delta CRLs of each scope (the whole CA, or one municipality's partition), R_CERT_8.

A published CRL is kept with its DER. Serving it is a lookup: it is signed again only when a
unit of work changed a status it lists (it is then marked stale in that unit of work, see
``mynacard.services.revocation``), or it is getting old. Building one reads only the columns an
entry needs, streamed, and encodes the entries as they come (``mynacard.ca.crl``), so a CRL of
millions of entries costs its bytes, not millions of objects.

A delta CRL lists what changed since the last full CRL of its scope: revocations and holds made
after it (their revocation time is later, or the same instant and the base does not list them as
they are), and released holds as removeFromCRL (RFC 5280 5.2.4). The full CRL keeps the serials
it listed on hold for that purpose.
"""

from __future__ import annotations

import weakref
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from cryptography import x509
from sqlalchemy import select, update
from sqlalchemy.orm import Session, defer

from mynacard.ca import CertKind, RevocationEntry
from mynacard.ca import crl as _crl
from mynacard.ca.crl import DEFAULT_CRL_LIFETIME
from mynacard.db.models import Certificate, CertStatus
from mynacard.db.staff import PublishedCrl
from mynacard.db.store import Store
from mynacard.services import pki
from mynacard.services.context import Office, Work
from mynacard.services.revocation.upsert import upsert

REFRESH_BEFORE = timedelta(hours=6)
_HOLD = x509.ReasonFlags.certificate_hold
_FLAGS = {r.value: flag for r, flag in pki.REASON_FLAGS.items()}
_LISTED = (CertStatus.REVOKED.value, CertStatus.HOLD.value)


#: An entry's crlEntryExtensions (reasonCode) by index: none (unspecified, RFC 5280 5.3.1), then
#: each reason; a hold is certificateHold, as ``RevocationEntry.crl_reason`` does.
_EXTS: list[bytes] = [b""]
_CODE: dict[x509.ReasonFlags, int] = {}
for _flag in [*(f for f in _FLAGS.values() if f is not None), _HOLD]:
    if _flag not in _CODE:
        _CODE[_flag] = len(_EXTS)
        _EXTS.append(_crl.reason_extensions(_flag))


def _reason_sql() -> str:
    """The crlEntryExtensions as a PostgreSQL expression."""
    whens = " ".join(f"WHEN '{value}' THEN decode('{_crl.reason_extensions(flag).hex()}', 'hex')"
                     for value, flag in _FLAGS.items() if flag is not None)
    return (f"CASE WHEN status = '{CertStatus.HOLD.value}' THEN decode('{_crl.reason_extensions(_HOLD).hex()}', "
            f"'hex') ELSE CASE reason {whens} ELSE ''::bytea END END")


def _listed_sql(w: Work, kind: str, scope: str, since: datetime | None = None,
                skip: Sequence[int] = ()) -> tuple[str, list[Any]]:
    """The listed certificates as one statement for the driver itself, with as little per-row
    work left for Python as each database allows. PostgreSQL: the serial, then the rest of the
    entry already DER-encoded by the server (the revocation time as RFC 5280 wants it, UTCTime
    through 2049, else GeneralizedTime, and the reasonCode extension). SQLite: the serial, the
    stored time as bytes and the index of the reasonCode in ``_EXTS`` (see ``_encode_sqlite``).
    At millions of rows, SQLAlchemy's per-row processing would cost more than the whole CRL."""
    sqlite = w.session.get_bind().dialect.name == "sqlite"
    mark = "?" if sqlite else "%s"
    t = "COALESCE(revoked_at, not_before)"
    if sqlite:  # the stored text (YYYY-MM-DD HH:MM:SS[.ffffff], UTC) and the reason's index in _EXTS
        codes = " ".join(f"WHEN '{value}' THEN {_CODE[flag]}" for value, flag in _FLAGS.items() if flag is not None)
        columns = (f"CAST({t} AS BLOB), CASE WHEN status = '{CertStatus.HOLD.value}' THEN {_CODE[_HOLD]} "
                   f"ELSE CASE reason {codes} ELSE 0 END END")
    else:
        columns = (f"CASE WHEN {t} < '2050-01-01' THEN '\\x170d'::bytea || convert_to(to_char({t}, "
                   f"'YYMMDDHH24MISS\"Z\"'), 'UTF8') ELSE '\\x180f'::bytea || convert_to(to_char({t}, "
                   f"'YYYYMMDDHH24MISS\"Z\"'), 'UTF8') END || {_reason_sql()}")
    sql = (f"SELECT serial, {columns} FROM certificates WHERE kind = {mark} "
           f"AND status IN ({mark}, {mark}) AND expires_on >= {mark}")
    params: list[Any] = [kind, *_LISTED, w.today.isoformat() if sqlite else w.today]
    if scope:
        sql += f" AND municipality_code = {mark}"
        params.append(scope)
    if since is not None:
        sql += f" AND revoked_at >= {mark}"
        utc = since.astimezone(UTC).replace(tzinfo=None)
        params.append(utc.strftime("%Y-%m-%d %H:%M:%S.%f") if sqlite else utc)
    if skip:
        sql += f" AND serial NOT IN ({', '.join([mark] * len(skip))})"
        params += [str(s) for s in skip]
    return sql, params


_L = [bytes((n,)) for n in range(128)]


def _entries(w: Work, kind: str, scope: str, since: datetime | None = None, skip: Sequence[int] = (),
             holds: list[int] | None = None, listed: set[int] | None = None) -> Iterator[bytes]:
    """The listed certificates as encoded CRL entries, a chunk of thousands at a time (see
    ``mynacard.ca.crl.encode_revoked``); the serials on hold go to ``holds``, all to ``listed``."""
    sql, params = _listed_sql(w, kind, scope, since, skip)
    dbapi = w.session.connection().connection.dbapi_connection
    assert dbapi is not None
    sqlite = w.session.get_bind().dialect.name == "sqlite"
    cur = dbapi.cursor() if sqlite else dbapi.cursor(name="crl_entries")  # PostgreSQL: server-side
    try:
        cur.execute(sql, params)
        if sqlite:
            yield from _encode_sqlite(cur, holds, listed)
            return
        hold = _crl.reason_extensions(_HOLD)
        while rows := cur.fetchmany(20_000):
            parts = []
            for serial, rest in rows:
                n = int(serial)
                sb = n.to_bytes(n.bit_length() // 8 + 1, "big")  # at most 21 octets
                tail = bytes(rest)
                body = b"\x02" + _L[len(sb)] + sb + tail
                parts.append(b"\x30" + _L[len(body)] + body)  # an entry is under 128 octets
                if holds is not None and tail.endswith(hold):
                    holds.append(n)
                if listed is not None:
                    listed.add(n)
            yield b"".join(parts)
    finally:
        cur.close()


def _encode_sqlite(cur: Any, holds: list[int] | None, listed: set[int] | None) -> Iterator[bytes]:
    """Rows of (serial, stored time, reason index): the time becomes UTCTime through 2049, else
    GeneralizedTime (RFC 5280 4.1.2.5), by slicing the stored text, which costs less than any
    date function of SQLite."""
    hold, exts = _CODE[_HOLD], _EXTS
    while rows := cur.fetchmany(20_000):
        parts = []
        for serial, t, code in rows:
            n = int(serial)
            sb = n.to_bytes(n.bit_length() // 8 + 1, "big")  # at most 21 octets
            if t < b"2050":
                body = b"\x02" + _L[len(sb)] + sb + b"\x17\x0d" + t[2:19].translate(None, b"- :") + b"Z" + exts[code]
            else:
                body = b"\x02" + _L[len(sb)] + sb + b"\x18\x0f" + t[:19].translate(None, b"- :") + b"Z" + exts[code]
            parts.append(b"\x30" + _L[len(body)] + body)  # an entry is under 128 octets
            if code == hold and holds is not None:
                holds.append(n)
            if listed is not None:
                listed.add(n)
        yield b"".join(parts)


def _fresh(this_update: datetime, next_update: datetime, stale: bool, at: datetime) -> bool:
    return not stale and this_update <= at < next_update - REFRESH_BEFORE


_published: weakref.WeakKeyDictionary[Store, dict[tuple[str, str, bool], tuple[int, bytes]]] = (
    weakref.WeakKeyDictionary())


def _stored(store: Store, kind: str, scope: str, delta: bool) -> tuple[Any, bytes | None]:
    """The published row's dates and flag, and its DER: from this process's copy when the row
    still carries the same CRL number, so that a large CRL is not read again on every request."""
    q = select(PublishedCrl.number, PublishedCrl.this_update, PublishedCrl.next_update, PublishedCrl.stale).where(
        PublishedCrl.kind == kind, PublishedCrl.scope == scope, PublishedCrl.delta == delta)
    known = _published.setdefault(store, {})
    with store.read_engine.connect() as conn:  # a replica (MYNACARD_DB_READ) when there is one
        row = conn.execute(q).first()
        if row is None:
            return None, None
        copy = known.get((kind, scope, delta))
        if copy is None or copy[0] != row.number:
            der = conn.execute(select(PublishedCrl.der).where(
                PublishedCrl.kind == kind, PublishedCrl.scope == scope, PublishedCrl.delta == delta,
                PublishedCrl.number == row.number)).scalar()
            if der is None:
                return row, None
            copy = known[(kind, scope, delta)] = (row.number, bytes(der))
    return row, copy[1]


def serve(office: Office, kind: str, scope: str, delta: bool, *, at: datetime) -> bytes:
    """The DER of the current CRL: the stored one (a lookup) while it is current, else published."""
    row, der = _stored(office.store, kind, scope, delta)
    if row is not None and der is not None and _fresh(row.this_update, row.next_update, row.stale, at):
        return der
    with office.work(at=at, actor="crl") as w:
        return delta_crl(w, kind, scope) if delta else full_crl(w, kind, scope)


def _row(w: Work, kind: str, scope: str, delta: bool) -> PublishedCrl | None:
    """The published row as committed now; its DER (megabytes) is read only if it is served."""
    return w.session.get(PublishedCrl, (kind, scope, delta), populate_existing=True,
                         options=[defer(PublishedCrl.der)])


def full_crl(w: Work, kind: CertKind | str, scope: str = "") -> bytes:
    """The DER of the current full CRL of ``kind`` (``scope`` = a municipality code or "")."""
    kind = CertKind(kind).value
    row = _row(w, kind, scope, False)
    if row is not None and _fresh(row.this_update, row.next_update, row.stale, w.at):
        return row.der
    ca = pki.authority(w, kind)
    number = pki.next_crl_number(w, kind)  # takes the CA's lock: one publisher at a time
    row = _row(w, kind, scope, False)
    if row is not None and _fresh(row.this_update, row.next_update, row.stale, w.at):
        return row.der  # published by another unit of work while this one waited
    holds: list[int] = []
    this_update = w.at.replace(microsecond=0)
    der = ca.build_crl_der(_entries(w, kind, scope, holds=holds), at=this_update, number=number,
                           municipality_code=scope or None, next_update=this_update + DEFAULT_CRL_LIFETIME,
                           with_delta=True)
    values = {"number": number, "this_update": this_update, "next_update": this_update + DEFAULT_CRL_LIFETIME,
              "entries": {format(s, "x"): CertStatus.HOLD.value for s in holds}, "der": der, "stale": False}
    upsert(w.session, PublishedCrl, {"kind": kind, "scope": scope, "delta": False}, values)
    # the delta of this scope was made against the previous base
    w.session.execute(update(PublishedCrl).where(PublishedCrl.kind == kind, PublishedCrl.scope == scope,
                                                 PublishedCrl.delta.is_(True)).values(stale=True))
    return der


def delta_crl(w: Work, kind: CertKind | str, scope: str = "") -> bytes:
    """The DER of a delta CRL against the last full CRL of the scope (published first if none)."""
    kind = CertKind(kind).value
    base = _row(w, kind, scope, False)
    if base is None or not (base.this_update <= w.at < base.next_update):
        full_crl(w, kind, scope)
        base = _row(w, kind, scope, False)
    assert base is not None
    row = _row(w, kind, scope, True)
    if row is not None and _fresh(row.this_update, row.next_update, row.stale, w.at):
        return row.der
    ca = pki.authority(w, kind)
    number = pki.next_crl_number(w, kind)
    base = _row(w, kind, scope, False)
    assert base is not None
    row = _row(w, kind, scope, True)
    if row is not None and _fresh(row.this_update, row.next_update, row.stale, w.at):
        return row.der
    listed: set[int] = set()
    skip = _in_base(w, base, kind, scope)
    entries: list[RevocationEntry | bytes] = list(
        _entries(w, kind, scope, since=base.this_update, skip=skip, listed=listed))
    released = _released(w.session, [int(s, 16) for s in base.entries if int(s, 16) not in listed])
    at = w.at.replace(microsecond=0)
    entries += [RevocationEntry(serial=s, revoked_at=at, reason=x509.ReasonFlags.remove_from_crl) for s in released]
    next_update = base.next_update if base.next_update > at else at + DEFAULT_CRL_LIFETIME
    der = ca.build_crl_der(iter(entries), at=at, number=number, municipality_code=scope or None,
                           next_update=next_update, delta_of=base.number)
    values = {"number": number, "this_update": at, "next_update": next_update, "entries": {}, "der": der,
              "stale": False}
    upsert(w.session, PublishedCrl, {"kind": kind, "scope": scope, "delta": True}, values)
    return der


def _in_base(w: Work, base: PublishedCrl, kind: str, scope: str) -> list[int]:
    """The statuses set in the very instant of the base's thisUpdate that the base lists as they
    are now: not changes after it. The others of that instant (set after the base was made, by a
    frozen clock or in the same microsecond) are. Only then is the base's DER read."""
    q = select(Certificate.serial, Certificate.status).where(
        Certificate.kind == kind, Certificate.status.in_(_LISTED), Certificate.revoked_at == base.this_update)
    if scope:
        q = q.where(Certificate.municipality_code == scope)
    same = w.session.execute(q).all()
    if not same:
        return []
    listed = x509.load_der_x509_crl(base.der)
    out = []
    for serial, status in same:
        entry = listed.get_revoked_certificate_by_serial_number(int(serial))
        if entry is not None and _on_hold(entry) == (status == CertStatus.HOLD):
            out.append(int(serial))
    return out


def _on_hold(entry: x509.RevokedCertificate) -> bool:
    try:
        return entry.extensions.get_extension_for_class(x509.CRLReason).value.reason == _HOLD
    except x509.ExtensionNotFound:
        return False


def _released(session: Session, serials: list[int]) -> list[int]:
    """Of the serials a base CRL listed on hold, those whose hold was released since (good again)."""
    out: list[int] = []
    for i in range(0, len(serials), 500):
        chunk = [str(s) for s in serials[i : i + 500]]
        q = select(Certificate.serial).where(Certificate.serial.in_(chunk), Certificate.status == CertStatus.GOOD)
        out += [int(s) for s in session.scalars(q)]
    return sorted(out)


def mark_stale(session: Session, scopes: set[tuple[str, str]]) -> None:
    """Mark the CRLs that list (or should list) a changed status: per kind, the CA-wide CRL and
    the municipality's partition, full and delta."""
    by_kind: dict[str, set[str]] = {}
    for kind, municipality in scopes:
        by_kind.setdefault(kind, {""}).add(municipality)
    for kind, names in by_kind.items():
        session.execute(update(PublishedCrl).where(PublishedCrl.kind == kind, PublishedCrl.scope.in_(sorted(names)))
                        .values(stale=True))
