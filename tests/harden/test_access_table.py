"""The access table (``roles.ENDPOINTS``): the service has exactly the endpoints it lists, and
every row holds for every role: a role without the permission gets 403; a clerk of another
municipality gets 404 where the rule is the resident's municipality (it cannot even learn that
the resident exists) and 403 where the request names another municipality; everyone else
gets through (whatever the workflow then answers)."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from mynacard.ids import IndividualNumber
from mynacard.web.app import create_app
from mynacard.web.clock import Clock
from mynacard.web.deps.roles import ENDPOINTS, OWN, PERMISSIONS, PUBLIC, SCOPED, STAFF, Role, Scope
from mynacard.web.ui import routes as ui
from mynacard.web.ui.actions import ACTIONS
from tests.web.conftest import ACCOUNTS, NAKANOTO, PASSWORD, PINS, Staff, at, issue_card, make_office, register

HIDDEN = {Scope.RESIDENT, Scope.CARD, Scope.DOCUMENT, Scope.MOVING_IN}


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    office = make_office(str(tmp_path_factory.mktemp("access") / "access.db"))
    app = create_app(office, clock=Clock(at("2025-04-01T10:00"), advance=False))
    api = Staff(app)
    rid = register(api["clerk"], name="表 太郎")
    card_id = issue_card(api["clerk"], rid)
    yield app, api, rid, card_id
    office.store.dispose()


def test_the_table_lists_exactly_the_services_endpoints(world):
    app = world[0]
    served = {f"{m.upper()} {p}" for p, ops in app.openapi()["paths"].items() for m in ops}
    for r in ui.router.routes:
        for m in r.methods - {"HEAD"}:
            if r.path == "/residents/{rid}/{action}":
                served |= {f"{m} /residents/{{rid}}/{a}" for a in ACTIONS}
            else:
                served.add(f"{m} {r.path}")
    assert served == set(ENDPOINTS)
    for action, (permission, _fn) in ACTIONS.items():
        assert ENDPOINTS[f"POST /residents/{{rid}}/{action}"][0] == permission
    for permission, _scope in ENDPOINTS.values():
        assert permission in (PUBLIC, STAFF, OWN) or permission in PERMISSIONS


def expected(permission: str, scope: Scope, account: str) -> str:
    role, code = ACCOUNTS[account]
    if permission == OWN:
        return "refused"  # a staff session is no credential there
    if permission in (PUBLIC, STAFF):
        return "allow"
    if Role(role) not in PERMISSIONS[permission]:
        return "deny"
    if Role(role) in SCOPED and code != NAKANOTO:
        if scope in HIDDEN:
            return "hide"
        if scope is Scope.NAMED:
            return "deny"
    return "allow"


BODIES = {
    "POST /api/login": {"username": "nobody", "password": "wrong password"},
    "POST /api/residents": lambda: {"individual_number": str(IndividualNumber.generate()), "name": "表 次郎",
                                    "address": "石川県", "birth_date": "1990-01-01", "sex": "1",
                                    "municipality_code": NAKANOTO},
    "POST /api/residents/{resident_id}/number": {"purpose": "tax"},
    "POST /api/residents/{resident_id}/move-within": {"new_address": "石川県鹿島郡中能登町2"},
    "POST /api/residents/{resident_id}/rename": {"new_name": "表 花子"},
    # to a municipality that is not registered: the resident must stay in 中能登町 for the other rows
    "POST /api/residents/{resident_id}/move-out": {"to_municipality": "999999", "planned_on": "2025-04-05"},
    "POST /api/residents/{resident_id}/move-in": {"new_address": "石川県金沢市1", "moved_in_on": "2025-04-01"},
    "POST /api/residents/{resident_id}/number-change": {"reason": "漏えい"},
    "POST /api/residents/{resident_id}/applications": {},
    "POST /api/cards/{card_id}/cancel": {},
    "POST /api/cards/{card_id}/issue": {"identity_documents": ["drivers_license"], "pins": PINS},
    "POST /api/cards/{card_id}/continued-use": {"resident_pin": "2345"},
    "POST /api/cards/{card_id}/loss-report": {},
    "POST /api/cards/{card_id}/pins/{pin}/reset": {"new_value": "1234", "identity_documents": ["passport"]},
    "POST /api/cards/{card_id}/certificates/{kind}": {"pin": "ABC123"},
    "POST /api/cards/{card_id}/certificates/{kind}/renew": {},
    "POST /api/hotline/suspend": {"name": "誰 でもない", "birth_date": "1990-01-01"},
    "POST /api/admin/accounts": {"username": "newstaff", "password": "a long pass phrase 7", "role": "auditor"},
    "POST /api/admin/clock": {"at": "2025-04-01T10:00:00+09:00", "advance": False},
    "POST /api/municipalities": {"code": "172014", "name": "金沢市", "prefecture": "石川県"},
    "POST /api/admin/relying-parties": {"name": "検証者"},
    "POST /api/residents/{resident_id}/admin-errors": {"description": "記載誤り"},
    "POST /api/residents/{resident_id}/moved-in-from-abroad": {"moved_in_on": "2025-04-01"},
}
PARAMS = {
    "GET /api/events": "resident_id",
    "POST /api/residents/{resident_id}/stay-extension": "stay",
    "GET /": "search",
}


def _path(key: str, rid: int, card_id: str) -> str:
    path = key.split(" ", 1)[1]
    if path.startswith("/crl/{kind}/"):
        path = "/crl/sign/174076.crl"
    return (path.replace("{resident_id}", str(rid)).replace("{rid}", str(rid)).replace("{card_id}", card_id)
            .replace("{kind}", "sign").replace("{pin}", "auth").replace("{number}", "R2025-000001")
            .replace("{event_id}", "1").replace("{request_id}", "nosuchrequest")
            .replace("{tx_id}", "nosuchtx").replace("{notice_id}", "1").replace("{request}", "MA==")
            .replace("/crl/{name}", "/crl/sign.crl").replace("{name}", "sign.cer"))


def _ui_session(app, account: str) -> tuple[TestClient, str]:
    c = TestClient(app, raise_server_exceptions=False)
    token = re.search(r'name="csrf" value="([^"]+)"', c.get("/login").text).group(1)
    r = c.post("/login", data={"username": account, "password": PASSWORD, "csrf": token}, follow_redirects=False)
    assert r.status_code == 303, r.text
    page = c.get("/hotline" if account == "hotline" else "/audit" if account == "auditor" else "/").text
    return c, re.search(r'name="csrf" value="([^"]+)"', page).group(1)


def _request(app, api, ui_sessions, key: str, account: str, rid: int, card_id: str):
    method, _ = key.split(" ", 1)
    path = _path(key, rid, card_id)
    permission = ENDPOINTS[key][0]
    is_ui = not path.startswith(("/api", "/documents", "/ocsp", "/crl", "/ca/"))
    params = {"resident_id": {"resident_id": rid}, "stay": {"new_period_of_stay_end": "2030-01-01"},
              "search": {"name": "表"}}.get(PARAMS.get(key, ""), None)
    if permission == PUBLIC:
        c = TestClient(app, raise_server_exceptions=False)
        if key == "POST /login":
            token = re.search(r'name="csrf" value="([^"]+)"', c.get("/login").text).group(1)
            return c.post(path, data={"username": "nobody", "password": "wrong password", "csrf": token})
        if key == "POST /ocsp/{kind}":
            return c.post(path, content=b"junk", headers={"Content-Type": "application/ocsp-request"})
    elif is_ui:
        if key == "POST /logout":
            c, token = _ui_session(app, account)  # a session of its own: it ends it
        else:
            c, token = ui_sessions[account]
        if method == "POST":
            return c.post(path, data={"csrf": token, "card_id": card_id, "name": "誰", "birth_date": "1990-01-01"},
                          follow_redirects=False)
        return c.get(path, params=params, follow_redirects=False)
    elif key == "POST /api/logout":  # a session of its own: it ends it
        c = TestClient(app, raise_server_exceptions=False)
        token = c.post("/api/login", json={"username": account, "password": PASSWORD}).json()["token"]
        c.headers["Authorization"] = f"Bearer {token}"
    else:
        c = api[account]
    body = BODIES.get(key)
    if callable(body):
        body = body()
    if method == "POST":
        return c.post(path, json=body, params=params) if body is not None else c.post(path, params=params)
    return c.get(path, params=params)


@pytest.mark.parametrize("account", list(ACCOUNTS))
def test_every_row_holds_for_every_role(world, account):
    app, api, rid, card_id = world
    ui_sessions = {a: _ui_session(app, a) for a in ACCOUNTS}
    wrong = []
    for key, (permission, scope) in ENDPOINTS.items():
        r = _request(app, api, ui_sessions, key, account, rid, card_id)
        want = expected(permission, scope, account)
        refused = (403,) if permission == PUBLIC else (401, 403)  # a wrong password is 401
        ok = {"deny": r.status_code == 403, "hide": r.status_code == 404,
              "allow": r.status_code not in refused and r.status_code < 500,
              # no staff session opens these: refused, or the flow's own error, never a success
              "refused": 400 <= r.status_code < 500}[want]
        if not ok:
            wrong.append((key, want, r.status_code))
    assert wrong == [], wrong
