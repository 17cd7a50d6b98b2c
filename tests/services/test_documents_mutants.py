"""The documents the window prints, at the service level: what each kind of document says (the
holder, the municipality's letterhead, the staff member by display name, the certificates, the
dates), the values kept at the first print, the reprints (再発行) marked, counted and logged, the
list of a resident's documents, and what an unknown kind or key is told (R_CARD_1, R_PIN_5,
R_LOSS_1, R_LOSS_2, R_USE_3). Written against the mutants of ``services/documents.py``.

One store is built per module (cards, PIN resets, loss reports, a receipt, expiry notices) and
each test works on its own copy of it."""

from __future__ import annotations

import io
import shutil
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest
from pypdf import PdfReader
from sqlalchemy import select, update

from mynacard.db import repositories as repo
from mynacard.db.models import Event, ExpiryNotice, IssuedDocument, Municipality, Resident
from mynacard.db.staff import StaffAccount
from mynacard.db.store import Store
from mynacard.errors import NotFoundError, ValidationError, WrongPin
from mynacard.pdf import Reprint
from mynacard.services import batch, cards, certificates, documents, holder, loss, pins, residents
from mynacard.services.context import Office
from tests.keypool import pooled_key
from tests.services.conftest import KANAZAWA, MASTER_KEY, NAKANOTO, PINS, at, new_resident
from tests.storetemplate import migrated_store

PRINTED = at("2034-04-01")  # when the tests print
ADDRESS = "石川県鹿島郡中能登町能登部下91部23番地"  # every resident's (new_resident)
NAKANOTO_OFFICE = {"municipality": "中能登町", "prefecture": "石川県", "address": "石川県鹿島郡中能登町能登部下91-23",
                   "window": "住民課 窓口係", "phone": "0767-74-2806", "card_fee": 800, "cert_fee": 200}
KANAZAWA_OFFICE = {"municipality": "金沢市", "prefecture": "石川県", "address": "",
                   "window": "市民課 マイナンバーカード窓口", "phone": "", "card_fee": 800, "cert_fee": 200}
SIGN = "署名用電子証明書"
AUTH = "利用者証明用電子証明書"


@dataclass(frozen=True)
class World:
    path: Path
    taro: tuple[int, str]  # (resident, card): PIN reset, theft report, reissue applied (receipt)
    hanako: tuple[int, str]  # Kanazawa, handed over by an account without a display name, locked PIN reset
    jiro: tuple[int, str]  # no certificates; hotline, report, found, report again, found
    saburo: tuple[int, str]  # certificates renewed after their expiry notice
    pending_card: str  # taro's reissued card, applied for and not handed over
    receipt: str
    pin_taro: int
    pin_hanako: int
    loss_taro: int
    loss_jiro_1: int
    loss_jiro_2: int
    notices: dict[str, int]  # "hanako-cert", "saburo-cert", "jiro-card", "hanako-card", "saburo-card"


def _card(office: Office, name: str, code: str = NAKANOTO, issuer: str = "clerk", **issue) -> tuple[int, str]:
    rid = new_resident(office, name=name, municipality_code=code)
    with office.work(at=at("2025-04-01"), actor="online") as w:
        card_id = cards.apply(w, rid, channel="online").card.id
    with office.work(at=at("2025-04-20"), actor="j-lis") as w:
        cards.make(w, card_id)
    with office.work(at=at("2025-05-10"), actor=issuer) as w:
        cards.issue(w, card_id, **({"identity_documents": ["drivers_license"], "pins": PINS} | issue))
    return rid, card_id


def _loss_event(office: Office, card_id: str) -> int:
    with office.work(at=PRINTED, actor="reader") as w:
        return documents.loss_report_documents(w, card_id)["event_id"]


