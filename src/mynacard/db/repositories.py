"""All queries live here; services hold the rules."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, and_, or_, select
from sqlalchemy.orm import Session, object_session

from mynacard.db.models import (
    CARD_ENDED,
    Application,
    Card,
    CardState,
    Certificate,
    CertificateAuthorityRow,
    CertStatus,
    Event,
    ExpiryNotice,
    Move,
    Municipality,
    NumberRead,
    Receipt,
    Resident,
    WindowRecord,
)
from mynacard.db.store import keys_of
from mynacard.rules.text import search_key


def municipality(s: Session, code: str) -> Municipality | None:
    return s.get(Municipality, code)


def resident(s: Session, resident_id: int, *, for_update: bool = False) -> Resident | None:
    if for_update:
        return s.scalars(_locked(select(Resident).where(Resident.id == resident_id))).first()
    return s.get(Resident, resident_id)


def _locked(q):  # type: ignore[no-untyped-def]
    """``q`` with a row lock, its rows read again from the database: an object already in the
    session (loaded before the lock) must not answer a state check with what it was then."""
    return q.with_for_update().execution_options(populate_existing=True)


def resident_by_number(s: Session, number: str) -> Resident | None:
    """The resident with ``number``, found by its keyed hash (numbers are sealed at rest)."""
    digest = keys_of(s).numbers.lookup(str(number))
    return s.scalars(select(Resident).where(Resident.number_hash == digest)).first()


def number_columns(s: Session, number: str) -> dict[str, Any]:
    """The stored form of ``number``: ``Resident(**number_columns(s, n), ...)``."""
    vault = keys_of(s).numbers
    return {"number_sealed": vault.seal(str(number)), "number_hash": vault.lookup(str(number))}


def set_number(r: Resident, number: str) -> None:
    s = object_session(r)
    assert s is not None, "the resident must belong to a session"
    for k, v in number_columns(s, number).items():
        setattr(r, k, v)


def number_of(r: Resident) -> str:
    """The resident's number in clear. Reads for a purpose go through ``residents.read_number``,
    which records them (R_NUM_3); this is for writing the chip and the like."""
    s = object_session(r)
    assert s is not None, "the resident must belong to a session"
    return keys_of(s).numbers.open(r.number_sealed)


def set_security_code(c: Card, code: str | None) -> None:
    """Store the card's security code (セキュリティコード), sealed under the store's keys."""
    s = object_session(c)
    assert s is not None, "the card must belong to a session"
    c.security_code_sealed = None if code is None else keys_of(s).security_codes.seal(c.id, code)


def security_code_of(c: Card) -> str | None:
    """The card's security code in clear (for writing the chip's card-face data), or None
    before the card is made."""
    if c.security_code_sealed is None:
        return None
    s = object_session(c)
    assert s is not None, "the card must belong to a session"
    return keys_of(s).security_codes.open(c.id, c.security_code_sealed)


def has_number(r: Resident, number: str) -> bool:
    s = object_session(r)
    assert s is not None, "the resident must belong to a session"
    return r.number_hash == keys_of(s).numbers.lookup(str(number))


#: Above every character a key holds: ``key < prefix + _TOP`` bounds a prefix range.
_TOP = "\U0010ffff"


def prefix(column: Any, key: str) -> ColumnElement[bool]:
    """``column`` starts with ``key``, as a range of its index (never ``LIKE '%...%'``): the key
    columns compare in code point order (see ``models.SearchKey``)."""
    return and_(column >= key, column < key + _TOP)


#: The indexed keys a name search looks in (``models.Resident``).
NAME_KEYS = (Resident.name_key, Resident.kana_key, Resident.given_key, Resident.given_kana_key)


def _unindexed(column: Any) -> Any:
    """``column + 0``: the same order, but one no index provides. With ``ORDER BY id LIMIT n`` and
    a key condition, PostgreSQL's generic plan (a prepared statement run again) walks the whole
    primary key looking for matches: 85 ms for a name no one has among 50,000 residents, against
    0.07 ms for the key indexes and a sort of what they find (``bench/name_search.py``)."""
    return column + 0


def find_residents(
    s: Session,
    *,
    name: str | None = None,
    birth_date: date | None = None,
    municipality_code: str | None = None,
    limit: int = 50,
) -> Sequence[Resident]:
    """Residents whose name or フリガナ, or the given name in either, starts with ``name`` as
    ``rules.text.search_key`` folds it (髙橋 is found as 高橋, たかはし as タカハシ, a full-width
    space as none; 花子 finds 能登 花子)."""
    q = select(Resident)
    key = search_key(name)
    if key:
        q = q.where(or_(*(prefix(k, key) for k in NAME_KEYS)))
    if birth_date:
        q = q.where(Resident.birth_date == birth_date)
    if municipality_code:
        q = q.where(Resident.municipality_code == municipality_code)
    return s.scalars(q.order_by(_unindexed(Resident.id)).limit(limit)).all()


def residents_named(s: Session, name: str, birth_date: date, *, limit: int = 10) -> Sequence[Resident]:
    """Residents whose whole name (or whole フリガナ) is ``name`` once folded, born on
    ``birth_date``: the hotline's identity question."""
    key = search_key(name)
    if not key:
        return []
    q = select(Resident).where(
        or_(Resident.name_key == key, Resident.kana_key == key), Resident.birth_date == birth_date
    )
    return s.scalars(q.order_by(_unindexed(Resident.id)).limit(limit)).all()


