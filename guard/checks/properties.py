"""Property-based and differential tests of the changed functions, run in a sandbox.

Rules (analyzer ``properties``):

- ``runtime-error``: the new version raises NameError, AttributeError, ImportError, TypeError or
  UnboundLocalError from its own code where the old version did not.
- ``behaviour-change``: old and new differ in return value, exception type or argument mutation
  on the same input; the evidence holds the shrunk input and both results.
- ``idempotence`` / ``round-trip``: a function named like a normaliser is not idempotent, or an
  encode/decode pair no longer inverts, where the old version did.
- ``timeout``, ``resource-exhausted``, ``sandbox-violation``: the new version hangs, exhausts
  memory or recursion, crashes the interpreter, or tries to write outside its box, spawn
  processes or reach the network.
- ``test-regression``: a test of the repo's, as the patch leaves it (one the patch adds or edits,
  or one that names a changed function), passes against the original code and fails against the
  patched code, twice; or its module imports with the original code and not with the patched
  code (see :mod:`guard.harness.testrun`).
- ``test-fails``: such a test fails against the patched code, running lines the patch changed,
  and cannot run against the original because it uses what the patch adds (a new feature's
  test): the patch contradicts its own test.
"""

from __future__ import annotations

import ast
import contextlib
import gzip
import json
import os
import shutil
import signal
import sys
import time
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import guard
from guard import sandbox
from guard.findings import Confidence, Finding, Note, Severity

ANALYZER = "properties"
RULES: dict[str, tuple[Severity, Confidence]] = {
    "runtime-error": (Severity.ERROR, Confidence.HIGH),
    "behaviour-change": (Severity.WARNING, Confidence.HIGH),
    "idempotence": (Severity.WARNING, Confidence.MEDIUM),
    "round-trip": (Severity.WARNING, Confidence.MEDIUM),
    "timeout": (Severity.WARNING, Confidence.MEDIUM),
    "resource-exhausted": (Severity.WARNING, Confidence.MEDIUM),
    "sandbox-violation": (Severity.ERROR, Confidence.HIGH),
    "test-regression": (Severity.ERROR, Confidence.HIGH),
    # Weaker than a regression: with no run against the original code to compare, a fixture or
    # an environment this runner lacks cannot be told from a bug (1 of the first 47 clean release
    # diffs had one: attrs 24.2.0's new test_wrapped_annotation).
    "test-fails": (Severity.WARNING, Confidence.MEDIUM),
}
TEST_RULES = frozenset({"test-regression", "test-fails"})
MESSAGES: dict[str, str] = {
    "runtime-error": "the patched function raises an error from its own code where the old did not",
    "behaviour-change": "old and new give different results on the same input",
    "idempotence": "a normaliser is no longer idempotent",
    "round-trip": "an encode/decode pair no longer inverts",
    "timeout": "the patched code hangs",
    "resource-exhausted": "the patched code exhausts memory or recursion",
    "sandbox-violation": "the patched code crashes the interpreter or escapes its box",
    "test-regression": "a repo test passes against the original code and fails against the patch",
    "test-fails": "a test of what the patch adds fails against the patched code",
}
"""One line per rule, for ``guard rules``."""
"""Findings of the repo's own tests: a failing test says the behaviour change was not meant."""
_MEMORY_BYTES = 512 << 20
"""Address space for the child: ~10x what the harness needs, small enough that a runaway
allocation fails within the per-function budget (touching memory is slow in VMs)."""
STAGE_WALL_SLACK = 3.0
"""The stage's budget is CPU time in the child (its own and its test runs'), so that a busy
machine searches as many inputs as an idle one: the same patch, the same findings. Its wall time
may stretch to this many times the budget before the child stops searching."""
_STARTUP_MARGIN_S = 2.0
_CPU_MARGIN_S = 6
"""CPU seconds the child may use beyond the stage's budget before RLIMIT_CPU ends it: its start
(imports of Hypothesis, the harness, the repo's modules: up to ~2 s on a busy machine), the call in
flight when the budget runs out (up to its 1 s limit) and winding down. The budget itself is CPU
time (:data:`STAGE_WALL_SLACK`), so with the old +3 the limit could end a child that was only
finishing its search (markdown-it-py 4.1.0's clean diff: exit status -24 under load)."""
_WIND_DOWN_S = 0.5
"""Time the child keeps, before the wall limit, to write its last results and exit."""
SCRIPT_DIRS = frozenset({"examples", "example", "docs", "doc", "demos", "demo", "benchmarks"})
"""Directories of scripts that show or measure a library rather than make it up. Their functions
are no one's API (a release rewrites an example on purpose, with no test to update), and they
often do their work at import (argparse, I/O, timing, platform probes), which a sandboxed
differential test can only refuse or time. They are not executed; the static analyzers (mypy,
ruff, guard's rules) still check them, so a hallucinated name or import there is still caught."""
"""Interpreter and Hypothesis start-up, on top of the stage budget, before the child is killed."""


