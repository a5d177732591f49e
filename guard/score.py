"""The score: how likely the patch is plausible-looking but wrong. A pure function of findings.

Each finding carries a weight from one table (by severity and confidence; a rule may override).
Findings are treated as independent pieces of evidence and combined as a noisy-OR:

    score = 1 - prod(1 - weight_i)

so one high-confidence error is enough to fail at the default threshold of 0.5, two medium
warnings together are, one low-confidence warning is not, and INFO findings never count.

Some evidence means different things in different patches: a function that now behaves differently
is what a bug fix is for when the patch also changes tests, and a silent change when it does not.
Such facts about the patch scale a rule's weight through ``CONTEXT_SCALE``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from guard.findings import Confidence, Finding, Severity

WEIGHTS: Mapping[tuple[Severity, Confidence], float] = {
    (Severity.ERROR, Confidence.HIGH): 0.90,
    (Severity.ERROR, Confidence.MEDIUM): 0.70,
    (Severity.ERROR, Confidence.LOW): 0.40,
    (Severity.WARNING, Confidence.HIGH): 0.60,
    (Severity.WARNING, Confidence.MEDIUM): 0.35,
    (Severity.WARNING, Confidence.LOW): 0.15,
    (Severity.INFO, Confidence.HIGH): 0.0,
    (Severity.INFO, Confidence.MEDIUM): 0.0,
    (Severity.INFO, Confidence.LOW): 0.0,
}

RULE_WEIGHTS: Mapping[str, float] = {
    "tool-error": 0.0,
}


@dataclass(frozen=True)
class PatchFacts:
    """What the score may know about the patch beyond its findings."""

    touches_tests: bool = False


# (rule, fact) -> factor applied to the rule's weight when the fact holds.
CONTEXT_SCALE: Mapping[tuple[str, str], float] = {
    ("behaviour-change", "touches_tests"): 0.25,
}


@dataclass(frozen=True)
class Scored:
    finding: Finding
    weight: float


def weight(finding: Finding, facts: PatchFacts = PatchFacts()) -> float:
    base = RULE_WEIGHTS.get(finding.rule, WEIGHTS[(finding.severity, finding.confidence)])
    for (rule, fact), factor in CONTEXT_SCALE.items():
        if rule == finding.rule and getattr(facts, fact):
            base *= factor
    return round(base, 4)


def score(findings: Iterable[Finding], facts: PatchFacts = PatchFacts()) -> tuple[float, list[Scored]]:
    """The combined score and every finding with its weight, heaviest first."""
    scored = [Scored(f, weight(f, facts)) for f in findings]
    scored.sort(key=lambda s: (-s.weight, s.finding.path, s.finding.line, s.finding.rule))
    total = 1.0 - math.prod(1.0 - s.weight for s in scored)
    return round(total, 4), scored
