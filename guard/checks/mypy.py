"""mypy in JSON mode, with the repo's own configuration and a cache outside the user's tree.

Bodies of unannotated functions are checked too (``--check-untyped-defs``): model-written code is
often unannotated, and that is where a call to a method that does not exist hides. A ``# type:
ignore`` that silences nothing is reported (``--warn-unused-ignores``, INFO): the pipeline tells a
suppression that hides a complaint from one that hides none here. Error codes
about annotation hygiene rather than correctness map to INFO and never move the score.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import re
import sys
from collections.abc import Iterator, Sequence
from dataclasses import replace
from pathlib import Path

from guard import persist
from guard.checks.base import ToolFailure, ToolRun, keep_paths, relative, run_tool
from guard.findings import Confidence, Finding, Severity

NAME = "mypy"

SEVERITY: dict[str, tuple[Severity, Confidence]] = {
    "attr-defined": (Severity.ERROR, Confidence.HIGH),
    "name-defined": (Severity.ERROR, Confidence.HIGH),
    "call-arg": (Severity.ERROR, Confidence.HIGH),
    "call-overload": (Severity.ERROR, Confidence.MEDIUM),
    "arg-type": (Severity.ERROR, Confidence.MEDIUM),
    "return-value": (Severity.ERROR, Confidence.HIGH),
    "return": (Severity.ERROR, Confidence.MEDIUM),
    "union-attr": (Severity.WARNING, Confidence.MEDIUM),
    "operator": (Severity.ERROR, Confidence.MEDIUM),
    "index": (Severity.WARNING, Confidence.MEDIUM),
    "assignment": (Severity.WARNING, Confidence.MEDIUM),
    "valid-type": (Severity.WARNING, Confidence.MEDIUM),
    "has-type": (Severity.WARNING, Confidence.LOW),
    "abstract": (Severity.ERROR, Confidence.MEDIUM),
    "misc": (Severity.WARNING, Confidence.MEDIUM),
    "syntax": (Severity.ERROR, Confidence.HIGH),
    # guard's own unresolved-import rule decides about imports, knowing the declared dependencies.
    "import-not-found": (Severity.INFO, Confidence.MEDIUM),
    "import-untyped": (Severity.INFO, Confidence.LOW),
    "import": (Severity.INFO, Confidence.LOW),
    # hygiene, not correctness
    "no-untyped-def": (Severity.INFO, Confidence.LOW),
    "no-untyped-call": (Severity.INFO, Confidence.LOW),
    "var-annotated": (Severity.INFO, Confidence.LOW),
    "type-arg": (Severity.INFO, Confidence.LOW),
    "no-any-return": (Severity.INFO, Confidence.LOW),
    "no-any-unimported": (Severity.INFO, Confidence.LOW),
    "unused-ignore": (Severity.INFO, Confidence.LOW),
    "unused-coroutine": (Severity.WARNING, Confidence.MEDIUM),
    "redundant-cast": (Severity.INFO, Confidence.LOW),
    "annotation-unchecked": (Severity.INFO, Confidence.LOW),
    "empty-body": (Severity.INFO, Confidence.LOW),
    "override": (Severity.WARNING, Confidence.LOW),
    "no-redef": (Severity.WARNING, Confidence.MEDIUM),
}
DEFAULT = (Severity.WARNING, Confidence.LOW)


def cache_dir(repo: Path, state: str) -> Path:
    """Per repo and state, under the user's cache directory, never inside the repo."""
    digest = hashlib.sha256(str(repo.resolve()).encode()).hexdigest()[:16]
    return persist.cache_base() / "mypy" / digest / state


def run(job: ToolRun, cache: Path) -> tuple[list[Finding], str | None]:
    """Findings, and a note when the repo's mypy configuration had to be set aside."""
    paths = checkable(job.paths, job.root)
    if not paths:
        return [], None
    from mypy.defaults import PYTHON3_VERSION_MIN  # here: it loads mypy's compiled runtime

    major, minor = max(job.target_version, PYTHON3_VERSION_MIN)
    argv = [
        sys.executable, "-m", "mypy", "--output", "json", "--show-column-numbers",
        "--show-error-end", "--no-error-summary", "--no-pretty", "--follow-imports=silent",
        "--check-untyped-defs", "--warn-unused-ignores", "--cache-dir", str(cache),
        "--python-version", f"{major}.{minor}",
    ]  # fmt: skip
    note = None
    with _exclusive(cache):
        try:
            out, paths = _run_naming_each_file_once(argv, paths, job)
        except ToolFailure as failure:
            if "did not finish" in str(failure):
                raise
            # A repo config that names an uninstalled plugin, an unknown option, ...: go on without it.
            out = run_tool(
                NAME, [*argv, "--config-file", "", "--", *paths], job.root, job.budget_s, ok_codes={0, 1}
            )
            note = f"mypy ran without the repo's configuration, which it could not use: {failure}"
    return keep_paths(_parse(job.root, out), job.paths), note


