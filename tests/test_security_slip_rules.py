"""Security-slip rules on patches that span more than one file (a rule's own examples hold one):
an assert whose message the patch's own tests expect from a raise."""

from __future__ import annotations

import difflib
from pathlib import Path

from guard.rules.assert_validation import AssertValidation

from guard.changes import analyse_file
from guard.diff import parse_patch
from guard.findings import Confidence, Finding
from guard.rulekit import Project, Rule, run_rules
from guard.workspace import build_workspace


def _check(rule: type[Rule], tmp_path: Path, files: dict[str, tuple[str | None, str]]) -> list[Finding]:
    """Run ``rule`` on a patch of ``files`` ({path: (before or None, after)}) in a repo at ``tmp_path``."""
    diff = ""
    for path, (before, after) in files.items():
        if before is not None:
            (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
            (tmp_path / path).write_text(before, encoding="utf-8")
        old = before.splitlines(keepends=True) if before is not None else []
        header = "" if before is not None else f"diff --git a/{path} b/{path}\nnew file mode 100644\n"
        diff += header + "".join(
            difflib.unified_diff(
                old, after.splitlines(keepends=True), f"a/{path}" if before is not None else "/dev/null", f"b/{path}"
            )
        )
    with build_workspace(tmp_path, parse_patch(diff)) as ws:
        project = Project(tmp_path, (3, 10), {f.path: analyse_file(f) for f in ws.files})
        findings, errors = run_rules([rule], project)
    assert not errors
    return [f for f in findings if f.rule == rule.ID]


_CODE_BEFORE = "def xmlattr(d):\n    return ' '.join(f'{k}={v}' for k, v in d.items())\n"
_CODE_AFTER = (
    "def xmlattr(d):\n"
    "    for k in d:\n"
    "        assert ' ' not in k, f'Spaces are not allowed in attributes: {k!r}'\n"
    "    return ' '.join(f'{k}={v}' for k, v in d.items())\n"
)
_TEST_BEFORE = "from pkg.mod import xmlattr\n\n\ndef test_xmlattr():\n    assert xmlattr({'a': 1}) == 'a=1'\n"


def _test_after(raises: str) -> str:
    return _TEST_BEFORE + f"\n\ndef test_spaces():\n    with {raises}:\n        xmlattr({{'a b': 1}})\n"


def test_assert_whose_message_the_patch_tests_expect_from_a_raise(tmp_path: Path) -> None:
    found = _check(
        AssertValidation,
        tmp_path,
        {
            "pkg/mod.py": (_CODE_BEFORE, _CODE_AFTER),
            "tests/test_mod.py": (_TEST_BEFORE, _test_after('pytest.raises(ValueError, match="Spaces are not allowed")')),
        },
    )
    assert [(f.path, f.line, f.confidence) for f in found] == [("pkg/mod.py", 3, Confidence.HIGH)]
    assert "expect ValueError" in found[0].message


def test_unittest_regex_form_counts_too(tmp_path: Path) -> None:
    found = _check(
        AssertValidation,
        tmp_path,
        {
            "pkg/mod.py": (_CODE_BEFORE, _CODE_AFTER),
            "tests/test_mod.py": (_TEST_BEFORE, _test_after("self.assertRaisesRegex(TypeError, r'not allowed in attr')")),
        },
    )
    assert [f.line for f in found] == [3]


def test_tests_that_expect_an_assertion_error_or_another_message_say_nothing(tmp_path: Path) -> None:
    for raises in (
        'pytest.raises(AssertionError, match="Spaces are not allowed")',
        'pytest.raises(ValueError, match="must be a mapping")',
        "pytest.raises(ValueError)",
    ):
        found = _check(
            AssertValidation,
            tmp_path / str(abs(hash(raises))),
            {"pkg/mod.py": (_CODE_BEFORE, _CODE_AFTER), "tests/test_mod.py": (_TEST_BEFORE, _test_after(raises))},
        )
        assert found == [], raises


def test_a_raise_of_the_original_turned_assert_is_high_confidence(tmp_path: Path) -> None:
    before = "def take(n):\n    if n < 1:\n        raise ValueError('n must be positive')\n    return n\n"
    after = "def take(n):\n    assert n >= 1, 'n must be positive'\n    return n\n"
    found = _check(AssertValidation, tmp_path, {"pkg/mod.py": (before, after)})
    assert [(f.line, f.confidence) for f in found] == [(2, Confidence.HIGH)]
