"""An off-the-shelf OpenID Connect client (Authlib) against a running provider, with the holder
approving through ``mynacard client approve`` on an in-process card (R_USE_1)."""

from __future__ import annotations

import re
from datetime import datetime
from urllib.parse import parse_qs, urlparse

import httpx
from authlib.integrations.httpx_client import OAuth2Client
from authlib.jose import JsonWebKey, jwt
from authlib.oidc.core import CodeIDToken
from typer.testing import CliRunner

from mynacard.cli.main import app as cli
from mynacard.crypto import load_or_create_master_key
from mynacard.db.store import Store
from mynacard.services import login
from mynacard.services.context import Office
from mynacard.services.vcard import DEMO_PINS, issue_demo_card
from mynacard.timeutil import JST
from tests.keypool import pooled_key
from tests.web.live import free_port, live_server

REDIRECT = "https://rp.example/callback"


def test_authlib_completes_the_flow_from_discovery_alone(tmp_path) -> None:
    db = str(tmp_path / "live.db")
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    store = Store(db)
    store.migrate()
    office = Office(
        store=store, master_key=load_or_create_master_key(tmp_path / "live.db.key"), keygen=pooled_key, base_url=base
    )
    now = datetime.now(JST)
    card_id = issue_demo_card(office, now)
    with office.work(at=now, actor="test") as w:
        secret = login.register_client(w, "RPLIVE", "ライブ確認", [REDIRECT], with_secret=True).secret
    with live_server(office, port) as url:
        config = httpx.get(f"{url}/api/realms/main/.well-known/openid-configuration").json()
        rp = OAuth2Client(
            "RPLIVE", secret, scope="openid name address", redirect_uri=REDIRECT, code_challenge_method="S256"
        )
        verifier = "v" * 64
        auth_url, state = rp.create_authorization_url(
            config["authorization_endpoint"], code_verifier=verifier, nonce="nonce-123"
        )
        browser = httpx.Client(follow_redirects=False)
        page = browser.get(auth_url)
        assert page.status_code == 200 and "ライブ確認" in page.text
        link = re.search(r"mynacard client approve (\S+?)<", page.text).group(1)
        # The holder approves with the card (authentication PIN and, for attributes, the signing password).
        r = CliRunner().invoke(
            cli,
            [
                "--db",
                db,
                "client",
                "--card",
                card_id,
                "approve",
                link,
                "--pin",
                DEMO_PINS["auth"],
                "--sign-pin",
                DEMO_PINS["sign"],
                "--yes",
            ],
        )
        assert r.exit_code == 0, r.output
        assert "ライブ確認" in r.output and "住所" in r.output
        back = browser.get(
            page.url.copy_with(path=f"/api/realms/main/protocol/openid-connect/auth/wait/{link.rsplit('/', 1)[1]}")
        )
        assert back.status_code == 302
        location = back.headers["location"]
        assert parse_qs(urlparse(location).query)["state"] == [state]
        token = rp.fetch_token(config["token_endpoint"], authorization_response=location, code_verifier=verifier)
        keys = JsonWebKey.import_key_set(httpx.get(config["jwks_uri"]).json())
        claims = jwt.decode(
            token["id_token"],
            keys,
            claims_cls=CodeIDToken,
            claims_options={"iss": {"value": config["issuer"]}, "aud": {"value": "RPLIVE"}},
            claims_params={"nonce": "nonce-123"},
        )
        claims.validate()
        info = rp.get(config["userinfo_endpoint"]).json()
        assert info["sub"] == claims["sub"] and info["address"] and info["name"]
        assert "birthdate" not in info  # not asked for
        # A wrong PIN at the card: nothing reaches the provider, no session.
        auth_url, _ = rp.create_authorization_url(config["authorization_endpoint"], code_verifier=verifier, nonce="n2")
        page = browser.get(auth_url)
        link = re.search(r"mynacard client approve (\S+?)<", page.text).group(1)
        r = CliRunner().invoke(
            cli,
            [
                "--db",
                db,
                "client",
                "--card",
                card_id,
                "approve",
                link,
                "--pin",
                "9999",
                "--sign-pin",
                DEMO_PINS["sign"],
                "--yes",
            ],
        )
        assert r.exit_code == 2 and "残り2回" in r.output
        assert httpx.get(link).json()["status"] == "pending"
    store.dispose()
