"""The tables of the office and of J-LIS (SQLAlchemy 2 declarative models)."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, validates

from mynacard.db.types import AwareDateTime, BigSerial
from mynacard.rules.text import given_name_key, search_key

#: A search key column: compared byte by byte (code point order) on PostgreSQL too, so that a
#: prefix is a range of the index whatever the database's collation (``repositories.prefix``).
SearchKey = String(200).with_variant(String(200, collation="C"), "postgresql")


class Base(DeclarativeBase):
    pass


class CardState(StrEnum):
    """カードの状態. applied -> made -> issued -> suspended / expired / returned / lapsed / reissued."""

    APPLIED = "applied"  # 交付申請受付
    MADE = "made"  # J-LIS が作成し市区町村へ送付済み
    ISSUED = "issued"  # 交付済み (有効)
    SUSPENDED = "suspended"  # 一時停止 (紛失等)
    EXPIRED = "expired"  # 有効期限切れ
    RETURNED = "returned"  # 返納
    LAPSED = "lapsed"  # 失効 (継続利用の期限切れ、番号変更など)
    REISSUED = "reissued"  # 再交付・更新により旧カードとなった
    CANCELLED = "cancelled"  # 申請の取下げ (never handed over)


CARD_STATE_JA = {
    CardState.APPLIED: "申請受付",
    CardState.MADE: "作成済み(未交付)",
    CardState.ISSUED: "交付済み(有効)",
    CardState.SUSPENDED: "一時停止中",
    CardState.EXPIRED: "有効期限切れ",
    CardState.RETURNED: "返納済み",
    CardState.LAPSED: "失効",
    CardState.REISSUED: "再交付済み(旧カード)",
    CardState.CANCELLED: "申請取下げ",
}

#: Cards in these states have lost effect for good.
CARD_ENDED = frozenset(
    {CardState.EXPIRED, CardState.RETURNED, CardState.LAPSED, CardState.REISSUED, CardState.CANCELLED}
)


class CertStatus(StrEnum):
    GOOD = "good"  # 有効
    HOLD = "hold"  # 一時保留
    REVOKED = "revoked"  # 失効
    EXPIRED = "expired"  # 有効期間満了


CERT_STATUS_JA = {
    CertStatus.GOOD: "有効",
    CertStatus.HOLD: "一時保留",
    CertStatus.REVOKED: "失効",
    CertStatus.EXPIRED: "有効期間満了",
}


#: The window named on documents when the municipality set none (sandbox default).
WINDOW_DEFAULT = "市民課 マイナンバーカード窓口"


class Municipality(Base):
    __tablename__ = "municipalities"

    code: Mapped[str] = mapped_column(String(6), primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    prefecture: Mapped[str] = mapped_column(String(20))
    card_fee: Mapped[int] = mapped_column(Integer, default=800)
    cert_fee: Mapped[int] = mapped_column(Integer, default=200)
    # 住民票の写し at a convenience-store kiosk (コンビニ交付): each municipality sets its fee.
    kiosk_fee: Mapped[int] = mapped_column(Integer, default=200, server_default="200")
    # R_LOSS_3 [policy]: "release" lifts holds when a card is found; "reissue" revokes them.
    found_policy: Mapped[str] = mapped_column(String(10), default="release")
    # The letterhead of the documents the window prints: the office's address, the window that
    # handles the card (担当窓口) and its telephone. Empty address or phone: not printed.
    address: Mapped[str] = mapped_column(String(200), default="", server_default="")
    window: Mapped[str] = mapped_column(String(100), default=WINDOW_DEFAULT, server_default=WINDOW_DEFAULT)
    phone: Mapped[str] = mapped_column(String(30), default="", server_default="")


class Resident(Base):
    __tablename__ = "residents"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # The individual number is never stored in clear: sealed (AES-GCM) for reading it back, and
    # a keyed hash (HMAC) for finding the resident by it. See ``repositories.number_of``.
    number_sealed: Mapped[bytes] = mapped_column(LargeBinary)
    number_hash: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    name_kana: Mapped[str | None] = mapped_column(String(200))
    # How the name and its フリガナ are found (``rules.text.search_key``): kept in step with
    # ``name`` and ``name_kana`` whenever they are set, indexed for search and the hotline.
    name_key: Mapped[str] = mapped_column(SearchKey, index=True, default="", server_default="")
    kana_key: Mapped[str] = mapped_column(SearchKey, index=True, default="", server_default="")
    # the given name alone (after the first space), written and in フリガナ
    given_key: Mapped[str] = mapped_column(SearchKey, index=True, default="", server_default="")
    given_kana_key: Mapped[str] = mapped_column(SearchKey, index=True, default="", server_default="")
    address: Mapped[str] = mapped_column(String(400))
    birth_date: Mapped[date] = mapped_column(Date)
    sex: Mapped[str] = mapped_column(String(1))  # 1 male, 2 female, 9 not known (R_CERT_9)
    municipality_code: Mapped[str] = mapped_column(ForeignKey("municipalities.code"))
    nationality: Mapped[str] = mapped_column(String(2), default="JP")
    residence_status: Mapped[str | None] = mapped_column(String(60))
    period_of_stay_end: Mapped[date | None] = mapped_column(Date)
    adult_ward: Mapped[bool] = mapped_column(Boolean, default=False)
    dv_protected: Mapped[bool] = mapped_column(Boolean, default=False)
    moving_out_filed: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(AwareDateTime)

    @validates("name", "name_kana")
    def _keep_search_keys(self, field: str, value: str | None) -> str | None:
        if field == "name":
            self.name_key, self.given_key = search_key(value), given_name_key(value)
        else:
            self.kana_key, self.given_kana_key = search_key(value), given_name_key(value)
        return value


class Application(Base):
    """交付申請. The 23-digit application ID is the key (R_CARD_1)."""

    __tablename__ = "applications"

    id: Mapped[str] = mapped_column(String(23), primary_key=True)
    resident_id: Mapped[int] = mapped_column(ForeignKey("residents.id"), index=True)
    kind: Mapped[str] = mapped_column(String(10))  # new / renewal / reissue
    reason: Mapped[str] = mapped_column(String(30))  # ReissueReason value
    channel: Mapped[str] = mapped_column(String(10))  # mail / online / booth / window
    received_on: Mapped[date] = mapped_column(Date)
    express: Mapped[bool] = mapped_column(Boolean, default=False)
    documents: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    replaces_card_id: Mapped[str | None] = mapped_column(ForeignKey("cards.id"))
    status: Mapped[str] = mapped_column(String(12), default="received")
    fee_total: Mapped[int] = mapped_column(Integer, default=0)
    # The holder's choice of certificates (rules.certchoice.CertChoice: both/sign/auth/none);
    # None on applications received before the choice was recorded.
    certificates: Mapped[str | None] = mapped_column(String(4))


#: Card states of a current card (at most one per resident) and of a pending one (likewise).
CURRENT_WHERE = "state IN ('issued', 'suspended')"
PENDING_WHERE = "state IN ('applied', 'made')"


class Card(Base):
    __tablename__ = "cards"
    # Invariants the store enforces whatever a workflow does: one current card per resident,
    # and one card being made (R_CARD_1). A violation is refused (ConflictError), never stored.
    __table_args__ = (
        Index("ix_cards_state_expires_on", "state", "expires_on"),  # the batch
        Index("uq_cards_one_current", "resident_id", unique=True,
              sqlite_where=text(CURRENT_WHERE), postgresql_where=text(CURRENT_WHERE)),
        Index("uq_cards_one_pending", "resident_id", unique=True,
              sqlite_where=text(PENDING_WHERE), postgresql_where=text(PENDING_WHERE)),
    )

    id: Mapped[str] = mapped_column(String(16), primary_key=True)
    resident_id: Mapped[int] = mapped_column(ForeignKey("residents.id"), index=True)
    application_id: Mapped[str] = mapped_column(String(23), index=True)
    state: Mapped[str] = mapped_column(String(12), default=CardState.APPLIED)
    made_on: Mapped[date | None] = mapped_column(Date)
    issued_on: Mapped[date | None] = mapped_column(Date)
    expires_on: Mapped[date | None] = mapped_column(Date)
    # The R_CARD_2 limit of the original issue: the cap of visa-renewal extensions (R_CARD_9).
    limit_on: Mapped[date | None] = mapped_column(Date)
    notes: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)  # 追記欄
    # セキュリティコード (card face), sealed: read and written through ``repositories.security_code_of``
    # and ``set_security_code`` only.
    security_code_sealed: Mapped[bytes | None] = mapped_column(LargeBinary)
    suspended_at: Mapped[datetime | None] = mapped_column(AwareDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(AwareDateTime)
    end_reason: Mapped[str | None] = mapped_column(String(40))
    continued_use_by: Mapped[date | None] = mapped_column(Date)  # R_CARD_8 deadline if pending
    # 電子証明書の有効期限 記載欄 on the face: the date the holder writes there (the earliest
    # expiry of the certificates in effect), None while the card carries none.
    cert_expires_on: Mapped[date | None] = mapped_column(Date)
    chip_state: Mapped[str | None] = mapped_column(Text)


class ChipPin(Base):
    """One PIN object of a card's chip: its sealed verifier and its error counter (R_PIN_4).

    Kept apart from ``Card.chip_state`` so that a try is spent by a conditional UPDATE of one
    row (``tries_left = tries_left - 1 WHERE tries_left > 0``), committed before the PIN is
    compared. ``pin`` is a ``PinId`` or a card-face ``FacePin`` (whose verifier is NULL: it is
    compared with the card data); ``generation`` grows each time the PIN is set.
    """

    __tablename__ = "chip_pins"

    card_id: Mapped[str] = mapped_column(ForeignKey("cards.id"), primary_key=True)
    pin: Mapped[str] = mapped_column(String(12), primary_key=True)
    tries_left: Mapped[int] = mapped_column(Integer)
    generation: Mapped[int] = mapped_column(Integer, default=0)
    verifier: Mapped[bytes | None] = mapped_column(LargeBinary)


class Certificate(Base):
    __tablename__ = "certificates"
    __table_args__ = (
        Index("ix_certificates_kind_status", "kind", "status"),  # CRLs: the listed of a CA
        Index("ix_certificates_kind_revoked_at", "kind", "revoked_at"),  # delta CRLs: changed since
        Index("ix_certificates_status_expires_on", "status", "expires_on"),  # the batch: expiring
        Index("ix_certificates_kind_municipality_status", "kind", "municipality_code", "status"),  # CRL partitions
    )

    serial: Mapped[int] = mapped_column(BigSerial, primary_key=True)
    kind: Mapped[str] = mapped_column(String(4))  # sign / auth
    card_id: Mapped[str] = mapped_column(ForeignKey("cards.id"), index=True)
    resident_id: Mapped[int] = mapped_column(ForeignKey("residents.id"), index=True)
    municipality_code: Mapped[str] = mapped_column(String(6), index=True)
    status: Mapped[str] = mapped_column(String(8), default=CertStatus.GOOD)
    not_before: Mapped[datetime] = mapped_column(AwareDateTime)
    expires_on: Mapped[date] = mapped_column(Date)
    revoked_at: Mapped[datetime | None] = mapped_column(AwareDateTime)
    reason: Mapped[str | None] = mapped_column(String(30))
    der: Mapped[bytes] = mapped_column(LargeBinary)


class CertificateAuthorityRow(Base):
    __tablename__ = "certificate_authorities"

    kind: Mapped[str] = mapped_column(String(4), primary_key=True)
    certificate_der: Mapped[bytes] = mapped_column(LargeBinary)
    sealed_key: Mapped[bytes] = mapped_column(LargeBinary)  # empty when the key is in a token
    # RFC 7512 URI of the key in a PKCS#11 token (HSM); None when sealed_key holds it.
    key_ref: Mapped[str | None] = mapped_column(String(200))
    crl_number: Mapped[int] = mapped_column(Integer, default=0)


class Receipt(Base):
    """領収書: fees paid at the window (R_LOSS_4, R_LOSS_5)."""

    __tablename__ = "receipts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    number: Mapped[str] = mapped_column(String(20), unique=True)
    application_id: Mapped[str] = mapped_column(ForeignKey("applications.id"))
    resident_id: Mapped[int] = mapped_column(ForeignKey("residents.id"))
    issued_at: Mapped[datetime] = mapped_column(AwareDateTime)
    lines: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    total: Mapped[int] = mapped_column(Integer)


class Move(Base):
    """A move to another municipality awaiting the card's continued use (R_CARD_8)."""

    __tablename__ = "moves"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    resident_id: Mapped[int] = mapped_column(ForeignKey("residents.id"), index=True)
    card_id: Mapped[str | None] = mapped_column(ForeignKey("cards.id"))
    from_code: Mapped[str] = mapped_column(String(6))
    to_code: Mapped[str] = mapped_column(String(6))
    planned_move_out_on: Mapped[date] = mapped_column(Date)
    moved_in_on: Mapped[date | None] = mapped_column(Date)
    notice_on: Mapped[date | None] = mapped_column(Date)
    new_address: Mapped[str | None] = mapped_column(String(400))
    present_by: Mapped[date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(12), default="moving_out")


