"""What the running service holds: the office, the clock, the login limiter."""

from __future__ import annotations

from dataclasses import dataclass, field

from fastapi import Request

from mynacard.services.context import Office
from mynacard.web.clock import Clock
from mynacard.web.deps.auth import LoginLimiter


@dataclass
class ServiceState:
    office: Office
    clock: Clock = field(default_factory=Clock)
    limiter: LoginLimiter = field(default_factory=LoginLimiter)
    max_body: int = 64 * 1024
    secure_cookies: bool = False


def state(request: Request) -> ServiceState:
    st = request.app.state.mynacard
    assert isinstance(st, ServiceState)
    return st
