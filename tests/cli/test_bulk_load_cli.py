"""``mynacard bulk-load`` and ``mynacard batch --chunk`` from the command line."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from mynacard.cli.main import app


def test_bulk_load_says_where_the_chip_keys_come_from_and_refuses_real_data(tmp_path):
    runner = CliRunner()
    db = str(tmp_path / "bulk.db")

    def run(*args: str, at: str = "2026-11-28T10:00"):  # type: ignore[no-untyped-def]
        return runner.invoke(app, ["--db", db, "--at", at, *args])

    out = run("bulk-load", "30", "--key-pool", "2", "--municipalities", "3")
    assert out.exit_code == 0, out.output
    assert "pool of 2 RSA-2048 key pairs generated once" in out.output
    done = run("--json", "bulk-load", "10", "--key-pool", "1", "--municipalities", "3")
    assert done.exit_code == 0, done.output
    assert json.loads(done.stdout)["residents"] == 10
    batch = run("--json", "batch", "--chunk", "7", at="2027-01-10T10:00")
    assert batch.exit_code == 0, batch.output
    assert json.loads(batch.stdout)["resumed_from"] is None
    # a real resident: the next load is refused (exit 2) and adds nothing
    assert run("municipality", "add", "131016", "千代田区", "東京都").exit_code == 0
    real = run("--json", "resident", "add", "--name", "本物 花子", "--address", "東京都千代田区1", "--birth",
               "1990-01-01", "--sex", "2", "--municipality", "131016", "--number", "123456789018")
    assert real.exit_code == 0, real.output
    refused = run("bulk-load", "5", "--key-pool", "1")
    assert refused.exit_code == 2 and "--allow-real-data" in refused.output
    from sqlalchemy import create_engine, func, select

    from mynacard.db.models import Resident

    with create_engine(f"sqlite:///{db}").connect() as c:
        assert c.execute(select(func.count()).select_from(Resident)).scalar_one() == 41
