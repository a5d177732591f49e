"""The patch-reading rules on every fixture case: each fires on its hallucination at the expected
line, and none fires on a clean case.

Where a case also names a bandit test (``B602``), bandit runs too and either suffices:
shell-injection and hardcoded-secret deliberately leave to bandit what it already reports well."""

from __future__ import annotations

from pathlib import Path

import pytest
import tomllib

from guard.api import check_patch
from guard.rulekit import discover

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
OURS = frozenset(
    {"elided-code", "test-tampering", "swallowed-error", "special-cased-literal", "shell-injection",
     "hardcoded-secret"}
)  # fmt: skip
OTHERS = frozenset(rule.ID for rule in discover()[0]) - OURS  # not under test here: keeps it fast
CASES = sorted(p.parent for p in FIXTURES.glob("cases/*/*/case.toml"))


def fired(case: Path, with_bandit: bool = False) -> set[tuple[str, str, int]]:
    diff = (case / "patch.diff").read_text(encoding="utf-8")
    analyzers = frozenset({"rules", "bandit"} if with_bandit else {"rules"})
    repo = FIXTURES / "repos" / case.parent.name
    report = check_patch(diff, repo, analyzers=analyzers, disable=OTHERS)
    keep = OURS | ({s.finding.rule for s in report.findings if s.finding.analyzer == "bandit"})
    return {(s.finding.rule, s.finding.path, s.finding.line) for s in report.findings if s.finding.rule in keep}


def _id(case: Path) -> str:
    return f"{case.parent.name}/{case.name}"


@pytest.mark.parametrize("case", CASES, ids=_id)
def test_case(case: Path) -> None:
    meta = tomllib.loads((case / "case.toml").read_text(encoding="utf-8"))
    expects = [e for e in meta.get("expect", []) if OURS & set(e["rules"])]
    bandit = any(r[:1] == "B" and r[1:].isdigit() for e in expects for r in e["rules"])
    found = fired(case, with_bandit=bandit)
    if meta["label"] == "clean":
        assert not {f for f in found if f[0] in OURS}, f"our rules fired on a clean case: {sorted(found)}"
        return
    for expect in expects:
        ids = (OURS | {r for r in expect["rules"] if r[:1] == "B"}) & set(expect["rules"])
        if ids:
            hits = {(r, p, ln) for r, p, ln in found if r in ids and p == expect["path"]}
            assert any(ln == expect["line"] for _, _, ln in hits), (
                f"{sorted(ids)} should fire at {expect['path']}:{expect['line']}; fired: {sorted(found)}"
            )