_FOUND_TWICE = re.compile(r'"file": "([^"]+)"[^{}]*Source file found twice under different module names')


def _run_naming_each_file_once(argv: list[str], paths: list[str], job: ToolRun) -> tuple[str, list[str]]:
    """Run mypy on ``paths``; a file mypy finds twice under two names (``tools/x.py`` given as a
    script, imported elsewhere as ``tools.x`` through a namespace package) makes it stop: that
    file is left to the import that names it (its errors are then not reported) and mypy runs
    again, a few times at most. Returns the output and the paths checked."""
    for _ in range(3):
        try:
            return run_tool(NAME, [*argv, "--", *paths], job.root, job.budget_s, ok_codes={0, 1}), paths
        except ToolFailure as failure:
            twice = _FOUND_TWICE.search(str(failure))
            if twice is None or twice[1] not in paths or len(paths) == 1:
                raise
            paths = [p for p in paths if p != twice[1]]
    return run_tool(NAME, [*argv, "--", *paths], job.root, job.budget_s, ok_codes={0, 1}), paths


def checkable(paths: Sequence[str], root: Path | None = None) -> list[str]:
    """The paths to give mypy: one file per module, since mypy stops on a module named twice
    (``Duplicate module named ...``). A stub (``.pyi``) passed with its own ``.py``: the
    implementation is kept, the code that runs (importers then see it instead of the stub, for
    this run). With ``root``, files outside packages that share a name (a ``setup.py`` or a
    ``conftest.py`` in several directories): the shallowest is kept, the others are not checked
    by mypy (ruff, bandit and the rules still read them)."""
    given = set(paths)
    kept = [p for p in paths if not (p.endswith(".pyi") and p[:-1] in given)]
    if root is None:
        return kept
    owner: dict[str, str] = {}
    for p in sorted(kept, key=lambda p: (p.count("/"), p)):
        owner.setdefault(_module_of(root, p), p)
    chosen = set(owner.values())
    return [p for p in kept if p in chosen]


def _module_of(root: Path, path: str) -> str:
    """The module mypy names a file by: its directories up to the first without ``__init__``; a
    ``NAME-stubs`` directory (a PEP 561 stub package, as jsonpatch ships beside ``jsonpatch.py``)
    names module ``NAME``."""
    parts = path.split("/")
    name = [parts[-1].rsplit(".", 1)[0]]
    if name == ["__init__"]:
        name = []
    folders = parts[:-1]
    while folders and any((root.joinpath(*folders) / init).is_file() for init in ("__init__.py", "__init__.pyi")):
        name.insert(0, folders.pop())
    return ".".join(part.removesuffix("-stubs") for part in name)


