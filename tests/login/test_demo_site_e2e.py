"""In headless Chromium: the demo site logs in through the provider while the holder approves
with ``mynacard client approve`` on a card; the site then has a document signed. A wrong PIN
grants nothing, and a card on hold is refused (R_CERT_1, R_LOSS_1, R_PIN_2)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime

import pytest
import uvicorn
from typer.testing import CliRunner

from mynacard.cli.main import app as cli
from mynacard.crypto import load_or_create_master_key
from mynacard.db import repositories as repo
from mynacard.db.store import Store
from mynacard.services import login, loss
from mynacard.services.context import Office
from mynacard.services.vcard import DEMO_PINS, issue_demo_card
from mynacard.timeutil import JST
from mynacard.web.rp_demo import create_site
from tests.keypool import pooled_key
from tests.web.live import free_port, live_server
from tests.web.test_window_e2e import browser, shot  # noqa: F401  (fixture)

pytestmark = pytest.mark.slow


@contextmanager
def serve(app, port: int) -> Iterator[str]:
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    t = threading.Thread(target=server.run, daemon=True)
    t.start()
    while not server.started:
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        t.join(5)


def approve(db: str, card_id: str, link: str, *pins: str):
    return CliRunner().invoke(cli, ["--db", db, "client", "--card", card_id, "approve", link, *pins, "--yes"])


def test_demo_site_login_and_signature(browser, tmp_path) -> None:  # noqa: F811
    db = str(tmp_path / "site.db")
    p_port, s_port = free_port(), free_port()
    provider = f"http://127.0.0.1:{p_port}"
    site_url = f"http://127.0.0.1:{s_port}"
    store = Store(db)
    store.migrate()
    key = load_or_create_master_key(tmp_path / "site.db.key")
    office = Office(store=store, master_key=key, keygen=pooled_key, base_url=provider)
    now = datetime.now(JST)
    card_id = issue_demo_card(office, now)
    with office.work(at=now, actor="test") as w:
        secret = login.register_client(
            w, "DEMOSITE", "サンプル電子申請", [f"{site_url}/callback"], with_secret=True
        ).secret
    site = create_site(f"{provider}/api/realms/main", "DEMOSITE", secret, site_url)
    with live_server(office, p_port), serve(site, s_port):
        page = browser.new_page(locale="ja-JP")
        # A wrong PIN: the card refuses it, the provider grants nothing, the page keeps waiting.
        page.goto(site_url)
        page.click("#login")
        link = page.inner_text("#approve-command").split()[-1]
        shot(page, "login-01-provider")
        r = approve(db, card_id, link, "--pin", "0000")
        assert r.exit_code == 2 and "残り2回" in r.output
        time.sleep(2.5)
        assert page.url.startswith(provider) and page.locator("#approve-command").is_visible()
        # The right PIN: the browser goes back to the site, logged in.
        r = approve(db, card_id, link, "--pin", DEMO_PINS["auth"])
        assert r.exit_code == 0, r.output
        page.wait_for_selector("#welcome", timeout=10_000)
        assert page.url.startswith(site_url)
        shot(page, "login-02-welcome")
        # The site asks for a signature on its document.
        page.click("#sign")
        link = page.inner_text("#approve-command").split()[-1]
        assert "電子署名" in page.inner_text("#asks")
        r = approve(db, card_id, link, "--pin", DEMO_PINS["auth"], "--sign-pin", DEMO_PINS["sign"])
        assert r.exit_code == 0, r.output
        page.wait_for_selector("#signed", timeout=10_000)
        shot(page, "login-03-signed")
        # The card is reported lost: its certificates are on hold and the login is refused.
        with office.work(at=datetime.now(JST), actor="hotline") as w:
            holder = repo.resident(w.session, repo.card(w.session, card_id).resident_id)
            loss.hotline_suspend(w, name=holder.name, birth_date=holder.birth_date, caller="本人")
        fresh = browser.new_page(locale="ja-JP")
        fresh.goto(site_url)
        fresh.click("#login")
        link = fresh.inner_text("#approve-command").split()[-1]
        r = approve(db, card_id, link, "--pin", DEMO_PINS["auth"])
        assert r.exit_code == 2 and "一時保留" in r.output
        fresh.wait_for_selector("#error", timeout=10_000)
        assert "on_hold" in fresh.inner_text("#error")
        shot(fresh, "login-04-on-hold")
    store.dispose()
