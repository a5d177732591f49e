"""The repo's own tests run against the patched code (guard.harness.testrun), end to end."""

from __future__ import annotations

import difflib
from pathlib import Path

from guard.api import check_patch
from guard.findings import Finding

SHELF = '''\
class Shelf:
    def __init__(self, size):
        self.size = size
        self.items = []

    def put(self, item):
        self.items.append(item)
        while len(self.items) > self.size:
            self.items.pop(0)
        return len(self.items)


def label(name, count):
    return f"{name} x{count}" if count > 1 else name
'''

TESTS = '''\
import unittest

import pytest

from pkg.shelf import Shelf, label


def test_keeps_up_to_size():
    shelf = Shelf(2)
    shelf.put("a")
    shelf.put("b")
    assert shelf.items == ["a", "b"]


@pytest.mark.parametrize("count, text", [(1, "pen"), (3, "pen x3")])
def test_label(count, text):
    assert label("pen", count) == text


def test_needs_a_fixture(capsys):
    assert label("pen", 1) == "pen"


class TestShelf:
    def setup_method(self, method):
        self.shelf = Shelf(1)

    def test_drops_oldest(self):
        self.shelf.put("a")
        self.shelf.put("b")
        assert self.shelf.items == ["b"]


class ShelfCase(unittest.TestCase):
    def test_put_counts(self):
        self.assertEqual(Shelf(3).put("a"), 1)
'''


def _repo(root: Path, files: dict[str, str]) -> None:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o755)
        path.write_text(text)
        path.chmod(0o644)


def _diff(changes: dict[str, tuple[str | None, str]]) -> str:
    out = []
    for rel, (before, after) in changes.items():
        old = (before or "").splitlines(keepends=True)
        out += difflib.unified_diff(old, after.splitlines(keepends=True),
                                    "/dev/null" if before is None else f"a/{rel}", f"b/{rel}")
    return "".join(out)


def _tests_findings(sandbox_repo: Path, changes: dict[str, tuple[str | None, str]]) -> list[Finding]:
    report = check_patch(_diff(changes), sandbox_repo, analyzers=frozenset({"properties"}))
    return [s.finding for s in report.findings if s.finding.rule.startswith("test-")]


def test_flipped_condition_in_a_method_fails_the_tests_that_passed_before(sandbox_repo: Path) -> None:
    _repo(sandbox_repo, {"pkg/shelf.py": SHELF, "tests/test_shelf.py": TESTS})
    flipped = SHELF.replace("len(self.items) > self.size", "len(self.items) >= self.size")
    found = _tests_findings(sandbox_repo, {"pkg/shelf.py": (SHELF, flipped)})
    assert found, "the method's tests fail after the patch"
    assert {f.rule for f in found} == {"test-regression"}
    assert all((f.path, f.line) == ("pkg/shelf.py", 8) for f in found)  # the changed line
    tests = {dict(f.evidence)["test"] for f in found}
    assert "tests/test_shelf.py::test_keeps_up_to_size" in tests
    assert "tests/test_shelf.py::TestShelf.test_drops_oldest" in tests  # setup_method ran
    assert all(dict(f.evidence)["before the patch"] == "passes" for f in found)


def test_parametrized_cases_and_unittest_cases_run(sandbox_repo: Path) -> None:
    _repo(sandbox_repo, {"pkg/shelf.py": SHELF, "tests/test_shelf.py": TESTS})
    changed = SHELF.replace('f"{name} x{count}"', 'f"{name} * {count}"').replace(
        "return len(self.items)", "return len(self.items) - 1")
    found = _tests_findings(sandbox_repo, {"pkg/shelf.py": (SHELF, changed)})
    tests = {dict(f.evidence)["test"] for f in found}
    assert "tests/test_shelf.py::test_label[count=3, text='pen x3']" in tests
    assert "tests/test_shelf.py::ShelfCase.test_put_counts" in tests
    assert not any("test_needs_a_fixture" in t for t in tests)  # capsys: not runnable here


def test_intended_change_with_its_test_updated_is_quiet(sandbox_repo: Path) -> None:
    _repo(sandbox_repo, {"pkg/shelf.py": SHELF, "tests/test_shelf.py": TESTS})
    changed = SHELF.replace('f"{name} x{count}"', 'f"{count} x {name}"')
    updated = TESTS.replace('(3, "pen x3")', '(3, "3 x pen")')
    found = _tests_findings(sandbox_repo, {"pkg/shelf.py": (SHELF, changed),
                                           "tests/test_shelf.py": (TESTS, updated)})
    assert found == []


