"""How fast guard is, cold and warm, against the naive ruff + mypy + bandit sequence, in one run.

Patches:

- the fixture patches (``fixtures/cases/*/*/patch.diff`` against ``fixtures/repos/<repo>``);
- real release diffs: consecutive released versions of well-known pure-Python packages, fetched
  with ``pip download --no-deps --no-binary :all:`` into ``.bench/`` at run time (the helpers and
  the list of releases are those of ``benchmarks/release_diffs.py``). The repo is the unpacked
  older version; the patch is the diff to the newer one, ``.py`` files only. A release diff is
  capped at ``--max-lines`` changed lines: whole files are kept in diff order while the total
  fits, a file that would overflow it is left out (the number of left-out files is printed).

Measured, per patch:

- cold: one ``guard check PATCH --repo R --format json`` process per patch;
- warm: one process holding one ``guard.Session`` per repo, checks in sequence, with the
  property-test stage on at its default budget and again with ``execute=False`` (``--no-exec``).
  Each session first starts its resident helpers (``Session.warm_up``: the mypy daemon's
  whole-repo build, the property-test fork server) and checks an untimed warm-up patch (a comment appended to up to 10 of the
  repo's files), as an assistant's session would have checked earlier patches; every timed
  patch is then checked once per session, so no timed check is answered from a cache entry of
  the same patch. Fixture repos and release repos run in separate processes;
- naive: ``ruff check``, ``mypy`` and ``bandit`` with default configurations on the touched
  files, before the patch and again after it, sequentially, in a scratch copy of the repo;
- patch tokens: the added and removed lines of the diff, each tokenised on its own with Python's
  ``tokenize`` module (every token but NEWLINE/NL/INDENT/DEDENT/ENDMARKER; a line that does not
  tokenise alone, e.g. inside a triple-quoted string, counts its ``\\w+|\\S`` runs). Tokens per
  second = a patch's tokens / its latency; the median is over patches;
- peak memory: VmHWM of the warm-session process plus those of its resident helpers (the mypy
  daemon and the property-job zygotes' process trees), and separately the largest RSS of any child
  it waited for (ruff, the property-test sandbox when no zygote runs). Both include the warm-up checks: on the
  release repos the peak comes from a warm-up that touches idna's 8,600-line ``uts46data.py``
  (a whole-file libcst tree in the session, mypy in the child); the timed patches stay near
  110 MB.

All guard runs share one scratch cache directory (``GUARD_CACHE_DIR``: mypy's caches and the
environment tables and module summaries of ``guard.persist``) and naive mypy keeps one cache per
repo, so neither pays mypy's first-ever start on every patch (the first run of a repo does, for
both). guard's modules are byte-compiled first, as pip leaves an installed package. A patch's latency is its best of ``--repeat`` runs: on a shared machine load only ever adds
time. Targets are reported, never asserted.

    .venv/bin/python benchmarks/speed.py [--fixtures N] [--only six,tomli] [--repeat R]
        [--max-lines 400] [--skip-cold] [--skip-naive] [--out .bench/speed.json]
"""

from __future__ import annotations

import argparse
import compileall
import io
import itertools
import json
import math
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import tokenize
from collections import defaultdict
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from naive_vs_guard import naive_findings, touched_python  # noqa: E402
from release_diffs import RELEASES, fetch, release_diff  # noqa: E402

from guard.diff import parse_patch  # noqa: E402

FIXTURES = ROOT / "fixtures"
BENCH = ROOT / ".bench"
BIN = Path(sys.executable).parent
TARGET_TOKENS_S = 2000.0
TARGET_P95_S = 1.0
TARGET_LINES = 200
TARGET_RSS_MB = 600.0
_SKIP_TOKENS = {tokenize.NEWLINE, tokenize.NL, tokenize.INDENT, tokenize.DEDENT, tokenize.ENDMARKER}


@dataclass
class Item:
    id: str
    kind: str  # "fixture" | "release"
    repo: str
    patch: str
    changed: int
    tokens: int


# --- the patches ---------------------------------------------------------------------------


