"""How rules are found, listed and explained; third-party packs through entry points."""

from __future__ import annotations

import types
from pathlib import Path

import pytest
from click.testing import CliRunner

from guard import rulekit
from guard.cli import main
from guard.rulekit import Example, Rule, check_example, discover


class ShoutingName(Rule):
    """A third-party rule: names written in capitals inside functions are suspicious here."""

    ID = "pack-shouting-name"
    MESSAGE = "a local name in capitals"
    INVALID = (Example(after="def f():\n    X = 1\n    return X\n", lines=(2,)),)

    def visit_AssignTarget(self, node: object) -> None:
        import libcst as cst

        assert isinstance(node, cst.AssignTarget)
        if isinstance(node.target, cst.Name) and node.target.value.isupper():
            self.report(node)


class _EntryPoint:
    def __init__(self, name: str, target: object) -> None:
        self.name, self._target = name, target

    def load(self) -> object:
        if isinstance(self._target, Exception):
            raise self._target
        return self._target


def test_a_rule_pack_registers_through_the_entry_point_group(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    pack = types.ModuleType("guard_pack")
    pack.ShoutingName = ShoutingName  # type: ignore[attr-defined]
    points = [_EntryPoint("pack", pack), _EntryPoint("broken", ImportError("no such pack"))]
    monkeypatch.setattr(rulekit, "entry_points", lambda group: points if group == "guard.rules" else [])
    active, dropped = discover()
    assert ShoutingName in active
    assert [(d.rule, d.reason.split(":")[0]) for d in dropped] == [("broken", "entry point failed to load")]
    assert [f.line for f in check_example(ShoutingName, ShoutingName.INVALID[0], tmp_path)] == [2]


def test_disabled_rules_are_dropped_with_the_reason() -> None:
    active, dropped = discover(disabled={"elided-code"})
    assert "elided-code" not in {r.ID for r in active}
    assert ("elided-code", "disabled by configuration") in {(d.rule, d.reason) for d in dropped}


def test_guard_rules_lists_and_explain_prints_the_docstring() -> None:
    runner = CliRunner()
    listed = runner.invoke(main, ["rules"])
    assert listed.exit_code == 0
    ids = {line.split()[0] for line in listed.stdout.splitlines() if line.strip()}
    assert {"unresolved-import", "nonexistent-attribute", "elided-code", "test-tampering"} <= ids
    assert {"behaviour-change", "test-regression", "test-fails"} <= ids  # the property stage's
    for rule in ("test-regression", "round-trip"):
        shown = runner.invoke(main, ["explain", rule])
        assert shown.exit_code == 0 and shown.stdout.startswith(f"{rule} (") and "property stage" in shown.stdout
        assert len(shown.stdout.splitlines()) > 2  # its paragraph of the stage's documentation
    explained = runner.invoke(main, ["explain", "swallowed-error"])
    assert explained.exit_code == 0
    assert explained.stdout.startswith("swallowed-error (")
    assert rulekit.discover()[0][0].doc().splitlines()[0] in runner.invoke(main, ["explain", rulekit.discover()[0][0].ID]).stdout
    unknown = runner.invoke(main, ["explain", "no-such-rule"])
    assert unknown.exit_code == 2 and "guard rules" in unknown.stderr
