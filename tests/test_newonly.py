"""Keeping what the patch introduced, and marking new findings that are old disagreements."""

from __future__ import annotations

from guard.api import check_patch
from guard.findings import Confidence, Finding, Severity
from guard.newonly import new_only, subject
from guard.score import PatchFacts, score
from tests.conftest import MakeRepo, diff_after_edit


def f(line: int, message: str, symbol: str = "", rule: str = "attr-defined", analyzer: str = "mypy",
      path: str = "m.py", severity: Severity = Severity.ERROR) -> Finding:  # fmt: skip
    return Finding(path, line, 1, rule, analyzer, message, severity, Confidence.HIGH, symbol=symbol)


def familiar(found: Finding) -> str | None:
    return found.evidence_dict().get("familiar")


def disputed(found: Finding) -> str | None:
    return found.evidence_dict().get("disputed-definition")


def test_subject_is_the_message_up_to_its_first_quoted_name() -> None:
    assert subject(f(1, '"Foo" has no attribute "bar"')) == '"Foo"'
    assert subject(f(1, "Redefinition of unused `x` from line 3")) == "Redefinition of unused `x`"
    assert subject(f(1, "Cannot assign to a type")) == "Cannot assign to a type"


def test_a_copy_of_an_old_problem_is_new_but_a_rewritten_line_of_it_is_not() -> None:
    old = f(10, "Redefinition of unused `x` from line 3", "x", rule="F811", analyzer="ruff")
    # The redefinition was rewritten by the patch (a def became an assignment): same problem.
    moved = f(11, "Redefinition of unused `x` from line 4", "", rule="F811", analyzer="ruff")
    assert new_only([moved], [old], {"m.py": frozenset({11})}) == []
    # Two where there was one: the copy on the changed line is new.
    kept = f(20, old.message, "x", rule="F811", analyzer="ruff")
    assert new_only([kept, moved], [old], {"m.py": frozenset({11})}) == [moved]


def test_exact_counterparts_are_matched_before_loose_ones() -> None:
    before = [f(5, '"int" has no attribute "y"', "g")]
    in_f = f(3, '"int" has no attribute "y"', "f")
    in_g = f(9, '"int" has no attribute "y"', "g")
    # Both on changed lines; g's exact counterpart must not be taken by f's loose match.
    (new,) = new_only([in_f, in_g], before, {"m.py": frozenset({3, 9})})
    assert new.symbol == "f"


def test_a_new_complaint_about_a_subject_the_tool_already_disputed_here_is_familiar() -> None:
    before = [f(5, '"Mixin" has no attribute "assertEqual"', "Mixin.check")]
    new = f(9, '"Mixin" has no attribute "assertTrue"', "Mixin.other")
    (found,) = new_only([new], before, {"m.py": frozenset({9})})
    assert 'already reported attr-defined about "Mixin"' in (familiar(found) or "")
    other_type = f(9, '"str" has no attribute "assertTrue"', "Mixin.other")
    (found,) = new_only([other_type], before, {"m.py": frozenset({9})})
    assert familiar(found) is None
    elsewhere = f(9, new.message, "Mixin.other", path="n.py")
    (found,) = new_only([elsewhere], before, {"n.py": frozenset({9})})
    assert familiar(found) is None, "another file's disputes say nothing here"


def test_a_type_checkers_complaint_in_a_definition_it_already_disputed_is_familiar() -> None:
    before = [f(5, "List comprehension has incompatible type", "normalize", rule="misc")]
    new = f(9, 'Incompatible return value type (got "list")', "normalize", rule="return-value")
    (found,) = new_only([new], before, {"m.py": frozenset({9})})
    assert "in normalize" in (disputed(found) or "") and familiar(found) is None
    # Module level is the file, which noisy-here already covers; a linter's checks are independent.
    (found,) = new_only(
        [f(9, new.message, "", rule="return-value")], [f(5, "x", "")], {"m.py": frozenset({9})}
    )
    assert disputed(found) is None
    lint_before = [
        f(5, "Do not use mutable data structures", "normalize", rule="B006", analyzer="ruff")
    ]
    lint_new = f(9, "Undefined name `q`", "normalize", rule="F821", analyzer="ruff")
    (found,) = new_only([lint_new], lint_before, {"m.py": frozenset({9})})
    assert disputed(found) is None and familiar(found) is None


def test_info_findings_before_the_patch_are_no_dispute() -> None:
    before = [
        f(
            5,
            'Library stubs not installed for "yaml"',
            "load",
            rule="import-untyped",
            severity=Severity.INFO,
        )
    ]
    (found,) = new_only(
        [f(9, '"Module" has no attribute "x"', "load")], before, {"m.py": frozenset({9})}
    )
    assert familiar(found) is None


