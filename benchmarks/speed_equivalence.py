"""Do the speed-ups of issue #7 leave every finding as it was?

Checks each patch twice in one warm session per repo: once with the speed-ups undone (libcst's
own PositionProvider instead of ``rulekit._positions``; the garbage collector left running during
checks), once as shipped, and compares everything a report says about findings: path, line,
column, end, rule, analyzer, message, severity, confidence, symbol, evidence, weight; and the
score; and the tool errors. Prints each patch whose reports differ. (Timings: see
``benchmarks/speed.py``; here the second check of a patch meets caches the first filled.)

    .venv/bin/python benchmarks/speed_equivalence.py fixtures|releases [--all-analyzers]

``fixtures``: every fixture case; ``releases``: the release diffs of the sets read while tuning
(those of prune_equivalence.py). Rules only unless ``--all-analyzers`` (then without executing
changed functions: property tests are random and run in another process, untouched by these
speed-ups).
"""

from __future__ import annotations

import argparse
import contextlib
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from prune_equivalence import jobs

import guard.rulekit
import guard.session
from guard.result import Report
from guard.session import Session

_SHIPPED: dict[str, Any] = {
    "positions": guard.rulekit._positions,
    "deferred": guard.session.collections_deferred,
}


def _libcst_positions(module: Any) -> Any:
    from libcst.metadata import MetadataWrapper, PositionProvider

    return MetadataWrapper(module, unsafe_skip_copy=True).resolve(PositionProvider)


@contextlib.contextmanager
def _not_deferred() -> Iterator[None]:
    yield


def configure(fast: bool) -> None:
    guard.rulekit._positions = _SHIPPED["positions"] if fast else _libcst_positions  # type: ignore[assignment]
    guard.session.collections_deferred = _SHIPPED["deferred"] if fast else _not_deferred  # type: ignore[assignment]


def facts(report: Report) -> list[Any]:
    out: list[Any] = [("score", report.score), *(("tool-error", e.analyzer, e.message) for e in report.tool_errors)]
    for s in report.findings:
        f = s.finding
        out.append((f.path, f.line, f.column, f.end_line, f.end_column, f.rule, f.analyzer, f.message,
                    str(f.severity), str(f.confidence), f.symbol, f.evidence, s.weight))  # fmt: skip
    return sorted(out, key=repr)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("which", choices=["fixtures", "releases"])
    parser.add_argument("--all-analyzers", action="store_true")
    args = parser.parse_args()
    cases = jobs(args.which)
    overrides: dict[str, Any] = (
        {"execute": False} if args.all_analyzers else {"analyzers": frozenset({"rules"}), "budgets": {"rules": 600.0}}
    )
    sessions: dict[Path, Session] = {}
    differing = 0
    for key, repo, diff in cases:
        found = {}
        for fast in (False, True):
            configure(fast)
            session = sessions.get(repo)
            if session is None:
                session = sessions[repo] = Session(repo, **overrides)
            found[fast] = facts(session.check(diff))
        if found[True] != found[False]:
            differing += 1
            print("DIFF", key)
            for f in sorted(set(found[False]) - set(found[True]), key=repr):
                print("   lost  ", f)
            for f in sorted(set(found[True]) - set(found[False]), key=repr):
                print("   gained", f)
        sys.stdout.flush()
    configure(True)
    for session in sessions.values():
        session.close()
    print(f"{args.which}{' all analyzers' if args.all_analyzers else ' rules only'}: {len(cases)} cases, "
          f"{differing} with different findings")  # fmt: skip
    return 1 if differing else 0


if __name__ == "__main__":
    sys.exit(main())