@pytest.fixture(scope="module")
def world(tmp_path_factory) -> World:
    path = tmp_path_factory.mktemp("documents") / "world.db"
    store = migrated_store(path)
    office = Office(store=store, master_key=MASTER_KEY, keygen=pooled_key)
    with office.work(at=at("2020-01-01"), actor="setup") as w:
        residents.add_municipality(w, NAKANOTO, "中能登町", "石川県", address="石川県鹿島郡中能登町能登部下91-23",
                                   window="住民課 窓口係", phone="0767-74-2806")
        residents.add_municipality(w, KANAZAWA, "金沢市", "石川県")
        for username, display in [("clerk", "窓口 花子"), ("cashier", "会計 次郎"), ("temp", "")]:
            w.session.add(StaffAccount(username=username, display_name=display, password_hash="-", role="clerk",
                                       municipality_code=NAKANOTO, created_at=at("2020-01-01")))
    taro = _card(office, "能登 太郎")
    hanako = _card(office, "金沢 花子", KANAZAWA, issuer="temp",
                   identity_documents=["pension_book", "health_insurance_card"])
    jiro = _card(office, "能登 次郎", certificates="none", pins={"resident": "2345", "card_info": "3456"})
    saburo = _card(office, "能登 三郎")
    with office.work(at=at("2025-06-01"), actor="clerk") as w:
        pin_taro = pins.reset(w, taro[1], "auth", "9876", identity_documents=["passport"]).event_id
    for _ in range(3):
        with pytest.raises(WrongPin), office.work(at=at("2025-06-02"), actor="holder") as w:
            holder.sign(w, hanako[1], "auth", b"login", pin="0000")
    with office.work(at=at("2025-06-03"), actor="cashier") as w:
        pin_hanako = pins.reset(w, hanako[1], "auth", "1111", identity_documents=["residence_card"]).event_id
    with office.work(at=at("2025-08-01T03:00"), actor="hotline") as w:
        loss.hotline_suspend(w, name="能登 次郎", birth_date=date(1990, 6, 15))
    with office.work(at=at("2025-08-02"), actor="clerk") as w:  # after jiro's suspension, another card
        loss.report_loss(w, taro[1], kind="theft", police_report="P-77")
    loss_taro = _loss_event(office, taro[1])
    with office.work(at=at("2025-08-03"), actor="clerk") as w:
        loss.report_loss(w, jiro[1])
    loss_jiro_1 = _loss_event(office, jiro[1])
    with office.work(at=at("2025-08-04"), actor="clerk") as w:
        loss.found(w, jiro[1])
    with office.work(at=at("2025-08-05"), actor="temp") as w:
        loss.report_loss(w, jiro[1])
    loss_jiro_2 = _loss_event(office, jiro[1])
    with office.work(at=at("2025-08-06"), actor="clerk") as w:
        loss.found(w, jiro[1])
    with office.work(at=at("2025-08-07"), actor="cashier") as w:
        applied = cards.apply(w, taro[0], kind="reissue", reason="loss", documents={"police_report": "P-77"})
        receipt, pending = applied.receipt.number, applied.card.id
    with office.work(at=at("2029-03-20"), actor="j-lis") as w:
        batch.daily(w)
    with office.work(at=at("2029-04-01"), actor="clerk") as w:  # the signing one is capped by the auth one
        certificates.renew(w, saburo[1], "auth", pin="4321")
        certificates.renew(w, saburo[1], "sign", pin="XYZ789")
    with office.work(at=at("2034-03-20"), actor="j-lis") as w:
        batch.daily(w)
    names = {taro[1]: "taro", hanako[1]: "hanako", jiro[1]: "jiro", saburo[1]: "saburo"}
    with office.work(at=PRINTED, actor="reader") as w:
        subjects = {"certificate": "cert", "card": "card"}
        notices = {f"{names[n.card_id]}-{subjects[n.subject]}": n.id for n in w.session.scalars(select(ExpiryNotice))}
    store.dispose()
    return World(path, taro, hanako, jiro, saburo, pending, receipt, pin_taro, pin_hanako, loss_taro, loss_jiro_1,
                 loss_jiro_2, notices)


