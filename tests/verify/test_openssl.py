"""``openssl cms -verify`` agrees with our CMS verdicts: what we call valid it verifies, what we
refuse (altered, another CA, the authentication key, revoked per the CRL) it refuses too."""

from __future__ import annotations

import shutil
import subprocess
from datetime import timedelta

import pytest
from cryptography.hazmat.primitives.serialization import Encoding

from mynacard.chip import KeySlot
from mynacard.services import pki
from mynacard.services.revocation.crls import full_crl
from mynacard.services.vcard import issue_demo_card
from mynacard.verify import Status
from tests.verify.conftest import AT, DOC, LATER, SIGNED, Signer, make_office, move

pytestmark = pytest.mark.skipif(shutil.which("openssl") is None, reason="openssl is not installed")


def openssl_ok(tmp_path, p7s: bytes, content: bytes | None, ca_pem: bytes, at, crl: bytes | None = None) -> bool:
    (tmp_path / "sig.p7s").write_bytes(p7s)
    (tmp_path / "ca.pem").write_bytes(ca_pem)
    cmd = [
        "openssl",
        "cms",
        "-verify",
        "-binary",
        "-inform",
        "DER",
        "-in",
        "sig.p7s",
        "-CAfile",
        "ca.pem",
        "-purpose",
        "any",
        "-attime",
        str(int(at.timestamp())),
        "-out",
        "/dev/null",
    ]
    if content is not None:
        (tmp_path / "doc").write_bytes(content)
        cmd += ["-content", "doc"]
    if crl is not None:
        (tmp_path / "crl.der").write_bytes(crl)
        subprocess.run(
            ["openssl", "crl", "-inform", "DER", "-in", "crl.der", "-out", "crl.pem"],
            cwd=tmp_path,
            check=True,
            capture_output=True,
        )
        cmd += ["-crl_check", "-CRLfile", "crl.pem"]
    run = subprocess.run(cmd, cwd=tmp_path, capture_output=True, text=True, check=False)
    return run.returncode == 0


def test_openssl_agrees_with_our_cms_verdicts(tmp_path, office, card_id, signer, verifier) -> None:
    with office.work(at=SIGNED, actor="test") as w:
        ca_pem = pki.authority(w, "sign").certificate.public_bytes(Encoding.PEM)
    cases = []
    good, doc = signer.sign("cms-detached")
    cases.append(("valid detached", good, doc, Status.VALID))
    attached, _ = signer.sign("cms")
    cases.append(("valid attached", attached, None, Status.VALID))
    cases.append(("altered content", good, DOC + b"!", Status.ALTERED))
    auth, doc2 = signer.sign("cms-detached", slot=KeySlot.AUTH)
    cases.append(("authentication key", auth, doc2, Status.WRONG_KEY_USAGE))
    other = make_office(tmp_path, "other")
    foreign, doc3 = Signer(other, issue_demo_card(other, AT)).sign("cms-detached")
    cases.append(("another CA", foreign, doc3, Status.UNKNOWN_CA))
    for name, p7s, content, expected in cases:
        v = verifier.verify(p7s, at=SIGNED, content=content)
        assert v.status is expected, (name, v.message)
        assert openssl_ok(tmp_path, p7s, content, ca_pem, SIGNED) is v.valid, name

    move(office, card_id)
    with office.work(at=LATER, actor="test") as w:
        crl = full_crl(w, "sign")
    v = verifier.verify(good, at=LATER, content=doc)
    assert v.status is Status.REVOKED
    assert openssl_ok(tmp_path, good, doc, ca_pem, LATER, crl) is False
    before = SIGNED + timedelta(days=1)
    assert openssl_ok(tmp_path, good, doc, ca_pem, before, None) is True
    other.store.dispose()
