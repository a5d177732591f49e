"""The resident mypy of warm sessions: its mirror, its results, its lifecycle and its fallbacks."""

from __future__ import annotations

import contextlib
import os
import signal
from pathlib import Path

import pytest

from guard.api import check_patch
from guard.checks.mypy_daemon import DaemonUnavailable, Mirror, MypyDaemon
from guard.result import Report
from guard.session import Session
from tests.conftest import FIXTURES, MakeRepo, diff_after_edit, tree_digest

MOD = "import os\n\n\ndef join(a: str, b: str) -> str:\n    return os.path.join(a, b)\n"
MISSING_ATTRIBUTE = MOD.replace("join(a, b)", "joinpath(a, b)")
NO_EXEC = {"execute": False, "analyzers": frozenset({"mypy"})}


def _mypy(report: object) -> list[tuple[str, int, str]]:
    findings = report.findings  # type: ignore[attr-defined]
    return sorted((s.finding.path, s.finding.line, s.finding.rule) for s in findings if s.finding.analyzer == "mypy")


def test_mirror_swaps_files_in_and_puts_the_links_back(tmp_path: Path, make_repo: MakeRepo) -> None:
    repo = make_repo({"pkg/__init__.py": "", "pkg/m.py": MOD, "pkg/sub/x.py": "X = 1\n"})
    before = tree_digest(repo)
    mirror = Mirror(repo, tmp_path / "mirror")
    assert (mirror.root / "pkg").is_symlink()
    two_new = {"pkg/new/y.py": "Y = 2\n", "pkg/new/z.py": "Z = 3\n", "pkg/new/deep/w.py": "W = 4\n"}
    with mirror.swapped({"pkg/m.py": "changed\n", **two_new, "pkg/sub/x.py": None}):
        assert (mirror.root / "pkg/m.py").read_text() == "changed\n"
        assert not (mirror.root / "pkg/m.py").is_symlink()
        assert (mirror.root / "pkg/new/y.py").read_text() == "Y = 2\n"
        assert (mirror.root / "pkg/new/z.py").read_text() == "Z = 3\n", "two files in one new directory"
        assert (mirror.root / "pkg/new/deep/w.py").read_text() == "W = 4\n"
        assert not (mirror.root / "pkg/sub/x.py").exists()
    assert (mirror.root / "pkg/m.py").is_symlink()
    assert (mirror.root / "pkg/m.py").read_text() == MOD
    assert (mirror.root / "pkg/sub/x.py").read_text() == "X = 1\n"
    assert not (mirror.root / "pkg/new").exists(), "a directory only the patch had is gone again"
    assert tree_digest(repo) == before, "the repo is never written"
    (repo / "pkg/added.py").write_text("A = 1\n")
    (repo / "pkg/__init__.py").unlink()
    mirror.sync()
    assert (mirror.root / "pkg/added.py").read_text() == "A = 1\n"
    assert not os.path.lexists(mirror.root / "pkg/__init__.py")


def test_two_versions_written_within_a_second_are_told_apart(make_repo: MakeRepo) -> None:
    """dmypy compares size and whole-second mtime: same-size versions must not look unchanged."""
    repo = make_repo({"pkg/__init__.py": "", "pkg/m.py": MOD})
    bad = MOD.replace("os.path.join(a, b)", "os.path.joinXX(a, b)")
    good = MOD.replace("os.path.join(a, b)", "os.path.join(b, a)")
    bad2 = MOD.replace("os.path.join(a, b)", "os.path.joinYY(a, b)")
    assert len(bad) - 2 == len(good) == len(MOD) and len(bad) == len(bad2)
    diffs = [diff_after_edit(repo, {"pkg/m.py": text}) for text in (bad, good, bad2, good)]
    with Session(repo, **NO_EXEC) as session:
        session.warm_up()
        results = [_mypy(session.check(d)) for d in diffs]
        assert session.stats()["mypy_daemon_runs"] >= 3
    assert [bool(r) for r in results] == [True, False, True, False]
    assert results[0] == [("pkg/m.py", 5, "attr-defined")]


def test_warm_daemon_and_cold_process_agree_on_fixture_cases() -> None:
    repo = FIXTURES / "repos" / "textkit"
    cases = sorted((FIXTURES / "cases" / "textkit").glob("*/patch.diff"))[:8]
    with Session(repo, **NO_EXEC) as session:
        session.warm_up()
        for case in cases:
            diff = case.read_text()
            assert _mypy(session.check(diff)) == _mypy(check_patch(diff, repo=repo, **NO_EXEC)), case.parent.name


def test_close_stops_the_daemon_and_removes_the_mirror(make_repo: MakeRepo) -> None:
    repo = make_repo({"pkg/__init__.py": "", "pkg/m.py": MOD})
    diff = diff_after_edit(repo, {"pkg/m.py": MOD.replace("join(a, b)", "joinpath(a, b)")})
    session = Session(repo, **NO_EXEC)
    session.warm_up()
    assert _mypy(session.check(diff))
    daemon = session._mypy
    assert daemon is not None
    pid = int(Path(daemon._status).read_text().split('"pid": ')[1].split(",")[0])
    mirror = daemon.mirror.root
    session.close()
    assert not mirror.exists()
    _wait_gone(pid)


