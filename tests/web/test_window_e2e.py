"""End to end in headless Chromium: a clerk logs in, takes an application, hands over the card,
records a move; openssl then sees the signing certificate revoked and the authentication one
good; the hotline operator suspends the card and both are on hold (R_CERT_5, R_LOSS_1, R_CERT_8).
Screenshots go to artifacts/screenshots/."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from mynacard.db import repositories as repo
from tests.conftest import skip_or_fail
from tests.web.conftest import PASSWORD, make_office
from tests.web.live import free_port, live_server
from tests.web.test_revocation import openssl_status, pems

pytestmark = pytest.mark.slow
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]
SHOTS = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots"


@pytest.fixture
def browser():
    if not os.path.exists(CHROMIUM):
        skip_or_fail("Chromium is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        yield b
        b.close()


def shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def login(page, base: str, user: str) -> None:
    page.goto(f"{base}/login")
    page.fill("#username", user)
    page.fill("#password", PASSWORD)
    page.click("#login")


def test_clerk_issues_moves_and_hotline_suspends(browser, tmp_path):
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    office = make_office(str(tmp_path / "e2e.db"), base_url=base)
    from datetime import datetime

    from mynacard.ids import IndividualNumber
    from mynacard.services import residents
    from mynacard.timeutil import JST

    with office.work(at=datetime.now(JST), actor="setup") as w:
        rid = residents.register(w, individual_number=str(IndividualNumber.generate()), name="能登 花子",
                                 address="石川県鹿島郡中能登町能登部下91部23番地", birth_date="1988-02-29",
                                 sex="2", municipality_code="174076").id
    with live_server(office, port):
        page = browser.new_page(locale="ja-JP")
        login(page, base, "clerk")
        page.fill("#q-name", "花子")
        page.click("#search")
        shot(page, "01-search")
        page.click("a.resident-link")
        page.click("#task-apply")
        page.select_option("#apply-kind", "new")
        page.click("#apply-submit")
        assert "交付申請を受け付けました" in page.inner_text("#notice")
        page.click("#task-make")
        page.click("#make-submit")
        assert "作成しました" in page.inner_text("#notice")
        # A wrong PIN format is shown next to its field, in Japanese, and nothing is issued.
        page.click("#task-issue")
        page.check("#issue-doc-drivers_license")
        for pin, value in (("sign", "abc"), ("auth", "1234"), ("resident", "2345"), ("card-info", "3456")):
            page.fill(f"#pin-{pin}", value)
            page.fill(f"#pin-{pin}-again", value)
        page.click("#issue-submit")
        err = page.locator('#form-issue .error[data-field="pin.sign"]')
        assert "英大文字" in err.inner_text()
        shot(page, "02-issue-error")
        assert page.is_checked("#issue-doc-drivers_license")  # kept after the error
        for pin, value in (("sign", "ABC123"), ("auth", "1234"), ("resident", "2345"), ("card-info", "3456")):
            page.fill(f"#pin-{pin}", value)
            page.fill(f"#pin-{pin}-again", value)
        page.click("#issue-submit")
        assert "カードを交付しました" in page.inner_text("#notice")
        row = page.locator("tr.card-row").first
        assert row.locator('[data-what="card-state"]').inner_text() == "交付済み(有効)"
        assert "令和" in row.inner_text() and "有効" in row.locator('[data-what="sign-status"]').inner_text()
        shot(page, "03-issued")
        page.click("#task-move")
        page.fill("#move-new-address", "石川県鹿島郡中能登町井田1番地")
        page.click("#move-submit")
        assert "署名用電子証明書は失効しました" in page.inner_text("#notice")
        assert "失効" in row.locator('[data-what="sign-status"]').inner_text()
        assert page.locator("#task-new-cert").is_visible()  # a new signing certificate is offered
        shot(page, "04-moved")

        with office.work(at=datetime.now(JST), actor="t") as w:
            card_id = repo.live_card(w.session, rid).id
        p = pems(office, tmp_path, card_id)
        assert openssl_status(tmp_path, base, p["ca-sign"], p["sign"], "sign").startswith("revoked")
        assert openssl_status(tmp_path, base, p["ca-auth"], p["auth"], "auth") == "good"

        # The window takes up the offer: a new signing certificate with a new password.
        page.click("#task-new-cert")
        page.select_option("#new_cert-kind", "sign")
        page.fill("#pin", "XYZ789")
        page.fill("#pin-again", "XYZ789")
        page.click("#new-cert-submit")
        assert "署名用電子証明書を発行しました" in page.inner_text("#notice")
        (tmp_path / "new").mkdir()
        new = pems(office, tmp_path / "new", card_id)
        assert new["sign"].read_bytes() != p["sign"].read_bytes()
        assert openssl_status(tmp_path, base, new["ca-sign"], new["sign"], "sign") == "good"

        hot = browser.new_page(locale="ja-JP")
        login(hot, base, "hotline")
        hot.fill("#h-name", "能登 花子")
        hot.fill("#h-birth", "1988-02-29")
        hot.click("#h-submit")
        ref = hot.inner_text("#reference")
        assert ref.startswith("H")
        shot(hot, "05-hotline")
        assert openssl_status(tmp_path, base, p["ca-auth"], p["auth"], "auth") == "revoked (certificateHold)"
        assert openssl_status(tmp_path, base, new["ca-sign"], new["sign"], "sign") == "revoked (certificateHold)"
        assert openssl_status(tmp_path, base, p["ca-sign"], p["sign"], "sign") == "revoked (affiliationChanged)"
        page.reload()
        assert row.locator('[data-what="card-state"]').inner_text() == "一時停止中"
        assert "一時保留" in row.locator('[data-what="auth-status"]').inner_text()
        assert "一時保留" in row.locator('[data-what="sign-status"]').inner_text()
        shot(page, "06-suspended")
    office.store.dispose()
