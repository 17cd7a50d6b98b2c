"""The printed documents as a holder sees them: each page is rendered (pypdfium2) and read back
(pypdf, and PDFium's character boxes), and the layout is checked where it matters: each fee on
its own row with its amount in one right-aligned column and no label running into its amount,
the total and a closing line naming every fee (R_LOSS_4), a signature box drawn where the holder
signs, the expiry notice naming what expires with a readable QR code of the application ID
(R_USE_3), the letterhead, the staff member's name, 和暦 dates, and the 再発行 mark on reprints."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import datetime

import pytest
from pypdf import PdfReader

from mynacard import pdf
from mynacard.pdf import Reprint
from mynacard.timeutil import JST

pdfium = pytest.importorskip("pypdfium2", reason="pypdfium2 (the test extra) renders the pages")

SCALE = 3  # 216 dpi
MM = 72 / 25.4
OFFICE = {"municipality": "中能登町", "prefecture": "石川県", "address": "石川県鹿島郡中能登町能登部下91-23",
          "window": "住民課 マイナンバーカード窓口", "phone": "0767-74-0000"}
HOLDER = {"name": "能登 太郎", "address": "石川県鹿島郡中能登町末坂10-1", "office": OFFICE, "staff": "窓口 花子"}
FEES = [{"item": "card reissue", "item_ja": "個人番号カード再交付手数料", "amount": 800},
        {"item": "certificate reissue", "item_ja": "電子証明書発行手数料", "amount": 200},
        {"item": "express issuance", "item_ja": "特急発行手数料", "amount": 1800}]
RECEIPT = {**HOLDER, "number": "R2027-000007", "application_id": "1" * 23,
           "issued_at": "2027-01-20T10:00:00+09:00", "lines": FEES, "total": 2800}
HANDOVER = {**HOLDER, "card_id": "ABCDEF123456", "issued_on": "2025-04-01", "expires_on": "2035-06-15",
            "certificates": [{"kind": "sign", "kind_ja": "署名用電子証明書", "status_ja": "有効",
                              "expires_on": "2030-06-15"},
                             {"kind": "auth", "kind_ja": "利用者証明用電子証明書", "status_ja": "有効",
                              "expires_on": "2030-06-15"}],
            "identity_documents": ["drivers_license"], "printed_at": "2025-04-01T10:00:00+09:00"}
NOTICE = {**HOLDER, "notice_id": 12, "subject": "card", "what_ja": "個人番号カード", "card_id": "ABCDEF123456",
          "expires_on": "2035-06-15", "sent_on": "2035-03-20", "opens_on": "2035-03-16",
          "application_id": "17407620350320123456789"}
CERT_NOTICE = {**NOTICE, "subject": "certificate", "what_ja": "署名用電子証明書・利用者証明用電子証明書",
               "expires_on": "2030-06-15", "sent_on": "2030-03-20", "opens_on": "2030-03-16"}
PIN_RESET = {**HOLDER, "event_id": 42, "card_id": "ABCDEF123456", "pin_ja": "利用者証明用電子証明書の暗証番号",
             "was_locked": True, "identity_documents": ["passport"], "at": "2025-04-01T10:00:00+09:00"}
LOSS = {**HOLDER, "event_id": 57, "card_id": "ABCDEF123456", "kind": "loss", "police_report": "P-1",
        "suspended_now": True, "at": "2027-01-10T09:15:00+09:00"}
ALL = {"receipt": RECEIPT, "handover": HANDOVER, "notice": NOTICE, "pin_reset": PIN_RESET, "loss_report": LOSS}


@dataclass(frozen=True)
class Box:
    """A text's box in PDF points (origin bottom left)."""

    left: float
    bottom: float
    right: float
    top: float

    def overlaps(self, o: Box) -> bool:
        return self.left < o.right and o.left < self.right and self.bottom < o.top and o.bottom < self.top


