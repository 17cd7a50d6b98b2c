"""A refused login and the attributes a signing certificate gives (R_CERT_9). Written against the
mutants that lived in ``services/login/requests.py``."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.x509.oid import NameOID

from mynacard.ca.profile import OID_ADDRESS, OID_BIRTH_DATE, OID_NAME, OID_SEX, utf8_string_der
from mynacard.client import JpkiCard
from mynacard.client import approve as ap
from mynacard.db import repositories as repo
from mynacard.db.provider import LoginRequest
from mynacard.services import kiosk, loss
from mynacard.services.login.requests import signing_attributes
from mynacard.services.vcard import DEMO_PINS, open_card
from tests.client.conftest import AT
from tests.keypool import pooled_key


def test_a_signing_certificate_gives_the_four_attributes_as_claims_R_CERT_9(office, card_id):
    with office.work(at=AT, actor="reader") as w:
        cert = x509.load_der_x509_certificate(repo.current_certificate(w.session, card_id, "sign").der)
    assert signing_attributes(cert) == {
        "name": "見本 太郎",
        "address": "石川県鹿島郡中能登町能登部下91部23番地",
        "gender": "1",
        "birthdate": "1990-06-15",
    }


def _signing_certificate(birth: str) -> x509.Certificate:
    """A certificate carrying the four attributes in subjectAltName, with this date of birth."""
    key = pooled_key()
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "ABCDEFGHJKLMNPQRSTUVWXY")])
    values = [(OID_NAME, "ジョン スミス"), (OID_BIRTH_DATE, birth), (OID_SEX, "1"), (OID_ADDRESS, "石川県金沢市")]
    names = [x509.OtherName(oid, utf8_string_der(v)) for oid, v in values]
    return (
        x509.CertificateBuilder().subject_name(subject).issuer_name(subject).public_key(key.public_key())
        .serial_number(1).not_valid_before(datetime(2026, 1, 1)).not_valid_after(datetime(2027, 1, 1))
        .add_extension(x509.SubjectAlternativeName(names), critical=False).sign(key, hashes.SHA256())
    )


def test_a_date_of_birth_that_is_not_a_full_date_is_released_as_the_certificate_writes_it_R_CERT_9():
    """A date of birth partly unknown (month and day written 00) is no calendar date: the claim
    carries the certificate's own form, era digit included."""
    assert signing_attributes(_signing_certificate("319850000")) == {
        "name": "ジョン スミス", "address": "石川県金沢市", "gender": "1", "birthdate": "319850000"}


def test_a_refused_login_says_why_and_is_logged_with_its_client_and_request_R_LOSS_1(office, card_id):
    with office.work(at=AT, actor="hotline") as w:
        loss.report_loss(w, card_id)
    when = AT + timedelta(minutes=5)
    card = JpkiCard(open_card(office, card_id, lambda: when))
    with pytest.raises(kiosk.KioskRefused) as err:
        kiosk.terminal_login(office, when, lambda challenge: ap.answer(card, challenge, DEMO_PINS["auth"]))
    assert (err.value.message, err.value.message_ja, err.value.reason) == (
        "The card was not accepted: The certificate is on hold (the card was reported lost).",
        "電子証明書は一時保留中です。",
        "on_hold",
    )
    with office.work(at=when, actor="reader") as w:
        [request] = w.session.query(LoginRequest).all()
        logged = [e.details for e in repo.events(w.session) if e.action == "login_refused"]
    assert logged == [{"client_id": "KIOSK", "request": request.id[:8], "reason": "on_hold"}]
    assert (request.status, request.refusal) == ("refused", "on_hold")
