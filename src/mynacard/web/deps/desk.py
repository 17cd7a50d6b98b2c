"""The desk a request works at: who, when, which permission, which municipality.

Every endpoint goes through ``Desk.act(action)``: the role is checked (refusals are audited
and answered 403), the workflow runs in one unit of work at the clock's time, the OCSP
responses of changed certificates are re-signed before the commit, and the staff action is
appended to the audit log.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from fastapi import Depends, Request

from mynacard import audit
from mynacard.db import repositories as repo
from mynacard.db.models import Card, Resident
from mynacard.errors import MynaError, NotFoundError
from mynacard.services.context import Work
from mynacard.web.deps.auth import Principal, principal_for
from mynacard.web.deps.roles import PERMISSIONS
from mynacard.web.errors import Forbidden, Unauthenticated
from mynacard.web.state import ServiceState, state

SESSION_COOKIE = "myna_session"


class Desk:
    def __init__(self, st: ServiceState, principal: Principal, request: Request) -> None:
        self.st = st
        self.office = st.office
        self.p = principal
        self.request = request
        self.action = ""
        self.target = ""
        self.details: dict[str, Any] = {}
        self.now: datetime = st.clock.now()
        request.state.desk = self

    def audit(self, action: str, target: str = "", outcome: str = "ok", **details: Any) -> None:
        audit.append(
            self.office.store,
            at=self.now,
            actor=self.p.username,
            role=self.p.role.value,
            action=action,
            target=target,
            outcome=outcome,
            **details,
        )

    def deny(self, message: str, message_ja: str) -> Forbidden:
        self.audit(self.action or "unknown", self.target, "denied", reason=message)
        self.action = ""  # audited once
        return Forbidden(message, message_ja)

    def allow(self, action: str, target: str = "") -> None:
        self.action, self.target = action, target
        if self.p.role not in PERMISSIONS[action]:
            raise self.deny(f"The role {self.p.role.value} may not do {action}.", "この操作を行う権限がありません。")

    @contextmanager
    def act(self, action: str, target: str = "") -> Iterator[Work]:
        """Check the role, run one unit of work, audit the action (see the module docstring)."""
        self.allow(action, target)
        with self.office.work(at=self.now, actor=self.p.username) as w:
            yield w
            # the audit entry commits with the action it records, or not at all
            audit.append_in(
                w.session,
                at=self.now,
                actor=self.p.username,
                role=self.p.role.value,
                action=action,
                target=self.target,
                outcome="ok",
                **self.details,
            )
        self.action = ""

    def failed(self, err: MynaError) -> None:
        """Audit a staff action that ended in an error (called by the error handler)."""
        if self.action:
            self.audit(self.action, self.target, "error", code=err.code)
            self.action = ""

    # --- scope: a clerk sees and changes only the residents of their municipality ---------

    def in_scope(self, municipality_code: str) -> bool:
        return not self.p.scoped or self.p.municipality_code == municipality_code

    def check_scope(self, municipality_code: str) -> None:
        if not self.in_scope(municipality_code):
            raise self.deny(
                f"{self.p.username} works for {self.p.municipality_code}, not {municipality_code}.",
                "他の市区町村の住民の情報は扱えません。",
            )

    def hidden(self, municipality_code: str, not_found: NotFoundError) -> None:
        """Out of scope looks exactly like unknown (404), so that a clerk cannot learn that a
        resident of another municipality exists; the refusal is still audited as denied."""
        if not self.in_scope(municipality_code):
            self.audit(self.action or "unknown", self.target, "denied",
                       reason=f"out of scope: {self.p.municipality_code} != {municipality_code}")
            self.action = ""
            raise not_found

    def resident(self, w: Work, resident_id: int) -> Resident:
        """The resident, row-locked and read afresh (the workflow's checks see the current row)."""
        r = repo.resident(w.session, resident_id, for_update=True)
        self.target = self.target or f"resident:{resident_id}"
        missing = NotFoundError(
            f"No resident with ID {resident_id}.", f"住民ID {resident_id} の住民は登録されていません。"
        )
        if r is None:
            raise missing
        self.hidden(r.municipality_code, missing)
        return r

    def card(self, w: Work, card_id: str) -> Card:
        """The card, row-locked and read afresh: a state check made on it (or on the same object
        later in the workflow) sees the last committed state, not one loaded before the lock."""
        c = repo.card(w.session, card_id, for_update=True)
        self.target = self.target or f"card:{card_id}"
        missing = NotFoundError(f"No card with ID {card_id}.", f"カードID {card_id} のカードはありません。")
        if c is None:
            raise missing
        r = repo.resident(w.session, c.resident_id)
        assert r is not None
        self.hidden(r.municipality_code, missing)
        return c


def bearer(request: Request) -> str:
    h = request.headers.get("authorization", "")
    if h.lower().startswith("bearer "):
        return h[7:].strip()
    return ""


def api_desk(request: Request, st: ServiceState = Depends(state)) -> Desk:  # noqa: B008
    """API requests authenticate with the bearer token from POST /api/login (no cookies, so
    no cross-site request can ride on them); GETs of documents may use the UI's cookie."""
    token = bearer(request)
    if not token and request.method == "GET":
        token = request.cookies.get(SESSION_COOKIE, "")
    p = principal_for(st.office.store, token)
    if p is None:
        raise Unauthenticated()
    return Desk(st, p, request)