class Page:
    """One rendered page: its text (pypdf), the boxes of its texts and its pixels (PDFium)."""

    def __init__(self, data: bytes) -> None:
        assert data.startswith(b"%PDF")
        reader = PdfReader(io.BytesIO(data))
        assert len(reader.pages) == 1
        self.text = reader.pages[0].extract_text()
        self.doc = pdfium.PdfDocument(data)
        self.page = self.doc[0]
        self.height = self.page.get_height()
        self.tp = self.page.get_textpage()
        self.image = self.page.render(scale=SCALE, grayscale=True).to_pil().convert("L")
        PAGES.append(self)

    def close(self) -> None:
        self.tp.close()
        self.page.close()
        self.doc.close()

    def boxes(self, text: str) -> list[Box]:
        """The boxes of ``text`` where it is not the tail of a longer number ("800 円" in "1,800 円")."""
        found = []
        search = self.tp.search(text, match_case=True)
        while (hit := search.get_next()) is not None:
            start, count = hit
            if start > 0 and text[0].isdigit() and self.tp.get_text_range(start - 1, 1) in "0123456789,":
                continue
            chars = [self.tp.get_charbox(i) for i in range(start, start + count)]
            found.append(Box(min(c[0] for c in chars), min(c[1] for c in chars),
                             max(c[2] for c in chars), max(c[3] for c in chars)))
        return found

    def box(self, text: str, *, starts_at: float | None = None) -> Box:
        """The one box of ``text`` (the one starting ``starts_at`` points from the left, if given)."""
        found = [b for b in self.boxes(text) if starts_at is None or abs(b.left - starts_at) < 2]
        assert len(found) == 1, (text, found)
        return found[0]

    def dark(self, x: float, y: float) -> bool:
        """Is the pixel at PDF point (x, y) drawn (darker than the light grey of the shading)?"""
        return self.image.getpixel((round(x * SCALE), round((self.height - y) * SCALE))) < 128


PAGES: list[Page] = []


@pytest.fixture(autouse=True)
def _close_pages():
    yield
    while PAGES:
        PAGES.pop().close()


def _receipt(**change) -> Page:
    return Page(pdf.receipt_pdf({**RECEIPT, **change}))


def test_each_fee_has_its_own_row_with_its_amount_right_aligned_and_the_total_R_LOSS_4():
    page = _receipt()
    rows = [(x["item_ja"], f"{x['amount']:,} 円") for x in FEES] + [("合計", "2,800 円")]
    previous = None
    for label, amount in rows:
        lb = page.box(label, starts_at=23 * MM)  # in the table, not in the closing line
        [ab] = [b for b in page.boxes(amount) if b.right > 150 * MM]  # the amounts' column
        assert abs(lb.bottom - ab.bottom) < 2, (label, "label and amount share the row's baseline")
        assert lb.right < ab.left - 10, (label, "the label ends well before its amount")
        heading = max(page.boxes("金額"), key=lambda b: b.right)
        assert abs(ab.right - heading.right) < 1.5, (amount, "amounts align under the 金額 heading")
        if previous is not None:
            assert lb.top < previous.bottom, (label, "each fee is on a row below the previous one")
        previous = lb
    for label, amount in rows:
        assert f"{label}\n{amount}" in page.text or f"{label} {amount}" in page.text, label


def test_a_long_fee_label_never_runs_into_its_amount():
    long_label = "個人番号カード再交付手数料(紛失・盗難・破損による再交付、電子証明書の再発行を含む)"
    page = _receipt(lines=[{"item_ja": long_label, "amount": 1000}], total=1000)
    label = page.box(long_label, starts_at=23 * MM)
    amounts = [b for b in page.boxes("1,000 円") if b.right > 150 * MM]
    assert amounts and all(not label.overlaps(a) and label.right < a.left for a in amounts)


def test_the_receipts_closing_line_names_every_fee_and_the_amount_received_R_LOSS_4():
    page = _receipt()
    text = page.text.replace("\n", "")
    closing = "上記の金額を、個人番号カード再交付手数料、電子証明書発行手数料及び特急発行手数料として領収しました。"
    assert closing in text
    assert "金　2,800 円" in page.text
    one = Page(pdf.receipt_pdf({**RECEIPT, "lines": FEES[:1], "total": 800})).text.replace("\n", "")
    assert "上記の金額を、個人番号カード再交付手数料として領収しました。" in one


def test_documents_carry_the_municipal_letterhead_the_staff_name_and_wareki_dates():
    expected_dates = {"receipt": "令和9年1月20日", "handover": "令和7年4月1日", "notice": "令和17年3月20日",
                      "pin_reset": "令和7年4月1日", "loss_report": "令和9年1月10日"}
    for kind, data in ALL.items():
        text = Page(pdf.render(kind, data)).text
        for expected in ("能登 太郎 様", OFFICE["address"], "住民課 マイナンバーカード窓口", "0767-74-0000",
                         expected_dates[kind]):
            assert expected in text, (kind, expected)
        if kind != "notice":  # mailed by J-LIS: no staff member
            assert "石川県中能登町長" in text and "窓口 花子" in text, kind
        assert "再発行" not in text, kind


