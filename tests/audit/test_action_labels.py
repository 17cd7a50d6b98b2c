"""Every action the code base logs has a plain-Japanese label (the audit view's one table), and
details are shown as fields without an individual number or a PIN."""

from __future__ import annotations

import ast
from pathlib import Path

import mynacard
from mynacard.audit.labels import ACTION_JA, action_label, detail_fields, target_label
from mynacard.db.models import CardState
from mynacard.services.reissue import ADMIN_ERROR, MOVED_IN_FROM_ABROAD
from mynacard.web.deps.roles import PERMISSIONS

SRC = Path(mynacard.__file__).parent

#: The call sites that log a code computed at run time, and the codes they can produce. A new
#: such site fails the test until it is listed here (and its codes labelled).
DYNAMIC = {
    ("services/common.py", "f'card_{state.value}'"): {f"card_{s.value}" for s in CardState},
    ("services/reissue.py", "f'{kind}_recorded'"): {f"{ADMIN_ERROR}_recorded", f"{MOVED_IN_FROM_ABROAD}_recorded"},
    ("web/relying.py", "'rp.' + request.url.path.rsplit('/', 1)[-1]"): {
        "rp.verify", "rp.status", "rp.linkage", "rp.attributes", "rp.consents", "rp.notifications", "rp.webhook"},
    ("web/app.py", "desk.action or 'request'"): {"request"},
    ("web/deps/desk.py", "self.action or 'unknown'"): {"unknown"},
    ("cli/demo.py", "DEMO_MARK"): {"demo_started"},
}
#: Sites that pass on a code their caller chose (the callers are scanned themselves).
PASS_THROUGH = {"action", "action[:60]", "self.action", "permission", "flow.permission"}


def logged_codes() -> tuple[set[str], set[tuple[str, str]]]:
    """Every constant action code in ``src``: the first argument of ``.log`` (the event log),
    ``.act`` / ``.allow`` / ``.audit`` / ``.work`` (staff and verifier actions), the third of
    ``audit_ok``, and any ``action=`` keyword; plus the computed ones' call sites."""
    codes: set[str] = set()
    dynamic: set[tuple[str, str]] = set()
    for path in SRC.rglob("*.py"):
        rel = path.relative_to(SRC).as_posix()
        for n in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(n, ast.Call):
                continue
            f, args = n.func, []
            name = f.attr if isinstance(f, ast.Attribute) else f.id if isinstance(f, ast.Name) else ""
            if name in ("log", "act", "allow", "audit") and n.args:
                args.append(n.args[0])
            if name == "work" and rel.startswith("web/relying") and n.args:
                args.append(n.args[0])
            if name == "audit_ok" and len(n.args) >= 3:
                args.append(n.args[2])
            if name not in ("AuditFilter", "entries"):  # filters name a code, they do not log one
                args += [k.value for k in n.keywords if k.arg == "action"]
            for a in args:
                if isinstance(a, ast.Constant) and isinstance(a.value, str):
                    codes.add(a.value)
                elif ast.unparse(a) not in PASS_THROUGH:
                    dynamic.add((rel, ast.unparse(a)))
    return codes, dynamic


def test_every_logged_action_has_a_japanese_label():
    codes, dynamic = logged_codes()
    assert len(codes) > 60  # the scan sees the code base (workflow steps and staff actions)
    assert {"card_issued", "number_read", "resident.number_read", "login", "rp.verify"} <= codes
    assert dynamic == set(DYNAMIC), "a new computed action code: list it in DYNAMIC and label its codes"
    expected = codes | set(PERMISSIONS) | set().union(*DYNAMIC.values())
    missing = sorted(c for c in expected if c not in ACTION_JA)
    assert missing == [], f"action codes without a label in audit.labels.ACTION_JA: {missing}"
    assert all(label.strip() and label != code for code, label in ACTION_JA.items())


def test_cli_commands_and_unknown_codes_read_plainly():
    assert action_label("cli.resident.find") == "コマンド操作(住民: resident find)"
    assert action_label("resident.number_read") == "個人番号の確認(利用目的つき)"
    assert action_label("made_up") == "その他の操作(made_up)"


def test_details_never_show_a_number_or_a_pin():
    fields = dict(detail_fields({
        "purpose": "tax", "pin": "1234", "new_pin": "5678", "individual_number": "123456789018",
        "note": "番号 123456789018 を確認", "password": "x", "card": "0A1B2C3D4E5F", "express": True,
    }))
    shown = " ".join(fields.values())
    assert "1234" not in shown and "5678" not in shown and "123456789018" not in shown
    assert fields["利用目的"] == "tax" and fields["カードID"] == "0A1B2C3D4E5F" and fields["express"] == "はい"
    assert fields["pin"] == fields["individual_number"] == "(表示しません)"


def test_targets_read_plainly():
    assert target_label("resident:12") == "住民ID 12"
    assert target_label("card:0A1B2C3D4E5F") == "カードID 0A1B2C3D4E5F"
    assert target_label("search") == "住民検索"
    assert target_label("") == "-"
