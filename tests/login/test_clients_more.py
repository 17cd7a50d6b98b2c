"""Registering relying parties and checking a request's client and redirect URI: what is refused,
on which field, with which English and Japanese message, and what the event log keeps. Pins down
``services/login/clients.py``."""

from __future__ import annotations

import base64

import pytest
from sqlalchemy import event

from mynacard.db.models import Event
from mynacard.db.provider import LoginClient
from mynacard.errors import ValidationError
from mynacard.rules.login import LoginError
from mynacard.services import login
from mynacard.services.login import clients
from tests.client.conftest import AT

CALLBACK = "https://rp.example/callback"
PORTAL = "https://office.example/portal/callback"
KIOSK = "https://office.example/kiosk/callback"
# A public RSA JWK (RFC 7517 appendix A.1)
JWKS = {
    "keys": [
        {
            "kty": "RSA",
            "kid": "2011-04-29",
            "e": "AQAB",
            "n": "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZ"
            "CiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9"
            "c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF4"
            "4-csFCur-kEgU8awapJzKnqDKgw",
        }
    ]
}


def _register(office, client_id: str = "RP00000001", uris: list[str] | None = None, **kw) -> login.Registration:
    with office.work(at=AT, actor="admin") as w:
        return login.register_client(w, client_id, "サンプル電子申請", [CALLBACK] if uris is None else uris, **kw)


def _refused(office, uris: list[str] | None = None, **kw) -> dict:
    with pytest.raises(ValidationError) as err:
        _register(office, uris=uris, **kw)
    return err.value.to_dict()


def _events(office, action: str) -> list[dict]:
    with office.work(at=AT, actor="reader") as w:
        return [e.details for e in w.session.query(Event).all() if e.action == action]


def _uris(office, client_id: str) -> list[str]:
    with office.work(at=AT, actor="reader") as w:
        return list(w.session.get(LoginClient, client_id).redirect_uris)


# -- registering a relying party -----------------------------------------------------------------


def test_a_registration_is_stored_and_logged_with_its_client_id(office) -> None:
    reg = _register(office, uris=[f"  {CALLBACK} ", "   "], with_secret=True)
    assert (reg.client.client_id, reg.client.redirect_uris) == ("RP00000001", [CALLBACK])
    assert _events(office, "login_client_registered") == [{"client_id": "RP00000001"}]


def test_a_client_secret_carries_256_random_bits_and_only_its_hash_is_kept(office) -> None:
    reg = _register(office, with_secret=True)
    assert len(base64.urlsafe_b64decode(reg.secret + "=" * (-len(reg.secret) % 4))) == 32
    with office.work(at=AT, actor="reader") as w:
        assert w.session.get(LoginClient, "RP00000001").secret_hash == login.digest(reg.secret)


def test_a_client_with_only_a_jwk_set_gets_no_secret(office) -> None:
    reg = _register(office, jwks=JWKS)
    assert reg.secret is None
    with office.work(at=AT, actor="reader") as w:
        stored = w.session.get(LoginClient, "RP00000001")
        assert (stored.jwks, stored.secret_hash) == (JWKS, None)


def test_a_client_id_is_registered_once_and_the_refusal_names_it(office) -> None:
    _register(office, with_secret=True)
    assert _refused(office, with_secret=True) == {
        "code": "invalid_input",
        "field": "client_id",
        "message": "Client RP00000001 is already registered.",
        "message_ja": "クライアント RP00000001 は登録済みです。",
    }
    assert _events(office, "login_client_registered") == [{"client_id": "RP00000001"}]


@pytest.mark.parametrize("uris", [[], ["", "   "]])
def test_a_client_needs_at_least_one_redirect_uri(office, uris) -> None:
    assert _refused(office, uris, with_secret=True) == {
        "code": "invalid_input",
        "field": "redirect_uris",
        "message": "Give at least one redirect URI.",
        "message_ja": "リダイレクトURIを1つ以上指定してください。",
    }


@pytest.mark.parametrize(
    "uri",
    [
        "ftp://rp.example/callback",  # not http(s)
        "rp.example/callback",  # not absolute
        "https://rp.example/callback#top",  # with a fragment (RFC 6749 section 3.1.2)
        "https://rp.example/" + "a" * 237,  # 256 characters: longer than the API allows
    ],
)
def test_a_redirect_uri_must_be_absolute_http_without_fragment_and_at_most_255_characters(office, uri) -> None:
    message = f"Not an absolute http(s) URI without a fragment: {uri!r}."
    assert _refused(office, [CALLBACK, uri], with_secret=True) == {
        "code": "invalid_input",
        "field": "redirect_uris",
        "message": message,
        "message_ja": message,
    }
    assert _events(office, "login_client_registered") == []


def test_a_redirect_uri_of_255_characters_is_accepted(office) -> None:
    uri = "https://rp.example/" + "a" * 236
    assert len(uri) == 255
    assert _register(office, uris=[uri], with_secret=True).client.redirect_uris == [uri]


def test_an_unreadable_jwk_set_is_refused(office) -> None:
    refusal = _refused(office, jwks={"keys": "not a list"})
    message = refusal.pop("message")
    assert message.startswith("The JWK set cannot be read: ") and message.endswith(".")
    assert len(message) > len("The JWK set cannot be read: .")  # says what the reader found wrong
    assert refusal == {"code": "invalid_input", "field": "jwks", "message_ja": "JWK セットを読み取れません。"}


def test_a_client_needs_a_jwk_set_or_a_secret(office) -> None:
    message = "Give a public JWK set (private_key_jwt) or ask for a client secret."
    assert _refused(office) == {"code": "invalid_input", "field": "jwks", "message": message, "message_ja": message}
    assert _events(office, "login_client_registered") == []