class Event(Base):
    """The append-only event log: every workflow step, who, when, what."""

    __tablename__ = "events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(AwareDateTime, index=True)
    actor: Mapped[str] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(50))
    resident_id: Mapped[int | None] = mapped_column(Integer, index=True)
    card_id: Mapped[str | None] = mapped_column(String(16), index=True)
    certificate_serial: Mapped[int | None] = mapped_column(BigSerial)
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class NumberRead(Base):
    """A read of an individual number: who, when, for what purpose (R_NUM_3)."""

    __tablename__ = "number_reads"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(AwareDateTime)
    actor: Mapped[str] = mapped_column(String(100))
    resident_id: Mapped[int] = mapped_column(ForeignKey("residents.id"), index=True)
    purpose: Mapped[str] = mapped_column(String(30))


class ExpiryNotice(Base):
    """有効期限通知書 sent by J-LIS 2-3 months before expiry, with the renewal application ID."""

    __tablename__ = "expiry_notices"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    card_id: Mapped[str] = mapped_column(ForeignKey("cards.id"), index=True)
    subject: Mapped[str] = mapped_column(String(12))  # card / certificate
    expires_on: Mapped[date] = mapped_column(Date)
    sent_on: Mapped[date] = mapped_column(Date, index=True)
    application_id: Mapped[str] = mapped_column(String(23))
    # marked by the clerk who printed it for mailing (the batch page's print queue)
    printed_at: Mapped[datetime | None] = mapped_column(AwareDateTime)
    printed_by: Mapped[str | None] = mapped_column(String(64))


