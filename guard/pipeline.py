"""Run the analyzers over a workspace and keep what the patch introduced.

Each external tool runs first on the patched tree. Only when that run reports something in a file
that existed before the patch does the same tool run on the original tree, so that old problems
can be told apart from new ones; a clean patch costs one run per tool. Tools run concurrently, each
within its own budget; one that fails becomes a :class:`ToolError` and the rest still count.
"""

from __future__ import annotations

import ast
import contextlib
import hashlib
import re
import sys
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

from guard import callsites, persist
from guard.callsites import CallValues
from guard.changes import FileChanges, analyse_file, parse_tree
from guard.checks import bandit, mypy, ruff
from guard.checks.base import ToolFailure, ToolRun
from guard.checks.mypy_daemon import DaemonUnavailable, MypyDaemon, config_stamp
from guard.config import Options
from guard.context import in_context
from guard.findings import Finding, Note, Severity, ToolError
from guard.newonly import new_only
from guard.prune import identifiers
from guard.repo import importers, is_test_path, module_name, read_text
from guard.resolve import locate
from guard.workspace import State, Workspace

if TYPE_CHECKING:  # the property stage loads only when it runs
    from guard.checks import properties
    from guard.sandbox import ForkServer


@dataclass
class Outcome:
    findings: list[Finding] = field(default_factory=list)
    tool_errors: list[ToolError] = field(default_factory=list)
    notes: list[Note] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)


@dataclass
class _Plan:
    """Which files each state of the tree offers to the tools, and how to read symbols."""

    ws: Workspace
    changes: dict[str, FileChanges]
    target: tuple[int, int]
    after_paths: list[str]
    before_paths: list[str]
    dependents: list[str]
    renamed: dict[str, str]

    def overlay(self, state: State) -> Path:
        return self.ws.overlay(state, self._broken(state))

    def pruned_overlay(self) -> Path:
        """The patched tree with each touched file's unchanged function bodies left out, as the
        rules see them (:attr:`ParsedSource.pruned`: line numbers and columns kept). For a tool
        that reads one file at a time and whose findings outside the changed code are old ones
        anyway (bandit): it then reads the changed code, not the whole of every touched file."""
        replace = dict(self._broken("after") or {})
        for c in self.changes.values():
            if c.after is not None and c.path not in replace and c.after.pruned != c.after.text:
                replace[c.path] = c.after.pruned
        return self.ws.overlay("after", replace)

    def unseen_in_pruned(self, findings: Sequence[Finding], state: State) -> list[Finding]:
        """``findings`` (of either tree, symbols set) without those inside the functions
        :meth:`pruned_overlay` left out, signature included. Those functions are unchanged, so
        a whole-file run finds the same there before and after the patch, and the two cancel;
        matching old findings to new counts them (a second copy of an old problem is new), so
        both sides must leave out the same."""
        left_out: dict[str, frozenset[str]] = {}
        for c in self.changes.values():
            if c.after is None or c.after.pruned == c.after.text:
                continue
            whole, pruned = c.after.text.splitlines(), c.after.pruned.splitlines()
            starts = [
                n for n, (a, b) in enumerate(zip(whole, pruned, strict=False), start=1)
                if a != b and (n == 1 or whole[n - 2] == pruned[n - 2])
            ]  # fmt: skip
            # the line above a left-out body is its function's signature
            path = (c.file.old_path or c.path) if state == "before" else c.path
            left_out[path] = frozenset(c.after.enclosing(n - 1) for n in starts if n > 1)
        return [
            f for f in findings
            if not any(f.symbol == q or f.symbol.startswith(q + ".") for q in left_out.get(f.path, ()) if q)
        ]  # fmt: skip

    def contents(self, state: State) -> dict[str, str | None]:
        """The touched files' text in ``state``, as the overlay holds them."""
        return self.ws.contents(state, self._broken(state))

    def _broken(self, state: State) -> dict[str, str | None] | None:
        # Keep files the patch broke out of the tools' way: a syntax error stops mypy entirely.
        if state == "before":
            return None
        return {
            c.path: c.file.before
            for c in self.changes.values()
            if c.after is not None
            and c.after.syntax_error is not None
            and c.file.old_path == c.path
        }

    def with_symbols(self, findings: Sequence[Finding], state: State) -> list[Finding]:
        by_path = {
            (c.file.old_path if state == "before" else c.path): (
                c.before if state == "before" else c.after
            )
            for c in self.changes.values()
        }
        out = []
        for f in findings:
            parsed = by_path.get(f.path)
            symbol = parsed.enclosing(f.line) if parsed is not None else ""
            out.append(_replace_symbol(f, symbol))
        return out

    def changed(self) -> dict[str, frozenset[int]]:
        return {c.path: c.changed_lines for c in self.changes.values()}

    def has_before(self, findings: Sequence[Finding]) -> bool:
        """Could any of these findings be old? Not if all sit in files the patch created."""
        new_files = {c.path for c in self.changes.values() if c.file.before is None}
        return any(f.path not in new_files for f in findings)