def test_patch_contradicting_its_own_new_test_is_reported(sandbox_repo: Path) -> None:
    """The added test passes against the original code and fails against the patched code."""
    _repo(sandbox_repo, {"pkg/shelf.py": SHELF, "tests/test_shelf.py": TESTS})
    changed = SHELF.replace("if count > 1 else name", "if count > 2 else name")
    added = TESTS + '\n\ndef test_label_two():\n    assert label("pen", 2) == "pen x2"\n'
    found = _tests_findings(sandbox_repo, {"pkg/shelf.py": (SHELF, changed),
                                           "tests/test_shelf.py": (TESTS, added)})
    mine = [f for f in found if dict(f.evidence)["test"] == "tests/test_shelf.py::test_label_two"]
    assert mine and mine[0].rule == "test-regression"
    assert "a test this patch adds or edits" in mine[0].message
    assert (mine[0].path, mine[0].line) == ("pkg/shelf.py", 14)


def test_new_function_failing_its_own_new_test_is_reported(sandbox_repo: Path) -> None:
    """A test of what the patch adds cannot run against the original code; failing against the
    patched code, while running the new lines, it says the patch contradicts itself."""
    _repo(sandbox_repo, {"pkg/shelf.py": SHELF, "tests/test_shelf.py": TESTS})
    changed = SHELF + '\n\ndef plural(name, count):\n    return name if count <= 1 else name + "s"\n'
    buggy = changed.replace("count <= 1", "count < 1")
    added = TESTS.replace("from pkg.shelf import Shelf, label", "from pkg.shelf import Shelf, label, plural")
    added += '\n\ndef test_plural():\n    assert plural("pen", 1) == "pen"\n    assert plural("pen", 2) == "pens"\n'
    good = _tests_findings(sandbox_repo, {"pkg/shelf.py": (SHELF, changed), "tests/test_shelf.py": (TESTS, added)})
    assert good == []
    found = _tests_findings(sandbox_repo, {"pkg/shelf.py": (SHELF, buggy), "tests/test_shelf.py": (TESTS, added)})
    assert [(f.rule, f.path, f.line) for f in found] == [("test-fails", "pkg/shelf.py", 18)]
    assert "cannot run" in dict(found[0].evidence)["before the patch"]


def test_state_a_test_leaves_behind_does_not_leak_into_the_next(sandbox_repo: Path) -> None:
    """Each run starts from the state after import: a test that fills a module-level cache
    cannot make a later test fail in one world and not the other."""
    cache = 'SEEN = []\n\n\ndef remember(x):\n    SEEN.append(x)\n    return len(SEEN)\n'
    tests = ('from pkg.memo import remember\n\n\ndef test_first():\n    assert remember(1) == 1\n\n\n'
             'def test_second():\n    assert remember(2) == 1\n')
    _repo(sandbox_repo, {"pkg/memo.py": cache, "tests/test_memo.py": tests})
    changed = cache.replace("    SEEN.append(x)\n", "    SEEN.append(x)  # keep\n")
    assert _tests_findings(sandbox_repo, {"pkg/memo.py": (cache, changed)}) == []


def test_removed_name_a_test_module_imports_is_a_regression(sandbox_repo: Path) -> None:
    _repo(sandbox_repo, {"pkg/shelf.py": SHELF, "tests/test_shelf.py": TESTS})
    without = SHELF.replace('def label(name, count):\n    return f"{name} x{count}" if count > 1 else name\n',
                            'def tag(name, count):\n    return f"{name} x{count}" if count > 1 else name\n')
    changed = without.replace("self.items.pop(0)", "del self.items[0]")
    found = _tests_findings(sandbox_repo, {"pkg/shelf.py": (SHELF, changed)})
    assert [(f.rule, f.path, f.line) for f in found] == [("test-regression", "tests/test_shelf.py", 1)]
    assert "ImportError" in found[0].message


def test_stacked_parametrize_marks_use_every_value_when_the_product_is_too_large() -> None:
    from guard.harness.testrun import MAX_CASES, _combine

    small = _combine([[{"a": 1}, {"a": 2}], [{"b": 1}, {"b": 2}]])
    assert small == [{"a": 1, "b": 1}, {"a": 1, "b": 2}, {"a": 2, "b": 1}, {"a": 2, "b": 2}]
    names = [{"name": n} for n in range(6)]
    extras = [{"extras": e} for e in range(4)]
    urls = [{"url": u} for u in range(18)]
    cases = _combine([names, extras, urls])
    assert len(cases) <= MAX_CASES
    assert {c["extras"] for c in cases} == set(range(4)) and {c["name"] for c in cases} == set(range(6))


