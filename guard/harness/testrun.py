"""The repo's own tests of the changed code, run in the child against the original and the patched code.

A silent behaviour change in a method, an ``__init__`` or code that needs objects Hypothesis cannot
build is out of the property search's reach, but the project's tests already build those objects
and say what the result must be. The parent picks the tests (see
:func:`guard.pipeline.test_subjects`): those the patch adds or edits, and those it leaves alone that
name a changed function. Each runs *as the patch leaves it* in both worlds — against the original
code and against the patched code — so the only difference between the two runs is the patched
code. A test that passes against the original and fails against the patched code, twice, is a
``test-regression``: the patch breaks a check the project has (or has just written). A test of
what the patch adds cannot run against the original (its module or the test stops at a missing
name, attribute or parameter); when it fails against the patched code with an assertion or an
error raised in patched code, while running changed lines, twice, it is a ``test-fails``: the
patch contradicts its own test. Any other test that fails against both (a fixture this runner
lacks, a platform) says nothing.

Every case first runs against the patched code, all in one forked process (cheap: one fork);
a case that fails there is then run on its own against the original code and again against the
patched code, each in a forked process of its own from the state after import. Only those two
isolated runs decide, so no test's leftovers (caches, environment, monkeypatches) can make another
look broken, in either world.

Tests are called directly, not through pytest's runner: module-level ``test*`` functions, ``test*``
methods of ``Test*`` classes (a fresh instance each, with ``setup_method``/``teardown_method``) and
of ``unittest.TestCase`` subclasses (``setUp``/``tearDown``/cleanups), with ``pytest.mark.parametrize``
expanded and the ``tmp_path`` and ``monkeypatch`` fixtures provided. A test that needs another
fixture, or is marked skip/xfail, is not run. A missing dependency, a refused operation or a
timeout never counts.
"""

from __future__ import annotations

import contextlib
import inspect
import itertools
import json
import math
import os
import sys
import tempfile
import time
import traceback
import unittest
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import FrameType, ModuleType
from typing import Any

from guard.harness.compare import Outcome
from guard.harness.loader import Touched, World
from guard.harness.runtime import Runtime
from guard.repo import is_test_path

MAX_FINDINGS = 3
"""Failing tests reported as findings; more are named in a note."""
MAX_CONFIRMED = 12
"""Failing cases run again on their own (against the original code, then the patched code)."""
SCREEN_SHARE = 0.6
"""Share of the budget for the first run of every case; the rest confirms failures."""
MAX_CASES = 16
"""At most this many parametrized cases of one test."""
FIXTURES = frozenset({"tmp_path", "monkeypatch"})
_SKIP_MARKS = frozenset({"skip", "xfail", "usefixtures", "filterwarnings_error"})


@dataclass(frozen=True)
class TestSpec:
    module: str
    path: str
    qualname: str
    changed: bool


@dataclass(frozen=True)
class Result:
    """One run's outcome, as the forked run reported it."""

    kind: str  # "pass", "fail", "error", "skip", "timeout", "violation", "lost"
    describe: str = ""
    line: int | None = None
    """The test file's innermost line in the traceback, and its text."""
    text: str = ""
    where: tuple[str, int] | None = None
    """The changed line of patched code the run executed last (new world, traced runs only)."""
    in_patch: bool = False
    """The error was raised inside patched code (traced runs only)."""


_NEW_API_ERRORS = ("AttributeError", "ImportError", "NameError", "TypeError")


def _new_feature(old: Result) -> bool:
    """The test cannot run against the original code because it uses what the patch adds: its
    module does not import there, or it stops at a missing name, attribute or parameter."""
    return old.kind == "missing" or (old.kind == "error" and old.describe.startswith(_NEW_API_ERRORS))


