"""SIGKILL inside the workflows, then a restart: the store stays sound (a short run; the long one
is ``python -m tests.crash --kills 500``, see the README's Tests section)."""

from __future__ import annotations

import pytest

from tests.crash.harness import OPERATIONS, Harness, init_trials

SEED = 20261127


def test_sigkill_during_the_first_start_leaves_a_store_that_opens(tmp_path):
    """Killed while the schema of a new SQLite store is being made (at a CREATE TABLE, at the
    version stamp, and at random points), the next command still opens and migrates it."""
    report = init_trials(tmp_path, 4, seed=SEED, points=[9, 20, 37, 1])
    print(report.summary())
    assert report.kills >= 3
    assert not report.failures, report.summary()


def test_sigkill_inside_workflows_sqlite(tmp_path):
    h = Harness(str(tmp_path / "crash.db"), tmp_path, seed=SEED)
    try:
        for op in OPERATIONS:
            h.trial(op)
    finally:
        h.close()
    print(h.report.summary())
    assert h.report.kills >= 4
    assert not h.report.failures, h.report.summary()


@pytest.mark.postgres
def test_sigkill_inside_workflows_postgres(tmp_path, pg_url):
    h = Harness(pg_url, tmp_path, seed=SEED)
    try:
        for op in OPERATIONS:
            h.trial(op)
    finally:
        h.close()
    print(h.report.summary())
    assert h.report.kills >= 4
    assert not h.report.failures, h.report.summary()
