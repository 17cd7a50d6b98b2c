"""The printed documents: Japanese text in the IPAex font, with the labels, dates and amounts the
holder reads (R_USE_3, R_LOSS_4, R_PIN_5). The text is read back with pypdf, as a reader would."""

from __future__ import annotations

import io
from datetime import date

from pypdf import PdfReader

from mynacard import pdf
from tests.web.conftest import at


def _text(data: bytes) -> str:
    assert data.startswith(b"%PDF")
    pages = PdfReader(io.BytesIO(data)).pages
    assert len(pages) == 1
    return pages[0].extract_text()


def _notice(subject: str) -> bytes:
    return pdf.expiry_notice_pdf(name="能登 太郎", address="石川県鹿島郡中能登町", subject=subject,
                                 expires_on=date(2035, 6, 15), sent_on=date(2035, 3, 20),
                                 application_id="17407620350320123456789", municipality="中能登町",
                                 printed_at=at("2035-03-20"))


def test_expiry_notice_says_what_expires_when_and_the_application_id_R_USE_3():
    data = _notice("card")
    assert b"IPAexGothic" in data  # the Japanese font is embedded
    text = _text(data)
    for expected in ("有効期限通知書", "能登 太郎 様", "石川県鹿島郡中能登町", "個人番号カード",
                     "令和17年6月15日（2035-06-15）", "令和17年3月20日（2035-03-20）",  # noqa: RUF001
                     "1740 7620 3503 2012 3456 789", "3か月前から"):
        assert expected in text, expected
    certificate = _text(_notice("certificate"))
    assert "電子証明書" in certificate and "個人番号カード\n有効期限" not in certificate


def test_fee_receipt_lists_each_fee_and_the_total_R_LOSS_4():
    text = _text(pdf.fee_receipt_pdf(
        number="R2027-000007", name="能登 太郎",
        lines=[{"item": "card reissue", "item_ja": "個人番号カード再交付手数料", "amount": 800},
               {"item": "certificate reissue", "item_ja": "電子証明書発行手数料", "amount": 200},
               {"item": "express issuance", "item_ja": "特急発行手数料", "amount": 1800}],
        total=2800, issued_at=at("2027-01-20"), municipality="中能登町", application_id="1" * 23))
    for expected in ("領収書", "能登 太郎 様", "R2027-000007", "1" * 23, "令和9年1月20日",
                     "個人番号カード再交付手数料\n800 円", "電子証明書発行手数料\n200 円",
                     "特急発行手数料\n1,800 円", "合計\n2,800 円", "中能登町"):
        assert expected in text, expected


def test_pin_reset_receipt_names_the_pin_and_says_it_was_unlocked_free_R_PIN_5():
    def receipt(was_locked: bool) -> str:
        return _text(pdf.pin_reset_receipt_pdf(card_id="ABCDEF123456", name="能登 太郎", pin_ja="利用者証明用",
                                               at=at("2025-04-01"), was_locked=was_locked,
                                               municipality="中能登町", clerk="clerk-7"))

    text = receipt(True)
    for expected in ("暗証番号 再設定 受付票", "ABCDEF123456", "利用者証明用", "ロック解除・再設定",
                     "令和7年4月1日", "clerk-7", "手数料は無料"):
        assert expected in text, expected
    assert "手続き\n再設定" in receipt(False)