def run_tests(rt: Runtime, specs: Sequence[TestSpec], touched: Sequence[Touched],
              paths: Mapping[str, str], budget_s: float, per_test_s: float,
              tmp: Path, wall_end: float = math.inf) -> tuple[list[dict[str, Any]], list[str]]:
    """Run ``specs``; return the findings (JSON, with their own path and line) and notes.
    ``paths`` maps a touched module's filename to its repo-relative path. The first run of every
    case gets ``SCREEN_SHARE`` of ``budget_s`` in CPU time, and at most ``MAX_CONFIRMED``
    failures are run again: counts, not wall time, so that a busy machine finds what an idle
    one does (the same patch, the same findings); ``wall_end`` is the hard stop."""
    from guard.harness.session import changed_lines

    code = {t.filename: changed_lines(t.before, t.after) for t in touched
            if t.filename in paths and not is_test_path(paths[t.filename])}
    code = {f: lines for f, lines in code.items() if lines}
    findings: list[dict[str, Any]] = []
    notes: list[str] = []
    skipped = 0
    broken_modules: set[str] = set()
    more: list[str] = []  # failing tests beyond MAX_FINDINGS, named in a note
    items: list[tuple[TestSpec, Case]] = []
    for spec in specs:
        new_mod = rt.worlds.new.modules.get(spec.module)
        if new_mod is None:
            if spec.module not in broken_modules:
                broken_modules.add(spec.module)
                found = _import_regression(rt, spec)
                if found is not None:
                    findings.append(found)
                else:
                    error = rt.worlds.new.errors.get(spec.module)
                    why = f" ({type(error).__name__}: {str(error)[:120]})" if error is not None else ""
                    notes.append(f"tests: {spec.path} not run — it does not import here{why}")
            continue
        prepared = _prepare(new_mod, spec.qualname)
        if isinstance(prepared, str):
            skipped += 1
            continue
        items += [(spec, case) for case in prepared]
    # One forked run of every case against the patched code, in order, finds the candidates;
    # each candidate is then run on its own, from the state after import, against the original
    # code and (traced) against the patched code again: only those two isolated runs decide.
    screened = _forked(rt, rt.worlds.new, items, per_test_s, tmp, {}, wall_end, SCREEN_SHARE * budget_s)
    if len(screened) < len(items):
        notes.append(f"tests: budget used up after {len(screened)} of {len(items)} test cases")
    prior = _screen_original(rt, items, screened, per_test_s, tmp, wall_end,
                             (1 - SCREEN_SHARE) * budget_s)
    reported: set[tuple[str, str]] = set()
    confirmed = 0
    for index, ((spec, case), first) in enumerate(zip(items, screened, strict=False)):
        label = f"{spec.path}::{spec.qualname}"
        if first.kind not in ("fail", "error") or (spec.path, spec.qualname) in reported:
            continue
        screened_old = prior.get(index)
        if screened_old is not None and screened_old.kind != "pass" and not _new_feature(screened_old):
            continue  # fails against the original code too: nothing to confirm
        if time.monotonic() >= wall_end or confirmed >= MAX_CONFIRMED:
            notes.append("tests: budget used up while confirming failures")
            break
        confirmed += 1
        if len(findings) >= MAX_FINDINGS:
            more.append(label)
            reported.add((spec.path, spec.qualname))
            continue
        if spec.module in rt.worlds.old.modules:
            old = _isolated(rt, rt.worlds.old, spec, case, per_test_s, tmp, {})
        else:
            old = Result("missing", "the test module does not import with the original code")
        if old.kind != "pass" and not _new_feature(old):
            continue
        new = _isolated(rt, rt.worlds.new, spec, case, per_test_s, tmp, code)
        if new.kind not in ("fail", "error"):
            notes.append(f"tests: {label} fails after the patch only sometimes: not reported")
            continue
        if old.kind == "pass":
            rule = "test-regression"
        elif new.where is not None and (new.kind == "fail" or new.in_patch):
            rule = "test-fails"
            if any(f["rule"] == rule for f in findings):
                # Several new tests failing where none can be compared with the original share
                # one likely cause (this runner's environment as much as the patch): one finding
                # carries that evidence, the others are named.
                more.append(label)
                reported.add((spec.path, spec.qualname))
                continue
        else:
            continue
        findings.append(_finding(rule, spec, case, new, old, paths))
        reported.add((spec.path, spec.qualname))
    if more:
        notes.append(f"tests: {len(more)} more tests fail after the patch "
                     f"({', '.join(more[:5])}{', ...' if len(more) > 5 else ''})")
    notes.append(f"tests: {len(screened)} test cases run, {skipped} tests not runnable here "
                 "(fixtures, marks)")
    return findings, notes