class WindowRecord(Base):
    """A fact recorded at the window that a free reissue rests on (R_LOSS_4): an administrative
    error of the municipality or J-LIS (事務誤り), confirmed by a supervisor (責任者), or a
    moving-in from abroad (国外からの転入). One record pays for one card: ``used_by`` names the
    application that claimed it."""

    __tablename__ = "window_records"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(30))  # admin_error / moved_in_from_abroad
    resident_id: Mapped[int] = mapped_column(ForeignKey("residents.id"), index=True)
    card_id: Mapped[str | None] = mapped_column(ForeignKey("cards.id"))  # the card the error concerns
    occurred_on: Mapped[date] = mapped_column(Date)
    description: Mapped[str] = mapped_column(String(400))
    recorded_by: Mapped[str] = mapped_column(String(100))
    recorded_role: Mapped[str] = mapped_column(String(20))
    recorded_at: Mapped[datetime] = mapped_column(AwareDateTime)
    used_by: Mapped[str | None] = mapped_column(String(23))  # the application ID that claimed it


class StoreMeta(Base):
    """Facts about the store itself, e.g. the check value of the master key it is written under
    (``master_key_check``), so that opening it with another key is refused at once."""

    __tablename__ = "store_meta"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    value: Mapped[str] = mapped_column(String(200))


class IssuedDocument(Base):
    """A document the window printed (領収書, 交付受領書, 有効期限通知書, 受付票, 受理票): the values
    printed on it as they were at the first print, so that a reprint (再発行) shows the same
    document even after the resident, the staff member or the municipality changed."""

    __tablename__ = "issued_documents"
    __table_args__ = (Index("ix_issued_documents_kind_key", "kind", "key", unique=True),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(20))  # receipt / handover / pin_reset / loss_report / notice
    key: Mapped[str] = mapped_column(String(40))  # the receipt number, card ID, event or notice ID
    resident_id: Mapped[int] = mapped_column(Integer, index=True)
    printed_at: Mapped[datetime] = mapped_column(AwareDateTime)
    printed_by: Mapped[str] = mapped_column(String(64))
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    reprints: Mapped[int] = mapped_column(Integer, default=0)
    last_reprinted_at: Mapped[datetime | None] = mapped_column(AwareDateTime)
