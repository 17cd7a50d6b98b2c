"""``mynacard login``: relying parties of the login provider (the authentication-app API)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from mynacard.cli.app import console, emit, work
from mynacard.services import login

login_app = typer.Typer(
    help="Relying parties of the card-login provider (デジタル認証アプリ相当).", no_args_is_help=True
)


@login_app.command("register")
def register(
    ctx: typer.Context,
    client_id: Annotated[str, typer.Argument(help="Client ID: 1 to 255 characters of 0-9, a-z, A-Z")],
    name: Annotated[str, typer.Option(help="The site's name, shown to the holder")],
    redirect_uri: Annotated[list[str], typer.Option("--redirect-uri", help="A redirect URI (repeat for more)")],
    jwks: Annotated[
        Path | None,
        typer.Option(
            exists=True, dir_okay=False, help="The client's public JWK set (private_key_jwt, as the real API)"
        ),
    ] = None,
    secret: Annotated[bool, typer.Option("--secret", help="Also issue a client secret (sandbox convenience)")] = False,
) -> None:
    """Register a relying party: its redirect URIs and how it authenticates at the token endpoint."""
    keys: dict[str, Any] | None = None
    if jwks is not None:
        try:
            keys = json.loads(jwks.read_text())
        except (ValueError, UnicodeDecodeError) as exc:
            raise typer.BadParameter(f"not a JSON JWK set: {exc}", param_hint="--jwks") from None
    with work(ctx) as w:
        reg = login.register_client(w, client_id, name, redirect_uri, jwks=keys, with_secret=secret)
        data = {"client_id": reg.client.client_id, "name": reg.client.name, "redirect_uris": reg.client.redirect_uris}
    if reg.secret:
        data["client_secret"] = reg.secret

    def render(d: dict[str, Any]) -> None:
        console.print(f"Registered {d['client_id']} ({d['name']}). クライアントを登録しました。")
        for uri in d["redirect_uris"]:
            console.print(f"  redirect URI: {uri}")
        if "client_secret" in d:
            console.print(f"  client secret: {d['client_secret']}")
            console.print("  The secret is shown only now; keep it. シークレットは今だけ表示されます。")

    emit(ctx, data, render)


__all__ = ["login_app"]


@login_app.command("demo-site")
def demo_site(
    provider: Annotated[str, typer.Option(help="The provider's issuer URL")] = "http://127.0.0.1:8000/api/realms/main",
    client_id: Annotated[str, typer.Option(help="The site's client ID at the provider")] = "DEMOSITE",
    client_secret: Annotated[str, typer.Option(envvar="MYNACARD_DEMO_SITE_SECRET", help="Its client secret")] = "",
    port: Annotated[int, typer.Option(help="Port of the demo site")] = 8100,
) -> None:
    """Run the demo relying-party site: login with the card and a document signature through the provider.

    Register it first: mynacard login register DEMOSITE --name サンプル電子申請
    --redirect-uri http://127.0.0.1:8100/callback --secret
    """
    import uvicorn

    from mynacard.web.rp_demo import create_site

    if not client_secret:
        raise typer.BadParameter(
            "give the secret that `mynacard login register ... --secret` printed", param_hint="--client-secret"
        )
    site_url = f"http://127.0.0.1:{port}"
    console.print(f"Demo site at {site_url} (client {client_id} of {provider}). サンプルサイトを起動しました。")
    uvicorn.run(
        create_site(provider, client_id, client_secret, site_url), host="127.0.0.1", port=port, log_level="warning"
    )


@login_app.command("demo-card")
def demo_card(ctx: typer.Context) -> None:
    """Issue a demo card in the store, to try the login, the portal and the kiosk without a card
    reader (`mynacard client --card CARD approve LINK`); prints its ID and PINs."""
    from mynacard.cli.app import opts
    from mynacard.cli.vcard import _print_demo
    from mynacard.services.vcard import issue_demo_card

    o = opts(ctx)
    card_id = issue_demo_card(o.office(), o.now())
    if o.json:
        emit(ctx, {"card_id": card_id})
    else:
        _print_demo(card_id)
