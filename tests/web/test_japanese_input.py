"""The window as it is spoken: names found across 異体字, kana and full-width spaces, and dates
typed in 和暦 or 西暦 (the search, the hotline form, the API search), with clear refusals."""

from __future__ import annotations

from tests.web.conftest import issue_card
from tests.web.test_security import csrf_of, ui_login


def _register(client, name: str, kana: str | None, birth: str) -> int:
    from mynacard.ids import IndividualNumber

    r = client.post("/api/residents", json={
        "individual_number": str(IndividualNumber.generate()), "name": name, "name_kana": kana,
        "address": "石川県鹿島郡中能登町能登部下91部23番地", "birth_date": birth, "sex": "1",
        "municipality_code": "174076"})
    assert r.status_code == 201, r.text
    assert r.json()["name_kana"] == kana  # stored and shown
    return r.json()["id"]


def test_window_search_by_variant_kana_and_wareki_birth_date(app, staff):
    rid = _register(staff["clerk"], "髙橋 太郎", "タカハシ タロウ", "1988-02-29")
    _register(staff["clerk"], "高田 一", None, "1988-02-29")
    clerk = ui_login(app)
    for name, birth in [("高橋", ""), ("高橋　太郎", ""), ("たかはし", "S63.2.29"), ("", "昭和63年2月29日")]:
        r = clerk.get("/", params={"name": name, "birth_date": birth})
        assert r.status_code == 200 and f'href="/residents/{rid}"' in r.text, (name, birth)
        assert "タカハシ タロウ" in r.text  # the フリガナ is shown with the name
    r = clerk.get("/", params={"name": "高橋", "birth_date": "平成32年1月1日"})
    assert r.status_code == 422 and "平成は平成31年4月30日(2019-04-30)までです" in r.text
    assert 'data-date="wareki"' in r.text and "令和8年11月28日" in r.text  # a text field with the hint
    page = clerk.get(f"/residents/{rid}").text
    assert "タカハシ タロウ" in page


def test_api_search_folds_the_name(staff):
    rid = _register(staff["clerk"], "山﨑　花子", "やまさき はなこ", "1975-07-07")
    for name in ("山崎", "山崎 花子", "ヤマサキ", "ﾔﾏｻｷ ﾊﾅｺ"):
        r = staff["clerk"].get("/api/residents", params={"name": name})
        assert r.status_code == 200 and [x["id"] for x in r.json()] == [rid], name


def test_hotline_form_takes_the_name_as_said_and_a_wareki_birth_date_R_LOSS_1(app, staff):
    rid = _register(staff["clerk"], "髙橋 太郎", "タカハシ タロウ", "1988-02-29")
    issue_card(staff["clerk"], rid)
    hot = ui_login(app, "hotline")
    page = hot.get("/hotline").text
    r = hot.post("/hotline", data={"name": "たかはし　たろう", "birth_date": "S63.2.29", "csrf": csrf_of(page)})
    assert r.status_code == 200 and 'id="reference"' in r.text
    assert staff["clerk"].get(f"/api/residents/{rid}").json()["cards"][0]["state"] == "suspended"
