"""住民票の写し (a copy of the residence record) as a convenience-store kiosk prints it.

Plain values in, PDF bytes out; the municipality's electronic seal is added afterwards as a PAdES
signature (``mynacard.services.kiosk``). It never prints an individual number (a copy "without
the number" is what kiosks issue by default).
"""

from __future__ import annotations

from datetime import date, datetime

from mynacard.pdf.documents import SANDBOX, _both, _Page
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
    p = _Page("住民票の写し", f"{municipality}長", issued_at)
    p.row("証明書番号", number)
    p.row("住所", address)
    p.row("氏名", name)
    p.row("生年月日", _both(birth_date))
    p.row("性別", SEX_JA.get(sex, "―"))
    p.row("個人番号", "(記載省略)")
    p.gap()
    p.line("この写しは、住民票の原本と相違ないことを証明する。", 11)
    p.line(f"{_both(issued_at.astimezone(JST).date())}", 11)
    p.line(f"{prefecture}{municipality}長 (電子公印)", 12)
    p.gap()
    p.line(f"コンビニエンスストア等における証明書交付サービスにより交付 / 手数料 {fee:,} 円", 9)
    p.line("この証明書には市区町村長の電子署名が付されています。改ざんされていないことをPDFの署名で確認できます。", 9)
    return p.finish(SANDBOX)
