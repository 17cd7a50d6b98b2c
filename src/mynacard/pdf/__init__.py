"""Printed documents in Japanese (reportlab + IPAex Gothic): receipts, hand-over receipts, expiry
notices, PIN reset and loss report slips (``documents``), the kiosk's 住民票 (``residence``)."""

from mynacard.pdf.documents import (
    RENDER,
    handover_pdf,
    loss_report_pdf,
    notice_pdf,
    pin_reset_pdf,
    receipt_pdf,
    render,
)
from mynacard.pdf.layout import Reprint

__all__ = ["RENDER", "Reprint", "handover_pdf", "loss_report_pdf", "notice_pdf", "pin_reset_pdf", "receipt_pdf",
           "render"]
