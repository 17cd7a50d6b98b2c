"""The documents the window serves, end to end: the municipality's letterhead and the staff
member's display name (never the login ID) on them, the loss report and PIN reset slips, the
expiry notices naming what expires (R_USE_3), and reprints (再発行) rendered from what was kept
at the first print, counted and logged, refused to another municipality."""

from __future__ import annotations

import io

from pypdf import PdfReader
from sqlalchemy import update

from mynacard.db.models import Municipality
from mynacard.db.staff import StaffAccount
from tests.web.conftest import NAKANOTO, at, issue_card, register

LETTERHEAD = {"address": "石川県鹿島郡中能登町能登部下91-23", "window": "住民課 窓口係", "phone": "0767-74-2806"}


def _text(response) -> str:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/pdf"
    return PdfReader(io.BytesIO(response.content)).pages[0].extract_text()


def _setup(office, display_name: str = "窓口 花子") -> None:
    with office.store.sessions() as s:
        s.execute(update(StaffAccount).where(StaffAccount.username == "clerk").values(display_name=display_name))
        s.execute(update(Municipality).where(Municipality.code == NAKANOTO).values(**LETTERHEAD))
        s.commit()


def test_the_hand_over_receipt_names_the_clerk_by_display_name_and_the_municipality_window(staff, office):
    _setup(office)
    clerk = staff["clerk"]
    card_id = issue_card(clerk, register(clerk))
    text = _text(clerk.get(f"/documents/issue/{card_id}.pdf"))
    for expected in ("交付担当者\n窓口 花子", "石川県中能登町長", *LETTERHEAD.values(), "署名欄", "受領者署名",
                     "運転免許証", "署名用電子証明書", "令和7年4月1日"):
        assert expected in text, expected
    assert "clerk" not in text  # the login ID is no name for a resident


def test_an_account_without_a_display_name_is_printed_as_window_staff(staff, office):
    _setup(office, display_name="")
    clerk = staff["clerk"]
    card_id = issue_card(clerk, register(clerk))
    text = _text(clerk.get(f"/documents/issue/{card_id}.pdf"))
    assert "交付担当者\n窓口職員" in text and "clerk" not in text


def test_a_reprint_shows_the_document_as_first_printed_marked_and_counted(staff, office, clock):
    _setup(office)
    clerk = staff["clerk"]
    rid = register(clerk)
    card_id = issue_card(clerk, rid)
    first = _text(clerk.get(f"/documents/issue/{card_id}.pdf"))
    assert "能登 太郎 様" in first and "再発行" not in first

    clock.set(at("2025-05-10"))
    assert clerk.post(f"/api/residents/{rid}/rename", json={"new_name": "能登 花子"}).status_code == 200
    with office.store.sessions() as s:  # the window is renamed too
        s.execute(update(Municipality).where(Municipality.code == NAKANOTO).values(window="新しい窓口"))
        s.commit()
    again = _text(clerk.get(f"/documents/issue/{card_id}/reprint.pdf"))
    assert "再発行日 令和7年5月10日" in again and "原本発行日 令和7年4月1日" in again
    assert "能登 太郎 様" in again and "能登 花子" not in again  # the values kept at the first print
    assert "住民課 窓口係" in again and "新しい窓口" not in again
    assert "（第2回）" in _text(clerk.get(f"/documents/issue/{card_id}/reprint.pdf"))  # noqa: RUF001
    assert "再発行" not in _text(clerk.get(f"/documents/issue/{card_id}.pdf"))  # the original stays unmarked

    [doc] = [d for d in clerk.get(f"/api/residents/{rid}/documents").json() if d["kind"] == "handover"]
    assert doc == {"kind": "handover", "title_ja": "交付通知書兼受領書", "key": card_id, "date": "2025-04-01",
                   "path": f"/documents/issue/{card_id}.pdf", "reprint_path": f"/documents/issue/{card_id}/reprint.pdf",
                   "printed": True, "reprints": 2}
    events = clerk.get("/api/events", params={"resident_id": rid}).json()
    assert [e["details"]["reprint"] for e in events if e["action"] == "document_reprinted"] in ([1, 2], [2, 1])


