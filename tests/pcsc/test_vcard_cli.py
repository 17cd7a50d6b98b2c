"""``mynacard vcard insert`` / ``eject`` as processes; counters survive a re-insertion (R_PIN_4)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.pcsc.conftest import READER, wait_reader

pytestmark = pytest.mark.slow

MYNACARD = [sys.executable, "-m", "mynacard.cli.main"]


def wait_for_card(present: bool, timeout: float = 15.0) -> None:
    wait_reader(present, timeout)


def insert(db: Path, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [*MYNACARD, "--db", str(db), "--at", "2026-02-15T20:00", "vcard", "insert", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def cli(db: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*MYNACARD, "--db", str(db), "--at", "2026-02-15T20:00", *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_insert_demo_client_eject_and_reinsert_R_USE_1_R_PIN_4(vpcd, tmp_path) -> None:
    db = tmp_path / "v.db"
    proc = insert(db, "--demo")
    try:
        wait_for_card(True)
        pins = cli(db, "--json", "client", "--reader", READER, "pins")
        assert pins.returncode == 0, pins.stderr
        assert '"auth": 3' in pins.stdout
        wrong = cli(db, "client", "--reader", READER, "attributes", "--pin", "0000")
        assert wrong.returncode == 2 and "残り2回" in wrong.stderr
        assert cli(db, "vcard", "eject").returncode == 0
        out, _ = proc.communicate(timeout=10)
        assert proc.returncode == 0
    finally:
        if proc.poll() is None:
            proc.terminate()
            proc.wait(timeout=10)
    card_id = re.search(r"Demo card issued: (\w+)", out).group(1)  # type: ignore[union-attr]
    wait_for_card(False)
    proc = insert(db, card_id)  # the same card again: the counter stayed spent
    try:
        wait_for_card(True)
        pins = cli(db, "--json", "client", "--reader", READER, "pins")
        assert '"card_info": 2' in pins.stdout, pins.stdout
    finally:
        cli(db, "vcard", "eject")
        proc.wait(timeout=10)
    wait_for_card(False)
