"""The pipeline end to end through the library API, on small repos built per test."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

import guard
from guard.api import check_patch
from tests.conftest import MakeRepo, diff_after_edit, tree_digest

IO = """\
import json
import os


def join(a, b):
    return os.path.join(a, b)


def dump(x):
    return json.dumps(x, sort_keys=True)
"""


def fired(report: guard.Report) -> set[tuple[str, str, int]]:
    return {(s.finding.rule, s.finding.path, s.finding.line) for s in report.findings if s.weight > 0}


def test_nonexistent_attribute_is_flagged_at_file_and_line(make_repo: MakeRepo) -> None:
    repo = make_repo({"pkg/__init__.py": "", "pkg/io.py": IO})
    diff = diff_after_edit(repo, {"pkg/io.py": IO.replace("os.path.join(a, b)", "os.path.joinpath(a, b)")})
    report = check_patch(diff, repo)
    assert report.verdict == "fail"
    assert ("attr-defined", "pkg/io.py", 6) in fired(report)
    assert report.files == ("pkg/io.py",)


def test_clean_refactor_of_the_same_file_passes(make_repo: MakeRepo) -> None:
    repo = make_repo({"pkg/__init__.py": "", "pkg/io.py": IO})
    refactor = IO.replace(
        "def join(a, b):\n    return os.path.join(a, b)",
        'def join(first, second):\n    """Join two path parts."""\n    joined = os.path.join(first, second)\n    return joined',
    )
    report = check_patch(diff_after_edit(repo, {"pkg/io.py": refactor}), repo)
    assert report.verdict == "pass", report.findings
    assert fired(report) == set()


def test_old_problem_on_untouched_line_is_not_reported_but_a_new_copy_is(make_repo: MakeRepo) -> None:
    old = IO + "\n\ndef legacy(p):\n    return os.path.joinpath(p, 'x')\n"
    repo = make_repo({"pkg/__init__.py": "", "pkg/io.py": old})
    unrelated = old.replace("sort_keys=True", "sort_keys=True, indent=2")
    assert fired(check_patch(diff_after_edit(repo, {"pkg/io.py": unrelated}), repo)) == set()
    again = old.replace("return os.path.join(a, b)", "return os.path.joinpath(a, b)")
    found = fired(check_patch(diff_after_edit(repo, {"pkg/io.py": again}), repo))
    assert ("attr-defined", "pkg/io.py", 6) in found
    assert {(path, line) for _, path, line in found} == {("pkg/io.py", 6)}, "the old copy stays quiet"


def test_mypy_error_at_unchanged_call_site_of_changed_function(make_repo: MakeRepo) -> None:
    repo = make_repo(
        {
            "pkg/__init__.py": "",
            "pkg/core.py": "def scale(x: int) -> int:\n    return x * 2\n",
            "pkg/use.py": "from pkg.core import scale\n\n\ndef run() -> int:\n    return scale(3)\n",
        }
    )
    diff = diff_after_edit(repo, {"pkg/core.py": "def scale(x: str) -> str:\n    return x * 2\n"})
    found = fired(check_patch(diff, repo))
    assert ("arg-type", "pkg/use.py", 5) in found
    assert ("return-value", "pkg/use.py", 5) in found


def test_syntax_error_is_a_finding_and_other_files_are_still_checked(make_repo: MakeRepo) -> None:
    repo = make_repo({"pkg/__init__.py": "", "pkg/io.py": IO, "pkg/other.py": "import os\n\nX = os.sep\n"})
    diff = diff_after_edit(
        repo,
        {
            "pkg/other.py": "import os\n\nX = os.sep\nif X == '/'\n    pass\n",
            "pkg/io.py": IO.replace("os.path.join(a, b)", "os.path.joinpath(a, b)"),
        },
    )
    report = check_patch(diff, repo)
    found = fired(report)
    assert ("syntax-error", "pkg/other.py", 4) in found
    assert ("attr-defined", "pkg/io.py", 6) in found
    assert not report.tool_errors


def test_a_tool_that_times_out_becomes_a_tool_error_and_the_rest_still_count(make_repo: MakeRepo) -> None:
    repo = make_repo({"pkg/__init__.py": "", "pkg/io.py": IO})
    diff = diff_after_edit(repo, {"pkg/io.py": IO + "\n\ndef f():\n    return undefined_helper()\n"})
    report = check_patch(diff, repo, budgets={"mypy": 0.001})
    assert [e.analyzer for e in report.tool_errors] == ["mypy"]
    assert "budget" in report.tool_errors[0].message
    assert ("F821", "pkg/io.py", 14) in fired(report)
    assert report.verdict == "fail"


def test_the_users_tree_is_never_written(make_repo: MakeRepo) -> None:
    repo = make_repo({"pkg/__init__.py": "", "pkg/io.py": IO})
    diff = diff_after_edit(repo, {"pkg/io.py": IO.replace("join(a, b)", "joinpath(a, b)"), "pkg/n.py": "Y = 1\n"})
    digest = tree_digest(repo)
    check_patch(diff, repo)
    assert tree_digest(repo) == digest


def test_style_findings_never_fail_a_patch(make_repo: MakeRepo) -> None:
    files = {
        "pkg/__init__.py": "",
        "pkg/io.py": IO,
        "pyproject.toml": '[project]\nname = "d"\n[tool.ruff.lint]\nselect = ["ALL"]\n',
    }
    repo = make_repo(files)
    styled = IO + "\n\ndef   badlyFormatted( x ):\n    l = [1,2,3]  \n    return l\n"
    report = check_patch(diff_after_edit(repo, {"pkg/io.py": styled}), repo)
    assert report.verdict == "pass", fired(report)


def test_empty_diff_passes_with_nothing_checked(make_repo: MakeRepo) -> None:
    repo = make_repo({"pkg/io.py": IO})
    report = check_patch("", repo)
    assert (report.verdict, report.score, report.files) == ("pass", 0.0, ())


def test_json_contract_keys(make_repo: MakeRepo) -> None:
    repo = make_repo({"pkg/__init__.py": "", "pkg/io.py": IO})
    diff = diff_after_edit(repo, {"pkg/io.py": IO.replace("os.path.join(a, b)", "os.path.joinpath(a, b)")})
    data = check_patch(diff, repo).to_json()
    assert {"version", "score", "verdict", "threshold", "findings", "files", "timings"} <= set(data)
    assert data["version"] == 1 and 0 <= data["score"] <= 1 and data["verdict"] in {"pass", "fail"}
    assert "total_s" in data["timings"]
    finding = data["findings"][0]
    assert {"rule", "analyzer", "path", "line", "column", "severity", "message", "weight"} <= set(finding)
    assert finding["path"] == "pkg/io.py" and finding["severity"] in {"error", "warning", "info"}


def test_importing_guard_has_no_side_effects() -> None:
    code = "import sys, guard; print(sorted(m for m in ('libcst', 'mypy', 'click', 'guard.api') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_rules_budget_stops_the_rules_and_says_which_files_were_left(make_repo: MakeRepo) -> None:
    repo = make_repo({"pkg/__init__.py": "", "pkg/a.py": "A = 1\n", "pkg/b.py": "B = 1\n"})
    diff = diff_after_edit(repo, {"pkg/a.py": "A = 2  # noqa\n", "pkg/b.py": "B = 2  # noqa\n"})
    fast = frozenset({"rules"})
    assert not check_patch(diff, repo, analyzers=fast).tool_errors
    report = check_patch(diff, repo, analyzers=fast, budgets={"rules": 1e-9})
    (error,) = report.tool_errors
    assert "budget" in error.message and "pkg/b.py" in error.message


def test_new_mypy_errors_weigh_less_in_a_file_mypy_already_disputes(make_repo: MakeRepo) -> None:
    noisy = IO + "\n\ndef old(n: int) -> str:\n    return n\n"
    clean = make_repo({"pkg/__init__.py": "", "pkg/io.py": IO})
    dirty = make_repo({"pkg/__init__.py": "", "pkg/io.py": noisy})
    edit = "os.path.join(a, b)", "os.path.joinpath(a, b)"
    fast = frozenset({"mypy"})
    strong = check_patch(diff_after_edit(clean, {"pkg/io.py": IO.replace(*edit)}), clean, analyzers=fast)
    weak = check_patch(diff_after_edit(dirty, {"pkg/io.py": noisy.replace(*edit)}), dirty, analyzers=fast)
    (s,), (w,) = strong.findings, weak.findings
    assert (s.finding.rule, s.finding.line) == (w.finding.rule, w.finding.line) == ("attr-defined", 6)
    assert w.finding.confidence < s.finding.confidence and w.weight < s.weight


@pytest.mark.skipif(sys.version_info >= (3, 12), reason="needs syntax newer than the running Python")
def test_syntax_of_a_newer_python_is_not_a_syntax_error(make_repo: MakeRepo) -> None:
    """``type X = ...`` (3.12) does not parse on 3.11, but it is valid Python: shown, not weighed."""
    repo = make_repo({"pkg/__init__.py": "", "pkg/other.py": "X = 1\n"})
    diff = diff_after_edit(repo, {"pkg/new.py": "type Pair[T] = tuple[T, T]\n"})
    report = check_patch(diff, repo, analyzers=frozenset({"ruff"}))
    syntax = [s for s in report.findings if s.finding.rule == "syntax-error" and s.finding.analyzer == "guard"]
    assert len(syntax) == 1 and syntax[0].weight == 0.0
    assert "newer" in dict(syntax[0].finding.evidence)["context"]


def test_a_crash_in_one_tool_stage_costs_that_tool_not_the_check(
    make_repo: MakeRepo, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A bug in guard's handling of one tool (here: bandit) becomes that tool's error; the other
    analyzers still report."""
    from guard.checks import bandit

    def broken(*args: object, **kwargs: object) -> list[object]:
        raise FileExistsError(17, "File exists")

    monkeypatch.setattr(bandit, "run", broken)
    monkeypatch.setattr(bandit, "run_in_process", broken)
    repo = make_repo({"m.py": "def f() -> int:\n    return 1\n"})
    report = check_patch(diff_after_edit(repo, {"m.py": "def f() -> int:\n    return undefined_thing\n"}), repo,
                         analyzers=frozenset({"ruff", "bandit"}))  # fmt: skip
    assert [e.analyzer for e in report.tool_errors] == ["bandit"]
    assert "bandit stage crashed: FileExistsError" in report.tool_errors[0].message
    assert [s.finding.rule for s in report.findings] == ["F821"]


