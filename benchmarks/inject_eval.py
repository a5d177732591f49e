"""guard on real release diffs, as released and with realistic hallucinations injected.

For each pair of consecutive releases of release_diffs.py's sets (the release diff: correct code
that passed its project's review and tests), guard checks the diff as released (a *clean* case)
and the same diff with one hallucination injected by an operator of benchmarks/inject_static.py or
benchmarks/inject_edits.py (an *injected* case, one per class drawn for that diff). The checks of
one release pair share one warm ``guard.Session`` on the old release, as an assistant's would.

Each release pair is checked in a worker process run by the Python of its old release's dependency
environment (benchmarks/envs.py: that release's declared runtime dependencies installed, the package
itself not, guard's own venv appended), as a user runs guard in their project's virtualenv; envs are
created once under .bench/envs, and a pair whose env can't be created runs under this Python instead
(counted and printed). ``--no-deps`` runs every pair under this Python.

Findings are cached in .bench/inject_findings.jsonl (``--recheck`` redoes them); scores are
recomputed from the findings with the shipped model (or ``--model FILE``), so a refit needs no
rerun. Printed: per class, how many injected diffs guard fails (caught), how many of those whose
clean diff passes (caught on its own), and how many have a counting finding within a line of the
injection (located); and the share of clean diffs failed (false alarms).

    .venv/bin/python benchmarks/inject_eval.py [--set fit|NAME|all] [--only six,tomli] [--classes-per-diff 4] [--classes C1,C2]
        [--max-lines 800] [--jobs 2] [--recheck] [--report-only] [--model FILE] [--cache FILE] [--no-deps]
"""

from __future__ import annotations

import argparse
import json
import pickle
import random
import subprocess
import sys
import time
from collections import defaultdict
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import asdict
from pathlib import Path
from typing import Any

import envs
import inject_edits  # noqa: F401  (registers operators)
import inject_static  # noqa: F401  (registers operators)
from fit_score import ROOT, facts_from_json, finding_from_json, finding_json, read_rows, write_rows
from injections import CLASSES, OPERATORS, Injection, Target, injected_diff, targets
from release_diffs import BUDGETS, FIT_SETS, SETS, release_diff, selected, set_of

from guard.diff import parse_patch
from guard.findings import Severity
from guard.score import Model, PatchFacts, load_model, model_from_json, score

CACHE = ROOT / ".bench" / "inject_findings.jsonl"


def choose(target: Target, classes_per_diff: int, seed: int) -> list[Injection]:
    """Up to ``classes_per_diff`` injections into ``target``, each of a different class: classes
    drawn at random, and for each the operators tried in random order until one finds a site."""
    rng = random.Random(f"{seed}:{target.key}")
    order = list(CLASSES)
    rng.shuffle(order)
    out: list[Injection] = []
    for cls in order:
        if len(out) >= classes_per_diff:
            break
        ops = list(OPERATORS.get(cls, []))
        rng.shuffle(ops)
        for op in ops:
            try:
                injection = op(target, random.Random(f"{seed}:{target.key}:{cls}:{op.__name__}"))
            except Exception as exc:
                print(f"  operator {op.__name__} failed on {target.key}: {exc!r}", file=sys.stderr)
                continue
            if injection is not None:
                out.append(injection)
                break
    return out


def run_target(target: Target, jobs: list[tuple[str, Injection | None]]) -> list[dict[str, Any]]:
    """Check each job's diff (the clean release diff, or an injected one) in one warm session."""
    from guard.session import Session

    rows = []
    with Session(target.old, budgets=BUDGETS) as session:
        for key, injection in jobs:
            if injection is None:
                diff, added = release_diff(target.old, target.new)
            else:
                diff, added = injected_diff(target, injection)
            started = time.perf_counter()
            report = session.check(diff)
            rows.append({
                "key": key, "release": target.key, "package": target.package, "set": set_of(target.package),
                "kind": "clean" if injection is None else "injected",
                "cls": None if injection is None else injection.cls,
                "description": None if injection is None else injection.description,
                "path": None if injection is None else injection.path,
                "line": None if injection is None else injection.line,
                "added": added, "facts": asdict(PatchFacts.from_patch(parse_patch(diff))),
                "seconds": round(time.perf_counter() - started, 2), "env": _env_name(),
                "findings": [finding_json(s.finding) for s in report.findings],
                "tool_errors": [f"{e.analyzer}: {e.message}" for e in report.tool_errors],
                "notes": [f"{n.analyzer}: {n.message}" for n in report.notes if n.analyzer == "properties"],
            })  # fmt: skip
    return rows


