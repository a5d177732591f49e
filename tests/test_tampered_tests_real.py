"""test-tampering on patches shaped like real releases: a test changed together with the code it
tested (a ``del`` dropped, a deprecation removed), branches for Pythons no longer supported,
self-comparisons that test ``__eq__`` or caching. And the same shapes where the test is weakened."""

from __future__ import annotations

from pathlib import Path

import libcst as cst
import pytest
from guard.rules._asserts import version_condition
from guard.rules.tampered_tests import TamperedTests

from guard.changes import analyse_file
from guard.diff import parse_patch
from guard.findings import Finding
from guard.rulekit import Example, Project, example_diff, run_rules
from guard.workspace import build_workspace


def _check(
    tmp_path: Path, files: dict[str, tuple[str, str]], target: tuple[int, int] = (3, 10)
) -> list[Finding]:
    """Run the rule on a patch of several files, each given as (before, after)."""
    diff = ""
    for path, (before, after) in files.items():
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / path).write_text(before, encoding="utf-8")
        diff += example_diff(Example(path=path, before=before, after=after))
    with build_workspace(tmp_path, parse_patch(diff)) as ws:
        project = Project(tmp_path, target, {f.path: analyse_file(f) for f in ws.files})
        findings, errors = run_rules([TamperedTests], project)
    assert not errors
    return findings


_UNDEF = "class Undefined:\n    __slots__ = ('_hint',)\n\n    def __str__(self):\n        return ''\n"
_UNDEF_TEST_BEFORE = (
    "import pytest\n\nfrom pkg.runtime import Undefined\n\n\ndef test_undefined():\n"
    "    assert str(Undefined()) == ''\n    with pytest.raises(AttributeError):\n"
    "        getattr(Undefined, '__slots__')\n"
)
_UNDEF_TEST_AFTER = "import pytest\n\nfrom pkg.runtime import Undefined\n\n\ndef test_undefined():\n    assert str(Undefined()) == ''\n"


def test_check_dropped_with_the_del_it_tested(tmp_path: Path) -> None:
    # The code kept `__slots__` until now deleted it; the test that it is gone goes with the `del`.
    findings = _check(
        tmp_path,
        {
            "pkg/runtime.py": (_UNDEF + "\n\ndel Undefined.__slots__\n", _UNDEF),
            "tests/test_runtime.py": (_UNDEF_TEST_BEFORE, _UNDEF_TEST_AFTER),
        },
    )
    assert findings == []


def test_check_dropped_while_the_del_stays(tmp_path: Path) -> None:
    code = _UNDEF + "\n\ndel Undefined.__slots__\n"
    findings = _check(
        tmp_path,
        {
            "pkg/runtime.py": (code, code + "\n\nVERSION = 2\n"),
            "tests/test_runtime.py": (_UNDEF_TEST_BEFORE, _UNDEF_TEST_AFTER),
        },
    )
    assert [f.message for f in findings] == [
        "`test_undefined` still runs but lost 1 of its 2 checks (e.g. `pytest.raises(AttributeError)`)"
    ]


_EVOLVE_BEFORE = (
    "import warnings\n\n\ndef evolve(*args, **changes):\n    if args:\n        (inst,) = args\n"
    "    else:\n        inst = changes.pop('inst')\n"
    "        warnings.warn('pass inst positionally', DeprecationWarning, stacklevel=2)\n"
    "    return inst\n"
)
_EVOLVE_AFTER = "def evolve(*args, **changes):\n    (inst,) = args\n    return inst\n"
_EVOLVE_TEST_BEFORE = (
    "import pytest\n\nfrom pkg.funcs import evolve\n\n\ndef test_evolve():\n    assert evolve(1) == 1\n\n\n"
    "def test_inst_kw():\n    with pytest.warns(DeprecationWarning):\n        evolve(inst=1)\n"
)
_EVOLVE_TEST_AFTER = "import pytest\n\nfrom pkg.funcs import evolve\n\n\ndef test_evolve():\n    assert evolve(1) == 1\n"


