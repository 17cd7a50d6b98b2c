"""The holder's portal: after a login with the card, the holder sees their card, certificates,
renewal dates and who read their number, and why (R_NUM_3, R_CARD_6, R_CERT_3)."""

from __future__ import annotations

from urllib.parse import urlparse

from mynacard.db import repositories as repo
from mynacard.services import residents
from tests.login.conftest import AT, OIDC, Started, approve


def portal_login(office, card_id, web) -> None:
    r = web.get("/portal/login")
    assert r.status_code == 302
    page = web.get(urlparse(r.headers["location"])._replace(scheme="", netloc="").geturl())
    assert "マイナポータル" in page.text
    link = page.text.split("mynacard client approve ")[1].split("<")[0]
    started = Started(link, "", "", "")
    assert approve(office, card_id, web, started).status_code == 200
    back = web.get(f"{OIDC}/auth/wait/{started.request_id}")
    assert back.status_code == 302
    done = web.get(urlparse(back.headers["location"])._replace(scheme="", netloc="").geturl())
    assert done.status_code == 302 and done.headers["location"] == "/portal"


def test_portal_shows_card_certificates_and_number_reads_R_NUM_3(office, card_id, web) -> None:
    with office.work(at=AT, actor="tax-office-clerk") as w:
        resident_id = repo.card(w.session, card_id).resident_id
        residents.read_number(w, resident_id, "tax")
    before = web.get("/portal")
    assert "マイナンバーカードでログイン" in before.text and "number-reads" not in before.text
    portal_login(office, card_id, web)
    page = web.get("/portal").text
    assert "交付済み(有効)" in page
    assert "署名用電子証明書" in page and "利用者証明用電子証明書" in page
    assert "tax-office-clerk" in page and "税" in page  # who read the number, and why
    assert "から、お住まいの市区町村の窓口で" in page  # the card's renewal date
    # Logging out ends the portal session.
    assert web.post("/portal/logout").status_code == 303
    assert "tax-office-clerk" not in web.get("/portal").text


def test_portal_refuses_a_callback_it_did_not_start(web) -> None:
    r = web.get("/portal/callback", params={"code": "x", "state": "forged"})
    assert r.status_code == 400
