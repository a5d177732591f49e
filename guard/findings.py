"""The one result type that flows through every stage of guard."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field


class Severity(enum.IntEnum):
    """How bad a finding is if true. Ordered, so ``max()`` and comparisons work."""

    INFO = 0
    WARNING = 1
    ERROR = 2

    @property
    def label(self) -> str:
        return self.name.lower()


class Confidence(enum.IntEnum):
    """How sure the analyzer is that the finding is true."""

    LOW = 0
    MEDIUM = 1
    HIGH = 2

    @property
    def label(self) -> str:
        return self.name.lower()


@dataclass(frozen=True, order=True)
class Finding:
    """One problem at one place. Immutable: stages create findings, never edit them.

    ``path`` is relative to the repo root with ``/`` separators; ``line`` and ``column``
    are 1-based positions in the *patched* file (``column`` 0 when unknown).
    ``evidence`` carries structured facts, e.g. a property failure's minimal input and
    the old and new results, as ``(key, value)`` pairs so the finding stays hashable.
    """

    path: str
    line: int
    column: int
    rule: str
    analyzer: str
    message: str
    severity: Severity = Severity.ERROR
    confidence: Confidence = Confidence.HIGH
    end_line: int | None = None
    end_column: int | None = None
    symbol: str = ""
    """Qualified name of the enclosing definition in the patched file ('' = module level)."""
    evidence: tuple[tuple[str, str], ...] = field(default=(), compare=False)

    def evidence_dict(self) -> dict[str, str]:
        return dict(self.evidence)


@dataclass(frozen=True)
class ToolError:
    """An analyzer that could not give an answer (missing, crashed, timed out)."""

    analyzer: str
    message: str


@dataclass(frozen=True)
class Note:
    """Something the user should know that is not a problem with the patch
    (e.g. a function that could not be property-tested, and why)."""

    analyzer: str
    message: str
    path: str = ""
    symbol: str = ""