def test_deprecation_test_removed_with_the_deprecation(tmp_path: Path) -> None:
    findings = _check(
        tmp_path,
        {
            "pkg/funcs.py": (_EVOLVE_BEFORE, _EVOLVE_AFTER),
            "tests/test_funcs.py": (_EVOLVE_TEST_BEFORE, _EVOLVE_TEST_AFTER),
        },
    )
    assert findings == []


def test_deprecation_test_removed_while_the_code_still_warns(tmp_path: Path) -> None:
    findings = _check(
        tmp_path,
        {
            "pkg/funcs.py": (_EVOLVE_BEFORE, _EVOLVE_BEFORE + "\n\nVERSION = 2\n"),
            "tests/test_funcs.py": (_EVOLVE_TEST_BEFORE, _EVOLVE_TEST_AFTER),
        },
    )
    assert [f.message for f in findings] == ["`test_inst_kw` is deleted, but what it tested is still there"]


_COL_BEFORE = (
    "import sys\n\nfrom pkg import first_error\n\n\ndef test_col():\n    exc = first_error('x')\n"
    "    assert exc.line == 4\n    if sys.version_info >= (3, 8):\n        assert exc.col == 13\n"
    "    else:\n        assert exc.col == 18\n"
)
_COL_AFTER = "from pkg import first_error\n\n\ndef test_col():\n    exc = first_error('x')\n    assert exc.line == 4\n    assert exc.col == 13\n"


def test_branch_for_an_unsupported_python_dropped(tmp_path: Path) -> None:
    assert _check(tmp_path, {"tests/test_col.py": (_COL_BEFORE, _COL_AFTER)}, target=(3, 8)) == []


def test_branch_for_a_supported_python_dropped(tmp_path: Path) -> None:
    # On 3.7 the `else` runs: collapsing the branch drops its check.
    findings = _check(tmp_path, {"tests/test_col.py": (_COL_BEFORE, _COL_AFTER)}, target=(3, 7))
    assert [f.line for f in findings] == [4]


@pytest.mark.parametrize(
    ("condition", "value"),
    [
        ("sys.version_info >= (3, 8)", True),
        ("sys.version_info > (3, 8)", True),  # (3, 8, 0, 'final', 0) > (3, 8)
        ("sys.version_info[:2] > (3, 8)", None),  # 3.8 itself
        ("sys.version_info < (3, 8)", False),
        ("sys.version_info <= (3, 8)", False),
        ("sys.version_info[:2] <= (3, 8)", None),
        ("sys.version_info >= (3, 9)", None),
        ("sys.version_info >= (3, 8, 1)", None),
        ("sys.version_info[0] == 2", False),
        ("sys.version_info.major >= 3", True),
        ("PYPY or sys.version_info >= (3, 8)", True),
        ("not PYPY and sys.version_info >= (3, 8)", None),
        ("PYPY and sys.version_info < (3, 8)", False),
        ("not sys.version_info < (3, 8)", True),
        ("sys.platform == 'win32'", None),
    ],
)
def test_version_condition(condition: str, value: bool | None) -> None:
    assert version_condition(cst.parse_expression(condition), (3, 8)) is value


@pytest.mark.parametrize(
    ("setup", "check", "never_fails"),
    [
        ("m = Meta.load(RAW)", "assert m.version is m.version", False),  # a cached property
        ("m = Meta.load(RAW)", "assert m == m", False),  # the class's __eq__
        ("m = Meta.load(RAW)", "self.assertEqual(m, m)", False),
        ("x = float('nan')", "assert x == x", False),
        ("m = Meta.load(RAW)", "assert m is m", True),
        ("expected = {'a': [1, 2]}", "assert expected == expected", True),
        ("expected = (1, 2)", "self.assertEqual(expected, expected)", True),
        ("expected = [1]\n    expected = load()", "assert expected == expected", False),
        ("pass", "assert 'a' == 'a'", True),
    ],
)
def test_self_comparison(tmp_path: Path, setup: str, check: str, never_fails: bool) -> None:
    before = f"def test_a(self):\n    {setup}\n    assert m2 == 2\n"
    after = f"def test_a(self):\n    {setup}\n    assert m2 == 2\n    {check}\n"
    findings = _check(tmp_path, {"tests/test_a.py": (before, after)})
    assert bool([f for f in findings if "can never fail" in f.message]) is never_fails