@pytest.fixture
def desk(world, tmp_path):
    """An office on a copy of the module's store."""
    shutil.copyfile(world.path, tmp_path / "copy.db")
    store = Store(str(tmp_path / "copy.db"))
    yield Office(store=store, master_key=MASTER_KEY, keygen=pooled_key)
    store.dispose()


def _print(desk: Office, kind: str, key: str | int, *, when=PRINTED, actor: str = "clerk") -> documents.Printed:
    with desk.work(at=when, actor=actor) as w:
        return documents.original(w, kind, str(key))


def _kept(desk: Office, kind: str, key: str | int) -> IssuedDocument:
    with desk.work(at=PRINTED, actor="reader") as w:
        doc = w.session.scalars(select(IssuedDocument).where(IssuedDocument.kind == kind,
                                                              IssuedDocument.key == str(key))).one()
        w.session.expunge(doc)
        return doc


def _data(desk: Office, kind: str, key: str | int) -> dict:
    printed = _print(desk, kind, key)
    return _kept(desk, kind, key).data | {"_resident": printed.resident_id}


def _title(pdf: bytes) -> str:
    return PdfReader(io.BytesIO(pdf)).metadata.title


# -- what each document says ------------------------------------------------------------------
def test_the_hand_over_document_names_holder_office_certificates_identity_and_clerk_R_CARD_1(desk, world):
    rid, card_id = world.saburo
    printed = _print(desk, "handover", card_id)
    assert (printed.kind, printed.key, printed.resident_id, printed.reprint) == ("handover", card_id, rid, None)
    assert _title(printed.pdf) == "個人番号カード 交付通知書兼受領書"
    assert _kept(desk, "handover", card_id).data == {
        "name": "能登 三郎", "address": ADDRESS, "office": NAKANOTO_OFFICE, "card_id": card_id,
        "issued_on": "2025-05-10", "expires_on": "2034-06-15",
        "certificates": [  # the renewed ones, not those they replaced
            {"kind": "auth", "kind_ja": AUTH, "status_ja": "有効", "expires_on": "2034-06-15"},
            {"kind": "sign", "kind_ja": SIGN, "status_ja": "有効", "expires_on": "2034-06-15"}],
        "identity_documents": ["drivers_license"], "staff": "窓口 花子", "cert_expiry": "2034-06-15",
        "printed_at": "2034-04-01T10:00:00+09:00"}


def test_a_hand_over_by_an_account_without_display_name_is_signed_by_window_staff_R_CARD_1(desk, world):
    rid, card_id = world.hanako
    assert _data(desk, "handover", card_id) == {
        "_resident": rid, "name": "金沢 花子", "address": ADDRESS, "office": KANAZAWA_OFFICE, "card_id": card_id,
        "issued_on": "2025-05-10", "expires_on": "2034-06-15",
        "certificates": [
            {"kind": "auth", "kind_ja": AUTH, "status_ja": "有効期間満了", "expires_on": "2029-06-15"},
            {"kind": "sign", "kind_ja": SIGN, "status_ja": "有効期間満了", "expires_on": "2029-06-15"}],
        "identity_documents": ["health_insurance_card", "pension_book"], "staff": "窓口職員",
        "cert_expiry": "2029-06-15", "printed_at": "2034-04-01T10:00:00+09:00"}


def test_a_card_handed_over_without_certificates_lists_none_R_CERT_10(desk, world):
    data = _data(desk, "handover", world.jiro[1])
    assert (data["certificates"], data["cert_expiry"], data["staff"]) == ([], "none", "窓口 花子")