SHELLS = """\
import subprocess


def build(target):
    return subprocess.call("make " + target, shell=True)


def clean():
    return subprocess.call("make clean", shell=True)


def version():
    return "1.0"
"""


@pytest.mark.parametrize("warm", [False, True])
def test_bandit_reads_the_changed_code_and_still_counts_a_new_copy_of_an_old_problem(
    make_repo: MakeRepo, warm: bool
) -> None:
    from guard.changes import analyse_file
    from guard.diff import parse_patch
    from guard.pipeline import plan
    from guard.workspace import build_workspace

    repo = make_repo({"pkg/__init__.py": "", "pkg/shells.py": SHELLS})
    copied = SHELLS.replace('return "1.0"', 'return subprocess.call("git describe", shell=True)')
    diff = diff_after_edit(repo, {"pkg/shells.py": copied})
    with build_workspace(repo, parse_patch(diff)) as ws:
        assert analyse_file(ws.files[0]).after is not None
        pruned = (plan(ws, (3, 11)).pruned_overlay() / "pkg/shells.py").read_text()
    assert "make clean" not in pruned and "git describe" in pruned, "bandit sees the changed function only"
    session = guard.Session(repo, analyzers=frozenset({"bandit"}), execute=False) if warm else None
    check = session.check if session is not None else (lambda d: check_patch(d, repo, analyzers={"bandit"}))
    try:
        found = {(f.finding.rule, f.finding.line) for f in check(diff).findings}
        assert ("B602", 13) in found, "a third shell call is new although two old ones were left unread"
        unrelated = SHELLS.replace('return "1.0"', 'return "1.1"')
        assert {f.finding.rule for f in check(diff_after_edit(repo, {"pkg/shells.py": unrelated})).findings} == set()
        moved = SHELLS.replace("def clean():", "def tidy():")
        assert {f.finding.rule for f in check(diff_after_edit(repo, {"pkg/shells.py": moved})).findings} <= {"B404"}
    finally:
        if session is not None:
            session.close()


