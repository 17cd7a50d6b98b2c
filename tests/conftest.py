from __future__ import annotations

import os
import sys
import uuid

import pytest

from tests import keypool
from tests.keypool import pooled_key

# Argon2id at test cost for PIN verifiers (the product default is RFC 9106's t=3, m=64 MiB, p=4);
# set before anything derives a verifier, and inherited by the CLI processes the tests start.
os.environ.setdefault("MYNACARD_PIN_KDF", "t=1,m=64,p=1")

# mutmut runs each mutant's tests in a process forked from one that imported this file: make the
# RSA keys of the pool here, once, instead of in every mutant's process (tests/keypool.py).
UNDER_MUTMUT = "mutmut" in sys.modules
if UNDER_MUTMUT:
    keypool.fill()


if UNDER_MUTMUT:

    @pytest.fixture(autouse=True)
    def _empty_caches_of_the_mutated_packages():  # type: ignore[no-untyped-def]
        """mutmut runs for each mutant only the tests that called the mutated function, and notes
        who called what while the tests run: a result cached by one test (the card data's EFs,
        the CRL distribution points) would hide the calls of every later test. Under mutmut the
        caches of the chip and the CA start empty for each test."""
        for name, module in list(sys.modules.items()):
            if name.startswith(("mynacard.chip.", "mynacard.ca.")):
                for value in list(vars(module).values()):
                    if callable(getattr(value, "cache_clear", None)):
                        value.cache_clear()
        yield


#: Under mutmut, a test whose recorded duration is above this many seconds is left out of each
#: mutant's run (``MYNACARD_MUTATION_MAX_TEST_SECONDS``; 0 keeps every test).
MUTATION_MAX_TEST_SECONDS = float(os.environ.get("MYNACARD_MUTATION_MAX_TEST_SECONDS", "5"))
_durations: dict[str, float] | None = None


def _recorded_durations() -> dict[str, float]:
    """Each test's duration in mutmut's stats run (``mutants/mutmut-stats.json``; empty before
    the stats are collected)."""
    global _durations
    if not _durations:  # not cached while empty: the stats run, in the same process, writes them later
        import json
        from pathlib import Path

        stats = Path("mutmut-stats.json")
        _durations = json.loads(stats.read_text("utf-8")).get("duration_by_test", {}) if stats.exists() else {}
    return _durations