def test_the_receipt_shows_the_fee_lines_and_the_clerk_who_took_the_application_R_LOSS_4(desk, world):
    rid = world.taro[0]
    printed = _print(desk, "receipt", world.receipt)
    assert (printed.kind, printed.key, printed.resident_id, printed.reprint) == ("receipt", world.receipt, rid, None)
    assert _title(printed.pdf) == "領収書"
    data = _kept(desk, "receipt", world.receipt).data
    assert data == {
        "name": "能登 太郎", "address": ADDRESS, "office": NAKANOTO_OFFICE, "number": "R2025-000001",
        "application_id": data["application_id"], "issued_at": "2025-08-07T01:00:00+00:00", "total": 1000,
        "lines": [{"item": "card reissue", "item_ja": "個人番号カード再交付手数料", "amount": 800},
                  {"item": "certificate reissue", "item_ja": "電子証明書発行手数料", "amount": 200}],
        "staff": "会計 次郎"}
    with desk.work(at=PRINTED, actor="reader") as w:
        assert repo.card(w.session, world.pending_card).application_id == data["application_id"]


def test_the_pin_reset_slip_names_the_pin_the_documents_and_the_clerk_R_PIN_5(desk, world):
    printed = _print(desk, "pin_reset", world.pin_taro)
    assert (printed.kind, printed.resident_id) == ("pin_reset", world.taro[0])
    assert _title(printed.pdf) == "暗証番号 再設定 受付票"
    assert _kept(desk, "pin_reset", world.pin_taro).data == {
        "name": "能登 太郎", "address": ADDRESS, "office": NAKANOTO_OFFICE, "event_id": world.pin_taro,
        "card_id": world.taro[1], "pin_ja": "利用者証明用電子証明書の暗証番号", "was_locked": False,
        "identity_documents": ["passport"], "at": "2025-06-01T01:00:00+00:00", "staff": "窓口 花子"}
    assert _data(desk, "pin_reset", world.pin_hanako) == {
        "_resident": world.hanako[0], "name": "金沢 花子", "address": ADDRESS, "office": KANAZAWA_OFFICE,
        "event_id": world.pin_hanako, "card_id": world.hanako[1], "pin_ja": "利用者証明用電子証明書の暗証番号",
        "was_locked": True, "identity_documents": ["residence_card"], "at": "2025-06-03T01:00:00+00:00",
        "staff": "会計 次郎"}


def test_the_loss_report_slip_says_whether_this_report_suspended_the_card_R_LOSS_2(desk, world):
    printed = _print(desk, "loss_report", world.loss_taro)
    assert (printed.kind, printed.resident_id, _title(printed.pdf)) == ("loss_report", world.taro[0], "盗難届 受理票")
    # another card was suspended by the hotline before: this card was suspended by this report
    assert _kept(desk, "loss_report", world.loss_taro).data == {
        "name": "能登 太郎", "address": ADDRESS, "office": NAKANOTO_OFFICE, "event_id": world.loss_taro,
        "card_id": world.taro[1], "kind": "theft", "police_report": "P-77", "suspended_now": True,
        "at": "2025-08-02T01:00:00+00:00", "staff": "窓口 花子"}
    # suspended by the hotline before the report (found and suspended again afterwards: not counted)
    assert _data(desk, "loss_report", world.loss_jiro_1) == {
        "_resident": world.jiro[0], "name": "能登 次郎", "address": ADDRESS, "office": NAKANOTO_OFFICE,
        "event_id": world.loss_jiro_1, "card_id": world.jiro[1], "kind": "loss", "police_report": "",
        "suspended_now": False, "at": "2025-08-03T01:00:00+00:00", "staff": "窓口 花子"}
    # found in between: the second report suspended it again
    second = _data(desk, "loss_report", world.loss_jiro_2)
    assert (second["suspended_now"], second["staff"], second["event_id"]) == (True, "窓口職員", world.loss_jiro_2)


