"""XMLDSig and XAdES signatures (enveloped, over the whole document), read with signxml.

The signer's certificate is the end-entity certificate in ``ds:KeyInfo``; signxml checks the
references and the signature value against it, and the path is validated apart (``path``).
Only signatures whose document reference is the whole document (``URI=""``) are accepted, so
that a signature cannot be moved onto a part of a larger document.
"""

from __future__ import annotations

import base64
import dataclasses
from datetime import datetime

from cryptography import x509
from lxml import etree
from signxml import SignatureConfiguration
from signxml.exceptions import InvalidCertificate, InvalidDigest, InvalidInput, InvalidSignature
from signxml.xades.xades import _DEFAULT_XADES_SIGNATURE_CONFIG

from mynacard.client.signing import Utf8XAdESVerifier, Utf8XMLVerifier
from mynacard.tsa.xades import NS, canonical, signature_timestamps, signature_value
from mynacard.verify.formats import Extracted, Malformed
from mynacard.verify.path import Trust
from mynacard.verify.timestamps import TimestampCheck, check_token, load_token

PARSER_OPTIONS = {"resolve_entities": False, "no_network": True, "load_dtd": False, "huge_tree": False}


def parse(data: bytes) -> etree._Element:
    try:
        root = etree.fromstring(data, parser=etree.XMLParser(**PARSER_OPTIONS))
    except etree.XMLSyntaxError as e:
        raise Malformed(f"Not well-formed XML: {e}") from e
    if root is None:
        raise Malformed("Empty XML document.")
    if root.getroottree().docinfo.doctype:
        raise Malformed("XML with a DOCTYPE is refused (entity expansion).")
    return root


def _signer_cert(root: etree._Element) -> x509.Certificate:
    sigs = root.findall(".//ds:Signature", NS)
    if len(sigs) != 1:
        raise Malformed(f"Expected one ds:Signature, found {len(sigs)}.")
    certs = []
    for el in sigs[0].findall("ds:KeyInfo/ds:X509Data/ds:X509Certificate", NS):
        der = base64.b64decode("".join((el.text or "").split()), validate=True)
        certs.append(x509.load_der_x509_certificate(der))
    leaves = []
    for c in certs:
        try:
            ca = c.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
        except x509.ExtensionNotFound:
            ca = False
        if not ca:
            leaves.append(c)
    if len(leaves) != 1:
        raise Malformed("The signature must carry exactly one end-entity certificate in ds:KeyInfo.")
    return leaves[0]


def _signing_time(root: etree._Element) -> datetime | None:
    el = root.find(".//xades:SignedSignatureProperties/xades:SigningTime", NS)
    if el is None or not el.text:
        return None
    try:
        return datetime.fromisoformat(el.text.strip().replace("Z", "+00:00"))
    except ValueError:
        return None


def read_xml(data: bytes) -> Extracted:
    root = parse(data)
    cert = _signer_cert(root)
    is_xades = root.find(".//xades:QualifyingProperties", NS) is not None
    signature = root.find(".//ds:Signature", NS)
    assert signature is not None
    refs = signature.findall("ds:SignedInfo/ds:Reference", NS)
    inner_ids = {el.get("Id") for el in signature.iter() if el.get("Id")}
    outside = [r.get("URI") for r in refs if not (r.get("URI") or "").startswith("#")]
    if outside != [""] or any((r.get("URI") or "")[1:] not in inner_ids for r in refs if r.get("URI")):
        raise Malformed(
            'The signature must have one reference to the whole document (URI="") '
            "and otherwise only references to its own parts."
        )
    fmt = "xades" if is_xades else "xmldsig"
    # signxml checks the validity period against its own clock; ours is checked apart (``core``)
    # at the validation time or the timestamp's, so give it a moment inside the period.
    inside = cert.not_valid_before_utc
    try:
        if is_xades:
            config = dataclasses.replace(_DEFAULT_XADES_SIGNATURE_CONFIG, verification_time=inside)
            Utf8XAdESVerifier().verify(data, x509_cert=cert, expect_config=config)
        else:
            Utf8XMLVerifier().verify(
                data, x509_cert=cert, expect_config=SignatureConfiguration(verification_time=inside)
            )
    except (InvalidDigest, InvalidSignature) as e:
        return Extracted(fmt, cert, False, f"The document does not match the signature: {e}")
    except (InvalidInput, InvalidCertificate) as e:
        raise Malformed(str(e)) from e
    stamp = None
    if is_xades:
        tokens = signature_timestamps(root)
        if tokens:
            method, der = tokens[0]
            token = load_token(der)
            stamped = canonical(signature_value(root), method)

            def stamp(trust: Trust) -> TimestampCheck:
                return check_token(token, stamped, trust)

    return Extracted(fmt, cert, True, signing_time=_signing_time(root), timestamp=stamp)
