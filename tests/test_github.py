"""GitHub workflow-command annotations and the job summary, from reports built by hand."""

from __future__ import annotations

from click.testing import CliRunner

from guard.api import Report
from guard.cli import main
from guard.findings import Confidence, Finding, Severity, ToolError
from guard.report import github
from guard.score import score
from tests.conftest import MakeRepo


def report_of(*findings: Finding, threshold: float = 0.5) -> Report:
    total, scored = score(findings)
    return Report(
        score=total, verdict="fail" if total >= threshold else "pass", threshold=threshold,
        findings=tuple(scored), files=("pkg/mod.py",), skipped=(), tool_errors=(), notes=(), timings={},
    )  # fmt: skip


def finding(line: int, severity: Severity = Severity.ERROR, rule: str = "F821", **kw: object) -> Finding:
    fields: dict[str, object] = {
        "path": "pkg/mod.py", "line": line, "column": 5, "rule": rule, "analyzer": "ruff",
        "message": f"problem on line {line}", "severity": severity, **kw,
    }  # fmt: skip
    return Finding(**fields)  # type: ignore[arg-type]


def test_data_and_properties_are_escaped_per_github_rules() -> None:
    f = finding(3, message="100% sure:\r\nnext, line", path="pkg/a,b:c%.py", rule="x:y")
    line = github.command(f)
    assert line == (
        "::error file=pkg/a%2Cb%3Ac%25.py,line=3,col=5,title=guard%3A x%3Ay (ruff)"
        "::100%25 sure:%0D%0Anext, line"
    )


def test_positions_include_the_end_when_known() -> None:
    assert github.command(finding(4, end_line=4, end_column=9)).startswith(
        "::error file=pkg/mod.py,line=4,endLine=4,col=5,endColumn=9,"
    )
    multi = github.command(finding(4, end_line=6, end_column=2))
    assert "endLine=6,col=5," in multi and "endColumn" not in multi  # endColumn only on one line
    assert github.command(finding(4, column=0)).startswith("::error file=pkg/mod.py,line=4,title=")


def test_levels_map_to_error_warning_notice() -> None:
    out = github.render(report_of(
        finding(1), finding(2, Severity.WARNING, confidence=Confidence.MEDIUM), finding(3, Severity.INFO)
    ))  # fmt: skip
    assert [line.split(" ", 1)[0] for line in out.splitlines()] == ["::error", "::warning", "::notice"]


def test_caps_keep_the_heaviest_of_each_level_and_count_the_rest() -> None:
    errors = [finding(n, confidence=Confidence.LOW if n > 5 else Confidence.HIGH) for n in range(1, 15)]
    warnings = [finding(100 + n, Severity.WARNING, rule="B006", confidence=Confidence.MEDIUM) for n in range(12)]
    shown = github.annotate(report_of(*errors, *warnings))
    levels = [line.split(" ", 1)[0] for line in shown.lines]
    assert levels.count("::error") == 10 and levels.count("::warning") == 10
    assert len(shown.left_out) == 4 + 2
    # High-confidence errors (lines 1-5) come first and all make it within the cap.
    assert [s.finding.line for s in shown.shown[:5]] == [1, 2, 3, 4, 5]
    assert {s.finding.line for s in shown.left_out if s.finding.severity == Severity.ERROR} <= set(range(6, 15))
    rendered = github.render(report_of(*errors, *warnings)).splitlines()
    assert rendered[-1].startswith("guard: 6 more finding(s) not annotated")


def test_no_findings_no_annotations() -> None:
    assert github.render(report_of()) == ""


def test_summary_links_lines_and_escapes_table_cells() -> None:
    rep = report_of(finding(7, message="a | b <T>\nnext"), finding(9, Severity.WARNING, rule="B006"))
    rep = Report(**{**rep.__dict__, "tool_errors": (ToolError("mypy", "timed out after 30 s"),)})
    md = github.summary(rep, "https://github.com/acme/demo/blob/abc123/", left_out=3)
    assert md.startswith("## guard: ❌ fail\n")
    assert f"**Score {rep.score:.2f}**" in md
    assert "[pkg/mod.py:7](https://github.com/acme/demo/blob/abc123/pkg/mod.py#L7)" in md
    assert "a \\| b &lt;T&gt;<br>next" in md
    assert "3 finding(s) are not annotated" in md
    assert "mypy could not run:** timed out after 30 s" in md
    rows = [line for line in md.splitlines() if line.startswith("| ")]
    assert rows[0].startswith("| severity |") and len(rows) == 3


def test_cli_format_github_prints_only_annotations(make_repo: MakeRepo) -> None:
    repo = make_repo({"pkg/mod.py": "def f():\n    return 1\n"})
    diff = "--- a/pkg/mod.py\n+++ b/pkg/mod.py\n@@ -1,2 +1,2 @@\n def f():\n-    return 1\n+    return missing_name\n"
    result = CliRunner().invoke(main, ["check", "-", "--repo", str(repo), "--format", "github"], input=diff)
    assert result.exit_code == 1
    lines = [line for line in result.stdout.splitlines() if line]
    assert lines and all(line.startswith("::") for line in lines)
    assert any(line.startswith("::error file=pkg/mod.py,line=2,") and "missing_name" in line for line in lines)
