"""The print queue of expiry notices (R_USE_3): a clerk marks what was printed, one notice or
all those shown; the queue shows the unprinted by default, says who printed each and when,
and the marking is audited. A clerk marks only the notices of their own municipality."""

from __future__ import annotations

import re

from sqlalchemy import select

from mynacard import audit
from mynacard.audit.labels import ACTION_JA
from mynacard.db.models import ExpiryNotice
from tests.web.conftest import KANAZAWA, at, issue_card, register
from tests.web.test_security import csrf_of, ui_login

DAY = "2029-03-20"  # born 1990-06-15: both certificates expire 2029-06-15, one notice per card


def _notices(staff, clock, names: list[str], code: str = "174076") -> list[int]:
    clerk = staff["clerk"] if code != KANAZAWA else staff["kanazawa"]
    for name in names:
        issue_card(clerk, register(clerk, name=name, code=code))
    clock.set(at(DAY))
    return [n["id"] for n in staff["root"].post("/api/batch/daily").json()["notices"]]


def _printed(office) -> dict[int, tuple[str | None, bool]]:
    with office.store.sessions() as s:
        return {n.id: (n.printed_by, n.printed_at is not None) for n in s.scalars(select(ExpiryNotice))}


def _rows(html: str) -> list[str]:
    return re.findall(r'<tr data-notice="(\d+)"', html)


def test_a_clerk_marks_one_notice_printed_and_the_queue_then_shows_only_the_unprinted_R_USE_3(app, staff, office,
                                                                                             clock):
    first, second = _notices(staff, clock, ["印刷 一郎", "印刷 二郎"])
    c = ui_login(app)
    page = c.get("/batch").text
    assert _rows(page) == [str(first), str(second)]
    assert 'id="batch-run"' not in page  # a clerk prints; the batch itself is a supervisor's
    r = c.post("/batch/printed", data={"csrf": csrf_of(page), "notice": str(first), "day": DAY,
                                        "shown": [str(first), str(second)]}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/batch?day=")
    page = c.get(r.headers["location"]).text
    assert "1件の有効期限通知書を印刷済みにしました" in page
    assert _rows(page) == [str(second)]  # the unprinted, by default
    assert ">1</span>件・印刷済み" in page.replace('id="count-unprinted">', ">")
    assert _printed(office) == {first: ("clerk", True), second: (None, False)}
    printed = c.get("/batch", params={"day": DAY, "show": "printed"}).text
    assert _rows(printed) == [str(first)] and "印刷済み(2029-03-20 10:00・clerk)" in printed
    assert _rows(c.get("/batch", params={"day": "令和11年3月20日", "show": "all"}).text) == [str(first), str(second)]
    with office.store.sessions() as s:
        [entry] = audit.entries(s, action="notice.printed")
    assert (entry.actor, entry.outcome, entry.details["notices"]) == ("clerk", "ok", str(first))
    assert ACTION_JA["notice.printed"] == "有効期限通知書を印刷済みに記録"


def test_all_notices_shown_are_marked_at_once_and_a_second_mark_changes_nothing(app, staff, office, clock):
    ids = _notices(staff, clock, ["全部 一郎", "全部 二郎", "全部 三郎"])
    c = ui_login(app)
    token = csrf_of(c.get("/batch").text)
    shown = [str(i) for i in ids[:2]]  # the third arrived after the page was drawn: not marked
    r = c.post("/batch/printed", data={"csrf": token, "all": "1", "shown": shown})
    assert "2件の有効期限通知書を印刷済みにしました" in r.text and _rows(r.text) == [str(ids[2])]
    sup = ui_login(app, "super")
    r = sup.post("/batch/printed", data={"csrf": csrf_of(sup.get("/batch").text), "all": "1",
                                          "shown": [str(i) for i in ids]})
    assert "1件の有効期限通知書を印刷済みにしました。2件はすでに印刷済みでした。" in r.text
    assert _printed(office) == {ids[0]: ("clerk", True), ids[1]: ("clerk", True), ids[2]: ("super", True)}
    assert "すべて印刷済みです" in r.text


def test_a_clerk_cannot_mark_the_notices_of_another_municipality(app, staff, office, clock):
    [theirs] = _notices(staff, clock, ["金沢 太郎"], code=KANAZAWA)
    c = ui_login(app)
    page = c.get("/batch", params={"show": "all"}).text
    assert _rows(page) == []
    r = c.post("/batch/printed", data={"csrf": csrf_of(page), "notice": str(theirs)})
    assert "0件の有効期限通知書を印刷済みにしました。1件は見つかりませんでした。" in r.text
    assert _printed(office) == {theirs: (None, False)}


def test_marking_nothing_or_a_bad_filter_is_refused_with_a_clear_message(app, staff, clock):
    _notices(staff, clock, ["空 一郎"])
    c = ui_login(app)
    r = c.post("/batch/printed", data={"csrf": csrf_of(c.get("/batch").text), "day": DAY})
    assert "印刷済みにする通知書を選んでください" in r.text
    r = c.get("/batch", params={"show": "everything"})
    assert r.status_code == 422 and "「未印刷」「印刷済み」「すべて」" in r.text
