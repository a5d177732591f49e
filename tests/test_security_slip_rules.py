"""Security-slip rules on patches that span more than one file (a rule's own examples hold one):
an assert whose message the patch's own tests expect from a raise; and the other security-slip
rules on forms their examples leave out (aliased imports, nesting, confidence and message)."""

from __future__ import annotations

import ast
import difflib
from pathlib import Path

from guard.rules._patch import ast_functions
from guard.rules.assert_validation import AssertValidation
from guard.rules.sanitizer_dropped import SanitizerDropped
from guard.rules.weakened_randomness import WeakenedRandomness
from guard.rules.widened_permissions import WidenedPermissions

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


def test_mode_widened_for_reading_only_is_medium_and_says_who(tmp_path: Path) -> None:
    before = "import os\n\ndef save(path):\n    os.chmod(path, 0o600)\n"
    after = "import os\n\ndef save(path):\n    os.chmod(path, 0o644)\n"
    found = _check(WidenedPermissions, tmp_path, {"pkg/mod.py": (before, after)})
    assert [(f.line, f.confidence) for f in found] == [(4, Confidence.MEDIUM)]
    assert "group r and others r" in found[0].message


def test_mode_widened_inside_try_through_an_aliased_import(tmp_path: Path) -> None:
    before = "import os as _os\n\nclass Store:\n    def make(self, d):\n        try:\n            _os.makedirs(d, 0o700)\n        except OSError:\n            pass\n"
    after = before.replace("0o700", "0o777")
    found = _check(WidenedPermissions, tmp_path, {"pkg/mod.py": (before, after)})
    assert [(f.line, f.confidence) for f in found] == [(6, Confidence.HIGH)]


def test_csprng_imported_by_name_replaced_by_random(tmp_path: Path) -> None:
    before = "from os import urandom\n\ndef salt():\n    return urandom(16)\n"
    after = "import random\n\ndef salt():\n    return random.getrandbits(128).to_bytes(16, 'big')\n"
    found = _check(WeakenedRandomness, tmp_path, {"pkg/mod.py": (before, after)})
    assert [f.line for f in found] == [4]
    assert "os.urandom" in found[0].message and "random.getrandbits" in found[0].message


def test_sanitizer_imported_by_name_dropped_from_an_argument(tmp_path: Path) -> None:
    before = "from os.path import basename\n\ndef upload(root, name):\n    return open(root / basename(name), 'wb')\n"
    after = "from os.path import basename\n\ndef upload(root, name):\n    return open(root / name, 'wb')\n"
    # `root / basename(name)` is a BinOp looked through: the use is open's first argument.
    found = _check(SanitizerDropped, tmp_path, {"pkg/mod.py": (before, after)})
    assert [f.line for f in found] == [4]
    assert "os.path.basename" in found[0].message


def test_ast_functions_names_methods_nested_and_guarded_definitions() -> None:
    tree = ast.parse(
        "class A:\n    def m(self):\n        def inner():\n            pass\n"
        "try:\n    def f():\n        pass\nexcept ImportError:\n    def g():\n        pass\n"
        "if X:\n    class B:\n        async def h(self):\n            pass\n"
    )
    assert sorted(ast_functions(tree)) == ["A.m", "A.m.<locals>.inner", "B.h", "f", "g"]


def test_assert_in_a_function_the_patch_tests_expect_to_raise(tmp_path: Path) -> None:
    before = "def shifts(items, steps=1):\n    return items[steps:] + items[:steps]\n"
    after = "def shifts(items, steps=1):\n    assert steps != 0, 'steps must be non-zero'\n    return items[steps:] + items[:steps]\n"
    test_before = "from pkg.mod import shifts\n\n\ndef test_shifts():\n    assert shifts([1, 2], 1) == [2, 1]\n"
    for raises in ("with pytest.raises(ValueError):\n        shifts([1], 0)\n", "self.assertRaises(ValueError, shifts, [1], 0)\n"):
        test_after = test_before + "\n\ndef test_zero(self):\n    " + raises
        found = _check(
            AssertValidation,
            tmp_path / str(abs(hash(raises))),
            {"pkg/mod.py": (before, after), "tests/test_mod.py": (test_before, test_after)},
        )
        assert [(f.line, f.confidence) for f in found] == [(2, Confidence.HIGH)], raises
    # Tests that expect the error from another function say nothing about this one.
    test_after = test_before + "\n\ndef test_zero():\n    with pytest.raises(ValueError):\n        other(0)\n"
    found = _check(AssertValidation, tmp_path / "other", {"pkg/mod.py": (before, after), "tests/test_mod.py": (test_before, test_after)})
    assert found == []
