from __future__ import annotations

import re
from pathlib import Path

import pytest

from guard.diff import PatchError, parse_patch
from guard.workspace import InputError, apply_hunks, build_workspace, git_reader
from tests.conftest import MakeRepo, diff_after_edit, git, tree_digest

BASE = {"pkg/__init__.py": "", "pkg/m.py": "a = 1\nb = 2\nc = 3\n", "pkg/gone.py": "G = 1\n"}


def test_forward_and_already_applied_give_the_same_versions(make_repo: MakeRepo) -> None:
    repo = make_repo(BASE)
    diff = diff_after_edit(repo, {"pkg/m.py": "a = 1\nb = 20\nc = 3\n", "pkg/new.py": "N = 1\n"})
    forward = build_workspace(repo, parse_patch(diff)).by_path()
    (repo / "pkg/m.py").write_text("a = 1\nb = 20\nc = 3\n")
    (repo / "pkg/new.py").write_text("N = 1\n")
    applied = build_workspace(repo, parse_patch(diff)).by_path()
    for ws in (forward, applied):
        assert ws["pkg/m.py"].before == "a = 1\nb = 2\nc = 3\n"
        assert ws["pkg/m.py"].after == "a = 1\nb = 20\nc = 3\n"
        assert ws["pkg/new.py"].before is None and ws["pkg/new.py"].after == "N = 1\n"


def test_deleted_and_renamed_files(make_repo: MakeRepo) -> None:
    repo = make_repo(BASE)
    diff = diff_after_edit(repo, {"pkg/gone.py": None, "pkg/m.py": None, "pkg/moved.py": BASE["pkg/m.py"]})
    files = build_workspace(repo, parse_patch(diff)).by_path()
    assert files["pkg/gone.py"].before == "G = 1\n" and files["pkg/gone.py"].after is None
    moved = files["pkg/moved.py"]
    assert moved.old_path == "pkg/m.py" and moved.before == moved.after == BASE["pkg/m.py"]


def test_patch_that_does_not_apply_names_file_and_hunk(make_repo: MakeRepo) -> None:
    repo = make_repo(BASE)
    diff = diff_after_edit(repo, {"pkg/m.py": "a = 1\nb = 20\nc = 3\n"})
    (repo / "pkg/m.py").write_text("x = 0\ny = 0\nz = 0\n")
    with pytest.raises(PatchError, match=re.escape("pkg/m.py: hunk 1 (@@ -1,3 +1,3 @@) does not apply")):
        build_workspace(repo, parse_patch(diff))


def test_missing_file_is_an_input_error(make_repo: MakeRepo) -> None:
    repo = make_repo(BASE)
    diff = "--- a/pkg/nothere.py\n+++ b/pkg/nothere.py\n@@ -1 +1 @@\n-a\n+b\n"
    with pytest.raises(PatchError, match=re.escape("pkg/nothere.py: file not found")):
        build_workspace(repo, parse_patch(diff))


def test_non_utf8_source_is_an_input_error(make_repo: MakeRepo) -> None:
    repo = make_repo({"pkg/latin.py": "x = 1\n"})
    (repo / "pkg/latin.py").write_bytes("s = 'caf\xe9'\n".encode("latin-1"))
    diff = "--- a/pkg/latin.py\n+++ b/pkg/latin.py\n@@ -1 +1 @@\n-s = 'caf'\n+s = 'cafe'\n"
    with pytest.raises(InputError, match=re.escape("pkg/latin.py: not UTF-8")):
        build_workspace(repo, parse_patch(diff))


def test_hunks_drift_like_patch_does() -> None:
    patch = parse_patch("--- a/m.py\n+++ b/m.py\n@@ -1,2 +1,2 @@\n x = 1\n-y = 2\n+y = 3\n")
    shifted = "# header\n# added later\nx = 1\ny = 2\n"
    assert apply_hunks(shifted, patch.files[0].hunks) == "# header\n# added later\nx = 1\ny = 3\n"


def test_crlf_files_keep_their_line_endings() -> None:
    patch = parse_patch("--- a/m.py\n+++ b/m.py\n@@ -1,2 +1,3 @@\n x = 1\n-y = 2\n+y = 3\n+z = 4\n")
    assert apply_hunks("x = 1\r\ny = 2\r\n", patch.files[0].hunks) == "x = 1\r\ny = 3\r\nz = 4\r\n"


def test_no_newline_at_end_of_file_is_kept() -> None:
    patch = parse_patch(
        "--- a/m.py\n+++ b/m.py\n@@ -1 +1 @@\n-x = 1\n\\ No newline at end of file\n+x = 2\n"
        "\\ No newline at end of file\n"
    )
    assert apply_hunks("x = 1", patch.files[0].hunks) == "x = 2"


def test_non_python_and_binary_files_are_skipped(make_repo: MakeRepo) -> None:
    repo = make_repo({"README.md": "hi\n"})
    diff = diff_after_edit(repo, {"README.md": "hello\n"})
    diff += "diff --git a/logo.png b/logo.png\nindex 1..2 100644\nBinary files a/logo.png and b/logo.png differ\n"
    ws = build_workspace(repo, parse_patch(diff))
    assert ws.files == []
    assert ws.skipped == [("README.md", "not a Python file"), ("logo.png", "binary file")]


def test_overlay_mirrors_repo_and_never_writes_it(make_repo: MakeRepo) -> None:
    repo = make_repo(BASE)
    diff = diff_after_edit(repo, {"pkg/m.py": "a = 1\n", "pkg/gone.py": None, "pkg/new.py": "N = 2\n"})
    digest = tree_digest(repo)
    with build_workspace(repo, parse_patch(diff)) as ws:
        after, before = ws.overlay("after"), ws.overlay("before")
        assert (after / "pkg/m.py").read_text() == "a = 1\n"
        assert (before / "pkg/m.py").read_text() == BASE["pkg/m.py"]
        assert not (after / "pkg/gone.py").exists() and (before / "pkg/gone.py").exists()
        assert (after / "pkg/new.py").exists() and not (before / "pkg/new.py").exists()
        assert (after / "pyproject.toml").is_symlink()
        root = Path(after).parent
    assert not root.exists(), "overlays are removed when the workspace closes"
    assert tree_digest(repo) == digest


def test_git_reader_reads_a_revision(make_repo: MakeRepo) -> None:
    repo = make_repo(BASE)
    (repo / "pkg/m.py").write_text("changed\n")
    git(repo, "commit", "-qam", "second")
    read = git_reader(repo, "HEAD~1")
    assert read("pkg/m.py") == BASE["pkg/m.py"]
    assert read("pkg/none.py") is None
