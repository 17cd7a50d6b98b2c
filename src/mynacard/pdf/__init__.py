"""Printed documents in Japanese (reportlab + IPAex Gothic): expiry notices, receipts."""

from mynacard.pdf.documents import expiry_notice_pdf, fee_receipt_pdf, issue_receipt_pdf, pin_reset_receipt_pdf

__all__ = ["expiry_notice_pdf", "fee_receipt_pdf", "issue_receipt_pdf", "pin_reset_receipt_pdf"]
