"""The JPKI certificate authorities of the sandbox: certificates, CRLs and OCSP (R_CERT_*).

Pure builders: nothing here reads the clock, touches a database or the network. The profile
and its sources are described in ``mynacard.ca.profile``.
"""

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
