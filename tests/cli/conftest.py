"""The ``cli`` fixture: the command line on a store of the test's own, --json, at a simulated time."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from mynacard.cli.main import app


@pytest.fixture
def cli(tmp_path):
    runner = CliRunner()
    db = str(tmp_path / "cli.db")

    def run(*args: str, at: str = "2025-05-10T10:00", ok: bool = True):
        result = runner.invoke(app, ["--db", db, "--at", at, "--json", *args])
        if ok:
            assert result.exit_code == 0, result.output + str(result.exception)
            return json.loads(result.stdout)
        return result

    run("municipality", "add", "174076", "中能登町", "石川県")
    return run
