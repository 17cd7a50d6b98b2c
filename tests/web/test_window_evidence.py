"""The window's forms for the evidence of a free reissue (R_LOSS_4): the records a supervisor or
a clerk makes, and the reissue that rests on them."""

from __future__ import annotations

from tests.web.conftest import issue_card, register
from tests.web.test_security import csrf_of, ui_login


def test_admin_error_recorded_by_a_supervisor_makes_the_reissue_free_R_LOSS_4(app, staff):
    rid = register(staff["clerk"])
    issue_card(staff["clerk"], rid)
    clerk, sup = ui_login(app), ui_login(app, "super")
    page = clerk.get(f"/residents/{rid}").text
    assert 'id="task-admin-error"' not in page  # a clerk is not offered the task
    r = clerk.post(f"/residents/{rid}/admin_error", data={"description": "誤記", "csrf": csrf_of(page)})
    assert r.status_code == 403
    r = clerk.post(f"/residents/{rid}/apply",
                   data={"kind": "reissue", "reason": "admin_error", "csrf": csrf_of(page)})
    assert r.status_code == 409 and "誤りの記録がありません" in r.text
    page = sup.get(f"/residents/{rid}").text
    assert 'id="task-admin-error"' in page
    r = sup.post(f"/residents/{rid}/admin_error", data={"description": "券面の氏名の誤記", "csrf": csrf_of(page)})
    assert r.status_code == 200 and "誤りを記録しました" in r.text
    page = clerk.get(f"/residents/{rid}").text
    r = clerk.post(f"/residents/{rid}/apply",
                   data={"kind": "reissue", "reason": "admin_error", "csrf": csrf_of(page)})
    assert r.status_code == 200 and "手数料は無料です" in r.text


def test_new_card_on_return_from_abroad_needs_the_recorded_moving_in_R_LOSS_4(app, staff):
    rid = register(staff["clerk"])
    clerk = ui_login(app)
    page = clerk.get(f"/residents/{rid}").text
    r = clerk.post(f"/residents/{rid}/apply",
                   data={"kind": "new", "reason": "return_from_abroad", "csrf": csrf_of(page)})
    assert r.status_code == 409 and "国外からの転入の記録がありません" in r.text
    # the date as the clerk types it, in 和暦; the message gives it back in 和暦 and 西暦
    r = clerk.post(f"/residents/{rid}/moved_in_from_abroad", data={"moved_in_on": "R7.3.20", "csrf": csrf_of(page)})
    assert r.status_code == 200 and "令和7年3月20日(2025-03-20)の国外からの転入を記録しました" in r.text
    r = clerk.post(f"/residents/{rid}/apply",
                   data={"kind": "new", "reason": "return_from_abroad", "csrf": csrf_of(page)})
    assert r.status_code == 200 and "手数料は無料です" in r.text