def _screen_original(rt: Runtime, items: Sequence[tuple[TestSpec, Case]], screened: Sequence[Result],
                     per_test_s: float, tmp: Path, wall_end: float, cpu_s: float) -> dict[int, Result]:
    """The cases that failed the screening against the patched code, run once more in one forked
    process against the original code: index -> result, for those the run finished. It only
    sorts out the cases that fail both ways (a fixture or platform this runner lacks), which
    would otherwise use up the isolated confirmations before a real regression is reached; the
    isolated runs still decide every finding."""
    chosen = [i for i, first in enumerate(screened)
              if first.kind in ("fail", "error") and items[i][0].module in rt.worlds.old.modules]
    if len(chosen) < 2:
        return {}  # one candidate: its isolated run costs what this one would
    results = _forked(rt, rt.worlds.old, [items[i] for i in chosen], per_test_s, tmp, {}, wall_end, cpu_s)
    return dict(zip(chosen, results, strict=False))


# ---------------------------------------------------------------------------------------------
# Finding the test and its cases


@dataclass(frozen=True)
class Case:
    """One call of a test: the owner class's name (None for a function), the test's name, the
    arguments. Names, not objects: each world has its own module, class and function."""

    owner: str | None
    name: str
    kwargs: tuple[tuple[str, Any], ...]
    fixtures: tuple[str, ...]

    def label(self) -> str:
        if not self.kwargs:
            return ""
        return "[" + ", ".join(f"{k}={_short(v)}" for k, v in self.kwargs) + "]"


def _short(value: object) -> str:
    try:
        text = repr(value)
    except Exception:
        text = f"<{type(value).__name__}>"
    return text if len(text) <= 40 else text[:37] + "..."


def _prepare(module: ModuleType, qualname: str) -> list[Case] | str:
    """The cases of the test at ``qualname`` in ``module``, or why it cannot be run."""
    parts = qualname.split(".")
    if len(parts) > 2:
        return "nested"
    owner: type | None = None
    if len(parts) == 2:
        candidate = getattr(module, parts[0], None)
        if not isinstance(candidate, type):
            return "no such class"
        owner = candidate
        if getattr(owner, "__unittest_skip__", False):
            return "skipped class"
    fn = getattr(owner if owner is not None else module, parts[-1], None)
    if not callable(fn):
        return "no such test"
    if getattr(fn, "__unittest_skip__", False):
        return "skipped"
    if inspect.iscoroutinefunction(fn) or inspect.isgeneratorfunction(fn):
        return "async or generator test"
    marks = [*_marks(module), *_marks(owner), *_marks(fn)]
    for mark in marks:
        name = getattr(mark, "name", "")
        if name in _SKIP_MARKS:
            return f"marked {name}"
        if name == "skipif":
            condition = mark.args[0] if mark.args else mark.kwargs.get("condition", True)
            if isinstance(condition, str) or bool(condition):
                return "marked skipif"
    if owner is not None and issubclass(owner, unittest.TestCase):
        return [Case(owner.__name__, parts[-1], (), ())]
    if owner is not None and not owner.__name__.startswith("Test"):
        return "not a test class pytest collects"
    try:
        params = [p for p in inspect.signature(fn).parameters.values()
                  if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)]
    except (TypeError, ValueError):
        return "no signature"
    if owner is not None:
        params = params[1:]  # self
    axes = []
    for mark in reversed([m for m in marks if getattr(m, "name", "") == "parametrize"]):
        expanded = _parametrize(mark)
        if expanded is None:
            return "parametrize not understood"
        axes.append(expanded)
    rows = _combine(axes)
    fixtures = []
    for p in params:
        if p.name in rows[0]:
            continue
        if p.default is not p.empty:
            continue
        if p.name not in FIXTURES:
            return f"needs fixture {p.name}"
        fixtures.append(p.name)
    name = owner.__name__ if owner is not None else None
    return [Case(name, parts[-1], tuple(r.items()), tuple(fixtures)) for r in rows]


