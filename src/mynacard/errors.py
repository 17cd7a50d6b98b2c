"""The exception root of mynacard.

Every error a user can cause is a ``MynaError``: it carries a machine-readable ``code``,
an English message (``str(err)``), a Japanese message for screens (``err.message_ja``)
and structured fields a program can use (``PinLocked(pin="auth", tries_left=0)``).
Adapters map the families once: CLI exit code 2, HTTP 4xx, a Japanese line on screen.
"""

from __future__ import annotations

from typing import Any


class MynaError(Exception):
    """Root of all user-facing errors."""

    code = "error"
    http_status = 400

    def __init__(self, message: str, message_ja: str = "", /, **fields: Any) -> None:
        super().__init__(message)
        self.message = message
        self.message_ja = message_ja or message
        self.fields = fields
        for k, v in fields.items():
            setattr(self, k, v)

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"code": self.code, "message": self.message, "message_ja": self.message_ja}
        data.update({k: v for k, v in self.fields.items() if isinstance(v, str | int | float | bool | None)})
        return data


class ValidationError(MynaError):
    """Input of the wrong form: a bad number, an impossible date, a PIN of the wrong form."""

    code = "invalid_input"
    http_status = 422

    def __init__(self, field: str, message: str, message_ja: str = "", /, **fields: Any) -> None:
        super().__init__(message, message_ja, field=field, **fields)


class NotFoundError(MynaError):
    code = "not_found"
    http_status = 404


class StateError(MynaError):
    """The operation does not fit the current state (e.g. releasing a hold on a revoked cert)."""

    code = "wrong_state"
    http_status = 409


class ConflictError(StateError):
    """The store refused the change: a concurrent request made the same change first, or it would
    break an invariant of the store (one current card per resident, unique serials). Nothing
    was changed."""

    code = "conflict"

    def __init__(self, what: str = "") -> None:
        super().__init__(
            "The change conflicts with the store "
            + (f"({what}) " if what else "")
            + "or with another request made at the same moment; nothing was changed. "
            "Reload and try again.",
            "他の処理と同時に行われたか、登録内容と矛盾するため、処理を中止しました(変更はありません)。"
            "画面を更新してもう一度お試しください。",
        )


class NotAllowedError(MynaError):
    """The rules forbid it (e.g. a signing certificate for an under-15, renewal before the window)."""

    code = "not_allowed"
    http_status = 409


class PinError(MynaError):
    code = "pin_error"
    http_status = 403


#: The secrets' names: the signing certificate's is a password (パスワード), the other three are PINs (暗証番号).
SECRET_NAMES = {
    "sign": ("signing password", "署名用電子証明書のパスワード"),
    "auth": ("auth PIN", "利用者証明用電子証明書の暗証番号"),
    "resident": ("resident PIN", "住民基本台帳用の暗証番号"),
    "card_info": ("card-info PIN", "券面事項入力補助用の暗証番号"),
}


def secret_names(pin: str) -> tuple[str, str]:
    """English and Japanese name of a PIN (``sign`` -> signing password / 署名用電子証明書のパスワード)."""
    return SECRET_NAMES.get(pin, (f"{pin} PIN", "暗証番号"))


def tries_text(n: int) -> str:
    return f"{n} try left" if n == 1 else f"{n} tries left"


class WrongPin(PinError):
    code = "wrong_pin"

    def __init__(self, pin: str, tries_left: int) -> None:
        en, ja = secret_names(pin)
        super().__init__(
            f"Wrong {en}: {tries_text(tries_left)}.",
            f"{ja}が違います。残り{tries_left}回です。",
            pin=pin,
            tries_left=tries_left,
        )


class PinLocked(PinError):
    code = "pin_locked"

    def __init__(self, pin: str) -> None:
        en, ja = secret_names(pin)
        super().__init__(
            f"The {en} is locked. Unlock it at the municipal window of residence "
            "after identity verification (R_PIN_5).",
            f"{ja}がロックされています。住民票のある市区町村の窓口で本人確認のうえ、"
            "ロック解除・再設定を行ってください。",
            pin=pin,
            tries_left=0,
        )


class ConfigError(MynaError):
    """The installation is not set up for the command: a missing master key, an unreachable
    key store (PKCS#11 token), a store that would be overwritten."""

    code = "config"
    http_status = 500
