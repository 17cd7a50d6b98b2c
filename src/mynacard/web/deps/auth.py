"""Staff accounts (argon2-hashed passwords), login sessions and the login rate limit.

Sessions and the rate limit run on real time, whatever the simulated clock says: they protect
the service, not the domain. Only the SHA-256 of a session token is stored.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from mynacard.db import repositories as repo
from mynacard.db.staff import LoginThrottle, StaffAccount, StaffSession
from mynacard.db.store import Store
from mynacard.errors import MynaError, NotFoundError, StateError, ValidationError
from mynacard.rules.text import bad_character
from mynacard.web.deps.roles import SCOPED, Role
from mynacard.web.errors import TooManyAttempts

SESSION_LIFETIME = timedelta(hours=10)
MIN_PASSWORD = 10
_USERNAME = re.compile(r"[a-z0-9][a-z0-9_.-]{2,63}")
_hasher = PasswordHasher()
_DUMMY = _hasher.hash("not a password of anyone")


@dataclass(frozen=True)
class Principal:
    """Who is asking: an authenticated staff member."""

    account_id: int
    username: str
    role: Role
    municipality_code: str | None
    csrf_token: str
    token_hash: str

    @property
    def scoped(self) -> bool:
        return self.role in SCOPED


def _now() -> datetime:
    return datetime.now(UTC)


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_account(
    store: Store,
    *,
    username: str,
    password: str,
    role: str,
    municipality_code: str | None = None,
    display_name: str = "",
) -> StaffAccount:
    """A new local account; clerks and supervisors need their municipality."""
    if not _USERNAME.fullmatch(username or ""):
        raise ValidationError(
            "username",
            "A user name is 3-64 characters of a-z, 0-9, '.', '_', '-'.",
            "ユーザー名は英小文字・数字・記号(. _ -)の3～64文字です。",  # noqa: RUF001
        )
    check_password(password, username)
    try:
        r = Role(role)
    except ValueError:
        raise ValidationError("role", f"Role must be one of {', '.join(Role)}.", "役割が正しくありません。") from None
    with store.sessions() as s:
        if r in SCOPED:
            if not municipality_code or repo.municipality(s, municipality_code) is None:
                raise ValidationError(
                    "municipality_code",
                    "A clerk or supervisor belongs to a registered municipality.",
                    "窓口職員・責任者には登録済みの市区町村を指定してください。",
                )
        else:
            municipality_code = None
        if s.scalars(select(StaffAccount).where(StaffAccount.username == username)).first():
            raise StateError(f"The user name {username} is taken.", "このユーザー名はすでに使われています。")
        acc = StaffAccount(
            username=username,
            display_name=display_name or username,
            password_hash=_hasher.hash(password),
            role=r.value,
            municipality_code=municipality_code,
            active=True,
            created_at=_now(),
        )
        s.add(acc)
        s.commit()
        return acc


def list_accounts(store: Store) -> list[StaffAccount]:
    with store.sessions() as s:
        return list(s.scalars(select(StaffAccount).order_by(StaffAccount.id)).all())


def set_active(store: Store, username: str, active: bool) -> StaffAccount:
    with store.sessions() as s:
        acc = s.scalars(select(StaffAccount).where(StaffAccount.username == username)).first()
        if acc is None:
            raise NotFoundError(f"No account {username}.", "アカウントが見つかりません。")
        acc.active = active
        if not active:
            s.execute(delete(StaffSession).where(StaffSession.account_id == acc.id))
        s.commit()
        return acc


#: Passwords found first in every breach list (NIST SP 800-63B 5.1.1.2 asks for such a check).
COMMON_PASSWORDS = frozenset({
    "password", "password1", "password12", "password123", "password1234", "passw0rd", "p@ssw0rd",
    "1234567890", "12345678910", "0123456789", "123456789a", "qwertyuiop", "1q2w3e4r5t", "qwerty1234",
    "qwerty123456", "iloveyou12", "abc1234567", "abcdefghij", "administrator", "admin12345",
    "letmein123", "welcome123", "changeme12", "trustno1234", "football12", "baseball12",
    "sunshine12", "princess12", "dragon1234", "monkey1234", "mynumbercard", "mynacard123",
})


def check_password(password: str, username: str = "") -> None:
    """The password policy: 10 to 256 characters, no control characters, at least 5 different
    characters, not a common password, not containing the user name (NIST SP 800-63B: length
    and a blocklist rather than composition rules)."""
    def refuse(message: str, message_ja: str) -> ValidationError:
        return ValidationError("password", message, message_ja)

    if len(password) < MIN_PASSWORD or len(password) > 256:
        raise refuse(f"A password has {MIN_PASSWORD} to 256 characters.",
                     f"パスワードは{MIN_PASSWORD}文字以上256文字以下にしてください。")
    if bad_character(password) is not None:
        raise refuse("A password has no control characters.", "パスワードに制御文字は使えません。")
    if len(set(password)) < 5:
        raise refuse("A password needs at least 5 different characters.",
                      "パスワードには5種類以上の文字を使ってください。")
    folded = password.lower()
    if folded in COMMON_PASSWORDS or folded.rstrip("!?.0123456789") in COMMON_PASSWORDS:
        raise refuse("This is a common password that attackers try first; choose another.",
                     "よく使われるパスワードは使えません。別のパスワードにしてください。")
    if username and len(username) >= 3 and username.lower() in folded:
        raise refuse("A password must not contain the user name.", "パスワードにユーザー名を含めないでください。")


class LoginFailed(MynaError):
    code = "login_failed"
    http_status = 401

    def __init__(self) -> None:
        super().__init__("Wrong user name or password.", "ユーザー名またはパスワードが違います。")


class LoginLimiter:
    """At most ``limit`` failed logins per account in ``window`` seconds (and ``4 * limit`` per
    address for user names that are no account), counted in the store.

    Each attempt is counted *before* its password is checked, in one atomic statement
    (``attempts = attempts + 1 WHERE attempts < limit``), and the count is cleared when the
    password was right: so concurrent attempts cannot all pass the check, a restart clears
    nothing, and one account's failures never lock another account at the same address.
    """

    def __init__(self, limit: int = 5, window: float = 300.0, now: Callable[[], datetime] | None = None) -> None:
        self.limit, self.window = limit, timedelta(seconds=window)
        self.now = now or _now

    def key(self, store: Store, username: str, address: str) -> tuple[str, int]:
        """The key the attempt counts against, and its limit."""
        with store.sessions() as s:
            known = s.scalars(select(StaffAccount.id).where(StaffAccount.username == username)).first()
        if known is not None:
            return f"user:{username}", self.limit
        return f"addr:{address[:100]}", self.limit * 4

    def reserve(self, store: Store, key: str, limit: int) -> None:
        """Count one attempt of ``key``, or raise TooManyAttempts (429 with Retry-After)."""
        now = self.now()
        t = LoginThrottle.__table__
        ins = (pg_insert if store.engine.dialect.name == "postgresql" else sqlite_insert)(t)
        with store.write_lock, store.sessions() as s:
            s.execute(ins.values(key=key, attempts=0, window_start=now).on_conflict_do_nothing())
            s.execute(update(t).where(t.c.key == key, t.c.window_start <= now - self.window)
                      .values(attempts=0, window_start=now))
            counted = s.execute(update(t).where(t.c.key == key, t.c.attempts < limit)
                                .values(attempts=t.c.attempts + 1))
            start = s.scalar(select(t.c.window_start).where(t.c.key == key))
            s.commit()
        if counted.rowcount == 0:  # type: ignore[attr-defined]
            assert start is not None
            raise TooManyAttempts(max(1, int((start + self.window - now).total_seconds()) + 1))

    def clear(self, store: Store, key: str) -> None:
        """The password was right: the account's count starts again."""
        t = LoginThrottle.__table__
        with store.write_lock, store.sessions() as s:
            s.execute(update(t).where(t.c.key == key).values(attempts=0))
            s.commit()


