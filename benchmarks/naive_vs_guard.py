"""guard against the naive baseline, on the fixture cases, in one run.

For every case under fixtures/cases: run `guard check` as a fresh process (cold start, what a CI step
pays), and the naive sequence a developer would run by hand — ruff, mypy and bandit on the touched
files before the patch, then again after it — in a scratch copy of the repo. Both keep their caches
between cases (guard under a scratch GUARD_CACHE_DIR, naive mypy in the scratch copy), so neither
pays mypy's first-ever start more than once per repo.

Naive flags a patch when after the patch any tool reports a (tool, code, message) more often than
before it. Prints per-case rows to --out and a summary: median and p95 wall time, detection per
class, false alarms on clean cases.

    python benchmarks/naive_vs_guard.py [--limit N] [--repo NAME] [--out .bench/naive_vs_guard.jsonl]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path

import tomllib

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"
BIN = Path(sys.executable).parent


def cases(repo_filter: str | None) -> list[Path]:
    found = sorted(p.parent for p in (FIXTURES / "cases").glob("*/*/patch.diff"))
    return [c for c in found if repo_filter in (None, c.parent.name)]


def touched_python(diff: str) -> list[str]:
    paths = re.findall(r"^\+\+\+ b/(\S+\.py)(?:\t.*)?$", diff, flags=re.M)
    return sorted(set(paths))


def naive_findings(workdir: Path, files: list[str], cache: Path) -> Counter[tuple[str, str, str]]:
    present = [f for f in files if (workdir / f).exists()]
    found: Counter[tuple[str, str, str]] = Counter()
    if not present:
        return found
    ruff = subprocess.run(
        [str(BIN / "ruff"), "check", "--no-cache", "--output-format", "json", *present],
        cwd=workdir, capture_output=True, text=True, check=False,
    )  # fmt: skip
    for item in json.loads(ruff.stdout or "[]"):
        found[("ruff", str(item.get("code")), item.get("message", ""))] += 1
    mypy = subprocess.run(
        [sys.executable, "-m", "mypy", "--cache-dir", str(cache), "-O", "json", *present],
        cwd=workdir, capture_output=True, text=True, check=False,
    )  # fmt: skip
    for raw in mypy.stdout.splitlines():
        if raw.startswith("{"):
            item = json.loads(raw)
            if item.get("severity") == "error":
                found[("mypy", str(item.get("code")), re.sub(r"line \d+", "line N", item["message"]))] += 1
    bandit = subprocess.run(
        [sys.executable, "-m", "bandit", "-f", "json", "-q", *present],
        cwd=workdir, capture_output=True, text=True, check=False,
    )  # fmt: skip
    for item in json.loads(bandit.stdout or "{}").get("results", []):
        found[("bandit", item["test_id"], item["issue_text"])] += 1
    return found


def run_naive(case: Path, scratch: Path) -> tuple[float, bool]:
    repo_name = case.parent.name
    work = scratch / "naive" / repo_name
    if work.exists():
        shutil.rmtree(work)
    shutil.copytree(FIXTURES / "repos" / repo_name, work)
    diff = (case / "patch.diff").read_text()
    files = touched_python(diff)
    cache = scratch / "naive-mypy-cache" / repo_name
    started = time.perf_counter()
    before = naive_findings(work, files, cache)
    applied = subprocess.run(
        ["git", "apply", "-p1", str(case / "patch.diff")], cwd=work, capture_output=True, check=False
    )
    after = naive_findings(work, files, cache)
    elapsed = time.perf_counter() - started
    if applied.returncode != 0:
        raise SystemExit(f"{case}: patch does not apply: {applied.stderr.decode()}")
    return elapsed, bool(after - before)


def run_guard(case: Path, env: dict[str, str]) -> tuple[float, dict[str, object]]:
    repo = FIXTURES / "repos" / case.parent.name
    started = time.perf_counter()
    proc = subprocess.run(
        [str(BIN / "guard"), "check", str(case / "patch.diff"), "--repo", str(repo), "--format", "json"],
        capture_output=True, text=True, env=env, check=False,
    )  # fmt: skip
    elapsed = time.perf_counter() - started
    if proc.returncode not in (0, 1):
        raise SystemExit(f"{case}: guard exited {proc.returncode}: {proc.stderr.strip()}")
    report: dict[str, object] = json.loads(proc.stdout)
    return elapsed, report


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--limit", type=int, default=0, help="only the first N cases")
    parser.add_argument("--repo", help="only cases of this fixture repo")
    parser.add_argument("--out", type=Path, default=ROOT / ".bench" / "naive_vs_guard.jsonl")
    args = parser.parse_args()
    selected = cases(args.repo)[: args.limit or None]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix="guard-bench-"))
    env = {**os.environ, "GUARD_CACHE_DIR": str(scratch / "guard-cache")}
    rows = []
    try:
        for n, case in enumerate(selected, 1):
            meta = tomllib.loads((case / "case.toml").read_text())
            naive_s, naive_flag = run_naive(case, scratch)
            guard_s, report = run_guard(case, env)
            classes = sorted({e["class"] for e in meta.get("expect", [])}) or ["clean"]
            row = {
                "case": f"{case.parent.name}/{case.name}", "label": meta["label"], "classes": classes,
                "guard_s": round(guard_s, 3), "naive_s": round(naive_s, 3),
                "guard_flag": report["verdict"] == "fail", "naive_flag": naive_flag,
                "score": report["score"],
            }  # fmt: skip
            rows.append(row)
            print(f"[{n}/{len(selected)}] {row['case']}: guard {guard_s:.2f}s "
                  f"{'FAIL' if row['guard_flag'] else 'pass'}, naive {naive_s:.2f}s "
                  f"{'FAIL' if naive_flag else 'pass'} ({meta['label']})", file=sys.stderr)  # fmt: skip
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    args.out.write_text("".join(json.dumps(r) + "\n" for r in rows))
    summarize(rows)


def summarize(rows: list[dict[str, object]]) -> None:
    guard_t = [float(r["guard_s"]) for r in rows]  # type: ignore[arg-type]
    naive_t = [float(r["naive_s"]) for r in rows]  # type: ignore[arg-type]
    print(f"\ncases: {len(rows)}")
    print(f"{'':24}{'guard':>10}{'naive':>10}{'ratio':>8}")
    for name, q in (("median wall time (s)", 0.5), ("p95 wall time (s)", 0.95)):
        g, n = percentile(guard_t, q), percentile(naive_t, q)
        print(f"{name:24}{g:>10.2f}{n:>10.2f}{g / n:>8.2f}")
    per_class: dict[str, list[tuple[bool, bool]]] = defaultdict(list)
    for r in rows:
        for cls in r["classes"]:  # type: ignore[attr-defined]
            per_class[cls].append((bool(r["guard_flag"]), bool(r["naive_flag"])))
    print(f"\n{'class':26}{'n':>4}{'guard':>9}{'naive':>9}   (share flagged)")
    for cls in sorted(per_class, key=lambda c: (c == "clean", c)):
        flags = per_class[cls]
        g = sum(a for a, _ in flags) / len(flags)
        nv = sum(b for _, b in flags) / len(flags)
        print(f"{cls:26}{len(flags):>4}{g:>9.0%}{nv:>9.0%}")
    bad = [r for r in rows if r["label"] != "clean"]
    clean = [r for r in rows if r["label"] == "clean"]
    if bad:
        print(f"\nhallucinated caught: guard {sum(bool(r['guard_flag']) for r in bad) / len(bad):.0%}, "
              f"naive {sum(bool(r['naive_flag']) for r in bad) / len(bad):.0%} of {len(bad)}")  # fmt: skip
    if clean:
        print(f"false alarms on clean: guard {sum(bool(r['guard_flag']) for r in clean) / len(clean):.0%}, "
              f"naive {sum(bool(r['naive_flag']) for r in clean) / len(clean):.0%} of {len(clean)}")  # fmt: skip


if __name__ == "__main__":
    main()
