"""removed-api: a use the file already makes on lines the patch kept is shown, never weighed."""

from __future__ import annotations

from pathlib import Path

from guard.findings import Severity
from guard.rulekit import Example, check_example, discover

(RULE,) = [r for r in discover()[0] if r.ID == "removed-api"]
OLD = "import collections\n\n\ndef f(x):\n    return isinstance(x, collections.Mapping)\n"
NEW = "\n\ndef g(x):\n    return not isinstance(x, collections.Mapping)\n"


def test_a_use_the_file_keeps_is_info_and_a_first_one_is_not(tmp_path: Path) -> None:
    (found,) = [f for f in check_example(RULE, Example(before=OLD, after=OLD + NEW), tmp_path / "a") if f.rule == RULE.ID]
    assert found.line == 9 and found.severity is Severity.INFO
    assert "already uses `collections.Mapping` on lines the patch kept" in found.message
    # The patch rewrites the only old use: the file no longer meets the removal without it.
    rewritten = OLD.replace("return isinstance(x, collections.Mapping)", "return isinstance(x, dict)") + NEW
    (found,) = [f for f in check_example(RULE, Example(before=OLD, after=rewritten), tmp_path / "b") if f.rule == RULE.ID]
    assert found.severity is Severity.ERROR
