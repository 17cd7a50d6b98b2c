"""Municipality codes (地方公共団体コード, JIS X 0402) as the CA uses them.

The code selects the partitioned CRL a certificate points to (R_CERT_8) and the prefecture named
in the signing certificate's subject. The CA checks the shape only (six digits, a prefecture
01-47); the check digit is left to the identifier's own validator in the rules layer.
"""

from __future__ import annotations

import re

from mynacard.ca.errors import ProfileError

# JIS X 0401 prefecture codes, romanised as real JPKI subjects write localities ("Tokyo-to").
PREFECTURES: tuple[str, ...] = (
    "Hokkaido", "Aomori-ken", "Iwate-ken", "Miyagi-ken", "Akita-ken", "Yamagata-ken",
    "Fukushima-ken", "Ibaraki-ken", "Tochigi-ken", "Gunma-ken", "Saitama-ken", "Chiba-ken",
    "Tokyo-to", "Kanagawa-ken", "Niigata-ken", "Toyama-ken", "Ishikawa-ken", "Fukui-ken",
    "Yamanashi-ken", "Nagano-ken", "Gifu-ken", "Shizuoka-ken", "Aichi-ken", "Mie-ken",
    "Shiga-ken", "Kyoto-fu", "Osaka-fu", "Hyogo-ken", "Nara-ken", "Wakayama-ken", "Tottori-ken",
    "Shimane-ken", "Okayama-ken", "Hiroshima-ken", "Yamaguchi-ken", "Tokushima-ken",
    "Kagawa-ken", "Ehime-ken", "Kochi-ken", "Fukuoka-ken", "Saga-ken", "Nagasaki-ken",
    "Kumamoto-ken", "Oita-ken", "Miyazaki-ken", "Kagoshima-ken", "Okinawa-ken",
)  # fmt: skip

_CODE = re.compile(r"[0-9]{6}")


def check_municipality_code(code: str) -> str:
    """Return ``code`` if it is a six-digit municipality code of prefecture 01-47.

    >>> check_municipality_code("131016")
    '131016'
    """
    if not isinstance(code, str) or not _CODE.fullmatch(code):
        raise ProfileError(
            "municipality_code",
            f"The municipality code must be 6 digits (JIS X 0402), got {code!r}.",
            "地方公共団体コードは6桁の数字です。",
        )
    if not 1 <= int(code[:2]) <= len(PREFECTURES):
        raise ProfileError(
            "municipality_code",
            f"The municipality code {code} names no prefecture (01-47).",
            "地方公共団体コードの都道府県部分が正しくありません。",
        )
    return code


def prefecture_of(code: str) -> str:
    """The romanised prefecture of a municipality code.

    >>> prefecture_of("131016")
    'Tokyo-to'
    """
    return PREFECTURES[int(check_municipality_code(code)[:2]) - 1]
