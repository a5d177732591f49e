"""Every rule's own VALID and INVALID examples, collected as test cases (ids like
``unresolved-import-INVALID-2``)."""

from __future__ import annotations

from pathlib import Path

import pytest

from guard.rulekit import Example, Rule, check_example, discover

RULES, _ = discover()
CASES = [
    pytest.param(rule, example, kind, id=f"{rule.ID}-{kind}-{n}")
    for rule in RULES
    for kind, examples in (("VALID", rule.VALID), ("INVALID", rule.INVALID))
    for n, example in enumerate(examples, 1)
]


@pytest.mark.parametrize(("rule", "example", "kind"), CASES)
def test_rule_example(rule: type[Rule], example: Example, kind: str, tmp_path: Path) -> None:
    findings = [f for f in check_example(rule, example, tmp_path) if f.rule == rule.ID]
    if kind == "VALID":
        assert findings == [], f"{rule.ID} fired on a VALID example: {findings}"
    else:
        assert sorted({f.line for f in findings if f.path == example.path}) == sorted(example.lines)


@pytest.mark.parametrize("rule", RULES, ids=[r.ID for r in RULES])
def test_rule_is_documented_with_enough_examples(rule: type[Rule]) -> None:
    assert rule.__doc__ and len(rule.__doc__.strip()) > 40, f"{rule.ID} needs a docstring"
    assert len(rule.VALID) >= 3 and len(rule.INVALID) >= 3
    assert all(ex.lines for ex in rule.INVALID), "an INVALID example must name its lines"