def test_several_new_tests_failing_give_one_test_fails_finding(sandbox_repo: Path) -> None:
    """With no run against the original to compare, failing new tests share one likely cause:
    one finding carries the evidence (weak: a warning), the rest are named in a note."""
    _repo(sandbox_repo, {"pkg/shelf.py": SHELF, "tests/test_shelf.py": TESTS})
    buggy = SHELF + '\n\ndef plural(name, count):\n    return name if count < 1 else name + "s"\n'
    added = TESTS.replace("from pkg.shelf import Shelf, label", "from pkg.shelf import Shelf, label, plural")
    added += ('\n\ndef test_plural_one():\n    assert plural("pen", 1) == "pen"\n'
              '\n\ndef test_plural_one_cup():\n    assert plural("cup", 1) == "cup"\n')
    found = _tests_findings(sandbox_repo, {"pkg/shelf.py": (SHELF, buggy), "tests/test_shelf.py": (TESTS, added)})
    assert [f.rule for f in found] == ["test-fails"]
    assert found[0].severity.label == "warning"


RENDER = '''\
def _quote(value):
    return '"' + value + '"' if " " in value else value


def _pair(key, value):
    return key + "=" + _quote(value)


def render(pairs):
    return ",".join(_pair(k, v) for k, v in pairs)
'''

RENDER_TESTS = '''\
from pkg.render import render


def test_render_quotes_values_with_spaces():
    assert render([("a", "x y"), ("b", "z")]) == 'a="x y",b=z'
'''


def test_a_private_helper_is_tested_through_the_tests_of_its_public_callers(sandbox_repo: Path) -> None:
    """No test names ``_quote``; the test of ``render``, which reaches it through ``_pair``, runs."""
    _repo(sandbox_repo, {"pkg/render.py": RENDER, "tests/test_render.py": RENDER_TESTS})
    flipped = RENDER.replace('if " " in value', 'if " " not in value')
    found = _tests_findings(sandbox_repo, {"pkg/render.py": (RENDER, flipped)})
    assert [(f.rule, f.path, f.line) for f in found] == [("test-regression", "pkg/render.py", 2)]


MIXIN_TESTS = '''\
import unittest

from pkg.shelf import label


class LabelTests:
    def test_many(self):
        self.assertEqual(self.make("pen", 3), "pen x3")


class LabelCase(unittest.TestCase, LabelTests):
    def make(self, name, count):
        return label(name, count)
'''


def test_a_test_class_naming_the_function_in_a_helper_method_is_selected(sandbox_repo: Path) -> None:
    """cachetools' pattern: the mixin's tests call ``self.make``, a helper of the concrete class
    that names the changed function."""
    _repo(sandbox_repo, {"pkg/shelf.py": SHELF, "tests/test_label.py": MIXIN_TESTS})
    changed = SHELF.replace("if count > 1 else name", "if count > 3 else name")
    found = _tests_findings(sandbox_repo, {"pkg/shelf.py": (SHELF, changed)})
    assert [(f.rule, dict(f.evidence)["test"]) for f in found] == [
        ("test-regression", "tests/test_label.py::LabelCase.test_many")]


def test_tests_failing_both_ways_do_not_use_up_the_confirmations(sandbox_repo: Path) -> None:
    """filelock's pattern: many tests of the changed code fail here with or without the patch (a
    platform, a permission); they are sorted out in one run against the original code, so the
    regression behind them is still confirmed."""
    from guard.harness.testrun import MAX_CONFIRMED

    broken = "".join(f'\n\ndef test_env_{i}():\n    assert label("pen", 1) == open("/nonexistent").read()\n'
                     for i in range(MAX_CONFIRMED + 2))
    tests = TESTS + broken + '\n\ndef test_last_label():\n    assert label("pen", 2) == "pen x2"\n'
    _repo(sandbox_repo, {"pkg/shelf.py": SHELF, "tests/test_shelf.py": tests})
    changed = SHELF.replace("if count > 1 else name", "if count > 2 else name")
    found = _tests_findings(sandbox_repo, {"pkg/shelf.py": (SHELF, changed)})
    assert ("test-regression", "tests/test_shelf.py::test_last_label") in {
        (f.rule, dict(f.evidence)["test"]) for f in found}


