"""Post/redirect/get: what a POST leaves for the page it redirects to.

A POST never renders a page. It stores its outcome here (a result, or the errors and the
non-secret values of the form) under a random id bound to the staff member, and redirects to a
GET that shows it. Reloading that page shows the same outcome again and runs nothing. Entries are
kept in the service's memory for an hour (the window is one process; a restart forgets them).
"""

from __future__ import annotations

import secrets
import threading
import time
from typing import Any

from fastapi import Request

TTL_SECONDS = 3600
MAX_ENTRIES = 2000
_lock = threading.Lock()


def _store(request: Request) -> dict[str, tuple[str, float, dict[str, Any]]]:
    app_state = request.app.state
    store = getattr(app_state, "window_flash", None)
    if store is None:
        store = {}
        app_state.window_flash = store
    return store


def put(request: Request, username: str, data: dict[str, Any]) -> str:
    """Keep ``data`` for ``username``; return the id to put in the redirect's query."""
    fid = secrets.token_urlsafe(12)
    now = time.monotonic()
    with _lock:
        store = _store(request)
        for k in [k for k, (_, at, _d) in store.items() if now - at > TTL_SECONDS]:
            del store[k]
        while len(store) >= MAX_ENTRIES:
            del store[next(iter(store))]
        store[fid] = (username, now, data)
    return fid


def get(request: Request, username: str, fid: str | None) -> dict[str, Any]:
    """What a POST left for this staff member under ``fid`` (empty when unknown or expired)."""
    if not fid or len(fid) > 40:
        return {}
    with _lock:
        entry = _store(request).get(fid)
        if entry is None or entry[0] != username or time.monotonic() - entry[1] > TTL_SECONDS:
            return {}
        data = entry[2]
        once = data.pop("once", None)  # shown on the first view only (an individual number)
    return {**data, "once": once} if once is not None else dict(data)