def count_tokens(line: str) -> int:
    try:
        toks = tokenize.generate_tokens(io.StringIO(line.strip() + "\n").readline)
        return sum(1 for t in toks if t.type not in _SKIP_TOKENS)
    except (tokenize.TokenError, IndentationError, SyntaxError):
        return len(re.findall(r"\w+|\S", line))


def measure(diff: str) -> tuple[int, int]:
    """Changed lines (added + removed) and their tokens."""
    changed = tokens = 0
    for fp in parse_patch(diff).files:
        for hunk in fp.hunks:
            for text in hunk.lines:
                if text[:1] in "+-":
                    changed += 1
                    tokens += count_tokens(text[1:])
    return changed, tokens


def cap_diff(diff: str, max_lines: int) -> tuple[str, int]:
    """Whole files of ``diff`` in order while they fit in ``max_lines``; and how many were left out."""
    parts = [p for p in re.split(r"(?m)^(?=diff --git )", diff) if p.strip()]
    kept: list[str] = []
    total = dropped = 0
    for part in parts:
        n = sum(
            1 for ln in part.splitlines() if ln[:1] in "+-" and not ln.startswith(("+++ ", "--- "))
        )
        if total + n <= max_lines:
            kept.append(part)
            total += n
        else:
            dropped += 1
    return "".join(kept), dropped


def fixture_items(limit: int) -> list[Item]:
    cases = sorted(p.parent for p in (FIXTURES / "cases").glob("*/*/patch.diff"))
    if limit and limit < len(cases):  # evenly spaced over the sorted list: every repo in proportion
        cases = (
            [cases[round(i * (len(cases) - 1) / (limit - 1))] for i in range(limit)]
            if limit > 1
            else cases[:1]
        )
    items = []
    for case in cases:
        diff = (case / "patch.diff").read_text()
        changed, tokens = measure(diff)
        items.append(Item(f"{case.parent.name}/{case.name}", "fixture",
                          str(FIXTURES / "repos" / case.parent.name), str(case / "patch.diff"),
                          changed, tokens))  # fmt: skip
    return items


def release_items(only: set[str], max_lines: int, out_dir: Path) -> tuple[list[Item], int]:
    out_dir.mkdir(parents=True, exist_ok=True)
    items: list[Item] = []
    dropped_files = 0
    for name, versions in RELEASES.items():
        if only and name not in only:
            continue
        for old_v, new_v in itertools.pairwise(versions):
            try:
                old, new = fetch(name, old_v), fetch(name, new_v)
            except (subprocess.CalledProcessError, RuntimeError, OSError) as exc:
                print(f"skip {name} {old_v}->{new_v}: {exc}", file=sys.stderr)
                continue
            diff, _ = release_diff(old, new)
            diff, dropped = cap_diff(diff, max_lines)
            if not diff:
                continue
            dropped_files += dropped
            path = out_dir / f"{name}-{old_v}-{new_v}.diff"
            path.write_text(diff)
            changed, tokens = measure(diff)
            items.append(
                Item(f"{name} {old_v}->{new_v}", "release", str(old), str(path), changed, tokens)
            )
    return items, dropped_files


# --- the runs ------------------------------------------------------------------------------


def run_cold(item: Item, env: dict[str, str]) -> float:
    started = time.perf_counter()
    proc = subprocess.run(
        [str(BIN / "guard"), "check", item.patch, "--repo", item.repo, "--format", "json"],
        capture_output=True, text=True, env=env, check=False,
    )  # fmt: skip
    elapsed = time.perf_counter() - started
    if proc.returncode not in (0, 1):
        raise RuntimeError(f"guard exited {proc.returncode}: {proc.stderr.strip()[-300:]}")
    return elapsed