def _replace_symbol(f: Finding, symbol: str) -> Finding:
    return replace(f, symbol=symbol)


def plan(ws: Workspace, target: tuple[int, int]) -> _Plan:
    changes = {f.path: analyse_file(f) for f in ws.files}
    after_paths = [
        c.path for c in changes.values() if c.after is not None and c.after.syntax_error is None
    ]
    before_paths = [
        c.file.old_path
        for c in changes.values()
        if c.before is not None and c.before.syntax_error is None and c.file.old_path
    ]
    renamed = {
        c.file.old_path: c.path
        for c in changes.values()
        if c.file.old_path and c.file.old_path != c.path
    }
    touched_modules = {
        module_name(ws.repo, c.file.old_path or c.path)
        for c in changes.values()
        if _interface_may_change(c)
    }
    everything = set(after_paths) | set(before_paths) | set(renamed)
    dependents = (
        importers(ws.repo, touched_modules, exclude=everything, files=ws.repo_python_files)
        if touched_modules
        else []
    )
    return _Plan(ws, changes, target, after_paths, before_paths, dependents, renamed)


def _interface_may_change(c: FileChanges) -> bool:
    """True unless every change sits inside function bodies (which callers cannot see)."""
    if c.after is None or c.after.tree is None or c.before is None or c.file.old_path != c.path:
        return True
    bodies: list[tuple[int, int]] = []
    for node in ast.walk(c.after.tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.body:
            bodies.append((node.body[0].lineno, node.end_lineno or node.body[0].lineno))
    return any(not any(a <= line <= b for a, b in bodies) for line in c.changed_lines)


Runner = Callable[[ToolRun], list[Finding]]


class ToolCache:
    """Tool results keyed by what they depend on, kept across the checks of a warm session.

    ruff and bandit look at one file at a time: their key is the checked files' content. mypy
    also reads every module those files import, so its key includes a stamp of the whole repo.
    """

    def __init__(self, size: int = 512) -> None:
        self._data: OrderedDict[str, list[Finding]] = OrderedDict()
        self._size = size
        self._lock = threading.Lock()
        self.hits = 0

    def wrap(
        self, name: str, runner: Runner, repo_stamp: Callable[[], str] | None = None
    ) -> Runner:
        def run(job: ToolRun) -> list[Finding]:
            digest = hashlib.sha256(f"{name}{job.target_version}".encode())
            if repo_stamp is not None:
                digest.update(repo_stamp().encode())
            for path in job.paths:
                digest.update(path.encode() + b"\0")
                digest.update(hashlib.sha256((job.root / path).read_bytes()).digest())
            key = digest.hexdigest()
            with self._lock:
                if key in self._data:
                    self._data.move_to_end(key)
                    self.hits += 1
                    return list(self._data[key])
            found = runner(job)
            with self._lock:
                self._data[key] = list(found)
                while len(self._data) > self._size:
                    self._data.popitem(last=False)
            return found

        return run


def repo_stamp(repo: Path, files: Sequence[str]) -> str:
    """Changes whenever any of the repo's Python ``files`` is added, removed or modified."""
    digest = hashlib.sha256()
    for rel in files:
        try:
            st = (repo / rel).stat()
        except OSError:
            continue
        digest.update(f"{rel}:{st.st_mtime_ns}:{st.st_size};".encode())
    return digest.hexdigest()


# What a tool's new findings mean can depend on what it said about the original tree.
_ADJUST: dict[str, Callable[[list[Finding], list[Finding]], list[Finding]]] = {
    "mypy": mypy.weigh_by_noise,
}


def _tool_stage(
    name: str,
    runner: Runner,
    p: _Plan,
    options: Options,
    out: Outcome,
    with_dependents: bool,
    speculate: bool = False,
    after_root: Path | None = None,
) -> None:
    """Run ``runner`` on the patched tree (``after_root``, default the patched overlay), and on
    the original tree when that can tell old findings from new. With ``speculate`` the
    original-tree run starts at once, beside the first (two cores for one tool's latency),
    instead of only once the first found something."""
    started = time.perf_counter()
    budget = options.budgets.get(name, 30.0)
    extra = p.dependents if with_dependents else []
    before_job = ToolRun(p.overlay("before"), [*p.before_paths, *extra], p.target, budget)
    early: Future[list[Finding]] | None = None
    pool: ThreadPoolExecutor | None = None
    if speculate and p.before_paths:
        pool = ThreadPoolExecutor(max_workers=1)
        early = pool.submit(runner, before_job)
    try:
        root = after_root if after_root is not None else p.overlay("after")
        after = runner(ToolRun(root, [*p.after_paths, *extra], p.target, budget))
        after = p.with_symbols(after, "after")
        if after_root is not None:
            after = p.unseen_in_pruned(after, "after")
        before: list[Finding] = []
        if after and p.has_before(after):
            before = early.result() if early is not None else runner(before_job)
            before = p.with_symbols(before, "before")
            if after_root is not None:
                before = p.unseen_in_pruned(before, "before")
        new = new_only(after, before, p.changed(), p.renamed)
        adjust = _ADJUST.get(name)
        if adjust is not None:  # in terms of the patched tree: a renamed file keeps its history
            new = adjust(new, [replace(f, path=p.renamed.get(f.path, f.path)) for f in before])
        out.findings.extend(new)
    except ToolFailure as failure:
        out.tool_errors.append(ToolError(name, str(failure)))
        print(f"guard: {name}: {failure}", file=sys.stderr)
    except Exception as exc:  # a bug in guard's handling of one tool costs that tool, not the check
        message = f"{name} stage crashed: {type(exc).__name__}: {exc}"
        out.tool_errors.append(ToolError(name, message))
        print(f"guard: {message}", file=sys.stderr)
    finally:
        if pool is not None:  # the overlays must outlive the early run, even when unused
            pool.shutdown(wait=True)
        out.timings[name] = round(time.perf_counter() - started, 3)


def _mypy_runner(p: _Plan, out: Outcome, daemon: MypyDaemon | None, stamp: str | None) -> Runner:
    # Both trees of one check go through the same mypy: the daemon (--follow-imports=normal) and a
    # separate process (--follow-imports=silent) need not report alike, and the original tree's
    # findings are what tells the patched tree's old complaints from new ones. A daemon still
    # starting for the first run stays unused for the second, though it may be ready by then
    # (pydash 8.1.0: chaining.py's old complaint was reported new when only one run used it).
    separate: list[bool] = []

    def run(job: ToolRun) -> list[Finding]:
        state: State = "before" if job.root == p.overlay("before") else "after"
        if daemon is not None and stamp is not None and not separate:
            try:
                found = daemon.run(
                    p.contents(state),
                    job.paths,
                    job.target_version,
                    p.ws.repo_python_files,
                    stamp,
                    job.budget_s,
                )
            except DaemonUnavailable as exc:
                separate.append(True)
                out.notes.append(Note("mypy", f"{exc}; mypy ran as a separate process"))
            else:
                if daemon.note and not any(n.message == daemon.note for n in out.notes):
                    out.notes.append(Note("mypy", daemon.note))
                return found
        findings, note = mypy.run(job, mypy.cache_dir(p.ws.repo, state))
        if note and not any(n.message == note for n in out.notes):
            out.notes.append(Note("mypy", note))
        return findings

    return run


def _original_kept(runner: Runner, p: _Plan) -> Runner:
    """A cold check's mypy findings on the original tree, kept for the next process (guard.persist):
    consecutive checks against one base (a pre-commit hook, a developer re-running a check) find
    them there instead of running a second mypy. Keyed by everything mypy reads: the checked files'
    content, every Python file of the repo (path, mtime, size), its configuration files, the
    installed packages' directories, mypy's version and the target Python. The patched tree's run
    is never kept: it is new with every patch."""
    original = p.overlay("before")

    def run(job: ToolRun) -> list[Finding]:
        if job.root != original:
            return runner(job)
        from mypy.version import __version__ as mypy_version

        repo = p.ws.repo
        key = (
            mypy_version, str(repo.resolve()), job.target_version,
            repo_stamp(repo, p.ws.repo_python_files),
            config_stamp(repo),
            persist.stamp(locate.site_dirs(repo)),
            tuple((path, hashlib.sha256((job.root / path).read_bytes()).hexdigest()) for path in job.paths),
        )  # fmt: skip
        return persist.cached("mypy-original", key, lambda: runner(job))

    return run


def _rules_stage(p: _Plan, options: Options, out: Outcome) -> None:
    started = time.perf_counter()
    from guard import rulekit  # libcst: imported while the tools already run

    rules, dropped = rulekit.discover(options.disable)
    for d in dropped:
        if d.reason.startswith(("failed to import", "entry point failed")):
            out.tool_errors.append(ToolError("guard", f"rule {d.rule} is unavailable: {d.reason}"))
    project = rulekit.Project(p.ws.repo, p.target, dict(p.changes), dict(p.ws.declarations))
    try:
        findings, errors = rulekit.run_rules(rules, project, options.budgets.get("rules"))
        out.findings.extend(findings)
        for message in errors:
            out.tool_errors.append(ToolError("guard", message))
            print(f"guard: {message}", file=sys.stderr)
    finally:
        out.timings["rules"] = round(time.perf_counter() - started, 3)


_MODULE_ATTRIBUTE = re.compile(r'Module (?:"([\w.]+)" )?has no attribute "(\w+)"')


def _module_at(source: str, line: int, name: str) -> str | None:
    """The module whose attribute ``name`` the code on ``line`` reads (``msvcrt.get_osfhandle``,
    ``import os.path as p; p.x``), from the file's imports; None when not a module's."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return None
    aliases: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for a in node.names:
                aliases[a.asname or a.name.split(".")[0]] = a.name if a.asname else a.name.split(".")[0]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            for a in node.names:
                aliases[a.asname or a.name] = f"{node.module}.{a.name}"
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr == name and node.lineno <= line <= (node.end_lineno or line):
            parts: list[str] = []
            inner: ast.expr = node.value
            while isinstance(inner, ast.Attribute):
                parts.insert(0, inner.attr)
                inner = inner.value
            if isinstance(inner, ast.Name) and inner.id in aliases:
                return ".".join([aliases[inner.id], *parts])
    return None


def _elsewhere_defined(findings: list[Finding], p: _Plan) -> list[Finding]:
    """mypy's "Module X has no attribute Y" where X does define Y, in a branch mypy does not take
    here (``if sys.platform == "win32":`` in typeshed's ``msvcrt``, a repo module's other-platform
    branch): kept as INFO. So is a name typeshed gives the module only in a Python newer than the
    project's oldest (``concurrent.futures.InterpreterPoolExecutor`` with 3.9 supported): real, so
    not this finding's claim; nonexistent-attribute reports it, weakly, as too new."""
    hits = [
        f for f in findings
        if f.analyzer == "mypy" and f.rule == "attr-defined" and f.severity > Severity.INFO
        and _MODULE_ATTRIBUTE.match(f.message)
    ]  # fmt: skip
    if not hits:
        return findings
    from guard import rulekit
    from guard.resolve import Func, Klass, Module, Value, environment_for

    env = environment_for(rulekit.Project(p.ws.repo, p.target, dict(p.changes), dict(p.ws.declarations)))
    out = []
    for f in findings:
        match = _MODULE_ATTRIBUTE.match(f.message) if f in hits else None
        changes = p.changes.get(f.path)
        source = changes.after.text if changes is not None and changes.after is not None else None
        owner = (match[1] or (_module_at(source, f.line, match[2]) if source else None)) if match else None
        if match is not None and owner is not None and isinstance(env.resolve(owner), Module):
            reason = None
            if isinstance(env.resolve(f"{owner}.{match[2]}"), Module | Klass | Func | Value):
                reason = f"'{owner}' defines '{match[2]}' in a branch mypy does not take here (another platform)"
            elif (since := env.added_later(Module(owner), match[2])) is not None:
                reason = (
                    f"'{owner}.{match[2]}' is real, new in Python {since[0]}.{since[1]}: newer than the oldest "
                    f"Python the project supports ({p.target[0]}.{p.target[1]}), not a name that does not exist"
                )
            if reason is not None:
                f = replace(f, severity=Severity.INFO, evidence=(*f.evidence, ("context", reason)))
        out.append(f)
    return out


def _unused_suppressions(findings: list[Finding]) -> list[Finding]:
    """suppression-added for a ``# type: ignore`` that mypy, run here, reports unused: it silences
    nothing in this environment (schedule 1.2.0's ignore on ``pytz.timezone(tz)``, for when pytz's
    stubs are installed; pytz is not), so it hides no complaint about the patch: kept as INFO. One
    that hides a complaint mypy would make (a made-up attribute) is used, and still counts."""
    unused = {
        (f.path, f.line): _ignored_codes(f.message) for f in findings if f.analyzer == "mypy" and f.rule == "unused-ignore"
    }  # fmt: skip
    if not unused:
        return findings
    out = []
    for f in findings:
        silenced = unused.get((f.path, f.line))
        if (
            silenced is not None and f.rule == "suppression-added" and f.analyzer == "guard"
            and f.severity > Severity.INFO and "type: ignore" in f.message
            and (not silenced or _ignored_codes(f.message) <= silenced)
        ):  # fmt: skip
            reason = "mypy reports this `# type: ignore` unused here: it silences nothing"
            f = replace(f, severity=Severity.INFO, evidence=(*f.evidence, ("context", reason)))
        out.append(f)
    return out


def _ignored_codes(message: str) -> frozenset[str]:
    """The codes of the first ``type: ignore[...]`` in a message (none: a blanket ignore)."""
    found = re.search(r"type:\s*ignore\[([^\]]*)\]", message)
    return frozenset(c.strip() for c in found[1].split(",") if c.strip()) if found else frozenset()


def property_subjects(
    changes: Sequence[FileChanges],
) -> tuple[list[properties.ModuleVersions], list[properties.ChangedFunction]]:
    """The touched modules and the changed functions the property stage runs (tests excluded:
    they are not functions to fuzz; nested functions cannot be called from outside)."""
    from guard.checks import properties

    modules = [
        properties.ModuleVersions(c.path, c.file.before, c.file.after)
        for c in changes
        if not is_test_path(c.path)
    ]
    functions = []
    for c in changes:
        if is_test_path(c.path) or c.after is None or c.after.syntax_error is not None:
            continue
        old = {d.qualname for d in c.before.definitions} if c.before is not None else set()
        for d in c.changed_definitions:
            if d.kind == "function" and "<locals>" not in d.qualname:
                functions.append(
                    properties.ChangedFunction(c.path, d.qualname, d.qualname not in old)
                )
    return modules, functions


MAX_CHANGED_TESTS = 20
MAX_COVERING_TESTS = 80


def test_subjects(
    ws: Workspace, changes: Sequence[FileChanges], functions: Sequence[properties.ChangedFunction]
) -> tuple[list[properties.ModuleVersions], list[properties.TestSubject]]:
    """The repo's tests to run against the original and the patched code, and their modules (as
    the patch leaves them, in both worlds): the test functions the patch adds or edits, and the
    tests it leaves alone that name a changed function (the function's name; a changed
    ``__init__`` or other dunder by its class's name). Only when a non-test function changed: a
    patch of tests alone changes no behaviour to check."""
    from guard.checks import properties

    if not functions:
        return [], []
    touched = {c.path: c for c in changes}
    chosen: dict[str, list[properties.TestSubject]] = {}
    seen: set[tuple[str, str]] = set()
    for c in changes:
        if not _test_module(c.path) or c.after is None or c.after.syntax_error is not None:
            continue
        edited = {d.qualname for d in c.changed_definitions}
        assert c.after.tree is not None  # it parsed: no syntax error
        for qualname, _ in _test_defs(c.after.tree, c.after.text.splitlines()):
            # An edited test, or a test of an edited class (a new TestCase whose tests a mixin
            # of the module defines).
            if (qualname in edited or qualname.split(".")[0] in edited) and len(chosen.get(c.path, [])) < MAX_CHANGED_TESTS:
                chosen.setdefault(c.path, []).append(properties.TestSubject(c.path, qualname, True))
                seen.add((c.path, qualname))
    stems = {fn.path.rsplit("/", 1)[-1].removesuffix(".py") for fn in functions}
    # A test file the patch renames is gone under its old name (wsproto 1.3.0 moved test/ to
    # tests/): run as the original left it, it is no test of the patched code.
    gone = {c.file.old_path for c in changes if c.file.old_path and c.file.old_path != c.path}
    files = sorted(
        {*(f for f in ws.repo_python_files if _test_module(f) and f not in gone),
         *(p for p in touched if _test_module(p))},
        key=lambda f: (not any(stem in f.rsplit("/", 1)[-1] for stem in stems), f),
    )
    texts = {path: c.file.after for path, c in touched.items()}
    order = [t for ts in chosen.values() for t in ts]
    covering = 0
    # The tests that name a changed function first; then, in the slots left, those that name only
    # a public caller of a changed private one (they reach it less directly, and must not take
    # the time of the tests that name it).
    direct = _searched_names(functions)
    for names in (direct, _public_callers(changes, functions) - direct):
        pattern = re.compile(r"\b(?:" + "|".join(map(re.escape, sorted(names))) + r")\b") if names else None
        for path in files:
            if pattern is None or covering >= MAX_COVERING_TESTS:
                break
            text = texts[path] if path in texts else texts.setdefault(path, read_text(ws.repo / path))
            if not text or pattern.search(text) is None:
                continue
            try:
                tree = parse_tree(text)
            except (SyntaxError, ValueError):
                continue
            for qualname, body in _test_defs(tree, text.splitlines()):
                if (path, qualname) in seen or pattern.search(body) is None:
                    continue
                chosen.setdefault(path, []).append(properties.TestSubject(path, qualname, False))
                order.append(properties.TestSubject(path, qualname, False))
                seen.add((path, qualname))
                covering += 1
                if covering >= MAX_COVERING_TESTS:
                    break
    modules = []
    for path in chosen:
        # The same text in both worlds: the test as the patch leaves it, run against the original
        # and the patched code (guard.harness.testrun).
        modules.append(properties.ModuleVersions(path, texts[path], texts[path]))
    return modules, order


def _test_module(path: str) -> bool:
    name = path.rsplit("/", 1)[-1]
    return is_test_path(path) and name.endswith(".py") and name != "conftest.py" and name.startswith("test")


def _test_defs(tree: ast.Module, lines: Sequence[str]) -> list[tuple[str, str]]:
    """Each test of the module with the text that may name what it tests: a function's own
    text; a test method's text and its class's own statements besides test methods (``DECORATOR =
    staticmethod(func.mru_cache)``, a helper method ``def decorator(self, maxsize): return
    func.mru_cache(maxsize)`` or ``setUp`` that the tests call), the helpers of its bases in the
    same module included, and inherited test methods of classes of the same module too (a mixin's
    tests run once per concrete class)."""

    def text(node: ast.AST) -> str:
        return "\n".join(lines[node.lineno - 1 : node.end_lineno or node.lineno])  # type: ignore[attr-defined]

    classes = {n.name: n for n in tree.body if isinstance(n, ast.ClassDef)}

    def methods(cls: ast.ClassDef, seen: frozenset[str]) -> dict[str, ast.AST]:
        found: dict[str, ast.AST] = {}
        for base in cls.bases:
            if isinstance(base, ast.Name) and base.id in classes and base.id not in seen:
                found.update(methods(classes[base.id], seen | {base.id}))
        for n in cls.body:
            if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef) and n.name.startswith("test"):
                found[n.name] = n
        return found

    def helpers(cls: ast.ClassDef, seen: frozenset[str]) -> list[str]:
        """The text of the class's statements other than test methods, and of its bases'."""
        found = [
            text(n) for n in cls.body
            if not (isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef) and n.name.startswith("test"))
        ]  # fmt: skip
        for base in cls.bases:
            if isinstance(base, ast.Name) and base.id in classes and base.id not in seen:
                found += helpers(classes[base.id], seen | {base.id})
        return found

    out: list[tuple[str, str]] = []
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name.startswith("test"):
            out.append((node.name, text(node)))
        elif isinstance(node, ast.ClassDef):
            own = "\n".join(helpers(node, frozenset({node.name})))
            out += [(f"{node.name}.{name}", f"{own}\n{text(m)}") for name, m in methods(node, frozenset({node.name})).items()]
    return out


