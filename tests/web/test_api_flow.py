"""The JSON API over the workflows: the same services, errors mapped once."""

from __future__ import annotations

import io

import pytest
from pypdf import PdfReader

from tests.web.conftest import NAKANOTO, PINS, issue_card, register


def test_apply_make_issue_move_revokes_signing_only_R_CERT_5(staff):
    clerk = staff["clerk"]
    rid = register(clerk)
    card_id = issue_card(clerk, rid)
    card = clerk.get(f"/api/cards/{card_id}").json()
    assert card["state"] == "issued"
    assert {k: v["status"] for k, v in card["current"].items()} == {"sign": "good", "auth": "good"}
    assert card["expires_on_wareki"].startswith("令和")
    r = clerk.post(f"/api/residents/{rid}/move-within", json={"new_address": "石川県鹿島郡中能登町井田1番地"})
    assert r.status_code == 200, r.text
    assert r.json()["certificates"] == {"sign": "revoke"}
    statuses = {k: v["status"] for k, v in r.json()["card"]["current"].items()}
    assert statuses == {"sign": "revoked", "auth": "good"}
    r = clerk.post(f"/api/cards/{card_id}/certificates/sign", json={"pin": "NEW123"})
    assert r.status_code == 201, r.text
    assert r.json()["certificate"]["status"] == "good"


def test_validation_errors_are_422_with_a_message_per_field(staff):
    clerk = staff["clerk"]
    r = clerk.post(
        "/api/residents",
        json={
            "individual_number": "123",
            "name": "",
            "birth_date": "1990-13-01",
            "sex": "3",
            "address": "x",
            "municipality_code": NAKANOTO,
        },
    )
    assert r.status_code == 422
    fields = r.json()["error"]["fields"]
    assert {"individual_number", "name", "birth_date", "sex"} <= set(fields)
    # A domain validation error names its field too, with Japanese for the screen.
    r = clerk.post(
        "/api/residents",
        json={
            "individual_number": "123456789012",
            "name": "x",
            "birth_date": "1990-01-01",
            "sex": "1",
            "address": "x",
            "municipality_code": NAKANOTO,
        },
    )
    assert r.status_code == 422
    err = r.json()["error"]
    assert err["field"] == "individual_number" and "個人番号" in err["message_ja"]


def test_pins_never_echoed_in_errors(staff):
    clerk = staff["clerk"]
    rid = register(clerk)
    card_id = clerk.post(f"/api/residents/{rid}/applications", json={}).json()["card_id"]
    clerk.post(f"/api/cards/{card_id}/make")
    r = clerk.post(
        f"/api/cards/{card_id}/issue",
        json={"identity_documents": ["drivers_license"], "pins": {"sign": "SECRET99X", "auth": "12"}},
    )
    assert r.status_code == 422
    assert "SECRET99X" not in r.text and '"12"' not in r.text


def test_unknown_resources_are_404(staff):
    clerk = staff["clerk"]
    assert clerk.get("/api/residents/999999").status_code == 404
    assert clerk.get("/api/cards/ABCDEF123456").status_code == 404
    assert clerk.get("/api/nothing").status_code == 404


def test_clerk_of_another_municipality_gets_404_like_unknown_and_it_is_audited(staff):
    """Out of scope answers exactly as an unknown resident does, so existence does not leak."""
    rid = register(staff["clerk"])
    other = staff["kanazawa"]
    r = other.get(f"/api/residents/{rid}")
    unknown = other.get("/api/residents/999999")
    assert r.status_code == unknown.status_code == 404
    assert r.json()["error"]["message_ja"] == unknown.json()["error"]["message_ja"].replace("999999", str(rid))
    assert other.get("/api/residents").json() == []  # search sees only its own residents
    log = staff["auditor"].get("/api/audit", params={"actor": "kanazawa"}).json()
    assert any(e["outcome"] == "denied" and e["target"] == f"resident:{rid}" for e in log)
    r = other.post(
        "/api/residents",
        json={
            "individual_number": "123456789018",
            "name": "x",
            "address": "y",
            "birth_date": "1990-01-01",
            "sex": "1",
            "municipality_code": NAKANOTO,
        },
    )
    assert r.status_code == 403
    # the refused registration stored nothing: the number is still free in Nakanoto
    assert staff["clerk"].get("/api/residents", params={"name": "x"}).json() == []


