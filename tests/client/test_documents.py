"""Documents signed through the card, verified by independent tools (R_CERT_2, R_USE_1).

CMS by ``openssl cms -verify``, PDF by pyHanko's validation against the signing CA, XML by
signxml's XMLVerifier / XAdESVerifier against the issued certificate.
"""

from __future__ import annotations

import shutil
import subprocess
from datetime import timedelta
from io import BytesIO

import pytest
from cryptography.hazmat.primitives import serialization

from mynacard.chip import KeySlot, PinId
from mynacard.client import signing as sig
from mynacard.errors import StateError, WrongPin
from tests.client.conftest import AT, PINS, issued_certificate


def login(card, slot: KeySlot = KeySlot.SIGN) -> sig.CardOperation:
    op = sig.CardOperation(card, slot)
    op.login(PINS[slot.value])
    return op


def pem(cert) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


@pytest.mark.skipif(shutil.which("openssl") is None, reason="openssl is not installed")
@pytest.mark.parametrize("slot", list(KeySlot))
@pytest.mark.parametrize("as_pem", [False, True])
def test_cms_detached_verified_by_openssl_R_CERT_2(card, tmp_path, slot, as_pem) -> None:
    data = "令和7年分 確定申告書\n".encode() * 50
    op = login(card, slot)
    p7s = sig.sign_cms(sig.card_signer(op), data, at=AT, pem=as_pem)
    (tmp_path / "doc.txt").write_bytes(data)
    (tmp_path / "doc.p7s").write_bytes(p7s)
    (tmp_path / "ca.pem").write_bytes(pem(op.chain[0]))
    run = subprocess.run(
        [
            "openssl",
            "cms",
            "-verify",
            "-binary",
            "-content",
            "doc.txt",
            "-inform",
            "PEM" if as_pem else "DER",
            "-in",
            "doc.p7s",
            "-CAfile",
            "ca.pem",
            "-purpose",
            "any",
            "-out",
            "/dev/null",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode == 0, run.stderr
    assert "Verification successful" in run.stderr
    (tmp_path / "doc.txt").write_bytes(data + b"x")  # a changed document fails
    bad = subprocess.run(
        [
            "openssl",
            "cms",
            "-verify",
            "-binary",
            "-content",
            "doc.txt",
            "-inform",
            "PEM" if as_pem else "DER",
            "-in",
            "doc.p7s",
            "-CAfile",
            "ca.pem",
            "-purpose",
            "any",
            "-out",
            "/dev/null",
        ],
        cwd=tmp_path,
        capture_output=True,
        check=False,
    )
    assert bad.returncode != 0


def _pdf() -> bytes:
    from reportlab.pdfgen import canvas

    buf = BytesIO()
    c = canvas.Canvas(buf)
    c.drawString(100, 750, "mynacard client test")
    c.save()
    return buf.getvalue()


def test_pdf_pades_validated_by_pyhanko_R_CERT_2(card, office, card_id) -> None:
    from asn1crypto import x509 as asn1_x509
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko_certvalidator import ValidationContext

    op = login(card)
    signed = sig.sign_pdf(sig.card_signer(op), _pdf(), reason="test")
    ca = asn1_x509.Certificate.load(op.chain[0].public_bytes(serialization.Encoding.DER))
    embedded = PdfFileReader(BytesIO(signed)).embedded_signatures[0]
    # validated at a fixed moment just after the card was issued, never at the real clock's time
    moment = AT + timedelta(minutes=5)
    status = validate_pdf_signature(embedded, ValidationContext(trust_roots=[ca], moment=moment))
    assert status.intact and status.valid and status.trusted, status.pretty_print_details()
    issued = issued_certificate(office, card_id, KeySlot.SIGN)
    assert status.signing_cert.dump() == issued.public_bytes(serialization.Encoding.DER)
    assert op.signatures == 1  # the one private-key operation of the document


XML = '<?xml version="1.0" encoding="UTF-8"?>\n<Application xmlns="urn:example"><Name>見本</Name></Application>'
XML = XML.encode()
XML_JA = '<?xml version="1.0" encoding="UTF-8"?>\n<申請書 xmlns="urn:example"><氏名>見本 太郎</氏名></申請書>'.encode()


def test_xmldsig_verified_by_signxml_R_CERT_2(card, office, card_id) -> None:
    from signxml import XMLVerifier
    from signxml.exceptions import InvalidDigest

    op = login(card)
    signed = sig.sign_xml(sig.card_key(op), op.cert, op.chain, XML)
    cert = pem(issued_certificate(office, card_id, KeySlot.SIGN)).decode()
    result = XMLVerifier().verify(signed, x509_cert=cert)
    assert result.signed_xml.tag == "{urn:example}Application"
    with pytest.raises(InvalidDigest):  # the document was changed after signing
        XMLVerifier().verify(signed.replace("見本".encode(), "改竄".encode()), x509_cert=cert)


def test_xades_with_japanese_element_names_R_CERT_2(card, office, card_id) -> None:
    op = login(card)
    signed = sig.sign_xml(sig.card_key(op), op.cert, op.chain, XML_JA, xades=True)
    cert = pem(issued_certificate(office, card_id, KeySlot.SIGN)).decode()
    # signxml's stock verifier cannot copy non-ASCII element names; the UTF-8 mixin can.
    results = sig.Utf8XAdESVerifier().verify(signed, x509_cert=cert, expect_signature_policy=None)
    assert results


def test_one_pin_entry_one_signature_R_PIN_4(card) -> None:
    op = login(card, KeySlot.AUTH)
    op.sign_digest("sha256", bytes(32))
    with pytest.raises(StateError):
        op.sign_digest("sha256", bytes(32))


def test_wrong_pin_stops_the_document_R_PIN_4(card) -> None:
    op = sig.CardOperation(card, KeySlot.SIGN)
    with pytest.raises(WrongPin):
        op.login("WRONG1")
    with pytest.raises(StateError):
        op.sign_digest("sha256", bytes(32))
    assert card.tries_left(PinId.SIGN) == 4
