"""ruff runs for repos that declare a Python older than the oldest target it accepts."""

from __future__ import annotations

from pathlib import Path

from guard.checks import ruff
from guard.checks.base import ToolRun


def test_old_target_version_is_raised_to_ruffs_minimum(tmp_path: Path) -> None:
    (tmp_path / "m.py").write_text("def f():\n    return undefined_name\n")
    findings = ruff.run(ToolRun(tmp_path, ["m.py"], (3, 5), 10.0))  # requires-python >= 3.5
    assert [f.rule for f in findings] == ["F821"]
