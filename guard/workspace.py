"""Before and after sources of every touched file; the user's tree is only ever read.

A patch is applied in memory. If it does not apply forward to the repo but applies in reverse,
the tree already holds the patched version (a `git diff` of the working tree): the before text is
then recovered by applying the patch backwards.

Analyzers that need files on disk get an *overlay*: a temporary directory that mirrors the repo with
symlinks and holds real copies of the touched files in the wanted state. Tools run inside it and
read through the links, so untouched modules resolve as they are in the repo, and nothing is
written to the user's tree.
"""

from __future__ import annotations

import contextlib
import functools
import os
import subprocess
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from guard.diff import FilePatch, FileStatus, Hunk, Patch, PatchError
from guard.repo import DEPENDENCY_DECLARATIONS, REQUIREMENTS_FILE, python_files

State = Literal["before", "after"]
Reader = Callable[[str], "str | None"]


class InputError(ValueError):
    """Input that guard cannot work with (missing file, wrong encoding, ...)."""


@dataclass(frozen=True)
class TouchedFile:
    patch: FilePatch
    before: str | None
    after: str | None

    @property
    def path(self) -> str:
        return self.patch.path

    @property
    def old_path(self) -> str | None:
        return self.patch.old_path

    def changed_lines(self) -> frozenset[int]:
        """Lines of the after text that the patch added, plus the lines where it removed some."""
        return frozenset(self.patch.added_lines() | self.patch.removal_points())

    def text(self, state: State) -> str | None:
        return self.before if state == "before" else self.after


@dataclass
class Workspace:
    repo: Path
    files: list[TouchedFile] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)
    """(path, reason) for files that are not checked: binary, not Python."""
    declarations: dict[str, str | None] = field(default_factory=dict)
    """Dependency declarations the patch touches (pyproject.toml, setup.cfg, requirements files), by
    path: their text as the patch leaves them (None if deleted). Not checked, but read: a patch
    that declares a dependency and imports it is consistent."""
    _tmp: tempfile.TemporaryDirectory[str] | None = None
    _overlays: dict[str, Path] = field(default_factory=dict)

    @functools.cached_property
    def repo_python_files(self) -> list[str]:
        """The repo's own Python files, listed once per check (callers' index, cache stamp)."""
        return python_files(self.repo)

    def by_path(self) -> dict[str, TouchedFile]:
        return {f.path: f for f in self.files}

    def overlay(self, state: State, replace: dict[str, str | None] | None = None) -> Path:
        """A directory that looks like the repo with every touched file in ``state``.

        ``replace`` overrides the text of some files (None removes them), e.g. to keep a file
        that no longer parses out of a tool's way.
        """
        key = state + repr(sorted((replace or {}).items()))
        if key in self._overlays:
            return self._overlays[key]
        if self._tmp is None:
            self._tmp = tempfile.TemporaryDirectory(prefix="guard-")
        root = Path(self._tmp.name) / f"{state}-{len(self._overlays)}"
        _build_overlay(self.repo, root, self.contents(state, replace))
        self._overlays[key] = root
        return root

    def contents(
        self, state: State, replace: dict[str, str | None] | None = None
    ) -> dict[str, str | None]:
        """Text of every touched path in ``state`` (None: absent), as :meth:`overlay` lays it out."""
        contents: dict[str, str | None] = {}
        for f in self.files:
            if f.old_path and f.old_path != f.path:
                contents[f.old_path] = f.before if state == "before" else None
            contents[f.path] = f.text(state)
        contents.update(replace or {})
        return contents

    def close(self) -> None:
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None
            self._overlays.clear()

    def __enter__(self) -> Workspace:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _build_overlay(repo: Path, root: Path, contents: dict[str, str | None]) -> None:
    """Mirror ``repo`` into ``root`` with symlinks, descending only along touched paths."""
    tree: dict[str, object] = {}
    for rel, text in contents.items():
        node = tree
        parts = rel.split("/")
        for part in parts[:-1]:
            child = node.setdefault(part, {})
            assert isinstance(child, dict)
            node = child
        node[parts[-1]] = text if text is not None else _REMOVED

    def build(src: Path, dst: Path, node: dict[str, object]) -> None:
        dst.mkdir(parents=True, exist_ok=True)
        if src.is_dir():
            for entry in os.scandir(src):
                if entry.name not in node:
                    os.symlink(entry.path, dst / entry.name)
        for name, sub in node.items():
            if isinstance(sub, dict):
                build(src / name, dst / name, sub)
            elif isinstance(sub, str):
                (dst / name).write_text(sub, encoding="utf-8")

    build(repo, root, tree)


