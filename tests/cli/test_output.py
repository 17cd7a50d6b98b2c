"""What the command line prints: tables not Python reprs, JSON errors for usage mistakes (with a Japanese
message), PEM for openssl, short serial prefixes, PINs from stdin, the signing password's name."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from cryptography import x509
from sqlalchemy.orm import make_transient
from typer.testing import CliRunner

from mynacard.cli.main import app
from tests.cli.test_cli import _issued


@pytest.fixture
def raw(tmp_path):
    """The CLI without --json: (exit code, stdout, stderr)."""
    runner = CliRunner()
    db = str(tmp_path / "cli.db")

    def run(*args: str, at: str = "2025-05-10T10:00", stdin: str | None = None):
        r = runner.invoke(app, ["--db", db, "--at", at, *args], input=stdin)
        return r.exit_code, r.stdout, r.stderr

    return run


def test_a_missing_option_is_json_under_json_with_a_japanese_message(tmp_path):
    r = CliRunner().invoke(app, ["--db", str(tmp_path / "x.db"), "--json", "resident", "add", "--name", "x"])
    assert r.exit_code == 2
    err = json.loads(r.stderr)["error"]
    assert err["code"] == "missing_input"
    assert "--address" in err["message"] and "--address" in err["message_ja"] and "ありません" in err["message_ja"]
    assert r.stdout == ""


def test_a_bad_value_is_reported_in_english_and_japanese(tmp_path):
    r = CliRunner().invoke(app, ["--db", str(tmp_path / "x.db"), "resident", "show", "abc"])
    assert r.exit_code == 2
    assert "error:" in r.stderr and "エラー:" in r.stderr and "RESIDENT_ID" in r.stderr
    r = CliRunner().invoke(app, ["--json", "card", "show", "C", "--nope"])
    assert json.loads(r.stderr)["error"]["code"] == "unknown_option"


def test_find_and_events_print_tables_not_python_reprs(cli, raw):
    _issued(cli)
    code, out, _ = raw("resident", "find", "--name", "能登")
    assert code == 0 and "能登 太郎" in out and "{'" not in out and "'id':" not in out
    code, out, _ = raw("events", "--limit", "50")
    assert code == 0 and "card_issued" in out
    assert "{'" not in out and "': " not in out  # details as key=value, no dict reprs
    code, out, _ = raw("batch")
    assert code == 0 and "件" in out and "[]" not in out


def test_move_prints_what_happened_to_the_card_R_CERT_5(cli, raw):
    rid, card, _ = _issued(cli)
    code, out, _ = raw("resident", "move", str(rid), "--address", "石川県鹿島郡中能登町2")
    assert code == 0
    out = out.replace("\n", "")  # the message wraps at the terminal's width
    assert "転居を記録しました" in out and "署名用電子証明書は失効" in out and card in out
    d = cli("resident", "move", str(rid), "--address", "石川県鹿島郡中能登町3", at="2025-05-11T10:00")
    assert d["card"]["id"] == card and d["note_written"] is True and "message_ja" in d


def test_pem_pipes_into_an_x509_parser_and_a_serial_prefix_is_enough(cli, raw):
    _, _, out = _issued(cli)
    serial = next(c["serial"] for c in out["certificates"] if c["kind"] == "auth")
    code, pem, _ = raw("cert", "show", serial[:8], "--pem")
    assert code == 0 and pem.startswith("-----BEGIN CERTIFICATE-----")
    assert format(x509.load_pem_x509_certificate(pem.encode()).serial_number, "x") == serial
    assert cli("cert", "show", serial[:10])["serial"] == serial
    # tables show the whole serial (the commands need it, or a prefix of it)
    code, shown, _ = raw("card", "show", out["id"])
    assert serial in shown.replace("\n", "")


def test_a_too_short_or_unknown_serial_is_a_clear_error(cli):
    _issued(cli)
    r = cli("cert", "show", "1234", ok=False)
    assert r.exit_code == 2 and "8" in json.loads(r.stderr)["error"]["message"]
    r = cli("cert", "show", "not-hex", ok=False)
    assert json.loads(r.stderr)["error"]["code"] == "invalid_input"


def test_an_ambiguous_serial_prefix_lists_the_candidates(cli, tmp_path):
    from mynacard.crypto import load_master_key
    from mynacard.db import repositories as repo
    from mynacard.db.models import Certificate
    from mynacard.db.store import Store
    from mynacard.errors import ValidationError

    _, _, out = _issued(cli)
    serial = int(next(c["serial"] for c in out["certificates"] if c["kind"] == "auth"), 16)
    db = str(tmp_path / "cli.db")
    store = Store(db)
    store.bind_keys(load_master_key(tmp_path / "cli.db.key"))
    with store.session() as s:
        twin = s.get(Certificate, serial)
        s.expunge(twin)
        make_transient(twin)
        twin.serial = serial ^ 0xFF  # the same leading digits
        s.add(twin)
        s.commit()
    with store.session() as s:
        with pytest.raises(ValidationError) as e:
            repo.certificate_by_serial(s, format(serial, "x")[:12])
        assert format(serial, "x") in e.value.message and format(serial ^ 0xFF, "x") in e.value.message
        assert repo.certificate_by_serial(s, format(serial, "x")).serial == serial
    store.dispose()


def test_pins_from_stdin_and_the_signing_password_is_called_a_password_R_PIN_4(cli, raw):
    rid = cli("resident", "add", "--name", "能登 花子", "--address", "石川県鹿島郡中能登町1", "--birth",
              "1990-06-15", "--sex", "2", "--municipality", "174076")["id"]
    card = cli("card", "apply", str(rid))["card_id"]
    cli("card", "make", card)
    code, out, err = raw("--pin-stdin", "card", "issue", card, "--id-doc", "passport", "--sign-pin", "-",
                         stdin="1111\n2222\n3333\nPASS1234\n")
    assert code == 0, err
    assert "1111" not in out + err and "PASS1234" not in out + err
    # the PINs read from stdin are the card's: a wrong signing password is named as a password
    code, out, err = raw("--pin-stdin", "pin", "change", card, "sign", stdin="WRONG999\nNEWPASS1\n")
    assert code == 2
    assert "パスワードが違います" in err and "4 tries left" in err
    for left in ("3 tries left", "2 tries left", "1 try left"):
        code, _, err = raw("--pin-stdin", "pin", "change", card, "sign", stdin="WRONG999\nNEWPASS1\n")
        assert left in err.replace("\n", " ")
    code, _, err = raw("--pin-stdin", "pin", "change", card, "auth", stdin="1111\n4444\n")
    assert code == 0, err


def test_help_imports_no_heavy_library():
    """`mynacard --help` and a read-only command load neither pyHanko, signxml, FastAPI nor the CA."""
    code = (
        "import sys\n"
        "from mynacard.cli.main import app\n"
        "try:\n    app(['--help'])\nexcept SystemExit:\n    pass\n"
        "print([m for m in ('pyhanko', 'signxml', 'fastapi', 'mynacard.ca.authority', 'sqlalchemy')\n"
        "       if m in sys.modules])\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip().splitlines()[-1] == "[]"


def test_a_read_only_command_loads_no_signing_or_web_library(cli, tmp_path):
    _issued(cli)
    code = (
        "import sys\n"
        "from mynacard.cli.main import app\n"
        f"try:\n    app(['--db', {str(tmp_path / 'cli.db')!r}, '--json', 'resident', 'find', '--name', 'x'])\n"
        "except SystemExit:\n    pass\n"
        "print([m for m in ('pyhanko', 'signxml', 'fastapi', 'mynacard.ca.authority') if m in sys.modules])\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip().splitlines()[-1] == "[]"


def test_found_and_return_give_the_card_the_changes_and_one_message_R_LOSS_3(cli):
    """The CLI prints the presenter's dict (``mynacard.results``): the same the API returns."""
    _, card, _ = _issued(cli)
    cli("hotline", "suspend", "--name", "能登 太郎", "--birth", "1990-06-15", at="2027-01-17T03:00")
    d = cli("card", "found", card, at="2027-01-18T10:00")
    assert d["state"] == "issued" and d["changes"] == {"sign": "release", "auth": "release"}
    assert {c["action_ja"] for c in d["certificate_changes"]} == {"一時保留解除"}
    assert d["message_ja"].startswith("カードの一時停止を解除しました")
    d = cli("card", "return", card, at="2027-02-01T10:00")
    assert d["state"] == "returned" and set(d["changes"].values()) == {"revoke"}
    assert "返納" in d["message_ja"]
