"""`mynacard export` output checked by outside tools: pkilint and openssl (R_CERT_8, R_CERT_9)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from mynacard.cli.main import app
from mynacard.timeutil import JST
from tests.ca.helpers import pkilint
from tests.conftest import skip_or_fail

BIN = Path(sys.executable).parent


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    """The demo's whole story, exported at its end."""
    d = tmp_path_factory.mktemp("export")
    runner = CliRunner()
    db = str(d / "demo.db")
    r = runner.invoke(app, ["--db", db, "demo"])
    assert r.exit_code == 0, r.output
    r = runner.invoke(app, ["--db", db, "--at", "2034-05-02T10:00", "export", str(d / "out")])
    assert r.exit_code == 0, r.output
    return d / "out"


def test_export_layout(exported):
    assert sorted(p.name for p in (exported / "ca").iterdir()) == [
        "auth-ocsp.pem", "auth.pem", "sign-ocsp.pem", "sign.pem"]
    assert len(list((exported / "certs").glob("*.pem"))) >= 8
    assert (exported / "crl" / "sign.crl").exists() and (exported / "crl" / "sign-174076.crl").exists()
    assert len(list((exported / "ocsp").glob("*.der"))) == len(list((exported / "certs").glob("*.pem")))


def test_certificates_pass_pkilint_R_CERT_9(exported):
    files = [*exported.glob("certs/*.pem"), *exported.glob("ca/*.pem")]
    assert files
    for f in files:
        assert pkilint("lint_pkix_cert", f) == [], f


def test_crls_pass_pkilint_R_CERT_8(exported):
    files = list(exported.glob("crl/*.crl"))
    assert files
    for f in files:
        assert pkilint("lint_crl", "-p", "PKIX", "-t", "CRL", f) == [], f


def test_ocsp_responses_pass_pkilint_R_CERT_8(exported):
    files = list(exported.glob("ocsp/*.der"))
    assert files
    for f in files:
        assert pkilint("lint_ocsp_response", f) == [], f


@pytest.mark.parametrize(
    ("tool", "args"),
    [("lint_pkix_cert", ()), ("lint_crl", ("-p", "PKIX", "-t", "CRL")), ("lint_ocsp_response", ())],
)
def test_the_lint_helper_fails_a_garbage_file(tmp_path, tool, args):
    """The judge can say no: a file pkilint cannot load is a finding, not a pass."""
    for name, data in (("g.pem", b"-----BEGIN X-----\ngarbage\n-----END X-----\n"), ("g.der", b"\x30\x03garbage")):
        path = tmp_path / name
        path.write_bytes(data)
        assert pkilint(tool, *args, path) != [], name


def test_ocsp_responses_are_signed_by_the_delegated_responder_the_service_uses(exported):
    from cryptography import x509
    from cryptography.x509 import ocsp

    for kind in ("sign", "auth"):
        responder = x509.load_pem_x509_certificate((exported / "ca" / f"{kind}-ocsp.pem").read_bytes())
        ca = x509.load_pem_x509_certificate((exported / "ca" / f"{kind}.pem").read_bytes())
        assert responder.issuer == ca.subject and responder != ca
        files = list(exported.glob(f"ocsp/{kind}-*.der"))
        assert files
        for f in files:
            resp = ocsp.load_der_ocsp_response(f.read_bytes())
            assert resp.certificates == [responder], f  # not the CA key: the same responder as `serve`


def test_openssl_verifies_every_certificate_at_its_issue_time(exported):
    if shutil.which("openssl") is None:
        skip_or_fail("openssl is not installed (apt-get install openssl)")
    from cryptography import x509

    for f in exported.glob("certs/*.pem"):
        cert = x509.load_pem_x509_certificate(f.read_bytes())
        kind = f.name.split("-")[0]
        when = int(cert.not_valid_before_utc.timestamp()) + 60
        out = subprocess.run(
            ["openssl", "verify", "-attime", str(when), "-CAfile", str(exported / "ca" / f"{kind}.pem"), str(f)],
            capture_output=True,
            text=True,
            check=False,
        )
        assert out.returncode == 0, out.stdout + out.stderr


def test_crl_lists_the_revoked_signing_certificate_R_CERT_8(exported):
    from cryptography import x509

    crl = x509.load_der_x509_crl((exported / "crl" / "sign.crl").read_bytes())
    reasons = set()
    for entry in crl:
        try:
            reasons.add(entry.extensions.get_extension_for_class(x509.CRLReason).value.reason.name)
        except x509.ExtensionNotFound:
            reasons.add("unspecified")
    # the card renewal of 2034-05-01 superseded the old card's signing certificate; the one
    # revoked by the 2026 move (affiliation changed) expired in 2029 and has left the CRL
    assert reasons == {"superseded"}
    assert datetime(2034, 5, 2, 10, 0, tzinfo=JST) == crl.last_update_utc.astimezone(JST)