def run_naive(item: Item, scratch: Path) -> float:
    """The naive sequence; the patched files are written as guard's workspace applies the patch
    (``git apply`` refuses some release diffs, e.g. CRLF sources, that guard applies)."""
    from guard.workspace import build_workspace

    work = scratch / "naive" / "tree"
    if work.exists():
        shutil.rmtree(work)
    shutil.copytree(item.repo, work, symlinks=True)
    diff = Path(item.patch).read_text()
    files = touched_python(diff)
    with build_workspace(Path(item.repo), parse_patch(diff)) as ws:
        after = {f.path: f.after for f in ws.files}
        gone = [f.old_path for f in ws.files if f.old_path and f.old_path != f.path]
    cache = scratch / "naive-mypy-cache" / re.sub(r"\W", "_", item.repo)
    started = time.perf_counter()
    naive_findings(work, files, cache)
    for rel in gone:
        (work / rel).unlink(missing_ok=True)
    for rel, text in after.items():
        if text is None:
            (work / rel).unlink(missing_ok=True)
        else:
            (work / rel).parent.mkdir(parents=True, exist_ok=True)
            (work / rel).write_text(text, encoding="utf-8")
    naive_findings(work, files, cache)
    return time.perf_counter() - started


def warmup_diff(repo: Path, files: int = 10) -> str:
    from guard.repo import python_files

    parts = []
    for rel in python_files(repo)[:files]:
        lines = (repo / rel).read_text(encoding="utf-8", errors="replace").splitlines()
        if not lines or not (repo / rel).read_text(encoding="utf-8", errors="replace").endswith(
            "\n"
        ):
            continue
        n = len(lines)
        parts.append(f"diff --git a/{rel} b/{rel}\n--- a/{rel}\n+++ b/{rel}\n"
                     f"@@ -{n},1 +{n},2 @@\n {lines[-1]}\n+# guard-bench warm-up\n")  # fmt: skip
    return "".join(parts)


def _vm_hwm_kb(pid: int) -> int:
    try:
        found = re.search(r"VmHWM:\s+(\d+) kB", Path(f"/proc/{pid}/status").read_text())
    except OSError:
        return 0
    return int(found.group(1)) if found else 0


def _tree(pid: int) -> set[int]:
    parents: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            parents[int(entry)] = int(stat.rsplit(")", 1)[1].split()[1])
    found, frontier = {pid}, {pid}
    while frontier:
        frontier = {c for c, p in parents.items() if p in frontier} - found
        found |= frontier
    return found


def _resident_peak_kb(session: Any) -> int:
    """Peak RSS of the session's resident helpers, summed: the mypy daemon (a daemon, so not
    among our children) and the property-job zygotes' process trees."""
    total = 0
    daemon = getattr(session, "_mypy", None)
    if daemon is not None:
        try:
            total += _vm_hwm_kb(int(json.loads(Path(daemon._status).read_text())["pid"]))
        except (OSError, ValueError, KeyError):
            pass
    for zygote in getattr(session, "_zygotes", ()):
        if zygote._proc is not None:
            total += sum(_vm_hwm_kb(pid) for pid in _tree(zygote._proc.pid))
    return total


def warm_worker(job_path: Path) -> None:
    """One process, one Session per repo, the job's patches in sequence; writes the results."""
    import guard

    job = json.loads(job_path.read_text())
    items = [Item(**raw) for raw in job["items"]]
    by_repo: dict[str, list[Item]] = defaultdict(list)
    for item in items:
        by_repo[item.repo].append(item)
    latencies: dict[str, float] = {}
    timings: dict[str, dict[str, float]] = {}
    errors: dict[str, str] = {}
    resident_kb = 0
    for repo, group in by_repo.items():
        with guard.Session(repo, execute=job["execute"]) as session:
            session.warm_up()  # the mypy daemon's whole-repo build and the fork server, untimed
            warm = warmup_diff(Path(repo))
            if warm:
                session.check(warm)
            for item in group:
                diff = Path(item.patch).read_text()
                started = time.perf_counter()
                try:
                    report = session.check(diff)
                except Exception as exc:  # report and go on: one bad patch must not sink the run
                    errors[item.id] = f"{type(exc).__name__}: {exc}"
                    continue
                latencies[item.id] = time.perf_counter() - started
                timings[item.id] = dict(report.timings)
            resident_kb = max(resident_kb, _resident_peak_kb(session))
    status = Path("/proc/self/status").read_text()
    hwm = re.search(r"VmHWM:\s+(\d+) kB", status)
    result = {
        "latencies": latencies, "timings": timings, "errors": errors,
        "self_peak_kb": int(hwm.group(1)) if hwm else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
        "children_peak_kb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss,
        "resident_peak_kb": resident_kb,
    }  # fmt: skip
    Path(job["out"]).write_text(json.dumps(result))