def _combine(axes: Sequence[Sequence[dict[str, Any]]]) -> list[dict[str, Any]]:
    """The cases of stacked ``parametrize`` marks: all combinations when they are at most
    ``MAX_CASES``, else up to ``MAX_CASES`` cases that walk every axis in step (case i takes value
    i mod n of each axis), so that every value of every axis up to ``MAX_CASES`` is used at least
    once rather than only the first values of the first axes."""
    total = math.prod(len(axis) for axis in axes)
    if total <= MAX_CASES:
        return [dict(itertools.chain.from_iterable(r.items() for r in combo))
                for combo in itertools.product(*axes)] if axes else [{}]
    picks = dict.fromkeys(tuple(i % len(axis) for axis in axes) for i in range(MAX_CASES))
    return [dict(itertools.chain.from_iterable(axis[k].items() for axis, k in zip(axes, pick, strict=True)))
            for pick in picks]


def _marks(obj: object) -> list[Any]:
    if obj is None:
        return []
    marks = getattr(obj, "pytestmark", [])
    return list(marks) if isinstance(marks, list | tuple) else [marks]


def _parametrize(mark: Any) -> list[dict[str, Any]] | None:
    args = list(getattr(mark, "args", ()))
    kwargs = dict(getattr(mark, "kwargs", {}))
    names = args[0] if args else kwargs.get("argnames")
    values = args[1] if len(args) > 1 else kwargs.get("argvalues")
    if isinstance(names, str):
        names = [n.strip() for n in names.split(",") if n.strip()]
    if not isinstance(names, list | tuple) or values is None:
        return None
    rows = []
    try:
        for value in values:
            if hasattr(value, "values") and hasattr(value, "marks") and hasattr(value, "id"):
                if any(getattr(m, "name", "") in ("skip", "xfail", "skipif") for m in value.marks):
                    continue
                value = value.values
            elif len(names) == 1:
                value = (value,)
            value = tuple(value)
            if len(value) != len(names):
                return None
            rows.append(dict(zip(names, value, strict=True)))
    except TypeError:
        return None
    return rows or None


# ---------------------------------------------------------------------------------------------
# Running


def _isolated(rt: Runtime, world: World, spec: TestSpec, case: Case, limit_s: float, tmp: Path,
              code: Mapping[str, Mapping[int, int]]) -> Result:
    """Run ``case`` in ``world`` in a forked process of its own, from the state after import;
    with ``code``, record the changed lines of patched code it runs."""
    found = _forked(rt, world, [(spec, case)], limit_s, tmp, code, math.inf, math.inf)
    return found[0] if found else Result("lost", "the run's process ended without a result")


