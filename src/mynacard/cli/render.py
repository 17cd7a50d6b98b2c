"""Human output of the command line: the presenter dicts (``mynacard.present``, ``mynacard.results``,
``mynacard.handover``) as Rich tables and plain lines. ``--json`` prints the same dicts instead."""

from __future__ import annotations

from datetime import date
from typing import Any

from rich.markup import escape
from rich.table import Table

from mynacard.cli.app import console


def text(v: Any) -> str:
    """A value for a screen: nested dicts and lists as ``a=b`` and ``x, y``, never a Python repr."""
    if v is None:
        return "-"
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, dict):
        return " ".join(f"{k}={text(x)}" for k, x in v.items()) or "-"
    if isinstance(v, list | tuple):
        return ", ".join(text(x) for x in v) or "-"
    return str(v)


def both(iso_day: str | None) -> str:
    """``2031-05-10`` -> ``2031-05-10 (令和13年5月10日)``."""
    if not iso_day:
        return "-"
    from mynacard.present import both as both_days

    try:
        return both_days(date.fromisoformat(iso_day[:10]))
    except ValueError:
        return iso_day


def kv(d: dict[str, Any]) -> None:
    """A dict as ``key: value`` lines (a message_ja first, when there is one)."""
    if d.get("message_ja"):
        console.print(escape(d["message_ja"]))
    for k, v in d.items():
        if k != "message_ja":
            console.print(f"[bold]{escape(k)}[/]: {escape(text(v))}")


def rows(items: list[dict[str, Any]], columns: list[str] | None = None, empty: str = "該当はありません。") -> None:
    """A list of dicts as one Rich table (its keys, or ``columns``, as the header)."""
    if not items:
        console.print(empty)
        return
    cols = columns or list(items[0])
    t = Table()
    for c in cols:  # values wrap, never cut with an ellipsis (serials and IDs are typed back in)
        t.add_column(c, overflow="fold")
    for it in items:
        t.add_row(*(escape(text(it.get(c))) for c in cols))
    console.print(t)


def card(d: dict[str, Any]) -> None:
    """A card, its notes field and its certificates (whole serials: commands take them, or a prefix)."""
    if d.get("message_ja"):
        console.print(escape(d["message_ja"]))
    console.print(f"[bold]Card {escape(d['id'])}[/] — {d['state_ja']} ({d['state']})  住民ID {d['resident_id']}")
    console.print(f"  有効期限 expires: {both(d.get('expires_on'))}")
    for n in d.get("notes") or []:
        console.print(f"  追記欄: {escape(n['text'] if isinstance(n, dict) else str(n))}")
    if d.get("cert_expires_on"):
        console.print(f"  電子証明書の有効期限 certificates expire: {both(d['cert_expires_on'])}")
    if d.get("continued_use_by"):
        console.print(f"  継続利用の期限 present by: {both(d['continued_use_by'])}")
    if d.get("certificates"):
        t = Table()
        t.add_column("certificate", overflow="fold")
        t.add_column("serial", no_wrap=True, min_width=max(len(c["serial"]) for c in d["certificates"]))
        t.add_column("status", overflow="fold")
        t.add_column("expires", no_wrap=True, min_width=10)
        for c in d["certificates"]:
            t.add_row(c["kind_ja"], c["serial"], f"{c['status_ja']} ({c['status']})", c["expires_on"] or "-")
        console.print(t)


def face(d: dict[str, Any]) -> None:
    """A face change or a moving-in (``results.face_dict``)."""
    if d.get("card"):
        card(d["card"] | {"message_ja": d["message_ja"]})
    else:
        console.print(escape(d["message_ja"]))


def cert_result(d: dict[str, Any]) -> None:
    """A certificate issued, renewed, revoked or released (``results.cert_result_dict``)."""
    console.print(escape(d["message_ja"]))
    c = d["certificate"]
    console.print(f"  serial {c['serial']}  {c['kind_ja']}  {c['status_ja']} ({c['status']})  "
                  f"有効期限 {both(c['expires_on'])}")


def certificate(d: dict[str, Any]) -> None:
    """One certificate (``present.cert_dict``)."""
    t = Table(show_header=False)
    keys = ("serial", "kind_ja", "status_ja", "not_before", "expires_on", "revoked_at", "reason", "municipality_code")
    for k in keys:
        if d.get(k) is not None:
            t.add_row(k, escape(both(d[k]) if k == "expires_on" else str(d[k])))
    console.print(t)


def residents(items: list[dict[str, Any]]) -> None:
    rows(items, ["id", "name", "birth_date", "address", "municipality_code", "number"], "該当する住民はいません。")


def events(items: list[dict[str, Any]]) -> None:
    """The event log, one entry a line (time, actor, action, resident, card) and its details below it
    as ``key=value``: readable at any terminal width, nothing cut."""
    from mynacard.results import details_text

    if not items:
        console.print("記録はありません。")
        return
    for e in items:
        who = "".join(
            f"  {label} {e[k]}" for k, label in (("resident_id", "resident"), ("card_id", "card")) if e.get(k)
        )
        console.print(f"{e['at'][:16].replace('T', ' ')}  [cyan]{escape(e['actor'])}[/]  [bold]{e['action']}[/]{who}")
        details = details_text(e.get("details") or {})
        if details:
            console.print("    " + escape(details), soft_wrap=False)


def batch(d: dict[str, Any]) -> None:
    """The daily batch (``results.batch_dict``)."""
    console.print(escape(d["message_ja"]))
    for key, label in (("expired_cards", "有効期限切れのカード"), ("expired_certificates", "有効期間満了の電子証明書"),
                       ("lapsed_cards", "失効したカード")):
        if d[key]:
            console.print(f"  {label}: {', '.join(str(x) for x in d[key])}")
    if d["notices"]:
        rows(d["notices"], ["card_id", "subject", "expires_on", "application_id", "pdf"])


def suspension(d: dict[str, Any]) -> None:
    """A hotline suspension (``present.suspension_dict``)."""
    console.print(f"カード {d['card_id']} を一時停止しました(受付番号 {d['reference']})。")
    if d.get("certificates"):
        from mynacard.results import changes_ja

        console.print(changes_ja(d["certificates"]))
    console.print(escape(d["next_ja"]))
