"""Post/redirect/get: what a POST leaves for the page it redirects to.

A POST never renders a page. It stores its outcome here (a result, or the errors and the
non-secret values of the form) under a random token bound to the staff session, and redirects
to a GET that shows it. Reloading that page shows the same outcome again and runs nothing.

Entries live in the store (``window_results``), so every worker process of ``mynacard serve
--workers N`` sees them and a restart keeps them. Each is sealed (AES-256-GCM under a key
derived from the master key, bound to its row): it holds names, addresses and form values, and
``once`` an individual number that was read. Only the SHA-256 of the token is stored. ``once``
is shown a single time: it is cleared by one conditional UPDATE, so of two workers reading the
same token at once only one shows it. Entries expire after ``TTL`` (real time, as sessions do),
or ``SHOWN_TTL`` after they were first shown (long enough for a reload), and are deleted then,
or when their session logs out.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi import Request
from sqlalchemy import delete, select, update

from mynacard.crypto import seal, unseal
from mynacard.db.staff import WindowResult
from mynacard.db.store import Store
from mynacard.web.deps.auth import Principal
from mynacard.web.state import state

TTL = timedelta(hours=1)
#: Once shown, a result is kept this long more (a reload shows it again), then deleted.
SHOWN_TTL = timedelta(minutes=10)
#: Bound to an account rather than a session: the values of a form sent after its session
#: expired, kept for the same staff member's next login (see ``put_for_account``).
ACCOUNT_PREFIX = "account:"
#: A refused login (its message and the login ID, never the password), bound to the login
#: form's double-submit cookie: the browser that sent it, for a short time.
LOGIN_PREFIX = "login:"
LOGIN_TTL = timedelta(minutes=10)


def _now() -> datetime:
    return datetime.now(UTC)


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _seal(store: Store, token_hash: str, part: str, data: Any) -> bytes:
    raw = json.dumps(data, ensure_ascii=False, default=str).encode("utf-8")
    return seal(raw, store.require_keys().window_results, context=f"window-result/{token_hash}/{part}".encode())


def _open(store: Store, token_hash: str, part: str, blob: bytes) -> Any:
    raw = unseal(blob, store.require_keys().window_results, context=f"window-result/{token_hash}/{part}".encode())
    return json.loads(raw.decode("utf-8"))


def _put(store: Store, owner: str, data: dict[str, Any], ttl: timedelta = TTL) -> str:
    data = dict(data)
    once = data.pop("once", None)
    token = secrets.token_urlsafe(24)
    h = _hash(token)
    now = _now()
    row = WindowResult(token_hash=h, session_hash=owner, expires_at=now + ttl, sealed=_seal(store, h, "data", data),
                       once_sealed=None if once is None else _seal(store, h, "once", once))
    with store.write_lock, store.sessions() as s:
        s.execute(delete(WindowResult).where(WindowResult.expires_at <= now))
        s.add(row)
        s.commit()
    return token


def put(request: Request, who: Principal, data: dict[str, Any]) -> str:
    """Keep ``data`` for this staff session; return the token to put in the redirect's query."""
    return _put(state(request).office.store, who.token_hash, data)


def put_for_account(request: Request, account_id: int, data: dict[str, Any]) -> str:
    """Keep ``data`` for the account's next session (a form sent after its session expired)."""
    return _put(state(request).office.store, f"{ACCOUNT_PREFIX}{account_id}", data)


def put_for_login(request: Request, browser: str, data: dict[str, Any]) -> str:
    """Keep a refused login's outcome for the browser whose login cookie is ``browser``."""
    return _put(state(request).office.store, _hash(LOGIN_PREFIX + browser), data, LOGIN_TTL)


def get(request: Request, who: Principal, token: str | None) -> dict[str, Any]:
    """What a POST left for this staff session under ``token`` (empty when unknown or expired)."""
    return _get(state(request).office.store, (who.token_hash, f"{ACCOUNT_PREFIX}{who.account_id}"), token)


def get_for_login(request: Request, browser: str, token: str | None) -> dict[str, Any]:
    """What a refused login left for the browser that sent it (see ``put_for_login``)."""
    if len(browser) < 16:
        return {}
    return _get(state(request).office.store, (_hash(LOGIN_PREFIX + browser),), token)


def _get(store: Store, owners: tuple[str, ...], token: str | None) -> dict[str, Any]:
    if not token or len(token) > 40:
        return {}
    h = _hash(token)
    with store.write_lock, store.sessions() as s:
        now = _now()
        row = s.execute(select(WindowResult.sealed, WindowResult.once_sealed).where(
            WindowResult.token_hash == h, WindowResult.session_hash.in_(owners),
            WindowResult.expires_at > now)).first()
        if row is None:
            return {}
        data: dict[str, Any] = _open(store, h, "data", row.sealed)
        # shown: kept only for a reload of the page, then deleted with the expired
        s.execute(update(WindowResult).where(WindowResult.token_hash == h,
                                             WindowResult.expires_at > now + SHOWN_TTL)
                  .values(expires_at=now + SHOWN_TTL).execution_options(synchronize_session=False))
        if row.once_sealed is not None:
            # whoever clears it shows it: a second reader (another worker) finds it cleared
            won = s.execute(update(WindowResult).where(WindowResult.token_hash == h,
                                                       WindowResult.once_sealed.is_not(None))
                            .values(once_sealed=None).execution_options(synchronize_session=False))
            if won.rowcount == 1:  # type: ignore[attr-defined]
                data["once"] = _open(store, h, "once", row.once_sealed)
        s.commit()
    return data


def forget_session(store: Store, who: Principal) -> None:
    """The session ended (logout): its results go with it."""
    with store.write_lock, store.sessions() as s:
        s.execute(delete(WindowResult).where(WindowResult.session_hash == who.token_hash))
        s.commit()