@dataclass(frozen=True)
class ModuleVersions:
    path: str
    before: str | None
    after: str | None


@dataclass(frozen=True)
class ChangedFunction:
    path: str
    qualname: str
    is_new: bool


@dataclass(frozen=True)
class TestSubject:
    """A test of the repo's to run: one the patch adds or edits (``changed``) or one it leaves
    alone that names a changed function."""

    path: str
    qualname: str
    changed: bool


@dataclass(frozen=True)
class PropertyBudget:
    per_function_s: float = 1.0
    max_examples: int = 200
    stage_s: float = 5.0
    tests_s: float = 1.5
    """Wall time for running the repo's tests of the changed code, out of ``stage_s``."""


@dataclass(frozen=True)
class PropertyResult:
    findings: tuple[Finding, ...]
    notes: tuple[Note, ...]
    isolation: tuple[str, ...]
    elapsed_s: float


@dataclass
class _Outcome:
    findings: list[Finding]
    notes: list[Note]
    isolation: tuple[str, ...] = ()


def run_properties(
    repo: Path,
    modules: Sequence[ModuleVersions],
    functions: Sequence[ChangedFunction],
    budget: PropertyBudget = PropertyBudget(),
    server: sandbox.ForkServer | Sequence[sandbox.ForkServer] | None = None,
    tests: Sequence[TestSubject] = (),
    calls: Mapping[str, Mapping[str, Sequence[str]]] | None = None,
) -> PropertyResult:
    """Run the changed functions, old against new, in sandboxed children. Never raises for
    anything the patched code does; a child that dies takes only its current function with it.
    ``server`` (a warm session's, see :func:`start_fork_server`) forks the children instead of
    starting a fresh interpreter for each; with several servers, the functions are dealt out
    among them in file order and searched side by side, each server's share as one child's (a
    fork costs milliseconds; a fresh interpreter a quarter of a second of CPU, so one-off children
    are never run side by side). ``tests`` (their modules among ``modules``) run first, in the
    first child only. ``calls``: the literals the repo passes to the functions and their classes
    (:func:`guard.callsites.argument_values`), values for parameters nothing else types."""
    start = time.monotonic()
    sources = {m.path: m for m in modules if m.path.endswith(".py")}
    result = _Outcome([], [])
    pending = []
    for fn in functions:
        module = sources.get(fn.path)
        if fn.path.endswith(".pyi"):
            continue  # a type stub declares, it has nothing to run
        if module is None or module.after is None:
            result.notes.append(_note(fn, "no Python source after the patch"))
        elif is_script_path(fn.path):
            result.notes.append(_note(fn, "an example, documentation or benchmark script, not "
                                          "library code"))
        else:
            pending.append(fn)
    pool = [server] if isinstance(server, sandbox.ForkServer) else [s for s in server or () if s.usable]
    shares = [pending[i :: len(pool)] for i in range(len(pool))] if len(pool) > 1 and len(pending) > 1 else [pending]
    outcomes = [result] + [_Outcome([], []) for _ in shares[1:]]

    def drive(share: list[ChangedFunction], outcome: _Outcome, srv: sandbox.ForkServer | None,
              first: Sequence[TestSubject]) -> None:
        while share:
            left = budget.stage_s - (time.monotonic() - start)
            if left <= 0.05:
                outcome.notes += [_note(fn, "stage time budget used up") for fn in share]
                break
            share = _run_child(repo.resolve(), list(sources.values()), share, budget, left, outcome, srv,
                               first, calls or {})
            first = ()

    if len(shares) == 1:
        drive(pending, result, pool[0] if pool else None, tests)
    else:
        with ThreadPoolExecutor(max_workers=len(shares)) as side_by_side:
            done = [side_by_side.submit(drive, share, outcome, srv, tests if i == 0 else ())
                    for i, (share, outcome, srv) in enumerate(zip(shares, outcomes, pool, strict=True))]
            for future in done:
                future.result()
        for other in outcomes[1:]:  # in share order: the same patch gives the same notes
            result.findings += other.findings
            result.notes += other.notes
            result.isolation = result.isolation or other.isolation
    return PropertyResult(tuple(sorted(result.findings)), tuple(result.notes),
                          result.isolation, time.monotonic() - start)