def application(s: Session, app_id: str) -> Application | None:
    return s.get(Application, app_id)


def card(s: Session, card_id: str, *, for_update: bool = False) -> Card | None:
    if for_update:
        return s.scalars(_locked(select(Card).where(Card.id == card_id))).first()
    return s.get(Card, card_id)


def cards_of(s: Session, resident_id: int) -> Sequence[Card]:
    return s.scalars(select(Card).where(Card.resident_id == resident_id).order_by(Card.made_on, Card.id)).all()


def live_card(s: Session, resident_id: int) -> Card | None:
    """The resident's card that has not lost effect (issued or suspended), if any."""
    q = select(Card).where(
        Card.resident_id == resident_id,
        Card.state.in_([CardState.ISSUED, CardState.SUSPENDED]),
    )
    return s.scalars(q).first()


def pending_card(s: Session, resident_id: int) -> Card | None:
    """A card applied for or made but not yet handed over."""
    q = select(Card).where(Card.resident_id == resident_id, Card.state.in_([CardState.APPLIED, CardState.MADE]))
    return s.scalars(q).first()


def cards_in_states(s: Session, states: Sequence[str]) -> Sequence[Card]:
    return s.scalars(select(Card).where(Card.state.in_(list(states))).order_by(Card.id)).all()


def is_ended(card_state: str) -> bool:
    return card_state in CARD_ENDED


def certificates_of_card(s: Session, card_id: str) -> Sequence[Certificate]:
    return s.scalars(select(Certificate).where(Certificate.card_id == card_id).order_by(Certificate.not_before)).all()


def current_certificate(s: Session, card_id: str, kind: str) -> Certificate | None:
    """The card's certificate of ``kind`` that is good or on hold (at most one)."""
    q = select(Certificate).where(
        Certificate.card_id == card_id,
        Certificate.kind == kind,
        Certificate.status.in_([CertStatus.GOOD, CertStatus.HOLD]),
    )
    return s.scalars(q).first()


def latest_certificate(s: Session, card_id: str, kind: str) -> Certificate | None:
    q = (
        select(Certificate)
        .where(Certificate.card_id == card_id, Certificate.kind == kind)
        .order_by(Certificate.not_before.desc())
    )
    return s.scalars(q).first()


def certificate(s: Session, serial: int) -> Certificate | None:
    return s.get(Certificate, serial)


#: The shortest serial prefix accepted where a serial is asked for (a table shows the whole serial).
MIN_SERIAL_PREFIX = 8


def certificate_by_serial(s: Session, text: str) -> Certificate:
    """The certificate whose hex serial is ``text`` or starts with it (at least 8 hex digits).

    A whole serial is one primary-key read; a prefix reads the serial column only. No match is a
    ``NotFoundError``; a prefix shared by several certificates a ``ValidationError`` that lists them.
    """
    from mynacard.errors import NotFoundError, ValidationError

    given = text.strip().lower().removeprefix("0x").replace(":", "")
    if not given or any(ch not in "0123456789abcdef" for ch in given):
        raise ValidationError(
            "serial",
            f"{text!r} is not a serial number: give the certificate's serial in hexadecimal (e.g. 3f9a0c12...).",
            "シリアル番号は16進数で指定してください。",
        )
    n = int(given, 16)
    c = s.get(Certificate, n) if 0 < n < 2**160 else None
    if c is not None:
        return c
    given = given.lstrip("0") or "0"
    if len(given) < MIN_SERIAL_PREFIX:
        raise NotFoundError(
            f"No certificate with serial {text}. A shortened serial needs at least {MIN_SERIAL_PREFIX} hex digits.",
            f"シリアル番号 {text} の電子証明書はありません。"
            f"省略する場合は先頭{MIN_SERIAL_PREFIX}桁以上を指定してください。",
        )
    found = [x for x in s.scalars(select(Certificate.serial)).yield_per(10_000) if format(x, "x").startswith(given)]
    if not found:
        raise NotFoundError(f"No certificate with serial {text}.", f"シリアル番号 {text} の電子証明書はありません。")
    if len(found) > 1:
        shown = sorted(format(x, "x") for x in found)[:10]
        raise ValidationError(
            "serial",
            f"The serial prefix {text} matches {len(found)} certificates: {', '.join(shown)}"
            f"{' ...' if len(found) > 10 else ''}. Give more digits.",
            f"シリアル番号 {text} に該当する電子証明書が{len(found)}件あります。桁数を増やして指定してください。",
            candidates=", ".join(shown),
        )
    c = s.get(Certificate, found[0])
    assert c is not None
    return c


