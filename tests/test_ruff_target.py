"""ruff runs for repos that declare a Python older than the oldest target it accepts."""

from __future__ import annotations

from pathlib import Path

from guard.checks import ruff
from guard.checks.base import ToolRun
from guard.context import in_context


def test_old_target_version_is_raised_to_ruffs_minimum(tmp_path: Path) -> None:
    (tmp_path / "m.py").write_text("def f():\n    return undefined_name\n")
    findings = ruff.run(ToolRun(tmp_path, ["m.py"], (3, 5), 10.0))  # requires-python >= 3.5
    assert [f.rule for f in findings] == ["F821"]


def test_undefined_export_of_a_module_with_getattr_does_not_count(tmp_path: Path) -> None:
    """PEP 562: a module-level ``__getattr__`` resolves names in ``__all__`` at run time."""
    lazy = "__all__ = ['easter']\n\ndef __getattr__(name):\n    import importlib\n    return importlib.import_module('.' + name, __name__)\n"
    (tmp_path / "lazy.py").write_text(lazy)
    (tmp_path / "eager.py").write_text("__all__ = ['easter']\n")
    sources = {"lazy.py": lazy, "eager.py": "__all__ = ['easter']\n"}
    found = in_context(ruff.run(ToolRun(tmp_path, ["lazy.py", "eager.py"], (3, 10), 10.0)), sources)
    findings = {f.path: f for f in found}
    assert findings["lazy.py"].rule == "F822" and findings["lazy.py"].severity.label == "info"
    assert "__getattr__" in findings["lazy.py"].evidence_dict()["context"]
    assert findings["eager.py"].rule == "F822" and findings["eager.py"].severity.label == "error"
