"""A NUL byte or another control character is refused at input validation with a 422 and a
Japanese message, in every place that takes text: never a 500, never a database error."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from mynacard.errors import ValidationError
from mynacard.rules.text import bad_character, check_text
from tests.harden.conftest import login_ui
from tests.web.conftest import PASSWORD, register

NUL = "能登\x00太郎"


@pytest.mark.parametrize("ch", ["\x00", "\x1b", "\n", "\x7f", "\x9b", "\ud800"])
def test_control_characters_are_refused(ch):
    assert bad_character(f"能登{ch}") is not None
    with pytest.raises(ValidationError) as e:
        check_text("name", f"能登{ch}太郎")
    assert e.value.fields["field"] == "name" and "制御文字" in e.value.message_ja


def test_ordinary_japanese_text_passes():
    assert bad_character("石川県鹿島郡中能登町能登部下91部23番地 ﾉﾄ　タロウ") is None


def _api_requests(staff):
    clerk, hotline, auditor = staff["clerk"], staff["hotline"], staff["auditor"]
    person = {"individual_number": "123456789018", "address": "石川県", "birth_date": "1990-06-15",
              "sex": "1", "municipality_code": "174076"}
    anon = TestClient(clerk.app, raise_server_exceptions=False)
    return {
        "api search": lambda: clerk.get("/api/residents", params={"name": NUL}),
        "api register": lambda: clerk.post("/api/residents", json=person | {"name": NUL}),
        "api register address": lambda: clerk.post("/api/residents", json=person | {"name": "a",
                                                                                   "address": "石\x00川"}),
        "api hotline": lambda: hotline.post("/api/hotline/suspend", json={"name": NUL, "birth_date": "1990-06-15"}),
        "api login": lambda: anon.post("/api/login", json={"username": "clerk\x00", "password": PASSWORD}),
        "api login password": lambda: anon.post("/api/login", json={"username": "clerk", "password": "a\x00b"}),
        "api audit actor": lambda: auditor.get("/api/audit", params={"actor": "clerk\x00"}),
        "api audit action": lambda: auditor.get("/api/audit", params={"action": "\x00"}),
    }


def test_api_refuses_nul_with_422(web_staff):
    for where, call in _api_requests(web_staff).items():
        r = call()
        assert r.status_code == 422, (where, r.status_code, r.text)
        assert "制御文字" in r.json()["error"]["message_ja"], where


def test_ui_refuses_nul_with_422(web_app, web_staff):
    rid = register(web_staff["clerk"], name="制御 文字")
    clerk = login_ui(web_app, "clerk")
    r = clerk.get("/", params={"name": NUL})
    assert r.status_code == 422 and "制御文字" in r.text
    token = re.search(r'name="csrf" value="([^"]+)"', clerk.get(f"/residents/{rid}").text).group(1)
    r = clerk.post(f"/residents/{rid}/move", data={"new_address": "石\x00川", "csrf": token})
    assert r.status_code == 422 and "制御文字" in r.text
    hot = login_ui(web_app, "hotline")
    token = re.search(r'name="csrf" value="([^"]+)"', hot.get("/hotline").text).group(1)
    r = hot.post("/hotline", data={"name": NUL, "birth_date": "1990-06-15", "csrf": token})
    assert r.status_code == 422 and "制御文字" in r.text
    anon = TestClient(web_app, raise_server_exceptions=False)
    token = re.search(r'name="csrf" value="([^"]+)"', anon.get("/login").text).group(1)
    r = anon.post("/login", data={"username": "clerk\x00", "password": PASSWORD, "csrf": token})
    assert r.status_code == 422 and "制御文字" in r.text
    auditor = login_ui(web_app, "auditor")
    assert auditor.get("/audit", params={"offset": "0\x00"}).status_code == 422