def _env_name() -> str | None:
    """The dependency env this worker runs in (benchmarks/envs.py), None under guard's own venv."""
    prefix = Path(sys.prefix).resolve()
    return prefix.name if prefix.parent == envs.ENVS.resolve() else None


def plan(
    which: str, only: set[str], classes_per_diff: int, max_lines: int, seed: int, classes: set[str] | None = None
) -> list[tuple[Target, list[tuple[str, Injection | None]]]]:
    """Each release diff's checks: the clean diff and its injections; with ``classes``, only the
    injections of those classes (drawn exactly as without it, the others dropped), no clean check."""
    out = []
    if which == "fit":
        releases = {n: v for label in FIT_SETS for n, v in selected(only, label).items()}
    else:
        releases = selected(only, which)
    for target in targets(releases):
        diff, added = release_diff(target.old, target.new)
        if not diff or added > max_lines:
            continue
        jobs: list[tuple[str, Injection | None]] = [] if classes else [(f"{target.key} | clean", None)]
        for injection in choose(target, classes_per_diff, seed):
            if not classes or injection.cls in classes:
                jobs.append((f"{target.key} | {injection.cls} | {injection.description}", injection))
        if jobs:
            out.append((target, jobs))
    return out


_ROWS = "@@inject_eval rows@@ "


def worker() -> int:
    """``--worker``: one release pair's checks, pickled on stdin; its rows on stdout, after a marker."""
    target, jobs = pickle.load(sys.stdin.buffer)
    rows = run_target(target, jobs)
    sys.stdout.write(_ROWS + json.dumps(rows) + "\n")
    return 0


def run_in(python: Path, target: Target, jobs: list[tuple[str, Injection | None]]) -> list[dict[str, Any]]:
    """``run_target`` in a worker process run by ``python`` (an env's, or this one)."""
    done = subprocess.run(
        [str(python), str(Path(__file__).resolve()), "--worker"], input=pickle.dumps((target, jobs)),
        capture_output=True, cwd=ROOT,
    )  # fmt: skip
    for line in reversed(done.stdout.decode(errors="replace").splitlines()):
        if line.startswith(_ROWS):
            rows: list[dict[str, Any]] = json.loads(line[len(_ROWS) :])
            return rows
    raise RuntimeError(f"worker under {python} exited {done.returncode}: {done.stderr.decode(errors='replace')[-1500:]}")


def pythons(targets: Sequence[Target], deps: bool) -> dict[str, Path]:
    """Each release pair's worker Python: its old release's env (created if need be) with ``deps``,
    this one without, or where the env can't be created (those counted on stderr)."""
    here = Path(sys.executable)
    if not deps:
        return {t.key: here for t in targets}
    out: dict[str, Path] = {}
    fallbacks: list[str] = []
    for t in targets:
        python = envs.ensure(envs.plan_env(t.package, t.old_version))
        if python is None:
            fallbacks.append(t.key)
        out[t.key] = python or here
    ready = len(targets) - len(fallbacks)
    print(f"dependency envs: {ready} release pairs in their old release's env, {len(fallbacks)} fall back to "
          f"{here}" + (f": {', '.join(fallbacks)}" if fallbacks else ""), file=sys.stderr)  # fmt: skip
    return out


def run(
    work: Sequence[tuple[Target, list[tuple[str, Injection | None]]]], recheck: bool, jobs: int, path: Path = CACHE,
    deps: bool = True,
) -> None:
    cache = read_rows(path)
    todo = [(t, [j for j in js if recheck or j[0] not in cache]) for t, js in work]
    todo = [(t, js) for t, js in todo if js]
    total = sum(len(js) for _, js in todo)
    print(f"{sum(len(js) for _, js in work)} checks planned, {total} to run ({len(todo)} release pairs)", file=sys.stderr)
    python = pythons([t for t, _ in todo], deps)
    done = 0
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        futures = {pool.submit(run_in, python[t.key], t, js): t for t, js in todo}
        for future in as_completed(futures):
            target = futures[future]
            try:
                rows = future.result()
            except Exception as exc:
                print(f"  {target.key}: check failed: {exc!r}", file=sys.stderr)
                continue
            for row in rows:
                cache[row["key"]] = row
            write_rows(path, cache)
            done += len(rows)
            elapsed = time.perf_counter() - started
            print(f"  [{done}/{total}] {target.key}: {len(rows)} checks, {elapsed:.0f}s elapsed", file=sys.stderr)