_REMOVED = object()


# -- reading sources ---------------------------------------------------------------------------


def _decode(data: bytes, where: str) -> str:
    try:
        return data.decode("utf-8-sig" if data.startswith(b"\xef\xbb\xbf") else "utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(
            f"{where}: not UTF-8 (byte {exc.start}); guard reads UTF-8 sources"
        ) from exc


def worktree_reader(repo: Path) -> Reader:
    root = repo.resolve()

    def read(rel: str) -> str | None:
        path = (root / rel).resolve()
        if not path.is_relative_to(root):
            raise InputError(f"{rel}: path leaves the repository")
        if not path.is_file():
            return None
        return _decode(path.read_bytes(), rel)

    return read


def git_reader(repo: Path, rev: str) -> Reader:
    """Read files as they are at ``rev`` (``:`` alone reads the index)."""

    def read(rel: str) -> str | None:
        spec = f":{rel}" if rev == ":" else f"{rev}:{rel}"
        proc = subprocess.run(
            ["git", "-C", str(repo), "show", spec], capture_output=True, check=False
        )
        if proc.returncode != 0:
            return None
        return _decode(proc.stdout, f"{rel} at {rev}")

    return read


# -- applying hunks -----------------------------------------------------------------------------


class _NoFit(Exception):
    def __init__(self, number: int, hunk: Hunk) -> None:
        super().__init__(number)
        self.number = number
        self.hunk = hunk


NoFit = _NoFit
"""Raised by :func:`apply_hunks` when a hunk's context is not in the text."""


def apply_hunks(text: str, hunks: Iterable[Hunk]) -> str:
    """Apply hunks to ``text``; context must match exactly, positions may drift (like patch)."""
    src = text.splitlines(keepends=True)
    crlf = sum(ln.endswith("\r\n") for ln in src)
    eol = "\r\n" if crlf * 2 > len(src) else "\n"
    out: list[str] = []
    pos = 0
    offset = 0
    for number, hunk in enumerate(hunks, 1):
        old = hunk.old_lines()
        expected = (hunk.old_start - 1 if hunk.old_count else hunk.old_start) + offset
        at = _locate(src, old, expected, pos)
        if at is None:
            raise _NoFit(number, hunk)
        offset = at - (hunk.old_start - 1 if hunk.old_count else hunk.old_start)
        out.extend(src[pos:at])
        cursor = at
        for line in hunk.lines:
            if line[0] == " ":
                out.append(src[cursor])
                cursor += 1
            elif line[0] == "-":
                cursor += 1
            else:
                out.append(line[1:] + eol)
        pos = cursor
        if hunk.no_newline_new and pos == len(src) and out:
            out[-1] = out[-1].rstrip("\r\n")
        elif not hunk.no_newline_new and pos == len(src) and out and not out[-1].endswith("\n"):
            out[-1] += eol
    out.extend(src[pos:])
    return "".join(out)


def _locate(src: list[str], old: list[str], expected: int, floor: int) -> int | None:
    limit = len(src) - len(old)
    expected = min(max(expected, floor), max(limit, floor))
    for delta in range(0, len(src) + 1):
        for at in (expected - delta, expected + delta) if delta else (expected,):
            if floor <= at <= limit and all(
                src[at + k].rstrip("\r\n") == old[k] for k in range(len(old))
            ):
                return at
    return None


