"""Errors of the web layer, on the same root as the domain's (one mapping to HTTP)."""

from __future__ import annotations

from mynacard.errors import MynaError


class Unauthenticated(MynaError):
    code = "unauthenticated"
    http_status = 401

    def __init__(self) -> None:
        super().__init__("Log in first.", "ログインしてください。")


class Forbidden(MynaError):
    """Wrong role, or a resident of another municipality. Always audited."""

    code = "forbidden"
    http_status = 403


class TooManyAttempts(MynaError):
    code = "too_many_attempts"
    http_status = 429

    def __init__(self, retry_after: int) -> None:
        super().__init__(
            f"Too many failed logins: try again in {retry_after} seconds.",
            f"ログインの失敗が続いたため、{retry_after}秒後に再度お試しください。",
            retry_after=retry_after,
        )
