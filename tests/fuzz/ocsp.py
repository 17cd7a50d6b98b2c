"""OCSP requests against the HTTP responder (``/ocsp/{kind}``, GET and POST) and its handler.

Inputs: well-formed requests for certificates that are good, held, revoked, of the other CA,
unknown or absurd serials, with and without nonces, several certificates in one request, signed
requests; and their byte-level mutations. Every answer must be a DER OCSP response (never a 5xx,
never an exception); a successful one must be about the certificate asked for and say what the
store says.
"""

from __future__ import annotations

import base64
import random
from urllib.parse import quote

from asn1crypto import ocsp as asn1_ocsp  # type: ignore[import-untyped]
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509 import ocsp

from mynacard.db.models import Certificate, CertStatus
from mynacard.services import pki
from mynacard.timeutil import parse_at
from mynacard.web.clock import Clock
from mynacard.web.ocsp import _ocsp
from mynacard.web.state import ServiceState
from tests.fuzz.common import Tally, mutate_bytes
from tests.fuzz.store import FuzzStore

AT = "2027-06-01T10:00"
HTTP_SHARE = 0.05  # the rest goes straight to the route's handler, minus the HTTP round trip


def corpus(fs: FuzzStore) -> list[tuple[str, bytes, int | None]]:
    """(kind asked, request DER, serial asked for when it is one of ours)."""
    out: list[tuple[str, bytes, int | None]] = []
    with fs.office.work(at=parse_at(AT), actor="fuzz") as w:
        cas = {k: pki.authority(w, k).certificate for k in ("sign", "auth")}
    for c in fs.certificates:
        cert = x509.load_der_x509_certificate(c.der)
        for algo in (hashes.SHA1(), hashes.SHA256(), hashes.SHA512()):
            b = ocsp.OCSPRequestBuilder().add_certificate(cert, cas[c.kind], algo)
            out.append((c.kind, b.build().public_bytes(Encoding.DER), c.serial))
            nonce = b.add_extension(x509.OCSPNonce(b"\x01" * 16), critical=False)
            out.append((c.kind, nonce.build().public_bytes(Encoding.DER), c.serial))
        other = "auth" if c.kind == "sign" else "sign"
        wrong = ocsp.OCSPRequestBuilder().add_certificate(cert, cas[other], hashes.SHA1())
        out.append((other, wrong.build().public_bytes(Encoding.DER), None))
        out.append((other, ocsp.OCSPRequestBuilder().add_certificate(cert, cas[c.kind], hashes.SHA1())
                    .build().public_bytes(Encoding.DER), None))
    base = asn1_ocsp.OCSPRequest.load(out[0][1])
    for serial in (0, -1, 1, 2**159, 2**160, 2**512, 12345):
        req = base.copy()
        req["tbs_request"]["request_list"][0]["req_cert"]["serial_number"] = serial
        out.append((out[0][0], req.dump(force=True), None))
    two = base.copy()
    two["tbs_request"]["request_list"] = [base["tbs_request"]["request_list"][0]] * 2
    out.append((out[0][0], two.dump(force=True), None))
    none = base.copy()
    none["tbs_request"]["request_list"] = []
    out.append((out[0][0], none.dump(force=True), None))
    return out


def _said(resp: ocsp.OCSPResponse) -> str:
    if resp.certificate_status == ocsp.OCSPCertStatus.GOOD:
        return CertStatus.GOOD
    if resp.certificate_status == ocsp.OCSPCertStatus.REVOKED:
        return CertStatus.HOLD if resp.revocation_reason == x509.ReasonFlags.certificate_hold else CertStatus.REVOKED
    return "unknown"


def _check(tally: Tally, der: bytes, sample: object, asked: int | None, store: dict[int, Certificate]) -> None:
    try:
        resp = ocsp.load_der_ocsp_response(der)
    except ValueError as e:
        tally.found("invariant", f"the answer is not an OCSP response: {e}", sample)
        return
    if resp.response_status != ocsp.OCSPResponseStatus.SUCCESSFUL:
        return
    serial = resp.serial_number
    cert = store.get(serial)
    if cert is None:
        # a serial the CA never issued gets a signed "unknown" (RFC 6960 2.2), nothing else
        if _said(resp) != "unknown":
            tally.found("invariant", f"OCSP says {_said(resp)} about a certificate the store does not have", sample)
    elif asked is not None and serial != asked:
        tally.found("invariant", "a successful answer about another certificate than the one asked", sample)
    elif _said(resp) != cert.status:
        tally.found("invariant", f"OCSP says {_said(resp)}, the store {cert.status}", sample)


def run(n: int, fs: FuzzStore, seed: int = 0, tally: Tally | None = None) -> Tally:
    from fastapi.testclient import TestClient

    from mynacard.web.app import create_app

    tally = tally or Tally("ocsp")
    rng = random.Random(seed)
    seeds = corpus(fs)
    raw = [d for _k, d, _s in seeds]
    store = {c.serial: c for c in fs.certificates}
    clock = Clock(parse_at(AT), advance=False)
    st = ServiceState(office=fs.office, clock=clock, max_body=64 * 1024, secure_cookies=False)
    client = TestClient(create_app(fs.office, clock=clock), raise_server_exceptions=False)
    for _ in range(n):
        kind, data, asked = rng.choice(seeds)
        if rng.random() < 0.6:
            data = mutate_bytes(rng, data, raw)
            asked = None  # a mutation may ask for another serial: the answer must still be true
        if rng.random() < 0.02:
            kind = rng.choice(["sign", "auth", "SIGN", "x", "", "sign/..", "%00"])
        tally.inputs += 1
        sample = (kind, data.hex())
        if rng.random() < HTTP_SHARE:
            if rng.random() < 0.5:
                text = base64.b64encode(data).decode()
                if rng.random() < 0.3:
                    text = mutate_bytes(rng, text.encode()).decode("latin-1")
                r = client.get(f"/ocsp/{quote(kind, safe='')}/{quote(text, safe='')}")
            else:
                r = client.post(f"/ocsp/{quote(kind, safe='')}", content=data,
                                headers={"Content-Type": "application/ocsp-request"})
            if r.status_code >= 500:
                tally.found("500", f"{r.request.method} /ocsp -> {r.status_code}", sample)
            elif r.status_code == 200:
                _check(tally, r.content, sample, asked, store)
            continue
        if kind not in ("sign", "auth"):
            continue  # the route's pattern refuses it before the handler
        try:
            resp = _ocsp(st, kind, data)
        except Exception as e:
            tally.crashed(e, sample)
            continue
        _check(tally, bytes(resp.body), sample, asked, store)
    return tally
