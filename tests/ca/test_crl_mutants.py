"""The CRL's own DER encoder of revokedCertificates (ca/crl.py, R_CERT_8) against cryptography's
CRL builder, byte for byte, and the refusals of bad entries. Written to kill mutants
(docs/testing.md)."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import Encoding

from mynacard.ca import CertificateAuthority, CertKind
from mynacard.ca import crl as crl_module
from mynacard.ca.crl import RevocationEntry, _der_len, build_crl_der, der_time, encode_revoked
from mynacard.timeutil import JST
from tests.ca.helpers import AT
from tests.keypool import pooled_key

THIS_UPDATE = datetime(2025, 4, 1, 1, 0, 0, tzinfo=UTC)
REASONS = [
    x509.ReasonFlags.key_compromise,
    x509.ReasonFlags.affiliation_changed,
    x509.ReasonFlags.superseded,
    x509.ReasonFlags.cessation_of_operation,
    x509.ReasonFlags.certificate_hold,
    x509.ReasonFlags.privilege_withdrawn,
    None,
]


@pytest.fixture
def issuer() -> tuple[x509.Certificate, rsa.RSAPrivateKey]:
    key = pooled_key()
    return CertificateAuthority.generate(CertKind.SIGN, at=AT, key=key).certificate, key


def reference(issuer: x509.Certificate, key: rsa.RSAPrivateKey, entries: list[RevocationEntry], number: int,
              delta_of: int | None = None) -> bytes:
    """The same CRL made with cryptography's own builder (PKCS#1 v1.5 signatures are deterministic)."""
    ski = issuer.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
    b = (
        x509.CertificateRevocationListBuilder()
        .issuer_name(issuer.subject)
        .last_update(THIS_UPDATE)
        .next_update(THIS_UPDATE + timedelta(days=1))
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ski), critical=False)
        .add_extension(x509.CRLNumber(number), critical=False)
    )
    if delta_of is not None:
        b = b.add_extension(x509.DeltaCRLIndicator(delta_of), critical=True)
    for e in sorted(entries, key=lambda e: e.serial):
        r = x509.RevokedCertificateBuilder().serial_number(e.serial).revocation_date(e.revoked_at)
        if e.crl_reason is not None:
            r = r.add_extension(x509.CRLReason(e.crl_reason), critical=False)
        b = b.add_revoked_certificate(r.build())
    return b.sign(key, hashes.SHA256()).public_bytes(Encoding.DER)


def entries(n: int) -> list[RevocationEntry]:
    serials = [1, 127, 128, 255, 256, 65535, 65536, 2**63, 2**64 - 1, 2**158 + 12345]
    serials += [1000 + 7 * i for i in range(max(0, n - len(serials)))]
    times = [THIS_UPDATE - timedelta(hours=3), datetime(2049, 12, 31, 23, 59, 59, tzinfo=UTC),
             datetime(2050, 1, 1, tzinfo=UTC), datetime(2025, 3, 31, 23, 0, 1, tzinfo=UTC)]
    return [
        RevocationEntry(s, times[i % len(times)], REASONS[i % len(REASONS)], on_hold=i % 11 == 5)
        if REASONS[i % len(REASONS)] in (None, x509.ReasonFlags.certificate_hold) or i % 11 != 5
        else RevocationEntry(s, times[i % len(times)], None, on_hold=True)
        for i, s in enumerate(serials[:n])
    ]


@pytest.mark.parametrize("n", [1, 3, 10, 200, 2500])  # revokedCertificates of 1- to 3-octet DER lengths
def test_a_crl_is_byte_for_byte_what_cryptography_makes_of_the_same_entries_R_CERT_8(issuer, n):
    cert, key = issuer
    listed = entries(n)
    ours = build_crl_der(issuer=cert, key=key, entries=list(reversed(listed)), at=THIS_UPDATE, number=n)
    assert ours == reference(cert, key, listed, n)


