"""The command line as a municipal tester uses it: --db, --at, --json, exit code 2 on bad input."""

from __future__ import annotations

import json

import pytest


def _resident(cli, birth="1990-06-15"):
    return cli(
        "resident",
        "add",
        "--name",
        "能登 太郎",
        "--address",
        "石川県鹿島郡中能登町1",
        "--birth",
        birth,
        "--sex",
        "1",
        "--municipality",
        "174076",
        "--number",
        "123456789018",
    )["id"]


def _issued(cli):
    rid = _resident(cli)
    card = cli("card", "apply", str(rid), "--channel", "online", at="2025-04-01T09:00")["card_id"]
    cli("card", "make", card, at="2025-04-20T09:00")
    out = cli(
        "card",
        "issue",
        card,
        "--id-doc",
        "drivers_license",
        "--sign-pin",
        "abc123",
        "--auth-pin",
        "1234",
        "--resident-pin",
        "1234",
        "--card-info-pin",
        "1234",
        at="2025-05-10T10:00",
    )
    return rid, card, out


def test_whole_issue_from_the_cli_R_CARD_1(cli):
    rid, _, out = _issued(cli)
    assert out["state"] == "issued"
    assert out["expires_on"] == "2034-06-15"
    assert out["expires_on_wareki"] == "令和16年6月15日"
    assert sorted(c["kind"] for c in out["certificates"]) == ["auth", "sign"]
    shown = cli("resident", "show", str(rid))
    assert "123456789018" not in json.dumps(shown)  # R_NUM_3: the number is not shown without a purpose


def test_invalid_number_exits_2_with_message_R_NUM_1(cli):
    r = cli(
        "resident",
        "add",
        "--name",
        "x",
        "--address",
        "y",
        "--birth",
        "1990-01-01",
        "--sex",
        "1",
        "--municipality",
        "174076",
        "--number",
        "123456789012",
        ok=False,
    )
    assert r.exit_code == 2
    err = json.loads(r.stderr)["error"]
    assert err["code"] == "invalid_input" and err["field"] == "individual_number"
    assert "個人番号" in err["message_ja"]


def test_renewal_before_window_exits_2_R_CARD_6(cli):
    rid, _, _ = _issued(cli)
    r = cli("card", "apply", str(rid), "--kind", "renewal", at="2030-01-01T10:00", ok=False)
    assert r.exit_code == 2
    assert "2034-03-16" in r.stderr


def test_hotline_at_3am_and_ocsp_hold_R_LOSS_1_R_CERT_8(cli):
    _, card, out = _issued(cli)
    res = cli("hotline", "suspend", "--name", "能登 太郎", "--birth", "1990-06-15", at="2027-01-17T03:00")
    assert res["certificates"] == {"sign": "hold", "auth": "hold"}
    assert (res["card_id"], res["card_state"]) == (out["id"], "suspended")  # the API's keys
    serial = next(c["serial"] for c in out["certificates"] if c["kind"] == "auth")
    o = cli("cert", "ocsp", serial, at="2027-01-17T03:05")
    assert o == {"serial": serial, "status": "revoked", "revocation_reason": "certificate_hold"}
    cli("card", "found", card, at="2027-01-18T10:00")
    assert cli("cert", "ocsp", serial, at="2027-01-18T10:05")["status"] == "good"


def test_pin_tries_and_wrong_state_exit_2_R_PIN_7(cli):
    _, card, _ = _issued(cli)
    assert cli("pin", "tries", card) == {"sign": 5, "auth": 3, "resident": 3, "card_info": 3}
    r = cli("card", "found", card, ok=False)  # not suspended
    assert r.exit_code == 2


def test_bad_at_is_a_usage_error(cli):
    r = cli("pin", "tries", "X", at="not-a-date", ok=False)
    assert r.exit_code == 2


def test_free_reissue_claims_need_their_evidence_R_LOSS_4(cli):
    rid, card, _ = _issued(cli)
    r = cli("card", "apply", str(rid), "--kind", "reissue", "--reason", "notes_full", at="2027-01-20T10:00", ok=False)
    assert r.exit_code == 2
    assert json.loads(r.stderr)["error"]["code"] == "not_allowed" and "0 of 4" in r.stderr
    rec = cli("card", "admin-error", str(rid), "--description", "券面の誤記", "--card", card, at="2027-01-20T10:00")
    assert rec["kind"] == "admin_error" and rec["card_id"] == card
    out = cli("card", "apply", str(rid), "--kind", "reissue", "--reason", "admin_error", at="2027-01-20T11:00")
    assert (out["reason"], out["fee"], out["receipt"]) == ("admin_error", 0, None)


def test_return_from_abroad_needs_the_recorded_moving_in_R_LOSS_4(cli):
    rid = _resident(cli)
    r = cli("card", "apply", str(rid), "--reason", "return_from_abroad", ok=False)
    assert r.exit_code == 2
    cli("card", "moved-in-from-abroad", str(rid), "--moved-in-on", "2025-05-01")
    out = cli("card", "apply", str(rid), "--reason", "return_from_abroad")
    assert (out["reason"], out["fee"]) == ("return_from_abroad", 0)


@pytest.mark.parametrize("every", ["99999999999999999999999", "21601"])
def test_refresh_interval_beyond_six_hours_is_refused_R_CERT_8(cli, every, monkeypatch):
    # A response is signed again in its last six hours; a longer wait would let responses expire.
    def wait(seconds):
        raise AssertionError(f"the refresher went to sleep for {seconds} s instead of refusing")

    monkeypatch.setattr("time.sleep", wait)
    r = cli("ocsp", "refresh", "--every", every, "--missing", ok=False)
    assert r.exit_code == 2, r.output + repr(r.exception)
    assert "--every" in r.output and "21600" in r.output.replace(",", "")
