"""Property-based fuzzing of the API from its OpenAPI description: no input gives a 5xx.

Runs in-process (ASGI) with an administrator's bearer token and a bounded number of examples
per operation (MYNACARD_FUZZ_EXAMPLES, default 15). The same check against a running server:

    schemathesis run http://127.0.0.1:8000/openapi.json -H "Authorization: Bearer $TOKEN" \\
        --checks not_a_server_error --max-examples 50
"""

from __future__ import annotations

import os

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, Phase, given, settings

from tests.web.conftest import PASSWORD, make_office

pytestmark = pytest.mark.slow
EXAMPLES = int(os.environ.get("MYNACARD_FUZZ_EXAMPLES", "15"))


@pytest.fixture(scope="module")
def fuzz_app(tmp_path_factory):
    from mynacard.web.app import create_app
    from mynacard.web.clock import Clock
    from tests.web.conftest import at, issue_card, register

    office = make_office(str(tmp_path_factory.mktemp("fuzz") / "fuzz.db"))
    app = create_app(office, clock=Clock(at("2025-04-01T10:00"), advance=False))
    c = TestClient(app)
    token = c.post("/api/login", json={"username": "root", "password": PASSWORD}).json()["token"]
    c.headers["Authorization"] = f"Bearer {token}"
    for _ in range(2):  # something to find: residents 1-2 with cards
        issue_card(c, register(c))
    app.state.fuzz_token = token
    yield app
    office.store.dispose()


def test_no_server_errors(fuzz_app):
    """Every operation, EXAMPLES generated cases each; collect every 5xx, then report them."""
    schema = schemathesis.openapi.from_asgi("/openapi.json", fuzz_app)
    headers = {"Authorization": f"Bearer {fuzz_app.state.fuzz_token}"}
    failures: list[str] = []
    counted = {"cases": 0, "operations": 0}

    for result in schema.get_all_operations():
        op = result.ok()
        if op.path == "/api/logout":
            continue  # would end the session the other cases use
        counted["operations"] += 1

        @given(case=op.as_strategy())
        @settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck),
                  phases=[Phase.explicit, Phase.generate], database=None)
        def run(case) -> None:
            counted["cases"] += 1
            response = case.call(headers=headers)
            if response.status_code >= 500:
                failures.append(f"{case.method} {case.formatted_path} -> {response.status_code}: "
                                f"{response.text[:200]}")

        run()
    print(f"schemathesis: {counted['operations']} operations, {counted['cases']} cases, "
          f"{len(failures)} server errors")
    assert counted["cases"] >= counted["operations"]
    assert not failures, "\n".join(failures[:20])
