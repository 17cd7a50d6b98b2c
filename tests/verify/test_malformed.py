"""Untrusted input: truncated, oversized, garbage, the wrong type, deeply nested. Each gets the
verdict "malformed" (or "altered" when it still parses but no longer matches), never an exception."""

from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mynacard.verify import MAX_INPUT_BYTES, Status
from tests.verify.conftest import SIGNED

NOT_VALID = {Status.MALFORMED, Status.ALTERED}


def _nested_der(depth: int) -> bytes:
    body = b""
    for _ in range(depth):
        n = len(body)
        length = (
            bytes([n])
            if n < 0x80
            else bytes([0x80 | ((n.bit_length() + 7) // 8)]) + n.to_bytes((n.bit_length() + 7) // 8, "big")
        )
        body = b"\x30" + length + body
    return body


CASES = {
    "empty": b"",
    "garbage": os.urandom(2000),
    "png": b"\x89PNG\r\n\x1a\n" + os.urandom(100),
    "json": b'{"signature": "nope"}',
    "text": "確定申告書".encode(),
    "pdf without signature": b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n",
    "broken pem": b"-----BEGIN CMS-----\n!!!!\n-----END CMS-----\n",
    "deep der": _nested_der(3000),
    "deep xml": b"<a>" * 5000 + b"</a>" * 5000,
    "xml bomb": b'<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaaaaaaaa">'
    b'<!ENTITY b "&a;&a;&a;&a;&a;&a;">]><l>&b;</l>',
    "xml without signature": "<申告書/>".encode(),
    "oversized": b"\x30" + os.urandom(16) + b"\0" * MAX_INPUT_BYTES,
}


@pytest.mark.parametrize("name", list(CASES))
def test_bad_input_is_malformed(verifier, name) -> None:
    v = verifier.verify(CASES[name], at=SIGNED)
    assert v.status is Status.MALFORMED, (name, v.message)
    assert v.message


def test_a_detached_signature_without_its_content_is_malformed(signer, verifier) -> None:
    data, _ = signer.sign("cms-detached")
    v = verifier.verify(data, at=SIGNED)
    assert v.status is Status.MALFORMED and "detached" in v.message


@pytest.mark.parametrize("fmt", ["cms", "pades", "xades"])
def test_truncated_signatures_are_not_valid(signer, verifier, fmt) -> None:
    data, content = signer.sign(fmt, ts=SIGNED)
    for cut in (1, 10, len(data) // 2, len(data) - 1):
        v = verifier.verify(data[:cut], at=SIGNED, content=content)
        assert v.status in NOT_VALID, (cut, v.status, v.message)


@pytest.fixture(scope="module")
def signed_samples(tmp_path_factory):
    from mynacard.services.vcard import issue_demo_card
    from mynacard.verify.office import OfficeVerifier
    from tests.verify.conftest import AT, Signer, make_office

    office = make_office(tmp_path_factory.mktemp("fuzz"), "fuzz")
    signer = Signer(office, issue_demo_card(office, AT))
    samples = {fmt: signer.sign(fmt, ts=SIGNED)[0] for fmt in ("cms", "pades", "xades")}
    yield samples, OfficeVerifier(office, at=SIGNED)
    office.store.dispose()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_any_corruption_never_crashes_or_verifies(signed_samples, data) -> None:
    samples, verifier = signed_samples
    fmt = data.draw(st.sampled_from(sorted(samples)))
    raw = bytearray(samples[fmt])
    for _ in range(data.draw(st.integers(1, 4))):
        i = data.draw(st.integers(0, len(raw) - 1))
        raw[i] = data.draw(st.integers(0, 255))
    v = verifier.verify(bytes(raw), at=SIGNED)
    if bytes(raw) != samples[fmt] and v.status is Status.VALID:
        assert _only_unsigned_bytes_changed(fmt, samples[fmt], bytes(raw)), v
        assert v.timestamp == SIGNED or "timestamp_ignored" in v.details, v
    assert isinstance(v.status, Status)


def _only_unsigned_bytes_changed(fmt: str, a: bytes, b: bytes) -> bool:
    """Bytes no signature covers: the PDF's /Contents (signature and its timestamp token), the
    XAdES UnsignedProperties, the unsigned parts of CMS. A corrupted timestamp is ignored (and
    said so in the verdict's details); the signature itself still verifies."""
    diff = [i for i in range(len(a)) if a[i] != b[i]]
    if fmt == "pades":
        start = a.index(b"/Contents <")
        end = a.index(b">", start + 11)
    elif fmt == "xades":
        # The XML declaration (the prolog before the root element) is outside the signed,
        # canonicalized document: a damaged declaration that still parses changes nothing signed.
        root = a.index(b"\n<") + 1
        if all(i < root for i in diff):
            return True
        start = a.index(b"<xades:UnsignedProperties")
        end = a.index(b"</xades:UnsignedProperties>")
    else:  # CMS signs only the signed attributes (over the content); certificates, other
        # algorithms lists and unsigned attributes are outside the signature
        from mynacard.verify import der

        sa, sb = der.signed_data(a), der.signed_data(b)
        ia, ib = sa.signer_infos[0], sb.signer_infos[0]
        signer = next(c for c in sa.certificates if der.issuer_and_serial(c)[1] == ia.sid_serial)
        return (ia.signed_attrs, ia.signature, sa.content) == (ib.signed_attrs, ib.signature, sb.content) and (
            signer in sb.certificates
        )
    return all(start <= i < end for i in diff)


def test_a_signed_attribute_that_is_not_an_oid_and_a_set_is_malformed(signer, verifier) -> None:
    """The strict DER reader checks every signed attribute's shape (SEQUENCE of an OID and a SET
    of values), the ones it does not use too: a changed shape is malformed, never read past."""
    from mynacard.verify import der

    data, content = signer.sign("cms-detached")
    si_signed = der.signed_data(data).signer_infos[0].signed_attrs
    assert si_signed is not None
    where = data.index(si_signed[1:])  # the [0] IMPLICIT attributes, after their tag
    attrs = der.children(data, *der.tlv(data, where - 1, len(data))[1:3])
    last = attrs[-1]  # an attribute the verifier does not use (CMSAlgorithmProtection or the like)
    oid = der.tlv(data, last[1], last[2])
    values_tag = oid[2]
    assert data[values_tag] == 0x31
    for bad in (0x30, 0x04):
        broken = data[:values_tag] + bytes([bad]) + data[values_tag + 1 :]
        v = verifier.verify(broken, at=SIGNED, content=content)
        assert v.status is Status.MALFORMED, (bad, v.message)
