"""Keep only what the patch introduced.

Findings of the patched tree are matched against those of the original tree on rule, message
and enclosing definition — never on line numbers, which move. A finding with no counterpart before
the patch is new; counts matter (a second copy of an old problem is new).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping

from guard.findings import Finding

_LINE_REFERENCE = re.compile(r"\b(line|column) \d+")


def _message(finding: Finding) -> str:
    """The message without references to line numbers (``defined on line 12``)."""
    return _LINE_REFERENCE.sub(r"\1 N", finding.message)


def new_only(
    after: Iterable[Finding],
    before: Iterable[Finding],
    changed: Mapping[str, frozenset[int]],
    renamed: Mapping[str, str] | None = None,
) -> list[Finding]:
    """Findings of ``after`` that ``before`` does not explain.

    ``changed`` maps a path to its changed lines; ``renamed`` maps old paths to new ones.
    Findings on unchanged lines are matched first, so that when a patch repeats an old problem the
    copy on the changed line is the one reported.
    """
    renamed = renamed or {}
    exact: Counter[tuple[str, str, str, str]] = Counter()
    loose: Counter[tuple[str, str, str]] = Counter()
    for f in before:
        path = renamed.get(f.path, f.path)
        exact[(path, f.rule, _message(f), f.symbol)] += 1
        loose[(path, f.rule, _message(f))] += 1

    def on_changed(f: Finding) -> bool:
        return f.line in changed.get(f.path, frozenset())

    kept: list[Finding] = []
    for f in sorted(after, key=lambda f: (on_changed(f), f.path, f.line, f.column, f.rule)):
        key = (f.path, f.rule, _message(f), f.symbol)
        if exact[key] > 0:
            exact[key] -= 1
            loose[key[:3]] -= 1
        elif not on_changed(f) and loose[key[:3]] > 0:
            # Same problem, enclosing definition renamed or moved by the patch: not new.
            loose[key[:3]] -= 1
        else:
            kept.append(f)
    return sorted(kept)
