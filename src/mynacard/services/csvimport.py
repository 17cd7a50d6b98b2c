"""Loading residents (and, if asked, their cards) from a CSV file: ``mynacard import FILE.csv``.

The format is documented in README.md ("Importing residents from CSV") with a sample in
examples/residents.csv. Rows are loaded in batches, one transaction a batch; each row runs in a
savepoint of its batch, so a refused row (a bad date, an unknown municipality, a number already
registered) is rolled back alone and reported with its row number, field and reason while the good
rows of the batch are kept. A refusal never quotes an individual number or a PIN.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import IO

from mynacard.db.models import Resident
from mynacard.errors import MynaError, ValidationError
from mynacard.services.context import Office, Work

#: Resident columns: required ones first.
RESIDENT_REQUIRED = ("name", "address", "birth_date", "sex", "municipality")
RESIDENT_OPTIONAL = (
    "individual_number", "name_kana", "nationality", "residence_status", "period_of_stay_end", "adult_ward",
)
#: Card columns (with ``issue_cards``): identity documents separated by ``;``; the four secrets.
CARD_REQUIRED = ("id_documents", "auth_pin", "resident_pin", "card_info_pin")
CARD_OPTIONAL = ("sign_pin", "representative")
COLUMNS = RESIDENT_REQUIRED + RESIDENT_OPTIONAL + CARD_REQUIRED + CARD_OPTIONAL

#: Service field names -> the CSV column a refusal names.
_FIELD_COLUMN = {"birth_date": "birth_date", "municipality_code": "municipality", "pin": "pins",
                 "individual_number": "individual_number", "period_of_stay_end": "period_of_stay_end"}

_TRUE = {"1", "true", "yes", "y", "はい"}
_FALSE = {"", "0", "false", "no", "n", "いいえ"}


@dataclass(frozen=True)
class Refusal:
    row: int  # the line of the file (the header is row 1)
    field: str
    reason: str
    reason_ja: str


@dataclass
class ImportReport:
    rows: int = 0
    residents: list[int] = field(default_factory=list)
    cards: list[str] = field(default_factory=list)
    refused: list[Refusal] = field(default_factory=list)


def read_rows(stream: IO[str], *, issue_cards: bool) -> Iterator[tuple[int, dict[str, str]]]:
    """The data rows of a CSV file with a header (UTF-8, a BOM allowed) as (row number, values).
    A header without a required column, or with a column this format does not know, is refused whole."""
    reader = csv.DictReader(stream)
    header = [(h or "").lstrip("\ufeff").strip() for h in (reader.fieldnames or [])]
    required = RESIDENT_REQUIRED + (CARD_REQUIRED if issue_cards else ())
    missing = [c for c in required if c not in header]
    unknown = [c for c in header if c not in COLUMNS]
    if missing or unknown:
        what = []
        if missing:
            what.append(f"missing column(s): {', '.join(missing)}")
        if unknown:
            what.append(f"unknown column(s): {', '.join(unknown)}")
        raise ValidationError(
            "header",
            f"The CSV header does not fit the import format ({'; '.join(what)}). The first line names the "
            f"columns: {', '.join(required)} are required; see README.md, 'Importing residents from CSV'.",
            "CSVの1行目(見出し)が取込形式と合いません。必須の列名と綴りを確認してください(README.md 参照)。",
        )
    reader.fieldnames = header
    for raw in reader:
        values = {k: (v or "").strip() for k, v in raw.items() if k is not None}
        if None in raw:  # more cells than columns
            values["__extra__"] = "1"
        yield reader.line_num, values


def import_rows(
    office: Office,
    rows: Iterable[tuple[int, dict[str, str]]],
    *,
    at: datetime,
    actor: str,
    issue_cards: bool = False,
    batch_size: int = 500,
    progress: Callable[[int], None] | None = None,
) -> ImportReport:
    """Load ``rows`` (from ``read_rows``) in batches of ``batch_size``, one transaction each."""
    rep = ImportReport()
    batch: list[tuple[int, dict[str, str]]] = []
    for item in rows:
        batch.append(item)
        if len(batch) >= batch_size:
            _load_batch(office, batch, rep, at=at, actor=actor, issue_cards=issue_cards)
            if progress:
                progress(len(batch))
            batch = []
    if batch:
        _load_batch(office, batch, rep, at=at, actor=actor, issue_cards=issue_cards)
        if progress:
            progress(len(batch))
    return rep


def _load_batch(
    office: Office, batch: list[tuple[int, dict[str, str]]], rep: ImportReport, *, at: datetime, actor: str,
    issue_cards: bool,
) -> None:
    from sqlalchemy.exc import IntegrityError

    done: list[tuple[Resident, str | None]] = []
    refused: list[Refusal] = []
    with office.work(at=at, actor=actor) as w:
        _begin(w)
        for line, values in batch:
            try:
                with w.session.begin_nested():
                    done.append(_load_row(w, values, issue_cards=issue_cards))
            except MynaError as e:
                refused.append(Refusal(line, _column(e), e.message, e.message_ja))
            except IntegrityError:
                refused.append(Refusal(line, "-", "The row conflicts with data already in the store.",
                                       "登録済みのデータと重複しています。"))
    rep.rows += len(batch)
    rep.refused.extend(refused)
    for resident, card_id in done:
        rep.residents.append(resident.id)
        if card_id:
            rep.cards.append(card_id)


def _begin(w: Work) -> None:
    """Open the batch's transaction now. pysqlite opens one only at the first INSERT or UPDATE, so a
    SAVEPOINT would otherwise begin a transaction of its own, and its RELEASE commit each row alone."""
    conn = w.session.connection()
    if conn.dialect.name == "sqlite":
        raw = conn.connection.dbapi_connection
        if raw is not None and not getattr(raw, "in_transaction", True):
            conn.exec_driver_sql("BEGIN")


def _column(e: MynaError) -> str:
    """The CSV column a refusal is about: the error's field, else what its fields or message name."""
    name = e.fields.get("field")
    if not name:
        name = next((k for k in ("municipality_code", "birth_date", "pin") if k in e.fields), None)
    if not name and "individual number" in e.message.lower():
        name = "individual_number"
    if str(name).startswith("pin."):  # a PIN refused by the hand-over: its column, auth_pin ...
        return f"{str(name)[4:]}_pin"
    return _FIELD_COLUMN.get(str(name), str(name)) if name else "-"


