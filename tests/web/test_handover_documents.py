"""An application and a hand-over give one result (event ID, documents) to the API, the CLI and
the window's page (R_LOSS_4: the reissue's fee receipt; the hand-over receipt)."""

from __future__ import annotations

import base64
import json
import re

from typer.testing import CliRunner

from mynacard.cli.main import app as cli_app
from tests.web.conftest import MASTER_KEY, PINS, at, register
from tests.web.test_security import csrf_of, ui_login


def _event(clerk, rid: int, event_id: int) -> dict:
    [ev] = [e for e in clerk.get("/api/events", params={"resident_id": rid}).json() if e["id"] == event_id]
    return ev


def _issued(clerk, rid: int) -> tuple[str, dict]:
    card_id = clerk.post(f"/api/residents/{rid}/applications", json={"kind": "new"}).json()["card_id"]
    assert clerk.post(f"/api/cards/{card_id}/make").status_code == 200
    r = clerk.post(f"/api/cards/{card_id}/issue", json={"identity_documents": ["drivers_license"], "pins": PINS})
    assert r.status_code == 200, r.text
    return card_id, r.json()


def test_the_api_returns_the_event_and_the_documents_it_serves(staff, clock):
    clerk = staff["clerk"]
    rid = register(clerk)
    card_id, out = _issued(clerk, rid)
    assert out["documents"] == [{"title_ja": "交付受領書(PDF)", "path": f"/documents/issue/{card_id}.pdf"}]
    assert out["receipt_pdf"] == out["documents"][0]["path"]  # the older key stays
    assert _event(clerk, rid, out["event_id"])["action"] == "card_issued"
    pdf = clerk.get(out["documents"][0]["path"])
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")

    clock.set(at("2025-05-01"))
    r = clerk.post(f"/api/cards/{card_id}/loss-report", json={"kind": "loss", "police_report": "P-1"})
    assert r.status_code == 200
    r = clerk.post(f"/api/residents/{rid}/applications",
                   json={"kind": "reissue", "reason": "loss", "documents": {"police_report": "P-1"}})
    assert r.status_code == 201, r.text
    out = r.json()
    ev = _event(clerk, rid, out["event_id"])
    assert (ev["action"], ev["card_id"], ev["details"]["fee"]) == ("card_applied", out["card_id"], out["fee"])
    assert out["fee"] > 0
    assert out["documents"] == [{"title_ja": "領収書(PDF)", "path": out["receipt"]["pdf"]}]
    assert clerk.get(out["receipt"]["pdf"]).content.startswith(b"%PDF")


def test_the_cli_and_the_page_give_what_the_api_gives(app, staff, office, monkeypatch):
    clerk = staff["clerk"]
    api_rid, cli_rid, ui_rid = register(clerk), register(clerk, name="能登 次郎"), register(clerk, name="能登 三郎")
    api_out = clerk.post(f"/api/residents/{api_rid}/applications", json={"kind": "new"}).json()

    monkeypatch.setenv("MYNACARD_MASTER_KEY", base64.b64encode(MASTER_KEY).decode())
    r = CliRunner().invoke(cli_app, ["--db", office.store.engine.url.database, "--at", "2025-04-01T10:00", "--json",
                                     "card", "apply", str(cli_rid)])
    assert r.exit_code == 0, r.output
    cli_out = json.loads(r.stdout)
    assert set(cli_out) == set(api_out)  # the same keys: card_id, event_id, documents, ...
    assert _event(clerk, cli_rid, cli_out["event_id"])["card_id"] == cli_out["card_id"]

    c = ui_login(app)
    page = c.post(f"/residents/{ui_rid}/apply",
                  data={"kind": "new", "channel": "window", "csrf": csrf_of(c.get(f"/residents/{ui_rid}").text)})
    assert page.status_code == 200
    app_id = re.search(r"申請書ID (\d+)", page.text).group(1)
    assert [e["details"]["application_id"] for e in clerk.get("/api/events", params={"resident_id": ui_rid}).json()
            if e["action"] == "card_applied"] == [app_id]
    card_id = clerk.get(f"/api/residents/{ui_rid}").json()["cards"][0]["id"]
    assert clerk.post(f"/api/cards/{card_id}/make").status_code == 200
    csrf = csrf_of(c.get(f"/residents/{ui_rid}").text)
    form = {"csrf": csrf, "card_id": card_id, "identity_documents": "drivers_license",
            **{f"pin_{k}": v for k, v in PINS.items()}, **{f"pin_{k}_again": v for k, v in PINS.items()}}
    page = c.post(f"/residents/{ui_rid}/issue", data=form)
    assert page.status_code == 200, page.text
    assert f'href="/documents/issue/{card_id}.pdf"' in page.text


def test_a_pin_reset_names_its_receipt_R_PIN_5(staff, office, monkeypatch):
    clerk = staff["clerk"]
    rid = register(clerk)
    card_id, _ = _issued(clerk, rid)
    r = clerk.post(f"/api/cards/{card_id}/pins/auth/reset",
                   json={"new_value": "9876", "identity_documents": ["passport"]})
    assert r.status_code == 200, r.text
    out = r.json()
    ev = _event(clerk, rid, out["event_id"])
    assert (ev["action"], ev["card_id"], ev["details"]["pin"]) == ("pin_reset", card_id, "auth")
    assert out["documents"] == [{"title_ja": "暗証番号再設定受付票(PDF)", "path": out["receipt_pdf"]}]
    assert clerk.get(out["receipt_pdf"]).content.startswith(b"%PDF")

    monkeypatch.setenv("MYNACARD_MASTER_KEY", base64.b64encode(MASTER_KEY).decode())
    r = CliRunner().invoke(cli_app, ["--db", office.store.engine.url.database, "--at", "2025-04-01T11:00", "--json",
                                     "pin", "reset", card_id, "resident", "--id-doc", "passport", "--new", "1111"])
    assert r.exit_code == 0, r.output
    cli_out = json.loads(r.stdout)
    assert set(cli_out) == set(out) and cli_out["tries_left"] == 3
    assert _event(clerk, rid, cli_out["event_id"])["details"]["pin"] == "resident"
