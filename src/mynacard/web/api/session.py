"""Login, logout and who am I."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request

from mynacard import audit
from mynacard.web.api.schemas import LoginIn
from mynacard.web.deps import auth
from mynacard.web.deps.desk import Desk, api_desk
from mynacard.web.deps.roles import ROLE_JA
from mynacard.web.state import ServiceState, state

router = APIRouter(prefix="/api", tags=["session"])


def client_address(request: Request) -> str:
    return request.client.host if request.client else "?"


def do_login(st: ServiceState, username: str, password: str, address: str) -> tuple[str, auth.Principal]:
    """Rate-limited login; failures and successes are audited."""
    st.limiter.check(username, address)
    try:
        token, p = auth.login(st.office.store, username, password)
    except auth.LoginFailed:
        st.limiter.failed(username, address)
        audit.append(st.office.store, at=st.clock.now(), actor=username[:64], role="-", action="login",
                     outcome="denied", address=address)
        raise
    st.limiter.succeeded(username)
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
