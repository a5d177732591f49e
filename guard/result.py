"""The result of a check: the score, the verdict, the findings with their weights."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from guard.findings import Note, ToolError
from guard.score import Scored

JSON_VERSION = 1


@dataclass(frozen=True)
class Report:
    score: float
    verdict: Literal["pass", "fail"]
    threshold: float
    findings: tuple[Scored, ...]
    """Every finding the patch introduced with its weight in the score, heaviest first."""
    files: tuple[str, ...]
    """Python files the patch touches (repo-relative), whether or not anything was found."""
    skipped: tuple[tuple[str, str], ...]
    tool_errors: tuple[ToolError, ...]
    notes: tuple[Note, ...]
    timings: dict[str, float]

    @property
    def failed(self) -> bool:
        return self.verdict == "fail"

    def to_json(self) -> dict[str, Any]:
        """The stable JSON contract of DESIGN.md; keys may be added, never renamed or removed."""
        return {
            "version": JSON_VERSION,
            "score": self.score,
            "verdict": self.verdict,
            "threshold": self.threshold,
            "findings": [_finding_json(s) for s in self.findings],
            "files": list(self.files),
            "timings": self.timings,
            "skipped": [{"path": p, "reason": r} for p, r in self.skipped],
            "tool_errors": [{"analyzer": e.analyzer, "message": e.message} for e in self.tool_errors],
            "notes": [
                {"analyzer": n.analyzer, "message": n.message, "path": n.path, "symbol": n.symbol}
                for n in self.notes
            ],
        }


def _finding_json(s: Scored) -> dict[str, Any]:
    f = s.finding
    data: dict[str, Any] = {
        "rule": f.rule,
        "analyzer": f.analyzer,
        "path": f.path,
        "line": f.line,
        "column": f.column,
        "severity": f.severity.label,
        "message": f.message,
        "weight": s.weight,
        "confidence": f.confidence.label,
        "end_line": f.end_line,
        "end_column": f.end_column,
        "symbol": f.symbol,
    }
    if f.evidence:
        data["evidence"] = f.evidence_dict()
    return data
