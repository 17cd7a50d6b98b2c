"""``card apply/issue --certs`` and ``cert issue`` / ``cert revoke`` at the command line (R_CERT_10)."""

from __future__ import annotations

from tests.cli.test_cli import _resident


def test_cli_issues_only_the_chosen_certificate_and_adds_one_later_R_CERT_10(cli) -> None:
    rid = _resident(cli)
    applied = cli("card", "apply", str(rid), "--certs", "sign", at="2025-04-01T09:00")
    assert applied["certificates"] == "sign" and applied["fee"] == 0
    card = applied["card_id"]
    cli("card", "make", card, at="2025-04-20T09:00")
    refused = cli("card", "issue", card, "--id-doc", "drivers_license", "--sign-pin", "abc123", "--auth-pin", "1234",
                  "--resident-pin", "1234", "--card-info-pin", "1234", ok=False)
    assert refused.exit_code == 2  # an authentication PIN for a declined certificate
    out = cli("card", "issue", card, "--id-doc", "drivers_license", "--sign-pin", "abc123", "--certs", "sign",
              "--resident-pin", "1234", "--card-info-pin", "1234")
    assert [c["kind"] for c in out["certificates"]] == ["sign"] and out["issued_certificates"] == ["sign"]
    assert out["cert_expires_on"] == out["certificates"][0]["expires_on"]
    added = cli("cert", "issue", card, "auth", "--pin", "4321", at="2025-06-01T09:00")
    assert added["certificate"]["kind"] == "auth" and added["receipt"] is None
    revoked = cli("cert", "revoke", card, "sign", at="2025-07-01T09:00")
    assert revoked["certificate"]["status"] == "revoked"
    bad = cli("card", "apply", str(rid), "--certs", "maybe", ok=False)
    assert bad.exit_code == 2 and "both, sign, auth or none" in bad.output