def _forked(rt: Runtime, world: World, items: Sequence[tuple[TestSpec, Case]], limit_s: float,
            tmp: Path, code: Mapping[str, Mapping[int, int]], deadline: float, cpu_s: float
            ) -> list[Result]:
    """Run ``items`` in order in ``world`` in one forked process, until ``deadline``
    (``time.monotonic``) or until the process has used ``cpu_s`` of CPU time; the results of
    those it finished (a process that dies ends the list)."""
    if not items:
        return []
    read, write = os.pipe()
    try:
        pid = os.fork()
    except OSError:
        os.close(read)
        os.close(write)
        return []
    if pid == 0:  # the runs' own process: report and leave without cleaning up
        os.close(read)
        status = 0
        try:
            cpu_end = time.process_time() + cpu_s
            for spec, case in items:
                module = world.modules.get(spec.module)
                if time.monotonic() >= deadline or time.process_time() >= cpu_end:
                    break
                result = Result("skip") if module is None else _run(rt, world, spec, module, case,
                                                                    limit_s, tmp, code)
                os.write(write, (json.dumps(vars(result)) + "\n").encode())
        except BaseException:
            status = 1
        finally:
            os._exit(status)
    os.close(write)
    chunks = []
    with contextlib.suppress(OSError):
        while chunk := os.read(read, 1 << 16):
            chunks.append(chunk)
    os.close(read)
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, 0)
    results = []
    for line in b"".join(chunks).splitlines():
        try:
            data = json.loads(line)
            where = data.get("where")
            results.append(Result(data["kind"], data["describe"], data["line"], data["text"],
                                  (where[0], where[1]) if where else None, bool(data.get("in_patch"))))
        except (ValueError, KeyError, TypeError):
            break
    return results


def _run(rt: Runtime, world: World, spec: TestSpec, module: ModuleType, case: Case, limit_s: float,
         tmp: Path, code: Mapping[str, Mapping[int, int]]) -> Result:
    executed: list[tuple[str, int]] = []

    def call(_: Any) -> tuple[Any, object]:
        _call_case(module, case, tmp)
        return None, None

    rt.worlds.enter(world)
    rt.worlds.rebind_shared(world)
    outcome, _ = rt.call(world, _traced(call, code, executed) if code else call, None, limit_s)
    kind = _kind(outcome)
    exc = outcome.exc if kind in ("fail", "error") else None
    frame = _test_frame(exc, spec)
    frames = traceback.extract_tb(exc.__traceback__) if exc is not None else []
    return Result(kind, _describe(exc) if exc is not None else kind,
                  frame.lineno if frame is not None else None,
                  (frame.line or "").strip()[:100] if frame is not None else "",
                  _changed_executed(executed, code), bool(frames) and frames[-1].filename in code)


def _call_case(module: ModuleType, case: Case, tmp: Path) -> None:
    with contextlib.ExitStack() as stack:
        kwargs = dict(case.kwargs)
        for name in case.fixtures:
            if name == "tmp_path":
                kwargs[name] = Path(tempfile.mkdtemp(dir=tmp))
            elif name == "monkeypatch":
                import pytest

                kwargs[name] = stack.enter_context(pytest.MonkeyPatch.context())
        owner = getattr(module, case.owner) if case.owner is not None else None
        if owner is None:
            getattr(module, case.name)(**kwargs)
        elif issubclass(owner, unittest.TestCase):
            _call_unittest(owner, case.name)
        else:
            instance = owner()
            method = getattr(instance, case.name)
            setup = getattr(instance, "setup_method", None)
            if callable(setup):
                setup(method)
            try:
                method(**kwargs)
            finally:
                teardown = getattr(instance, "teardown_method", None)
                if callable(teardown):
                    teardown(method)


def _call_unittest(owner: type[unittest.TestCase], name: str) -> None:
    owner.setUpClass()
    try:
        test = owner(name)
        test.setUp()
        try:
            getattr(test, name)()
        finally:
            test.tearDown()
            test.doCleanups()
    finally:
        owner.tearDownClass()


def _kind(outcome: Outcome) -> str:
    if outcome.kind == "return":
        return "pass"
    if outcome.kind in ("timeout", "violation"):
        return outcome.kind
    exc = outcome.exc
    name = type(exc).__name__
    if isinstance(exc, unittest.SkipTest) or (type(exc).__module__ == "_pytest.outcomes"
                                              and name in ("Skipped", "XFailed", "Exit")):
        return "skip"
    if isinstance(exc, AssertionError) or (type(exc).__module__ == "_pytest.outcomes"
                                           and name == "Failed"):
        return "fail"
    if isinstance(exc, ImportError | MemoryError | RecursionError | KeyboardInterrupt | SystemExit):
        return "skip"
    return "error"