def test_both_trees_of_a_check_go_through_the_same_mypy(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """A daemon still starting for the patched tree is not used for the original tree either, though
    it may be ready by then: the daemon and a separate mypy need not report alike, and the original
    tree's findings tell old complaints from new ones."""
    from types import SimpleNamespace

    from guard import pipeline
    from guard.checks import mypy
    from guard.checks.base import ToolRun
    from guard.checks.mypy_daemon import DaemonUnavailable

    calls: list[str] = []

    class Daemon:
        note = None

        def run(self, *args: object) -> list[object]:
            calls.append("daemon")
            if calls.count("daemon") == 1:
                raise DaemonUnavailable("the mypy daemon is starting")
            return []

    def separate(job: ToolRun, cache: Path) -> tuple[list[object], None]:
        calls.append("separate")
        return [], None

    monkeypatch.setattr(mypy, "run", separate)
    before, after = tmp_path / "before", tmp_path / "after"
    plan = SimpleNamespace(
        overlay=lambda state: before if state == "before" else after,
        contents=lambda state: {},
        ws=SimpleNamespace(repo=tmp_path, repo_python_files=()),
    )
    run = pipeline._mypy_runner(plan, pipeline.Outcome(), Daemon(), "stamp")  # type: ignore[arg-type]
    run(ToolRun(after, ["m.py"], (3, 10), 5.0))
    run(ToolRun(before, ["m.py"], (3, 10), 5.0))
    assert calls == ["daemon", "separate", "separate"]
