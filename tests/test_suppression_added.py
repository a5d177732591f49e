"""suppression-added weighs a ``# noqa`` by what ruff would report on its line without it."""

from __future__ import annotations

from pathlib import Path

import pytest
from guard.rules.suppression_added import ruff_without_noqa

from guard.checks import ruff
from guard.checks.base import ToolFailure
from guard.rulekit import Example, check_example, discover

(RULE,) = [r for r in discover()[0] if r.ID == "suppression-added"]
SOURCE = "import os  # noqa\nx = 1\ny = undefined  # noqa\nassert type(x) is int  # noqa\n"


def test_ruff_is_asked_what_each_noqa_line_would_report() -> None:
    lines = ruff_without_noqa(SOURCE, "pkg/m.py", (3, 10))
    assert lines is not None
    assert lines.get(3) == ["F821"], "undefined name counts"
    assert 1 not in lines and 4 not in lines, "unused import and type comparison are not counted"


def test_the_finding_says_what_the_noqa_silences(tmp_path: Path) -> None:
    example = Example(before="x = 1\n", after=SOURCE, lines=(3,))
    (found,) = [f for f in check_example(RULE, example, tmp_path) if f.rule == RULE.ID]
    assert found.line == 3 and found.evidence_dict()["silences"] == "F821"


def test_without_ruff_every_new_bare_noqa_is_reported(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def missing() -> str:
        raise ToolFailure("ruff is not installed")

    monkeypatch.setattr(ruff, "binary", missing)
    example = Example(before="x = 1\n", after=SOURCE, lines=(1, 3, 4))
    found = [f for f in check_example(RULE, example, tmp_path) if f.rule == RULE.ID]
    assert sorted(f.line for f in found) == [1, 3, 4]


def test_a_coverage_pragma_is_shown_but_never_weighed(tmp_path: Path) -> None:
    """``# pragma: no cover`` hides a line from coverage, not from any analyzer guard runs."""
    from guard.findings import Severity
    from guard.score import PatchFacts, score

    after = "import sys\n\nif sys.platform == 'win32':  # pragma: no cover\n    x = 1\nelse:  # pragma: nocover\n    x = 2\n"
    example = Example(before="x = 1\n", after=after, lines=(3, 5))
    found = [f for f in check_example(RULE, example, tmp_path) if f.rule == RULE.ID]
    assert sorted(f.line for f in found) == [3, 5]
    assert all(f.severity is Severity.INFO for f in found)
    total, _ = score(found, PatchFacts())
    assert total == 0.0
    # A type: ignore added beside it still counts.
    example = Example(before="x = 1\n", after="y = f()  # type: ignore  # pragma: no cover\n", lines=(1,))
    found = [f for f in check_example(RULE, example, tmp_path) if f.rule == RULE.ID]
    assert [f.severity for f in found] == [Severity.WARNING]