def test_a_certificate_expiry_notice_names_both_certificates_signing_first_R_USE_3(desk, world):
    key = world.notices["hanako-cert"]
    printed = _print(desk, "notice", key)
    assert (printed.kind, printed.key, printed.resident_id) == ("notice", str(key), world.hanako[0])
    assert _title(printed.pdf) == "有効期限通知書"
    data = _kept(desk, "notice", key).data
    assert data == {
        "name": "金沢 花子", "address": ADDRESS, "office": KANAZAWA_OFFICE, "notice_id": key, "subject": "certificate",
        "what_ja": "署名用電子証明書・利用者証明用電子証明書", "card_id": world.hanako[1], "expires_on": "2029-06-15",
        "sent_on": "2029-03-20", "opens_on": "2029-03-16", "application_id": data["application_id"],
        "cert_expiry": "2029-06-15"}
    with desk.work(at=PRINTED, actor="reader") as w:
        assert w.session.get(ExpiryNotice, key).application_id == data["application_id"]


def test_a_certificate_notice_printed_after_the_renewal_names_no_certificate_R_USE_3(desk, world):
    data = _data(desk, "notice", world.notices["saburo-cert"])
    assert (data["what_ja"], data["expires_on"], data["cert_expiry"]) == ("電子証明書", "2029-06-15", "2034-06-15")


def test_a_card_expiry_notice_names_the_card_R_USE_3(desk, world):
    key = world.notices["jiro-card"]
    data = _data(desk, "notice", key)
    assert data == {
        "_resident": world.jiro[0], "name": "能登 次郎", "address": ADDRESS, "office": NAKANOTO_OFFICE,
        "notice_id": key, "subject": "card", "what_ja": "個人番号カード", "card_id": world.jiro[1],
        "expires_on": "2034-06-15", "sent_on": "2034-03-20", "opens_on": "2034-03-16",
        "application_id": data["application_id"], "cert_expiry": "none"}
    hanako = _data(desk, "notice", world.notices["hanako-card"])
    assert (hanako["what_ja"], hanako["cert_expiry"]) == ("個人番号カード", "2029-06-15")


def test_records_without_the_pin_the_documents_or_the_kind_print_generic_values(desk, world):
    """A PIN reset or loss report logged without those details (an older record) still prints."""
    rid, card_id = world.saburo
    with desk.work(at=PRINTED, actor="clerk") as w:
        reset = w.log("pin_reset", resident_id=rid, card_id=card_id, pin="other")
        lost = w.log("loss_reported", resident_id=rid, card_id=card_id)
        w.session.flush()
        keys = reset.id, lost.id
    reset_data = _data(desk, "pin_reset", keys[0])
    assert (reset_data["pin_ja"], reset_data["identity_documents"], reset_data["was_locked"]) == ("暗証番号", [], False)
    lost_data = _data(desk, "loss_report", keys[1])
    assert (lost_data["kind"], lost_data["police_report"]) == ("loss", "")


# -- kept values, reprints ------------------------------------------------------------------
def test_the_first_print_keeps_the_values_and_later_prints_show_them_unchanged(desk, world):
    rid, card_id = world.taro
    first = _print(desk, "handover", card_id, when=at("2034-04-01"), actor="clerk")
    with desk.work(at=at("2034-04-02"), actor="setup") as w:
        w.session.execute(update(Resident).where(Resident.id == rid).values(name="能登 太一"))
        w.session.execute(update(Municipality).where(Municipality.code == NAKANOTO).values(window="新しい窓口"))
    again = _print(desk, "handover", card_id, when=at("2034-04-03"), actor="cashier")
    assert again == first
    doc = _kept(desk, "handover", card_id)
    assert (doc.kind, doc.key, doc.resident_id, doc.printed_at, doc.printed_by, doc.reprints,
            doc.last_reprinted_at) == ("handover", card_id, rid, at("2034-04-01"), "clerk", 0, None)
    assert (doc.data["name"], doc.data["office"]["window"], doc.data["printed_at"]) == (
        "能登 太郎", "住民課 窓口係", "2034-04-01T10:00:00+09:00")


