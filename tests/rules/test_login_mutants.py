"""The login provider's request rules, as a relying party meets them (rules/login.py).

The service tests (tests/login) go through the web; these check each refusal of the pure rules
directly: the OAuth error code the relying party gets back, the parameter it names, and the
English and Japanese messages. Written to kill mutants (docs/testing.md).
"""

from __future__ import annotations

import pytest

from mynacard.rules.login import (
    SCOPES,
    LoginError,
    pairwise_subject,
    parse_authorization,
    parse_client_id,
    pkce_challenge,
    pkce_matches,
)

# RFC 7636 appendix B.
RFC_VERIFIER = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
RFC_CHALLENGE = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
TX = "0f8fad5b-d9cb-469f-a165-70867728950e"


def request(**changes: str | None) -> dict[str, str]:
    params = {
        "client_id": "rp01",
        "redirect_uri": "https://rp.example/cb",
        "response_type": "code",
        "scope": "openid name",
        "state": "st-1",
        "nonce": "nc-1",
        "code_challenge": RFC_CHALLENGE,
        "code_challenge_method": "S256",
    }
    for k, v in changes.items():
        if v is None:
            params.pop(k, None)
        else:
            params[k] = v
    return params


def refusal(params: dict[str, str]) -> LoginError:
    with pytest.raises(LoginError) as e:
        parse_authorization(params)
    return e.value


def test_a_well_formed_request_is_read_field_by_field() -> None:
    req = parse_authorization(request(scope="openid  name sign", sign_transaction_id=TX))
    assert req.client_id == "rp01"
    assert req.redirect_uri == "https://rp.example/cb"
    assert req.scopes == ("openid", "name", "sign")
    assert (req.state, req.nonce, req.code_challenge) == ("st-1", "nc-1", RFC_CHALLENGE)
    assert req.sign_transaction_id == TX
    assert req.wants_attributes and req.wants_signature


def test_openid_alone_asks_for_nothing_but_the_login() -> None:
    req = parse_authorization(request(scope="openid", sign_transaction_id=""))
    assert req.scopes == ("openid",)
    assert req.sign_transaction_id is None
    assert not req.wants_attributes
    assert not req.wants_signature


@pytest.mark.parametrize("scope", ["openid name", "openid address", "openid birthdate", "openid gender"])
def test_each_attribute_scope_asks_for_attributes(scope: str) -> None:
    assert parse_authorization(request(scope=scope)).wants_attributes


def test_limits_are_inclusive() -> None:
    """255 characters of client_id, state, nonce and redirect_uri; 43 and 128 of code_challenge."""
    long_uri = "https://rp.example/" + "a" * (255 - len("https://rp.example/"))
    req = parse_authorization(
        request(client_id="A" * 255, state="~" * 255, nonce=" " * 255, redirect_uri=long_uri, code_challenge="-" * 128)
    )
    assert len(req.client_id) == len(req.state) == len(req.nonce) == len(req.redirect_uri) == 255
    assert parse_authorization(request(code_challenge="_" * 43)).code_challenge == "_" * 43


REFUSALS = [
    # (change, error, field, message, message_ja)
    (
        {"client_id": None},
        "invalid_request",
        "client_id",
        "client_id is required (1 to 255 characters of 0-9, a-z, A-Z).",
        "client_id がありません。",
    ),
    (
        {"client_id": ""},
        "invalid_request",
        "client_id",
        "client_id is required (1 to 255 characters of 0-9, a-z, A-Z).",
        "client_id がありません。",
    ),
    (
        {"client_id": "rp-01"},
        "invalid_request",
        "client_id",
        "client_id is not of the required form (1 to 255 characters of 0-9, a-z, A-Z).",
        "client_id の形式が正しくありません。",
    ),
    (
        {"client_id": "A" * 256},
        "invalid_request",
        "client_id",
        "client_id is not of the required form (1 to 255 characters of 0-9, a-z, A-Z).",
        "client_id の形式が正しくありません。",
    ),
    (
        {"redirect_uri": None},
        "invalid_request",
        "redirect_uri",
        "redirect_uri is required (a registered redirect URI).",
        "redirect_uri がありません。",
    ),
    (
        {"redirect_uri": "https://rp.example/" + "a" * 237},
        "invalid_request",
        "redirect_uri",
        "redirect_uri is longer than 255 characters.",
        "redirect_uri is longer than 255 characters.",
    ),
    (
        {"response_type": "token"},
        "unsupported_response_type",
        "response_type",
        "Only the authorization code flow is supported: response_type must be 'code'.",
        "response_type は code のみ使えます。",
    ),
    (
        {"response_type": None},
        "unsupported_response_type",
        "response_type",
        "Only the authorization code flow is supported: response_type must be 'code'.",
        "response_type は code のみ使えます。",
    ),
    (
        {"scope": None},
        "invalid_request",
        "scope",
        "scope is required (space-separated, including openid).",
        "scope がありません。",
    ),
    (
        {"scope": "openid email"},
        "invalid_scope",
        "scope",
        "Unknown scope 'email'; the scopes are openid name address birthdate gender sign.",
        "Unknown scope 'email'; the scopes are openid name address birthdate gender sign.",
    ),
    (
        {"scope": "name address"},
        "invalid_scope",
        "scope",
        "The scope must include 'openid'.",
        "scope に openid が必要です。",
    ),
    (
        {"state": None},
        "invalid_request",
        "state",
        "state is required (1 to 255 printable ASCII characters).",
        "state がありません。",
    ),
    (
        {"state": "st\n1"},
        "invalid_request",
        "state",
        "state is not of the required form (1 to 255 printable ASCII characters).",
        "state の形式が正しくありません。",
    ),
    (
        {"nonce": ""},
        "invalid_request",
        "nonce",
        "nonce is required (1 to 255 printable ASCII characters).",
        "nonce がありません。",
    ),
    (
        {"nonce": "n" * 256},
        "invalid_request",
        "nonce",
        "nonce is not of the required form (1 to 255 printable ASCII characters).",
        "nonce の形式が正しくありません。",
    ),
    (
        {"code_challenge": None},
        "invalid_request",
        "code_challenge",
        "code_challenge is required (BASE64URL(SHA256(code_verifier))).",
        "code_challenge がありません。",
    ),
    (
        {"code_challenge": "a" * 42},
        "invalid_request",
        "code_challenge",
        "code_challenge is not of the required form (BASE64URL(SHA256(code_verifier))).",
        "code_challenge の形式が正しくありません。",
    ),
    (
        {"code_challenge_method": "plain"},
        "invalid_request",
        "code_challenge_method",
        "code_challenge_method must be 'S256'.",
        "code_challenge_method must be 'S256'.",
    ),
    (
        {"code_challenge_method": None},
        "invalid_request",
        "code_challenge_method",
        "code_challenge_method must be 'S256'.",
        "code_challenge_method must be 'S256'.",
    ),
    (
        {"scope": "openid sign", "sign_transaction_id": "not-a-uuid"},
        "invalid_request",
        "sign_transaction_id",
        "sign_transaction_id must be a UUID.",
        "sign_transaction_id must be a UUID.",
    ),
    (
        {"scope": "openid sign"},
        "invalid_request",
        "sign_transaction_id",
        "The scope 'sign' and a sign_transaction_id go together: give both or neither.",
        "The scope 'sign' and a sign_transaction_id go together: give both or neither.",
    ),
    (
        {"sign_transaction_id": TX},
        "invalid_request",
        "sign_transaction_id",
        "The scope 'sign' and a sign_transaction_id go together: give both or neither.",
        "The scope 'sign' and a sign_transaction_id go together: give both or neither.",
    ),
]


