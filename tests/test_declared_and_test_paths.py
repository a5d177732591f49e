"""unresolved-import reads the requirements the patch itself declares in setup.py; which paths are test code."""

from __future__ import annotations

from guard.api import check_patch
from tests.conftest import MakeRepo, diff_after_edit

SETUP = "from setuptools import setup\n\nsetup(name='p', version='1', install_requires=[{reqs}])\n"


def _unresolved(make_repo: MakeRepo, reqs: str) -> list[str]:
    repo = make_repo({"setup.py": SETUP.format(reqs=""), "p.py": "x = 1\n"})
    diff = diff_after_edit(repo, {"setup.py": SETUP.format(reqs=reqs), "p.py": "from six import string_types\n\nx = 1\n"})
    report = check_patch(diff, repo, analyzers=frozenset({"rules"}))
    return [s.finding.message for s in report.findings if s.finding.rule == "unresolved-import"
            and s.finding.severity.label != "info"]


def test_a_dependency_the_patch_declares_in_setup_py_is_not_made_up(make_repo: MakeRepo) -> None:
    assert _unresolved(make_repo, "'six'") == []


def test_without_the_declaration_the_import_is_still_unresolved(make_repo: MakeRepo) -> None:
    assert any("'six'" in m for m in _unresolved(make_repo, "'requests'"))


def test_a_single_tests_module_is_test_code() -> None:
    from guard.repo import is_test_path

    assert is_test_path("tests.py") and is_test_path("pkg/test.py") and is_test_path("tests/util.py")
    assert not is_test_path("pkg/testing.py") and not is_test_path("contest.py")
