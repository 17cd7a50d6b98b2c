"""The fuzz campaign, short (the full one: ``python -m tests.fuzz --budget 1000000``, see the
README's Tests section). Every target runs a few hundred to a few thousand inputs; nothing may
escape, answer 5xx or break an invariant, except findings other branches are fixing (listed in
``KNOWN_ELSEWHERE``), which are printed."""

from __future__ import annotations

import pytest

from tests.fuzz import apdu, api, cli, ocsp, store, verifier
from tests.fuzz.common import Tally, is_known


def _assert_clean(t: Tally, at_least: int) -> None:
    print(t.line())
    for f in t.findings:
        print(("  known elsewhere: " if is_known(f) else "  ") + str(f))
    assert t.inputs >= at_least
    assert [f for f in t.findings if not is_known(f)] == []


@pytest.fixture(scope="module")
def fs(tmp_path_factory):
    built = store.build(tmp_path_factory.mktemp("fuzz"))
    yield built
    built.office.store.dispose()


def test_apdu_front_end():
    _assert_clean(apdu.run(3000, seed=3), 3000)


def test_ocsp_responder(fs):
    _assert_clean(ocsp.run(600, fs, seed=3), 600)


def test_cli_arguments(fs, tmp_path):
    _assert_clean(cli.run(150, fs, tmp_path, seed=3), 150)


def test_http_api(fs):
    _assert_clean(api.run(60, fs, seed=3), 40)


def test_http_api_stateful(fs):
    _assert_clean(api.run_stateful(20, fs, seed=3), 20)


def test_signature_verifier(tmp_path):
    """The office's verifier over mutated CMS, PAdES and XAdES signatures made with an issued
    card: every input gets a verdict or a clear refusal, and each unaltered seed is VALID."""
    _assert_clean(verifier.run_office(400, tmp_path, seed=3), 400)


def test_verifier_harness_catches_a_wrong_verdict_on_a_seed(tmp_path):
    """The harness reports a verifier that refuses an untouched signature."""
    target = verifier.OfficeTarget(tmp_path)
    try:
        t = verifier.run(100, lambda data: False, seed=3, corpus=target.corpus, seeds_hold=verifier.valid)
    finally:
        target.close()
    assert any(f.what == "wrong verdict" for f in t.findings)


def test_verifier_harness_finds_an_escaping_exception():
    """The harness the verifier is fuzzed with: clean on a verifier that refuses with
    MynaError, and it reports a verifier that lets an exception escape."""
    _assert_clean(verifier.run(300, verifier.toy_verifier, seed=3), 300)

    def fragile(data: bytes) -> bool:
        return data[100] == 0  # IndexError on short inputs

    t = verifier.run(300, fragile, seed=3)
    assert any("IndexError" in f.detail for f in t.findings)
