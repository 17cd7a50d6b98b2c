"""Export for relying parties and outside tools: CA and OCSP responder certificates, every issued
certificate, the current CRLs and an OCSP response per certificate (R_CERT_8), exactly as the
office's CRL and OCSP services publish them."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from mynacard.ca import CertKind
from mynacard.db import repositories as repo
from mynacard.services import pki, revocation
from mynacard.services.context import Work


@dataclass
class ExportReport:
    ca: list[Path] = field(default_factory=list)
    certs: list[Path] = field(default_factory=list)
    crls: list[Path] = field(default_factory=list)
    ocsp: list[Path] = field(default_factory=list)


def export(w: Work, out: Path) -> ExportReport:
    """Write ``out``/ca/*.pem, certs/*.pem, crl/*.crl (DER) and ocsp/*.der."""
    rep = ExportReport()
    for sub in ("ca", "certs", "crl", "ocsp"):
        (out / sub).mkdir(parents=True, exist_ok=True)
    for kind in CertKind:
        ca = pki.authority(w, kind)
        p = out / "ca" / f"{kind.value}.pem"
        p.write_bytes(ca.certificate.public_bytes(Encoding.PEM))
        rep.ca.append(p)
        p = out / "ca" / f"{kind.value}-ocsp.pem"
        p.write_bytes(revocation.responder(w, kind).certificate.public_bytes(Encoding.PEM))
        rep.ca.append(p)
        p = out / "crl" / f"{kind.value}.crl"
        p.write_bytes(revocation.full_crl(w, kind))
        rep.crls.append(p)
        codes = sorted({c.municipality_code for c in repo.certificates(w.session, kind=kind.value)})
        for code in codes:
            p = out / "crl" / f"{kind.value}-{code}.crl"
            p.write_bytes(revocation.full_crl(w, kind, code))
            rep.crls.append(p)
    for row in repo.certificates(w.session):
        name = f"{row.kind}-{row.serial:x}"
        p = out / "certs" / f"{name}.pem"
        p.write_bytes(x509.load_der_x509_certificate(row.der).public_bytes(Encoding.PEM))
        rep.certs.append(p)
        p = out / "ocsp" / f"{name}.der"
        p.write_bytes(revocation.response_der(w, row))
        rep.ocsp.append(p)
    w.log("exported", directory=str(out), certificates=len(rep.certs), crls=len(rep.crls))
    return rep
