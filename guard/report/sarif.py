"""SARIF 2.1.0: one run, rule metadata, results with stable fingerprints (for code scanning).

Fingerprints never contain line numbers: they hash the rule, the path, the enclosing definition and
the message with its numbers blanked, plus the occurrence index among equal hashes. So a finding
keeps its identity when unrelated edits move it, and code scanning does not reopen it as new.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from guard import __version__
from guard.api import Report
from guard.findings import Finding, Severity

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
SRCROOT = "%SRCROOT%"
FINGERPRINT_KEY = "guardFinding/v1"

LEVELS = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}

_TOOL_HELP = {
    "ruff": "https://docs.astral.sh/ruff/rules/",
    "mypy": "https://mypy.readthedocs.io/en/stable/error_code_list.html",
    "bandit": "https://bandit.readthedocs.io/en/latest/plugins/index.html",
}


def render(report: Report, root: Path | None = None) -> str:
    return json.dumps(to_sarif(report, root), indent=2)


def to_sarif(report: Report, root: Path | None = None) -> dict[str, Any]:
    """The report as a SARIF log; ``root`` (the repo) fills ``originalUriBaseIds``."""
    findings = [s.finding for s in report.findings]
    rules = _rules(findings)
    index = {r["id"]: i for i, r in enumerate(rules)}
    prints = fingerprints(findings)
    run: dict[str, Any] = {
        "tool": {"driver": _driver(rules)},
        "invocations": [_invocation(report)],
        "results": [
            _result(s.finding, s.weight, index[s.finding.rule], fp)
            for s, fp in zip(report.findings, prints, strict=True)
        ],
        "columnKind": "unicodeCodePoints",
        "properties": {
            "score": report.score,
            "verdict": report.verdict,
            "threshold": report.threshold,
            "files": list(report.files),
        },
    }
    if root is not None:
        run["originalUriBaseIds"] = {SRCROOT: {"uri": root.resolve().as_uri() + "/"}}
    return {"$schema": SCHEMA, "version": "2.1.0", "runs": [run]}


def _driver(rules: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "name": "guard",
        "version": __version__,
        "semanticVersion": __version__,
        "rules": rules,
    }


def _invocation(report: Report) -> dict[str, Any]:
    notes = [
        {"level": "error", "message": {"text": e.message}, "descriptor": {"id": e.analyzer}}
        for e in report.tool_errors
    ] + [
        {"level": "note", "message": {"text": n.message}, "descriptor": {"id": n.analyzer}}
        for n in report.notes
    ]
    return {"executionSuccessful": not report.tool_errors, "toolExecutionNotifications": notes}


def _result(f: Finding, weight: float, rule_index: int, fingerprint: str) -> dict[str, Any]:
    props: dict[str, Any] = {
        "analyzer": f.analyzer,
        "confidence": f.confidence.label,
        "weight": weight,
    }
    if f.symbol:
        props["symbol"] = f.symbol
    if f.evidence:
        props["evidence"] = f.evidence_dict()
    return {
        "ruleId": f.rule,
        "ruleIndex": rule_index,
        "level": LEVELS[f.severity],
        "rank": round(weight * 100, 1),
        "message": {"text": f.message},
        "locations": [{"physicalLocation": _location(f)}],
        "partialFingerprints": {FINGERPRINT_KEY: fingerprint},
        "properties": props,
    }


def _location(f: Finding) -> dict[str, Any]:
    region: dict[str, int] = {"startLine": max(f.line, 1)}
    if f.column > 0:
        region["startColumn"] = f.column
    if f.end_line is not None and f.end_line >= region["startLine"]:
        region["endLine"] = f.end_line
        same_line = f.end_line == region["startLine"]
        if f.end_column is not None and (not same_line or f.end_column > f.column):
            region["endColumn"] = f.end_column
    return {"artifactLocation": {"uri": f.path, "uriBaseId": SRCROOT}, "region": region}


def _normalised(message: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"\d+", "#", message)).strip()


def fingerprints(findings: Iterable[Finding]) -> list[str]:
    """One stable fingerprint per finding: a hash of what it is and where by name, not by line."""
    findings = list(findings)
    keys = [
        hashlib.sha256(
            "\0".join((f.rule, f.path, f.symbol, _normalised(f.message))).encode()
        ).hexdigest()[:32]
        for f in findings
    ]
    # Equal keys are numbered in file order, so the n-th copy keeps its number across runs.
    order = sorted(range(len(findings)), key=lambda i: (findings[i].line, findings[i].column))
    seen: Counter[str] = Counter()
    out = [""] * len(findings)
    for i in order:
        out[i] = f"{keys[i]}:{seen[keys[i]]}"
        seen[keys[i]] += 1
    return out


def _rules(findings: list[Finding]) -> list[dict[str, Any]]:
    """guard's own rules (documented by their docstrings), then every tool rule id seen."""
    from guard.rulekit import discover

    active, _ = discover()
    rules = [_guard_rule(r.ID, r.doc(), r.MESSAGE, r.SEVERITY) for r in active]
    known = {r["id"] for r in rules}
    for f in findings:
        if f.rule not in known:
            known.add(f.rule)
            rules.append(_tool_rule(f))
    return rules


def _name(rule_id: str) -> str:
    return "".join(part[:1].upper() + part[1:] for part in re.split(r"[-_\s]+", rule_id))


def _guard_rule(rule_id: str, doc: str, message: str, severity: Severity) -> dict[str, Any]:
    first = doc.split("\n\n", 1)[0].replace("\n", " ").strip()
    return {
        "id": rule_id,
        "name": _name(rule_id),
        "shortDescription": {"text": message or first},
        "fullDescription": {"text": first},
        "help": {"text": doc, "markdown": doc},
        "defaultConfiguration": {"level": LEVELS[severity]},
        "properties": {"tags": ["guard"]},
    }


def _tool_rule(f: Finding) -> dict[str, Any]:
    where = _TOOL_HELP.get(f.analyzer)
    text = f"{f.analyzer} {f.rule}, run by guard on the lines the patch changed."
    rule: dict[str, Any] = {
        "id": f.rule,
        "name": _name(f.rule),
        "shortDescription": {"text": f"{f.analyzer} {f.rule}"},
        "fullDescription": {"text": text},
        "help": {"text": f"{text} See {where}." if where else text},
        "defaultConfiguration": {"level": LEVELS[f.severity]},
        "properties": {"tags": [f.analyzer, *(["security"] if f.analyzer == "bandit" else [])]},
    }
    if where:
        rule["helpUri"] = where
    return rule
