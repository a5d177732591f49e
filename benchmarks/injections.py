"""Realistic hallucinations injected into real release diffs: the interface the operators share.

A release diff (benchmarks/release_diffs.py) is a correct patch written by a package's
maintainers. An *operator* takes one such diff (a ``Target``: the old and new trees and the lines
the release added or changed) and returns an ``Injection``: one file of the new tree rewritten so
that the patch now also carries one hallucination of a class of DESIGN.md's table, at a line the
release changed, the way a model writing that change could have got it wrong. The injected diff is
the release diff with that file's text replaced (``injected_diff``).

Operators must find their hallucination in reality, never in a list of names: a module that does
not exist is one that neither the running environment, the stdlib nor either tree holds; an
attribute that does not exist is one the imported module (introspected in a subprocess, or the
repo module read with ``ast``) does not define; a keyword that does not exist is one the callee's
signature does not accept. An operator returns None when the target has no fitting site; it never
forces one. Choices (which file, which site, which variant) come from the ``random.Random`` it is
given, so a run is reproducible from its seed.

Operators register with ``@operator("class-slug")``; the slugs are the ``class`` values of
fixtures/cases/*/*/case.toml.
"""

from __future__ import annotations

import difflib
import itertools
import random
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from release_diffs import _python_files, fetch, release_diff

CLASSES = (
    "nonexistent-import", "nonexistent-attribute", "wrong-signature", "undefined-name",
    "elided-code", "removed-api", "swallowed-error", "weakened-tests", "silent-behaviour-change",
    "signature-drift", "wrong-return-type", "security-slip",
)  # fmt: skip


@dataclass(frozen=True)
class Target:
    """One release diff to inject into."""

    package: str
    old_version: str
    new_version: str
    old: Path  # the old release's tree: the repository guard checks the patch against
    new: Path  # the new release's tree (read-only: operators return text, never write)

    @property
    def key(self) -> str:
        return f"{self.package} {self.old_version} -> {self.new_version}"

    def text(self, rel: str) -> str:
        return (self.new / rel).read_text(encoding="utf-8", errors="replace")

    def old_text(self, rel: str) -> str | None:
        path = self.old / rel
        return path.read_text(encoding="utf-8", errors="replace") if path.is_file() else None

    @cached_property
    def changed(self) -> Mapping[str, frozenset[int]]:
        """Each ``.py`` file of the new tree the release added or changed -> the 1-based lines of
        the new file that the release added or changed (a new file: all its lines)."""
        out: dict[str, frozenset[int]] = {}
        for rel in sorted(p for p in _python_files(self.new) if p.endswith(".py")):
            after = _lines(self.text(rel))
            before_text = self.old_text(rel)
            if before_text is None:
                if after:
                    out[rel] = frozenset(range(1, len(after) + 1))
                continue
            before = _lines(before_text)
            if before == after:
                continue
            lines: set[int] = set()
            matcher = difflib.SequenceMatcher(None, before, after, autojunk=False)
            for tag, _i1, _i2, j1, j2 in matcher.get_opcodes():
                if tag in ("replace", "insert"):
                    lines.update(range(j1 + 1, j2 + 1))
            if lines:
                out[rel] = frozenset(lines)
        return out


@dataclass(frozen=True)
class Injection:
    """One hallucination: ``path``'s whole new text, and where the hallucination is in it."""

    cls: str  # a slug of CLASSES
    path: str  # relative to the new tree
    text: str  # the file's whole text with the hallucination
    line: int  # 1-based line of the hallucination in ``text``
    description: str  # what was injected, for the report ("os.path.joinpath for os.path.join")
    extra: Mapping[str, str] = field(default_factory=dict)  # other files rewritten (path -> text)

    def overrides(self) -> dict[str, str]:
        return {**self.extra, self.path: self.text}


def _lines(text: str) -> list[str]:
    """Lines as Python numbers them (``str.splitlines`` also splits on form feeds and the like)."""
    lines = re.split(r"\r\n|\r|\n", text)
    return lines[:-1] if lines and not lines[-1] else lines


Operator = Callable[[Target, random.Random], Injection | None]
OPERATORS: dict[str, list[Operator]] = {}


def operator(cls: str) -> Callable[[Operator], Operator]:
    if cls not in CLASSES:
        raise ValueError(f"unknown class {cls!r}")

    def register(fn: Operator) -> Operator:
        OPERATORS.setdefault(cls, []).append(fn)
        return fn

    return register


def injected_diff(target: Target, injection: Injection) -> tuple[str, int]:
    """The release diff with the injection's files rewritten, and its added lines (as
    ``release_diff``)."""
    return release_diff(target.old, target.new, injection.overrides())


def targets(releases: Mapping[str, list[str]]) -> Iterator[Target]:
    """One target per pair of consecutive versions of each package (sdists fetched with pip)."""
    for name, versions in releases.items():
        for old_v, new_v in itertools.pairwise(versions):
            yield Target(name, old_v, new_v, fetch(name, old_v), fetch(name, new_v))
