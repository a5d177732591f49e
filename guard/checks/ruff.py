"""ruff, restricted to rules about correctness (never style), in JSON mode.

The repo's own ruff configuration is ignored on purpose (``--isolated``): a repo that selects
style rules must not make a patch fail for style.
"""

from __future__ import annotations

import functools
import json
import shutil
import subprocess

from guard.checks.base import ToolFailure, ToolRun, keep_paths, relative, run_tool
from guard.findings import Confidence, Finding, Severity

NAME = "ruff"

# Correctness rules only: pyflakes, syntax, pylint errors, bug-prone patterns, and the missing
# f-prefix check (preview). Style-only codes of these families are left out below.
SELECT = ("F", "E9", "PLE", "B", "RUF027", "RUF006", "T100", "PIE794", "PIE796")
IGNORE = (
    "F401",  # unused import: hygiene, not a bug
    "F403",  # star import: style
    "F405",  # name may come from a star import: ruff cannot know
    "F541",  # f-string without placeholders: harmless
    "B007",  # unused loop variable: style
    "B008",  # call in a default argument: often intended (e.g. typer/fastapi)
    "B009",  # getattr with a constant: style
    "B010",  # setattr with a constant: style
    "B019",  # lru_cache on a method: performance
    "B024",  # abstract class without abstract methods: design
    "B027",  # empty method in abstract class: design
    "B028",  # warnings.warn without stacklevel: style
    "B904",  # raise without from inside except: style of tracebacks
    "B905",  # zip() without strict=: style
)

# code prefix -> (severity, confidence); the longest matching prefix wins.
SEVERITY: dict[str, tuple[Severity, Confidence]] = {
    "F821": (Severity.ERROR, Confidence.HIGH),  # undefined name
    "F822": (Severity.ERROR, Confidence.HIGH),  # undefined name in __all__
    "F823": (Severity.ERROR, Confidence.HIGH),  # local used before assignment
    "F63": (Severity.ERROR, Confidence.MEDIUM),  # comparison/assert mistakes
    "F7": (Severity.ERROR, Confidence.HIGH),  # statement outside its context
    "F5": (Severity.ERROR, Confidence.MEDIUM),  # %-format and .format() mismatches
    "F811": (Severity.WARNING, Confidence.MEDIUM),  # redefinition of an unused name
    "F841": (Severity.WARNING, Confidence.LOW),  # unused local: often the wrong variable returned
    "F": (Severity.WARNING, Confidence.MEDIUM),
    "E9": (Severity.ERROR, Confidence.HIGH),
    "PLE": (Severity.ERROR, Confidence.MEDIUM),
    "B006": (Severity.WARNING, Confidence.MEDIUM),  # mutable default argument
    "B": (Severity.WARNING, Confidence.MEDIUM),
    "RUF027": (Severity.WARNING, Confidence.MEDIUM),
    "RUF006": (Severity.WARNING, Confidence.MEDIUM),
    "T100": (Severity.WARNING, Confidence.HIGH),  # debugger left in
    "PIE": (Severity.WARNING, Confidence.MEDIUM),
}


def classify(code: str) -> tuple[Severity, Confidence]:
    for size in range(len(code), 0, -1):
        if code[:size] in SEVERITY:
            return SEVERITY[code[:size]]
    return (Severity.WARNING, Confidence.LOW)


def counts(code: str) -> bool:
    """Would a finding with this code, reported by guard's ruff run, count at all?"""
    code = code.upper()
    selected = any(code.startswith(prefix) for prefix in SELECT)
    ignored = any(code.startswith(prefix) for prefix in IGNORE)
    return selected and not ignored


@functools.lru_cache(maxsize=1)
def binary() -> str:
    """ruff's executable. Resolve it before starting threads: ruff's finder reads sysconfig,
    whose first initialisation is not thread-safe (a racing thread sees EXE = None)."""
    try:
        from ruff.__main__ import find_ruff_bin  # type: ignore[import-untyped]

        return str(find_ruff_bin())
    except (ImportError, FileNotFoundError, TypeError):
        found = shutil.which("ruff")
        if found is None:
            raise ToolFailure("ruff is not installed") from None
        return found


NEWEST_GRAMMAR = "py315"
"""The newest Python whose grammar ruff (as pinned) parses: to tell new syntax from broken syntax."""


def parses_on_newer_python(text: str, path: str) -> bool:
    """Whether ruff's parser, at the newest Python it knows, finds no syntax error in ``text``:
    valid code of a newer Python than the one running guard (``type X = ...`` on 3.11), which
    ``ast`` here cannot read. False when ruff is unavailable or finds an error."""
    argv = [
        binary(), "check", "--isolated", "--no-cache", "--output-format", "json", "--target-version",
        NEWEST_GRAMMAR, "--select", "F401", "--stdin-filename", path, "-",
    ]  # fmt: skip
    try:
        proc = subprocess.run(argv, input=text, capture_output=True, text=True, timeout=10, check=False)
        items = json.loads(proc.stdout or "[]") if proc.returncode in (0, 1) else None
    except (OSError, subprocess.TimeoutExpired, json.JSONDecodeError, ToolFailure):
        return False
    return items is not None and not any(item.get("code") in (None, "invalid-syntax") for item in items)


MIN_TARGET = (3, 7)
"""The oldest ``--target-version`` ruff accepts; an older one (``requires-python >= 3.6``) makes it
exit 2 without checking anything."""


def run(job: ToolRun) -> list[Finding]:
    if not job.paths:
        return []
    major, minor = max(job.target_version, MIN_TARGET)
    argv = [
        binary(), "check", "--isolated", "--no-cache", "--preview", "--no-fix",
        "--output-format", "json", "--target-version", f"py{major}{minor}",
        "--select", ",".join(SELECT), "--ignore", ",".join(IGNORE), "--", *job.paths,
    ]  # fmt: skip
    out = run_tool(NAME, argv, job.root, job.budget_s, ok_codes={0, 1})
    try:
        items = json.loads(out or "[]")
    except json.JSONDecodeError as exc:
        raise ToolFailure(f"ruff printed something that is not JSON: {out[:200]!r}") from exc
    findings = []
    for item in items:
        code = item.get("code") or "syntax-error"
        severity, confidence = classify(code) if item.get("code") else (Severity.ERROR, Confidence.HIGH)
        loc, end = item.get("location") or {}, item.get("end_location") or {}
        findings.append(
            Finding(
                path=relative(job.root, item["filename"]),
                line=int(loc.get("row", 1)),
                column=int(loc.get("column", 0)),
                end_line=end.get("row"),
                end_column=end.get("column"),
                rule=code,
                analyzer=NAME,
                message=item.get("message", ""),
                severity=severity,
                confidence=confidence,
            )
        )
    return keep_paths(findings, job.paths)