def report(
    work: Sequence[tuple[Target, list[tuple[str, Injection | None]]]], model: Model, threshold: float,
    path: Path = CACHE,
) -> None:
    cache = read_rows(path)
    rows = [cache[key] for _, js in work for key, _ in js if key in cache]
    scored: dict[str, float] = {}
    top: dict[str, str] = {}  # the three heaviest findings, for the report's lines
    for row in rows:
        findings = [finding_from_json(f) for f in row["findings"]]
        facts = facts_from_json(row["facts"])
        scored[row["key"]], weighed = score(findings, facts, model)
        top[row["key"]] = "; ".join(
            f"{s.finding.rule} {s.weight:.2f} @{s.finding.path}:{s.finding.line}" for s in weighed[:3] if s.weight > 0
        )
    clean = {r["release"]: r for r in rows if r["kind"] == "clean"}
    by_class: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in rows:
        if r["kind"] == "injected":
            by_class[r["cls"]].append(r)
    print(f"\n{len(clean)} release diffs, {sum(len(v) for v in by_class.values())} injected variants; threshold {threshold:g}")
    print(f"  {'class':26} {'caught':>12} {'clean passes':>14} {'caught of those':>16} {'located':>10}")
    all_caught = all_n = 0
    for cls in CLASSES:
        cases = by_class.get(cls, [])
        if not cases:
            print(f"  {cls:26} {'no injections':>12}")
            continue
        caught = [scored[r["key"]] >= threshold for r in cases]
        base_pass = [r for r in cases if r["release"] in clean and scored[clean[r["release"]]["key"]] < threshold]
        caught_alone = sum(scored[r["key"]] >= threshold for r in base_pass)
        located = sum(_located(r) for r in cases)
        all_caught += sum(caught)
        all_n += len(cases)
        print(f"  {cls:26} {sum(caught):4d}/{len(cases):<3d} {sum(caught) / len(cases):5.1%} "
              f"{len(base_pass):8d}      {caught_alone:4d}/{len(base_pass):<3d} {caught_alone / max(len(base_pass), 1):5.1%} "
              f"{located:4d}/{len(cases):<3d}")  # fmt: skip
    if all_n:
        print(f"  {'all injected':26} {all_caught:4d}/{all_n:<3d} {all_caught / all_n:5.1%}")
    failed = [r for r in clean.values() if scored[r["key"]] >= threshold]
    print(f"  clean release diffs failed: {len(failed)}/{len(clean)} = {len(failed) / max(len(clean), 1):.1%}")
    for r in failed:
        print(f"    {r['release']:36} {scored[r['key']]:.2f}  {top[r['key']]}")
    missed = [r for v in by_class.values() for r in v if scored[r["key"]] < threshold]
    print(f"  missed injections: {len(missed)}")
    for r in missed:
        print(f"    {r['cls']:24} {scored[r['key']]:.2f}  {r['release']}: {r['description'][:90]} @{r['path']}:{r['line']}")


def _located(row: dict[str, Any]) -> bool:
    return any(
        f["path"] == row["path"] and abs(f["line"] - row["line"]) <= 1 and f["severity"] != Severity.INFO.label
        for f in row["findings"]
    )


def arguments() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--set", choices=["fit", "all", *SETS], default="fit",
                        help="fit: every set a fit may use (all but the held-out estimate)")
    parser.add_argument("--only", default="", help="comma-separated package names")
    parser.add_argument("--classes-per-diff", type=int, default=4)
    parser.add_argument("--classes", default="", help="comma-separated: only injections of these classes, no clean checks")
    parser.add_argument("--max-lines", type=int, default=800, help="skip release diffs adding more lines")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--threshold", type=float, default=0.5)
    parser.add_argument("--recheck", action="store_true")
    parser.add_argument("--report-only", action="store_true")
    parser.add_argument("--model", type=Path, help="a score model JSON (default: the shipped one)")
    parser.add_argument("--cache", type=Path, default=CACHE, help=f"findings cache (default: {CACHE.relative_to(ROOT)})")
    parser.add_argument("--deps", action=argparse.BooleanOptionalAction, default=True,
                        help="check each release pair in its old release's dependency env (benchmarks/envs.py); "
                             "--no-deps: every pair under this Python, as before")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    return parser


def main() -> int:
    parser = arguments()
    args = parser.parse_args()
    if args.worker:
        return worker()
    only = {n for n in args.only.split(",") if n}
    classes = {c for c in args.classes.split(",") if c}
    unknown = classes - set(CLASSES)
    if unknown:
        parser.error(f"unknown class(es): {', '.join(sorted(unknown))}; known: {', '.join(CLASSES)}")
    work = plan(args.set, only, args.classes_per_diff, args.max_lines, args.seed, classes)
    if not args.report_only:
        run(work, args.recheck, args.jobs, args.cache, args.deps)
    model = model_from_json(json.loads(args.model.read_text())) if args.model else load_model()
    report(work, model, args.threshold, args.cache)
    return 0


if __name__ == "__main__":
    sys.exit(main())