def _reversed(hunks: Iterable[Hunk]) -> list[Hunk]:
    swap = {"+": "-", "-": "+", " ": " "}
    return [
        Hunk(
            h.new_start,
            h.new_count,
            h.old_start,
            h.old_count,
            tuple(swap[ln[0]] + ln[1:] for ln in h.lines),
            h.no_newline_new,
            h.no_newline_old,
        )
        for h in hunks
    ]


def build_workspace(
    repo: Path, patch: Patch, before: Reader | None = None, current: Reader | None = None
) -> Workspace:
    """Resolve before/after text of every Python file of ``patch``.

    ``before`` reads the pre-patch state when it is known (a git revision); otherwise the
    repo's working tree (``current``) is tried forward, then in reverse.
    """
    current = current or worktree_reader(repo)
    ws = Workspace(repo=repo)
    for fp in patch.files:
        if fp.binary:
            ws.skipped.append((fp.path, "binary file"))
        elif not fp.is_python:
            ws.skipped.append((fp.path, "not a Python file"))
            if fp.path in DEPENDENCY_DECLARATIONS or REQUIREMENTS_FILE.fullmatch(fp.path):
                with contextlib.suppress(PatchError):  # unreadable: the declaration on disk stands
                    touched = _forward(fp, before) if before is not None else _either_way(fp, current)
                    ws.declarations[fp.path] = touched.after
        elif before is not None:
            ws.files.append(_forward(fp, before))
        else:
            ws.files.append(_either_way(fp, current))
    return ws


def _forward(fp: FilePatch, read: Reader) -> TouchedFile:
    if fp.status is FileStatus.ADDED:
        if read(fp.path) is not None:
            raise PatchError(f"{fp.path}: added by the patch but already exists")
        return TouchedFile(fp, None, _apply(fp, ""))
    text = read(fp.old_path or fp.path)
    if text is None:
        raise PatchError(f"{fp.old_path}: file not found in the repository")
    after = _apply(fp, text)
    if fp.status is FileStatus.DELETED:
        if after.strip():
            raise PatchError(f"{fp.path}: deleted by the patch, but the file has more lines")
        return TouchedFile(fp, text, None)
    return TouchedFile(fp, text, after)


def _either_way(fp: FilePatch, read: Reader) -> TouchedFile:
    try:
        return _forward(fp, read)
    except PatchError as forward_error:
        try:
            return _backward(fp, read)
        except PatchError:
            raise forward_error from None


def _backward(fp: FilePatch, read: Reader) -> TouchedFile:
    """The tree already holds the patched file; recover the original."""
    reverse = _reversed(fp.hunks)
    if fp.status is FileStatus.DELETED:
        if fp.old_path and read(fp.old_path) is not None:
            raise PatchError(f"{fp.old_path}: deleted by the patch but still present")
        return TouchedFile(fp, _apply_list(fp, "", reverse), None)
    after = read(fp.path)
    if after is None:
        raise PatchError(f"{fp.path}: file not found in the repository")
    if fp.status is FileStatus.ADDED:
        if _apply_list(fp, after, reverse) != "":
            raise PatchError(f"{fp.path}: added by the patch but already exists with other content")
        return TouchedFile(fp, None, after)
    return TouchedFile(fp, _apply_list(fp, after, reverse), after)


def _apply(fp: FilePatch, text: str) -> str:
    return _apply_list(fp, text, list(fp.hunks))


def _apply_list(fp: FilePatch, text: str, hunks: list[Hunk]) -> str:
    try:
        return apply_hunks(text, hunks)
    except _NoFit as nofit:
        raise PatchError(
            f"{fp.path}: hunk {nofit.number} ({nofit.hunk.header}) does not apply: its context "
            "does not match the file"
        ) from None
