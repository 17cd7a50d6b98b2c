"""The audit view (監査ログ) for auditors: Japan time, plain-language actions, details as fields
(never a number or a PIN), filters, pages, and a CSV export for Excel (UTF-8 with a BOM)."""

from __future__ import annotations

import csv
import io
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import Response

from mynacard.audit import query
from mynacard.audit.labels import (
    ACTION_JA,
    OTHER_ROLES_JA,
    OUTCOME_JA,
    action_label,
    detail_fields,
    jst,
    target_label,
)
from mynacard.db.staff import AuditEntry
from mynacard.errors import MynaError, ValidationError
from mynacard.rules.text import check_all
from mynacard.rules.wareki import parse_date
from mynacard.services.residents import NUMBER_PURPOSES
from mynacard.web.deps.desk import Desk
from mynacard.web.deps.roles import ROLE_JA
from mynacard.web.ui.render import DOCUMENTS_JA, page, ui_desk

router = APIRouter()

PAGE_SIZE = 50
_ROLES = {**{str(k): v for k, v in ROLE_JA.items()}, **OTHER_ROLES_JA}
#: Detail values named in Japanese, as the window's forms name them.
_VALUES_JA = {"purpose": NUMBER_PURPOSES, "documents": DOCUMENTS_JA, "role_given": _ROLES,
              "kind": {"new": "新規", "renewal": "更新", "reissue": "再交付", "loss": "紛失", "theft": "盗難",
                       "sign": "署名用電子証明書", "auth": "利用者証明用電子証明書"}}
#: The filter's fields, in the order of the form and the links.
_FIELDS = ("actor", "resident_id", "action", "outcome", "since", "until")


def row(e: AuditEntry) -> dict[str, Any]:
    """One entry as people read it."""
    return {
        "id": e.id,
        "at": jst(e.at),
        "actor": e.actor,
        "role": _ROLES.get(e.role, e.role),
        "action": action_label(e.action),
        "code": e.action,
        "target": target_label(e.target),
        "outcome": OUTCOME_JA.get(e.outcome, e.outcome),
        "outcome_code": e.outcome,
        "details": detail_fields(e.details, _VALUES_JA),
        "hash": e.hash,
    }


def _filter(values: dict[str, str]) -> query.AuditFilter:
    """The filter from the query string; a bad value is a ValidationError naming its field."""
    check_all(values)
    rid = values["resident_id"]
    if rid and not (rid.isascii() and rid.isdigit() and 1 <= int(rid) < 2**31):
        raise ValidationError("resident_id", "The resident ID is a number.", "住民IDは数字で入力してください。")
    if values["outcome"] and values["outcome"] not in OUTCOME_JA:
        raise ValidationError("outcome", "Unknown outcome.", "結果を選んでください。")
    since = parse_date(values["since"], "since") if values["since"] else None
    until = parse_date(values["until"], "until") if values["until"] else None
    if since and until and since > until:
        raise ValidationError("until", "The end of the period is before its start.", "期間の終わりが始まりより前です。")
    return query.AuditFilter(
        actor=values["actor"] or None,
        resident_id=int(rid) if rid else None,
        action=values["action"] or None,
        outcome=values["outcome"] or None,
        since=since,
        until=until,
    )


def _values(request: Request) -> dict[str, str]:
    return {k: request.query_params.get(k, "").strip()[:64] for k in _FIELDS}


@router.get("/audit")
def audit_page(request: Request, offset: int = 0) -> Response:
    desk: Desk = ui_desk(request)
    values = _values(request)
    offset = max(0, min(offset, 10_000_000))
    errors: dict[str, str] = {}
    rows: list[dict[str, Any]] = []
    total = 0
    try:
        with desk.act("audit.read", "audit") as w:
            f = _filter(values)
            total = query.count(w.session, f)
            rows = [row(e) for e in query.page(w.session, f, offset=offset, limit=PAGE_SIZE)]
            staff = list(query.actors(w.session))
    except MynaError as e:
        if e.code == "forbidden":
            raise
        desk.failed(e)
        errors = {str(e.fields.get("field", "")): e.message_ja}
        staff = []
    kept = {k: v for k, v in values.items() if v}

    def link(o: int) -> str:
        return "/audit?" + urlencode({**kept, "offset": o})

    return page(
        request,
        "audit.html",
        desk,
        status=422 if errors else 200,
        rows=rows,
        total=total,
        offset=offset,
        page_size=PAGE_SIZE,
        newer=link(max(offset - PAGE_SIZE, 0)) if offset > 0 else None,
        older=link(offset + PAGE_SIZE) if offset + PAGE_SIZE < total else None,
        csv_link="/audit.csv" + ("?" + urlencode(kept) if kept else ""),
        values=values,
        errors=errors,
        staff=staff,
        actions=sorted(ACTION_JA.items(), key=lambda kv: kv[0]),
        outcomes=OUTCOME_JA,
    )


def cell(value: Any) -> str:
    """A CSV cell that Excel shows as text: one that starts like a formula gets a leading quote
    (a user name typed at the login page is recorded as given)."""
    text = str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


CSV_HEADER = ["番号", "日時(JST)", "職員", "役割", "操作", "操作コード", "対象", "結果", "詳細", "ハッシュ"]


@router.get("/audit.csv")
def audit_csv(request: Request) -> Response:
    """The matching entries, oldest first, as CSV that Excel opens as UTF-8 (with a BOM)."""
    desk = ui_desk(request)
    values = _values(request)
    with desk.act("audit.read", "audit.csv") as w:
        f = _filter(values)
        out = io.StringIO()
        out.write("\ufeff")
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerow(CSV_HEADER)
        n = 0
        for e in query.every(w.session, f):
            r = row(e)
            details = "; ".join(f"{k}: {v}" for k, v in r["details"])
            writer.writerow([cell(x) for x in (r["id"], r["at"], r["actor"], r["role"], r["action"], r["code"],
                                                r["target"], r["outcome"], details, r["hash"])])
            n += 1
        desk.details = {"rows": n}
    name = "audit.csv"
    return Response(
        out.getvalue().encode("utf-8"),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"},
    )
