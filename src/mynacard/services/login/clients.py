"""Relying parties registered with the login provider (クライアント登録)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

import jwt
from sqlalchemy.exc import IntegrityError

from mynacard.db.provider import LoginClient
from mynacard.errors import ValidationError
from mynacard.rules.login import (
    LoginError,
    parse_client_id,
)
from mynacard.services.context import Work
from mynacard.services.login.common import _audited, digest

# -- relying parties ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Registration:
    client: LoginClient
    secret: str | None  # shown once; only its hash is kept


def register_client(
    w: Work,
    client_id: str,
    name: str,
    redirect_uris: list[str],
    *,
    jwks: dict[str, Any] | None = None,
    with_secret: bool = False,
) -> Registration:
    """Register a relying party with its redirect URIs and its means of client authentication:
    a public JWK set for ``private_key_jwt`` (as the real API), a secret, or both."""
    parse_client_id({"client_id": client_id})
    if w.session.get(LoginClient, client_id) is not None:
        raise ValidationError(
            "client_id", f"Client {client_id} is already registered.", f"クライアント {client_id} は登録済みです。"
        )
    uris = _redirect_uris(redirect_uris)
    if jwks is not None:
        try:
            jwt.PyJWKSet.from_dict(jwks)
        except Exception as exc:  # PyJWT raises several families for a bad set
            raise ValidationError(
                "jwks", f"The JWK set cannot be read: {exc}.", "JWK セットを読み取れません。"
            ) from None
    if jwks is None and not with_secret:
        raise ValidationError("jwks", "Give a public JWK set (private_key_jwt) or ask for a client secret.")
    secret = secrets.token_urlsafe(32) if with_secret else None
    client = LoginClient(
        client_id=client_id,
        name=name,
        redirect_uris=uris,
        jwks=jwks,
        secret_hash=digest(secret) if secret else None,
        created_at=w.at,
    )
    w.session.add(client)
    w.log("login_client_registered", client_id=client_id)
    return Registration(client, secret)


def _redirect_uris(redirect_uris: list[str]) -> list[str]:
    """The redirect URIs given, stripped, each an absolute http(s) URI without a fragment."""
    uris = [u.strip() for u in redirect_uris if u.strip()]
    if not uris:
        raise ValidationError(
            "redirect_uris", "Give at least one redirect URI.", "リダイレクトURIを1つ以上指定してください。"
        )
    for u in uris:
        if not (u.startswith("https://") or u.startswith("http://")) or len(u) > 255 or "#" in u:
            raise ValidationError("redirect_uris", f"Not an absolute http(s) URI without a fragment: {u!r}.")
    return uris


def client(w: Work, client_id: str) -> LoginClient:
    c = w.session.get(LoginClient, client_id)
    if c is None:
        raise LoginError(
            "unauthorized_client", "client_id", f"Unknown client {client_id}.", "登録されていないクライアントです。"
        )
    return c


def _check_redirect(w: Work, params: dict[str, str]) -> tuple[LoginClient, str]:
    """The client and the redirect URI, both checked, before anything is sent back to it.

    An unknown client or an unregistered redirect URI must not be redirected to: the adapter
    shows the error itself.
    """
    c = client(w, parse_client_id(params))
    uri = params.get("redirect_uri", "")
    if uri not in c.redirect_uris:
        raise LoginError(
            "invalid_request",
            "redirect_uri",
            "The redirect URI is not registered for this client.",
            "リダイレクトURIが登録されていません。",
        )
    return c, uri


check_redirect = _audited("authorize")(_check_redirect)


def first_party_client(w: Work, client_id: str, name: str, callback: str) -> LoginClient:
    """A relying party of the office itself (the portal, the kiosk), registered on first use with
    ``callback`` among its redirect URIs; safe when several processes start at once, each with a
    callback of its own (another base URL): none is lost."""
    c = w.session.get(LoginClient, client_id)
    if c is None:
        try:
            with w.session.begin_nested():
                return register_client(w, client_id, name, [callback], with_secret=True).client
        except IntegrityError:  # registered by another process meanwhile: this callback is added below
            pass
        except ValidationError as e:  # the same, committed before register_client looked
            if e.fields.get("field") != "client_id":
                raise
    if c is None or callback not in c.redirect_uris:
        [callback] = _redirect_uris([callback])  # the same URIs as a registration takes
        # read again under a row lock: a callback another process is adding is then seen, not overwritten
        c = w.session.get(LoginClient, client_id, populate_existing=True, with_for_update=True)
        assert c is not None
        if callback not in c.redirect_uris:
            c.redirect_uris = [*c.redirect_uris, callback]
    return c
