"""OCSP responder and CRLs served over HTTP (R_CERT_8): openssl as the relying party, pkilint
as the judge, garbage requests answered malformedRequest."""

from __future__ import annotations

import base64
import subprocess
from pathlib import Path
from urllib.parse import quote

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509 import ocsp
from cryptography.x509.oid import ExtendedKeyUsageOID

from mynacard.db import repositories as repo
from tests.ca.helpers import pkilint
from tests.web.conftest import PASSWORD, issue_card, make_office, register
from tests.web.live import free_port, live_server

pytestmark = pytest.mark.slow


def openssl_status(tmp: Path, base: str, ca_pem: Path, leaf_pem: Path, kind: str, *options: str) -> str:
    out = subprocess.run(
        ["openssl", "ocsp", *options, "-issuer", ca_pem, "-cert", leaf_pem, "-url", f"{base}/ocsp/{kind}",
         "-CAfile", ca_pem, "-resp_text"], capture_output=True, text=True, timeout=30)
    assert "Response verify OK" in out.stderr + out.stdout, out.stderr + out.stdout
    line = next(x for x in out.stdout.splitlines() if x.startswith(str(leaf_pem)))
    status = line.split(":", 1)[1].strip()
    if status == "revoked":
        reason = next((x.split(":", 1)[1].strip() for x in out.stdout.splitlines()
                       if "Reason:" in x), "").split(" (")[0]
        return f"revoked ({reason})" if reason else "revoked"
    return status


def pems(office, tmp: Path, card_id: str) -> dict[str, Path]:
    from mynacard.services import pki
    from tests.web.conftest import at

    out = {}
    with office.work(at=at("2025-04-01"), actor="t") as w:
        for kind in ("sign", "auth"):
            ca = pki.authority(w, kind)
            out[f"ca-{kind}"] = tmp / f"ca-{kind}.pem"
            out[f"ca-{kind}"].write_bytes(ca.certificate.public_bytes(Encoding.PEM))
            cert = repo.latest_certificate(w.session, card_id, kind)
            out[kind] = tmp / f"{kind}.pem"
            out[kind].write_bytes(x509.load_der_x509_certificate(cert.der).public_bytes(Encoding.PEM))
    return out


@pytest.fixture
def served(tmp_path):
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    office = make_office(str(tmp_path / "live.db"), base_url=base)
    with live_server(office, port) as url:
        c = httpx.Client(base_url=url, timeout=30)
        token = c.post("/api/login", json={"username": "clerk", "password": PASSWORD}).json()["token"]
        c.headers["Authorization"] = f"Bearer {token}"
        yield office, c, url
    office.store.dispose()


def test_openssl_reports_good_held_released_revoked_R_CERT_8(served, tmp_path):
    office, c, url = served
    rid = register(c)
    card_id = issue_card(c, rid)
    p = pems(office, tmp_path, card_id)
    assert openssl_status(tmp_path, url, p["ca-sign"], p["sign"], "sign") == "good"
    assert openssl_status(tmp_path, url, p["ca-auth"], p["auth"], "auth") == "good"
    assert c.post(f"/api/cards/{card_id}/loss-report", json={"kind": "loss"}).status_code == 200
    assert openssl_status(tmp_path, url, p["ca-sign"], p["sign"], "sign") == "revoked (certificateHold)"
    assert c.post(f"/api/cards/{card_id}/found").status_code == 200
    assert openssl_status(tmp_path, url, p["ca-sign"], p["sign"], "sign") == "good"
    assert c.post(f"/api/cards/{card_id}/certificates/auth/revoke").status_code == 200
    assert openssl_status(tmp_path, url, p["ca-auth"], p["auth"], "auth").startswith("revoked")


@pytest.mark.parametrize("digest", ["-sha256", "-sha512"])
def test_openssl_asking_by_sha2_hashes_finds_its_status_R_CERT_8(served, tmp_path, digest):
    # openssl looks in the response for the CertID it sent, hash algorithm included
    office, c, url = served
    card_id = issue_card(c, register(c))
    p = pems(office, tmp_path, card_id)
    assert openssl_status(tmp_path, url, p["ca-auth"], p["auth"], "auth", digest) == "good"
    assert openssl_status(tmp_path, url, p["ca-auth"], p["auth"], "auth") == "good"  # SHA-1 as before
    assert c.post(f"/api/cards/{card_id}/loss-report", json={"kind": "loss"}).status_code == 200
    assert openssl_status(tmp_path, url, p["ca-sign"], p["sign"], "sign", digest) == "revoked (certificateHold)"
    out = subprocess.run(  # signed for this request: its nonce comes back
        ["openssl", "ocsp", digest, "-issuer", p["ca-sign"], "-cert", p["sign"], "-url", f"{url}/ocsp/sign",
         "-CAfile", p["ca-sign"]], capture_output=True, text=True, timeout=30)
    assert "Response verify OK" in out.stderr and "nonce" not in (out.stdout + out.stderr).lower(), out.stderr