def _flag(values: dict[str, str], name: str) -> bool:
    v = values.get(name, "").lower()
    if v in _TRUE:
        return True
    if v in _FALSE:
        return False
    raise ValidationError(
        name, f"{name} must be 1 or 0 (yes or no), not {v!r}.", f"{name} は 1 か 0 で指定してください。"
    )


def _load_row(w: Work, values: dict[str, str], *, issue_cards: bool) -> tuple[Resident, str | None]:
    from mynacard.ids import IndividualNumber
    from mynacard.services import residents

    if values.get("__extra__"):
        raise ValidationError("-", "The row has more cells than the header has columns.",
                              "見出しより多くの項目がある行です。")
    for col in RESIDENT_REQUIRED + (CARD_REQUIRED if issue_cards else ()):
        if not values.get(col):
            raise ValidationError(col, f"The column {col} is empty.", f"{col} が空欄です。")
    r = residents.register(
        w,
        individual_number=values.get("individual_number") or str(IndividualNumber.generate()),
        name=values["name"],
        address=values["address"],
        birth_date=values["birth_date"],
        sex=values["sex"],
        municipality_code=values["municipality"],
        name_kana=values.get("name_kana") or None,
        nationality=values.get("nationality") or "JP",
        residence_status=values.get("residence_status") or None,
        period_of_stay_end=values.get("period_of_stay_end") or None,
        adult_ward=_flag(values, "adult_ward"),
    )
    if not issue_cards:
        return r, None  # its ID is given when the row's savepoint is released
    from mynacard.services import cards

    w.session.flush()
    applied = cards.apply(w, r.id, kind="new", channel="window")
    card_id = applied.card.id
    cards.make(w, card_id)
    pins = {"auth": values["auth_pin"], "resident": values["resident_pin"], "card_info": values["card_info_pin"]}
    if values.get("sign_pin"):
        pins["sign"] = values["sign_pin"]
    cards.issue(
        w,
        card_id,
        identity_documents=[d.strip() for d in values["id_documents"].split(";") if d.strip()],
        pins=pins,
        want_signing=True if values.get("sign_pin") else False,
        legal_representative=values.get("representative") or None,
    )
    return r, card_id
