"""Median wall time per changed function of the properties stage over the test fixtures.

Run: python benchmarks/properties_bench.py [ROUNDS]. Each round runs every fixture case once
(one sandboxed child per case) and divides the stage time by the number of functions."""

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


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 3)
