"""suppression-added and a rewritten function: the suppression the function carried on a statement
the patch rewrote is taken over by the rewrite (once); a suppression beyond those is new."""

from __future__ import annotations

from pathlib import Path

from guard.rules.suppression_added import SuppressionAdded

from guard.findings import Severity
from guard.rulekit import Example, check_example

BEFORE = """\
def load(path):
    with open(path) as handle:
        return parse(handle.read())  # type: ignore[arg-type]


def size(path):
    return len(path)
"""
SPLIT = """\
def load(path):
    with open(path) as handle:
        text = handle.read()
    return parse(text)  # type: ignore[arg-type]


def size(path):
    return len(path)
"""
ELSEWHERE = BEFORE.replace("    return len(path)\n", "    return len(str(path))  # type: ignore[arg-type]\n").replace(
    "        return parse(handle.read())  # type: ignore[arg-type]\n", "        return parse(handle.read(), strict=True)\n"
)


def _counting(tmp_path: Path, after: str) -> list[int]:
    example = Example(path="pkg/load.py", before=BEFORE, after=after)
    found = check_example(SuppressionAdded, example, tmp_path)
    return [f.line for f in found if f.rule == SuppressionAdded.ID and f.severity is not Severity.INFO]


def test_a_rewritten_statement_takes_over_its_functions_old_suppression(tmp_path: Path) -> None:
    assert _counting(tmp_path, SPLIT) == []


def test_a_suppression_moved_to_another_function_is_new(tmp_path: Path) -> None:
    assert _counting(tmp_path, ELSEWHERE) == [7]
