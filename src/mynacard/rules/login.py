"""Login with the card: the request rules of the Digital Agency's authentication-app API.

The provider (デジタル認証アプリ相当) accepts only the OpenID Connect authorization code flow,
with PKCE (S256) and ``state`` and ``nonce`` required, and the scopes ``openid name address
birthdate gender sign``. These are the checks of its published API reference, as pure
functions; the service applies them and records what it decided.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from collections.abc import Mapping
from dataclasses import dataclass

from mynacard.errors import ValidationError

#: The scopes of the API reference. ``openid`` is required; the four attribute scopes ask for
#: the basic four attributes (released only after a signature with the signing certificate);
#: ``sign`` asks for a signature over a signing transaction's digest.
ATTRIBUTE_SCOPES = ("name", "address", "birthdate", "gender")
SCOPES = ("openid", *ATTRIBUTE_SCOPES, "sign")

# The forms the API reference gives for each parameter.
_CLIENT_ID = re.compile(r"[0-9A-Za-z]{1,255}")
_VSCHAR = re.compile(r"[\x20-\x7e]{1,255}")  # state, nonce: RFC 6749 VSCHAR, 1 to 255
_CHALLENGE = re.compile(r"[0-9A-Za-z_-]{43,128}")  # BASE64URL(SHA256(verifier)) is 43 characters
_VERIFIER = re.compile(r"[0-9A-Za-z._~-]{43,128}")  # RFC 7636 section 4.1
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


class LoginError(ValidationError):
    """A request the provider refuses, with the OAuth 2.0 error code to send back."""

    code = "login_refused"
    keep_changes = True  # the provider records the refusal although it changes nothing else

    def __init__(self, error: str, field: str, message: str, message_ja: str = "") -> None:
        super().__init__(field, message, message_ja, error=error)


@dataclass(frozen=True)
class AuthorizationRequest:
    """A checked authorization request (認可リクエスト)."""

    client_id: str
    redirect_uri: str
    scopes: tuple[str, ...]
    state: str
    nonce: str
    code_challenge: str
    sign_transaction_id: str | None = None

    @property
    def wants_attributes(self) -> bool:
        return any(s in self.scopes for s in ATTRIBUTE_SCOPES)

    @property
    def wants_signature(self) -> bool:
        return "sign" in self.scopes


def _one(params: Mapping[str, str], name: str, pattern: re.Pattern[str] | None, what: str) -> str:
    value = params.get(name)
    if value is None or value == "":
        raise LoginError("invalid_request", name, f"{name} is required ({what}).", f"{name} がありません。")
    if pattern is not None and not pattern.fullmatch(value):
        raise LoginError(
            "invalid_request",
            name,
            f"{name} is not of the required form ({what}).",
            f"{name} の形式が正しくありません。",
        )
    return value


def parse_client_id(params: Mapping[str, str]) -> str:
    return _one(params, "client_id", _CLIENT_ID, "1 to 255 characters of 0-9, a-z, A-Z")


def parse_authorization(params: Mapping[str, str]) -> AuthorizationRequest:
    """Check an authorization request's parameters, in the API reference's order.

    Refuses (``LoginError`` with the OAuth error code) anything but ``response_type=code``, a
    scope without ``openid`` or with an unknown scope, a missing ``state`` or ``nonce``, and PKCE
    other than S256. The client and its redirect URI are checked by the service (they need the
    store).
    """
    client_id = parse_client_id(params)
    redirect_uri = _one(params, "redirect_uri", None, "a registered redirect URI")
    if len(redirect_uri) > 255:
        raise LoginError("invalid_request", "redirect_uri", "redirect_uri is longer than 255 characters.")
    if params.get("response_type") != "code":
        raise LoginError(
            "unsupported_response_type",
            "response_type",
            "Only the authorization code flow is supported: response_type must be 'code'.",
            "response_type は code のみ使えます。",
        )
    scopes = tuple(_one(params, "scope", None, "space-separated, including openid").split())
    unknown = [s for s in scopes if s not in SCOPES]
    if unknown:
        raise LoginError("invalid_scope", "scope", f"Unknown scope {unknown[0]!r}; the scopes are {' '.join(SCOPES)}.")
    if "openid" not in scopes:
        raise LoginError("invalid_scope", "scope", "The scope must include 'openid'.", "scope に openid が必要です。")
    state = _one(params, "state", _VSCHAR, "1 to 255 printable ASCII characters")
    nonce = _one(params, "nonce", _VSCHAR, "1 to 255 printable ASCII characters")
    challenge = _one(params, "code_challenge", _CHALLENGE, "BASE64URL(SHA256(code_verifier))")
    if params.get("code_challenge_method") != "S256":
        raise LoginError("invalid_request", "code_challenge_method", "code_challenge_method must be 'S256'.")
    tx = params.get("sign_transaction_id") or None
    if tx is not None and not _UUID.fullmatch(tx):
        raise LoginError("invalid_request", "sign_transaction_id", "sign_transaction_id must be a UUID.")
    if ("sign" in scopes) != (tx is not None):
        raise LoginError(
            "invalid_request",
            "sign_transaction_id",
            "The scope 'sign' and a sign_transaction_id go together: give both or neither.",
        )
    return AuthorizationRequest(client_id, redirect_uri, scopes, state, nonce, challenge, tx)


def pkce_challenge(verifier: str) -> str:
    """``BASE64URL-ENCODE(SHA256(ASCII(code_verifier)))`` without padding (RFC 7636, S256)."""
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def pkce_matches(verifier: str | None, challenge: str) -> bool:
    """True when ``verifier`` is well-formed and hashes to ``challenge`` (compared in constant time)."""
    if not verifier or not _VERIFIER.fullmatch(verifier):
        return False
    return hmac.compare_digest(pkce_challenge(verifier), challenge)


def pairwise_subject(key: bytes, client_id: str, holder: int) -> str:
    """The ID token's ``sub``: a pseudonym for one holder at one relying party.

    It derives from the holder (the resident), not from a certificate, so it stays the same
    across certificate renewals and card reissues; two relying parties get unrelated values.
    """
    mac = hmac.new(key, f"{client_id}\x00{holder}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac).rstrip(b"=").decode("ascii")
