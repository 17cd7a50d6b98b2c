"""``mynacard vcard``: put a card of the store into the PC/SC reader (vsmartcard's vpcd).

While ``vcard insert`` runs, the card is in the "Virtual PCD" reader for any PC/SC software
(OpenSC, the JPKI client, ``mynacard client``). Ctrl-C, SIGTERM or ``vcard eject`` pulls it
out. Every PIN try is committed to the store before the card answers (R_PIN_4).
"""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path
from typing import Annotated

import typer

from mynacard.cli.app import console, err_console, fail, opts
from mynacard.errors import MynaError
from mynacard.services import vcard as vcard_service
from mynacard.vcard import DEFAULT_HOST, DEFAULT_PORT, VpcdClient, VpcdError

vcard_app = typer.Typer(help="The virtual card in a PC/SC reader (仮想カード, vsmartcard vpcd).", no_args_is_help=True)

PortOpt = Annotated[int, typer.Option(help="TCP port of the vpcd reader (35963: 'Virtual PCD 00 00', 35964: '00 01')")]
PidOpt = Annotated[Path | None, typer.Option(help="Where insert writes its process ID (default: next to --db)")]


def _pid_file(ctx: typer.Context, pid_file: Path | None, port: int) -> Path:
    if pid_file is not None:
        return pid_file
    db = opts(ctx).db
    base = db if "://" not in db else "mynacard"
    return Path(f"{base}.vcard-{port}.pid")


@vcard_app.command("insert")
def insert(
    ctx: typer.Context,
    card_id: Annotated[str | None, typer.Argument(metavar="CARD", help="Card ID in the store")] = None,
    demo: Annotated[
        bool, typer.Option("--demo", help="Issue a demo card in the store first and print its PINs")
    ] = False,
    host: Annotated[str, typer.Option(help="Host of the vpcd reader")] = DEFAULT_HOST,
    port: PortOpt = DEFAULT_PORT,
    pid_file: PidOpt = None,
) -> None:
    """Insert the card in the reader until Ctrl-C, SIGTERM or `mynacard vcard eject`."""
    o = opts(ctx)
    if demo == (card_id is not None):
        raise typer.BadParameter("give a CARD, or --demo (not both)")
    # Reach the reader first, so that a missing pcscd does not leave a demo card behind. The
    # reader's first messages (power on, ATR) wait in the socket until serve() starts.
    client = VpcdClient(_NoCardYet(), host, port)
    try:
        client.connect()
    except VpcdError as e:
        err_console.print(f"[bold red]error:[/] {e}")
        err_console.print(
            "[red]エラー:[/] 仮想カードリーダー(vpcd)に接続できません。pcscd と vsmartcard-vpcd を確認してください。"
        )
        raise typer.Exit(2) from None
    try:
        office = o.office()
        if demo:
            card_id = vcard_service.issue_demo_card(office, o.now())
            _print_demo(card_id)
        assert card_id is not None
        client.card = vcard_service.open_card(office, card_id, o.now)
    except MynaError as e:
        client.close()
        raise fail(e) from None
    pid_path = _pid_file(ctx, pid_file, port)
    pid_path.write_text(f"{os.getpid()}\n")

    def on_signal(signum: int, _frame: object) -> None:
        client.stop()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGHUP, on_signal)
    console.print(
        f"Card {card_id} inserted in the vpcd reader at {host}:{port} "
        f"(カードをリーダーに挿入しました). Ctrl-C or `mynacard vcard eject` to remove it."
    )
    try:
        client.serve()
    except KeyboardInterrupt:
        client.close()
    finally:
        pid_path.unlink(missing_ok=True)
    console.print(f"Card {card_id} removed after {client.commands} commands (カードを取り出しました).")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        return " Z " not in Path(f"/proc/{pid}/stat").read_text().split(")", 1)[1][:3]
    except OSError:
        return True


class _NoCardYet:
    atr = b""

    def reset(self) -> bytes:
        raise RuntimeError("no card yet")

    def transmit(self, apdu: bytes) -> bytes:
        raise RuntimeError("no card yet")


def _print_demo(card_id: str) -> None:
    pins = vcard_service.DEMO_PINS
    console.print(f"Demo card issued: [bold]{card_id}[/] (デモ用カードを交付しました)")
    console.print(f"  signing password 署名用パスワード:        {pins['sign']}")
    console.print(f"  authentication PIN 利用者証明用暗証番号:  {pins['auth']}")
    console.print(f"  resident-registry PIN 住民基本台帳用:     {pins['resident']}")
    console.print(f"  card-info-input PIN 券面事項入力補助用:   {pins['card_info']}")


@vcard_app.command("eject")
def eject(
    ctx: typer.Context,
    port: PortOpt = DEFAULT_PORT,
    pid_file: PidOpt = None,
    timeout: Annotated[float, typer.Option(help="Seconds to wait for the card to leave")] = 10.0,
) -> None:
    """Remove the card that `vcard insert` put in the reader."""
    path = _pid_file(ctx, pid_file, port)
    try:
        pid = int(path.read_text().strip())
    except (OSError, ValueError):
        err_console.print(f"[bold red]error:[/] No inserted card: {path} not found.")
        err_console.print("[red]エラー:[/] 挿入中のカードがありません。")
        raise typer.Exit(2) from None
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        path.unlink(missing_ok=True)
        console.print("The card was already out (stale pid file removed).")
        return
    # insert removes its pid file once the card is out; a process that died another way is
    # gone from the process table (or a zombie its parent has not reaped yet).
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not path.exists() or not _alive(pid):
            path.unlink(missing_ok=True)
            console.print("Card ejected (カードを取り出しました).")
            return
        time.sleep(0.05)
    err_console.print(f"[bold red]error:[/] Process {pid} did not stop within {timeout:g} s.")
    raise typer.Exit(2)
