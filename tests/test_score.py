"""The score model: the shipped data file, determinism, monotonicity, and rules it never saw."""

from __future__ import annotations

import itertools
import json
import math
from importlib import resources

import pytest

from guard.diff import parse_patch
from guard.findings import Confidence, Finding, Severity
from guard.score import (
    PRIOR_WEIGHTS,
    Model,
    PatchFacts,
    class_feature,
    load_model,
    model_from_json,
    score,
    weight,
)

E, W = Severity.ERROR, Severity.WARNING
H, M, L = Confidence.HIGH, Confidence.MEDIUM, Confidence.LOW


def finding(
    rule: str = "F821", line: int = 3, sev: Severity = E, conf: Confidence = H, **kw: str
) -> Finding:
    return Finding(path=kw.get("path", "pkg/m.py"), line=line, column=1, rule=rule,
                   analyzer=kw.get("analyzer", "ruff"), message=f"{rule} on {line}", severity=sev,
                   confidence=conf)  # fmt: skip


def test_the_shipped_model_loads_with_a_finite_coefficient_for_every_class() -> None:
    data = json.loads(resources.files("guard").joinpath("data/score_model.json").read_text())
    assert data["format"] == 1 and 0 <= data["leak"] < 1
    model = load_model()
    for sev, conf in PRIOR_WEIGHTS:
        assert math.isfinite(model.coef[class_feature(sev, conf)])
    assert all(math.isfinite(v) for v in model.coef.values())
    assert any(k.startswith("rule:") for k in model.coef)


def test_no_findings_score_zero_and_info_or_tool_errors_never_count() -> None:
    assert score([]) == (0.0, [])
    total, scored = score(
        [finding("B101", sev=Severity.INFO), finding("tool-error", analyzer="mypy")]
    )
    assert total == 0.0 and [s.weight for s in scored] == [0.0, 0.0]


def test_the_same_findings_in_any_order_get_the_same_score() -> None:
    fs = [finding("F821", 3), finding("attr-defined", 3, analyzer="mypy"), finding("B307", 9, W, M)]
    results = {repr(score(p, PatchFacts(touches_tests=True))) for p in itertools.permutations(fs)}
    assert len(results) == 1


def test_weights_are_heaviest_first_and_combine_as_independent_evidence() -> None:
    total, scored = score([finding("F841", 1, W, L), finding("F821", 5)])
    assert scored[0].weight >= scored[1].weight > 0
    assert total == pytest.approx(1 - (1 - scored[0].weight) * (1 - scored[1].weight), abs=1e-3)


@pytest.mark.parametrize(
    "extra", [finding("F841", 9, W, L), finding("never-seen", 8, W, M), finding("F821", 7)]
)
def test_another_counting_finding_never_lowers_the_score(extra: Finding) -> None:
    base = [finding("attr-defined", 3, W, M, analyzer="mypy")]
    assert score([*base, extra])[0] >= score(base)[0]


@pytest.mark.parametrize("sev", [E, W])
def test_for_an_unseen_rule_higher_confidence_weighs_more(sev: Severity) -> None:
    w = [weight(finding("never-seen-rule", sev=sev, conf=c)) for c in (L, M, H)]
    assert w == sorted(w) and w[-1] > w[0]


def test_an_unseen_rule_counts_by_its_class_and_a_confident_error_fails() -> None:
    model = load_model()
    alone = weight(finding("never-seen-rule", sev=E, conf=H))
    assert alone == pytest.approx(1 / (1 + math.exp(-model.coef["class:error/high"])), abs=1e-3)
    assert alone >= 0.5


def test_coefficients_missing_from_the_file_fall_back_to_the_prior_table() -> None:
    model = model_from_json({"format": 1, "coef": {}})
    total, _ = score([finding("whatever", sev=W, conf=M)], model=model)
    assert total == pytest.approx(PRIOR_WEIGHTS[(W, M)], abs=1e-3)


def test_a_rule_coefficient_moves_only_that_rule() -> None:
    model = Model(coef={**model_from_json({"coef": {}}).coef, "rule:F821": -3.0})
    assert score([finding("F821")], model=model)[0] < score([finding("other")], model=model)[0]


def test_a_behaviour_change_weighs_less_when_the_patch_also_changes_tests() -> None:
    change = finding("behaviour-change", sev=W, conf=H, analyzer="properties")
    assert weight(change, PatchFacts(touches_tests=True)) < weight(change, PatchFacts())


def test_patch_facts_from_a_diff() -> None:
    diff = (
        "--- a/pkg/m.py\n+++ b/pkg/m.py\n@@ -1,1 +1,2 @@\n x = 1\n+y = 2\n"
        "--- a/tests/test_m.py\n+++ b/tests/test_m.py\n@@ -1,1 +1,3 @@\n a = 1\n+b = 2\n+c = 3\n"
        "--- a/README.md\n+++ b/README.md\n@@ -1,1 +1,2 @@\n hi\n+there\n"
    )  # fmt: skip
    assert PatchFacts.from_patch(parse_patch(diff)) == PatchFacts(
        touches_tests=True, only_tests=False, changed_lines=3, test_names=("a", "b", "c")
    )
    tests_only = diff.split("--- a/tests")[1].split("--- a/README")[0]
    assert PatchFacts.from_patch(parse_patch("--- a/tests" + tests_only)).only_tests


def test_the_text_report_opens_with_the_verdict_and_the_heaviest_findings() -> None:
    from guard.api import Report
    from guard.report.text import render

    total, scored = score(
        [
            finding("F821", 3),
            finding("attr-defined", 7, analyzer="mypy"),
            finding("B101", 9, Severity.INFO),
        ]
    )
    report = Report(score=total, verdict="fail", threshold=0.5, findings=tuple(scored), files=("pkg/m.py",),
                    skipped=(), tool_errors=(), notes=(), timings={})  # fmt: skip
    first, second = render(report).splitlines()[:2]
    top = scored[0]
    assert (
        first
        == f"FAIL  likely hallucinated ({total:.2f}): {top.finding.rule} at pkg/m.py:{top.finding.line} and 1 more"
    )
    assert second.startswith(
        f"why: {top.finding.rule} {top.weight:.2f} (pkg/m.py:{top.finding.line}), "
    )
    assert "B101" not in second


def noisy(count: int | None) -> Finding:
    note = (
        "mypy already reports errors" if count is None else f"mypy already reports {count} error(s)"
    )
    return Finding("pkg/m.py", 3, 1, "attr-defined", "mypy", '"X" has no attribute "y"', E, M,
                   evidence=(("mypy-noise", note),))  # fmt: skip


def test_noise_discounts_by_how_much_the_tool_already_disputed_the_file() -> None:
    clean = weight(finding("attr-defined", sev=E, conf=M, analyzer="mypy"))
    one, some, many, unknown = (weight(noisy(n)) for n in (1, 5, 200, None))
    assert clean > one > some > many == unknown
    # One old complaint (a stub-version artifact, say) leaves a new attr-defined error failing on
    # its own; a file the tool fully disputes does not.
    assert one >= 0.5 > many
