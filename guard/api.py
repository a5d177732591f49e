"""The library interface: ``check_patch(diff, repo) -> Report``. Returns values, prints nothing."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

from guard.diff import PatchError
from guard.result import JSON_VERSION, Report
from guard.session import Session
from guard.workspace import InputError, Reader, git_reader


def check_patch(
    diff: str,
    repo: Path | str = ".",
    *,
    before: Reader | None = None,
    **overrides: Any,
) -> Report:
    """Check a unified diff against the repository at ``repo``.

    The patch may be unapplied (the tree holds the original) or already applied (the tree holds
    the result); ``before`` reads the original version from elsewhere (e.g. a git revision).
    ``overrides`` are :class:`guard.config.Options` fields (``threshold=0.7``,
    ``disable=frozenset({"F841"})``, ...) and win over ``[tool.guard]`` in the repo.

    Raises :class:`PatchError` or :class:`InputError` for input guard cannot use, and
    :class:`guard.config.ConfigError` for a bad configuration. For many checks of one repo, keep a
    :class:`guard.Session` instead: it keeps caches warm between checks.
    """
    with Session(repo, warm=False) as session:
        return session.check(diff, before=before, **overrides)


def _git(repo: Path, *args: str) -> str:
    try:
        proc = subprocess.run(
            ["git", "-C", str(repo), *args], capture_output=True, check=False, timeout=60
        )
    except FileNotFoundError as exc:
        raise InputError("git is not installed") from exc
    if proc.returncode != 0:
        raise InputError(f"git {' '.join(args)}: {proc.stderr.decode(errors='replace').strip()}")
    try:
        return proc.stdout.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(f"git {args[0]} printed text that is not UTF-8") from exc


def git_diff(repo: Path, base: str | None = None, staged: bool = False) -> tuple[str, Reader]:
    """The repo's change as a diff, and a reader of the original files.

    Default: the working tree (with untracked, unignored files) against HEAD; ``base``: against
    the merge base of ``base`` and HEAD; ``staged``: the index against HEAD.
    """
    repo = Path(repo)
    _git(repo, "rev-parse", "--git-dir")
    has_head = subprocess.run(
        ["git", "-C", str(repo), "rev-parse", "--verify", "-q", "HEAD"], capture_output=True, check=False
    ).returncode == 0
    if base is not None:
        rev = _git(repo, "merge-base", base, "HEAD").strip()
    elif has_head:
        rev = "HEAD"
    else:
        rev = _git(repo, "hash-object", "-t", "tree", "/dev/null").strip()  # the empty tree
    flags = ["--no-color", "--no-ext-diff", "-M", "--src-prefix=a/", "--dst-prefix=b/"]
    if staged:
        diff = _git(repo, "diff", "--cached", *flags, rev)
        return diff, git_reader(repo, rev)
    diff = _git(repo, "diff", *flags, rev)
    untracked = _git(repo, "ls-files", "--others", "--exclude-standard", "-z").split("\0")
    for rel in filter(None, untracked):
        if rel.endswith((".py", ".pyi")):
            diff += _new_file_diff(repo, rel)
    return diff, git_reader(repo, rev)


def _new_file_diff(repo: Path, rel: str) -> str:
    try:
        text = (repo / rel).read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(f"{rel}: not UTF-8 (byte {exc.start}); guard reads UTF-8 sources") from exc
    lines = text.splitlines()
    if not lines:
        return f"diff --git a/{rel} b/{rel}\nnew file mode 100644\n"
    body = "".join(f"+{ln}\n" for ln in lines)
    tail = "" if text.endswith("\n") else "\\ No newline at end of file\n"
    return (
        f"diff --git a/{rel} b/{rel}\nnew file mode 100644\n--- /dev/null\n+++ b/{rel}\n"
        f"@@ -0,0 +1,{len(lines)} @@\n{body}{tail}"
    )


def check_repo(repo: Path | str = ".", *, base: str | None = None, staged: bool = False, **overrides: Any) -> Report:
    """Check the repo's own change (see :func:`git_diff`)."""
    root = Path(repo).resolve()
    diff, before = git_diff(root, base, staged)
    return check_patch(diff, root, before=before, **overrides)


__all__ = ["JSON_VERSION", "InputError", "PatchError", "Report", "Session", "check_patch", "check_repo", "git_diff"]
