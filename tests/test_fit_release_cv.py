"""fit_score.py's release-row report, feature ablation and the symbols it guesses for old cache rows."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

from guard.findings import Confidence, Finding, Severity
from guard.score import PatchFacts

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))
from fit_score import RELEASE_GROUP, Case, design, guess_symbol, release_figures


def test_guess_symbol_reads_the_subject_of_a_property_message() -> None:
    assert guess_symbol("expo() changed behaviour: 1 before the patch, 2 after") == "expo"
    assert guess_symbol("Event(kind='', d='(').branch changed behaviour: None") == "Event.branch"
    assert (
        guess_symbol("Serializer(secret_key='').__init__(secret_key='') attempted: open")
        == "Serializer.__init__"
    )
    assert guess_symbol("base64_decode(base64_encode(x)) != x for b''") == "base64_decode"
    assert guess_symbol("module six fails to import after the patch: raises TypeError") == ""
    assert (
        guess_symbol("x = Lock(mode=6); x.reset(); x.acquire() changed behaviour: 1")
        == "Lock.acquire"
    )


def _finding(rule: str = "behaviour-change") -> Finding:
    return Finding(path="m.py", line=1, column=0, rule=rule, analyzer="properties", message="",
                   severity=Severity.WARNING, confidence=Confidence.HIGH, symbol="f")  # fmt: skip


def test_release_figures_count_only_release_rows_by_class() -> None:
    cases = [
        Case("a", RELEASE_GROUP + "p", 0, ("release",), (), PatchFacts()),
        Case("b", RELEASE_GROUP + "p", 0, ("release",), (), PatchFacts()),
        Case("c", RELEASE_GROUP + "p", 1, ("silent-behaviour-change",), (), PatchFacts()),
        Case("d", RELEASE_GROUP + "q", 1, ("silent-behaviour-change",), (), PatchFacts()),
        Case("e", RELEASE_GROUP + "q", 1, ("elided-code",), (), PatchFacts()),
        Case("fixture", "webhooks", 0, ("clean",), (), PatchFacts()),
    ]
    got = release_figures(cases, np.array([0.6, 0.1, 0.5, 0.2, 0.9, 0.99]))
    assert (got.clean_failed, got.clean) == (1, 2)
    assert got.caught == {"silent-behaviour-change": (1, 2), "elided-code": (1, 1)}
    assert got.lines()[0] == "clean failed 1/2 = 50.0%"


def test_without_leaves_a_feature_out_of_the_design() -> None:
    facts = PatchFacts(touches_tests=True, test_names=("f",))
    cases = [Case("a", RELEASE_GROUP + "p", 0, ("release",), (_finding(),), facts)]
    assert "runtime:tests-name-subject" in design(cases, frozenset()).names
    d = design(cases, frozenset(), frozenset({"runtime:tests-name-subject"}))
    assert "runtime:tests-name-subject" not in d.names and "patch:touches-tests*runtime" in d.names
