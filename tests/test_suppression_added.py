"""suppression-added weighs a ``# noqa`` by what ruff would report on its line without it."""

from __future__ import annotations

from pathlib import Path

import pytest
from guard.rules.suppression_added import ruff_without_noqa

from guard.api import check_patch
from guard.checks import ruff
from guard.checks.base import ToolFailure
from guard.rulekit import Example, check_example, discover
from tests.conftest import MakeRepo, diff_after_edit

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


def test_a_suppression_on_an_unchanged_statement_is_shown_but_never_weighed(tmp_path: Path) -> None:
    """Only the comment is new: it silences a complaint about code the patch did not write."""
    from guard.findings import Severity

    before = "import distro\n\nversion = distro.__version__\nx = f()\n"
    after = "import distro\n\nversion = distro.__version__  # type: ignore\nx = g()  # type: ignore\n"
    found = [f for f in check_example(RULE, Example(before=before, after=after, lines=(3, 4)), tmp_path) if f.rule == RULE.ID]
    assert {f.line: f.severity for f in found} == {3: Severity.INFO, 4: Severity.WARNING}


def test_a_reflowed_statement_keeps_its_old_suppression(tmp_path: Path) -> None:
    before = "if (\n    env.sandboxed\n    and op in env.binops  # type: ignore\n):\n    pass\n"
    after = "if (\n    env.sandboxed and op in env.binops  # type: ignore\n):\n    pass\n"
    assert [f for f in check_example(RULE, Example(before=before, after=after), tmp_path) if f.rule == RULE.ID] == []


def test_a_new_copy_of_an_old_statement_is_new_code(tmp_path: Path) -> None:
    """``return None`` stood elsewhere in the file; the patch's new one is still the patch's."""
    before = "def f(x):\n    if x:\n        return None\n    return x\n\n\ndef g(y):\n    return y()\n"
    after = (
        "def f(x):\n    if x:\n        return None\n    return x\n\n\ndef g(y):\n    try:\n        return y()\n"
        "    except Exception:\n        return None  # type: ignore[return-value]\n"
    )
    found = [f for f in check_example(RULE, Example(before=before, after=after, lines=(11,)), tmp_path) if f.rule == RULE.ID]
    assert [(f.line, f.severity.label) for f in found] == [(11, "warning")]


def test_a_type_ignore_for_another_python_or_a_provoked_error_is_shown_but_never_weighed(tmp_path: Path) -> None:
    from guard.findings import Severity

    after = (
        "import sys\n\nimport pytest\n\nif sys.version_info >= (3, 11):\n    from importlib.resources.abc import T\n"
        "else:\n    from importlib.abc import T  # type: ignore[attr-defined]\n\n\n"
        "def test_bogus():\n    with pytest.raises(TypeError):\n        f(object())  # type: ignore[arg-type]\n"
        "    g(1)  # type: ignore[arg-type]\n"
    )
    found = [f for f in check_example(RULE, Example(before="x = 1\n", after=after, lines=(8, 13, 14)), tmp_path) if f.rule == RULE.ID]
    assert {f.line: f.severity for f in found} == {8: Severity.INFO, 13: Severity.INFO, 14: Severity.WARNING}


def test_a_type_comment_turned_annotation_is_the_same_statement(tmp_path: Path) -> None:
    """``x = None  # type: Token`` became ``x: Token = None  # type: ignore``: the code is as it was."""
    from guard.findings import Severity

    before = "class A:\n    first = None  # type: Token\n    n = 0\n"
    after = "class A:\n    first: Token = None  # type: ignore\n    n: int = None  # type: ignore\n"
    found = [f for f in check_example(RULE, Example(before=before, after=after, lines=(2, 3)), tmp_path) if f.rule == RULE.ID]
    assert {f.line: f.severity for f in found} == {2: Severity.INFO, 3: Severity.WARNING}


def test_a_type_ignore_in_an_import_fallback_is_shown_but_never_weighed(tmp_path: Path) -> None:
    from guard.findings import Severity

    after = "try:\n    from functools import cached_property\nexcept ImportError:\n\n    class cached_property:  # type: ignore\n        pass\n"
    found = [f for f in check_example(RULE, Example(before="x = 1\n", after=after, lines=(5,)), tmp_path) if f.rule == RULE.ID]
    assert [f.severity for f in found] == [Severity.INFO]


def test_a_type_ignore_mypy_reports_unused_is_shown_but_never_weighed(make_repo: MakeRepo) -> None:
    # schedule 1.2.0: `# type: ignore` on pytz.timezone(tz), for when pytz's stubs are installed
    repo = make_repo({"m.py": "def f(s: str) -> int:\n    return len(s)\n"})
    after = (
        "def f(s: str) -> int:\n    n = len(s)  # type: ignore\n"
        "    m: int = s  # type: ignore\n    return n + m\n"
    )
    report = check_patch(diff_after_edit(repo, {"m.py": after}), repo, analyzers=frozenset({"mypy", "rules"}))
    weighed = {(s.finding.line, s.weight > 0) for s in report.findings if s.finding.rule == "suppression-added"}
    assert weighed == {(2, False), (3, True)}