def test_a_delta_crl_is_what_cryptography_makes_too_R_CERT_8(issuer):
    cert, key = issuer
    released = [RevocationEntry(4242, THIS_UPDATE, x509.ReasonFlags.remove_from_crl)]
    ours = build_crl_der(issuer=cert, key=key, entries=released, at=THIS_UPDATE, number=9, delta_of=8)
    assert ours == reference(cert, key, released, 9, delta_of=8)


def test_store_rows_and_streams_give_the_same_crl_R_CERT_8(issuer):
    """The store hands tuples, as a list or as a stream with the times already in DER: same CRL."""
    cert, key = issuer
    listed = entries(12)
    expected = reference(cert, key, listed, 3)
    rows = [(e.serial, e.revoked_at, e.crl_reason) for e in listed]
    assert build_crl_der(issuer=cert, key=key, entries=rows, at=THIS_UPDATE, number=3) == expected
    ordered = sorted((s, der_time(t.astimezone(UTC)), r) for s, t, r in rows)  # a stream comes in order
    assert build_crl_der(issuer=cert, key=key, entries=iter(ordered), at=THIS_UPDATE, number=3) == expected


def test_an_unspecified_reason_is_left_out_of_a_store_row_R_CERT_8():
    at = datetime(2025, 3, 31, 23, 0, 1, tzinfo=UTC)
    assert encode_revoked([(5, at, x509.ReasonFlags.unspecified)]) == encode_revoked([(5, at, None)])
    assert encode_revoked([]) == b""


def test_pre_encoded_entries_are_kept_as_they_are_between_the_others():
    at = datetime(2025, 3, 31, 23, 0, 1, tzinfo=UTC)
    one, two, three = (encode_revoked([(s, at, None)]) for s in (1, 2, 3))
    body = lambda der: der[2:]  # noqa: E731 - the entries without the SEQUENCE OF header
    every = encode_revoked([(s, at, None) for s in (1, 2, 3)])
    assert encode_revoked([(1, at, None), body(two), (3, at, None)]) == every
    assert encode_revoked([body(one), body(two)]) == encode_revoked([(1, at, None), (2, at, None)])
    assert len(one) == 2 + len(body(one)) and three != one


@pytest.mark.parametrize("serial", [0, -5])
def test_a_store_row_needs_a_positive_serial(serial):
    with pytest.raises(ValueError, match=r"^The serial of a revoked certificate must be a positive int\.$"):
        encode_revoked([(serial, THIS_UPDATE, None)])


def test_remove_from_crl_only_in_a_delta_crl_R_CERT_8():
    row = (7, THIS_UPDATE, x509.ReasonFlags.remove_from_crl)
    with pytest.raises(ValueError, match=r"^removeFromCRL may appear only in a delta CRL \(RFC 5280 5\.3\.1\)\.$"):
        encode_revoked([row])
    assert encode_revoked([row], delta=True)


@pytest.mark.parametrize("serial", [0, -1, "12", 1.0])
def test_a_revocation_entry_needs_a_positive_int_serial(serial):
    with pytest.raises(ValueError, match=r"^The serial of a revoked certificate must be a positive int\.$"):
        RevocationEntry(serial, THIS_UPDATE, None)


def test_a_revocation_entry_needs_an_aware_time_and_a_reason_flag():
    with pytest.raises(ValueError, match=r"^revoked_at must be timezone-aware \(got naive "):
        RevocationEntry(1, THIS_UPDATE.replace(tzinfo=None), None)
    with pytest.raises(TypeError, match=r"^reason must be an x509.ReasonFlags or None$"):
        RevocationEntry(1, THIS_UPDATE, "keyCompromise")  # type: ignore[arg-type]
    compromised = RevocationEntry(1, THIS_UPDATE, x509.ReasonFlags.key_compromise)
    assert compromised.crl_reason is x509.ReasonFlags.key_compromise


