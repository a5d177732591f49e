"""CPU time of guard's own process over many checks in one warm session, without execution.

Wall-clock latency on a shared machine moves with its load (benchmarks/speed.py reports the
naive tools' times beside guard's for that reason); the CPU time of the session's process does
much less, so this is how changes to the in-process stages (rules, resolution, parsing) are
compared between commits. Each target is one session: a fixture repo (every patch of it, in
order) or a release pair ``name:old:new`` (its diff, once, as speed.py's timed check). The
session first checks speed.py's untimed warm-up patch. The mypy daemon and the property sandbox
run in other processes and are not counted; ``--profile FILE`` writes a cProfile of the timed
checks (main thread only).

    .venv/bin/python benchmarks/session_cpu.py textkit ledger [cachetools:5.4.0:5.5.0] [--profile out.prof]
"""

from __future__ import annotations

import argparse
import cProfile
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from release_diffs import fetch, release_diff
from speed import FIXTURES, warmup_diff

import guard


def targets(specs: list[str]) -> list[tuple[str, Path, list[str]]]:
    out = []
    for spec in specs:
        if spec.count(":") == 2:
            name, old, new = spec.split(":")
            repo = fetch(name, old)
            out.append((spec, repo, [release_diff(repo, fetch(name, new))[0]]))
        else:
            cases = sorted((FIXTURES / "cases" / spec).glob("*/patch.diff"))
            out.append((spec, FIXTURES / "repos" / spec, [p.read_text() for p in cases]))
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("targets", nargs="+", help="fixture repo names or name:old:new release pairs")
    parser.add_argument("--profile", type=Path, help="write a cProfile of the timed checks here")
    args = parser.parse_args()
    profiler = cProfile.Profile() if args.profile else None
    print(f"guard from {Path(guard.__file__).parent}")
    for label, repo, diffs in targets(args.targets):
        with guard.Session(repo, execute=False) as session:
            session.warm_up()
            warm = warmup_diff(repo)
            if warm:
                session.check(warm)
            costs = []
            for diff in diffs:
                started = time.process_time()
                if profiler is not None:
                    profiler.enable()
                session.check(diff)
                if profiler is not None:
                    profiler.disable()
                costs.append(time.process_time() - started)
        slowest = ", ".join(f"{c:.2f}" for c in sorted(costs)[-4:])
        print(f"{label}: {len(diffs)} checks, CPU {sum(costs):.2f} s, slowest {slowest} s")
    if profiler is not None:
        profiler.dump_stats(args.profile)
    return 0


if __name__ == "__main__":
    sys.exit(main())
