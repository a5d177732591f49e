"""guard's security rules exist only for what bandit misses: on each of their INVALID examples,
bandit reports nothing, or only at LOW severity (which guard keeps as information only) or LOW
confidence (B604's "possible security issue" for ``shell=True`` on a callee it cannot resolve,
which weighs little in the score)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from guard.rules.hardcoded_secret import HardcodedSecret
from guard.rules.shell_injection import ShellInjection
from guard.rules.timing_unsafe_compare import TimingUnsafeCompare
from guard.rules.tls_verify_disabled import TlsVerifyDisabled

from guard.rulekit import Example

EXAMPLES = [
    (rule.ID, n, example)
    for rule in (ShellInjection, HardcodedSecret, TimingUnsafeCompare, TlsVerifyDisabled)
    for n, example in enumerate(rule.INVALID, 1)
]


@pytest.fixture(scope="module")
def bandit_results(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[dict[str, object]]]:
    root = tmp_path_factory.mktemp("gaps")
    for rule_id, n, example in EXAMPLES:
        (root / f"{rule_id.replace('-', '_')}_{n}.py").write_text(example.after, encoding="utf-8")
    out = subprocess.run(
        [sys.executable, "-m", "bandit", "-q", "-f", "json", "-r", str(root)],
        capture_output=True, text=True, check=False,
    ).stdout  # fmt: skip
    results: dict[str, list[dict[str, object]]] = {}
    for item in json.loads(out)["results"]:
        results.setdefault(Path(item["filename"]).stem, []).append(item)
    return results


@pytest.mark.parametrize(("rule_id", "n", "example"), EXAMPLES, ids=[f"{r}-{n}" for r, n, _ in EXAMPLES])
def test_bandit_misses_or_rates_low(
    rule_id: str, n: int, example: Example, bandit_results: dict[str, list[dict[str, object]]]
) -> None:
    lines = set(example.lines)
    seen = bandit_results.get(f"{rule_id.replace('-', '_')}_{n}", [])
    serious = [
        r
        for r in seen
        if r["line_number"] in lines and r["issue_severity"] != "LOW" and r["issue_confidence"] != "LOW"
    ]
    assert serious == [], f"bandit already reports this well: {serious}"