def _signature_box(page: Page) -> tuple[float, float]:
    """The top and bottom (PDF points) of the bordered box around the 署名欄 label."""
    label = page.box("署名欄")
    x = (label.left + label.right) / 2
    y = label.top + 1
    while not page.dark(x, y):
        y += 0.5
        assert y < page.height, "no border above the 署名欄 label"
    top = y
    y = label.bottom - 1
    while not page.dark(x, y):
        y -= 0.5
        assert y > 0, "no border below the 署名欄 label"
    return top, y


@pytest.mark.parametrize(("kind", "who"), [("handover", "受領者署名"), ("pin_reset", "申請者署名"),
                                           ("loss_report", "届出人署名")])
def test_the_holder_signs_in_a_drawn_signature_box(kind, who):
    page = Page(pdf.render(kind, ALL[kind]))
    top, bottom = _signature_box(page)
    assert top - bottom > 18 * MM, "room to sign"
    for y in (top, bottom):  # the border runs across the page
        drawn = sum(page.dark(x, y) for x in range(int(22 * MM), int(188 * MM), 3))
        assert drawn / len(range(int(22 * MM), int(188 * MM), 3)) > 0.95
    line = page.box(who)
    assert bottom < line.bottom and line.top < top, "the name line is inside the box"
    # the writing space is blank: nothing drawn between the label column and the right border
    blank = [page.dark(x, (top + bottom) / 2) for x in range(int(50 * MM), int(185 * MM), 2)]
    assert not any(blank)


def test_receipts_and_notices_have_no_signature_box():
    for kind in ("receipt", "notice"):
        assert "署名欄" not in Page(pdf.render(kind, ALL[kind])).text


def test_the_hand_over_receipt_names_the_clerk_and_the_certificates_not_a_login_id():
    text = Page(pdf.handover_pdf(HANDOVER)).text
    for expected in ("個人番号カード 交付通知書兼受領書", "ABCDEF123456", "令和17年6月15日", "署名用電子証明書",
                     "利用者証明用電子証明書", "運転免許証", "交付担当者\n窓口 花子",
                     "上記の個人番号カードを受領しました"):
        assert expected in text, expected


@pytest.mark.parametrize("cert_expiry", ["2030-06-15", {"sign": "2030-06-15", "auth": "2030-06-15"}, "none", None])
def test_an_optional_certificate_expiry_line_is_printed_when_given(cert_expiry):
    for kind in ("handover", "notice"):
        data = {**ALL[kind], **({} if cert_expiry is None else {"cert_expiry": cert_expiry})}
        text = Page(pdf.render(kind, data)).text
        if cert_expiry is None:
            assert "電子証明書有効期限" not in text and "電子証明書の有効期限" not in text
        elif isinstance(cert_expiry, str):
            if cert_expiry == "none":  # a card without certificates: the card face's field stays blank
                assert "電子証明書の有効期限 記載欄\n電子証明書なし" in text, kind
            else:
                assert "電子証明書の有効期限 記載欄\n令和12年6月15日（2030-06-15）" in text, kind  # noqa: RUF001
        else:
            assert "署名用電子証明書の有効期限" in text and "利用者証明用電子証明書の有効期限" in text, kind


def test_the_card_expiry_notice_gives_the_application_id_as_text_and_as_a_readable_qr_code_R_USE_3():
    import segno

    page = Page(pdf.notice_pdf(NOTICE))
    for expected in ("有効期限通知書", "通知番号", "個人番号カードの有効期限が近づいています",
                     "令和17年6月15日（2035-06-15）",  # noqa: RUF001
                     "1740 7620 3503 2012 3456 789", "令和17年3月16日から令和17年6月15日まで", "3か月前から",
                     "お持ちいただくもの", "この通知書", "現在お持ちの個人番号カード", "顔写真",
                     "地方公共団体情報システム機構", "石川県中能登町長の委任により送付"):
        assert expected in page.text, expected
    # the QR code sits above its caption: find its modules' extent, sample each module's centre
    # and compare with the application ID's own code
    caption = max(page.boxes("申請書ID"), key=lambda b: b.left)  # right of the table
    middle = (caption.left + caption.right) / 2
    region = (round((middle - 12 * MM) * SCALE), round((page.height - caption.top - 31 * MM) * SCALE),
              round((middle + 12 * MM) * SCALE), round((page.height - caption.top) * SCALE))
    crop = page.image.crop(region).point(lambda v: 255 if v < 128 else 0)
    x0, y0, x1, y1 = crop.getbbox()
    matrix = segno.make(NOTICE["application_id"], error="m", micro=False).matrix  # phones read no Micro QR
    cell = (x1 - x0) / len(matrix)
    assert abs((y1 - y0) / len(matrix) - cell) < 0.5, "square"
    wrong = sum((crop.getpixel((int(x0 + (c + 0.5) * cell), int(y0 + (r + 0.5) * cell))) > 0) != bool(v)
                for r, row in enumerate(matrix) for c, v in enumerate(row))
    assert wrong == 0


