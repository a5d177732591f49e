"""Human-readable report: the verdict first, then findings grouped by file."""

from __future__ import annotations

from itertools import groupby

import click

from guard.api import Report
from guard.findings import Severity

_COLOURS = {Severity.ERROR: "red", Severity.WARNING: "yellow", Severity.INFO: "blue"}


def headline(report: Report) -> str:
    counted = [s for s in report.findings if s.weight > 0]
    if report.failed:
        top = counted[0].finding if counted else None
        where = f": {top.rule} at {top.path}:{top.line}" if top else ""
        more = f" and {len(counted) - 1} more" if len(counted) > 1 else ""
        return f"FAIL  likely hallucinated ({report.score:.2f}){where}{more}"
    if counted:
        return f"PASS  plausible ({report.score:.2f}), {len(counted)} minor finding(s) below threshold {report.threshold:g}"
    return f"PASS  nothing suspicious ({report.score:.2f}) in {len(report.files)} file(s)"


def reasons(report: Report, top: int = 3) -> str:
    """The findings that weigh most in the score, heaviest first: ``why: rule 0.90 (path:line), ...``."""
    counted = [s for s in report.findings if s.weight > 0][:top]
    if not counted:
        return ""
    parts = [f"{s.finding.rule} {s.weight:.2f} ({s.finding.path}:{s.finding.line})" for s in counted]
    return "why: " + ", ".join(parts)


def render(report: Report, colour: bool = False, verbose: bool = False) -> str:
    """The report as text; findings that do not count (weight 0) only with ``verbose``."""
    def style(text: str, **kw: object) -> str:
        return click.style(text, **kw) if colour else text  # type: ignore[arg-type]

    lines = [style(headline(report), fg="red" if report.failed else "green", bold=True)]
    if why := reasons(report):
        lines.append(why)
    shown = [s for s in report.findings if verbose or s.weight > 0]
    ordered = sorted(shown, key=lambda s: (s.finding.path, s.finding.line, s.finding.column))
    for path, group in groupby(ordered, key=lambda s: s.finding.path):
        lines.append("")
        lines.append(style(path, bold=True))
        for s in group:
            f = s.finding
            sev = style(f"{f.severity.label:<7}", fg=_COLOURS[f.severity])
            lines.append(f"  {f.line}:{f.column:<4} {sev} {f.rule:<24} {f.message}  [{f.analyzer}, {s.weight:.2f}]")
            for key, value in f.evidence:
                lines.append(f"        {key}: {value}")
    hidden = len(report.findings) - len(shown)
    if hidden:
        lines.append("")
        lines.append(f"{hidden} informational finding(s) that do not count are hidden (--verbose shows them)")
    if report.skipped:
        lines.append("")
        lines.append("skipped: " + ", ".join(f"{p} ({r})" for p, r in report.skipped))
    for note in report.notes:
        lines.append(f"note: {note.analyzer}: {note.message}")
    for err in report.tool_errors:
        lines.append(style(f"tool error: {err.analyzer}: {err.message}", fg="magenta"))
    timing = report.timings.get("total_s")
    if timing is not None:
        lines.append(f"checked {len(report.files)} file(s) in {timing:.2f} s")
    return "\n".join(lines)