def test_tests_naming_a_changed_function_come_before_those_naming_only_a_caller(tmp_path: Path) -> None:
    """The tests reached through a public caller of a changed private helper fill the slots left
    after the tests that name a changed function, and run after them: they must not take the
    screening time of the tests that name it (prettytable's test of ``align``)."""
    from guard.diff import parse_patch
    from guard.pipeline import plan, property_subjects, test_subjects
    from guard.workspace import build_workspace

    code = "def _norm(x):\n    return x.strip()\n\n\ndef clean(x):\n    return _norm(x)\n\n\ndef keep(x):\n    return x\n"
    _repo(tmp_path, {"pkg/__init__.py": "", "pkg/text.py": code,
                     "tests/test_a.py": "from pkg.text import clean\n\n\ndef test_clean():\n    assert clean(' a ') == 'a'\n",
                     "tests/test_b.py": "from pkg.text import keep\n\n\ndef test_keep():\n    assert keep('a') == 'a'\n"})
    changed = code.replace("x.strip()", "x.lstrip()").replace("return x\n", "return x[:]\n")
    ws = build_workspace(tmp_path, parse_patch(_diff({"pkg/text.py": (code, changed)})))
    changes = list(plan(ws, (3, 10)).changes.values())
    _, tests = test_subjects(ws, changes, property_subjects(changes)[1])
    assert [(t.path, t.qualname) for t in tests] == [("tests/test_b.py", "test_keep"), ("tests/test_a.py", "test_clean")]


HYPOTHESIS_TESTS = '''\
from hypothesis import given, strategies as st

from pkg.shelf import label


@given(st.integers(min_value=2, max_value=50))
def test_label_counts(count):
    assert label("pen", count) == f"pen x{count}"
'''


def test_a_repo_test_using_hypothesis_with_its_default_database_runs_in_the_sandbox(sandbox_repo: Path) -> None:
    """Hypothesis keeps examples under ``.hypothesis`` in the working directory unless told
    otherwise; inside the sandbox that must be the job's box, not a refused write elsewhere."""
    _repo(sandbox_repo, {"pkg/shelf.py": SHELF, "tests/test_label.py": HYPOTHESIS_TESTS})
    renamed = SHELF.replace("def label(name, count):\n    return f\"{name} x{count}\" if count > 1 else name",
                            "def label(name, count):\n    many = count > 1\n    return f\"{name} x{count}\" if many else name")
    assert renamed != SHELF
    flipped = SHELF.replace("if count > 1 else name", "if count > 3 else name")
    from guard.session import Session

    with Session(sandbox_repo, analyzers=frozenset({"properties"})) as session:  # forks from its fork server
        session.warm_up()
        for _ in range(2):
            report = session.check(_diff({"pkg/shelf.py": (SHELF, renamed)}))
            assert [s.finding for s in report.findings if s.finding.severity.label != "info"] == []
        report = session.check(_diff({"pkg/shelf.py": (SHELF, flipped)}))
        found = [s.finding for s in report.findings]
    assert any(dict(f.evidence).get("test") == "tests/test_label.py::test_label_counts" for f in found), [n.message for n in report.notes]


def test_a_test_file_the_patch_renames_runs_under_its_new_name_only(tmp_path: Path) -> None:
    """wsproto 1.3.0 moved test/ to tests/: the old file, read from the checkout, was run "as the
    patch leaves it" against the patched code, and failed (the release changed the API the old
    copy used)."""
    from guard.diff import parse_patch
    from guard.pipeline import plan, property_subjects, test_subjects
    from guard.workspace import build_workspace

    code = "def clean(x):\n    return x.strip()\n"
    old_test = "from pkg.text import clean\n\n\ndef test_clean():\n    assert clean(' a ') == 'a'\n"
    _repo(tmp_path, {"pkg/__init__.py": "", "pkg/text.py": code, "test/test_a.py": old_test})
    new_test = old_test.replace("' a '", "'  a '")
    renamed = "".join(difflib.unified_diff(old_test.splitlines(keepends=True), new_test.splitlines(keepends=True),
                                           "a/test/test_a.py", "b/tests/test_a.py"))
    diff = (_diff({"pkg/text.py": (code, code.replace("x.strip()", "x.strip(' ')"))})
            + "diff --git a/test/test_a.py b/tests/test_a.py\nsimilarity index 90%\n"
            "rename from test/test_a.py\nrename to tests/test_a.py\n" + renamed)
    ws = build_workspace(tmp_path, parse_patch(diff))
    changes = list(plan(ws, (3, 10)).changes.values())
    _, tests = test_subjects(ws, changes, property_subjects(changes)[1])
    assert [(t.path, t.qualname) for t in tests] == [("tests/test_a.py", "test_clean")]
