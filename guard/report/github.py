"""GitHub workflow-command annotations (``::error file=...,line=...::message``), most important first.

GitHub shows at most 10 error, 10 warning and 10 notice annotations per step and drops the rest
silently, so guard emits the heaviest findings within those caps and says how many it left out.
"""

from __future__ import annotations

import html
from dataclasses import dataclass

from guard.api import Report
from guard.findings import Finding, Severity
from guard.score import Scored

CAP_PER_LEVEL = 10
"""Annotations of one level GitHub shows per step (errors, warnings and notices each)."""

COMMANDS = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "notice"}


def escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def command(f: Finding, prefix: str = "") -> str:
    """One annotation; ``prefix`` is the repo's path inside the workspace ('' at its root)."""
    props = [("file", prefix + f.path), ("line", str(max(f.line, 1)))]
    if f.end_line is not None and f.end_line >= f.line:
        props.append(("endLine", str(f.end_line)))
    if f.column > 0:
        props.append(("col", str(f.column)))
        same_line = f.end_line is None or f.end_line == f.line
        if f.end_column is not None and same_line and f.end_column > f.column:
            props.append(("endColumn", str(f.end_column)))
    props.append(("title", f"guard: {f.rule} ({f.analyzer})"))
    head = ",".join(f"{k}={escape_property(v)}" for k, v in props)
    return f"::{COMMANDS[f.severity]} {head}::{escape_data(f.message)}"


@dataclass(frozen=True)
class Annotations:
    lines: tuple[str, ...]
    shown: tuple[Scored, ...]
    left_out: tuple[Scored, ...]
    """Findings beyond GitHub's per-step caps (listed in the job summary instead)."""


def annotate(report: Report, prefix: str = "") -> Annotations:
    """The findings as commands, heaviest first (errors before warnings at equal weight)."""
    ordered = sorted(report.findings, key=lambda s: (-s.weight, -s.finding.severity))
    used = dict.fromkeys(COMMANDS.values(), 0)
    shown: list[Scored] = []
    left_out: list[Scored] = []
    for s in ordered:
        level = COMMANDS[s.finding.severity]
        if used[level] < CAP_PER_LEVEL:
            used[level] += 1
            shown.append(s)
        else:
            left_out.append(s)
    return Annotations(tuple(command(s.finding, prefix) for s in shown), tuple(shown), tuple(left_out))


def overflow_line(count: int) -> str:
    return (
        f"guard: {count} more finding(s) not annotated: GitHub shows at most {CAP_PER_LEVEL} "
        "errors, warnings and notices per step (all are in the report and the job summary)"
    )


def render(report: Report, prefix: str = "") -> str:
    out = annotate(report, prefix)
    lines = list(out.lines)
    if out.left_out:
        lines.append(overflow_line(len(out.left_out)))
    return "\n".join(lines)


SUMMARY_ROWS = 200
"""Findings listed in the job summary table; GitHub caps a step summary at 1 MiB."""

_ICONS = {Severity.ERROR: "🔴 error", Severity.WARNING: "🟡 warning", Severity.INFO: "🔵 info"}


def _cell(text: str) -> str:
    return html.escape(text, quote=False).replace("|", "\\|").replace("\r", "").replace("\n", "<br>")


def summary(report: Report, blob_url: str = "", left_out: int = 0, prefix: str = "") -> str:
    """The job summary: verdict, score, a table of findings linking to their lines.

    ``blob_url`` is ``https://github.com/OWNER/REPO/blob/SHA/`` (no links when empty).
    """
    verdict = "❌ fail" if report.failed else "✅ pass"
    lines = [
        f"## guard: {verdict}",
        "",
        f"**Score {report.score:.2f}** (the patch fails at {report.threshold:g} or more) · "
        f"{len(report.findings)} finding(s) in {len(report.files)} file(s)",
        "",
    ]
    if report.findings:
        lines += ["| severity | rule | where | message | weight |", "|---|---|---|---|---|"]
        for s in report.findings[:SUMMARY_ROWS]:
            f = s.finding
            where = f"{prefix}{f.path}:{f.line}"
            link = f"[{_cell(where)}]({blob_url}{prefix}{f.path}#L{f.line})" if blob_url else _cell(where)
            lines.append(
                f"| {_ICONS[f.severity]} | `{f.rule}` ({f.analyzer}) | {link} | {_cell(f.message)} | {s.weight:.2f} |"
            )
        if len(report.findings) > SUMMARY_ROWS:
            lines.append(f"\n…and {len(report.findings) - SUMMARY_ROWS} more (see the SARIF or JSON report).")
    if left_out:
        lines += ["", f"> [!NOTE]\n> {left_out} finding(s) are not annotated on the diff: GitHub shows at "
                  f"most {CAP_PER_LEVEL} errors, {CAP_PER_LEVEL} warnings and {CAP_PER_LEVEL} notices per step. "
                  "All are in the table above."]  # fmt: skip
    for err in report.tool_errors:
        lines += ["", f"⚠️ **{_cell(err.analyzer)} could not run:** {_cell(err.message)}"]
    return "\n".join(lines) + "\n"
