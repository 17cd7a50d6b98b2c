"""The certificate checks of the holder's approval (``services/login/requests``): a login is
accepted only with a current certificate of the right kind that the sandbox's JPKI CA issued,
signed and recorded. Each refusal says why, and is kept on the request."""

from __future__ import annotations

import base64
from datetime import datetime, timedelta

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.oid import NameOID

from mynacard.ca.profile import CertRequest
from mynacard.client import JpkiCard
from mynacard.client import approve as ap
from mynacard.db import repositories as repo
from mynacard.db.provider import LoginRequest
from mynacard.rules.events import RevocationReason
from mynacard.services import login, pki
from mynacard.services.vcard import DEMO_MUNICIPALITY, DEMO_PINS, open_card
from tests.client.conftest import AT
from tests.keypool import pooled_key
from tests.login.conftest import started_request

NOT_ISSUED = "The certificate was not issued by the JPKI CA of this sandbox."
NO_RECORD = "The CA has no record of this certificate."
NOT_VALID_NOW = "The certificate is not valid at this time."


def _answer(office, card_id: str, request_id: str, at: datetime = AT) -> dict:
    with office.work(at=at, actor="holder") as w:
        shown = login.challenge(w, request_id)
    card = JpkiCard(open_card(office, card_id, lambda: at))
    return ap.answer(card, shown, DEMO_PINS["auth"], DEMO_PINS["sign"])


def _approve(office, request_id: str, answer: dict, at: datetime = AT) -> tuple[str | None, str]:
    """The outcome as the holder's app gets it; a refusal must also be kept on the request."""
    with office.work(at=at, actor="holder") as w:
        outcome = login.approve(w, request_id, answer)
    with office.work(at=at, actor="reader") as w:
        row = w.session.get(LoginRequest, request_id)
        assert (row.status, row.refusal) == (("approved", None) if outcome.ok else ("refused", outcome.refusal))
    return outcome.refusal, outcome.detail


def _der(cert: x509.Certificate) -> str:
    return base64.b64encode(cert.public_bytes(Encoding.DER)).decode()


def _certificate(office, card_id: str, kind: str) -> x509.Certificate:
    with office.work(at=AT, actor="reader") as w:
        return x509.load_der_x509_certificate(repo.current_certificate(w.session, card_id, kind).der)


def _foreign(issuer: x509.Name | None = None) -> x509.Certificate:
    """A certificate made outside the sandbox, self-signed or in the name of ``issuer``."""
    key = pooled_key()
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "somebody else")])
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer or subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(AT - timedelta(days=1))
        .not_valid_after(AT + timedelta(days=365))
        .sign(key, hashes.SHA256())
    )


def _ca_issued(office, card_id: str, *, serial: int | None = None) -> x509.Certificate:
    """An authentication certificate for the holder's key signed by the sandbox's CA, but not
    through the issuing of a card: the CA's records do not have it."""
    held = _certificate(office, card_id, "auth")
    request = CertRequest(
        public_key=held.public_key(),
        not_before=AT,
        expires_on=(AT + timedelta(days=400)).date(),
        municipality_code=DEMO_MUNICIPALITY[0],
    )
    with office.work(at=AT, actor="test") as w:
        return pki.authority(w, "auth").issue(request, at=AT, serial=serial)


# -- the CA that issued it --------------------------------------------------------------------------


def test_without_a_jpki_ca_in_the_sandbox_no_certificate_is_accepted(office, site) -> None:
    """A sandbox where no card was issued yet has no CA: a certificate from elsewhere is refused."""
    request_id = started_request(office)[0]
    with office.work(at=AT, actor="reader") as w:
        assert repo.ca_row(w.session, "auth") is None
    answer = {"auth_certificate": _der(_foreign()), "auth_signature": base64.b64encode(b"signature").decode()}
    assert _approve(office, request_id, answer) == ("unknown_ca", "No CA of this kind exists in this sandbox.")


def test_a_signing_certificate_offered_for_authentication_is_refused_as_the_wrong_kind(office, card_id, site) -> None:
    request_id = started_request(office)[0]
    answer = _answer(office, card_id, request_id)
    answer["auth_certificate"] = _der(_certificate(office, card_id, "sign"))
    assert _approve(office, request_id, answer) == (
        "wrong_certificate",
        "This is not an authentication certificate.",
    )