# -- the client and the redirect URI of a request ------------------------------------------------


def _check(office, params: dict[str, str]) -> LoginError:
    with pytest.raises(LoginError) as err, office.work(at=AT, actor="login") as w:
        login.check_redirect(w, params)
    return err.value


def test_an_unknown_client_is_refused_as_unauthorized_and_the_refusal_is_audited(office) -> None:
    e = _check(office, {"client_id": "RP99999999", "redirect_uri": CALLBACK})
    assert e.to_dict() == {
        "code": "login_refused",
        "error": "unauthorized_client",
        "field": "client_id",
        "message": "Unknown client RP99999999.",
        "message_ja": "登録されていないクライアントです。",
    }
    assert _events(office, "login_refused") == [
        {"stage": "authorize", "reason": "unauthorized_client", "detail": "Unknown client RP99999999."}
    ]


def test_a_known_client_is_found(office) -> None:
    _register(office, with_secret=True)
    with office.work(at=AT, actor="login") as w:
        assert login.client(w, "RP00000001").name == "サンプル電子申請"


@pytest.mark.parametrize("uri", ["https://evil.example/callback", CALLBACK + "/", None])
def test_a_redirect_uri_not_registered_for_the_client_is_refused_and_audited(office, uri) -> None:
    _register(office, with_secret=True)
    params = {"client_id": "RP00000001"} | ({} if uri is None else {"redirect_uri": uri})
    e = _check(office, params)
    assert e.to_dict() == {
        "code": "login_refused",
        "error": "invalid_request",
        "field": "redirect_uri",
        "message": "The redirect URI is not registered for this client.",
        "message_ja": "リダイレクトURIが登録されていません。",
    }
    assert _events(office, "login_refused") == [
        {
            "stage": "authorize",
            "reason": "invalid_request",
            "detail": "The redirect URI is not registered for this client.",
        }
    ]


def test_a_registered_redirect_uri_is_accepted(office) -> None:
    _register(office, uris=[PORTAL, CALLBACK], with_secret=True)
    with office.work(at=AT, actor="login") as w:
        c, uri = login.check_redirect(w, {"client_id": "RP00000001", "redirect_uri": CALLBACK})
        assert (c.client_id, uri) == ("RP00000001", CALLBACK)
    assert _events(office, "login_refused") == []


# -- the office's own relying parties ------------------------------------------------------------


def test_a_first_party_client_registered_just_before_this_one_looked_is_reused(office, monkeypatch) -> None:
    """Another process commits the registration after this unit of work found no client but
    before ``register_client`` looked: its refusal (client_id already registered) is not an
    error, and this process's callback is added."""
    real = clients.register_client

    def late(w, client_id, name, redirect_uris, **kw):
        with office.work(at=AT, actor="other process") as other:
            real(other, client_id, "他のプロセス", [KIOSK], with_secret=True)
        return real(w, client_id, name, redirect_uris, **kw)

    monkeypatch.setattr(clients, "register_client", late)
    with office.work(at=AT, actor="portal") as w:
        c = login.first_party_client(w, "PORTAL0001", "ポータル", PORTAL)
        assert (c.name, c.redirect_uris) == ("他のプロセス", [KIOSK, PORTAL])
    assert _uris(office, "PORTAL0001") == [KIOSK, PORTAL]


def test_a_first_party_client_with_an_unusable_callback_is_refused(office) -> None:
    with pytest.raises(ValidationError) as err, office.work(at=AT, actor="portal") as w:
        login.first_party_client(w, "PORTAL0001", "ポータル", "ftp://office.example/callback")
    assert err.value.fields["field"] == "redirect_uris"
    with office.work(at=AT, actor="reader") as w:
        assert w.session.get(LoginClient, "PORTAL0001") is None


def test_a_callback_added_by_another_process_after_this_one_read_the_client_is_kept(office) -> None:
    with office.work(at=AT, actor="portal") as w:
        login.first_party_client(w, "PORTAL0001", "ポータル", PORTAL)
    third = "https://office3.example/portal/callback"
    with office.work(at=AT, actor="portal") as w:
        seen = login.client(w, "PORTAL0001")  # read, and held by this unit of work
        assert seen.redirect_uris == [PORTAL]
        with office.work(at=AT, actor="other process") as other:
            login.first_party_client(other, "PORTAL0001", "ポータル", KIOSK)
        assert login.first_party_client(w, "PORTAL0001", "ポータル", third).redirect_uris == [PORTAL, KIOSK, third]
    assert _uris(office, "PORTAL0001") == [PORTAL, KIOSK, third]


def test_a_first_party_client_with_its_callback_registered_is_read_once_without_a_savepoint_or_lock(office) -> None:
    """Every portal or kiosk login asks for its client: once the callback is registered, that is one
    plain read (no attempt to register it again, no row lock that would serialize the logins)."""
    with office.work(at=AT, actor="portal") as w:
        login.first_party_client(w, "PORTAL0001", "ポータル", PORTAL)
    statements: list[str] = []

    def seen(conn, cursor, statement, *args) -> None:
        statements.append(statement.split()[0].upper())

    with office.work(at=AT, actor="portal") as w:
        engine = w.session.get_bind()
        event.listen(engine, "before_cursor_execute", seen)
        try:
            c = login.first_party_client(w, "PORTAL0001", "ポータル", PORTAL)
        finally:
            event.remove(engine, "before_cursor_execute", seen)
        assert c.redirect_uris == [PORTAL]
    assert statements == ["SELECT"]
