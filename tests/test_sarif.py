"""SARIF output: valid against the official 2.1.0 schema, rule metadata, stable fingerprints."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from click.testing import CliRunner

from guard import api
from guard.cli import main
from guard.findings import Confidence, Finding, Severity
from guard.report import sarif
from guard.rulekit import discover
from tests.conftest import FIXTURES, ROOT, MakeRepo
from tests.test_github import finding, report_of

SCHEMA = ROOT / "tests" / "data" / "sarif" / "sarif-schema-2.1.0.json"


@cache
def validator() -> jsonschema.Draft7Validator:
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    return jsonschema.Draft7Validator(schema, format_checker=jsonschema.Draft7Validator.FORMAT_CHECKER)


def assert_valid(log: dict[str, Any]) -> None:
    errors = [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator().iter_errors(log)]
    assert not errors, errors


def first_cases() -> list[Path]:
    """The first hallucinated case of each fixture repo (sorted by name), and the quick-start patch."""
    picked = [FIXTURES / "example.patch"]
    for repo_dir in sorted((FIXTURES / "cases").iterdir()):
        for case in sorted(repo_dir.iterdir()):
            toml = case / "case.toml"
            if toml.is_file() and 'label = "hallucinated"' in toml.read_text(encoding="utf-8"):
                picked.append(case / "patch.diff")
                break
    return picked


def all_cases() -> list[Path]:
    return sorted((FIXTURES / "cases").glob("*/*/patch.diff"))


def fixture_repo(patch: Path) -> Path:
    return FIXTURES / "repos" / ("textkit" if patch.name == "example.patch" else patch.parent.parent.name)


def check_fixture(patch: Path) -> dict[str, Any]:
    report = api.check_patch(patch.read_text(encoding="utf-8"), fixture_repo(patch), execute=False)
    log = sarif.to_sarif(report, fixture_repo(patch))
    assert_valid(log)
    results = log["runs"][0]["results"]
    assert len(results) == len(report.findings)
    for result, scored in zip(results, report.findings, strict=True):
        region = result["locations"][0]["physicalLocation"]["region"]
        assert (result["ruleId"], region["startLine"]) == (scored.finding.rule, scored.finding.line)
    return log


@pytest.mark.parametrize("patch", first_cases(), ids=lambda p: p.parent.name if p.name == "patch.diff" else p.stem)
def test_fixture_output_validates_against_the_sarif_schema(patch: Path) -> None:
    log = check_fixture(patch)
    assert log["runs"][0]["results"], "a hallucinated case should produce results"


@pytest.mark.slow
@pytest.mark.parametrize("patch", all_cases(), ids=lambda p: f"{p.parent.parent.name}/{p.parent.name}")
def test_every_fixture_validates_against_the_sarif_schema(patch: Path) -> None:
    check_fixture(patch)


def test_the_validator_rejects_what_the_schema_forbids() -> None:
    log = sarif.to_sarif(report_of(finding(3)))
    log["runs"][0]["results"][0]["level"] = "fatal"
    with pytest.raises(AssertionError, match="fatal"):
        assert_valid(log)


def test_one_run_with_score_verdict_and_rule_metadata() -> None:
    rep = report_of(finding(3), finding(4, Severity.WARNING, rule="B006"))
    log = sarif.to_sarif(rep)
    assert_valid(log)
    assert log["version"] == "2.1.0" and len(log["runs"]) == 1
    run = log["runs"][0]
    assert run["properties"] == {"score": rep.score, "verdict": "fail", "threshold": 0.5, "files": ["pkg/mod.py"]}
    rules = run["tool"]["driver"]["rules"]
    ids = [r["id"] for r in rules]
    assert len(ids) == len(set(ids))
    for result in run["results"]:
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]
    by_id = {r["id"]: r for r in rules}
    assert by_id["B006"]["defaultConfiguration"]["level"] == "warning"
    assert by_id["F821"]["helpUri"] == "https://docs.astral.sh/ruff/rules/"


def test_guard_rules_are_documented_by_their_docstrings() -> None:
    rules = {r["id"]: r for r in sarif.to_sarif(report_of())["runs"][0]["tool"]["driver"]["rules"]}
    active, _ = discover()
    assert active, "guard ships rules"
    for rule in active:
        entry = rules[rule.ID]
        assert entry["help"]["text"] == rule.doc()
        assert entry["shortDescription"]["text"] == rule.MESSAGE
        assert entry["fullDescription"]["text"] in rule.doc().replace("\n", " ")
        assert entry["defaultConfiguration"]["level"] == sarif.LEVELS[rule.SEVERITY]
        assert entry["name"][0].isupper() and "-" not in entry["name"]


def test_locations_are_repo_relative_with_a_base_and_1_based_regions(tmp_path: Path) -> None:
    log = sarif.to_sarif(report_of(finding(7, end_line=7, end_column=12), finding(9, column=0)), tmp_path)
    assert_valid(log)
    first, second = (r["locations"][0]["physicalLocation"] for r in log["runs"][0]["results"])
    assert first["artifactLocation"] == {"uri": "pkg/mod.py", "uriBaseId": "%SRCROOT%"}
    assert first["region"] == {"startLine": 7, "startColumn": 5, "endLine": 7, "endColumn": 12}
    assert second["region"] == {"startLine": 9}  # column unknown: no column at all
    assert log["runs"][0]["originalUriBaseIds"]["%SRCROOT%"]["uri"] == tmp_path.resolve().as_uri() + "/"


def _fingerprint(*findings: Finding) -> list[str]:
    return sarif.fingerprints(findings)


def test_fingerprints_survive_moved_lines_but_tell_real_differences_apart() -> None:
    base = finding(10, symbol="load", message="Redefinition of unused `x` from line 3")
    moved = finding(14, symbol="load", message="Redefinition of unused `x` from line 7", column=9)
    assert _fingerprint(base) == _fingerprint(moved)
    assert _fingerprint(base) != _fingerprint(finding(10, symbol="save", message=base.message))
    assert _fingerprint(base) != _fingerprint(finding(10, symbol="load", message=base.message, rule="F811"))
    assert _fingerprint(base) != _fingerprint(finding(10, symbol="load", message="Undefined name `y`"))
    twins = _fingerprint(finding(20, symbol="load"), finding(12, symbol="load"))
    assert twins[0] != twins[1]
    assert twins[1].endswith(":0") and twins[0].endswith(":1")  # numbered in file order
    assert twins[0].split(":")[0] == twins[1].split(":")[0]


def test_fingerprints_are_unique_within_a_real_run(make_repo: MakeRepo) -> None:
    repo = make_repo({"pkg/mod.py": "def f():\n    return 1\n"})
    diff = (
        "--- a/pkg/mod.py\n+++ b/pkg/mod.py\n@@ -1,2 +1,3 @@\n def f():\n"
        "-    return 1\n+    a = missing(1)\n+    return missing(a)\n"
    )
    result = CliRunner().invoke(main, ["check", "-", "--repo", str(repo), "--format", "sarif"], input=diff)
    assert result.exit_code == 1
    log = json.loads(result.stdout)
    assert_valid(log)
    prints = [r["partialFingerprints"][sarif.FINGERPRINT_KEY] for r in log["runs"][0]["results"]]
    assert len(prints) == len(set(prints)) >= 2
    assert {(r["ruleId"], r["locations"][0]["physicalLocation"]["region"]["startLine"])
            for r in log["runs"][0]["results"]} >= {("F821", 2), ("F821", 3)}  # fmt: skip


def test_info_findings_are_notes_and_tool_errors_are_notifications() -> None:
    from guard.findings import ToolError

    rep = report_of(finding(2, Severity.INFO, confidence=Confidence.LOW))
    rep = type(rep)(**{**rep.__dict__, "tool_errors": (ToolError("mypy", "timed out"),)})
    log = sarif.to_sarif(rep)
    assert_valid(log)
    assert log["runs"][0]["results"][0]["level"] == "note"
    invocation = log["runs"][0]["invocations"][0]
    assert invocation["executionSuccessful"] is False
    assert invocation["toolExecutionNotifications"][0]["message"]["text"] == "timed out"
