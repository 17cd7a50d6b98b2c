"""Post/redirect/get for the window: a POST never renders a page (see ``flash``)."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import RedirectResponse, Response

from mynacard.errors import MynaError, ValidationError
from mynacard.web.deps.desk import Desk
from mynacard.web.ui import flash
from mynacard.web.ui.actions import FormErrors

SECRET_KEYS = ("pin", "new_value", "password", "csrf")


def _kept(form: dict[str, str], lists: dict[str, list[str]]) -> tuple[dict[str, str], dict[str, list[str]]]:
    """The non-secret values of a form (selects and checkboxes too), to fill it again after an error."""
    def ok(k: str) -> bool:
        return not k.startswith("_") and not any(s in k for s in SECRET_KEYS)

    return {k: v for k, v in form.items() if ok(k)}, {k: v for k, v in lists.items() if ok(k)}


def _errors(e: MynaError) -> tuple[dict[str, str], list[str]]:
    if isinstance(e, FormErrors):
        return dict(e.errors), []
    if isinstance(e, ValidationError) and e.fields.get("field"):
        return {str(e.fields["field"]): e.message_ja}, []
    return {}, [e.message_ja]


def fail(request: Request, desk: Desk, e: MynaError, url: str, form: dict[str, str],
         lists: dict[str, list[str]] | None = None) -> Response:
    """An error: keep the form's non-secret values and every error, redirect back to the form."""
    if e.http_status == 403 and e.code == "forbidden":
        raise e
    desk.failed(e)
    values, kept_lists = _kept(form, lists or {})
    errors, general = _errors(e)
    fid = flash.put(request, desk.p, {"errors": errors, "general": general, "values": values,
                                               "lists": kept_lists, "status": e.http_status})
    return RedirectResponse(_with(url, fid), status_code=303)


def _with(url: str, fid: str) -> str:
    return f"{url}{'&' if '?' in url else '?'}f={fid}"


def done(request: Request, desk: Desk, url: str, **data: Any) -> Response:
    fid = flash.put(request, desk.p, data)
    return RedirectResponse(_with(url, fid), status_code=303)