def test_wrong_role_is_403(staff):
    assert staff["hotline"].get("/api/residents").status_code == 403
    assert staff["auditor"].post("/api/batch/daily").status_code == 403
    assert staff["clerk"].get("/api/audit").status_code == 403
    assert (
        staff["clerk"]
        .post("/api/admin/accounts", json={"username": "eve", "password": "x" * 12, "role": "admin"})
        .status_code
        == 403
    )


def test_no_token_is_401(app):
    from fastapi.testclient import TestClient

    c = TestClient(app)
    assert c.get("/api/residents").status_code == 401
    assert c.get("/api/residents", headers={"Authorization": "Bearer nonsense"}).status_code == 401


def test_number_read_needs_a_purpose_and_is_recorded_R_NUM_3(staff):
    clerk = staff["clerk"]
    rid = register(clerk)
    assert "individual_number" not in clerk.get(f"/api/residents/{rid}").text
    assert clerk.post(f"/api/residents/{rid}/number", json={"purpose": "fun"}).status_code == 422
    r = clerk.post(f"/api/residents/{rid}/number", json={"purpose": "tax"})
    assert r.status_code == 200 and len(r.json()["individual_number"]) == 12
    reads = clerk.get(f"/api/residents/{rid}/number-reads").json()
    assert [x["purpose"] for x in reads] == ["tax"]
    log = staff["auditor"].get("/api/audit", params={"action": "resident.number_read"}).json()
    assert log[0]["details"] == {"purpose": "tax"} and log[0]["actor"] == "clerk"


def test_reissue_with_fee_and_receipt_pdf_R_LOSS_4(staff):
    clerk = staff["clerk"]
    rid = register(clerk)
    card_id = issue_card(clerk, rid)
    assert (
        clerk.post(f"/api/cards/{card_id}/loss-report", json={"kind": "loss", "police_report": "P-1"}).status_code
        == 200
    )
    r = clerk.post(
        f"/api/residents/{rid}/applications",
        json={"kind": "reissue", "reason": "loss", "documents": {"police_report": "P-1"}},
    )
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["fee"] == 1000 and body["receipt"]["total"] == 1000
    pdf = clerk.get(body["receipt"]["pdf"])
    assert pdf.status_code == 200
    text = PdfReader(io.BytesIO(pdf.content)).pages[0].extract_text()
    assert body["receipt"]["number"] in text and "合計\n1,000 円" in text


def test_pin_reset_and_its_receipt_R_PIN_5(staff, office):
    from mynacard.errors import PinLocked, WrongPin
    from mynacard.services import holder
    from tests.web.conftest import at

    clerk = staff["clerk"]
    card_id = issue_card(clerk, register(clerk))
    for left in (2, 1, 0):  # the holder locks the authentication PIN
        with pytest.raises(WrongPin) as err, office.work(at=at("2025-04-01T11:00"), actor="holder") as w:
            holder.sign(w, card_id, "auth", b"login", pin="0000")
        assert err.value.tries_left == left
    with pytest.raises(PinLocked), office.work(at=at("2025-04-01T11:00"), actor="holder") as w:
        holder.sign(w, card_id, "auth", b"login", pin=PINS["auth"])
    assert clerk.get(f"/api/cards/{card_id}/pins").json()["auth"] == 0
    r = clerk.post(
        f"/api/cards/{card_id}/pins/auth/reset", json={"new_value": "9876", "identity_documents": ["passport"]}
    )
    assert r.status_code == 200, r.text
    assert r.json()["tries_left"] == 3
    pdf = clerk.get(r.json()["receipt_pdf"])
    assert pdf.status_code == 200
    assert "ロック解除・再設定" in PdfReader(io.BytesIO(pdf.content)).pages[0].extract_text()
    assert clerk.get(f"/api/cards/{card_id}/pins").json()["auth"] == 3
    with office.work(at=at("2025-04-01T12:00"), actor="holder") as w:  # the new PIN works
        assert len(holder.sign(w, card_id, "auth", b"login", pin="9876")) == 256