def _wait_gone(pid: int) -> None:
    import time

    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        with contextlib.suppress(ChildProcessError):  # reap it if it is our child
            os.waitpid(pid, os.WNOHANG)
        time.sleep(0.05)
    pytest.fail(f"mypy daemon {pid} still running")


def test_a_killed_daemon_is_started_again(make_repo: MakeRepo) -> None:
    repo = make_repo({"pkg/__init__.py": "", "pkg/m.py": MOD})
    diff = diff_after_edit(repo, {"pkg/m.py": MOD.replace("join(a, b)", "joinpath(a, b)")})
    with Session(repo, **NO_EXEC) as session:
        session.warm_up()
        first = _mypy(session.check(diff))
        daemon = session._mypy
        assert daemon is not None
        pid = int(Path(daemon._status).read_text().split('"pid": ')[1].split(",")[0])
        os.kill(pid, signal.SIGKILL)
        _wait_gone(pid)
        other = diff_after_edit(repo, {"pkg/m.py": MOD.replace("join(a, b)", "joinpath(b, a)")})
        report = session.check(other)  # runs mypy as a process while the daemon starts again
        assert _mypy(report) == first
        assert any("starting" in n.message for n in report.notes)
        session.warm_up()
        assert daemon.ready()
        third = diff_after_edit(repo, {"pkg/m.py": MOD.replace("join(a, b)", "joinpath(a, a)")})
        report = session.check(third)
        assert _mypy(report) == first
        assert not any(n.analyzer == "mypy" for n in report.notes)


def test_without_a_daemon_mypy_runs_as_a_process(make_repo: MakeRepo, monkeypatch: pytest.MonkeyPatch) -> None:
    repo = make_repo({"pkg/__init__.py": "", "pkg/m.py": MOD})
    diff = diff_after_edit(repo, {"pkg/m.py": MOD.replace("join(a, b)", "joinpath(a, b)")})

    def refuse(self: MypyDaemon, target: tuple[int, int], budget_s: float) -> None:
        raise DaemonUnavailable("mypy daemon did not start: refused by the test")

    monkeypatch.setattr(MypyDaemon, "_start", refuse)
    with Session(repo, **NO_EXEC) as session:
        session.warm_up()
        report = session.check(diff)
    assert _mypy(report) == [("pkg/m.py", 5, "attr-defined")]
    assert any("refused by the test" in n.message for n in report.notes)


def test_a_project_declaring_a_python_mypy_no_longer_takes_keeps_the_daemon(make_repo: MakeRepo) -> None:
    """A project that still declares Python 3.7 (tomli 2.0.0) is checked as the oldest Python mypy
    takes, by the daemon as by a separate mypy: before, the daemon refused to start on every check
    (``--python-version: Python 3.7 is not supported``) and each check paid a whole mypy process."""
    repo = make_repo({
        "pyproject.toml": '[project]\nname = "p"\nrequires-python = ">=3.7"\n',
        "pkg/__init__.py": "", "pkg/m.py": MOD,
    })  # fmt: skip
    diff = diff_after_edit(repo, {"pkg/m.py": MISSING_ATTRIBUTE})
    with Session(repo, **NO_EXEC) as session:
        session.warm_up()
        report = session.check(diff)
        assert session.stats()["mypy_daemon_runs"] >= 1
    assert _mypy(report) == [("pkg/m.py", 5, "attr-defined")]
    assert not any(n.analyzer == "mypy" for n in report.notes), report.notes


def test_the_first_check_does_not_wait_for_the_daemon(make_repo: MakeRepo) -> None:
    repo = make_repo({"pkg/__init__.py": "", "pkg/m.py": MOD})
    diff = diff_after_edit(repo, {"pkg/m.py": MOD.replace("join(a, b)", "joinpath(a, b)")})
    with Session(repo, **NO_EXEC) as session:
        first = session.check(diff)
        assert _mypy(first) == [("pkg/m.py", 5, "attr-defined")], "mypy ran as a process meanwhile"
        assert any("starting" in n.message for n in first.notes)
        daemon = session._mypy
        assert daemon is not None and daemon._warmer is not None
        daemon._warmer.join(timeout=120)
        assert daemon.ready()
        second = session.check(diff)
        assert _mypy(second) == _mypy(first)
        assert not any(n.analyzer == "mypy" for n in second.notes)


def test_a_repo_mypy_cannot_check_as_a_whole_falls_back_to_the_touched_files(make_repo: MakeRepo) -> None:
    # a Python 2 script in the repo: a blocking syntax error for a whole-repo run
    repo = make_repo({"pkg/__init__.py": "", "pkg/m.py": MOD, "scripts/legacy.py": "print 'hello'\n"})
    diff = diff_after_edit(repo, {"pkg/m.py": MOD.replace("join(a, b)", "joinpath(a, b)")})
    with Session(repo, **NO_EXEC) as session:
        session.warm_up()
        report = session.check(diff)
        assert session._mypy is not None and session._mypy.unavailable
    assert _mypy(report) == [("pkg/m.py", 5, "attr-defined")]
    assert any("as a whole" in n.message for n in report.notes)


