"""The fuzz campaign: ``python -m tests.fuzz --budget 1000000``.

Splits the budget over the targets (APDU front end, OCSP responder, HTTP API per operation and
in stateful sequences, CLI arguments, and the signature verifier: the office's, or the callable
``--verifier module:function`` names), runs them one after the other, and prints the inputs per target
and every finding. Exit code 1 if anything was found.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

#: Shares of the budget. The APDU handler takes thousands of inputs a second, the OCSP one
#: hundreds; the API and the CLI go through the whole service or command per input (tens a
#: second), so they get fewer inputs, each deeper.
SHARES = {"apdu": 0.771, "ocsp": 0.15, "verifier": 0.05, "cli": 0.02, "api": 0.006, "api-flow": 0.003}


def campaign(budget: int, seed: int, only: list[str], verifier: str | None, workdir: Path) -> list:
    from tests.fuzz import apdu, api, cli, ocsp, store
    from tests.fuzz import verifier as verifier_target
    from tests.fuzz.common import Tally

    # --only runs that part of the full campaign (the shares are not spread over the rest)
    shares = {k: v for k, v in SHARES.items() if not only or k in only}
    counts = {k: max(1, int(budget * v)) for k, v in shares.items()}
    fs = store.build(workdir) if set(counts) & {"ocsp", "cli", "api", "api-flow"} else None
    tallies: list[Tally] = []
    for target, n in counts.items():
        started = time.monotonic()
        print(f"{target}: {n:,d} inputs ...", flush=True)
        if target == "apdu":
            t = apdu.run(n, seed)
        elif target == "ocsp":
            t = ocsp.run(n, fs, seed)
        elif target == "cli":
            t = cli.run(n, fs, workdir, seed)
        elif target == "api":
            t = api.run(n, fs, seed)
        elif target == "api-flow":
            t = api.run_stateful(n, fs, seed)
        elif verifier:
            t = verifier_target.run(n, verifier_target.load(verifier), seed)
        else:
            t = verifier_target.run_office(n, workdir / "verifier", seed)
        tallies.append(t)
        print(f"  {t.line()}  ({time.monotonic() - started:.0f} s)", flush=True)
        for f in t.findings:
            print(f"    {f}", flush=True)
    return tallies


def main() -> int:
    ap = argparse.ArgumentParser(prog="python -m tests.fuzz", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--budget", type=int, default=1_000_000, help="inputs in all")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--only", default="", help="comma-separated targets: " + ", ".join(SHARES))
    ap.add_argument("--verifier", default=None,
                    help="module:function of another signature verifier to fuzz (default: the office's)")
    args = ap.parse_args()
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="mynacard-fuzz-") as tmp:
        tallies = campaign(args.budget, args.seed, [x for x in args.only.split(",") if x], args.verifier, Path(tmp))
    print(f"\nfuzz campaign: {sum(t.inputs for t in tallies):,d} inputs in {time.monotonic() - started:.0f} s")
    for t in tallies:
        print("  " + t.line())
    from tests.fuzz.common import is_known

    findings = [f for t in tallies for f in t.findings]
    for f in findings:
        print(f"  {'known, being fixed on another branch: ' if is_known(f) else ''}{f}")
    return 1 if any(not is_known(f) for f in findings) else 0


if __name__ == "__main__":
    os.environ.setdefault("PYTHONWARNINGS", "ignore::DeprecationWarning")
    sys.exit(main())