def test_responses_are_signed_by_a_delegated_nocheck_responder(served, tmp_path):
    office, c, _ = served
    card_id = issue_card(c, register(c))
    p = pems(office, tmp_path, card_id)
    leaf = x509.load_pem_x509_certificate(p["sign"].read_bytes())
    ca = x509.load_pem_x509_certificate(p["ca-sign"].read_bytes())
    req = ocsp.OCSPRequestBuilder().add_certificate(leaf, ca, hashes.SHA1()).build().public_bytes(Encoding.DER)
    r = c.post("/ocsp/sign", content=req, headers={"Content-Type": "application/ocsp-request"})
    assert r.headers["content-type"] == "application/ocsp-response"
    resp = ocsp.load_der_ocsp_response(r.content)
    assert resp.certificate_status == ocsp.OCSPCertStatus.GOOD
    (responder,) = resp.certificates
    assert responder.issuer == ca.subject
    eku = responder.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert ExtendedKeyUsageOID.OCSP_SIGNING in eku
    responder.extensions.get_extension_for_class(x509.OCSPNoCheck)
    # GET form (RFC 6960 appendix A.1) answers the same.
    g = c.get("/ocsp/sign/" + base64.b64encode(req).decode())
    assert ocsp.load_der_ocsp_response(g.content).certificate_status == ocsp.OCSPCertStatus.GOOD
    (tmp_path / "good.der").write_bytes(r.content)
    c.post(f"/api/cards/{card_id}/loss-report", json={"kind": "loss"})
    (tmp_path / "hold.der").write_bytes(c.post("/ocsp/sign", content=req).content)
    assert c.post(f"/api/cards/{card_id}/certificates/sign/revoke").status_code == 200
    (tmp_path / "revoked.der").write_bytes(c.post("/ocsp/sign", content=req).content)
    assert ocsp.load_der_ocsp_response((tmp_path / "revoked.der").read_bytes()).revocation_reason == \
        x509.ReasonFlags.key_compromise
    for name in ("good", "hold", "revoked"):
        assert pkilint("lint_ocsp_response", tmp_path / f"{name}.der") == [], name


@pytest.mark.parametrize("body", [b"", b"garbage", b"\x30\x03\x02\x01\x01", b"\x30" * 5000])
def test_unparsable_requests_get_malformed_request_never_500(served, body):
    _, c, _ = served
    r = c.post("/ocsp/auth", content=body)
    assert r.status_code == 200
    assert ocsp.load_der_ocsp_response(r.content).response_status == ocsp.OCSPResponseStatus.MALFORMED_REQUEST
    g = c.get("/ocsp/auth/" + (quote(base64.b64encode(body).decode(), safe="") or "%25%25%25"))
    assert g.status_code == 200
    assert ocsp.load_der_ocsp_response(g.content).response_status == ocsp.OCSPResponseStatus.MALFORMED_REQUEST


def test_crls_at_the_distribution_points_and_deltas_pass_pkilint_R_CERT_8(served, tmp_path):
    office, c, url = served
    card_id = issue_card(c, register(c))
    p = pems(office, tmp_path, card_id)
    leaf = x509.load_pem_x509_certificate(p["sign"].read_bytes())
    points = leaf.extensions.get_extension_for_class(x509.CRLDistributionPoints).value
    # The first point is the real directory name; the sandbox's HTTP partition follows it.
    dp = next(n.value for point in points for n in point.full_name if isinstance(n, x509.UniformResourceIdentifier))
    assert dp.startswith(url + "/crl/sign/")
    aia = leaf.extensions.get_extension_for_class(x509.AuthorityInformationAccess).value
    ca_url = next(a.access_location.value for a in aia if a.access_method.dotted_string == "1.3.6.1.5.5.7.48.2")
    assert x509.load_der_x509_certificate(httpx.get(ca_url).content).subject == leaf.issuer
    c.post(f"/api/cards/{card_id}/loss-report", json={"kind": "loss"})
    base = x509.load_der_x509_crl(httpx.get(dp).content)
    assert base.get_revoked_certificate_by_serial_number(leaf.serial_number) is not None
    c.post(f"/api/cards/{card_id}/found")
    delta = x509.load_der_x509_crl(httpx.get(dp.replace(".crl", "-delta.crl")).content)
    entry = delta.get_revoked_certificate_by_serial_number(leaf.serial_number)
    assert entry.extensions.get_extension_for_class(x509.CRLReason).value.reason == x509.ReasonFlags.remove_from_crl
    assert delta.extensions.get_extension_for_class(x509.DeltaCRLIndicator).value.crl_number == \
        base.extensions.get_extension_for_class(x509.CRLNumber).value.crl_number
    full = x509.load_der_x509_crl(httpx.get(f"{url}/crl/sign.crl").content)
    assert full.get_revoked_certificate_by_serial_number(leaf.serial_number) is None  # released
    c.post(f"/api/cards/{card_id}/certificates/auth/revoke")
    for name in ("sign.crl", "auth.crl", "sign-delta.crl", "auth-delta.crl", f"sign/{dp.rsplit('/', 1)[1]}",
                 f"sign/{dp.rsplit('/', 1)[1].replace('.crl', '-delta.crl')}"):
        path = tmp_path / name.replace("/", "_")
        path.write_bytes(httpx.get(f"{url}/crl/{name}").content)
        x509.load_der_x509_crl(path.read_bytes())
        assert pkilint("lint_crl", "-t", "CRL", "-p", "PKIX", path) == [], name
    assert httpx.get(f"{url}/crl/nothing.crl").status_code == 404
