from __future__ import annotations

from guard.api import check_patch
from guard.checks.mypy import weigh_by_noise
from tests.conftest import MakeRepo, diff_after_edit
from guard.findings import Confidence, Finding, Severity


def f(path: str, rule: str = "attr-defined", severity: Severity = Severity.ERROR) -> Finding:
    return Finding(path, 3, 1, rule, "mypy", "m", severity, Confidence.HIGH)


def test_new_mypy_findings_weigh_less_where_mypy_already_complained() -> None:
    new = [f("noisy.py"), f("clean.py")]
    before = [f("noisy.py", "arg-type"), f("clean.py", "import-untyped", Severity.INFO)]
    noisy, clean = weigh_by_noise(new, before)
    assert noisy.confidence is Confidence.MEDIUM and dict(noisy.evidence)["mypy-noise"].startswith("mypy already")
    assert clean.confidence is Confidence.HIGH and not clean.evidence  # INFO before is not noise


def test_two_arguments_swapped_are_one_firm_finding_even_in_a_noisy_file(make_repo: MakeRepo) -> None:
    """``label(count, name)`` for ``label(name: str, count: int)``: mypy rejects both arguments,
    each with the type the other expects. In a file mypy already disputes, two plain arg-type
    errors would weigh little; the pair is one firm finding that fails the patch. A single wrong
    argument in the same file stays as weak as before."""
    noisy = "import os\n\nx: int = 'a'\ny: str = 1\n\n\ndef label(name: str, count: int) -> str:\n    return name * count\n\n\n"
    repo = make_repo({"pkg/__init__.py": "", "pkg/m.py": noisy + "def use(n: int, s: str) -> str:\n    return label(s, n)\n"})
    swapped = diff_after_edit(repo, {"pkg/m.py": noisy + "def use(n: int, s: str) -> str:\n    return label(n, s)\n"})
    report = check_patch(swapped, repo, analyzers=frozenset({"mypy"}), execute=False)
    arg = [s for s in report.findings if s.finding.rule == "arg-type"]
    assert len(arg) == 1 and "look swapped" in arg[0].finding.message, report.findings
    assert report.verdict == "fail"
    one = diff_after_edit(repo, {"pkg/m.py": noisy + "def use(n: int, s: str) -> str:\n    return label(s, s)\n"})
    report = check_patch(one, repo, analyzers=frozenset({"mypy"}), execute=False)
    arg = [s for s in report.findings if s.finding.rule == "arg-type"]
    assert len(arg) == 1 and "swapped" not in arg[0].finding.message
    assert dict(arg[0].finding.evidence).get("mypy-noise")