def test_a_reprint_is_marked_numbered_dated_counted_and_logged(desk, world):
    rid, card_id = world.hanako
    _print(desk, "handover", card_id, when=at("2034-04-01"))
    with desk.work(at=at("2034-04-05"), actor="cashier") as w:
        one = documents.reprint(w, "handover", card_id)
    with desk.work(at=at("2034-04-09"), actor="clerk") as w:
        two = documents.reprint(w, "handover", card_id)
    assert (one.kind, one.key, one.resident_id) == ("handover", card_id, rid)
    assert one.reprint == Reprint(1, at("2034-04-05"), at("2034-04-01"))
    assert two.reprint == Reprint(2, at("2034-04-09"), at("2034-04-01"))
    assert _title(two.pdf) == "個人番号カード 交付通知書兼受領書（再発行）"  # noqa: RUF001
    original = _print(desk, "handover", card_id)
    assert (original.reprint, _title(original.pdf)) == (None, "個人番号カード 交付通知書兼受領書")  # unmarked
    doc = _kept(desk, "handover", card_id)
    assert (doc.reprints, doc.last_reprinted_at, doc.printed_by, doc.data["printed_at"]) == (
        2, at("2034-04-09"), "clerk", "2034-04-01T10:00:00+09:00")
    with desk.work(at=PRINTED, actor="reader") as w:
        logged = [(e.actor, e.resident_id, e.card_id, e.details) for e in
                  w.session.scalars(select(Event).where(Event.action == "document_reprinted").order_by(Event.id))]
    assert logged == [("cashier", rid, None, {"kind": "handover", "key": card_id, "reprint": 1}),
                      ("clerk", rid, None, {"kind": "handover", "key": card_id, "reprint": 2})]


def test_a_document_never_printed_is_kept_by_its_first_reprint(desk, world):
    with desk.work(at=at("2034-04-05"), actor="cashier") as w:
        first = documents.reprint(w, "receipt", world.receipt)
    assert (first.kind, first.key, first.resident_id) == ("receipt", world.receipt, world.taro[0])
    assert first.reprint == Reprint(1, at("2034-04-05"), at("2034-04-05"))
    assert _title(first.pdf) == "領収書（再発行）"  # noqa: RUF001
    doc = _kept(desk, "receipt", world.receipt)
    assert (doc.reprints, doc.printed_by, doc.data["staff"]) == (1, "cashier", "会計 次郎")


# -- the list of a resident's documents --------------------------------------------------------
def _entry(kind: str, title: str, key: str | int, day: str, path: str, *, printed: bool = False,
           reprints: int = 0) -> dict:
    return {"kind": kind, "title_ja": title, "key": str(key), "date": day, "path": f"/documents/{path}.pdf",
            "reprint_path": f"/documents/{path}/reprint.pdf", "printed": printed, "reprints": reprints}


def test_the_list_offers_every_document_of_the_resident_oldest_first(desk, world):
    with desk.work(at=PRINTED, actor="clerk") as w:
        documents.reprint(w, "loss_report", str(world.loss_jiro_2))
        documents.original(w, "handover", world.hanako[1])  # another resident's: not theirs
        listed = {name: documents.listing(w, rid) for name, rid in
                  [("taro", world.taro[0]), ("jiro", world.jiro[0]), ("hanako", world.hanako[0])]}
    taro_card, jiro_card, hanako_card = world.taro[1], world.jiro[1], world.hanako[1]
    assert listed["taro"] == [  # the reissued card, not handed over, has no hand-over document
        _entry("handover", "交付通知書兼受領書", taro_card, "2025-05-10", f"issue/{taro_card}"),
        _entry("pin_reset", "暗証番号再設定 受付票", world.pin_taro, "2025-06-01", f"pin-reset/{world.pin_taro}"),
        _entry("loss_report", "紛失届 受理票", world.loss_taro, "2025-08-02", f"loss-report/{world.loss_taro}"),
        _entry("receipt", "領収書", world.receipt, "2025-08-07", f"receipts/{world.receipt}")]
    notice = world.notices["jiro-card"]
    assert listed["jiro"] == [
        _entry("handover", "交付通知書兼受領書", jiro_card, "2025-05-10", f"issue/{jiro_card}"),
        _entry("loss_report", "紛失届 受理票", world.loss_jiro_1, "2025-08-03", f"loss-report/{world.loss_jiro_1}"),
        _entry("loss_report", "紛失届 受理票", world.loss_jiro_2, "2025-08-05", f"loss-report/{world.loss_jiro_2}",
               printed=True, reprints=1),
        _entry("notice", "有効期限通知書", notice, "2034-03-20", f"notices/{notice}")]
    cert, card = world.notices["hanako-cert"], world.notices["hanako-card"]
    assert listed["hanako"] == [
        _entry("handover", "交付通知書兼受領書", hanako_card, "2025-05-10", f"issue/{hanako_card}", printed=True),
        _entry("pin_reset", "暗証番号再設定 受付票", world.pin_hanako, "2025-06-03", f"pin-reset/{world.pin_hanako}"),
        _entry("notice", "有効期限通知書", cert, "2029-03-20", f"notices/{cert}"),
        _entry("notice", "有効期限通知書", card, "2034-03-20", f"notices/{card}")]


