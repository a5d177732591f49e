"""Type stubs (``.pyi``) in a patch: applied to the patched tree, so mypy reads them; never run."""

from __future__ import annotations

from guard.api import check_patch
from guard.checks import mypy
from tests.conftest import MakeRepo, diff_after_edit

STUB = "def escape(s: object) -> str: ...\n"
INIT = "from ._speedups import escape\n\n\ndef f(s: str) -> str:\n    return escape(s)\n"
USES_NEW = "from ._speedups import _escape_inner, escape\n\n\ndef f(s: str) -> str:\n    return _escape_inner(escape(s))\n"


def test_a_stub_changed_with_its_importer_is_what_mypy_reads(make_repo: MakeRepo) -> None:
    """An extension module known by its stub alone: the patch's new stub declares what it adds."""
    repo = make_repo({"pkg/__init__.py": INIT, "pkg/_speedups.pyi": STUB})
    stub = STUB + "def _escape_inner(s: str, /) -> str: ...\n"
    report = check_patch(diff_after_edit(repo, {"pkg/__init__.py": USES_NEW, "pkg/_speedups.pyi": stub}), repo)
    assert not report.tool_errors and [s.finding for s in report.findings if s.weight > 0] == []
    assert not any(n.path.endswith(".pyi") for n in report.notes)  # nothing to run in a stub
    unchanged = check_patch(diff_after_edit(repo, {"pkg/__init__.py": USES_NEW}), repo)
    assert "attr-defined" in {s.finding.rule for s in unchanged.findings}


def test_a_stub_and_its_implementation_both_changed_are_one_module_to_mypy() -> None:
    assert mypy.checkable(["pkg/a.pyi", "pkg/a.py", "pkg/b.pyi", "c.py"]) == ["pkg/a.py", "pkg/b.pyi", "c.py"]


def test_files_mypy_would_name_alike_are_given_once(make_repo: MakeRepo) -> None:
    """Two ``setup.py`` (the project's and an example's) or two ``conftest.py`` outside packages are
    both module ``setup`` to mypy, which then stops; the shallowest is checked, the run goes on."""
    repo = make_repo({
        "setup.py": "X = 1\n", "docs/example/setup.py": "Y = 1\n", "pkg/__init__.py": "",
        "pkg/setup.py": "Z = 1\n",
    })  # fmt: skip
    assert mypy.checkable(["docs/example/setup.py", "pkg/setup.py", "setup.py"], repo) == ["pkg/setup.py", "setup.py"]
    bad = "import os\n\nX: int = os.sep\n"
    diff = diff_after_edit(repo, {"setup.py": bad, "docs/example/setup.py": "Y = 2\n"})
    report = check_patch(diff, repo, analyzers=frozenset({"mypy"}))
    assert not report.tool_errors
    assert [(s.finding.path, s.finding.rule) for s in report.findings] == [("setup.py", "assignment")]


def test_a_script_also_imported_as_a_namespace_module_does_not_stop_mypy(make_repo: MakeRepo) -> None:
    """``tools/check.py`` given as a script is module ``check``; a test importing
    ``tools.check`` names it again: mypy stops ("found twice"). The script is left to the import
    and the rest is still checked."""
    repo = make_repo({
        "tools/check.py": "def f() -> int:\n    return 1\n",
        "tests/test_tools.py": "from tools.check import f\n\n\ndef test_f() -> None:\n    assert f() == 1\n",
        "pkg/__init__.py": "", "pkg/m.py": "import os\n\nX: str = os.sep\n",
    })  # fmt: skip
    diff = diff_after_edit(repo, {
        "tools/check.py": "def f() -> int:\n    return 2\n",
        "tests/test_tools.py": "from tools.check import f\n\n\ndef test_f() -> None:\n    assert f() == 2\n",
        "pkg/m.py": "import os\n\nX: int = os.sep\n",
    })  # fmt: skip
    report = check_patch(diff, repo, analyzers=frozenset({"mypy"}))
    assert not report.tool_errors
    assert [(s.finding.path, s.finding.rule) for s in report.findings if s.weight > 0] == [("pkg/m.py", "assignment")]


def test_a_stub_package_beside_its_module_is_one_module_to_mypy(make_repo: MakeRepo) -> None:
    """jsonpatch ships ``jsonpatch.py`` and a PEP 561 ``jsonpatch-stubs/__init__.pyi``: both are
    module ``jsonpatch`` to mypy, which stopped with "Duplicate module named" on every patch that
    touched both. The implementation is checked; the run goes on."""
    good = "def apply(doc: dict[str, int]) -> dict[str, int]:\n    return doc\n"
    repo = make_repo({"jsonpatch.py": good, "jsonpatch-stubs/__init__.pyi": "def apply(doc: dict[str, int]) -> dict[str, int]: ...\n"})
    assert mypy.checkable(["jsonpatch-stubs/__init__.pyi", "jsonpatch.py"], repo) == ["jsonpatch.py"]
    bad = good + "\n\nX: int = 'one'\n"
    stub = "def apply(doc: dict[str, int]) -> dict[str, int]: ...\nX: int\n"
    report = check_patch(diff_after_edit(repo, {"jsonpatch.py": bad, "jsonpatch-stubs/__init__.pyi": stub}), repo,
                         analyzers=frozenset({"mypy"}))
    assert not report.tool_errors
    assert [(s.finding.path, s.finding.rule) for s in report.findings] == [("jsonpatch.py", "assignment")]