def run_warm(
    items: list[Item], execute: bool, env: dict[str, str], scratch: Path
) -> dict[str, Any]:
    job = scratch / f"warm-{os.getpid()}-{time.monotonic_ns()}.json"
    out = job.with_suffix(".out.json")
    job.write_text(
        json.dumps({"items": [asdict(i) for i in items], "execute": execute, "out": str(out)})
    )
    proc = subprocess.run(
        [sys.executable, __file__, "--warm-worker", str(job)], env=env, check=False
    )
    if proc.returncode != 0:
        raise SystemExit(f"warm worker failed (exit {proc.returncode})")
    result: dict[str, Any] = json.loads(out.read_text())
    for item_id, message in result["errors"].items():
        print(f"warm check failed: {item_id}: {message}", file=sys.stderr)
    return result


# --- statistics and the table --------------------------------------------------------------


def pct(values: list[float], q: float) -> float:
    """Nearest-rank percentile (q in [0, 1]); NaN for no values."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(q * len(ordered)) - 1))]


def load() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--fixtures", type=int, default=0, help="only N fixture cases, evenly spread (0: all)"
    )
    parser.add_argument("--only", default="", help="comma-separated package names of release diffs")
    parser.add_argument("--no-releases", action="store_true", help="fixture patches only")
    parser.add_argument(
        "--max-lines", type=int, default=400, help="cap of a release diff, in changed lines"
    )
    parser.add_argument(
        "--repeat", type=int, default=1, help="runs of every configuration (medians)"
    )
    parser.add_argument("--skip-cold", action="store_true")
    parser.add_argument("--skip-naive", action="store_true")
    parser.add_argument("--out", type=Path, default=BENCH / "speed.json")
    parser.add_argument("--warm-worker", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.warm_worker:
        warm_worker(args.warm_worker)
        return 0

    loads = [f"start {load()}"]
    items = fixture_items(args.fixtures)
    dropped = 0
    if not args.no_releases:
        releases, dropped = release_items({n for n in args.only.split(",") if n}, args.max_lines,
                                          BENCH / "speed" / "patches")  # fmt: skip
        items += releases
    n_fix = sum(i.kind == "fixture" for i in items)
    print(f"{len(items)} patches: {n_fix} fixture, {len(items) - n_fix} release diffs "
          f"(capped at {args.max_lines} changed lines; {dropped} files left out)", file=sys.stderr)  # fmt: skip

    # guard byte-compiled, as pip leaves an installed package: an editable install on a machine with
    # PYTHONDONTWRITEBYTECODE set would otherwise compile every guard module in every cold process.
    compileall.compile_dir(ROOT / "guard", quiet=1)
    compileall.compile_dir(ROOT / "rules", quiet=1)
    scratch = Path(tempfile.mkdtemp(prefix="guard-speed-"))
    env = {**os.environ, "GUARD_CACHE_DIR": str(scratch / "guard-cache")}
    cold: dict[str, list[float]] = defaultdict(list)
    naive: dict[str, list[float]] = defaultdict(list)
    warm: dict[bool, dict[str, list[float]]] = {True: defaultdict(list), False: defaultdict(list)}
    stage_times: dict[str, list[float]] = defaultdict(list)
    peaks: dict[tuple[bool, str], list[tuple[int, int]]] = defaultdict(list)
    began = time.perf_counter()
    try:
        for rep in range(args.repeat):
            if not (args.skip_cold and args.skip_naive):
                for n, item in enumerate(items, 1):
                    try:
                        if not args.skip_naive:
                            naive[item.id].append(run_naive(item, scratch))
                        if not args.skip_cold:
                            cold[item.id].append(run_cold(item, env))
                    except Exception as exc:  # one unusable patch must not sink the run
                        print(f"\n{item.id}: {type(exc).__name__}: {exc}", file=sys.stderr)
                    print(f"\r[run {rep + 1}/{args.repeat}] cold+naive {n}/{len(items)}", end="",
                          file=sys.stderr, flush=True)  # fmt: skip
                print(file=sys.stderr)
                loads.append(f"after cold+naive run {rep + 1}: {load()}")
            for execute in (True, False):
                for kind in ("fixture", "release"):
                    subset = [i for i in items if i.kind == kind]
                    if not subset:
                        continue
                    print(f"[run {rep + 1}/{args.repeat}] warm {kind} {'exec' if execute else 'no-exec'}",
                          file=sys.stderr)  # fmt: skip
                    result = run_warm(subset, execute, env, scratch)
                    for item_id, s in result["latencies"].items():
                        warm[execute][item_id].append(s)
                    if execute:
                        for t in result["timings"].values():
                            for stage, s in t.items():
                                stage_times[stage].append(s)
                    peaks[(execute, kind)].append(
                        (result["self_peak_kb"] + result.get("resident_peak_kb", 0), result["children_peak_kb"])
                    )
            loads.append(f"after warm run {rep + 1}: {load()}")
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    wall = time.perf_counter() - began

    med = {name: {k: min(v) for k, v in d.items() if v}
           for name, d in (("cold", cold), ("naive", naive), ("warm", warm[True]), ("noexec", warm[False]))}  # fmt: skip
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({
        "items": [asdict(i) for i in items], "median_s": med, "loads": loads,
        "stage_times": stage_times, "peaks": {f"{'exec' if k[0] else 'noexec'}-{k[1]}": v for k, v in peaks.items()},
    }, indent=1))  # fmt: skip

    groups = {
        "fixtures": [i for i in items if i.kind == "fixture"],
        "releases": [i for i in items if i.kind == "release"],
        "all": items,
        f"<={TARGET_LINES} lines": [i for i in items if i.changed <= TARGET_LINES],
    }
    cols = list(groups)

    def lat(cfg: str, q: float) -> list[float]:
        return [pct([med[cfg][i.id] for i in g if i.id in med[cfg]], q) for g in groups.values()]

    def rate(cfg: str) -> list[float]:
        return [
            pct([i.tokens / med[cfg][i.id] for i in g if i.id in med[cfg]], 0.5)
            for g in groups.values()
        ]

    def agg(cfg: str) -> list[float]:
        return [
            sum(i.tokens for i in g if i.id in med[cfg])
            / (sum(med[cfg].get(i.id, 0) for i in g) or 1)
            for g in groups.values()
        ]

    def ratio(a: str, b: str, q: float) -> list[float]:
        return [
            x / y if y == y and y else float("nan")
            for x, y in zip(lat(a, q), lat(b, q), strict=True)
        ]

    print(f"\npatches: {', '.join(f'{k} {len(v)}' for k, v in groups.items())}; "
          f"changed lines median {pct([i.changed for i in items], 0.5):.0f}, max {max(i.changed for i in items)}; "
          f"tokens median {pct([i.tokens for i in items], 0.5):.0f}; {args.repeat} run(s), {wall / 60:.1f} min")  # fmt: skip
    print(
        "tokens: added+removed diff lines, each tokenised with Python's tokenize (layout tokens not counted)"
    )
    print("load average (1/5/15 min): " + "; ".join(loads))
    rows: list[tuple[str, list[float], str, str]] = []
    if med["warm"]:
        rows += [
            ("warm median latency (s)", lat("warm", 0.5), "", ""),
            ("warm tokens/s, sum/sum", agg("warm"), "", ""),
            (
                "warm p95 latency (s)",
                lat("warm", 0.95),
                f"<= {TARGET_P95_S:g} s",
                f"<={TARGET_LINES} lines",
            ),
            (
                "warm median tokens/s",
                rate("warm"),
                f">= {TARGET_TOKENS_S:g}",
                f"<={TARGET_LINES} lines",
            ),
        ]
    if med["noexec"]:
        rows += [
            ("warm --no-exec median (s)", lat("noexec", 0.5), "", ""),
            (
                "warm --no-exec p95 (s)",
                lat("noexec", 0.95),
                f"<= {TARGET_P95_S:g} s",
                f"<={TARGET_LINES} lines",
            ),
            (
                "warm --no-exec tokens/s",
                rate("noexec"),
                f">= {TARGET_TOKENS_S:g}",
                f"<={TARGET_LINES} lines",
            ),
        ]
    if med["cold"]:
        rows += [("cold median latency (s)", lat("cold", 0.5), "", ""),
                 ("cold p95 latency (s)", lat("cold", 0.95), "", "")]  # fmt: skip
    if med["naive"]:
        rows += [("naive median latency (s)", lat("naive", 0.5), "", ""),
                 ("naive p95 latency (s)", lat("naive", 0.95), "", "")]  # fmt: skip
    if med["cold"] and med["naive"]:
        rows += [("cold/naive, medians", ratio("cold", "naive", 0.5), "<= 1", "all"),
                 ("cold/naive, p95s", ratio("cold", "naive", 0.95), "", "")]  # fmt: skip
    if med["warm"] and med["naive"]:
        rows += [("warm/naive, medians", ratio("warm", "naive", 0.5), "", ""),
                 ("warm --no-exec/naive, medians", ratio("noexec", "naive", 0.5), "", "")]  # fmt: skip
    for execute, label in ((True, "warm"), (False, "warm --no-exec")):
        fx = [p for p in peaks.get((execute, "fixture"), [])]
        rl = [p for p in peaks.get((execute, "release"), [])]
        if fx or rl:
            self_mb = [max(s for s, _ in p) / 1024 if p else float("nan") for p in (fx, rl)]
            kids_mb = [max(c for _, c in p) / 1024 if p else float("nan") for p in (fx, rl)]
            target = f"<= {TARGET_RSS_MB:g} MB" if execute else ""
            rows += [(f"{label} session peak RSS (MB)", [*self_mb, max(self_mb), float("nan")], target,
                      "fixtures" if execute else ""),
                     (f"{label} children peak RSS (MB)", [*kids_mb, max(kids_mb), float("nan")], "", "")]  # fmt: skip

    head = (
        f"{'metric':38}"
        + "".join(f"{c:>13}" for c in cols)
        + f"  {'target':>12}  {'on':<13} status"
    )
    print()
    print(head)
    print("-" * len(head))
    for name, values, target, on in rows:
        status = ""
        if target:
            value = values[cols.index(on)]
            op, bound = target.split()[0], float(target.split()[1])
            ok = value <= bound if op == "<=" else value >= bound
            status = "met" if ok else "MISSED"
        cells = "".join(f"{v:>13.3f}" if v == v and abs(v) < 100 else f"{v:>13.0f}" if v == v else f"{'-':>13}"
                        for v in values)  # fmt: skip
        print(f"{name:38}{cells}  {target:>12}  {on:<13} {status}")

    if stage_times:
        print(f"\nwarm (exec) per-stage wall time over {len(stage_times.get('total_s', []))} checks "
              "(stages overlap: ruff, mypy, bandit, properties run in threads beside rules)")  # fmt: skip
        print(f"{'stage':12}{'median':>9}{'p95':>9}{'mean':>9}")
        for stage in sorted(stage_times, key=lambda s: -statistics.mean(stage_times[s])):
            v = stage_times[stage]
            print(f"{stage:12}{pct(v, 0.5):>9.3f}{pct(v, 0.95):>9.3f}{statistics.mean(v):>9.3f}")
    missing = [i.id for i in items if med["warm"] and i.id not in med["warm"]]
    if missing:
        print(f"\nno warm result for: {', '.join(missing)}")
    print(f"\nper-patch medians written to {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
