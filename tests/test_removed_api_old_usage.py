"""removed-api weighs a use the original file already made less than a new one."""

from __future__ import annotations

from pathlib import Path

from guard.findings import Confidence, Severity
from guard.rulekit import Example, check_example, discover

(RULE,) = [r for r in discover()[0] if r.ID == "removed-api"]


def test_a_use_the_file_already_made_is_weak_and_a_new_one_is_not(tmp_path: Path) -> None:
    before = "import collections\n\n\ndef f(x):\n    return isinstance(x, collections.Mapping)\n"
    after = "import collections\n\n\ndef f(x):\n    m = isinstance(x, collections.Mapping)\n    return m\n"
    (found,) = [f for f in check_example(RULE, Example(before=before, after=after), tmp_path / "a") if f.rule == RULE.ID]
    assert (found.severity, found.confidence) == (Severity.WARNING, Confidence.LOW)
    assert "already uses `collections.Mapping`" in found.message
    fresh = "import collections\n\n\ndef f(x):\n    return isinstance(x, dict)\n"
    (found,) = [f for f in check_example(RULE, Example(before=fresh, after=after), tmp_path / "b") if f.rule == RULE.ID]
    assert found.severity is Severity.ERROR
