"""The PC/SC transport (pyscard): the same client code drives a real card in a real reader."""

from __future__ import annotations

from typing import Any, Protocol

from mynacard.errors import MynaError


class Transport(Protocol):
    def transmit(self, apdu: bytes) -> bytes: ...


class ReaderError(MynaError):
    """No reader, no card, or the card was pulled out."""

    code = "reader"

    def __init__(self, message: str, message_ja: str, **fields: Any) -> None:
        super().__init__(message, message_ja, **fields)


PCSC_INSTALL = "apt-get install pcscd libpcsclite-dev swig && pip install 'mynacard[pcsc]'"


class PcscNotInstalled(ReaderError):
    """pyscard, the optional PC/SC extra, is not installed."""

    code = "pcsc_not_installed"


def require_pyscard() -> None:
    """Fail with what to install when the optional PC/SC extra (pyscard) is missing.

    The core (demo, CLI, office service, CA, in-process card) needs no compiler; pyscard does,
    so only the commands that talk to a real or virtual reader need it.
    """
    try:
        import smartcard  # noqa: F401
    except ImportError as exc:
        raise PcscNotInstalled(
            f"PC/SC support is not installed ({exc}). A real or virtual card reader needs the 'pcsc' extra "
            f"and Debian's PC/SC packages: {PCSC_INSTALL} (add vsmartcard-vpcd for the virtual reader).",
            "カードリーダー(PC/SC)の機能がインストールされていません。次のコマンドで追加してください: "
            f"{PCSC_INSTALL}(仮想カードリーダーには vsmartcard-vpcd も必要です)",
        ) from exc


def list_readers() -> list[str]:
    """The names of the PC/SC readers; ``ReaderError`` when PC/SC itself is unavailable."""
    require_pyscard()
    try:
        from smartcard.System import readers

        return [str(r) for r in readers()]
    except Exception as exc:  # pyscard raises its own families, or the library is missing
        raise ReaderError(
            f"PC/SC is not available ({exc}). Is pcscd running?",
            "PC/SC が利用できません。pcscd が起動しているか確認してください。",
        ) from exc


class PcscTransport:
    """A connection to the card in one PC/SC reader.

    ``reader`` selects the reader by (part of) its name; without it, the first reader that
    holds a card is used.
    """

    def __init__(self, reader: str | None = None) -> None:
        require_pyscard()
        from smartcard.Exceptions import CardConnectionException, NoCardException
        from smartcard.System import readers

        try:
            candidates = list(readers())
        except Exception as exc:
            raise ReaderError(
                f"PC/SC is not available ({exc}). Is pcscd running?",
                "PC/SC が利用できません。pcscd が起動しているか確認してください。",
            ) from exc
        if reader is not None:
            candidates = [r for r in candidates if reader in str(r)]
            if not candidates:
                raise ReaderError(
                    f"No reader named like {reader!r} (see `mynacard client readers`).",
                    f"カードリーダー「{reader}」が見つかりません。",
                    reader=reader,
                )
        if not candidates:
            raise ReaderError("No PC/SC reader is connected.", "カードリーダーが接続されていません。")
        for r in candidates:
            conn = r.createConnection()
            try:
                conn.connect()
            except (NoCardException, CardConnectionException):
                continue
            self.reader = str(r)
            self._conn = conn
            return
        raise ReaderError(
            "No card in the reader. Put the My Number Card on the reader (or run `mynacard vcard insert`).",
            "カードがリーダーにありません。マイナンバーカードをカードリーダーに置いてください。",
        )

    @property
    def atr(self) -> bytes:
        return bytes(self._conn.getATR())

    def transmit(self, apdu: bytes) -> bytes:
        from smartcard.Exceptions import CardConnectionException

        try:
            data, sw1, sw2 = self._conn.transmit(list(apdu))
        except CardConnectionException as exc:
            raise ReaderError(
                f"The card stopped answering ({exc}); it may have been removed.",
                "カードとの通信が切れました。カードが外れていないか確認してください。",
            ) from exc
        return bytes(data) + bytes((sw1, sw2))

    def close(self) -> None:
        try:
            self._conn.disconnect()
        except Exception:
            pass