def _checked_by_the_daemon(repo: Path, diff: str) -> Report:
    """One warm check, asserting the resident mypy served it (and did not give the repo up)."""
    with Session(repo, **NO_EXEC) as session:
        session.warm_up()
        report = session.check(diff)
        assert session._mypy is not None and not session._mypy.unavailable
        assert session.stats()["mypy_daemon_runs"] >= 1
    return report


def test_scripts_named_alike_are_one_module_to_the_daemon(make_repo: MakeRepo) -> None:
    """Two top-level ``tool.py`` would be "Duplicate module named 'tool'": one is checked."""
    repo = make_repo({"pkg/__init__.py": "", "pkg/m.py": MOD, "a/tool.py": "X = 1\n", "b/tool.py": "Y = 2\n"})
    report = _checked_by_the_daemon(repo, diff_after_edit(repo, {"pkg/m.py": MISSING_ATTRIBUTE}))
    assert _mypy(report) == [("pkg/m.py", 5, "attr-defined")]


def test_a_module_with_its_own_stub_is_one_module_to_the_daemon(make_repo: MakeRepo) -> None:
    """A repo (or a patch) holding both ``m.py`` and ``m.pyi``: mypy would stop on a duplicate
    module if given both; the resident mypy keeps checking, and sees the patch's errors."""
    stub = "def join(a: str, b: str) -> str: ...\n"
    repo = make_repo({"pkg/__init__.py": "", "pkg/m.py": MOD, "pkg/m.pyi": stub})
    bad = MOD.replace("os.path.join(a, b)", "os.path.joinXX(a, b)")
    report = _checked_by_the_daemon(repo, diff_after_edit(repo, {"pkg/m.py": bad, "pkg/m.pyi": stub + "X: int\n"}))
    assert not report.tool_errors
    assert ("pkg/m.py", 5, "attr-defined") in _mypy(report)


def test_a_script_also_imported_as_a_namespace_module_keeps_the_daemon(make_repo: MakeRepo) -> None:
    """``tools/check.py`` is module ``check`` as a listed file and ``tools.check`` for the test
    that imports it: mypy stops on the whole repo. The daemon leaves that file to the import."""
    repo = make_repo({
        "tools/check.py": "def f() -> int:\n    return 1\n",
        "tests/test_tools.py": "from tools.check import f\n\n\ndef test_f() -> None:\n    assert f() == 1\n",
        "pkg/__init__.py": "", "pkg/m.py": MOD,
    })  # fmt: skip
    report = _checked_by_the_daemon(repo, diff_after_edit(repo, {"pkg/m.py": MISSING_ATTRIBUTE}))
    assert _mypy(report) == [("pkg/m.py", 5, "attr-defined")]


def test_a_declared_minimum_below_what_mypy_takes_keeps_the_daemon(make_repo: MakeRepo) -> None:
    """3.7 and 3.8 are both checked as mypy's oldest: a patch that moves the declared minimum from
    one to the other keeps the daemon and what it has built (it was restarted: a whole-repo build
    on a check of a release that edits its ``python_requires``)."""
    declared = {"pyproject.toml": '[project]\nname = "demo"\n', "setup.cfg": "[options]\npython_requires = >=3.7\n"}
    repo = make_repo({"pkg/__init__.py": "", "pkg/m.py": MOD, **declared})
    moved = diff_after_edit(repo, {"setup.cfg": "[options]\npython_requires = >=3.8\n", "pkg/m.py": MISSING_ATTRIBUTE})
    with Session(repo, **NO_EXEC) as session:
        session.warm_up()
        daemon = session._mypy
        assert daemon is not None and daemon.ready()
        started = daemon._started
        report = session.check(moved)
        assert ("pkg/m.py", 5, "attr-defined") in _mypy(report)
        assert daemon._started == started and daemon.restarts == 0
        assert not any(n.analyzer == "mypy" for n in report.notes), report.notes


def test_a_crlf_file_read_back_is_not_taken_for_a_change(tmp_path: Path, make_repo: MakeRepo) -> None:
    """The original tree's own text of a CRLF file is no swap (pyparsing 3.1.0's examples: every
    check's original-tree run missed the results built at warm-up and re-ran the daemon)."""
    repo = make_repo({"pkg/__init__.py": "", "pkg/m.py": MOD})
    (repo / "pkg/crlf.py").write_bytes(b"X = 1\r\nY = 2\r\n")
    mirror = Mirror(repo, tmp_path / "mirror")
    assert not mirror.differs("pkg/crlf.py", "X = 1\r\nY = 2\r\n")
    assert not mirror.differs("pkg/crlf.py", "X = 1\nY = 2\n")
    assert mirror.differs("pkg/crlf.py", "X = 1\r\nY = 3\r\n")
    assert mirror.differs("pkg/crlf.py", None) and mirror.differs("pkg/gone.py", "X = 1\n")
    assert not mirror.differs("pkg/gone.py", None)