MAX_CALLER_DEPTH = 3
"""How many calls up from a changed private function its public callers are looked for."""


def _public_callers(changes: Sequence[FileChanges], functions: Sequence[properties.ChangedFunction]) -> set[str]:
    """The names tests would use for the code that reaches a changed private function (``_emit``,
    ``Parser._handle_field``) in its own module: the public functions and methods that call it,
    directly or through other private ones (up to ``MAX_CALLER_DEPTH`` calls up), a class's name
    for its dunder methods. Tests name the public API, not the helper behind it."""
    trees = {c.path: c.after.tree for c in changes if c.after is not None and c.after.tree is not None}
    names: set[str] = set()
    for path in {fn.path for fn in functions if not fn.is_new}:
        tree = trees.get(path)
        if tree is None:
            continue
        calls = _module_calls(tree)
        todo = {fn.qualname.split(".")[-1] for fn in functions if fn.path == path and not fn.is_new}
        todo = {n for n in todo if n.startswith("_") and not (n.startswith("__") and n.endswith("__"))}
        seen = set(todo)
        for _ in range(MAX_CALLER_DEPTH):
            found: set[str] = set()
            for qualname, called in calls.items():
                if called & todo:
                    parts = qualname.split(".")
                    name = parts[-1]
                    if name.startswith("__") and name.endswith("__") and len(parts) > 1:
                        name = parts[-2]
                    if name.startswith("_"):
                        found.add(name)
                    elif len(name) >= 3 and not name.startswith("test"):
                        names.add(name)
            todo = found - seen
            seen |= found
            if not todo:
                break
    return names


