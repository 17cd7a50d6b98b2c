"""Login, logout and who am I."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request

from mynacard import audit
from mynacard.web.api.schemas import LoginIn
from mynacard.web.deps import auth
from mynacard.web.deps.desk import Desk, api_desk
from mynacard.web.deps.roles import ROLE_JA
from mynacard.web.errors import TooManyAttempts
from mynacard.web.state import ServiceState, state

router = APIRouter(prefix="/api", tags=["session"])


def client_address(request: Request) -> str:
    return request.client.host if request.client else "?"


def do_login(st: ServiceState, username: str, password: str, address: str) -> tuple[str, auth.Principal]:
    """Rate-limited login (see ``LoginLimiter``); failures, refusals and successes are audited."""
    store = st.office.store
    key, limit = st.limiter.key(store, username, address)
    try:
        st.limiter.reserve(store, key, limit)
    except TooManyAttempts as e:
        audit.append(store, at=st.clock.now(), actor=username[:64], role="-", action="login",
                     outcome="throttled", address=address, retry_after=e.fields["retry_after"])
        raise
    try:
        token, p = auth.login(store, username, password)
    except auth.LoginFailed:
        audit.append(store, at=st.clock.now(), actor=username[:64], role="-", action="login",
                     outcome="denied", address=address)
        raise
    st.limiter.clear(store, key)
    audit.append(st.office.store, at=st.clock.now(), actor=p.username, role=p.role.value, action="login",
                 address=address)
    return token, p


def me(p: auth.Principal) -> dict[str, Any]:
    return {"username": p.username, "role": p.role.value, "role_ja": ROLE_JA[p.role],
            "municipality_code": p.municipality_code}


@router.post("/login", summary="Log in; returns a bearer token")
def login(body: LoginIn, request: Request, st: ServiceState = Depends(state)) -> dict[str, Any]:  # noqa: B008
    token, p = do_login(st, body.username, body.password, client_address(request))
    return {"token": token, "token_type": "bearer", **me(p)}


@router.post("/logout", summary="End this session")
def logout(desk: Desk = Depends(api_desk)) -> dict[str, Any]:  # noqa: B008
    auth.logout(desk.office.store, desk.p)
    desk.audit("logout")
    return {"ok": True}


@router.get("/me", summary="The logged-in staff member")
def whoami(desk: Desk = Depends(api_desk)) -> dict[str, Any]:  # noqa: B008
    return me(desk.p) | {"now": desk.now.isoformat(), "simulated": desk.st.clock.simulated}