def test_a_document_never_printed_can_be_reprinted_and_the_list_offers_every_document(staff, office, clock):
    clerk = staff["clerk"]
    rid = register(clerk)
    card_id = issue_card(clerk, rid)
    clock.set(at("2025-05-01"))
    lost = clerk.post(f"/api/cards/{card_id}/loss-report", json={"kind": "theft", "police_report": "P-77"})
    assert lost.status_code == 200, lost.text
    [slip] = lost.json()["documents"]
    assert slip == {"title_ja": "紛失届 受理票(PDF)", "path": f"/documents/loss-report/{lost.json()['event_id']}.pdf"}
    r = clerk.post(f"/api/residents/{rid}/applications",
                   json={"kind": "reissue", "reason": "loss", "documents": {"police_report": "P-77"}})
    assert r.status_code == 201, r.text
    number = r.json()["receipt"]["number"]

    reprinted = _text(clerk.get(f"/documents/receipts/{number}/reprint.pdf"))
    assert "再発行日 令和7年5月1日" in reprinted and number in reprinted
    listed = {d["kind"]: d for d in clerk.get(f"/api/residents/{rid}/documents").json()}
    assert set(listed) == {"handover", "loss_report", "receipt"}
    assert (listed["receipt"]["reprints"], listed["handover"]["printed"]) == (1, False)

    text = _text(clerk.get(slip["path"]))
    for expected in ("盗難届 受理票", "個人番号カードの盗難", "P-77", "この届出により停止しました", "届出人署名",
                     "再交付を申請するときの持ち物", "個人番号カード 800円"):
        assert expected in text, expected
    receipt = _text(clerk.get(f"/documents/receipts/{number}.pdf")).replace("\n", "")
    assert "として領収しました" in receipt and "再発行" not in receipt


def test_the_pin_reset_slip_names_the_pin_and_the_identity_documents_R_PIN_5(staff):
    clerk = staff["clerk"]
    card_id = issue_card(clerk, register(clerk))
    r = clerk.post(f"/api/cards/{card_id}/pins/auth/reset",
                   json={"new_value": "9876", "identity_documents": ["passport"]})
    assert r.status_code == 200, r.text
    text = _text(clerk.get(r.json()["documents"][0]["path"]))
    for expected in ("暗証番号 再設定 受付票", "利用者証明用電子証明書の暗証番号", "旅券", "手数料\n無料",
                     "申請者署名"):
        assert expected in text, expected
    assert "9876" not in text  # never a PIN


def test_expiry_notices_name_the_certificates_or_the_card_with_what_to_bring_R_USE_3(staff, clock):
    clerk, supervisor = staff["clerk"], staff["super"]
    rid = register(clerk)  # born 1990-06-15: certificates expire 2029-06-15, the card 2034-06-15
    issue_card(clerk, rid)
    clock.set(at("2029-03-20"))
    [cert] = supervisor.post("/api/batch/daily").json()["notices"]
    text = _text(clerk.get(cert["pdf"])).replace("\n", "")
    for expected in ("有効期限通知書", "署名用電子証明書・利用者証明用電子証明書の有効期限が近づいています",
                     "令和11年6月15日", "お持ちいただくもの", "暗証番号", "地方公共団体情報システム機構"):
        assert expected in text, expected
    assert "申請書ID" not in text

    clock.set(at("2034-03-20"))
    card = [n for n in supervisor.post("/api/batch/daily").json()["notices"] if n["subject"] == "card"]
    assert len(card) == 1
    text = _text(clerk.get(card[0]["pdf"]))
    app_id = card[0]["application_id"]
    assert " ".join(app_id[i:i + 4] for i in range(0, 23, 4)) in text
    assert "個人番号カードの有効期限が近づいています" in text and "顔写真" in text
    assert "再発行" in _text(clerk.get(card[0]["pdf"].replace(".pdf", "/reprint.pdf")))


def test_another_municipalitys_clerk_cannot_see_or_reprint_a_document(staff):
    clerk, other = staff["clerk"], staff["kanazawa"]
    rid = register(clerk)
    card_id = issue_card(clerk, rid)
    for path in (f"/documents/issue/{card_id}.pdf", f"/documents/issue/{card_id}/reprint.pdf",
                 f"/api/residents/{rid}/documents"):
        assert other.get(path).status_code == 404, path
    listed = clerk.get(f"/api/residents/{rid}/documents").json()
    assert listed[0]["printed"] is False and listed[0]["reprints"] == 0  # nothing kept by the refusals
    assert clerk.get("/documents/loss-report/999999.pdf").status_code == 404
    assert clerk.get("/documents/notices/999999/reprint.pdf").status_code == 404


def test_the_administrator_sets_the_letterhead_when_registering_a_municipality(staff):
    root = staff["root"]
    r = root.post("/api/municipalities", json={"code": "172014", "name": "金沢市", "prefecture": "石川県"})
    assert r.json()["window"] == "市民課 マイナンバーカード窓口"  # registered by the fixture: the sandbox default
    r = root.post("/api/municipalities", json={"code": "172031", "name": "小松市", "prefecture": "石川県",
                                               "address": "石川県小松市小馬出町91", "window": "市民課 窓口",
                                               "phone": "0761-22-4111"})
    assert r.status_code == 201, r.text
    assert {k: r.json()[k] for k in ("address", "window", "phone")} == {
        "address": "石川県小松市小馬出町91", "window": "市民課 窓口", "phone": "0761-22-4111"}
    bad = root.post("/api/municipalities", json={"code": "172049", "name": "輪島市", "prefecture": "石川県",
                                                 "phone": "call us"})
    assert bad.status_code == 422
