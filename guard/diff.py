"""Parse unified diffs: `git diff`, plain `diff -u`, and `git format-patch` mails.

The parser is driven by the hunk headers' line counts, so trailing mail signatures, commit
messages and other junk between file sections are skipped instead of misread.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterator
from dataclasses import dataclass, field


class PatchError(ValueError):
    """The patch text is malformed or cannot be used; the message names where."""


class FileStatus(enum.Enum):
    MODIFIED = "modified"
    ADDED = "added"
    DELETED = "deleted"
    RENAMED = "renamed"


@dataclass(frozen=True)
class Hunk:
    old_start: int
    old_count: int
    new_start: int
    new_count: int
    lines: tuple[str, ...]
    """Hunk body lines, each starting with ' ', '-' or '+', line endings stripped."""
    no_newline_old: bool = False
    no_newline_new: bool = False

    @property
    def header(self) -> str:
        return f"@@ -{self.old_start},{self.old_count} +{self.new_start},{self.new_count} @@"

    def old_lines(self) -> list[str]:
        return [ln[1:] for ln in self.lines if ln[0] in " -"]

    def new_lines(self) -> list[str]:
        return [ln[1:] for ln in self.lines if ln[0] in " +"]


@dataclass(frozen=True)
class FilePatch:
    old_path: str | None
    """Repo-relative path before the patch; None for an added file."""
    new_path: str | None
    """Repo-relative path after the patch; None for a deleted file."""
    hunks: tuple[Hunk, ...] = ()
    binary: bool = False

    @property
    def path(self) -> str:
        """The path that names this file in reports: the new one unless deleted."""
        path = self.new_path or self.old_path
        assert path is not None
        return path

    @property
    def status(self) -> FileStatus:
        if self.old_path is None:
            return FileStatus.ADDED
        if self.new_path is None:
            return FileStatus.DELETED
        if self.old_path != self.new_path:
            return FileStatus.RENAMED
        return FileStatus.MODIFIED

    @property
    def is_python(self) -> bool:
        return self.path.endswith((".py", ".pyi"))

    def added_lines(self) -> set[int]:
        """Line numbers in the new file of added lines."""
        added: set[int] = set()
        for hunk in self.hunks:
            line = hunk.new_start
            for text in hunk.lines:
                if text[0] == "+":
                    added.add(line)
                if text[0] in " +":
                    line += 1
        return added

    def removal_points(self) -> set[int]:
        """New-file lines next to which old lines were removed (for pure deletions)."""
        points: set[int] = set()
        for hunk in self.hunks:
            line = hunk.new_start
            for text in hunk.lines:
                if text[0] == "-":
                    points.add(max(line, 1))
                else:
                    line += 1
        return points


@dataclass
class Patch:
    files: list[FilePatch] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.files)


_HUNK_RE = re.compile(r"^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@")
_GIT_HEADER_RE = re.compile(r"^diff --git (\S+|\"[^\"]+\") (\S+|\"[^\"]+\")$")


def parse_patch(text: str) -> Patch:
    """Parse ``text`` into a :class:`Patch`. Raises :class:`PatchError` when malformed."""
    lines = [ln.rstrip("\r\n") for ln in text.splitlines()]
    patch = _Parser(lines).parse()
    if not patch and text.strip():
        raise PatchError("no file sections found: this does not look like a unified diff")
    return patch


def _strip_prefix(path: str) -> str | None:
    path = path.strip()
    if "\t" in path:  # `diff -u` puts a timestamp after a tab
        path = path.split("\t", 1)[0]
    if path.startswith('"') and path.endswith('"'):
        path = path[1:-1].encode("latin-1", "backslashreplace").decode("unicode_escape")
        path = path.encode("latin-1").decode("utf-8", "replace")
    if path == "/dev/null":
        return None
    if path.startswith(("a/", "b/")):
        path = path[2:]
    return path[2:] if path.startswith("./") else path


class _Parser:
    def __init__(self, lines: list[str]) -> None:
        self.lines = lines
        self.i = 0

    def parse(self) -> Patch:
        patch = Patch()
        while self.i < len(self.lines):
            line = self.lines[self.i]
            if line.startswith("diff --git "):
                patch.files.append(self._git_section())
            elif line.startswith("--- ") and self._peek(1).startswith("+++ "):
                patch.files.append(self._plain_section())
            elif line.startswith("@@ "):
                raise PatchError(f"line {self.i + 1}: hunk header without a file header before it")
            else:
                self.i += 1
        return patch

    def _peek(self, offset: int) -> str:
        j = self.i + offset
        return self.lines[j] if j < len(self.lines) else ""

    def _git_section(self) -> FilePatch:
        header = self.lines[self.i]
        match = _GIT_HEADER_RE.match(header)
        old_path: str | None = None
        new_path: str | None = None
        if match:
            old_path, new_path = _strip_prefix(match[1]), _strip_prefix(match[2])
        self.i += 1
        added = deleted = binary = False
        rename_from = rename_to = None
        while self.i < len(self.lines):
            line = self.lines[self.i]
            if line.startswith(("diff --git ", "@@ ")) or line.startswith("--- "):
                break
            if line.startswith("new file mode"):
                added = True
            elif line.startswith("deleted file mode"):
                deleted = True
            elif line.startswith("rename from "):
                rename_from = line[len("rename from ") :]
            elif line.startswith("rename to "):
                rename_to = line[len("rename to ") :]
            elif line.startswith("Binary files ") or line.startswith("GIT binary patch"):
                binary = True
            self.i += 1
        if rename_from is not None and rename_to is not None:
            old_path, new_path = rename_from, rename_to
        hunks: tuple[Hunk, ...] = ()
        if self.i < len(self.lines) and self.lines[self.i].startswith("--- "):
            old_hdr = _strip_prefix(self.lines[self.i][4:])
            if not self._peek(1).startswith("+++ "):
                raise PatchError(f"line {self.i + 2}: expected '+++' after '---' in {header!r}")
            new_hdr = _strip_prefix(self.lines[self.i + 1][4:])
            self.i += 2
            old_path = None if added else (old_hdr or old_path)
            new_path = None if deleted else (new_hdr or new_path)
            hunks = tuple(self._hunks(new_path or old_path or "?"))
        if added:
            old_path = None
        if deleted:
            new_path = None
        if old_path is None and new_path is None:
            raise PatchError(f"line {self.i}: cannot tell which file {header!r} is about")
        return FilePatch(old_path, new_path, hunks, binary)

    def _plain_section(self) -> FilePatch:
        old_path = _strip_prefix(self.lines[self.i][4:])
        new_path = _strip_prefix(self.lines[self.i + 1][4:])
        self.i += 2
        hunks = tuple(self._hunks(new_path or old_path or "?"))
        if old_path is None and new_path is None:
            raise PatchError(f"line {self.i}: both sides of a file header are /dev/null")
        return FilePatch(old_path, new_path, hunks)

    def _hunks(self, path: str) -> Iterator[Hunk]:
        number = 0
        while self.i < len(self.lines) and self.lines[self.i].startswith("@@"):
            number += 1
            yield self._hunk(path, number)

    def _hunk(self, path: str, number: int) -> Hunk:
        header = self.lines[self.i]
        match = _HUNK_RE.match(header)
        if not match:
            raise PatchError(f"{path}: hunk {number}: malformed hunk header {header!r}")
        old_start, new_start = int(match[1]), int(match[3])
        old_count = int(match[2]) if match[2] is not None else 1
        new_count = int(match[4]) if match[4] is not None else 1
        self.i += 1
        body: list[str] = []
        old_left, new_left = old_count, new_count
        no_nl_old = no_nl_new = False
        while old_left > 0 or new_left > 0:
            if self.i >= len(self.lines):
                raise PatchError(f"{path}: hunk {number} ({header}): patch ends inside the hunk")
            line = self.lines[self.i] or " "  # some tools drop the space of empty context lines
            kind = line[0]
            if kind == " " and old_left and new_left:
                old_left, new_left = old_left - 1, new_left - 1
            elif kind == "-" and old_left:
                old_left -= 1
            elif kind == "+" and new_left:
                new_left -= 1
            elif kind == "\\":
                self.i += 1
                continue
            else:
                raise PatchError(
                    f"{path}: hunk {number} ({header}): line {self.i + 1} does not fit the hunk's "
                    f"line counts: {line[:60]!r}"
                )
            body.append(line)
            self.i += 1
            if self.i < len(self.lines) and self.lines[self.i].startswith("\\"):
                if kind == "-":
                    no_nl_old = True
                elif kind == "+":
                    no_nl_new = True
                else:
                    no_nl_old = no_nl_new = True
                self.i += 1
        return Hunk(old_start, old_count, new_start, new_count, tuple(body), no_nl_old, no_nl_new)