def test_an_authentication_certificate_offered_for_signing_is_refused_as_the_wrong_kind(office, card_id, site) -> None:
    request_id = started_request(office, "openid name")[0]
    answer = _answer(office, card_id, request_id)
    answer["sign_certificate"], answer["sign_signature"] = answer["auth_certificate"], answer["auth_signature"]
    assert _approve(office, request_id, answer) == ("wrong_certificate", "This is not a signing certificate.")


@pytest.mark.parametrize("scope", ["openid", "openid name"])
def test_a_certificate_of_another_issuer_is_refused_as_not_from_the_jpki_ca(office, card_id, site, scope) -> None:
    """Both of the sandbox's CAs exist; the certificate comes from neither."""
    request_id = started_request(office, scope)[0]
    answer = _answer(office, card_id, request_id)
    part = "sign_certificate" if scope != "openid" else "auth_certificate"
    answer[part] = _der(_foreign())
    assert _approve(office, request_id, answer) == ("unknown_ca", NOT_ISSUED)


def test_a_certificate_in_the_name_of_the_jpki_ca_but_not_signed_by_it_is_refused(office, card_id, site) -> None:
    request_id = started_request(office)[0]
    answer = _answer(office, card_id, request_id)
    answer["auth_certificate"] = _der(_foreign(issuer=_certificate(office, card_id, "auth").issuer))
    assert _approve(office, request_id, answer) == (
        "unknown_ca",
        "The certificate's signature does not verify with the JPKI CA.",
    )


# -- the CA's records ---------------------------------------------------------------------------------


def test_a_certificate_signed_by_the_ca_that_it_never_recorded_is_refused(office, card_id, site) -> None:
    """Signed by the CA for the holder's own key, so that the card's signature verifies; the CA has
    no record of it."""
    request_id = started_request(office)[0]
    answer = _answer(office, card_id, request_id)
    answer["auth_certificate"] = _der(_ca_issued(office, card_id))
    assert _approve(office, request_id, answer) == ("unknown_ca", NO_RECORD)


def test_a_certificate_other_than_the_one_recorded_under_its_serial_is_refused(office, card_id, site) -> None:
    request_id = started_request(office)[0]
    answer = _answer(office, card_id, request_id)
    recorded = _certificate(office, card_id, "auth")
    other = _ca_issued(office, card_id, serial=recorded.serial_number)
    assert other.public_bytes(Encoding.DER) != recorded.public_bytes(Encoding.DER)
    answer["auth_certificate"] = _der(other)
    assert _approve(office, request_id, answer) == ("unknown_ca", NO_RECORD)


def test_a_revoked_certificate_is_refused_with_the_reason_of_its_revocation(office, card_id, site) -> None:
    serial = _certificate(office, card_id, "auth").serial_number
    with office.work(at=AT, actor="ca") as w:
        pki.revoke(w, repo.certificate(w.session, serial), RevocationReason.KEY_COMPROMISE)
    request_id = started_request(office)[0]
    answer = _answer(office, card_id, request_id)
    assert _approve(office, request_id, answer) == ("revoked", "The certificate was revoked (key_compromise).")


# -- the certificate's validity -------------------------------------------------------------------


def test_a_certificate_is_accepted_up_to_the_last_second_of_its_validity(office, card_id, site) -> None:
    end = _certificate(office, card_id, "auth").not_valid_after_utc
    request_id = started_request(office, at=end - timedelta(minutes=1))[0]
    answer = _answer(office, card_id, request_id, at=end)
    assert _approve(office, request_id, answer, at=end) == (None, "")


def test_a_certificate_past_its_validity_is_refused_even_while_the_ca_still_lists_it_as_good(
    office, card_id, site
) -> None:
    """The CA marks a certificate expired in its nightly batch; until then its record says good,
    and the certificate's own dates decide."""
    end = _certificate(office, card_id, "auth").not_valid_after_utc
    after = end + timedelta(seconds=1)
    request_id = started_request(office, at=end)[0]
    answer = _answer(office, card_id, request_id, at=after)
    with office.work(at=after, actor="reader") as w:
        assert repo.current_certificate(w.session, card_id, "auth").status == "good"
    assert _approve(office, request_id, answer, at=after) == ("expired_certificate", NOT_VALID_NOW)
