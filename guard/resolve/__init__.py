"""Resolve names against reality: the target Python's stdlib (typeshed), the repo, installed code.

Rules get the per-check :class:`Environment` with :func:`environment_for`; parsed modules are
cached per process, keyed by file and modification time, so a warm session reuses them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from guard.resolve.environment import (
    UNKNOWN,
    Environment,
    Func,
    Klass,
    Missing,
    Module,
    Resolved,
    Unknown,
    Value,
)

if TYPE_CHECKING:  # libcst comes with rulekit: imported by the rules stage, not before the tools start
    from guard.rulekit import Project

__all__ = [
    "UNKNOWN",
    "Environment",
    "Func",
    "Klass",
    "Missing",
    "Module",
    "Resolved",
    "Unknown",
    "Value",
    "environment_for",
]


def environment_for(project: Project) -> Environment:
    """The environment as the patched tree sees it, built once per check."""

    def build() -> Environment:
        overlay: dict[str, str | None] = dict(project.declarations)
        for path, changes in project.files.items():
            old = changes.file.old_path
            if old and old != path:
                overlay[old] = None
            overlay[path] = changes.after.text if changes.after is not None else None
        return Environment(project.repo, project.target_version, overlay)

    return project.memo("guard.resolve.environment", build)
