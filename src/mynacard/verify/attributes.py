"""The signer's basic four attributes, read from subjectAltName by OID (never by position)."""

from __future__ import annotations

import functools
from datetime import date

from asn1crypto.core import UTF8String
from cryptography import x509

from mynacard.ca.profile import OID_ADDRESS, OID_BIRTH_DATE, OID_NAME, OID_SEX
from mynacard.verify.verdict import SignerAttributes


def _text(value: bytes) -> str:
    """An otherName value: a UTF8String (tag 12); some profiles wrap it in [0] EXPLICIT."""
    if value[:1] == b"\xa0":  # [0] EXPLICIT around the string
        from asn1crypto.core import Any as Asn1Any

        value = Asn1Any.load(value).contents
    return str(UTF8String.load(value).native)


def parse_birth_date(raw: str) -> date | None:
    """``EYYYYMMDD`` (era digit, Gregorian date); ``None`` when unknown or unreadable."""
    digits = raw[-8:]
    if len(raw) < 8 or not digits.isdigit():
        return None
    try:
        return date(int(digits[:4]), int(digits[4:6]), int(digits[6:]))
    except ValueError:
        return None


@functools.lru_cache(maxsize=1024)
def attributes_of_der(der: bytes) -> SignerAttributes | None:
    """``signer_attributes`` of a DER certificate, remembered (a verifier sees the same signers often)."""
    return signer_attributes(x509.load_der_x509_certificate(der))


def signer_attributes(cert: x509.Certificate) -> SignerAttributes | None:
    """The basic four attributes of a JPKI signing certificate, or ``None`` when it has none."""
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except (x509.ExtensionNotFound, ValueError):
        return None
    found: dict[str, str] = {}
    for name in san:
        if isinstance(name, x509.OtherName):
            try:
                found[name.type_id.dotted_string] = _text(name.value)
            except (ValueError, TypeError):
                continue
    if OID_NAME.dotted_string not in found:
        return None
    raw_birth = found.get(OID_BIRTH_DATE.dotted_string, "")
    return SignerAttributes(
        name=found[OID_NAME.dotted_string],
        birth_date=parse_birth_date(raw_birth),
        sex=found.get(OID_SEX.dotted_string, ""),
        address=found.get(OID_ADDRESS.dotted_string, ""),
        birth_date_raw=raw_birth,
    )
