"""How fast the command line answers: ``chestpain --help`` as a whole process, as a ratio to a bare Typer import.

1. ``chestpain --help`` and ``chestpain simulate --help``, each a fresh process (console script of this venv).
2. Baseline: ``python -c "import typer"``, the least any Typer command line can take.

Best of ``--repeats`` for each, interleaved so that machine load hits both alike. Goal: ``chestpain --help`` <= 0.5 s.

Usage: python benchmarks/bench_cli_start.py [--repeats 7]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

TRIAGE = Path(sys.executable).with_name("chestpain")
GOAL_SECONDS = 0.5


def seconds(command: list[str]) -> float:
    env = {**os.environ, "MLFLOW_DISABLE_TELEMETRY": "true"}
    start = time.perf_counter()
    subprocess.run(command, env=env, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    commands = {
        "chestpain --help": [str(TRIAGE), "--help"],
        "chestpain simulate --help": [str(TRIAGE), "simulate", "--help"],
        "python -c 'import typer'": [sys.executable, "-c", "import typer"],
    }
    for command in commands.values():  # warm the file cache for all alike
        seconds(command)
    times: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(args.repeats):
        for name, command in commands.items():
            times[name].append(seconds(command))
    bare = min(times["python -c 'import typer'"])
    print(f"bare `python -c 'import typer'`: best {bare:.3f} s of {args.repeats}")
    for name in ("chestpain --help", "chestpain simulate --help"):
        best = min(times[name])
        verdict = "meets" if best <= GOAL_SECONDS else "misses"
        print(f"`{name}`: best {best:.3f} s = {best / bare:.2f}x the bare Typer import ({verdict} the goal <= 0.5 s)")


if __name__ == "__main__":
    main()
