"""Verdicts on signatures the card made, per format: valid, revoked after a move (and valid when
timestamped before it), altered, another CA, the authentication key."""

from __future__ import annotations

from datetime import timedelta

import pytest

from mynacard.chip import KeySlot
from mynacard.verify import Status
from tests.verify.conftest import AT, FORMATS, LATER, MOVED, SIGNED, Signer, make_office, move


@pytest.mark.parametrize("fmt", [*FORMATS, "xmldsig"])
def test_good_signature_verifies_with_the_four_attributes(signer, verifier, fmt) -> None:
    data, content = signer.sign(fmt)
    v = verifier.verify(data, at=SIGNED + timedelta(hours=1), content=content)
    assert v.status is Status.VALID, v.message
    assert v.format == fmt
    assert v.signer is not None
    assert (v.signer.name, v.signer.birth_date.isoformat(), v.signer.sex) == ("見本 太郎", "1990-06-15", "1")
    assert v.signer.address == "石川県鹿島郡中能登町能登部下91部23番地"
    assert v.certificate_kind == "sign"
    assert v.revocation is not None and v.revocation.status == "good" and v.revocation.source == "ocsp"


@pytest.mark.parametrize("fmt", FORMATS)
def test_after_a_move_untimestamped_signature_is_revoked_timestamped_one_valid(
    office, card_id, signer, verifier, fmt
) -> None:
    plain, c1 = signer.sign(fmt)
    stamped, c2 = signer.sign(fmt, ts=SIGNED)
    late, c3 = signer.sign(fmt, ts=MOVED + timedelta(hours=1))  # existed only after the revocation
    move(office, card_id)

    v = verifier.verify(plain, at=LATER, content=c1)
    assert v.status is Status.REVOKED
    assert v.revocation is not None and v.revocation.reason == "affiliation_changed"
    assert v.revocation.revoked_at == MOVED
    assert "affiliation_changed" in v.message

    v = verifier.verify(stamped, at=LATER, content=c2)
    assert v.status is Status.VALID, v.message
    assert v.timestamp == SIGNED and v.checked_at == SIGNED
    assert v.revocation is not None and v.revocation.status == "good"
    assert v.revocation_now is not None and v.revocation_now.status == "revoked"

    v = verifier.verify(late, at=LATER, content=c3)
    assert v.status is Status.REVOKED
    assert v.timestamp == MOVED + timedelta(hours=1)


def _flip(data: bytes, fmt: str) -> bytes:
    """Change one byte of the signed content (not of the signature)."""
    needle = {
        "cms": "確定申告書".encode(),
        "pades": b"ReportLab Generated",
        "xades": b"5000000",
        "xmldsig": b"5000000",
    }[fmt]
    i = data.index(needle)
    return data[:i] + bytes([data[i] ^ 0x01]) + data[i + 1 :]


@pytest.mark.parametrize("fmt", [*FORMATS, "xmldsig"])
def test_a_changed_byte_is_detected(signer, verifier, fmt) -> None:
    data, content = signer.sign(fmt, ts=SIGNED if fmt != "xmldsig" else None)
    if fmt == "cms-detached":
        assert content is not None
        content = content[:5] + bytes([content[5] ^ 1]) + content[6:]
    else:
        data = _flip(data, "cms" if fmt == "cms" else fmt)
    v = verifier.verify(data, at=SIGNED, content=content)
    assert v.status is Status.ALTERED, v.message


@pytest.mark.parametrize("fmt", [*FORMATS, "xmldsig"])
def test_a_certificate_from_another_ca_is_refused(tmp_path, verifier, fmt) -> None:
    other = make_office(tmp_path, "elsewhere")
    try:
        data, content = Signer(other, _issue(other)).sign(fmt)
        v = verifier.verify(data, at=SIGNED, content=content)
        assert v.status is Status.UNKNOWN_CA, v.message
    finally:
        other.store.dispose()


def _issue(office) -> str:
    from mynacard.services.vcard import issue_demo_card

    return issue_demo_card(office, AT)


@pytest.mark.parametrize("fmt", ["cms-detached", "pades", "xades"])
def test_authentication_certificate_is_refused_as_a_document_signature(signer, verifier, fmt) -> None:
    data, content = signer.sign(fmt, slot=KeySlot.AUTH)
    v = verifier.verify(data, at=SIGNED, content=content)
    assert v.status is Status.WRONG_KEY_USAGE
    assert v.certificate_kind == "auth"
    assert "authentication" in v.message


def test_xmldsig_after_a_move_is_revoked(office, card_id, signer, verifier) -> None:
    """Plain XMLDSig has no place for a timestamp: after the revocation it is refused."""
    data, _ = signer.sign("xmldsig")
    assert verifier.verify(data, at=SIGNED).valid
    move(office, card_id)
    v = verifier.verify(data, at=LATER)
    assert v.status is Status.REVOKED and v.revocation is not None
    assert v.revocation.reason == "affiliation_changed"