if UNDER_MUTMUT:

    def pytest_collection_modifyitems(config, items):  # type: ignore[no-untyped-def]
        """Under mutmut, each mutant's tests run fastest first (mutmut stops at the first failure,
        so a killed mutant costs its fastest failing test, not the slowest test before it), and the
        few tests above ``MUTATION_MAX_TEST_SECONDS`` (the ones that start processes: 13-19 s each,
        against 0.1 s for the median test) are left out: a surviving mutant of a function every
        hand-over calls would otherwise spend a minute on them alone. What they check is also checked
        in-process (the thread versions of the publication races stay); a mutant only they would
        catch counts as surviving (the score errs low)."""
        durations = _recorded_durations()
        if not durations:
            return  # the stats run: every test runs and is timed
        if MUTATION_MAX_TEST_SECONDS > 0:
            slow = {i.nodeid for i in items if durations.get(i.nodeid, 0.0) > MUTATION_MAX_TEST_SECONDS}
            if slow and len(slow) < len(items):
                config.hook.pytest_deselected(items=[i for i in items if i.nodeid in slow])
                items[:] = [i for i in items if i.nodeid not in slow]
        killers = _killers_of(_mutated_function())
        items.sort(key=lambda i: (killers.get(i.nodeid, len(killers)), durations.get(i.nodeid, 0.0)))

    def pytest_sessionstart(session):  # type: ignore[no-untyped-def]
        """Under mutmut, each mutant's test session starts with everything it inherited frozen
        (``gc.freeze``): the fork server's heap (every module, the key pool, the template store) is
        then never walked by the collector again. pytest collects garbage at the end of every session
        (``gc_collect_harder``), and walking that heap took 0.3 s of the 0.65 s a one-test session
        cost; frozen, the session costs 0.13-0.27 s. Only what the tests make is collected, as before."""
        import gc

        gc.freeze()

    def pytest_runtest_logreport(report):  # type: ignore[no-untyped-def]
        """Under mutmut, note which test killed a mutant of which function (see ``_killers_of``)."""
        function = _mutated_function()
        if report.failed and function:
            line = f"{function}\t{report.nodeid}\n".encode()
            fd = os.open(KILLERS, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
            try:
                os.write(fd, line)  # one short write with O_APPEND: whole lines even from parallel mutants
            finally:
                os.close(fd)


#: Under mutmut (whose tests run in its mutants/ directory): the tests that killed a mutant, by function.
KILLERS = "mutmut-killers.tsv"


def _mutated_function() -> str:
    """The function of the mutant under test (``pkg.mod.x_name``), or "" outside a mutant's run."""
    name = os.environ.get("MUTANT_UNDER_TEST", "")
    return name.rsplit("__mutmut_", 1)[0] if "__mutmut_" in name else ""


def _killers_of(function: str) -> dict[str, int]:
    """The tests that killed earlier mutants of ``function`` in this run, the latest first, each with
    its rank. A function's mutants are tested one after another (mutmut orders them by the time of
    their tests), and most are killed by a test that killed one before: run first, it ends a killed
    mutant's run at once instead of after every faster test of a function that ~500 tests call. It
    changes only the order: a surviving mutant still runs every test."""
    if not function or not os.path.exists(KILLERS):
        return {}
    with open(KILLERS, encoding="utf-8") as f:
        found = [line.rstrip("\n").split("\t", 1)[1] for line in f if line.startswith(function + "\t")]
    ranks: dict[str, int] = {}
    for nodeid in reversed(found):
        ranks.setdefault(nodeid, len(ranks))
    return ranks


def examples(n: int) -> int:
    """How many examples a heavy property test draws: ``n``, or a tenth of it under mutmut.

    mutmut runs a test again for every mutant of every function it calls, and a surviving mutant
    runs all of them: the card fuzzers' 100,000 commands each time would keep a run of the chip
    from finishing. A tenth still drives every path those tests reach; a mutant only they would
    catch at full size counts as surviving (the score errs low) and gets a test of its own.
    """
    return max(10, n // 10) if UNDER_MUTMUT else n

PG_URL = os.environ.get("MYNACARD_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def in_ci() -> bool:
    """CI sets CI=true: there a missing service fails the run instead of skipping."""
    return os.environ.get("CI", "").lower() == "true"


def skip_or_fail(reason: str) -> None:
    """Skip with the reason on a developer's machine; fail in CI, where the service must be there."""
    if in_ci():
        pytest.fail(f"{reason} (CI=true: the service must be available)", pytrace=False)
    pytest.skip(reason)


@pytest.fixture
def keygen():
    """The key generator the tests give to the chip and the CA (a pool, see keypool.py)."""
    return pooled_key


@pytest.fixture(scope="module")
def pg_url():
    """A PostgreSQL database of the module's own (dropped afterwards), as an SQLAlchemy URL.

    Only "no server / no driver" skips (fails in CI); any other error is the test's failure.
    """
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import OperationalError

    try:
        admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 3})
        with admin.connect() as c:
            c.execute(text("select 1"))
    except (OperationalError, ImportError) as e:
        skip_or_fail(f"PostgreSQL not reachable at {PG_URL}: {type(e).__name__}: {str(e).splitlines()[0]}")
    name = f"mynacard_test_{uuid.uuid4().hex[:10]}"
    with admin.connect() as c:
        c.execute(text(f'CREATE DATABASE "{name}"'))
    yield make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    with admin.connect() as c:
        c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()