def rule_docs() -> dict[str, str]:
    """Each rule of the stage with its paragraph of this module's documentation (``guard explain``)."""
    import re

    docs: dict[str, str] = {}
    for bullet in re.split(r"\n- ", (__doc__ or "").split("Rules (analyzer ``properties``):", 1)[-1]):
        head, _, text = bullet.partition(":")
        body = " ".join(line.strip() for line in text.strip().splitlines())
        for rule in re.findall(r"``([a-z-]+)``", head):
            if rule in RULES:
                docs[rule] = body
    return docs


def is_script_path(path: str) -> bool:
    """Is ``path`` (relative to the repo) in a directory of example, documentation or benchmark
    scripts (:data:`SCRIPT_DIRS`)?"""
    return any(part.lower() in SCRIPT_DIRS for part in path.split("/")[:-1])


def start_fork_server(repo: Path) -> sandbox.ForkServer:
    """A zygote for ``repo``'s property jobs: the same sandbox as :func:`_run_child`'s children."""
    return sandbox.ForkServer(
        # The zygote runs in its box's work directory; its Hypothesis home is the box's, as a
        # one-off child's (_hypothesis_home), where `prepare` seeds the Unicode tables.
        [sys.executable, "-s", "-B", "-m", "guard.harness.zygote", "../.hypothesis"],
        readonly=[repo.resolve(), Path.home()],
        env={"PYTHONPATH": str(Path(guard.__file__).resolve().parent.parent)},
        readable=[repo.resolve()],
        prepare=_seed_unicode_cache,
        limits=sandbox.Limits(cpu_s=3600, memory_bytes=2 * _MEMORY_BYTES),
    )


