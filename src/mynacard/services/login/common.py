"""What the login provider's parts share: lifetimes, the refusal families, small codecs."""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
from collections.abc import Callable
from datetime import timedelta
from typing import Any, ParamSpec, TypeVar

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from mynacard.errors import MynaError
from mynacard.rules.login import (
    LoginError,
)
from mynacard.services.context import Work

REQUEST_LIFETIME = timedelta(minutes=5)  # the holder has five minutes to approve with the card
CODE_LIFETIME = timedelta(seconds=60)
TOKEN_LIFETIME = timedelta(minutes=10)
TRANSACTION_LIFETIME = timedelta(minutes=10)
KEY_ID = "mynacard-login-1"
P = ParamSpec("P")
R = TypeVar("R")
ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"

# The otherName OIDs of the basic four attributes in the signing certificate (R_CERT_9).
_ATTRIBUTE_OIDS = {
    "name": "1.2.392.200149.8.5.5.1",
    "gender": "1.2.392.200149.8.5.5.3",
    "birthdate": "1.2.392.200149.8.5.5.4",
    "address": "1.2.392.200149.8.5.5.5",
}


class ClientAuthError(MynaError):
    """The relying party did not authenticate at the token endpoint (OAuth ``invalid_client``)."""

    code = "invalid_client"
    http_status = 401
    keep_changes = True  # the refusal's audit entry stays


class GrantError(MynaError):
    """A code, verifier or token the provider does not accept (OAuth ``invalid_grant``)."""

    code = "invalid_grant"
    http_status = 400
    keep_changes = True  # the refusal's audit entry stays


class CodeReplayed(GrantError):
    """A code presented twice; the tokens it gave are withdrawn, and that withdrawal is kept."""


class TokenError(MynaError):
    """A missing, unknown or expired bearer token (``invalid_token``)."""

    code = "invalid_token"
    http_status = 401


def _audited(stage: str) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Record every refusal of ``stage`` in the event log; the refusal families keep the entry
    (``keep_changes``) although the rest of the unit of work is rolled back with them."""

    def wrap(fn: Callable[P, R]) -> Callable[P, R]:
        @functools.wraps(fn)
        def run(*args: P.args, **kwargs: P.kwargs) -> R:
            try:
                return fn(*args, **kwargs)
            except (LoginError, ClientAuthError, GrantError) as e:
                w = args[0]
                assert isinstance(w, Work)
                w.log("login_refused", stage=stage, reason=str(e.fields.get("error", e.code)), detail=e.message[:200])
                raise

        return run

    return wrap


# -- helpers -----------------------------------------------------------------------------------

_SHA256_PREFIX = bytes.fromhex("3031300d060960864801650304020105000420")


def _digest_info(data: bytes, *, prehashed: bool = False) -> bytes:
    """The DER DigestInfo the card signs for ``data`` (SHA-256)."""
    return _SHA256_PREFIX + (data if prehashed else hashlib.sha256(data).digest())


def _signed(cert: x509.Certificate, signature: bytes, digest_info: bytes) -> bool:
    """True when ``signature`` is the card's PKCS#1 v1.5 signature of exactly ``digest_info``."""
    key = cert.public_key()
    if not isinstance(key, rsa.RSAPublicKey):
        return False
    try:
        return hmac.compare_digest(key.recover_data_from_signature(signature, padding.PKCS1v15(), None), digest_info)
    except (InvalidSignature, ValueError):
        return False


def _cert(answer: dict[str, Any], name: str) -> x509.Certificate:
    try:
        return x509.load_der_x509_certificate(_bytes(answer, name))
    except ValueError:
        raise ValueError(f"{name} is not a DER certificate.") from None


def _bytes(answer: dict[str, Any], name: str) -> bytes:
    value = answer.get(name)
    if not isinstance(value, str) or not value:
        raise ValueError(f"{name} is missing.")
    try:
        return base64.b64decode(value, validate=True)
    except ValueError:
        raise ValueError(f"{name} is not base64.") from None


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def _half_hash(token: str) -> str:
    """``at_hash``: the left half of SHA-256 of the access token, base64url (OIDC core 3.1.3.6)."""
    d = hashlib.sha256(token.encode("ascii")).digest()[:16]
    return base64.urlsafe_b64encode(d).rstrip(b"=").decode("ascii")


def _derived(w: Work, info: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info).derive(w.office.master_key)
