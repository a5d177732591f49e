"""The same patch always gets the same score: each fixture case checked three times, cold."""

from __future__ import annotations

from pathlib import Path

import pytest

from guard.api import check_patch
from tests.conftest import FIXTURES

CASES = sorted(p.parent for p in (FIXTURES / "cases").glob("*/*/patch.diff"))
# One hallucinated and one clean case, checked by the fast analyzers (the full run is slow).
SAMPLE = ["textkit/refactor-truncate-early-return", "cachelib/freeze-dataclasses-clean"]


def _outcomes(case: Path, **options: object) -> set[str]:
    diff = (case / "patch.diff").read_text()
    repo = FIXTURES / "repos" / case.parent.name
    return {
        repr(
            (
                r.score,
                r.verdict,
                [(s.finding.rule, s.finding.path, s.finding.line, s.weight) for s in r.findings],
            )
        )
        for r in (check_patch(diff, repo, **options) for _ in range(3))
    }


@pytest.mark.parametrize("name", SAMPLE)
def test_a_sample_of_fixtures_scores_the_same_three_times(name: str) -> None:
    assert len(_outcomes(FIXTURES / "cases" / name, analyzers=frozenset({"ruff", "rules"}))) == 1


@pytest.mark.slow
@pytest.mark.parametrize("case", CASES, ids=[f"{c.parent.name}/{c.name}" for c in CASES])
def test_every_fixture_scores_the_same_three_times(case: Path) -> None:
    assert len(_outcomes(case)) == 1
