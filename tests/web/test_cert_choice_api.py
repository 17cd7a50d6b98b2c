"""The holder's choice of certificates over the JSON API, the window's form and the printed
documents (R_CERT_10, R_CERT_4, R_LOSS_4)."""

from __future__ import annotations

import io

from pypdf import PdfReader

from tests.web.conftest import PINS, at, register


def _text(data: bytes) -> str:
    return PdfReader(io.BytesIO(data)).pages[0].extract_text()


def test_api_records_the_choice_and_issues_only_it_R_CERT_10(staff):
    clerk = staff["clerk"]
    rid = register(clerk)
    r = clerk.post(f"/api/residents/{rid}/applications", json={"kind": "new", "certificates": "auth"})
    assert r.status_code == 201, r.text
    assert r.json()["certificates"] == "auth"
    card_id = r.json()["card_id"]
    assert clerk.post(f"/api/cards/{card_id}/make").status_code == 200
    r = clerk.post(f"/api/cards/{card_id}/issue", json={"identity_documents": ["drivers_license"], "pins": PINS})
    assert r.status_code == 422  # a signing password for a declined certificate
    assert r.json()["error"]["field"] == "pin.sign", r.text
    pins = {k: v for k, v in PINS.items() if k != "sign"}
    r = clerk.post(f"/api/cards/{card_id}/issue", json={"identity_documents": ["drivers_license"], "pins": pins})
    assert r.status_code == 200, r.text
    out = r.json()
    assert out["issued_certificates"] == ["auth"] and out["receipt"] is None
    assert set(out["current"]) == {"auth"}
    assert out["cert_expires_on"] == out["current"]["auth"]["expires_on"]
    receipt = _text(clerk.get(f"/documents/issue/{card_id}.pdf").content)
    assert "電子証明書の有効期限 記載欄" in receipt

    r = clerk.post(f"/api/cards/{card_id}/certificates/sign", json={"pin": "XYZ789"})
    assert r.status_code == 201, r.text
    assert r.json()["receipt"] is None  # added to a free card: free
    r = clerk.post(f"/api/cards/{card_id}/certificates/sign/revoke")
    assert r.status_code == 200 and r.json()["certificate"]["status"] == "revoked"


def test_api_refuses_an_unknown_choice_and_a_child_signing_certificate_R_CERT_4(staff):
    clerk = staff["clerk"]
    rid = register(clerk)
    r = clerk.post(f"/api/residents/{rid}/applications", json={"certificates": "signing"})
    assert r.status_code == 422
    child = register(clerk, name="能登 花子", birth="2015-03-03")
    r = clerk.post(f"/api/residents/{child}/applications", json={"certificates": "sign"})
    assert r.status_code == 409 and "R_CERT_4" in r.json()["error"]["message"], r.text


def test_paid_reissue_receipt_shows_the_card_fee_alone_without_certificates_R_LOSS_4(staff, clock):
    clerk = staff["clerk"]
    rid = register(clerk)
    card_id = clerk.post(f"/api/residents/{rid}/applications", json={}).json()["card_id"]
    clerk.post(f"/api/cards/{card_id}/make")
    clerk.post(f"/api/cards/{card_id}/issue", json={"identity_documents": ["drivers_license"], "pins": PINS})
    clock.set(at("2025-05-01"))
    assert clerk.post(f"/api/cards/{card_id}/loss-report", json={"kind": "loss", "police_report": "P-1"}).is_success
    r = clerk.post(f"/api/residents/{rid}/applications", json={
        "kind": "reissue", "reason": "loss", "documents": {"police_report": "P-1"}, "certificates": "none"})
    assert r.status_code == 201, r.text
    assert [x["amount"] for x in r.json()["receipt"]["lines"]] == [800]


def test_documents_print_the_card_face_certificate_expiry_field_R_CERT_10(staff):
    clerk = staff["clerk"]
    rid = register(clerk)
    card_id = clerk.post(f"/api/residents/{rid}/applications", json={"certificates": "auth"}).json()["card_id"]
    clerk.post(f"/api/cards/{card_id}/make")
    pins = {k: v for k, v in PINS.items() if k != "sign"}
    out = clerk.post(f"/api/cards/{card_id}/issue", json={"identity_documents": ["drivers_license"], "pins": pins})
    expires = out.json()["current"]["auth"]["expires_on"]
    receipt = _text(clerk.get(f"/documents/issue/{card_id}.pdf").content)
    assert "電子証明書の有効期限 記載欄" in receipt and expires in receipt

    rid2 = register(clerk, name="能登 次郎")
    none_id = clerk.post(f"/api/residents/{rid2}/applications", json={"certificates": "none"}).json()["card_id"]
    clerk.post(f"/api/cards/{none_id}/make")
    pins = {k: v for k, v in PINS.items() if k not in ("sign", "auth")}
    r = clerk.post(f"/api/cards/{none_id}/issue", json={"identity_documents": ["drivers_license"], "pins": pins})
    assert r.status_code == 200, r.text
    none = _text(clerk.get(f"/documents/issue/{none_id}.pdf").content)
    assert "電子証明書なし" in none


def test_window_form_takes_the_choice_and_adds_a_declined_certificate_later_R_CERT_10(app, staff):
    from tests.web.test_security import csrf_of, ui_login

    clerk = staff["clerk"]
    rid = register(clerk)
    c = ui_login(app)
    page = c.get(f"/residents/{rid}/do/apply")
    assert 'name="certs"' in page.text
    page = c.post(f"/residents/{rid}/apply", data={"kind": "new", "channel": "window", "certs": "none",
                                                   "csrf": csrf_of(page.text)})
    assert page.status_code == 200, page.text
    card_id = clerk.get(f"/api/residents/{rid}").json()["cards"][0]["id"]
    assert clerk.post(f"/api/cards/{card_id}/make").status_code == 200
    form = {"csrf": csrf_of(c.get(f"/residents/{rid}/do/issue").text), "card_id": card_id,
            "identity_documents": "drivers_license",
            **{f"pin_{k}{again}": PINS[k] for k in ("resident", "card_info") for again in ("", "_again")}}
    page = c.post(f"/residents/{rid}/issue", data=form)
    assert page.status_code == 200 and "発行した電子証明書: なし" in page.text, page.text
    assert clerk.get(f"/api/cards/{card_id}").json()["current"] == {}
    page = c.get(f"/residents/{rid}/do/new_cert")
    assert page.status_code == 200 and 'value="auth"' in page.text and 'value="sign"' in page.text
    page = c.post(f"/residents/{rid}/new_cert", data={"csrf": csrf_of(page.text), "card_id": card_id,
                                                      "kind": "auth", "pin": "1234", "pin_again": "1234"})
    assert page.status_code == 200 and "利用者証明用電子証明書を発行しました" in page.text, page.text
    assert set(clerk.get(f"/api/cards/{card_id}").json()["current"]) == {"auth"}