def test_the_paths_of_each_kind_and_of_its_reprint():
    assert [documents.path(kind, "K1") for kind in documents.KINDS] == [
        "/documents/receipts/K1.pdf", "/documents/issue/K1.pdf", "/documents/notices/K1.pdf",
        "/documents/pin-reset/K1.pdf", "/documents/loss-report/K1.pdf"]
    assert [documents.path(kind, "K1", reprint=True) for kind in documents.KINDS] == [
        "/documents/receipts/K1/reprint.pdf", "/documents/issue/K1/reprint.pdf", "/documents/notices/K1/reprint.pdf",
        "/documents/pin-reset/K1/reprint.pdf", "/documents/loss-report/K1/reprint.pdf"]


def test_the_answer_to_a_loss_report_offers_the_slip_of_the_last_report_R_LOSS_2(desk, world):
    with desk.work(at=PRINTED, actor="clerk") as w:
        slip = {"title_ja": "紛失届 受理票(PDF)", "path": f"/documents/loss-report/{world.loss_jiro_2}.pdf"}
        assert documents.loss_report_documents(w, world.jiro[1]) == {"event_id": world.loss_jiro_2, "documents": [slip]}
        assert documents.loss_report_documents(w, world.saburo[1]) == {"documents": []}


# -- whose document, and what is not one ------------------------------------------------------
def test_the_owner_is_the_resident_the_document_is_about_printed_or_not(desk, world):
    keys = [("receipt", world.receipt, world.taro[0]), ("handover", world.hanako[1], world.hanako[0]),
            ("notice", str(world.notices["jiro-card"]), world.jiro[0]),
            ("pin_reset", str(world.pin_hanako), world.hanako[0]), ("loss_report", str(world.loss_taro), world.taro[0])]
    with desk.work(at=PRINTED, actor="clerk") as w:
        assert [documents.owner(w, kind, key) for kind, key, _ in keys] == [rid for *_, rid in keys]
        for kind, key, _ in keys:
            documents.original(w, kind, key)
        assert [documents.owner(w, kind, key) for kind, key, _ in keys] == [rid for *_, rid in keys]


def _refused(desk: Office, kind: str, key: str, call=documents.owner):
    with pytest.raises((NotFoundError, ValidationError)) as err, desk.work(at=PRINTED, actor="clerk") as w:
        call(w, kind, key)
    return type(err.value), err.value.message, err.value.message_ja


def test_an_unknown_kind_of_document_is_refused_naming_the_kinds(desk, world):
    expected = (ValidationError, "Unknown document kind 'letter': one of receipt, handover, notice, pin_reset, "
                                 "loss_report.", "書類の種類が正しくありません。")
    for call in (documents.owner, documents.original, documents.reprint):
        assert _refused(desk, "letter", "1", call) == expected
    with pytest.raises(ValidationError) as err, desk.work(at=PRINTED, actor="clerk") as w:
        documents.owner(w, "letter", "1")
    assert err.value.field == "kind"