def login(store: Store, username: str, password: str) -> tuple[str, Principal]:
    """Check the password; open a session. Returns the bearer token (shown once) and who it is."""
    with store.sessions() as s:
        acc = s.scalars(select(StaffAccount).where(StaffAccount.username == username)).first()
        if acc is None or not acc.active:
            try:
                _hasher.verify(_DUMMY, password)  # same time whether or not the user exists
            except VerificationError:
                pass
            raise LoginFailed()
        try:
            _hasher.verify(acc.password_hash, password)
        except (VerificationError, InvalidHashError):
            raise LoginFailed() from None
        if _hasher.check_needs_rehash(acc.password_hash):
            acc.password_hash = _hasher.hash(password)
        token = secrets.token_urlsafe(32)
        now = _now()
        sess = StaffSession(
            token_hash=_token_hash(token),
            account_id=acc.id,
            csrf_token=secrets.token_urlsafe(24),
            created_at=now,
            expires_at=now + SESSION_LIFETIME,
        )
        s.add(sess)
        s.commit()
        return token, Principal(
            acc.id, acc.username, Role(acc.role), acc.municipality_code, sess.csrf_token, sess.token_hash
        )


def principal_for(store: Store, token: str) -> Principal | None:
    """The live session of ``token``, or None."""
    if not token or len(token) > 100:
        return None
    h = _token_hash(token)
    with store.sessions() as s:
        sess = s.get(StaffSession, h)
        if sess is None or sess.expires_at <= _now():
            return None
        acc = s.get(StaffAccount, sess.account_id)
        if acc is None or not acc.active:
            return None
        return Principal(acc.id, acc.username, Role(acc.role), acc.municipality_code, sess.csrf_token, h)


def expired_account(store: Store, token: str) -> int | None:
    """The account of a session that has expired (still recorded, account active), or None:
    whose form it was when a form arrives after its session ended."""
    if not token or len(token) > 100:
        return None
    with store.sessions() as s:
        sess = s.get(StaffSession, _token_hash(token))
        if sess is None:
            return None
        acc = s.get(StaffAccount, sess.account_id)
        return acc.id if acc is not None and acc.active else None


def logout(store: Store, p: Principal) -> None:
    with store.sessions() as s:
        s.execute(delete(StaffSession).where(StaffSession.token_hash == p.token_hash))
        s.commit()


def same(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())
