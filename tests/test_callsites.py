"""guard.callsites: the literal arguments the repo passes to a function, and the property search
using them for parameters nothing else types."""

from __future__ import annotations

import difflib
from pathlib import Path

from guard.api import check_patch
from guard.callsites import argument_values


def test_literal_arguments_are_read_by_position_and_keyword() -> None:
    files = {
        "pkg/mod.py": "def pad_to(cell, span):\n    return cell.ljust(span)\n",
        "tests/test_mod.py": (
            "from pkg.mod import pad_to\n\n"
            "def test_pad():\n    assert pad_to('ab', 4) == 'ab  '\n    assert pad_to(cell='x', span=2) == 'x '\n"
            "    assert pad_to(*args) and pad_to(name, -1)\n    obj.pad_to([1, 2], 0)\n"
        ),
        "other.py": "pad_to_more(1, 2)\n",
    }
    found = argument_values({"pad_to", "unused"}, list(files), files.get)
    assert found == {"pad_to": {"0": ["'ab'", "[1, 2]"], "1": ["4", "-1", "0"], "cell": ["'x'"], "span": ["2"]}}
    assert argument_values(set(), list(files), files.get) == {}
    # 1e999 is a literal, but its repr `inf` does not read back: the search could not rebuild it
    assert argument_values({"f"}, ["m.py"], {"m.py": "f(1e999, 2)\n"}.get) == {"f": {"1": ["2"]}}


def test_a_parameter_only_its_callers_type_is_searched(sandbox_repo: Path) -> None:
    """``pad_to(cell, span)``: no annotation, default or telling name, so before call sites were
    read the function was "untested" and a flipped ljust/rjust passed. The repo's test calls it
    with ``('ab', 4)``: the search starts from those values and sees the change."""
    module = "def pad_to(cell, span):\n    return cell.ljust(span)\n"
    test = "from pkg.mod import pad_to\n\n\ndef test_pad():\n    assert pad_to('ab', 4) == 'ab  '\n"
    (sandbox_repo / "pkg" / "mod.py").write_text(module)
    (sandbox_repo / "pkg" / "mod.py").chmod(0o644)
    after = module.replace("ljust", "rjust")
    diff = "".join(difflib.unified_diff(module.splitlines(True), after.splitlines(True), "a/pkg/mod.py", "b/pkg/mod.py"))
    report = check_patch(diff, sandbox_repo, analyzers=frozenset({"properties"}))
    assert not [s for s in report.findings if s.finding.rule == "behaviour-change"]
    (sandbox_repo / "test_mod.py").write_text(test)
    (sandbox_repo / "test_mod.py").chmod(0o644)
    report = check_patch(diff, sandbox_repo, analyzers=frozenset({"properties"}))
    changed = [s for s in report.findings if s.finding.rule == "behaviour-change"]
    assert changed, report.notes
    assert "pad_to(" in changed[0].finding.message