def test_a_hold_has_reason_certificate_hold_only():
    with pytest.raises(ValueError, match=r"^A hold has reason certificateHold, not keyCompromise\.$"):
        RevocationEntry(1, THIS_UPDATE, x509.ReasonFlags.key_compromise, on_hold=True)
    for reason in (None, x509.ReasonFlags.certificate_hold):
        assert RevocationEntry(1, THIS_UPDATE, reason, on_hold=True).crl_reason is x509.ReasonFlags.certificate_hold


def test_runs_of_pre_encoded_entries_and_rows_add_up_in_the_list_length():
    at = datetime(2025, 3, 31, 23, 0, 1, tzinfo=UTC)
    rows = [(s, at, None) for s in (1, 2, 3, 4, 5)]
    body = lambda s: encode_revoked([(s, at, None)])[2:]  # noqa: E731 - one entry without the SEQUENCE OF header
    assert encode_revoked([rows[0], body(2), rows[2], body(4), rows[4]]) == encode_revoked(rows)


@pytest.mark.parametrize(("n", "encoded"), [(0, "00"), (127, "7f"), (128, "8180"), (255, "81ff"), (256, "820100")])
def test_der_lengths_take_the_short_form_below_128_only(n, encoded):
    """X.690 8.1.3.4: the short form for 0-127; 128 already needs 81 80."""
    assert _der_len(n).hex() == encoded


def test_revocation_times_are_written_in_utc_whatever_the_machines_zone_R_CERT_8(issuer, monkeypatch):
    cert, key = issuer
    monkeypatch.setenv("TZ", "Asia/Tokyo")
    time.tzset()
    try:
        revoked = datetime(2025, 4, 1, 9, 30, 0, tzinfo=JST)  # 00:30 UTC
        der = build_crl_der(issuer=cert, key=key, entries=[RevocationEntry(9, revoked, None)], at=THIS_UPDATE, number=1)
    finally:
        monkeypatch.undo()
        time.tzset()
    listed = x509.load_der_x509_crl(der).get_revoked_certificate_by_serial_number(9)
    assert listed is not None and listed.revocation_date_utc == datetime(2025, 4, 1, 0, 30, tzinfo=UTC)
    assert b"\x17\x0d250401003000Z" in der


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"next_update": THIS_UPDATE}, ValueError, r"^The next update must be after this update\.$"),
        ({"next_update": THIS_UPDATE.replace(tzinfo=None)}, ValueError, r"^next_update must be timezone-aware"),
        ({"number": True}, TypeError, r"^number must be an int$"),
        ({"number": -1}, ValueError, r"^number must be a non-negative integer of at most 159 bits\.$"),
        ({"number": 2**159}, ValueError, r"^number must be a non-negative integer of at most 159 bits\.$"),
        ({"delta_of": "1"}, TypeError, r"^delta_of must be an int$"),
        ({"delta_of": 5}, ValueError, r"^A delta CRL's base CRL number must be below its own number\.$"),
        ({"entries": [(3, THIS_UPDATE, None), (3, THIS_UPDATE, None)]}, ValueError,
         r"^A certificate may be listed only once in a CRL\.$"),
    ],
)
def test_a_crl_that_cannot_be_made_is_refused_with_the_reason_R_CERT_8(issuer, kwargs, error, message):
    cert, key = issuer
    args = {"issuer": cert, "key": key, "entries": [], "at": THIS_UPDATE, "number": 5, **kwargs}
    with pytest.raises(error, match=message):
        build_crl_der(**args)


def test_the_largest_crl_number_is_159_bits_R_CERT_8(issuer):
    cert, key = issuer
    der = build_crl_der(issuer=cert, key=key, entries=[], at=THIS_UPDATE, number=2**159 - 1)
    assert x509.load_der_x509_crl(der).extensions.get_extension_for_class(x509.CRLNumber).value.crl_number == 2**159 - 1


def test_build_crl_gives_the_signed_crl_parsed(issuer):
    cert, key = issuer
    crl = crl_module.build_crl(issuer=cert, key=key, entries=entries(3), at=THIS_UPDATE, number=4)
    assert crl.public_bytes(Encoding.DER) == reference(cert, key, entries(3), 4)
