"""``mynacard serve``: the office service (API, window UI, hotline, OCSP, CRLs) under uvicorn."""

from __future__ import annotations

from typing import Annotated

import typer

from mynacard.cli.app import opts


def serve(
    ctx: typer.Context,
    host: Annotated[str, typer.Option(help="Address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on")] = 8000,
    frozen: Annotated[bool, typer.Option("--frozen", help="With --at: simulated time stands still "
                                                         "(default: it advances with real time)")] = False,
    max_body: Annotated[int, typer.Option(help="Largest request body in bytes")] = 64 * 1024,
    secure_cookies: Annotated[bool, typer.Option(help="Mark cookies Secure (behind HTTPS)")] = False,
) -> None:
    """Serve the JSON API (/docs), the window UI (/), the hotline (/hotline), OCSP and CRLs.

    The base URL (--base-url / MYNACARD_BASE_URL) must be where this server is reached: it is
    written into every certificate's CRL and OCSP URLs. With --at the clock is simulated.
    """
    import uvicorn

    from mynacard.web.app import create_app
    from mynacard.web.clock import Clock

    o = opts(ctx)
    app = create_app(o.office(), clock=Clock(o.at, advance=not frozen), max_body=max_body,
                     secure_cookies=secure_cookies)
    typer.echo(f"mynacard office service on http://{host}:{port} (certificates name {o.base_url})")
    uvicorn.run(app, host=host, port=port, log_level="info", proxy_headers=False)
