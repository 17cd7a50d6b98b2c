"""住民票の写し (a copy of the residence record) as a convenience-store kiosk prints it.

Plain values in, PDF bytes out; the municipality's electronic seal is added afterwards as a PAdES
signature (``mynacard.services.kiosk``). It never prints an individual number (a copy "without
the number" is what kiosks issue by default).
"""

from __future__ import annotations

from datetime import date, datetime

from mynacard.pdf.layout import Sheet, both
from mynacard.timeutil import JST

SEX_JA = {"1": "男", "2": "女"}


def residence_certificate_pdf(
    *,
    number: str,
    name: str,
    birth_date: date,
    sex: str,
    address: str,
    municipality: str,
    prefecture: str,
    issued_at: datetime,
    fee: int,
) -> bytes:
    day = issued_at.astimezone(JST).date()
    p = Sheet("住民票の写し", author=f"{municipality}長", number=("証明書番号", number), dated=day)
    p.table([
        ("住所", address),
        ("氏名", name),
        ("生年月日", both(birth_date)),
        ("性別", SEX_JA.get(sex, "―")),
        ("個人番号", "(記載省略)"),
    ])
    p.text("この写しは、住民票の原本と相違ないことを証明する。", 11)
    p.text(both(day), 11)
    p.text(f"{prefecture}{municipality}長 (電子公印)", 12)
    p.gap()
    p.text(f"コンビニエンスストア等における証明書交付サービスにより交付 / 手数料 {fee:,} 円", 9)
    p.text("この証明書には市区町村長の電子署名が付されています。改ざんされていないことをPDFの署名で確認できます。", 9)
    return p.finish()