def test_a_certificate_expiry_notice_names_the_certificates_and_what_to_bring_R_USE_3():
    text = Page(pdf.notice_pdf(CERT_NOTICE)).text
    for expected in ("署名用電子証明書・利用者証明用電子証明書の有効期限が近づいています", "令和12年6月15日",
                     "窓口で電子証明書を更新できます", "個人番号カード", "暗証番号", "お持ちいただくもの"):
        assert expected in text.replace("\n", ""), expected
    assert "申請書ID" not in text  # renewed at the window, not by application


def test_the_pin_reset_slip_names_the_pin_the_unlock_and_that_it_was_free_R_PIN_5():
    text = Page(pdf.pin_reset_pdf(PIN_RESET)).text
    for expected in ("暗証番号 再設定 受付票", "ABCDEF123456", "利用者証明用電子証明書の暗証番号", "ロック解除・再設定",
                     "旅券", "手数料\n無料", "担当者\n窓口 花子"):
        assert expected in text, expected
    assert "手続き\n再設定" in Page(pdf.pin_reset_pdf({**PIN_RESET, "was_locked": False})).text


def test_the_loss_report_slip_says_what_was_reported_and_what_to_bring_to_reissue_R_LOSS_2():
    text = Page(pdf.loss_report_pdf(LOSS)).text
    for expected in ("紛失届 受理票", "個人番号カードの紛失", "P-1", "この届出により停止しました",
                     "再交付を申請するときの持ち物", "この受理票", "本人確認書類", "個人番号カード 800円"):
        assert expected in text, expected
    theft = Page(pdf.loss_report_pdf({**LOSS, "kind": "theft", "suspended_now": False})).text
    assert "盗難届 受理票" in theft and "届出の前に停止済み" in theft


def test_a_reprint_is_marked_with_its_number_and_dates_and_keeps_the_values():
    mark = Reprint(2, datetime(2027, 2, 1, 9, tzinfo=JST), datetime(2027, 1, 20, 10, tzinfo=JST))
    for kind, data in ALL.items():
        original, again = Page(pdf.render(kind, data)), Page(pdf.render(kind, data, mark))
        assert "再発行" in again.text and "再発行日 令和9年2月1日（第2回）" in again.text, kind  # noqa: RUF001
        assert "原本発行日 令和9年1月20日" in again.text, kind
        stamp = max(again.boxes("再発行"), key=lambda b: b.top - b.bottom)  # the large stamp
        assert stamp.top - stamp.bottom > 12 and stamp.bottom > again.height - 30 * MM, "a large mark at the top"
        body = original.text.splitlines()
        assert all(line in again.text for line in body), kind  # everything of the original is on the reprint


def test_a_receipt_with_more_fee_lines_than_fit_goes_overleaf_instead_of_overlapping():
    lines = [{"item_ja": f"手数料{i}", "amount": 100} for i in range(1, 13)]
    pages = PdfReader(io.BytesIO(pdf.receipt_pdf({**RECEIPT, "lines": lines, "total": 1200}))).pages
    first, last = pages[0].extract_text(), pages[-1].extract_text()
    assert len(pages) == 2 and "手数料12" in first and "1,200 円" in first
    assert "担当窓口" not in first and "担当窓口" in last and "窓口 花子" in last  # the sender block
    many = [{"item_ja": f"手数料{i}", "amount": 100} for i in range(1, 41)]
    pages = PdfReader(io.BytesIO(pdf.receipt_pdf({**RECEIPT, "lines": many, "total": 4000}))).pages
    assert len(pages) >= 2 and "手数料40" in pages[1].extract_text() and "手数料40" not in pages[0].extract_text()
