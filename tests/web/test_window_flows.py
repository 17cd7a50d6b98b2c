"""The window's task pages without a browser: post/redirect/get, confirmations for what cannot be
undone, every error at once with the form kept, PINs entered twice, the PINs' tries and locks,
the loss report after a hotline suspension, tasks offered by the card's state."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from mynacard.db.models import NumberRead
from mynacard.errors import MynaError
from mynacard.services import pins
from tests.web.conftest import PINS, at, issue_card, register
from tests.web.test_security import csrf_of, ui_login


def _reads(office, rid: int) -> int:
    with office.store.sessions() as s:
        return int(s.scalar(select(func.count()).select_from(NumberRead).where(NumberRead.resident_id == rid)))


def test_reloading_a_result_runs_nothing_again_and_shows_the_number_once_R_NUM_3(app, staff, office):
    rid = register(staff["clerk"])
    c = ui_login(app)
    token = csrf_of(c.get(f"/residents/{rid}").text)
    r = c.post(f"/residents/{rid}/number", data={"purpose": "tax", "csrf": token}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith(f"/residents/{rid}?f=")
    first = c.get(r.headers["location"])
    assert 'id="number"' in first.text and "利用目的「税」" in first.text
    again = c.get(r.headers["location"])  # the reload
    assert 'id="number"' not in again.text and "利用目的「税」" in again.text
    assert _reads(office, rid) == 1


def test_a_result_is_shown_only_to_the_staff_member_who_made_it(app, staff):
    rid = register(staff["clerk"])
    c = ui_login(app)
    token = csrf_of(c.get(f"/residents/{rid}").text)
    r = c.post(f"/residents/{rid}/apply", data={"kind": "new", "csrf": token}, follow_redirects=False)
    other = ui_login(app, "super")
    assert "交付申請を受け付けました" not in other.get(r.headers["location"]).text
    assert "交付申請を受け付けました" in c.get(r.headers["location"]).text


def test_a_return_asks_for_confirmation_before_anything_happens_R_CERT_5(app, staff):
    rid = register(staff["clerk"])
    card_id = issue_card(staff["clerk"], rid)
    c = ui_login(app)
    token = csrf_of(c.get(f"/residents/{rid}").text)
    r = c.post(f"/residents/{rid}/return", data={"card_id": card_id, "csrf": token})
    assert r.url.path == f"/residents/{rid}/do/return" and 'id="form-confirm"' in r.text
    assert "元に戻せません" in r.text
    assert staff["clerk"].get(f"/api/cards/{card_id}").json()["state"] == "issued"
    r = c.post(f"/residents/{rid}/return", data={"card_id": card_id, "csrf": token, "confirmed": "1"})
    assert "返納を受け付けました" in r.text
    assert staff["clerk"].get(f"/api/cards/{card_id}").json()["state"] == "returned"
    assert 'id="task-return"' not in r.text  # nothing left to return
    assert "利用の終了" in r.text  # the revocation reason stays on the history


def test_registration_shows_every_error_once_and_keeps_the_other_values(app):
    c = ui_login(app)
    token = csrf_of(c.get("/register").text)
    r = c.post("/register", data={"csrf": token, "name": "能登 花子", "sex": "2", "individual_number": "12345"})
    assert r.status_code == 422 and r.url.path == "/register"
    errors = dict(re.findall(r'class="error" id="e-[^"]+" data-field="([^"]+)">([^<]+)<', r.text))
    assert set(errors) == {"birth_date", "address", "individual_number"}
    for msg in errors.values():
        assert r.text.count(msg) == 1
    assert 'value="能登 花子"' in r.text and re.search(r'<option value="2" selected>', r.text)
    assert "12345" not in r.text  # the number is not sent back


def test_hand_over_pins_must_match_and_all_problems_come_together_R_PIN_1(app, staff):
    rid = register(staff["clerk"])
    clerk = staff["clerk"]
    card_id = clerk.post(f"/api/residents/{rid}/applications", json={"kind": "new"}).json()["card_id"]
    clerk.post(f"/api/cards/{card_id}/make")
    c = ui_login(app)
    token = csrf_of(c.get(f"/residents/{rid}").text)
    form = {"csrf": token, "card_id": card_id, **{f"pin_{k}": v for k, v in PINS.items()},
            **{f"pin_{k}_again": v for k, v in PINS.items()}, "pin_auth_again": "9999", "pin_sign": "abc",
            "pin_sign_again": "abc", "certs": "both"}
    r = c.post(f"/residents/{rid}/issue", data=form)
    fields = set(re.findall(r'class="error" id="e-[^"]+" data-field="([^"]+)"', r.text))
    assert fields == {"identity_documents", "pin.sign", "pin.auth"}
    assert "一致しません" in r.text
    assert re.search(r'<option value="both" selected>', r.text)  # the select is kept
    assert clerk.get(f"/api/cards/{card_id}").json()["state"] == "made"


def test_tries_left_and_locks_of_all_four_pins_are_shown_R_PIN_7(app, staff, office):
    rid = register(staff["clerk"])
    card_id = issue_card(staff["clerk"], rid)
    for _ in range(3):
        try:
            with office.work(at=at("2025-04-01T10:00"), actor="t") as w:
                pins.change(w, card_id, "auth", "0000", "1111")
        except MynaError:  # a wrong PIN is the point
            pass
    page = ui_login(app).get(f"/residents/{rid}").text
    auth_row = re.search(r'<tr data-pin="auth">.*?</tr>', page, re.S).group(0)
    assert "0 / 3" in auth_row and "ロック中" in auth_row
    for pin, tries in (("sign", "5 / 5"), ("resident", "3 / 3"), ("card_info", "3 / 3")):
        row = re.search(rf'<tr data-pin="{pin}">.*?</tr>', page, re.S).group(0)
        assert tries in row and "ロック中" not in row
    assert 'id="task-pin-reset"' in page


def test_the_loss_report_is_taken_after_a_hotline_suspension_R_LOSS_2(app, staff):
    rid = register(staff["clerk"])
    card_id = issue_card(staff["clerk"], rid)
    r = staff["hotline"].post("/api/hotline/suspend", json={"name": "能登 太郎", "birth_date": "1990-06-15"})
    reference = r.json()["reference"]
    c = ui_login(app)
    page = c.get(f"/residents/{rid}").text
    assert 'id="task-loss"' in page and 'id="task-found"' in page
    assert reference in page  # the hotline reference is on the history
    token = csrf_of(page)
    r = c.post(f"/residents/{rid}/loss", data={"csrf": token, "card_id": card_id, "kind": "theft"})
    assert "盗難の届出を受け付けました" in r.text


def test_only_the_tasks_the_cards_state_allows_are_offered(app, staff):
    rid = register(staff["clerk"])
    c = ui_login(app)
    page = c.get(f"/residents/{rid}").text
    assert 'id="task-apply"' in page
    for task in ("issue", "loss", "return", "pin-reset", "move"):
        assert f'id="task-{task}"' not in page
    r = c.get(f"/residents/{rid}/do/return")
    assert 'id="not-allowed"' in r.text and 'id="form-return"' not in r.text
    assert c.get(f"/residents/{rid}/do/nosuchtask").status_code == 404


def test_every_task_the_page_offers_opens_its_form(app, staff):
    """For a card handed over and then suspended, as a supervisor: each offered task has its page."""
    from mynacard.web.ui.flows import FLOWS

    rid = register(staff["clerk"])
    issue_card(staff["clerk"], rid)
    sup = ui_login(app, "super")
    seen = set()
    for step in ("issued", "suspended"):
        if step == "suspended":
            staff["hotline"].post("/api/hotline/suspend", json={"name": "能登 太郎", "birth_date": "1990-06-15"})
        page = sup.get(f"/residents/{rid}").text
        offered = re.findall(r'href="/residents/\d+/do/([a-z_]+)"', page)
        assert offered
        for name in offered:
            r = sup.get(f"/residents/{rid}/do/{name}")
            assert r.status_code == 200, (name, r.text[:300])
            assert f'action="/residents/{rid}/{name}"' in r.text and 'id="not-allowed"' not in r.text
            seen.add(name)
    assert {"renew_cert", "revoke_cert", "rename", "move", "revoke_held", "found", "loss", "admin_error"} <= seen
    assert seen <= set(FLOWS)
