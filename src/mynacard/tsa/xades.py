"""XAdES-T: the SignatureTimeStamp over the canonical ``ds:SignatureValue`` (ETSI EN 319 132-1
5.3), shared by the client that adds it and the verifier that checks it."""

from __future__ import annotations

import base64

from lxml import etree

DS = "http://www.w3.org/2000/09/xmldsig#"
XADES = "http://uri.etsi.org/01903/v1.3.2#"
C14N = "http://www.w3.org/TR/2001/REC-xml-c14n-20010315"
EXC_C14N = "http://www.w3.org/2001/10/xml-exc-c14n#"
NS = {"ds": DS, "xades": XADES}


def canonical(element: etree._Element, method: str = C14N) -> bytes:
    if method == EXC_C14N:
        return bytes(etree.tostring(element, method="c14n", exclusive=True, with_comments=False))
    if method == C14N:
        return bytes(etree.tostring(element, method="c14n", exclusive=False, with_comments=False))
    raise ValueError(f"Unsupported canonicalization method {method}.")


def signature_value(root: etree._Element) -> etree._Element:
    found = root.findall(".//ds:Signature/ds:SignatureValue", NS)
    if len(found) != 1:
        raise ValueError(f"Expected one ds:SignatureValue, found {len(found)}.")
    return found[0]


def timestamp_target(root: etree._Element) -> bytes:
    """What the signature timestamp stamps: the canonical SignatureValue element."""
    return canonical(signature_value(root))


def add_signature_timestamp(root: etree._Element, token_der: bytes) -> None:
    """Append ``xades:UnsignedProperties/…/SignatureTimeStamp`` holding ``token_der``."""
    qp = root.find(".//ds:Signature/ds:Object/xades:QualifyingProperties", NS)
    if qp is None:
        raise ValueError("Not a XAdES signature: there are no QualifyingProperties to add the timestamp to.")
    unsigned = qp.find("xades:UnsignedProperties", NS)
    if unsigned is None:
        unsigned = etree.SubElement(qp, f"{{{XADES}}}UnsignedProperties")
    usp = unsigned.find("xades:UnsignedSignatureProperties", NS)
    if usp is None:
        usp = etree.SubElement(unsigned, f"{{{XADES}}}UnsignedSignatureProperties")
    sts = etree.SubElement(usp, f"{{{XADES}}}SignatureTimeStamp", Id="signature-timestamp")
    etree.SubElement(sts, f"{{{DS}}}CanonicalizationMethod", Algorithm=C14N)
    enc = etree.SubElement(sts, f"{{{XADES}}}EncapsulatedTimeStamp")
    enc.text = base64.b64encode(token_der).decode("ascii")


def signature_timestamps(root: etree._Element) -> list[tuple[str, bytes]]:
    """``(canonicalization method, token DER)`` of each SignatureTimeStamp."""
    out = []
    for sts in root.findall(".//xades:UnsignedSignatureProperties/xades:SignatureTimeStamp", NS):
        cm = sts.find("ds:CanonicalizationMethod", NS)
        method = cm.get("Algorithm", C14N) if cm is not None else C14N
        enc = sts.find("xades:EncapsulatedTimeStamp", NS)
        if enc is None or not (enc.text or "").strip():
            raise ValueError("A SignatureTimeStamp without its EncapsulatedTimeStamp.")
        out.append((method, base64.b64decode("".join((enc.text or "").split()), validate=True)))
    return out