@contextlib.contextmanager
def _exclusive(cache: Path) -> Iterator[None]:
    """One mypy at a time per cache directory, across processes: mypy's cache is not safe for
    concurrent writers, and two guard checks of one repo at once (parallel CI jobs, a hook beside
    an editor) otherwise see each other's half-written entries and report different errors."""
    cache.mkdir(parents=True, exist_ok=True)
    with open(cache / ".guard-lock", "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


# mypy's complaint about one member of a union: ``Item "A" of "A | B" has no attribute "x"``.
_UNION_ITEM = re.compile(r'^Item "(?:[^"]|"[^"]*")*?" of (".*") has no attribute "(\w+)"')


def _parse(root: Path, out: str) -> list[Finding]:
    """The findings of mypy's JSON output. mypy reports an attribute access on a union once per
    member that lacks the attribute; that is one access, one problem: kept once (the first)."""
    findings = []
    seen_unions: set[tuple[str, int, int, str, str]] = set()
    for raw in out.splitlines():
        if not raw.startswith("{"):
            continue
        try:
            item = json.loads(raw)
        except json.JSONDecodeError:
            continue
        if item.get("severity") != "error":
            continue
        code = item.get("code") or "misc"
        severity, confidence = SEVERITY.get(code, DEFAULT)
        message = item.get("message", "")
        if item.get("hint"):
            message = f"{message} ({item['hint']})"
        union = _UNION_ITEM.match(message) if code == "union-attr" else None
        if union is not None:
            key = (str(item["file"]), int(item.get("line", 1)), int(item.get("column", 0)), union[1], union[2])
            if key in seen_unions:
                continue
            seen_unions.add(key)
        findings.append(
            Finding(
                path=relative(root, item["file"]),
                line=max(int(item.get("line", 1)), 1),
                column=max(int(item.get("column", 0)), 0) + 1,
                end_line=item.get("end_line"),
                end_column=item.get("end_column"),
                rule=code,
                analyzer=NAME,
                message=message,
                severity=severity,
                confidence=confidence,
            )
        )
    return findings


_LOWER = {Confidence.HIGH: Confidence.MEDIUM, Confidence.MEDIUM: Confidence.LOW, Confidence.LOW: Confidence.LOW}


def weigh_by_noise(new: list[Finding], before: list[Finding]) -> list[Finding]:
    """Lower the confidence of new findings in files where mypy already disagreed with the code.

    In a file mypy accepts, a new error is strong evidence. In one where it already reports errors
    before the patch (untyped or dynamic code, a repo that does not use mypy), new ones are often
    more of the same: still shown, but they weigh less.
    """
    noisy: dict[str, int] = {}
    for f in before:
        if f.severity is not Severity.INFO:
            noisy[f.path] = noisy.get(f.path, 0) + 1
    out = []
    for f in swapped_arguments(new):
        count = noisy.get(f.path, 0)
        if count and f.severity is not Severity.INFO and not f.evidence_dict().get("swapped"):
            note = ("mypy-noise", f"mypy already reports {count} error(s) in this file before the patch")
            f = replace(f, confidence=_LOWER[f.confidence], evidence=(*f.evidence, note))
        out.append(f)
    return out


_ARGUMENT = re.compile(r'^Argument (\d+|"\w+") to "([^"]+)" has incompatible type "(.+)"; expected "(.+)"$')


def swapped_arguments(new: list[Finding]) -> list[Finding]:
    """Two arguments of one call that each have the type the other expects: ``f(count, name)`` for
    ``f(name: str, count: int)``. mypy reports two arg-type errors; together they say more than
    either, and are no standing disagreement of untyped code with mypy: the pair becomes one
    finding (the first argument's), firm, that :func:`weigh_by_noise` does not lower. Types are
    compared as mypy prints them, ``| None`` of an optional parameter aside."""
    parsed: dict[Finding, tuple[str, str, str, str]] = {}
    for f in new:
        m = _ARGUMENT.match(f.message.split(" (", 1)[0]) if f.rule == "arg-type" else None
        if m:
            parsed[f] = (m[1], m[2], _bare(m[3]), _bare(m[4]))
    dropped: set[Finding] = set()
    merged: dict[Finding, Finding] = {}
    items = sorted(parsed.items(), key=lambda kv: (kv[0].path, kv[0].line, kv[1][0]))
    for i, (f, (n, callee, got, expected)) in enumerate(items):
        if f in dropped or f in merged:
            continue
        for g, (m_, callee2, got2, expected2) in items[i + 1 :]:
            if g in dropped or g in merged or (g.path, g.line, callee2) != (f.path, f.line, callee) or m_ == n:
                continue
            if got == expected2 and got2 == expected and got != expected:
                message = (
                    f"arguments {n} and {m_} of {callee} look swapped: argument {n} has type \"{got}\", "
                    f"which argument {m_} expects, and argument {m_} has type \"{got2}\", which argument {n} expects"
                )
                why = ("swapped", "mypy rejects both arguments, each with the type the other expects")
                merged[f] = replace(
                    f, message=message, severity=Severity.ERROR, confidence=Confidence.HIGH,
                    evidence=(*f.evidence, why),
                )  # fmt: skip
                dropped.add(g)
                break
    return [merged.get(f, f) for f in new if f not in dropped]


def _bare(type_text: str) -> str:
    return type_text.removesuffix(" | None").removeprefix("Optional[").strip()

