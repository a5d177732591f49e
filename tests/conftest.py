"""Shared helpers: small throwaway repositories built in tmp_path."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"


def git(repo: Path, *args: str) -> str:
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com",
        "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com",
    }  # fmt: skip
    return subprocess.run(
        ["git", "-C", str(repo), *args], check=True, capture_output=True, text=True, env=env
    ).stdout


def write_tree(root: Path, files: Mapping[str, str]) -> None:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


def tree_digest(root: Path) -> str:
    """A hash of every file's path, mode and bytes under ``root`` (the .git dir included)."""
    h = hashlib.sha256()
    for path in sorted(root.rglob("*")):
        if path.is_file() and not path.is_symlink():
            h.update(str(path.relative_to(root)).encode())
            h.update(oct(path.stat().st_mode).encode())
            h.update(path.read_bytes())
    return h.hexdigest()


MakeRepo = Callable[..., Path]


@pytest.fixture
def make_repo(tmp_path: Path) -> MakeRepo:
    """make_repo({"pkg/a.py": "..."}) -> a committed git repo with those files."""
    count = 0

    def make(files: Mapping[str, str], commit: bool = True) -> Path:
        nonlocal count
        count += 1
        repo = tmp_path / f"repo{count}"
        repo.mkdir()
        write_tree(repo, {"pyproject.toml": '[project]\nname = "demo"\nrequires-python = ">=3.10"\n', **files})
        git(repo, "init", "-q", "-b", "main")
        if commit:
            git(repo, "add", "-A")
            git(repo, "commit", "-qm", "base")
        return repo

    return make


def diff_after_edit(repo: Path, edits: Mapping[str, str | None]) -> str:
    """Apply ``edits`` (None deletes), take `git diff`, then restore the tree. Returns the diff."""
    for rel, text in edits.items():
        if text is None:
            (repo / rel).unlink()
        else:
            write_tree(repo, {rel: text})
    git(repo, "add", "-A")
    diff = git(repo, "diff", "--cached", "-M")
    git(repo, "reset", "-q", "--hard", "HEAD")
    return diff


def rule_messages(repo: Path, edits: Mapping[str, str | None], rule: str) -> list[str]:
    """The messages of ``rule``'s findings when guard's own rules alone check ``edits`` to ``repo``."""
    from guard.api import check_patch

    report = check_patch(diff_after_edit(repo, edits), repo, analyzers=frozenset({"rules"}))
    return [s.finding.message for s in report.findings if s.finding.rule == rule]


@pytest.fixture
def sandbox_repo() -> Iterator[Path]:
    """A repo holding an empty package ``pkg``, readable by everyone: the property sandbox may drop
    to nobody, and pytest's tmp_path base is private to its user."""
    root = Path(tempfile.mkdtemp(prefix="guard-sandbox-repo-"))
    root.chmod(0o755)
    (root / "pkg").mkdir(mode=0o755)
    (root / "pkg" / "__init__.py").write_text("")
    (root / "pkg" / "__init__.py").chmod(0o644)
    yield root
    shutil.rmtree(root, ignore_errors=True)
