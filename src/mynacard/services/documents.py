"""The documents the window prints, and their reprints (再発行).

A document is built from the records its workflow left (a receipt, a hand-over, an expiry
notice, the event of a PIN reset or a loss report) plus the letterhead of the resident's
municipality and the display name of the staff member who did the step. The first print keeps
these values (``IssuedDocument.data``); every later print renders from the kept values, so a
reprint shows the same document even after a rename, a move or a change of the window's name.
A reprint is marked 再発行 with its number and date, counted, and logged (``document_reprinted``).

Adapters check who may see a document with ``owner`` (the resident it is about) first.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from mynacard.db import repositories as repo
from mynacard.db.models import Card, Event, ExpiryNotice, IssuedDocument, Receipt
from mynacard.db.staff import StaffAccount
from mynacard.errors import NotFoundError, ValidationError
from mynacard.pdf import Reprint, render
from mynacard.present import cert_dict
from mynacard.rules.validity import renewal_window_opens
from mynacard.services.context import Work
from mynacard.timeutil import JST

#: kind -> (Japanese title, URL of the original under /documents)
KINDS: dict[str, tuple[str, str]] = {
    "receipt": ("領収書", "/documents/receipts/{key}.pdf"),
    "handover": ("交付通知書兼受領書", "/documents/issue/{key}.pdf"),
    "notice": ("有効期限通知書", "/documents/notices/{key}.pdf"),
    "pin_reset": ("暗証番号再設定 受付票", "/documents/pin-reset/{key}.pdf"),
    "loss_report": ("紛失届 受理票", "/documents/loss-report/{key}.pdf"),
}
PIN_JA = {"sign": "署名用電子証明書のパスワード", "auth": "利用者証明用電子証明書の暗証番号",
          "resident": "住民基本台帳用の暗証番号", "card_info": "券面事項入力補助用の暗証番号"}
#: Shown for a step done by an account without a display name (never its login ID).
STAFF_FALLBACK = "窓口職員"


def path(kind: str, key: str, *, reprint: bool = False) -> str:
    """The URL of a document (``/documents/...pdf``); its reprint ends in ``/reprint.pdf``."""
    p = KINDS[kind][1].format(key=key)
    return p.removesuffix(".pdf") + "/reprint.pdf" if reprint else p


@dataclass(frozen=True)
class Printed:
    kind: str
    key: str
    resident_id: int
    pdf: bytes
    reprint: Reprint | None

    @property
    def filename(self) -> str:
        return f"{self.kind}-{self.key}{'-reprint' if self.reprint else ''}.pdf"


def _missing(kind: str, key: str) -> NotFoundError:
    title = KINDS[kind][0] if kind in KINDS else "書類"
    return NotFoundError(f"No {kind.replace('_', ' ')} document {key}.", f"{title}({key})が見つかりません。")


def _check_kind(kind: str) -> None:
    if kind not in KINDS:
        raise ValidationError("kind", f"Unknown document kind {kind!r}: one of {', '.join(KINDS)}.",
                              "書類の種類が正しくありません。")


# -- where a document's values come from ------------------------------------------------------
def _event(w: Work, key: str, action: str) -> Event:
    ev = w.session.get(Event, int(key)) if key.isdigit() else None
    if ev is None or ev.action != action or ev.card_id is None or ev.resident_id is None:
        raise _missing({"pin_reset": "pin_reset", "loss_reported": "loss_report"}[action], key)
    return ev


def _source(w: Work, kind: str, key: str) -> tuple[int, Callable[[], dict[str, Any]]]:
    """The resident a document is about, and how to build its values."""
    _check_kind(kind)
    if kind == "receipt":
        rc = w.session.scalars(select(Receipt).where(Receipt.number == key)).first()
        if rc is None:
            raise _missing(kind, key)
        return rc.resident_id, lambda: _receipt(w, rc)
    if kind == "handover":
        c = repo.card(w.session, key)
        if c is None or c.issued_on is None:
            raise NotFoundError(f"No hand-over of card {key}: it has not been handed over.",
                                "このカードはまだ交付されていません。")
        return c.resident_id, lambda: _handover(w, c)
    if kind == "notice":
        n = w.session.get(ExpiryNotice, int(key)) if key.isdigit() else None
        if n is None:
            raise _missing(kind, key)
        c = repo.card(w.session, n.card_id)
        assert c is not None
        return c.resident_id, lambda: _notice(w, n, c)
    ev = _event(w, key, "pin_reset" if kind == "pin_reset" else "loss_reported")
    assert ev.resident_id is not None
    return ev.resident_id, lambda: (_pin_reset if kind == "pin_reset" else _loss_report)(w, ev)


def _staff(w: Work, username: str) -> str:
    a = w.session.scalars(select(StaffAccount).where(StaffAccount.username == username)).first()
    return a.display_name if a is not None and a.display_name else STAFF_FALLBACK


def _office(w: Work, code: str) -> dict[str, Any]:
    m = repo.municipality(w.session, code)
    if m is None:
        return {"municipality": code, "prefecture": "", "address": "", "window": "", "phone": ""}
    return {"municipality": m.name, "prefecture": m.prefecture, "address": m.address, "window": m.window,
            "phone": m.phone, "card_fee": m.card_fee, "cert_fee": m.cert_fee}


def _holder(w: Work, resident_id: int) -> dict[str, Any]:
    r = repo.resident(w.session, resident_id)
    assert r is not None
    return {"name": r.name, "address": r.address, "office": _office(w, r.municipality_code)}


def _step(w: Work, action: str, card_id: str) -> Event | None:
    """The last event ``action`` of a card (who did the step, and what they recorded)."""
    q = select(Event).where(Event.card_id == card_id, Event.action == action).order_by(Event.id.desc())
    return w.session.scalars(q).first()


def _receipt(w: Work, rc: Receipt) -> dict[str, Any]:
    card_id = w.session.scalars(select(Card.id).where(Card.application_id == rc.application_id)).first()
    ev = _step(w, "card_applied", card_id) if card_id is not None else None
    return {**_holder(w, rc.resident_id), "number": rc.number, "application_id": rc.application_id,
            "issued_at": rc.issued_at.isoformat(), "total": rc.total,
            "lines": [{"item": x.get("item"), "item_ja": x.get("item_ja"), "amount": x["amount"]} for x in rc.lines],
            "staff": _staff(w, ev.actor) if ev is not None else STAFF_FALLBACK}


def _current_certificates(w: Work, c: Card) -> list[dict[str, str]]:
    current: dict[str, dict[str, Any]] = {}
    for cert in repo.certificates_of_card(w.session, c.id):
        current[cert.kind] = cert_dict(cert)  # the latest of each kind wins (ordered by not_before)
    return [{"kind": d["kind"], "kind_ja": d["kind_ja"], "status_ja": d["status_ja"], "expires_on": d["expires_on"]}
            for d in current.values()]


def _handover(w: Work, c: Card) -> dict[str, Any]:
    ev = _step(w, "card_issued", c.id)
    return {**_holder(w, c.resident_id), "card_id": c.id, "issued_on": c.issued_on.isoformat() if c.issued_on else None,
            "expires_on": c.expires_on.isoformat() if c.expires_on else None,
            "certificates": _current_certificates(w, c),
            "identity_documents": list(ev.details.get("documents", [])) if ev is not None else [],
            "staff": _staff(w, ev.actor) if ev is not None else STAFF_FALLBACK,
            "cert_expiry": c.cert_expires_on.isoformat() if c.cert_expires_on else "none",
            "printed_at": w.at.isoformat()}


def _notice(w: Work, n: ExpiryNotice, c: Card) -> dict[str, Any]:
    what = "個人番号カード"
    if n.subject != "card":  # name the certificates that expire that day (both, usually)
        kinds = sorted((d for d in _current_certificates(w, c) if d["expires_on"] == n.expires_on.isoformat()),
                       key=lambda d: d["kind"] != "sign")  # 署名用 first, as the card lists them
        what = "・".join(d["kind_ja"] for d in kinds) or "電子証明書"
    return {**_holder(w, c.resident_id), "notice_id": n.id, "subject": n.subject, "what_ja": what,
            "card_id": c.id, "expires_on": n.expires_on.isoformat(), "sent_on": n.sent_on.isoformat(),
            "opens_on": renewal_window_opens(n.expires_on).isoformat(), "application_id": n.application_id,
            "cert_expiry": c.cert_expires_on.isoformat() if c.cert_expires_on else "none"}


def _pin_reset(w: Work, ev: Event) -> dict[str, Any]:
    assert ev.resident_id is not None
    return {**_holder(w, ev.resident_id), "event_id": ev.id, "card_id": ev.card_id,
            "pin_ja": PIN_JA.get(str(ev.details.get("pin")), "暗証番号"),
            "was_locked": bool(ev.details.get("was_locked")),
            "identity_documents": list(ev.details.get("documents", [])), "at": ev.at.isoformat(),
            "staff": _staff(w, ev.actor)}


def _loss_report(w: Work, ev: Event) -> dict[str, Any]:
    assert ev.resident_id is not None and ev.card_id is not None
    suspended = False  # by the hotline before this report, and not found since
    q = select(Event.action).where(Event.card_id == ev.card_id, Event.id < ev.id,
                                   Event.action.in_(("card_suspended", "card_found"))).order_by(Event.id)
    for action in w.session.scalars(q):
        suspended = action == "card_suspended"
    return {**_holder(w, ev.resident_id), "event_id": ev.id, "card_id": ev.card_id,
            "kind": ev.details.get("kind", "loss"), "police_report": ev.details.get("police_report") or "",
            "suspended_now": not suspended, "at": ev.at.isoformat(), "staff": _staff(w, ev.actor)}


# -- printing ---------------------------------------------------------------------------------
def owner(w: Work, kind: str, key: str) -> int:
    """The resident a document is about (for the adapter's access check); unknown: NotFoundError."""
    kept = _kept(w, kind, key)
    return kept.resident_id if kept is not None else _source(w, kind, key)[0]


def _kept(w: Work, kind: str, key: str) -> IssuedDocument | None:
    _check_kind(kind)
    q = select(IssuedDocument).where(IssuedDocument.kind == kind, IssuedDocument.key == key)
    return w.session.scalars(q).first()


def _keep(w: Work, kind: str, key: str) -> IssuedDocument:
    doc = _kept(w, kind, key)
    if doc is None:
        resident_id, build = _source(w, kind, key)
        doc = IssuedDocument(kind=kind, key=key, resident_id=resident_id, printed_at=w.at, printed_by=w.actor,
                             data=build(), reprints=0)
        w.session.add(doc)
        w.session.flush()
    return doc


def original(w: Work, kind: str, key: str) -> Printed:
    """The document as first printed (kept at the first print, rendered from what was kept)."""
    doc = _keep(w, kind, key)
    return Printed(kind, key, doc.resident_id, render(kind, doc.data), None)


def reprint(w: Work, kind: str, key: str) -> Printed:
    """A reprint (再発行): the kept values, marked 再発行 with its number and date; counted and logged."""
    doc = _keep(w, kind, key)
    doc.reprints = IssuedDocument.reprints + 1  # atomic in the store
    doc.last_reprinted_at = w.at
    w.session.flush()
    w.session.refresh(doc)
    mark = Reprint(doc.reprints, w.at, doc.printed_at)
    w.log("document_reprinted", resident_id=doc.resident_id, kind=kind, key=key, reprint=doc.reprints)
    return Printed(kind, key, doc.resident_id, render(kind, doc.data, mark), mark)


def listing(w: Work, resident_id: int) -> list[dict[str, Any]]:
    """Every document issued to a resident, oldest first: kind, title, key, date, the URLs of the
    original and of a reprint, and how often it was reprinted."""
    found: list[tuple[str, str, str]] = []  # (date, kind, key)
    for rc in w.session.scalars(select(Receipt).where(Receipt.resident_id == resident_id)):
        found.append((rc.issued_at.astimezone(JST).isoformat(), "receipt", rc.number))  # the day in Japan
    for c in w.session.scalars(select(Card).where(Card.resident_id == resident_id, Card.issued_on.is_not(None))):
        assert c.issued_on is not None
        found.append((c.issued_on.isoformat(), "handover", c.id))
        for n in w.session.scalars(select(ExpiryNotice).where(ExpiryNotice.card_id == c.id)):
            found.append((n.sent_on.isoformat(), "notice", str(n.id)))
    q = select(Event).where(Event.resident_id == resident_id, Event.action.in_(("pin_reset", "loss_reported")))
    for ev in w.session.scalars(q):
        kind = "pin_reset" if ev.action == "pin_reset" else "loss_report"
        found.append((ev.at.astimezone(JST).isoformat(), kind, str(ev.id)))
    kept = {(d.kind, d.key): d for d in w.session.scalars(
        select(IssuedDocument).where(IssuedDocument.resident_id == resident_id))}
    out = []
    for when, kind, key in sorted(found):
        d = kept.get((kind, key))
        out.append({"kind": kind, "title_ja": KINDS[kind][0], "key": key, "date": when[:10],
                    "path": path(kind, key), "reprint_path": path(kind, key, reprint=True),
                    "printed": d is not None, "reprints": d.reprints if d is not None else 0})
    return out


def loss_report_documents(w: Work, card_id: str) -> dict[str, Any]:
    """The event of a card's last loss report and its slip (紛失届 受理票), for the adapters' answer."""
    ev = _step(w, "loss_reported", card_id)
    if ev is None:
        return {"documents": []}
    return {"event_id": ev.id, "documents": [{"title_ja": f"{KINDS['loss_report'][0]}(PDF)",
                                              "path": path("loss_report", str(ev.id))}]}