def _run_child(repo: Path, modules: list[ModuleVersions], functions: list[ChangedFunction],
               budget: PropertyBudget, left_s: float, result: _Outcome,
               server: sandbox.ForkServer | None = None,
               tests: Sequence[TestSubject] = (),
               calls: Mapping[str, Mapping[str, Sequence[str]]] | None = None) -> list[ChangedFunction]:
    """One child over ``functions``; returns those it never reached."""
    with sandbox.open_box() as box:
        job = {
            "repo": str(repo), "box": str(box.root), "results": str(box.work / "results.jsonl"),
            "hypothesis_home": str(_hypothesis_home(box)),
            "modules": [vars(m) for m in modules], "functions": [vars(f) for f in functions],
            "budget": {**vars(budget), "stage_s": left_s},
            # The child's budget is CPU time (stage_s); its wall time may stretch to
            # STAGE_WALL_SLACK times that, and the wall limit below counts from now, with
            # _STARTUP_MARGIN_S for the child's start. On a machine so busy that
            # the start takes longer, the child still ends its work before it is killed (a kill
            # would be taken for a hang of the function it was running). The monotonic clock is
            # the machine's, the same in the child.
            "stage_end": time.monotonic() + STAGE_WALL_SLACK * left_s + _STARTUP_MARGIN_S - _WIND_DOWN_S,
            "tests": [vars(t) for t in tests],
            "calls": {name: {slot: list(v) for slot, v in slots.items()} for name, slots in (calls or {}).items()},
        }
        (box.work / "job.json").write_text(json.dumps(job), encoding="utf-8")
        if os.environ.get("GUARD_KEEP_JOB"):
            shutil.copy(box.work / "job.json", os.environ["GUARD_KEEP_JOB"])
        _seed_unicode_cache(box)
        limits = sandbox.Limits(wall_s=STAGE_WALL_SLACK * left_s + _STARTUP_MARGIN_S,
                                cpu_s=int(left_s) + _CPU_MARGIN_S,
                                memory_bytes=_MEMORY_BYTES)
        argv = [sys.executable, "-s", "-B", "-m", "guard.harness", str(box.work / "job.json")]
        env = {"PYTHONPATH": str(Path(guard.__file__).resolve().parent.parent)}
        spawned = time.monotonic()
        if server is not None and server.usable:
            run = server.run(box.work / "job.json", box, limits)
        else:
            run = sandbox.run(argv, box, limits, readonly=[repo, Path.home()], env=env,
                              readable=[repo])
        events = _read_events(box.work / "results.jsonl")
        if os.environ.get("GUARD_DEBUG"):
            _print_timeline(events, spawned, functions)
        _keep_unicode_cache(box)
    result.isolation = (*run.isolation, "audit-hooks")
    started: int | None = None
    done: set[int] = set()
    tests_started = tests_done = began = False
    for event in events:
        if event.get("event") == "tests-start":
            tests_started = True
        elif event.get("event") == "tests-done":
            tests_done = True
            _collect_tests(event, modules, result)
        index = event.get("index")
        if not isinstance(index, int) or not 0 <= index < len(functions):
            continue
        if event.get("event") in ("start", "again"):
            started, began = index, True
        elif event.get("event") == "held" and started == index:
            started = None  # its first pass finished; it waits for a second
        elif event.get("event") == "done":
            done.add(index)
            _collect(functions[index], modules, event, result)
    if started is not None and started not in done:
        result.findings.append(_crash(functions[started], modules, run))
        done.add(started)
    elif not done and tests_started and not tests_done:
        result.notes.append(Note(ANALYZER, "tests: the child died running the repo's tests; "
                                           "the functions are searched without them"))
        return functions
    elif not done and functions and not began:
        tail = run.stderr.decode(errors="replace").strip().splitlines()[-1:] or ["no output"]
        result.notes += [_note(fn, f"the sandboxed child failed to start: {tail[0][:200]}")
                         for fn in functions]
        return []
    return [fn for i, fn in enumerate(functions) if i not in done]


def _unicode_cache() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "guard" / "hypothesis-unicode"


def _hypothesis_home(box: sandbox.Box) -> Path:
    """The child's Hypothesis home (the job names it; runner.py sets it)."""
    return box.root / ".hypothesis"


def _unicode_dir(box: sandbox.Box) -> Path:
    """Where the child's Hypothesis keeps its Unicode tables."""
    return _hypothesis_home(box) / "unicode_data"


def _seed_unicode_cache(box: sandbox.Box) -> None:
    """Hypothesis tabulates Unicode (~1 s per table: categories, each codec drawn from) before
    generating text; reuse the tables kept from earlier children."""
    cache = _unicode_cache()
    if cache.is_dir():
        with contextlib.suppress(OSError):
            shutil.copytree(cache, _unicode_dir(box), dirs_exist_ok=True)


def _keep_unicode_cache(box: sandbox.Box) -> None:
    """Keep each table the child made that we lack. They are only data, checked to parse as
    such (the child also ran untrusted code, so nothing else is taken from it)."""
    made, cache = _unicode_dir(box), _unicode_cache()
    if not made.is_dir():
        return
    for path in made.rglob("*.json.gz"):
        kept = cache / path.relative_to(made)
        if kept.exists() or path.is_symlink():
            continue
        try:
            data = path.read_bytes()
            if not isinstance(json.loads(gzip.decompress(data)), (list, dict)):
                continue
            kept.parent.mkdir(parents=True, exist_ok=True)
            partial = kept.with_name(f".{kept.name}.{os.getpid()}")
            partial.write_bytes(data)
            partial.replace(kept)
        except (OSError, ValueError, EOFError):
            continue


def _print_timeline(events: list[dict[str, Any]], spawned: float, functions: Sequence[ChangedFunction]) -> None:
    """The child's events, in seconds since the parent started it (``GUARD_DEBUG=1``)."""
    for event in events:
        index = event.get("index")
        what = f"{functions[index].path}::{functions[index].qualname}" if isinstance(index, int) and 0 <= index < len(functions) else ""
        at = event.get("t")
        stamp = f"{at - spawned:7.3f}s" if isinstance(at, int | float) else "      ?"
        print(f"guard: properties {stamp} {event.get('event')} {what}", file=sys.stderr)


