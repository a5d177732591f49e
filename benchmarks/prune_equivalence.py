"""Do guard's rules (or bandit) find the same with the pruned tree (guard/prune.py) as with the whole file?

Runs the rules alone (or, with ``--analyzer bandit``, bandit alone; no other tools, no property tests) over every fixture case, or over the release
diffs of release_diffs.py's sets read while tuning (TUNED, HELD_OUT, HELD_OUT_2, HELD_OUT_3), twice
per patch in one warm session per repo: once with ``guard.changes.PRUNE`` off, once on. Prints each
case whose findings differ, and the CPU time the analyzer took both ways (bandit's run on the
original tree, made only when the patched tree has findings, is cached between the two).

    .venv/bin/python benchmarks/prune_equivalence.py fixtures|releases [--analyzer rules|bandit]
"""

from __future__ import annotations

import argparse
import itertools
import sys
import time
from pathlib import Path

from fixtures_eval import FIXTURES, load_cases
from release_diffs import SETS, fetch, release_diff

import guard.changes
from guard.session import Session

RELEASE_SETS = ("tuned", "held-out", "held-out-2", "held-out-3")


def jobs(which: str) -> list[tuple[str, Path, str]]:
    if which == "fixtures":
        return [
            (f"{case.parent.name}/{case.name}", FIXTURES / "repos" / case.parent.name, (case / "patch.diff").read_text())
            for case, _ in load_cases()
        ]
    out = []
    for label in RELEASE_SETS:
        for name, versions in SETS[label].items():
            for a, b in itertools.pairwise(versions):
                old = fetch(name, a)
                out.append((f"{name} {a}->{b}", old, release_diff(old, fetch(name, b))[0]))
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("which", choices=["fixtures", "releases"])
    parser.add_argument("--analyzer", choices=["rules", "bandit"], default="rules")
    args = parser.parse_args()
    cases = jobs(args.which)
    cpu = {False: 0.0, True: 0.0}
    sessions: dict[Path, Session] = {}
    differing = 0
    for key, repo, diff in cases:
        found = {}
        for prune in (False, True):
            guard.changes.PRUNE = prune
            session = sessions.get(repo)
            if session is None:
                session = sessions[repo] = Session(
                    repo, analyzers=frozenset({args.analyzer}), budgets={args.analyzer: 600.0}
                )
            started = time.process_time()
            report = session.check(diff)
            cpu[prune] += time.process_time() - started
            found[prune] = sorted((s.finding.path, s.finding.line, s.finding.rule, s.finding.message) for s in report.findings)
        if found[True] != found[False]:
            differing += 1
            print("DIFF", key)
            for f in sorted(set(found[False]) - set(found[True])):
                print("   lost  ", f)
            for f in sorted(set(found[True]) - set(found[False])):
                print("   gained", f)
        sys.stdout.flush()
    for session in sessions.values():
        session.close()
    print(f"{args.which}: {len(cases)} cases, {differing} with different findings; "
          f"{args.analyzer} CPU whole files {cpu[False]:.1f} s, pruned {cpu[True]:.1f} s")  # fmt: skip
    return 1 if differing else 0


if __name__ == "__main__":
    sys.exit(main())
