"""Usage errors of the command line (Click's and Typer's): English with Japanese beside it, JSON under
``--json`` in the same shape as a workflow error (``{"error": {"code", "message", "message_ja", ...}}``)."""

from __future__ import annotations

import json
import sys

import typer

try:  # Typer 0.2x carries its own copy of Click: its exceptions are the ones raised
    from typer._click import exceptions as click
except ImportError:  # pragma: no cover - older Typer on Click
    from click import exceptions as click  # type: ignore[no-redef]


def _param_name(e: click.ClickException) -> str | None:
    param = getattr(e, "param", None)
    if param is not None:
        opts = getattr(param, "opts", None) or []
        if opts and opts[0].startswith("-"):
            return str(opts[0])
        return str(getattr(param, "human_readable_name", None) or param.name).upper()
    hint = getattr(e, "param_hint", None)
    if isinstance(hint, str):
        return hint
    if isinstance(hint, list | tuple) and hint:
        return str(hint[0])
    return getattr(e, "option_name", None)


def click_error_dict(e: click.ClickException) -> dict[str, object]:
    """The error as a dict with ``code``, ``message``, ``message_ja`` and ``field`` when known."""
    field = _param_name(e)
    message = e.format_message()
    cmd = e.ctx.command_path if isinstance(e, click.UsageError) and e.ctx is not None else "mynacard"
    help_ja = f"`{cmd} --help` で使い方を確認してください。"
    if isinstance(e, click.MissingParameter):
        code = "missing_input"
        ja = f"必要な指定 {field} がありません。{help_ja}" if field else f"必要な指定がありません。{help_ja}"
    elif isinstance(e, click.NoSuchOption):
        code = "unknown_option"
        ja = f"{e.option_name} というオプションはありません。{help_ja}"
    elif isinstance(e, click.BadParameter):
        code = "invalid_input"
        ja = f"{field} の値が正しくありません。{help_ja}" if field else f"指定した値が正しくありません。{help_ja}"
    elif isinstance(e, click.UsageError):
        code = "usage"
        ja = f"コマンドの指定が正しくありません。{help_ja}"
    elif isinstance(e, click.FileError):
        code = "invalid_input"
        ja = f"ファイル {e.ui_filename} を開けません。パスを確認してください。"
    else:
        code = "error"
        ja = "コマンドを実行できませんでした。"
    data: dict[str, object] = {"code": code, "message": message, "message_ja": ja}
    if field:
        data["field"] = field.lstrip("-").replace("-", "_")
    if isinstance(e, click.UsageError) and e.ctx is not None:
        data["usage"] = e.ctx.get_usage()
    return data


def report_click_error(e: click.ClickException, *, as_json: bool) -> int:
    """Print a usage error on stderr (JSON or English + Japanese); returns the exit code."""
    if type(e).__name__ == "NoArgsIsHelpError":  # a group without its subcommand: its help page
        e.show()
        return e.exit_code
    d = click_error_dict(e)
    if as_json:
        print(json.dumps({"error": d}, ensure_ascii=False), file=sys.stderr)
        return e.exit_code
    if isinstance(e, click.UsageError) and e.ctx is not None:
        typer.echo(e.ctx.get_usage(), err=True)
        if e.ctx.command.get_help_option(e.ctx) is not None:
            typer.echo(f"Try '{e.ctx.command_path} --help' for help.", err=True)
    typer.echo(f"error: {d['message']}", err=True)
    typer.echo(f"エラー: {d['message_ja']}", err=True)
    return e.exit_code