def _read_events(path: Path) -> list[dict[str, Any]]:
    events = []
    try:
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return []
    for line in lines:
        try:
            event = json.loads(line)
        except ValueError:
            continue
        if isinstance(event, dict):
            events.append(event)
    return events


def _collect(fn: ChangedFunction, modules: list[ModuleVersions], event: dict[str, Any],
             result: _Outcome) -> None:
    for note in event.get("notes") or []:
        result.notes.append(Note(ANALYZER, str(note), fn.path, fn.qualname))
    for raw in event.get("findings") or []:
        rule = str(raw.get("rule"))
        if rule in RULES:
            evidence = tuple((str(k), str(v)) for k, v in raw.get("evidence") or [])
            line = raw.get("line")
            result.findings.append(_finding(fn, modules, rule, str(raw.get("message")), evidence,
                                            line if isinstance(line, int) else None))


def _collect_tests(event: dict[str, Any], modules: list[ModuleVersions], result: _Outcome) -> None:
    for note in event.get("notes") or []:
        result.notes.append(Note(ANALYZER, str(note)))
    paths = {m.path for m in modules}
    for raw in event.get("findings") or []:
        rule, path, line = raw.get("rule"), raw.get("path"), raw.get("line")
        if rule not in TEST_RULES or path not in paths or not isinstance(line, int):
            continue
        severity, confidence = RULES[str(rule)]
        evidence = tuple((str(k), str(v)) for k, v in raw.get("evidence") or [])
        result.findings.append(Finding(
            path=str(path), line=max(line, 1), column=0, rule=str(rule), analyzer=ANALYZER,
            message=str(raw.get("message")), severity=severity, confidence=confidence,
            symbol=str(raw.get("symbol") or ""), evidence=evidence,
        ))  # fmt: skip


def _crash(fn: ChangedFunction, modules: list[ModuleVersions], run: sandbox.SandboxResult
           ) -> Finding:
    """The child died while running ``fn``: that is a finding about ``fn``."""
    stderr = run.stderr.decode(errors="replace")
    if run.timed_out or (run.returncode in (-signal.SIGXCPU, -signal.SIGKILL) and not stderr):
        rule, what = "timeout", "did not finish and was killed"
    elif "MemoryError" in stderr or "Cannot allocate memory" in stderr:
        rule, what = "resource-exhausted", "ran out of memory and took the interpreter down"
    else:
        rule, what = "sandbox-violation", f"crashed the interpreter (exit status {run.returncode})"
    message = f"{fn.qualname} {what} in the sandbox"
    evidence = (("exit_status", str(run.returncode)), ("stderr", stderr.strip()[-300:]))
    return _finding(fn, modules, rule, message, evidence)


def _finding(fn: ChangedFunction, modules: list[ModuleVersions], rule: str, message: str,
             evidence: tuple[tuple[str, str], ...], line: int | None = None) -> Finding:
    """At ``line`` (the changed line the failing input ran, as the child saw it) when it is a
    line of the patched file, else at the ``def``."""
    severity, confidence = RULES[rule]
    source = next((m.after for m in modules if m.path == fn.path), None) or ""
    if line is None or not 0 < line <= len(source.splitlines()):
        line = def_line(source, fn.qualname)
    return Finding(path=fn.path, line=line, column=0, rule=rule,
                   analyzer=ANALYZER, message=message, severity=severity,
                   confidence=confidence, symbol=fn.qualname, evidence=evidence)


def def_line(source: str, qualname: str) -> int:
    """The line of the ``def`` of ``qualname`` in ``source``; 1 when it cannot be found."""
    try:
        body: list[ast.stmt] = ast.parse(source).body
    except SyntaxError:
        return 1
    line = 1
    for part in qualname.split("."):
        node = next((n for n in body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef,
                                                       ast.ClassDef)) and n.name == part), None)
        if node is None:
            return line
        line, body = node.lineno, node.body
    return line


def _note(fn: ChangedFunction, reason: str) -> Note:
    return Note(ANALYZER, f"untested: {fn.path}::{fn.qualname} — {reason}", fn.path, fn.qualname)