def _describe(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0][:160]}" if text else type(exc).__name__


def _traced(run: Callable[[Any], tuple[Any, object]], code: Mapping[str, Mapping[int, int]],
            executed: list[tuple[str, int]]) -> Callable[[Any], tuple[Any, object]]:
    """``run``, recording the changed lines of patched code (``code``) it executes."""

    def local(frame: FrameType, event: str, arg: Any) -> Any:
        if event == "line" and len(executed) < 10_000:
            filename = frame.f_code.co_filename
            if frame.f_lineno in code[filename]:
                executed.append((filename, frame.f_lineno))
        return local

    def tracer(frame: FrameType, event: str, arg: Any) -> Any:
        return local if frame.f_code.co_filename in code else None

    def traced(inp: Any) -> tuple[Any, object]:
        sys.settrace(tracer)
        try:
            return run(inp)
        finally:
            sys.settrace(None)

    return traced


def _changed_executed(executed: Sequence[tuple[str, int]], code: Mapping[str, Mapping[int, int]]
                      ) -> tuple[str, int] | None:
    """The changed line run last (an edited line before a purely added one)."""
    best: tuple[str, int] | None = None
    rank = 0
    for filename, line in executed:
        priority = code[filename][line]
        if priority >= rank:
            best, rank = (filename, line), priority
    return best


def _import_regression(rt: Runtime, spec: TestSpec) -> dict[str, Any] | None:
    """The test module (as the patch leaves it) imports with the original code and not with the
    patched code."""
    error = rt.worlds.new.errors.get(spec.module)
    if error is None or spec.module not in rt.worlds.old.modules:
        return None
    if not isinstance(error, ImportError | AttributeError | NameError | TypeError):
        return None
    if isinstance(error, ModuleNotFoundError) and (error.name or "").split(".")[0] not in rt.worlds.tops:
        return None  # a dependency missing here, not a module of the repo the patch removed
    message = (f"{spec.path} imports with the original code and fails to import with the patched "
               f"code ({type(error).__name__}: {str(error)[:160]}); its tests no longer run")
    return {"rule": "test-regression", "path": spec.path, "line": 1, "message": message,
            "symbol": spec.path, "evidence": [["test", spec.path], ["new", f"{type(error).__name__}: {error}"]]}


def _finding(rule: str, spec: TestSpec, case: Case, new: Result, old: Result,
             paths: Mapping[str, str]) -> dict[str, Any]:
    test = f"{spec.path}::{spec.qualname}{case.label()}"
    failed = new.describe + (f" at {spec.path}:{new.line}" if new.line else "")
    if new.text:
        failed += f" `{new.text}`"
    whose = "a test this patch adds or edits" if spec.changed else "a test this patch leaves as it was"
    if rule == "test-regression":
        before = "passes"
        message = f"{test} ({whose}) passes against the original code and fails against the patched code: {failed}"
    else:
        before = f"cannot run: {old.describe}"
        message = (f"{test} ({whose}) fails against the patched code: {failed}; it tests what the patch "
                   f"adds (against the original code: {old.describe})")
    evidence = [["test", test], ["before the patch", before], ["after the patch", failed]]
    if new.where is not None:
        evidence.append(["changed line run", f"{paths[new.where[0]]}:{new.where[1]}"])
        message += f"; it runs the changed line {paths[new.where[0]]}:{new.where[1]}"
        path, line = paths[new.where[0]], new.where[1]
    else:
        path, line = spec.path, new.line or 1
    return {"rule": rule, "path": path, "line": line, "message": message,
            "symbol": spec.qualname, "evidence": evidence}


def _test_frame(exc: BaseException | None, spec: TestSpec) -> traceback.FrameSummary | None:
    """The test file's innermost frame in ``exc``'s traceback: where the test failed."""
    if exc is None:
        return None
    for frame in reversed(traceback.extract_tb(exc.__traceback__)):
        if frame.filename.endswith(spec.path) and frame.lineno:
            return frame
    return None