def noisy(line: int, note: tuple[str, str] | None, errors_before: int) -> Finding:
    """A new mypy finding as the pipeline hands it to the score: confidence lowered and the noise
    noted by guard.checks.mypy.weigh_by_noise, plus what new_only noted."""
    noise = (
        "mypy-noise",
        f"mypy already reports {errors_before} error(s) in this file before the patch",
    )
    return Finding("m.py", line, 1, "attr-defined", "mypy", '"Base" has no attribute "exprs"',
                   Severity.ERROR, Confidence.MEDIUM, evidence=(noise, *([note] if note else [])))  # fmt: skip


def test_old_disagreements_weigh_less_and_several_together_do_not_fail_a_patch() -> None:
    plain = f(9, '"Mixin" has no attribute "assertTrue"', "Mixin.other")
    (marked,) = new_only(
        [plain], [f(5, '"Mixin" has no attribute "assertEqual"', "Mixin.check")], {}
    )
    (_, (alone,)), (_, (known,)) = score([plain]), score([marked])
    assert known.weight < alone.weight
    familiar_note, disputed_note = ("familiar", "seen"), ("disputed-definition", "seen")
    for errors_before in (1, 5, 100):
        fresh, def_, fam = (
            score([noisy(9, n, errors_before)])[0] for n in (None, disputed_note, familiar_note)
        )
        assert fresh > def_ > fam
        assert fam < 0.5, "a repeat of a standing complaint never fails a patch on its own"
    many = [noisy(line, familiar_note, 100) for line in range(10, 16)]
    assert score(many, PatchFacts(touches_tests=True))[0] < 0.25
    several = [noisy(line, disputed_note, 20) for line in range(10, 13)]
    assert score(several)[0] < 0.5


MIXIN = """\
class Asserts:
    def check_equal(self, a: int, b: int) -> None:
        self.assertEqual(a, b)
"""


def test_a_mixin_calling_its_test_case_methods_is_no_alarm(make_repo: MakeRepo) -> None:
    repo = make_repo({"pkg/__init__.py": "", "pkg/testing.py": MIXIN})
    added = MIXIN + "\n    def check_true(self, x: bool) -> None:\n        self.assertTrue(x)\n"
    report = check_patch(
        diff_after_edit(repo, {"pkg/testing.py": added}), repo, analyzers=frozenset({"mypy"})
    )
    (scored,) = report.findings
    assert scored.finding.rule == "attr-defined" and "familiar" in scored.finding.evidence_dict()
    assert report.verdict == "pass"


PROCESSOR = """\
from __future__ import annotations


class Stash:
    def store(self, html: str) -> str:
        return html


class Markdown:
    stash = Stash()


class Processor:
    def __init__(self, md: Markdown = None) -> None:
        self.md = md


class RawHtml(Processor):
    def run(self, text: str) -> str:
        return self.md.stash.store(text)
"""


def test_a_none_default_declared_optional_makes_old_uses_explicit_not_wrong(make_repo: MakeRepo) -> None:
    """``md: Markdown = None`` made ``md: Markdown | None = None``: mypy's implicit-Optional
    complaint goes, and the unchanged ``self.md.stash`` now is ``Item "None" of "Markdown | None"``.
    md could be None before too: INFO. The same complaint on a line the patch writes counts."""
    repo = make_repo({"proc.py": PROCESSOR})
    declared = PROCESSOR.replace("md: Markdown = None", "md: Markdown | None = None")
    report = check_patch(diff_after_edit(repo, {"proc.py": declared}), repo, analyzers=frozenset({"mypy"}))
    assert [(s.finding.line, s.finding.rule, s.weight) for s in report.findings] == [(20, "union-attr", 0.0)]
    assert "could be None before" in report.findings[0].finding.evidence_dict()["made-explicit"]
    added = declared.replace("        return self.md.stash.store(text)\n",
                             "        return self.md.stash.store(text)\n\n    def again(self) -> str:\n"
                             "        return self.md.stash.store('x')\n")  # fmt: skip
    report = check_patch(diff_after_edit(repo, {"proc.py": added}), repo, analyzers=frozenset({"mypy"}))
    assert sorted((s.finding.line, s.weight > 0) for s in report.findings) == [(20, False), (23, True)]
    # Still declared Markdown, a None now possible from elsewhere: not explained.
    other = PROCESSOR.replace("    def run(self, text: str) -> str:\n        return self.md",
                              "    def run(self, text: str, md: Markdown | None = None) -> str:\n        return md")  # fmt: skip
    report = check_patch(diff_after_edit(repo, {"proc.py": other}), repo, analyzers=frozenset({"mypy"}))
    assert [s.finding.rule for s in report.findings if s.weight > 0] == ["union-attr"]
