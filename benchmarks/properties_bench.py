"""Median wall time per changed function of the properties stage over the test fixtures.

Run: python benchmarks/properties_bench.py [ROUNDS]. Each round runs every fixture case once
(one sandboxed child per case) and divides the stage time by the number of functions.
`python benchmarks/properties_bench.py --fixtures [N]` does the same over the fixture corpus
(fixtures/cases), with exactly the functions `guard check` would run."""

from __future__ import annotations

import shutil
import statistics
import sys
import tempfile
from pathlib import Path

from guard.checks.properties import ChangedFunction, ModuleVersions, run_properties

DATA = Path(__file__).resolve().parent.parent / "tests" / "data" / "properties"
CASES = {
    "flip": ["is_below"],
    "dynamic": ["transform", "scaled"],
    "refactor": ["squares_of_evens", "count_words", "normalize_spaces", "Basket.total"],
    "misc": ["encode_pair", "decode_pair", "clean_level", "apply", "fresh"],
    "crash": ["leave", "clamp"],
}


def main(rounds: int) -> None:
    repo = Path(tempfile.mkdtemp(prefix="guard-bench-"))
    repo.chmod(0o755)
    (repo / "pkg").mkdir(mode=0o755)
    (repo / "pkg" / "__init__.py").write_text("")
    shutil.copy(DATA / "helpers.py", repo / "pkg" / "helpers.py")
    per_function: list[float] = []
    try:
        for _ in range(rounds):
            for case, names in CASES.items():
                before = (DATA / f"{case}.before.py").read_text()
                after = (DATA / f"{case}.after.py").read_text()
                (repo / "pkg" / "mod.py").write_text(before)
                functions = [ChangedFunction("pkg/mod.py", n, n in ("apply", "fresh"))
                             for n in names]
                result = run_properties(repo, [ModuleVersions("pkg/mod.py", before, after)],
                                        functions)
                per_function.append(result.elapsed_s / len(names))
                print(f"{case:9s} {len(names)} functions {result.elapsed_s:6.3f} s "
                      f"findings={len(result.findings)}")
    finally:
        shutil.rmtree(repo, ignore_errors=True)
    print(f"median per changed function over {len(per_function)} case runs: "
          f"{statistics.median(per_function):.3f} s "
          f"(min {min(per_function):.3f}, max {max(per_function):.3f})")
    print(f"isolation: {', '.join(result.isolation)}")




def fixtures(limit: int = 0) -> None:
    """The stage over the fixture corpus: what `guard check` runs for each case, timed alone."""
    import tomllib

    from guard.api import check_patch
    from guard.changes import analyse_file
    from guard.diff import parse_patch
    from guard.pipeline import property_subjects
    from guard.workspace import build_workspace

    root = Path(__file__).resolve().parent.parent / "fixtures"
    per_function: list[float] = []
    cases = sorted((root / "cases").glob("*/*/patch.diff"))[: limit or None]
    for patch in cases:
        repo = root / "repos" / patch.parent.parent.name
        diff = patch.read_text()
        with build_workspace(repo, parse_patch(diff)) as ws:
            _, functions = property_subjects([analyse_file(f) for f in ws.files])
        if not functions:
            continue
        report = check_patch(diff, repo, analyzers=frozenset({"properties"}))
        per_function.append(report.timings["properties"] / len(functions))
        label = tomllib.loads((patch.parent / "case.toml").read_text())["label"]
        print(f"{patch.parent.parent.name}/{patch.parent.name} ({label}): {len(functions)} function(s), "
              f"{report.timings['properties']:.2f} s", file=sys.stderr)  # fmt: skip
    print(f"fixture cases with changed functions: {len(per_function)}")
    print(f"seconds per changed function: median {statistics.median(per_function):.3f}, "
          f"p95 {sorted(per_function)[int(0.95 * (len(per_function) - 1))]:.3f}, max {max(per_function):.3f}")  # fmt: skip


if __name__ == "__main__":
    if sys.argv[1:2] == ["--fixtures"]:
        fixtures(int(sys.argv[2]) if len(sys.argv) > 2 else 0)
    else:
        main(int(sys.argv[1]) if len(sys.argv) > 1 else 3)