def test_an_unknown_key_is_not_found_with_the_title_of_the_document(desk, world):
    for call in (documents.owner, documents.original, documents.reprint):
        assert _refused(desk, "receipt", "R2099-000009", call) == (
            NotFoundError, "No receipt document R2099-000009.", "領収書(R2099-000009)が見つかりません。")
    for key in ("999999", "x1"):
        assert _refused(desk, "notice", key) == (
            NotFoundError, f"No notice document {key}.", f"有効期限通知書({key})が見つかりません。")
        assert _refused(desk, "pin_reset", key) == (
            NotFoundError, f"No pin reset document {key}.", f"暗証番号再設定 受付票({key})が見つかりません。")
        assert _refused(desk, "loss_report", key) == (
            NotFoundError, f"No loss report document {key}.", f"紛失届 受理票({key})が見つかりません。")


def test_an_event_of_another_kind_is_no_pin_reset_or_loss_report(desk, world):
    loss_key, pin_key = str(world.loss_taro), str(world.pin_taro)
    assert _refused(desk, "pin_reset", loss_key) == (
        NotFoundError, f"No pin reset document {loss_key}.", f"暗証番号再設定 受付票({loss_key})が見つかりません。")
    assert _refused(desk, "loss_report", pin_key) == (
        NotFoundError, f"No loss report document {pin_key}.", f"紛失届 受理票({pin_key})が見つかりません。")
    rid, card_id = world.saburo
    with desk.work(at=PRINTED, actor="clerk") as w:  # records naming no card, or no resident
        logged = [w.log("pin_reset", resident_id=rid, pin="auth", documents=["passport"]),
                  w.log("pin_reset", card_id=card_id, pin="auth", documents=["passport"]),
                  w.log("loss_reported", card_id=card_id, kind="loss")]
        w.session.flush()
        keys = [str(e.id) for e in logged]
    assert [_refused(desk, kind, key)[0] for kind, key in zip(["pin_reset", "pin_reset", "loss_report"], keys,
                                                               strict=True)] == [NotFoundError] * 3


def test_a_kept_document_is_no_document_of_another_kind_or_key(desk, world):
    notice = str(world.notices["hanako-card"])
    _print(desk, "notice", notice)
    _print(desk, "handover", world.hanako[1])
    with desk.work(at=PRINTED, actor="reader") as w:
        assert w.session.get(Event, int(notice)).action not in ("pin_reset", "loss_reported")
    assert _refused(desk, "pin_reset", notice)[0] is NotFoundError
    assert _refused(desk, "handover", "000000000000") == (
        NotFoundError, "No hand-over of card 000000000000: it has not been handed over.",
        "このカードはまだ交付されていません。")


def test_a_card_not_yet_handed_over_has_no_hand_over_document_R_CARD_1(desk, world):
    card_id = world.pending_card
    assert _refused(desk, "handover", card_id, documents.original) == (
        NotFoundError, f"No hand-over of card {card_id}: it has not been handed over.",
        "このカードはまだ交付されていません。")


def test_the_list_dates_each_document_by_the_day_in_japan(office):
    """A loss reported and a fee paid at 08:30 in Japan (23:30 the day before in UTC) are listed on
    the day the resident was at the window."""
    from mynacard.services import cards, loss
    from tests.services.conftest import at, issued_card, new_resident

    rid = new_resident(office)
    card_id = issued_card(office, rid)
    with office.work(at=at("2027-01-17T08:30"), actor="clerk") as w:
        loss.report_loss(w, card_id)
    with office.work(at=at("2027-01-20T08:30"), actor="clerk") as w:
        cards.apply(w, rid, kind="reissue", reason="loss", documents={"police_report": "第1号"})
    with office.work(at=at("2027-01-20T09:00"), actor="clerk") as w:
        days = {entry["kind"]: entry["date"] for entry in documents.listing(w, rid)}
    assert (days["loss_report"], days["receipt"]) == ("2027-01-17", "2027-01-20")
