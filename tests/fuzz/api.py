"""The HTTP API against its own OpenAPI description (schemathesis, in-process over ASGI): every
operation with generated cases, and stateful runs that chain operations along the links
schemathesis infers (a resident registered is then applied for, its card made, issued ...).
No input may give a 5xx; every answer is counted.
"""

from __future__ import annotations

from typing import Any

import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import FlakyStrategyDefinition

from mynacard.timeutil import parse_at
from mynacard.web.clock import Clock
from tests.fuzz.common import Tally
from tests.fuzz.store import PASSWORD, FuzzStore

SKIP = {"/api/logout"}  # would end the session the other cases use


def _app(fs: FuzzStore) -> tuple[Any, dict[str, str]]:
    from fastapi.testclient import TestClient

    from mynacard.web.app import create_app

    app = create_app(fs.office, clock=Clock(parse_at("2025-05-10T10:00"), advance=False))
    c = TestClient(app)
    token = c.post("/api/login", json={"username": "root", "password": PASSWORD}).json()["token"]
    return app, {"Authorization": f"Bearer {token}"}


def _record(tally: Tally, case: Any, response: Any) -> None:
    tally.inputs += 1
    if response.status_code >= 500:
        tally.found("500", f"{case.method} {case.path} -> {response.status_code}",
                    f"{case.formatted_path} query={case.query} body={case.body!r}"[:300])


def run(n: int, fs: FuzzStore, seed: int = 0, tally: Tally | None = None) -> Tally:
    """About ``n`` cases spread over the operations."""
    tally = tally or Tally("api")
    app, headers = _app(fs)
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    ops = [r.ok() for r in schema.get_all_operations()]
    ops = [op for op in ops if op.path not in SKIP]
    per_op = max(1, n // len(ops))
    for op in ops:

        @given(case=op.as_strategy())
        @settings(max_examples=per_op, deadline=None, suppress_health_check=list(HealthCheck),
                  phases=[Phase.explicit, Phase.generate], database=None)
        def one(case: Any) -> None:
            try:
                response = case.call(headers=headers)
            except Exception as e:
                tally.inputs += 1
                tally.crashed(e, f"{case.method} {case.formatted_path}")
                return
            _record(tally, case, response)

        one()
    return tally


def run_stateful(n: int, fs: FuzzStore, seed: int = 0, tally: Tally | None = None) -> Tally:
    """About ``n`` calls in sequences of up to 20 that follow the inferred links."""
    tally = tally or Tally("api-flow")
    app, headers = _app(fs)
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    base = schema.as_state_machine()
    target = tally.inputs + n

    class Machine(base):  # type: ignore[misc, valid-type]
        def get_call_kwargs(self, case: Any) -> dict[str, Any]:
            return {"headers": headers}

        def validate_response(self, response: Any, case: Any, **kwargs: Any) -> None:
            _record(tally, case, response)

        def step(self, *args: Any, **kwargs: Any) -> Any:
            if tally.inputs >= target:
                return None
            return super().step(*args, **kwargs)

    steps = 20
    Machine.TestCase.settings = settings(max_examples=10, stateful_step_count=steps, deadline=None,
                                         suppress_health_check=list(HealthCheck), database=None,
                                         phases=[Phase.generate])
    while tally.inputs < target:
        before = tally.inputs
        try:
            Machine.TestCase().runTest()
        except FlakyStrategyDefinition:
            # the store changes under the machine, so a replayed prefix may offer other links:
            # hypothesis calls that flaky and stops the batch; start another
            pass
        except Exception as e:
            tally.crashed(e, "stateful sequence")
        if tally.inputs == before:
            break
    return tally
