"""Verifying what a My Number Card signed: CMS, PAdES and XAdES / XMLDSig signatures, with the
path to the JPKI signing CA, key usage, policy and revocation status (OCSP, CRL fallback), at the
validation time or at the time a signature timestamp proves.

``verify(data, at=..., trust=..., revocation=...)`` returns a ``Verdict``; ``office_verifier``
(``mynacard.verify.office``) builds the trust and the revocation source from an office's store.
"""

from mynacard.verify.core import MAX_INPUT_BYTES, verify
from mynacard.verify.path import Trust
from mynacard.verify.revocation import HttpSource, RevocationChecker, RevocationSource
from mynacard.verify.verdict import RevocationStatus, SignerAttributes, Status, Verdict

__all__ = [
    "MAX_INPUT_BYTES",
    "HttpSource",
    "RevocationChecker",
    "RevocationSource",
    "RevocationStatus",
    "SignerAttributes",
    "Status",
    "Trust",
    "Verdict",
    "verify",
]
