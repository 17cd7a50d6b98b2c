"""How long the command takes to start: ``mynacard --help`` and one read-only command.

    python bench/startup.py [--runs 7] [--src path/to/other/checkout/src]

Each command runs ``--runs`` times in a fresh process (the first run of the read-only command
creates and migrates its database and is not counted); the median wall time is printed. The
tree's bytecode is compiled first, as a pip install does (``--no-compile``: as found). With
``--src`` the same commands run against another source tree (e.g. an older commit unpacked with
``git archive <commit> src | tar -x -C /tmp/old``) for a before/after on the same machine.
The last two lines: ``RESULT startup-help <s> 0.3 ratio=<s / 0.3> cpu=<s>`` and
``RESULT startup-readonly <s> 0.3 ratio=<s / 0.3> cpu=<s>`` (the goal is 0.3 s for both; the
read-only command is ``mynacard resident find``, which reads one table; ``cpu`` is the median
user + system time, steadier than wall time on a loaded machine).
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ENTRY = "from mynacard.cli.main import app; app(prog_name='mynacard')"


def timed(args: list[str], env: dict[str, str], runs: int) -> tuple[float, float]:
    """Median wall time and median CPU time (user + system) of ``runs`` fresh processes. On a shared
    machine the CPU time is the steadier figure: it does not count waiting for a core."""
    ts, cpu = [], []
    for _ in range(runs):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        t = time.perf_counter()
        subprocess.run([sys.executable, "-c", ENTRY, *args], env=env, capture_output=True, check=True)
        ts.append(time.perf_counter() - t)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    return statistics.median(ts), statistics.median(cpu)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--src", default=None, help="run against this source tree instead of the installed one")
    ap.add_argument("--no-compile", action="store_true",
                    help="do not compile the tree's bytecode first (an editable checkout under "
                         "PYTHONDONTWRITEBYTECODE=1 then compiles every module on every start)")
    a = ap.parse_args()
    env = dict(os.environ)
    if a.src:
        env["PYTHONPATH"] = str(Path(a.src).resolve())
    if not a.no_compile:  # as a pip install does: the figure is then that of an installed package
        tree = Path(a.src).resolve() if a.src else Path(subprocess.run(
            [sys.executable, "-c", "import mynacard, os; print(os.path.dirname(os.path.dirname(mynacard.__file__)))"],
            env=env, capture_output=True, text=True, check=True).stdout.strip())
        subprocess.run([sys.executable, "-m", "compileall", "-q", str(tree / "mynacard")], check=True,
                       env={k: v for k, v in env.items() if k != "PYTHONDONTWRITEBYTECODE"})
    with tempfile.TemporaryDirectory() as tmp:
        db = str(Path(tmp) / "s.db")
        env["MYNACARD_MASTER_KEY"] = "YmVuY2gtbWFzdGVyLWtleS0zMi1ieXRlcy1sb25nISE="
        subprocess.run([sys.executable, "-c", ENTRY, "--db", db, "events"], env=env, capture_output=True,
                       check=True)  # creates and migrates the store (not counted)
        t0 = []
        for _ in range(a.runs):
            t = time.perf_counter()
            subprocess.run([sys.executable, "-c", "pass"], env=env, check=True)
            t0.append(time.perf_counter() - t)
        python = statistics.median(t0)
        help_s, help_cpu = timed(["--help"], env, a.runs)
        read_s, read_cpu = timed(["--db", db, "resident", "find", "--name", "x"], env, a.runs)
    print(f"source: {a.src or 'installed'}, bytecode {'as found' if a.no_compile else 'compiled first'}; "
          f"{a.runs} runs each, median wall (CPU user+sys); load {os.getloadavg()}")
    print(f"python -c pass:          {python:.3f} s")
    print(f"mynacard --help:         {help_s:.3f} s ({help_cpu:.3f} s CPU)")
    print(f"mynacard resident find:  {read_s:.3f} s ({read_cpu:.3f} s CPU)")
    print(f"RESULT startup-help {help_s:.3f} 0.3 ratio={help_s / 0.3:.2f} cpu={help_cpu:.3f}")
    print(f"RESULT startup-readonly {read_s:.3f} 0.3 ratio={read_s / 0.3:.2f} cpu={read_cpu:.3f}")


if __name__ == "__main__":
    main()
