"""The command line: exit codes, one-line errors, formats, and the git modes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from guard.cli import main
from tests.conftest import MakeRepo, diff_after_edit, git, write_tree

MOD = "import os\n\n\ndef join(a, b):\n    return os.path.join(a, b)\n"
BAD = MOD.replace("os.path.join(a, b)", "os.path.joinpath(a, b)")


def run(*args: str, stdin: str | bytes | None = None) -> Result:
    return CliRunner().invoke(main, list(args), input=stdin, catch_exceptions=False)


def one_error_line(result: Result) -> str:
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.output
    return lines[0]


@pytest.fixture
def repo(make_repo: MakeRepo) -> Path:
    return make_repo({"pkg/__init__.py": "", "pkg/m.py": MOD})


def test_flagged_patch_exits_1_and_names_the_line(repo: Path, tmp_path: Path) -> None:
    patch = tmp_path / "p.diff"
    patch.write_text(diff_after_edit(repo, {"pkg/m.py": BAD}))
    result = run("check", str(patch), "--repo", str(repo))
    assert result.exit_code == 1
    assert result.stdout.splitlines()[0].startswith("FAIL")
    assert "pkg/m.py" in result.stdout and "5:12" in result.stdout


def test_clean_patch_from_stdin_exits_0(repo: Path) -> None:
    diff = diff_after_edit(repo, {"pkg/m.py": MOD.replace("os.path.join(a, b)", "os.path.join(a, b)  # joined")})
    result = run("check", "-", "--repo", str(repo), "--format", "json", stdin=diff)
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert data["verdict"] == "pass" and data["files"] == ["pkg/m.py"]


def test_threshold_option_changes_the_verdict(repo: Path) -> None:
    diff = diff_after_edit(repo, {"pkg/m.py": BAD})
    assert run("check", "-", "--repo", str(repo), stdin=diff).exit_code == 1
    assert run("check", "-", "--repo", str(repo), "--threshold", "1", stdin=diff).exit_code == 0


def test_disable_option_drops_a_rule(repo: Path) -> None:
    diff = diff_after_edit(repo, {"pkg/m.py": BAD})
    result = run("check", "-", "--repo", str(repo), "--disable", "attr-defined", "--format", "json", stdin=diff)
    assert "attr-defined" not in {f["rule"] for f in json.loads(result.stdout)["findings"]}


def test_empty_diff_says_nothing_to_check(repo: Path) -> None:
    result = run("check", "-", "--repo", str(repo), stdin="")
    assert result.exit_code == 0
    assert one_error_line(result) == "guard: nothing to check (empty diff)"


@pytest.mark.parametrize(
    ("patch", "message"),
    [
        ("this is not a diff\n", "does not look like a unified diff"),
        ("--- a/pkg/m.py\n+++ b/pkg/m.py\n@@ -1,9 +1,9 @@\n-import os\n", "ends inside the hunk"),
        ("--- a/pkg/missing.py\n+++ b/pkg/missing.py\n@@ -1 +1 @@\n-a\n+b\n", "pkg/missing.py: file not found"),
        ("--- a/pkg/m.py\n+++ b/pkg/m.py\n@@ -1 +1 @@\n-import sys\n+import re\n", "pkg/m.py: hunk 1"),
    ],
    ids=["malformed", "truncated", "missing-file", "does-not-apply"],
)
def test_bad_input_is_one_line_and_exit_2(repo: Path, patch: str, message: str) -> None:
    result = run("check", "-", "--repo", str(repo), stdin=patch)
    assert result.exit_code == 2
    assert message in one_error_line(result)


def test_non_utf8_patch_and_source(repo: Path, tmp_path: Path) -> None:
    result = run("check", "-", "--repo", str(repo), stdin=b"--- a/pkg/m.py\n+++ b/pkg/m.py\n\xff\xfe\n")
    assert result.exit_code == 2 and "not UTF-8" in one_error_line(result)
    (repo / "pkg/m.py").write_bytes(b"# caf\xe9\n")
    result = run("check", "-", "--repo", str(repo), stdin="--- a/pkg/m.py\n+++ b/pkg/m.py\n@@ -1 +1 @@\n-a\n+b\n")
    assert result.exit_code == 2 and "pkg/m.py: not UTF-8" in one_error_line(result)


def test_missing_patch_file_and_repo(repo: Path, tmp_path: Path) -> None:
    result = run("check", str(tmp_path / "nope.diff"), "--repo", str(repo))
    assert result.exit_code == 2 and "no such patch file" in one_error_line(result)
    result = run("check", "-", "--repo", str(tmp_path / "nodir"), stdin="")
    assert result.exit_code == 2


def test_working_tree_against_head_includes_untracked_files(repo: Path) -> None:
    write_tree(repo, {"pkg/m.py": BAD, "pkg/fresh.py": "def f():\n    return helper_that_is_nowhere()\n"})
    result = run("check", "--repo", str(repo), "--format", "json")
    assert result.exit_code == 1
    found = {(f["rule"], f["path"], f["line"]) for f in json.loads(result.stdout)["findings"]}
    assert ("attr-defined", "pkg/m.py", 5) in found
    assert ("F821", "pkg/fresh.py", 2) in found


def test_base_option_checks_everything_since_the_merge_base(repo: Path) -> None:
    git(repo, "checkout", "-q", "-b", "feature")
    write_tree(repo, {"pkg/m.py": BAD})
    git(repo, "commit", "-qam", "feature work")
    assert run("check", "--repo", str(repo)).exit_code == 0  # nothing uncommitted
    result = run("check", "--repo", str(repo), "--base", "main", "--format", "json")
    assert result.exit_code == 1
    assert json.loads(result.stdout)["files"] == ["pkg/m.py"]


def test_staged_option_checks_the_index_not_the_working_tree(repo: Path) -> None:
    write_tree(repo, {"pkg/m.py": BAD})
    git(repo, "add", "pkg/m.py")
    write_tree(repo, {"pkg/m.py": MOD})  # fixed in the tree, but the bad version is staged
    assert run("check", "--repo", str(repo), "--staged").exit_code == 1
    assert run("check", "--repo", str(repo)).exit_code == 0


def test_base_with_patch_is_a_usage_error(repo: Path) -> None:
    result = run("check", "-", "--repo", str(repo), "--base", "main", stdin="")
    assert result.exit_code == 2


def test_bad_config_names_the_key(make_repo: MakeRepo) -> None:
    repo = make_repo({"pyproject.toml": "[tool.guard]\nthreshhold = 0.4\n", "m.py": "x = 1\n"})
    result = run("check", "-", "--repo", str(repo), stdin="")
    assert result.exit_code == 2 and "threshhold" in one_error_line(result)


def test_installed_command_works_outside_the_repo(tmp_path: Path) -> None:
    """Rules must import as guard.rules.*, not as a top-level `rules` package of this checkout."""
    import subprocess
    import sys

    guard_bin = Path(sys.executable).parent / "guard"
    result = subprocess.run([str(guard_bin), "rules"], cwd=tmp_path, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    assert "suppression-added" in result.stdout


def test_installed_command_flushes_output_and_keeps_exit_codes(repo: Path, tmp_path: Path) -> None:
    """The program leaves with os._exit (guard.cli.entry): its output must still arrive, through a
    pipe too, and its exit codes must be those of the command."""
    import subprocess
    import sys

    guard_bin = Path(sys.executable).parent / "guard"
    patch = tmp_path / "p.diff"
    patch.write_text(diff_after_edit(repo, {"pkg/m.py": BAD}))
    flagged = subprocess.run(
        [str(guard_bin), "check", str(patch), "--repo", str(repo), "--format", "json"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert flagged.returncode == 1, flagged.stderr
    assert json.loads(flagged.stdout)["verdict"] == "fail"
    missing = subprocess.run(
        [str(guard_bin), "check", str(tmp_path / "absent.diff")], capture_output=True, text=True, check=False
    )
    assert missing.returncode == 2 and missing.stderr.startswith("guard: error:")
    module = subprocess.run([sys.executable, "-m", "guard", "--version"], capture_output=True, text=True, check=False)
    assert module.returncode == 0 and "guard, version" in module.stdout


def test_the_program_starts_without_the_heavy_libraries() -> None:
    """A cold check starts ruff and mypy while the rules stage imports libcst: neither libcst,
    Hypothesis nor mypy may be imported just by loading the command line."""
    import subprocess
    import sys

    script = "import sys, guard.cli; print(sorted(m for m in ('libcst', 'hypothesis', 'mypy') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
