from __future__ import annotations

from guard.checks.mypy import weigh_by_noise
from guard.findings import Confidence, Finding, Severity


def f(path: str, rule: str = "attr-defined", severity: Severity = Severity.ERROR) -> Finding:
    return Finding(path, 3, 1, rule, "mypy", "m", severity, Confidence.HIGH)


def test_new_mypy_findings_weigh_less_where_mypy_already_complained() -> None:
    new = [f("noisy.py"), f("clean.py")]
    before = [f("noisy.py", "arg-type"), f("clean.py", "import-untyped", Severity.INFO)]
    noisy, clean = weigh_by_noise(new, before)
    assert noisy.confidence is Confidence.MEDIUM and dict(noisy.evidence)["mypy-noise"].startswith("mypy already")
    assert clean.confidence is Confidence.HIGH and not clean.evidence  # INFO before is not noise