@pytest.mark.parametrize(("change", "error", "field", "message", "message_ja"), REFUSALS)
def test_each_refusal_names_the_parameter_and_the_oauth_error(
    change: dict[str, str | None], error: str, field: str, message: str, message_ja: str
) -> None:
    e = refusal(request(**change))
    assert e.error == error
    assert e.field == field
    assert str(e) == message
    assert e.message_ja == message_ja
    assert e.to_dict()["error"] == error


def test_checks_run_in_the_api_references_order() -> None:
    """With everything wrong, the relying party hears about client_id first, then redirect_uri."""
    assert refusal({}).field == "client_id"
    assert refusal({"client_id": "rp01"}).field == "redirect_uri"


def test_client_id_alone_is_checked_for_the_token_endpoint() -> None:
    assert parse_client_id({"client_id": "Rp09"}) == "Rp09"
    with pytest.raises(LoginError) as e:
        parse_client_id({"client_id": "rp 09"})
    assert e.value.field == "client_id"


def test_every_scope_of_the_api_reference_is_accepted() -> None:
    req = parse_authorization(request(scope=" ".join(SCOPES), sign_transaction_id=TX))
    assert req.scopes == SCOPES


def test_pkce_challenge_is_rfc_7636_s256() -> None:
    assert pkce_challenge(RFC_VERIFIER) == RFC_CHALLENGE


@pytest.mark.parametrize(
    ("verifier", "ok"),
    [
        (RFC_VERIFIER, True),
        (None, False),
        ("", False),
        (RFC_VERIFIER[:-1], False),  # 42 characters: too short, whatever it hashes to
        (RFC_VERIFIER.replace("-", "+"), False),  # not of the unreserved characters
        ("a" * 43, False),  # well-formed, but not the verifier of this challenge
    ],
)
def test_pkce_matches_only_the_verifier_of_the_challenge(verifier: str | None, ok: bool) -> None:
    assert pkce_matches(verifier, RFC_CHALLENGE) is ok


def test_a_well_formed_verifier_of_128_characters_matches_its_challenge() -> None:
    verifier = "~._-" * 32
    assert pkce_matches(verifier, pkce_challenge(verifier))
    assert not pkce_matches(verifier + "a", pkce_challenge(verifier + "a"))  # 129: too long


def test_pairwise_subject_is_stable_per_holder_and_relying_party() -> None:
    """The ``sub`` a relying party stored must come back the same: pinned for one key
    (HMAC-SHA256 of "rp01\\x0042" under the key, base64url without padding, checked with openssl)."""
    key = bytes(range(32))
    sub = pairwise_subject(key, "rp01", 42)
    assert sub == "KydofbuXsXQ5QDQ_4iRBl8FJw9aBIhLPsE1K4VGZ1PU"
    assert len(sub) == 43 and "=" not in sub
    assert pairwise_subject(key, "rp02", 42) != sub
    assert pairwise_subject(key, "rp01", 43) != sub
    assert pairwise_subject(bytes(32), "rp01", 42) != sub
    # client "rp1" with holder 23 is not client "rp12" with holder 3.
    assert pairwise_subject(key, "rp1", 23) != pairwise_subject(key, "rp12", 3)
