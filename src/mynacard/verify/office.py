"""A verifier over an office's own store: the trust roots are its CAs and its TSA, revocation
status comes from its OCSP responses (pre-signed, the same bytes ``/ocsp`` serves) with its
CRLs as the fallback."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from mynacard.db import repositories as repo
from mynacard.db.provider import MunicipalSeal
from mynacard.services import pki
from mynacard.services.context import Office
from mynacard.tsa import service as tsa_service
from mynacard.verify.core import verify
from mynacard.verify.path import Trust
from mynacard.verify.revocation import RevocationChecker
from mynacard.verify.verdict import Verdict

ACTOR = "verifier"


class OfficeSource:
    """OCSP responses and CRLs read from the office's store at the time ``clock`` gives."""

    def __init__(self, office: Office, clock: Callable[[], datetime], *, ocsp: bool = True) -> None:
        self.office, self.clock, self.use_ocsp = office, clock, ocsp

    def ocsp(self, cert: x509.Certificate, issuer: x509.Certificate) -> bytes | None:
        if not self.use_ocsp:
            return None
        from mynacard.services.revocation.ocsp import response_der

        with self.office.work(at=self.clock(), actor=ACTOR) as w:
            row = repo.certificate(w.session, cert.serial_number)
            if row is None or row.der != cert.public_bytes(Encoding.DER):
                return None
            return response_der(w, row)

    def crl(self, cert: x509.Certificate, issuer: x509.Certificate) -> bytes | None:
        from mynacard.services.revocation.crls import full_crl

        with self.office.work(at=self.clock(), actor=ACTOR) as w:
            for kind in ("sign", "auth"):
                if pki.authority(w, kind).certificate == issuer:
                    return full_crl(w, kind)
        return None


def office_trust(office: Office, *, at: datetime) -> Trust:
    with office.work(at=at, actor=ACTOR) as w:
        sign = pki.authority(w, "sign").certificate
        auth = pki.authority(w, "auth").certificate
        tsa = tsa_service.authority(w).root
        seal_row = w.session.get(MunicipalSeal, "root")  # made when the kiosk first seals a document
        seals = [x509.load_der_x509_certificate(seal_row.certificate_der)] if seal_row is not None else []
    return Trust(signing_roots=[sign], auth_roots=[auth], tsa_roots=[tsa], seal_roots=seals)


CACHE_MAX_AGE = timedelta(minutes=1)


class OfficeVerifier:
    """``verify`` with the office's roots and revocation data. Revocation answers are cached
    for ``cache_max_age`` of validation time (within their nextUpdate), so a revocation reaches
    the verdicts within that time; ``cache=False`` asks the store every time."""

    def __init__(
        self,
        office: Office,
        *,
        at: datetime,
        cache: bool = True,
        ocsp: bool = True,
        cache_max_age: timedelta | None = CACHE_MAX_AGE,
    ) -> None:
        self.office = office
        self.trust = office_trust(office, at=at)
        self._at = at
        self.revocation = RevocationChecker(
            OfficeSource(office, lambda: self._at, ocsp=ocsp), cache=cache, max_age=cache_max_age
        )

    def verify(self, data: bytes, *, at: datetime, content: bytes | None = None) -> Verdict:
        self._at = at
        return verify(data, at=at, trust=self.trust, revocation=self.revocation, content=content)