def test_hotline_suspends_and_returns_reference_R_LOSS_1(staff, clock):
    from tests.web.conftest import at

    card_id = issue_card(staff["clerk"], register(staff["clerk"]))
    clock.set(at("2025-04-06T03:00"), advance=False)  # a Sunday, 3 a.m.
    r = staff["hotline"].post("/api/hotline/suspend", json={"name": "能登 太郎", "birth_date": "1990-06-15"})
    assert r.status_code == 200, r.text
    assert r.json()["reference"].startswith("H20250406-")
    assert r.json()["certificates"] == {"sign": "hold", "auth": "hold"}
    card = staff["clerk"].get(f"/api/cards/{card_id}").json()
    assert card["state"] == "suspended"
    r = staff["hotline"].post("/api/hotline/suspend", json={"name": "能登 太郎", "birth_date": "1990-06-16"})
    assert r.status_code == 404


def test_daily_batch_lists_expiry_notices_as_pdfs_R_USE_3(staff, clock):
    from tests.web.conftest import at

    clerk = staff["clerk"]
    card_id = issue_card(clerk, register(clerk))
    card = clerk.get(f"/api/cards/{card_id}").json()
    auth_exp = card["current"]["auth"]["expires_on"]
    y, m, d = map(int, auth_exp.split("-"))
    clock.set(
        at(
            f"{y}-{m - 3 if m > 3 else m + 9:02d}-{min(d, 28):02d}T09:00".replace(
                f"{y}-", f"{y if m > 3 else y - 1}-", 1
            )
        ),
        advance=False,
    )
    r = staff["super"].post("/api/batch/daily")
    assert r.status_code == 200, r.text
    notices = r.json()["notices"]
    assert notices, r.json()
    pdf = clerk.get(notices[0]["pdf"])
    assert pdf.status_code == 200
    text = PdfReader(io.BytesIO(pdf.content)).pages[0].extract_text()
    assert "有効期限通知書" in text and "能登 太郎 様" in text


def test_clock_can_be_set_by_the_administrator(staff):
    r = staff["root"].post("/api/admin/clock", json={"at": "2031-05-10T09:00", "advance": False})
    assert r.status_code == 200 and r.json()["now"].startswith("2031-05-10T09:00")
    assert staff["root"].get("/api/me").json()["now"].startswith("2031-05-10T09:00")
    assert staff["clerk"].post("/api/admin/clock", json={"at": None}).status_code == 403


def test_admin_error_reissue_needs_a_supervisors_record_R_LOSS_4(staff):
    clerk, sup = staff["clerk"], staff["super"]
    rid = register(clerk)
    card_id = issue_card(clerk, rid)
    claim = {"kind": "reissue", "reason": "admin_error"}
    r = clerk.post(f"/api/residents/{rid}/applications", json=claim)
    assert r.status_code == 409 and r.json()["error"]["code"] == "not_allowed", r.text
    body = {"description": "券面の氏名の誤記", "card_id": card_id}
    assert clerk.post(f"/api/residents/{rid}/admin-errors", json=body).status_code == 403
    r = sup.post(f"/api/residents/{rid}/admin-errors", json=body)
    assert r.status_code == 201, r.text
    assert (r.json()["card_id"], r.json()["recorded_by"]) == (card_id, "super")
    r = clerk.post(f"/api/residents/{rid}/applications", json=claim)
    assert r.status_code == 201, r.text
    assert (r.json()["fee"], r.json()["receipt"]) == (0, None)


def test_return_from_abroad_needs_a_recorded_moving_in_R_LOSS_4(staff):
    clerk = staff["clerk"]
    rid = register(clerk)
    claim = {"kind": "new", "reason": "return_from_abroad"}
    assert clerk.post(f"/api/residents/{rid}/applications", json=claim).status_code == 409
    r = clerk.post(f"/api/residents/{rid}/moved-in-from-abroad", json={"moved_in_on": "2025-03-25"})
    assert r.status_code == 201, r.text
    r = clerk.post(f"/api/residents/{rid}/applications", json=claim)
    assert r.status_code == 201, r.text
    assert (r.json()["reason"], r.json()["fee"]) == ("return_from_abroad", 0)
