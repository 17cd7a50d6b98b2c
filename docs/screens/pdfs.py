"""Render each printed document to a PNG in docs/screens/ (pdf-*.png), from sample values.

    .venv/bin/python docs/screens/pdfs.py [--dpi 60] [--out docs/screens]

Needs pypdfium2 (the ``test`` extra). The samples are the values the services keep for a
document (``mynacard.services.documents``); one reprint shows the 再発行 mark.
"""

from __future__ import annotations

import argparse
from datetime import datetime
from pathlib import Path

from mynacard.pdf import Reprint, render
from mynacard.timeutil import JST

OFFICE = {"municipality": "中能登町", "prefecture": "石川県", "address": "石川県鹿島郡中能登町能登部下91-23",
          "window": "住民課 マイナンバーカード窓口", "phone": "0767-74-0000"}
HOLDER = {"name": "能登 太郎", "address": "石川県鹿島郡中能登町末坂10-1", "office": OFFICE, "staff": "窓口 花子"}
SAMPLES: dict[str, dict[str, object]] = {
    "receipt": {**HOLDER, "number": "R2027-000007", "application_id": "17407620270120123456789",
                "issued_at": "2027-01-20T10:00:00+09:00", "total": 2800,
                "lines": [{"item_ja": "個人番号カード再交付手数料", "amount": 800},
                          {"item_ja": "電子証明書発行手数料", "amount": 200},
                          {"item_ja": "特急発行手数料", "amount": 1800}]},
    "handover": {**HOLDER, "card_id": "C1A2B3C4D5E6", "issued_on": "2025-04-01", "expires_on": "2035-06-15",
                 "certificates": [{"kind": "sign", "kind_ja": "署名用電子証明書", "status_ja": "有効",
                                   "expires_on": "2030-06-15"},
                                  {"kind": "auth", "kind_ja": "利用者証明用電子証明書", "status_ja": "有効",
                                   "expires_on": "2030-06-15"}],
                 "cert_expiry": "2030-06-15", "identity_documents": ["drivers_license"],
                 "printed_at": "2025-04-01T10:00:00+09:00"},
    "notice": {**HOLDER, "notice_id": 12, "subject": "card", "what_ja": "個人番号カード", "card_id": "C1A2B3C4D5E6",
               "expires_on": "2035-06-15", "sent_on": "2035-03-20", "opens_on": "2035-03-16",
               "application_id": "17407620350320123456789"},
    "notice-certificate": {**HOLDER, "notice_id": 13, "subject": "certificate",
                           "what_ja": "署名用電子証明書・利用者証明用電子証明書", "card_id": "C1A2B3C4D5E6",
                           "expires_on": "2030-06-15", "sent_on": "2030-03-20", "opens_on": "2030-03-16",
                           "application_id": "17407620300320123456789"},
    "pin_reset": {**HOLDER, "event_id": 42, "card_id": "C1A2B3C4D5E6", "pin_ja": "利用者証明用電子証明書の暗証番号",
                  "was_locked": True, "identity_documents": ["passport"], "at": "2026-05-01T14:30:00+09:00"},
    "loss_report": {**HOLDER, "event_id": 57, "card_id": "C1A2B3C4D5E6", "kind": "loss", "police_report": "P-2027-0311",
                    "suspended_now": True, "at": "2027-01-10T09:15:00+09:00"},
}
REPRINT = Reprint(1, datetime(2027, 2, 1, 9, 0, tzinfo=JST), datetime(2027, 1, 20, 10, 0, tzinfo=JST))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dpi", type=int, default=60)
    ap.add_argument("--out", type=Path, default=Path(__file__).parent)
    args = ap.parse_args()
    import pypdfium2 as pdfium

    args.out.mkdir(parents=True, exist_ok=True)
    pages: list[tuple[str, str, dict[str, object], Reprint | None]] = [
        (name, name.split("-")[0], data, None) for name, data in SAMPLES.items()]
    pages.append(("receipt-reprint", "receipt", SAMPLES["receipt"], REPRINT))
    for name, kind, data, mark in pages:
        pdf = pdfium.PdfDocument(render(kind, data, mark))
        image = pdf[0].render(scale=args.dpi / 72, grayscale=True).to_pil()
        target = args.out / f"pdf-{name.replace('_', '-')}.png"
        image.save(target, optimize=True)
        print(f"{target} {target.stat().st_size // 1024} KiB")


if __name__ == "__main__":
    main()
