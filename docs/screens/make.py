"""Screenshots of the window's main pages into docs/screens/ (shown in the README).

Runs the service on a fresh SQLite store in a temporary folder, with a simulated clock, and walks
a resident through the window in headless Chromium (Debian's /usr/bin/chromium):

    .venv/bin/python docs/screens/make.py [--chromium /usr/bin/chromium] [--out docs/screens]

Nothing outside the temporary folder and the output folder is touched.
"""

from __future__ import annotations

import argparse
import os
import socket
import tempfile
import threading
import time
from datetime import datetime
from pathlib import Path

import uvicorn

from mynacard.db.store import Store
from mynacard.services import residents
from mynacard.services.context import Office
from mynacard.timeutil import JST
from mynacard.web.app import create_app
from mynacard.web.clock import Clock
from mynacard.web.deps import auth

ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]
PASSWORD = "screens pass phrase 1"
OUT = Path(__file__).resolve().parent


def _office(folder: Path, base: str) -> Office:
    store = Store(str(folder / "screens.db"))
    store.migrate()
    office = Office(store=store, master_key=os.urandom(32), base_url=base)
    with office.work(at=datetime(2025, 4, 1, 9, 0, tzinfo=JST), actor="setup") as w:
        residents.add_municipality(w, "174076", "中能登町", "石川県")
        residents.add_municipality(w, "172014", "金沢市", "石川県")
    for name, role, code in (("clerk", "clerk", "174076"), ("super", "supervisor", "174076"),
                             ("hotline", "hotline", None), ("root", "admin", None)):
        auth.create_account(store, username=name, password=PASSWORD, role=role, municipality_code=code)
    return office


def _serve(office: Office, clock: Clock) -> tuple[uvicorn.Server, threading.Thread, str]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(create_app(office, clock=clock), host="127.0.0.1", port=port,
                                           log_level="warning"))
    t = threading.Thread(target=server.run, daemon=True)
    t.start()
    while not server.started:
        time.sleep(0.02)
    return server, t, f"http://127.0.0.1:{port}"


def small(path: Path) -> None:
    """Keep the PNG small for the repository: a palette of 48 colours is plenty for these pages."""
    from PIL import Image

    with Image.open(path) as im:
        pal = im.convert("RGB").quantize(colors=48, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
    pal.save(path, optimize=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--chromium", default="/usr/bin/chromium")
    ap.add_argument("--out", type=Path, default=OUT)
    a = ap.parse_args()
    from playwright.sync_api import sync_playwright

    a.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as pw:
        clock = Clock(datetime(2025, 4, 1, 9, 30, tzinfo=JST), advance=False)
        # the port is known only once the server runs; the CA's URLs do not show on these pages
        office = _office(Path(tmp), "http://127.0.0.1:8000")
        server, thread, base = _serve(office, clock)
        browser = pw.chromium.launch(executable_path=a.chromium, args=ARGS, headless=True)
        page = browser.new_page(locale="ja-JP", viewport={"width": 1180, "height": 820})

        def shot(name: str, full: bool = False, p=page) -> None:
            path = a.out / f"{name}.png"
            p.screenshot(path=str(path), full_page=full)
            small(path)
            print(path)

        def login(user: str, p=page) -> None:
            p.goto(f"{base}/login")
            p.fill("#username", user)
            p.fill("#password", PASSWORD)
            p.click("#login")

        login("clerk")
        shot("01-menu")
        page.click("#task-register")
        page.fill("#reg-name", "能登 花子")
        page.select_option("#reg-sex", "2")
        page.click("#register-submit")
        page.locator("#error-summary").wait_for()
        shot("02-register-errors")
        page.fill("#reg-birth", "1988-02-29")
        page.fill("#reg-address", "石川県鹿島郡中能登町能登部下91部23番地")
        page.check("#reg-auto")
        page.click("#register-submit")
        page.click("#task-apply")
        page.click("#apply-submit")
        page.click("#task-make")
        page.click("#make-submit")
        page.click("#task-issue")
        page.check("#issue-doc-drivers_license")
        for pin, first, again in (("sign", "abc", "abc"), ("auth", "1234", "1243"),
                                  ("resident", "2345", "2345"), ("card-info", "3456", "3456")):
            page.fill(f"#pin-{pin}", first)
            page.fill(f"#pin-{pin}-again", again)
        page.click("#issue-submit")
        page.locator("#error-summary").wait_for()
        shot("03-issue-errors", full=True)
        for pin, value in (("sign", "ABC123"), ("auth", "1234"), ("resident", "2345"), ("card-info", "3456")):
            page.fill(f"#pin-{pin}", value)
            page.fill(f"#pin-{pin}-again", value)
        page.click("#issue-submit")
        page.locator("#notice").wait_for()
        shot("04-resident-issued")
        rid = page.url.split("/residents/")[1].split("?")[0]

        hot = browser.new_page(locale="ja-JP", viewport={"width": 1180, "height": 820})
        login("hotline", hot)
        hot.fill("#h-name", "能登 花子")
        hot.fill("#h-birth", "1988-02-29")
        hot.click("#h-submit")
        hot.locator("#reference").wait_for()
        shot("05-hotline", p=hot)
        page.goto(f"{base}/residents/{rid}")
        page.click("#task-loss")
        page.click("#loss-submit")
        page.locator("#notice").wait_for()
        shot("06-resident-history", full=True)
        page.click("#task-return")
        page.click("#return-submit")
        page.locator("#form-confirm").wait_for()
        shot("07-confirm-return")

        login("root")
        page.goto(f"{base}/clock")
        page.fill("#clock-at", "2029-12-20T09:00")
        page.click("#clock-submit")
        login("root")
        page.goto(f"{base}/residents/{rid}/do/found")
        page.click("#found-submit")
        page.click("#confirm-submit")
        page.goto(f"{base}/batch")
        page.click("#batch-run")
        page.locator("#batch-result").wait_for()
        shot("08-batch-print-queue")
        page.emulate_media(media="print")
        page.goto(f"{base}/residents/{rid}")
        shot("09-resident-print", full=True)
        page.emulate_media(media="screen")

        phone = browser.new_page(locale="ja-JP", viewport={"width": 390, "height": 844}, device_scale_factor=1)
        login("clerk", phone)
        phone.goto(f"{base}/residents/{rid}")
        shot("10-phone", p=phone)
        browser.close()
        server.should_exit = True
        thread.join(5)
        office.store.dispose()


if __name__ == "__main__":
    main()
