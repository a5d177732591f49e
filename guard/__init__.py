"""guard: a fast static-analysis safety net for model-generated Python patches.

    >>> import guard
    >>> report = guard.check_patch(diff_text, repo="path/to/repo")
    >>> report.verdict, report.score

Importing guard has no side effects and loads nothing heavy; the API is loaded on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"
__all__ = ["Finding", "Report", "Session", "check_patch", "check_repo"]

if TYPE_CHECKING:
    from guard.api import Report, Session, check_patch, check_repo
    from guard.findings import Finding


def __getattr__(name: str) -> Any:
    if name in {"Report", "Session", "check_patch", "check_repo"}:
        from guard import api

        return getattr(api, name)
    if name == "Finding":
        from guard.findings import Finding

        return Finding
    raise AttributeError(f"module 'guard' has no attribute {name!r}")
