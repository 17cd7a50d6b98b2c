"""The JPKI certificate authorities of the sandbox: certificates, CRLs and OCSP (R_CERT_*).

Pure builders: nothing here reads the clock, touches a database or the network. The profile
and its sources are described in ``mynacard.ca.profile``.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mynacard.ca.authority import CertificateAuthority, random_serial
    from mynacard.ca.crl import RevocationEntry
    from mynacard.ca.era import Era, era_of, jpki_birth_date
    from mynacard.ca.errors import ProfileError
    from mynacard.ca.ocsp import (
        CertStatus,
        malformed_request_response,
        unauthorized_response,
        unsuccessful_response,
    )
    from mynacard.ca.profile import CaSettings, CertKind, CertRequest, SigningSubject

#: Where each name lives: loaded on first use, so ``import mynacard.ca.era`` (the 和暦 of the screens)
#: does not load the certificate builders, and a command that issues nothing starts fast.
_WHERE = {
    "CertificateAuthority": "authority", "random_serial": "authority", "RevocationEntry": "crl", "Era": "era",
    "era_of": "era", "jpki_birth_date": "era", "ProfileError": "errors", "CertStatus": "ocsp",
    "malformed_request_response": "ocsp", "unauthorized_response": "ocsp", "unsuccessful_response": "ocsp",
    "CaSettings": "profile", "CertKind": "profile", "CertRequest": "profile", "SigningSubject": "profile",
}


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        return getattr(importlib.import_module(f"mynacard.ca.{_WHERE[name]}"), name)
    raise AttributeError(f"module 'mynacard.ca' has no attribute {name!r}")


__all__ = [
    "CaSettings",
    "CertKind",
    "CertRequest",
    "CertStatus",
    "CertificateAuthority",
    "Era",
    "ProfileError",
    "RevocationEntry",
    "SigningSubject",
    "era_of",
    "jpki_birth_date",
    "malformed_request_response",
    "random_serial",
    "unauthorized_response",
    "unsuccessful_response",
]
