"""runtime:tests-name-subject: a runtime finding about a function the patch's edited tests refer to."""

from __future__ import annotations

import sys
from dataclasses import asdict
from pathlib import Path

from guard.diff import parse_patch
from guard.findings import Confidence, Finding, Severity
from guard.score import (
    Model,
    PatchFacts,
    edited_tests_name,
    finding_features,
    model_from_json,
    score,
    subject_names,
)

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))
from fit_score import facts_from_json, finding_from_json, finding_json

DIFF = (
    "--- a/pkg/m.py\n+++ b/pkg/m.py\n@@ -1,2 +1,2 @@\n def expo(factor=1):\n-    return 1\n+    return 2\n"
    "--- a/tests/test_m.py\n+++ b/tests/test_m.py\n@@ -3,2 +3,2 @@\n def test_expo():\n"
    "-    assert m.expo() == 1\n+    assert m.expo() == 2\n"
    "@@ -9,1 +9,2 @@\n @mock.patch('pkg.m.Window.width')\n+def test_window(): pass\n"
)  # fmt: skip


def change(symbol: str, analyzer: str = "properties", rule: str = "behaviour-change") -> Finding:
    return Finding(path="pkg/m.py", line=1, column=0, rule=rule, analyzer=analyzer, message="changed",
                   severity=Severity.WARNING, confidence=Confidence.HIGH, symbol=symbol)  # fmt: skip


def test_the_names_come_from_the_test_hunks_only_strings_split_keywords_dropped() -> None:
    facts = PatchFacts.from_patch(parse_patch(DIFF))
    assert {
        "expo",
        "test_expo",
        "m",
        "mock",
        "patch",
        "pkg",
        "Window",
        "width",
        "test_window",
    } == set(facts.test_names)
    assert "factor" not in facts.test_names  # only in pkg/m.py's hunk
    assert "def" not in facts.test_names and "assert" not in facts.test_names
    assert list(facts.test_names) == sorted(facts.test_names)


def test_subject_names_a_function_a_method_and_a_special_method_by_its_class() -> None:
    assert subject_names(change("expo")) == {"expo"}
    assert subject_names(change("Window.width")) == {"width"}
    assert subject_names(change("Window.__eq__")) == {"Window"}
    assert subject_names(change("outer.<locals>.inner")) == {"inner"}
    assert subject_names(change("")) == frozenset()


def test_the_feature_fires_only_for_a_runtime_finding_about_a_function_the_tests_name() -> None:
    facts = PatchFacts.from_patch(parse_patch(DIFF))
    feature = "runtime:tests-name-subject"
    named = dict(finding_features(change("expo"), facts, frozenset(), corroborated=False))
    assert named[feature] == 1.0 and named["patch:touches-tests*runtime"] == 1.0
    assert edited_tests_name(change("Window.__init__"), facts)
    unnamed = dict(finding_features(change("backoff"), facts, frozenset(), corroborated=False))
    assert feature not in unnamed and "patch:touches-tests*runtime" in unnamed
    static = dict(
        finding_features(
            change("expo", "mypy", "attr-defined"), facts, frozenset(), corroborated=False
        )
    )
    assert feature not in static
    failing = dict(
        finding_features(
            change("expo", rule="test-regression"), facts, frozenset(), corroborated=False
        )
    )
    assert feature not in failing
    no_tests = PatchFacts(
        test_names=("expo",)
    )  # names without touched tests cannot happen; no feature
    assert feature not in dict(
        finding_features(change("expo"), no_tests, frozenset(), corroborated=False)
    )


def test_the_coefficient_lowers_only_the_named_functions_weight() -> None:
    facts = PatchFacts.from_patch(parse_patch(DIFF))
    model = Model(coef={**model_from_json({"coef": {}}).coef, "runtime:tests-name-subject": -4.0})
    assert score([change("expo")], facts, model)[0] < score([change("backoff")], facts, model)[0]


def test_the_benchmark_caches_keep_symbols_and_test_names() -> None:
    f = change("Window.width")
    assert finding_from_json(finding_json(f)).symbol == "Window.width"
    assert (
        finding_from_json({k: v for k, v in finding_json(f).items() if k != "symbol"}).symbol == ""
    )
    facts = PatchFacts.from_patch(parse_patch(DIFF))
    import json

    assert facts_from_json(json.loads(json.dumps(asdict(facts)))) == facts


def test_a_new_crash_is_excused_only_by_tests_of_the_crashing_function() -> None:
    """Edited tests discount a changed result anywhere (a bug fix tested through another
    function), but a new crash of a function that ran before only where they name it."""
    from dataclasses import replace

    facts = PatchFacts.from_patch(parse_patch(DIFF))
    ran_before = (("input", "f(x={})"), ("old", "{}"), ("new", "raises AttributeError"))
    crash = replace(change("backoff", rule="runtime-error"), evidence=ran_before)
    assert "patch:touches-tests*runtime" not in dict(finding_features(crash, facts, frozenset(), corroborated=False))
    named = replace(change("expo", rule="runtime-error"), evidence=ran_before)
    assert dict(finding_features(named, facts, frozenset(), corroborated=False))["patch:touches-tests*runtime"] == 1.0
    new_function = change("backoff", rule="runtime-error")  # no old version: the discount stays
    assert dict(finding_features(new_function, facts, frozenset(), corroborated=False))["patch:touches-tests*runtime"] == 1.0
    for other in (
        (("old", "raises KeyError: x"), ("new", "raises AttributeError: y")),  # the old one crashed too
        (("old", "False"), ("new", "raises TypeError: comparing strings with non-ASCII characters")),
    ):
        kept = replace(change("backoff", rule="runtime-error"), evidence=(("input", "f()"), *other))
        assert dict(finding_features(kept, facts, frozenset(), corroborated=False))["patch:touches-tests*runtime"] == 1.0
    changed = dict(finding_features(change("backoff"), facts, frozenset(), corroborated=False))
    assert changed["patch:touches-tests*runtime"] == 1.0