def certificates(
    s: Session, *, kind: str | None = None, statuses: Sequence[str] | None = None, municipality_code: str | None = None
) -> Sequence[Certificate]:
    q = select(Certificate)
    if kind:
        q = q.where(Certificate.kind == kind)
    if statuses:
        q = q.where(Certificate.status.in_(list(statuses)))
    if municipality_code:
        q = q.where(Certificate.municipality_code == municipality_code)
    return s.scalars(q.order_by(Certificate.not_before)).all()


def ca_row(s: Session, kind: str, *, for_update: bool = False) -> CertificateAuthorityRow | None:
    if for_update:
        return s.scalars(_locked(select(CertificateAuthorityRow).where(CertificateAuthorityRow.kind == kind))).first()
    return s.get(CertificateAuthorityRow, kind)


def open_move(s: Session, resident_id: int) -> Move | None:
    q = select(Move).where(Move.resident_id == resident_id, Move.status.in_(["moving_out", "moved_in"]))
    return s.scalars(q).first()


def moves_awaiting_card(s: Session) -> Sequence[Move]:
    return s.scalars(select(Move).where(Move.status == "moved_in")).all()


def notices_for(s: Session, card_id: str, subject: str, expires_on: date) -> ExpiryNotice | None:
    q = select(ExpiryNotice).where(
        ExpiryNotice.card_id == card_id,
        ExpiryNotice.subject == subject,
        ExpiryNotice.expires_on == expires_on,
    )
    return s.scalars(q).first()


def receipts_of(s: Session, resident_id: int) -> Sequence[Receipt]:
    return s.scalars(select(Receipt).where(Receipt.resident_id == resident_id).order_by(Receipt.id)).all()


def receipts_of_application(s: Session, application_id: str) -> Sequence[Receipt]:
    q = select(Receipt).where(Receipt.application_id == application_id).order_by(Receipt.id)
    return s.scalars(q).all()


def next_receipt_number(s: Session, year: int) -> str:
    """The next number of ``year``; callers hold the receipts lock (``Work.serialize``)."""
    prefix = f"R{year}-"
    q = select(Receipt.number).where(Receipt.number.like(prefix + "%"))
    n = len(s.scalars(q).all()) + 1
    return f"{prefix}{n:06d}"


def events(
    s: Session, *, resident_id: int | None = None, card_id: str | None = None, limit: int = 1000
) -> Sequence[Event]:
    q = select(Event)
    if resident_id is not None:
        q = q.where(Event.resident_id == resident_id)
    if card_id is not None:
        q = q.where(Event.card_id == card_id)
    return s.scalars(q.order_by(Event.id).limit(limit)).all()


def number_reads(s: Session, resident_id: int) -> Sequence[NumberRead]:
    return s.scalars(select(NumberRead).where(NumberRead.resident_id == resident_id).order_by(NumberRead.id)).all()


def last_event(s: Session, resident_id: int, action: str) -> Event | None:
    """The resident's latest event of ``action`` (the log is append-only: the highest ID)."""
    q = select(Event).where(Event.resident_id == resident_id, Event.action == action)
    return s.scalars(q.order_by(Event.id.desc()).limit(1)).first()


def unused_window_record(s: Session, resident_id: int, kind: str) -> WindowRecord | None:
    """The resident's oldest window record of ``kind`` that no application has claimed yet,
    locked: two applications cannot claim the same record."""
    q = select(WindowRecord).where(
        WindowRecord.resident_id == resident_id, WindowRecord.kind == kind, WindowRecord.used_by.is_(None)
    )
    return s.scalars(q.order_by(WindowRecord.id).limit(1).with_for_update()).first()


def window_records_of(s: Session, resident_id: int) -> Sequence[WindowRecord]:
    q = select(WindowRecord).where(WindowRecord.resident_id == resident_id)
    return s.scalars(q.order_by(WindowRecord.id)).all()
