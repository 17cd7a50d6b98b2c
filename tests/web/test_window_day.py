"""A clerk's whole day at the window, in headless Chromium, through the UI alone: registration,
application, making, hand-over (PINs twice, every error at once), the number read with its
purpose (R_NUM_3), the hotline suspension and the loss report after it (R_LOSS_1, R_LOSS_2),
the card found (with a confirmation), a PIN reset (R_PIN_5), the move out and in with continued
use (R_CARD_8), the clock moved on, the daily batch and its printed expiry notice (R_USE_3), and
the return (R_CERT_5). axe-core checks every page: no serious or critical violation."""

from __future__ import annotations

import os
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from mynacard.db.models import Event, NumberRead
from tests.conftest import skip_or_fail
from tests.web.conftest import PASSWORD, at, make_office
from tests.web.live import free_port, live_server

pytestmark = pytest.mark.slow
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]


@pytest.fixture
def browser():
    if not os.path.exists(CHROMIUM):
        skip_or_fail("Chromium is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        yield b
        b.close()


class Axe:
    """axe-core (bundled by axe-playwright-python) on each page; collects what it finds."""

    def __init__(self) -> None:
        from axe_playwright_python.sync_playwright import Axe as Engine

        self.engine = Engine()
        self.pages: list[str] = []
        self.found: list[tuple[str, str, str, list[str]]] = []

    def __call__(self, page) -> None:
        res = self.engine.run(page)
        self.pages.append(page.url)
        for v in res.response["violations"]:
            if v.get("impact") in ("serious", "critical"):
                targets = [str(n.get("target")) for n in v.get("nodes", [])][:3]
                self.found.append((page.url, v["id"], v.get("help", ""), targets))


def login(page, base: str, user: str) -> None:
    page.goto(f"{base}/login")
    page.fill("#username", user)
    page.fill("#password", PASSWORD)
    page.click("#login")


def count(office, model, **where) -> int:
    with office.store.sessions() as s:
        q = select(func.count()).select_from(model)
        for k, v in where.items():
            q = q.where(getattr(model, k) == v)
        return int(s.scalar(q) or 0)


def test_a_clerks_day_through_the_window_alone(browser, tmp_path):
    from mynacard.web.clock import Clock

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    office = make_office(str(tmp_path / "day.db"), base_url=base)
    clock = Clock(at("2025-04-01T09:00"), advance=False)
    axe = Axe()
    with live_server(office, port, clock=clock):
        page = browser.new_page(locale="ja-JP")
        login(page, base, "clerk")
        axe(page)  # the task menu

        # --- registration: every error at once, each once; the values kept (the select too) ---
        page.click("#task-register")
        page.fill("#reg-name", "能登 花子")
        page.select_option("#reg-sex", "2")
        page.click("#register-submit")
        summary = page.locator("#error-summary")
        assert "3件" in summary.inner_text()
        for field in ("birth_date", "address", "individual_number"):
            assert page.locator(f'.error[data-field="{field}"]').count() == 1
        assert page.input_value("#reg-name") == "能登 花子"
        assert page.input_value("#reg-sex") == "2"
        assert page.evaluate("document.activeElement.id") == "reg-birth"  # the first field in error has the focus
        axe(page)
        page.fill("#reg-birth", "1988-02-29")
        page.fill("#reg-address", "石川県鹿島郡中能登町能登部下91部23番地")
        page.check("#reg-auto")
        page.click("#register-submit")
        assert "住民登録しました" in page.inner_text("#notice")
        rid = int(page.url.split("/residents/")[1].split("?")[0])
        tasks = page.locator(".tasks-panel").inner_text()
        assert "交付申請" in tasks and "返納" not in tasks and "紛失" not in tasks  # only what the state allows
        axe(page)

        # --- application, by keyboard: a POST redirects; a reload runs nothing again ---
        page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement.textContent") == "本文へ移動"  # the skip link comes first
        assert page.get_attribute("#task-apply", "accesskey") == "a"  # its shortcut, listed at the page's foot
        page.focus("#task-apply")
        page.keyboard.press("Enter")
        page.wait_for_url("**/do/apply")
        axe(page)
        page.select_option("#apply-certs", "both")
        page.click("#apply-submit")
        assert "交付申請を受け付けました" in page.inner_text("#notice")
        page.reload()
        assert "交付申請を受け付けました" in page.inner_text("#notice")
        assert count(office, Event, resident_id=rid, action="card_applied") == 1

        page.click("#task-make")
        page.click("#make-submit")
        assert "作成しました" in page.inner_text("#notice")

        # --- hand-over: two PIN errors at once; the documents stay ticked; nothing is issued ---
        page.click("#task-issue")
        page.check("#issue-doc-drivers_license")
        for pin, first, again in (("sign", "abc", "abc"), ("auth", "1234", "1235"),
                                  ("resident", "2345", "2345"), ("card_info", "3456", "3456")):
            page.fill(f"#pin-{pin.replace('_', '-')}", first)
            page.fill(f"#pin-{pin.replace('_', '-')}-again", again)
        page.click("#issue-submit")
        assert "英大文字" in page.inner_text('.error[data-field="pin.sign"]')
        assert "一致しません" in page.inner_text('.error[data-field="pin.auth"]')
        assert page.locator(".error").count() == 2  # each error once, next to its field
        assert page.is_checked("#issue-doc-drivers_license")
        assert page.input_value("#pin-resident") == ""  # PINs are never sent back
        axe(page)
        for pin, value in (("sign", "ABC123"), ("auth", "1234"), ("resident", "2345"), ("card-info", "3456")):
            page.fill(f"#pin-{pin}", value)
            page.fill(f"#pin-{pin}-again", value)
        page.click("#issue-submit")
        assert "カードを交付しました" in page.inner_text("#notice")
        assert page.locator('#notice a[href$=".pdf"]').count() == 1  # 交付受領書
        assert page.inner_text('#pin-panel tr[data-pin="sign"] [data-what="tries"]').startswith("5 / 5")
        assert page.inner_text('#pin-panel tr[data-pin="auth"] [data-what="tries"]').startswith("3 / 3")

        # --- the number, read with a purpose: shown once, recorded once ---
        page.click("#task-number")
        page.select_option("#number-purpose", "tax")
        page.click("#number-submit")
        page.locator("#number").wait_for()
        page.reload()
        page.locator("#number-hidden").wait_for()
        assert page.locator("#number").count() == 0
        assert count(office, NumberRead, resident_id=rid) == 1

        # --- the hotline suspends at night; the window then takes the loss report ---
        hot = browser.new_page(locale="ja-JP")
        login(hot, base, "hotline")
        hot.fill("#h-name", "能登 花子")
        hot.fill("#h-birth", "1988-02-29")
        hot.click("#h-submit")
        reference = hot.inner_text("#reference")
        assert reference.startswith("H")
        axe(hot)
        page.goto(f"{base}/residents/{rid}")
        assert page.inner_text("#live-state") == "一時停止中"
        assert reference in page.inner_text("#timeline")  # the hotline reference stays on record
        page.click("#task-loss")
        page.locator("#loss-after-hotline").wait_for()
        page.fill("#loss-police-report", "石川県警 第123号")
        page.click("#loss-submit")
        assert "紛失の届出を受け付けました" in page.inner_text("#notice")

        # --- found: a confirmation page first ---
        page.click("#task-found")
        page.click("#found-submit")
        page.locator("#form-confirm").wait_for()
        axe(page)
        page.click("#confirm-submit")
        assert "一時停止を解除しました" in page.inner_text("#notice")
        assert page.inner_text("#live-state") == "交付済み(有効)"

        # --- a forgotten PIN, reset with its receipt ---
        page.click("#task-pin-reset")
        page.select_option("#pin-kind", "auth")
        page.fill("#new-value", "9876")
        page.fill("#new-value-again", "9876")
        page.check("#pin_reset-doc-passport")
        page.click("#pin-reset-submit")
        assert "再設定しました" in page.inner_text("#notice")
        assert "/documents/pin-reset/" in page.get_attribute("#notice a.doc-link", "href")

        # --- moving out to 金沢市 ---
        page.click("#task-move-out")
        page.select_option("#move-out-to", "172014")
        page.fill("#move_out-planned-on", "2025-04-01")
        page.click("#move-out-submit")
        assert "転出届を受け付けました" in page.inner_text("#notice")
        axe(page)

        # --- 金沢市 takes the moving-in notice and the card's continued use ---
        kz = browser.new_page(locale="ja-JP")
        login(kz, base, "kanazawa")
        kz.click("#task-moving-in")
        axe(kz)
        kz.click("a.moving-in-link")
        kz.fill("#in-address", "石川県金沢市広坂1丁目1番1号")
        kz.fill("#in-date", "2025-04-01")
        axe(kz)
        kz.click("#moving-in-submit")
        assert "転入届を受け付けました" in kz.inner_text("#notice")
        assert kz.locator("#continued-use-by").is_visible()
        kz.click("#task-continued-use")
        kz.fill("#continued-use-pin", "2345")
        kz.click("#continued-use-submit")
        assert "継続利用を記録しました" in kz.inner_text("#notice")
        axe(kz)

        # --- the clock moves on to 10 weeks before the certificates expire ---
        expiry = date.fromisoformat(kz.locator('#certificates tr[data-kind="auth"] td').nth(4).inner_text())
        day = expiry - timedelta(days=70)
        admin = browser.new_page(locale="ja-JP")
        login(admin, base, "root")
        admin.goto(f"{base}/clock")
        admin.fill("#clock-at", f"{day.isoformat()}T09:00")
        admin.click("#clock-submit")
        assert day.isoformat() in admin.inner_text("#clock-now")
        axe(admin)

        # --- the daily batch, its print queue and the printed notice ---
        login(admin, base, "root")
        admin.goto(f"{base}/batch")
        admin.click("#batch-run")
        assert int(admin.inner_text("#batch-notices")) >= 1
        row = admin.locator("#print-queue tbody tr").filter(has_text="能登 花子")
        assert row.count() >= 1
        axe(admin)
        href = row.first.locator("a.notice-pdf").get_attribute("href")
        pdf = admin.request.get(f"{base}{href}")
        assert pdf.status == 200 and pdf.body().startswith(b"%PDF")
        admin.emulate_media(media="print")  # the printed list has no menus nor buttons
        assert admin.locator("header nav").is_hidden() and admin.locator("#batch-run").is_hidden()
        admin.emulate_media(media="screen")
        before = row.count()
        row.first.locator("button.mark-printed").click()  # printed: it leaves the unprinted queue
        assert "印刷済みにしました" in admin.inner_text("#printed-result")
        assert row.count() == before - 1
        admin.click("#show-printed")
        assert "印刷済み(" in admin.locator("#print-queue tbody tr").filter(has_text="能登 花子").first.inner_text()
        axe(admin)

        # --- the return: confirmed, then every certificate revoked with its reason ---
        login(kz, base, "kanazawa")
        kz.goto(f"{base}/residents/{rid}")
        assert "有効期限通知書を再印刷" in kz.inner_text("#timeline")
        kz.click("#task-return")
        kz.click("#return-submit")
        assert "元に戻せません" in kz.inner_text("#confirm-text")
        kz.click("#confirm-submit")
        assert "返納を受け付けました" in kz.inner_text("#notice")
        assert kz.inner_text("#cards tr.card-row >> nth=0 >> [data-what=card-state]") == "返納済み"
        reasons = kz.locator('#certificates [data-what="reason"]').all_inner_texts()
        assert any("利用の終了" in x for x in reasons)
        assert "返納" not in kz.locator(".tasks-panel").inner_text()
        axe(kz)

        # --- a phone-sized window: no sideways scrolling ---
        phone = browser.new_page(locale="ja-JP", viewport={"width": 390, "height": 844})
        login(phone, base, "clerk")
        phone.goto(f"{base}/register")
        assert phone.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    office.store.dispose()
    assert axe.found == [], axe.found
    assert len(axe.pages) >= 14


def test_the_accessibility_check_finds_what_it_should(browser):
    """The check above is not a no-op: a form field without a label and grey-on-white text fail it."""
    page = browser.new_page(locale="ja-JP")
    page.set_content('<!doctype html><html lang="ja"><head><title>t</title></head><body><main>'
                     '<input name="x"><p style="color:#ccc;background:#fff">薄い文字</p></main></body></html>')
    axe = Axe()
    axe(page)
    assert {rule for _url, rule, _help, _nodes in axe.found} >= {"label", "color-contrast"}
