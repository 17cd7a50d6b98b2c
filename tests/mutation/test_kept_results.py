"""The mutation run's kept verdicts (.ci/mutation, docs/testing.md): what one machine checked is
taken up by the next, function by function, so a package too big for one sitting is checked in
several."""

from __future__ import annotations

import importlib.machinery
import importlib.util
import json
from pathlib import Path

import pytest

TOOL = Path(__file__).resolve().parents[2] / ".ci" / "mutation"


@pytest.fixture
def tool(tmp_path, monkeypatch):
    loader = importlib.machinery.SourceFileLoader("ci_mutation", str(TOOL))
    module = importlib.util.module_from_spec(importlib.util.spec_from_loader("ci_mutation", loader))
    loader.exec_module(module)
    monkeypatch.setattr(module, "KEPT", tmp_path / "kept")
    return module


def _meta(work: Path, rel: str, data: dict | str) -> Path:
    path = work / "mutants" / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(data if isinstance(data, str) else json.dumps(data), "utf-8")
    return path


CARDS = {
    "exit_code_by_key": {
        "mynacard.services.cards.x_apply__mutmut_1": 1,  # killed
        "mynacard.services.cards.x_apply__mutmut_2": 0,  # survived
        "mynacard.services.cards.x_apply__mutmut_3": None,  # not checked yet: not kept
        "mynacard.services.cards.xǁReceiptǁtotal__mutmut_1": 36,  # timeout
    },
    "hash_by_function_name": {"x_apply": "aaaaaaaaaaaa", "xǁReceiptǁtotal": "bbbbbbbbbbbb"},
    "type_check_error_by_key": {}, "durations_by_key": {"mynacard.services.cards.x_apply__mutmut_1": 0.2},
    "estimated_durations_by_key": {},
}


def test_verdicts_kept_on_one_machine_are_where_mutmut_reads_them_on_the_next(tool, tmp_path):
    first, second = tmp_path / "first", tmp_path / "second"
    _meta(first, "src/mynacard/services/cards.py.meta", CARDS)
    _meta(first, "src/mynacard/services/pins.py.meta", '{"exit_code_by_key": {"mynacard.serv')  # being written
    assert tool.keep("services", first) == 3
    kept = json.loads((tmp_path / "kept" / "services.json").read_text("utf-8"))
    assert list(kept["files"]) == ["src/mynacard/services/cards.py.meta"]  # the half-written one waits

    assert tool.restore("services", second) == 3
    meta = json.loads((second / "mutants/src/mynacard/services/cards.py.meta").read_text("utf-8"))
    assert meta["exit_code_by_key"] == {k: v for k, v in CARDS["exit_code_by_key"].items() if v is not None}
    assert meta["hash_by_function_name"] == CARDS["hash_by_function_name"]  # mutmut drops a changed function's


def test_a_machine_keeps_its_own_newer_verdicts(tool, tmp_path):
    first, second = tmp_path / "first", tmp_path / "second"
    _meta(first, "src/mynacard/services/cards.py.meta", CARDS)
    tool.keep("services", first)
    newer = dict(CARDS, exit_code_by_key={"mynacard.services.cards.x_apply__mutmut_2": 1})
    path = _meta(second, "src/mynacard/services/cards.py.meta", newer)
    assert tool.restore("services", second) == 0
    assert json.loads(path.read_text("utf-8")) == newer


def test_nothing_kept_nothing_restored(tool, tmp_path):
    assert tool.keep("chip", tmp_path / "empty") == 0
    assert not (tmp_path / "kept" / "chip.json").exists()
    assert tool.restore("chip", tmp_path / "work") == 0
