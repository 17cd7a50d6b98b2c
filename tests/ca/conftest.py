"""Fixtures of the CA tests: two roots and a holder.

The roots are made afresh for every test (a signature with a pooled key, a few milliseconds)
rather than once per session: mutmut runs for each mutant only the tests that called the mutated
function, and a session-wide root would count as called by the first test that used it only.
"""

from __future__ import annotations

from datetime import date

import pytest
from cryptography import x509

from mynacard.ca import CaSettings, CertificateAuthority, CertKind, SigningSubject
from tests.ca.helpers import ADDRESS, AT, auth_request, sign_request
from tests.keypool import pooled_key


@pytest.fixture
def settings() -> CaSettings:
    return CaSettings(base_url="http://127.0.0.1:8000")


@pytest.fixture
def sign_ca(settings: CaSettings) -> CertificateAuthority:
    return CertificateAuthority.generate(CertKind.SIGN, at=AT, settings=settings, key=pooled_key())


@pytest.fixture
def auth_ca(settings: CaSettings) -> CertificateAuthority:
    return CertificateAuthority.generate(CertKind.AUTH, at=AT, settings=settings, key=pooled_key())


@pytest.fixture
def holder() -> SigningSubject:
    return SigningSubject(
        name="山田　太郎",
        address=ADDRESS,
        birth_date=date(1990, 5, 10),
        sex="1",
    )


@pytest.fixture
def sign_cert(sign_ca: CertificateAuthority, holder: SigningSubject) -> x509.Certificate:
    return sign_ca.issue(sign_request(holder), at=AT)


@pytest.fixture
def auth_cert(auth_ca: CertificateAuthority) -> x509.Certificate:
    return auth_ca.issue(auth_request(), at=AT)