def _module_calls(tree: ast.Module) -> dict[str, set[str]]:
    """Each top-level function and method of ``tree`` (by qualname) -> the bare names it refers
    to: calls (``helper(...)``, ``self.helper(...)``, ``module.helper(...)``) and callbacks
    (``map(helper, xs)``)."""
    out: dict[str, set[str]] = {}
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            out[node.name] = identifiers([node])
        elif isinstance(node, ast.ClassDef):
            for item in node.body:
                if isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef):
                    out[f"{node.name}.{item.name}"] = identifiers([item])
    return out


def _searched_names(functions: Sequence[properties.ChangedFunction]) -> set[str]:
    names = set()
    for fn in functions:
        if fn.is_new:
            continue  # no test the patch left alone can know it
        parts = fn.qualname.split(".")
        name = parts[-1]
        if name.startswith("__") and name.endswith("__"):
            if len(parts) < 2:
                continue
            name = parts[-2]
        if len(name) >= 3 and not name.startswith("test"):
            names.add(name)
    return names


def _call_values(p: _Plan, functions: Sequence[properties.ChangedFunction]) -> dict[str, CallValues]:
    """The literals the repo (as the patch leaves it) passes to the changed functions and to
    their classes' constructors (:mod:`guard.callsites`)."""
    names: set[str] = set()
    for fn in functions:
        parts = [part for part in fn.qualname.split(".") if part != "<locals>"]
        names.add(parts[-1])
        if len(parts) > 1:
            names.add(parts[-2])  # a method's class: its constructor builds the instance
    after = {path: c.after.text for path, c in p.changes.items() if c.after is not None}
    gone = {path for path, c in p.changes.items() if c.after is None}
    files = [f for f in dict.fromkeys([*p.ws.repo_python_files, *after]) if f not in gone and f.endswith(".py")]
    return callsites.argument_values(names, files, lambda rel: after.get(rel) or read_text(p.ws.repo / rel))


