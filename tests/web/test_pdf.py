"""The printed documents: Japanese text in the IPAex font (R_USE_3, R_LOSS_4, R_PIN_5)."""

from __future__ import annotations

from datetime import date

from mynacard import pdf
from tests.web.conftest import at


def test_expiry_notice_embeds_the_japanese_font_R_USE_3():
    data = pdf.expiry_notice_pdf(name="能登 太郎", address="石川県鹿島郡中能登町", subject="card",
                                 expires_on=date(2035, 6, 15), sent_on=date(2035, 3, 20),
                                 application_id="17407620350320123456789", municipality="中能登町",
                                 printed_at=at("2035-03-20"))
    assert data.startswith(b"%PDF") and b"IPAexGothic" in data


def test_receipts_render():
    assert pdf.fee_receipt_pdf(number="R2025-000001", name="能登 太郎",
                               lines=[{"item": "card", "item_ja": "カード再交付", "amount": 800}],
                               total=800, issued_at=at("2025-04-01"), municipality="中能登町",
                               application_id="1" * 23).startswith(b"%PDF")
    assert pdf.pin_reset_receipt_pdf(card_id="ABCDEF123456", name="能登 太郎", pin_ja="利用者証明用",
                                     at=at("2025-04-01"), was_locked=True, municipality="中能登町",
                                     clerk="clerk").startswith(b"%PDF")
