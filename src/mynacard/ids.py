"""Small typed identifiers, validated once when made (STYLE habit 3)."""

from __future__ import annotations

import secrets
from datetime import date

from stdnum.exceptions import InvalidFormat
from stdnum.exceptions import ValidationError as StdnumError
from stdnum.jp import in_

from mynacard.errors import ValidationError


class IndividualNumber(str):
    """個人番号: 12 digits, the last a check digit (R_NUM_1), checked by python-stdnum.

    ``repr`` masks all but the last 4 digits so the number does not end up in logs.
    """

    __slots__ = ()

    def __new__(cls, value: str) -> IndividualNumber:
        try:
            if not isinstance(value, str):
                # stdnum would join any iterable of digits (a list, say) into a number
                raise InvalidFormat(f"The number is a {type(value).__name__}, not text.")
            compact = in_.validate(value)
        except StdnumError as exc:
            raise ValidationError(
                "individual_number",
                f"Invalid individual number: {str(exc).rstrip('.')}. It must be 12 digits with a "
                "valid check digit (R_NUM_1); check the digits and enter it again.",
                "個人番号が正しくありません。12桁の数字(末尾はチェックデジット)を確認して入力し直してください。",
            ) from None
        return super().__new__(cls, compact)

    def masked(self) -> str:
        return "********" + self[-4:]

    def __repr__(self) -> str:
        return f"IndividualNumber({self.masked()!r})"

    @classmethod
    def generate(cls) -> IndividualNumber:
        """A random valid number (what the municipality assigns; the check digit by stdnum)."""
        body = f"{secrets.randbelow(10**11):011d}"
        if body[0] == "0":
            body = "1" + body[1:]
        return cls(body + in_.calc_check_digit(body))


class ApplicationId(str):
    """申請書ID: the 23-digit application ID printed as a QR code on applications (R_CARD_1)."""

    __slots__ = ()

    def __new__(cls, value: str) -> ApplicationId:
        if isinstance(value, str):
            value = value.replace(" ", "").replace("-", "")
        # isascii(): str.isdigit() also accepts full-width digits and superscripts such as '²'
        ok = isinstance(value, str) and len(value) == 23 and value.isascii() and value.isdigit()
        if not ok:
            raise ValidationError(
                "application_id",
                "An application ID is 23 digits (R_CARD_1).",
                "申請書IDは23桁の数字です。",
            )
        return super().__new__(cls, value)

    @classmethod
    def generate(cls, municipality_code: str, on: date) -> ApplicationId:
        # [policy] 6-digit municipality code + YYYYMMDD + 9 random digits.
        return cls(f"{municipality_code}{on:%Y%m%d}{secrets.randbelow(10**9):09d}")


def municipality_code(value: str) -> str:
    """地方公共団体コード: 6 digits (the sixth a check digit)."""
    if not (isinstance(value, str) and len(value) == 6 and value.isascii() and value.isdigit()):
        raise ValidationError(
            "municipality_code",
            f"Municipality code {value!r} is not 6 digits (e.g. 174076 for Nakanoto).",
            "地方公共団体コードは6桁の数字です。",
        )
    return value