def _properties_stage(
    p: _Plan, options: Options, out: Outcome, fork_server: Callable[[], Sequence[ForkServer]] | None
) -> None:
    """Run the changed functions, old against new, in the sandbox."""
    from guard.checks import properties

    started = time.perf_counter()
    modules, functions = property_subjects(list(p.changes.values()))
    try:
        if functions:
            budget = properties.PropertyBudget(stage_s=options.budgets.get("properties", 5.0))
            test_modules, tests = test_subjects(p.ws, list(p.changes.values()), functions)
            server = fork_server() if fork_server is not None else ()
            result = properties.run_properties(p.ws.repo, [*modules, *test_modules], functions, budget,
                                               server, tests, _call_values(p, functions))
            out.findings.extend(result.findings)
            out.notes.extend(result.notes)
            out.notes.append(Note("properties", "isolation: " + ", ".join(result.isolation)))
    except Exception as exc:  # the stage must never take the check down
        out.tool_errors.append(ToolError("properties", f"{type(exc).__name__}: {exc}"))
        print(f"guard: properties: {exc}", file=sys.stderr)
    finally:
        out.timings["properties"] = round(time.perf_counter() - started, 3)


def run_pipeline(
    ws: Workspace,
    options: Options,
    target: tuple[int, int],
    cache: ToolCache | None = None,
    mypy_daemon: MypyDaemon | None = None,
    fork_server: Callable[[], Sequence[ForkServer]] | None = None,
) -> Outcome:
    """Run every enabled analyzer; ``cache``, a resident ``mypy_daemon`` and a ``fork_server``
    for property jobs serve sessions. bandit runs in this process, warm or cold: one import of it
    (~0.3 s of CPU) instead of a process for each tree (~0.35 s each)."""
    out = Outcome()
    started = time.perf_counter()
    p = plan(ws, target)
    for c in p.changes.values():
        syntax = c.syntax_finding()
        if syntax is not None and c.after is not None and ruff.parses_on_newer_python(c.after.text, c.path):
            here = f"{sys.version_info[0]}.{sys.version_info[1]}"
            reason = f"valid Python of a version newer than the {here} running guard (ruff's parser reads it)"
            syntax = replace(syntax, severity=Severity.INFO, evidence=(("context", reason),))
        if syntax is not None:
            out.findings.append(syntax)
    # Overlays are built here, before threads start, so no two threads build one at once.
    p.overlay("after")
    p.overlay("before")
    pruned = p.pruned_overlay() if "bandit" in options.analyzers else None
    if "ruff" in options.analyzers:
        with contextlib.suppress(ToolFailure):  # reported by the ruff stage itself
            ruff.binary()
    stamp = repo_stamp(ws.repo, ws.repo_python_files) if cache is not None or mypy_daemon else None
    runners: dict[str, tuple[Runner, bool]] = {
        "ruff": (ruff.run, False),
        "bandit": (bandit.run_in_process, False),
        "mypy": (_mypy_runner(p, out, mypy_daemon, stamp), True),
    }
    if cache is not None:
        runners = {
            name: (cache.wrap(name, run, (lambda: stamp or "") if deps else None), deps)
            for name, (run, deps) in runners.items()
        }
    elif mypy_daemon is None:
        runners["mypy"] = (_original_kept(runners["mypy"][0], p), True)
    stages: list[Callable[[], None]] = []
    for name, (runner, with_dependents) in runners.items():
        if name in options.analyzers:
            stages.append(
                lambda name=name, runner=runner, deps=with_dependents: _tool_stage(  # type: ignore[misc]
                    name, runner, p, options, out, deps, speculate=name == "mypy" and mypy_daemon is None,
                    after_root=pruned if name == "bandit" else None,
                )
            )
    if "properties" in options.analyzers and options.execute:
        stages.append(lambda: _properties_stage(p, options, out, fork_server))
    elif not options.execute:
        out.notes.append(
            Note("properties", "changed functions were not executed (execution is off)")
        )
    with ThreadPoolExecutor(max_workers=max(len(stages), 1)) as pool:
        futures = [pool.submit(stage) for stage in stages]
        if "rules" in options.analyzers:
            _rules_stage(p, options, out)
        for future in futures:
            future.result()
    sources = {c.path: c.after.text for c in p.changes.values() if c.after is not None}
    for dependent in p.dependents:
        sources[dependent] = (ws.repo / dependent).read_text(encoding="utf-8", errors="replace")
    originals = {path: c.before.text for path, c in p.changes.items() if c.before is not None}
    kept = (f for f in set(out.findings) if not options.ignores(f.rule, f.path))
    out.findings = sorted(_unused_suppressions(_elsewhere_defined(in_context(kept, sources, originals), p)))
    out.timings["total_s"] = round(time.perf_counter() - started, 3)
    return out
