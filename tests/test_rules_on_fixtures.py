"""The patch-reading rules on every fixture case: each fires on its hallucination at the expected
line, and none fires on a clean case."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from guard.api import check_patch

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
OURS = frozenset(
    {"elided-code", "test-tampering", "swallowed-error", "special-cased-literal", "shell-injection",
     "hardcoded-secret"}
)  # fmt: skip
CASES = sorted(p.parent for p in FIXTURES.glob("cases/*/*/case.toml"))


def fired(case: Path) -> set[tuple[str, str, int]]:
    diff = (case / "patch.diff").read_text(encoding="utf-8")
    report = check_patch(diff, FIXTURES / "repos" / case.parent.name, analyzers=frozenset({"rules"}))
    return {(s.finding.rule, s.finding.path, s.finding.line) for s in report.findings if s.finding.rule in OURS}


def _id(case: Path) -> str:
    return f"{case.parent.name}/{case.name}"


@pytest.mark.parametrize("case", CASES, ids=_id)
def test_case(case: Path) -> None:
    meta = tomllib.loads((case / "case.toml").read_text(encoding="utf-8"))
    found = fired(case)
    if meta["label"] == "clean":
        assert found == set(), f"our rules fired on a clean case: {sorted(found)}"
        return
    for expect in meta.get("expect", []):
        ids = OURS & set(expect["rules"])
        if ids:
            hits = {(r, p, ln) for r, p, ln in found if r in ids and p == expect["path"]}
            assert any(ln == expect["line"] for _, _, ln in hits), (
                f"{sorted(ids)} should fire at {expect['path']}:{expect['line']}; fired: {sorted(found)}"
            )
