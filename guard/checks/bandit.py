"""bandit, in JSON mode; its severity and confidence map through one table."""

from __future__ import annotations

import json
import sys
import warnings

from guard.checks.base import ToolFailure, ToolRun, keep_paths, relative, run_tool
from guard.findings import Confidence, Finding, Severity

NAME = "bandit"

# bandit's LOW severity findings (e.g. "import subprocess", "assert used") describe code that is
# usually fine; they are kept as information and never move the score.
SEVERITY = {"LOW": Severity.INFO, "MEDIUM": Severity.WARNING, "HIGH": Severity.ERROR}
CONFIDENCE = {"LOW": Confidence.LOW, "MEDIUM": Confidence.MEDIUM, "HIGH": Confidence.HIGH}


def run(job: ToolRun) -> list[Finding]:
    if not job.paths:
        return []
    argv = [sys.executable, "-m", "bandit", "--format", "json", "--quiet", "--", *job.paths]
    out = run_tool(NAME, argv, job.root, job.budget_s, ok_codes={0, 1})
    try:
        data = json.loads(out)
    except json.JSONDecodeError as exc:
        raise ToolFailure(f"bandit printed something that is not JSON: {out[:200]!r}") from exc
    findings = []
    for item in data.get("results", []):
        findings.append(
            Finding(
                path=relative(job.root, item["filename"]),
                line=int(item["line_number"]),
                column=int(item.get("col_offset", 0)) + 1,
                end_line=(item.get("line_range") or [None])[-1],
                rule=item["test_id"],
                analyzer=NAME,
                message=item["issue_text"],
                severity=SEVERITY.get(item.get("issue_severity", ""), Severity.WARNING),
                confidence=CONFIDENCE.get(item.get("issue_confidence", ""), Confidence.MEDIUM),
            )
        )
    return keep_paths(findings, job.paths)


def run_in_process(job: ToolRun) -> list[Finding]:
    """The same, without a process: for warm sessions, where bandit's plugins stay loaded.

    Costs a few milliseconds per run once bandit is imported, against ~0.5 s per subprocess.
    """
    if not job.paths:
        return []
    with warnings.catch_warnings():  # stevedore's deprecation noise is not the user's business
        warnings.simplefilter("ignore")
        try:
            from bandit.core import config as b_config  # type: ignore[import-untyped]
            from bandit.core import manager as b_manager
        except ImportError as exc:
            raise ToolFailure(f"bandit is not installed ({exc})") from exc
        try:
            manager = b_manager.BanditManager(b_config.BanditConfig(), "file", quiet=True)
            manager.discover_files([str(job.root / p) for p in job.paths], recursive=False)
            manager.run_tests()
            issues = manager.get_issue_list()
        except Exception as exc:  # bandit's own failure is a tool error, not guard's crash
            raise ToolFailure(f"bandit failed: {type(exc).__name__}: {exc}") from exc
    findings = [
        Finding(
            path=relative(job.root, issue.fname),
            line=int(issue.lineno),
            column=int(issue.col_offset or 0) + 1,
            end_line=(issue.linerange or [None])[-1],
            rule=issue.test_id,
            analyzer=NAME,
            message=issue.text,
            severity=SEVERITY.get(str(issue.severity), Severity.WARNING),
            confidence=CONFIDENCE.get(str(issue.confidence), Confidence.MEDIUM),
        )
        for issue in issues
    ]
    return keep_paths(findings, job.paths)
