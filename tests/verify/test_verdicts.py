"""The other verdicts: on hold, expired, not yet valid, the CRL when OCSP is unavailable, the
attributes read by OID whatever their order."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.x509.oid import NameOID

from mynacard.ca.profile import OID_ADDRESS, OID_BIRTH_DATE, OID_NAME, OID_SEX, utf8_string_der
from mynacard.services import loss
from mynacard.verify import Status
from mynacard.verify.attributes import signer_attributes
from mynacard.verify.office import OfficeVerifier
from tests.keypool import pooled_key
from tests.verify.conftest import AT, LATER, MOVED, SIGNED, move


def test_a_certificate_on_hold_gives_on_hold_and_valid_again_when_released(office, card_id, signer, verifier) -> None:
    data, content = signer.sign("cms-detached")
    held = SIGNED + timedelta(days=1)
    with office.work(at=held, actor="hotline") as w:
        loss.report_loss(w, card_id)
    v = verifier.verify(data, at=held + timedelta(hours=1), content=content)
    assert v.status is Status.ON_HOLD
    assert v.revocation is not None and v.revocation.revoked_at == held
    assert v.revocation.reason == "certificate_hold"
    with office.work(at=held + timedelta(days=2), actor="clerk") as w:
        loss.found(w, card_id)
    v = verifier.verify(data, at=held + timedelta(days=2, hours=1), content=content)
    assert v.status is Status.VALID, v.message


def test_expired_and_not_yet_valid(office, card_id, signer, verifier) -> None:
    data, content = signer.sign("xmldsig")
    v = verifier.verify(data, at=datetime(2030, 6, 16, 0, 0, tzinfo=AT.tzinfo), content=content)
    assert v.status is Status.EXPIRED  # the signing certificate ends on the 5th birthday after issue
    v = verifier.verify(data, at=AT - timedelta(days=1), content=content)
    assert v.status is Status.NOT_YET_VALID


def test_an_expired_certificate_with_a_timestamp_inside_its_validity_is_valid(
    office, card_id, signer, verifier
) -> None:
    data, content = signer.sign("pades", ts=SIGNED)
    v = verifier.verify(data, at=datetime(2031, 1, 1, tzinfo=AT.tzinfo), content=content)
    assert v.status is Status.VALID, v.message
    assert v.checked_at == SIGNED


def test_revocation_falls_back_to_the_crl_without_ocsp(office, card_id, signer) -> None:
    data, content = signer.sign("cms")
    move(office, card_id)
    v = OfficeVerifier(office, at=LATER, ocsp=False).verify(data, at=LATER, content=content)
    assert v.status is Status.REVOKED
    assert v.revocation is not None and v.revocation.source == "crl"
    assert v.revocation.reason == "affiliation_changed" and v.revocation.revoked_at == MOVED


def test_revocation_status_is_cached_briefly_and_a_revocation_reaches_the_verdict(office, card_id, signer) -> None:
    data, _ = signer.sign("cms")
    calls = []
    v = OfficeVerifier(office, at=SIGNED)
    inner = v.revocation.source.ocsp
    v.revocation.source.ocsp = lambda c, i: calls.append(1) or inner(c, i)  # type: ignore[method-assign]
    for seconds in range(0, 50, 10):
        assert v.verify(data, at=SIGNED + timedelta(seconds=seconds)).valid
    assert len(calls) == 1  # one OCSP answer for five verifications
    move(office, card_id, at=SIGNED + timedelta(seconds=55))
    # the same verifier sees the revocation once its cached answer is a minute old
    assert v.verify(data, at=SIGNED + timedelta(seconds=61)).status is Status.REVOKED
    assert len(calls) == 2


def _cert_with_san(names: list[x509.GeneralName]) -> x509.Certificate:
    key = pooled_key()
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "ABCDEFGHJKLMNPQRSTUVWXY")])
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(datetime(2026, 1, 1))
        .not_valid_after(datetime(2027, 1, 1))
        .add_extension(x509.SubjectAlternativeName(names), critical=False)
        .sign(key, hashes.SHA256())
    )


@pytest.mark.parametrize("sex", ["1", "2", "3", "9"])
def test_attributes_are_read_by_oid_in_any_order(sex) -> None:
    values = [
        (OID_ADDRESS, "東京都千代田区千代田1-1"),
        (OID_SEX, sex),
        (OID_BIRTH_DATE, "320000229"),
        (OID_NAME, "𠮷野 花子"),
    ]
    names: list[x509.GeneralName] = [x509.OtherName(oid, utf8_string_der(v)) for oid, v in values]
    attrs = signer_attributes(_cert_with_san(names))
    assert attrs is not None
    assert (attrs.name, attrs.sex, attrs.address) == ("𠮷野 花子", sex, "東京都千代田区千代田1-1")
    assert attrs.birth_date == date(2000, 2, 29)


def test_no_attributes_without_the_name() -> None:
    assert signer_attributes(_cert_with_san([x509.UniformResourceIdentifier("http://127.0.0.1/x")])) is None


def _ber(der: bytes) -> bytes:
    """The same ContentInfo with an indefinite-length outer SEQUENCE (BER, as some tools write)."""
    from mynacard.verify.der import tlv

    _, start, end, _ = tlv(der, 0, len(der))
    return b"\x30\x80" + der[start:end] + b"\x00\x00"


def test_ber_encoded_cms_is_read_by_the_general_parser(signer, verifier) -> None:
    data, content = signer.sign("cms-detached", ts=SIGNED)
    v = verifier.verify(_ber(data), at=SIGNED, content=content)
    assert v.status is Status.VALID, v.message
    assert v.timestamp == SIGNED and v.signer is not None
    assert verifier.verify(_ber(data), at=SIGNED, content=content + b"!").status is Status.ALTERED
