"""Run guard over every fixture case and measure it against the cases' labels.

For each case: the verdict, the score, every finding, and whether each expected hallucination was
*located* (some finding on its path and line). Prints recall per class, false alarms on clean cases,
location rate, and the rules that fire on clean cases; writes one JSON line per case to --out (the
input of benchmarks/fit_score.py).

    python benchmarks/fixtures_eval.py [--repo NAME] [--case SUBSTR] [--no-exec] [--out FILE]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

import tomllib

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from guard.api import check_patch  # noqa: E402

FIXTURES = ROOT / "fixtures"


def load_cases(repo: str | None = None, needle: str | None = None) -> list[tuple[Path, dict[str, Any]]]:
    out = []
    for toml_path in sorted((FIXTURES / "cases").glob("*/*/case.toml")):
        case = toml_path.parent
        if repo and case.parent.name != repo:
            continue
        if needle and needle not in case.name:
            continue
        out.append((case, tomllib.loads(toml_path.read_text())))
    return out


def evaluate(case: Path, meta: dict[str, Any], execute: bool) -> dict[str, Any]:
    repo = FIXTURES / "repos" / case.parent.name
    started = time.perf_counter()
    report = check_patch((case / "patch.diff").read_text(), repo, execute=execute)
    elapsed = time.perf_counter() - started
    findings = [
        {"rule": s.finding.rule, "analyzer": s.finding.analyzer, "path": s.finding.path,
         "line": s.finding.line, "weight": s.weight, "severity": s.finding.severity.label,
         "confidence": s.finding.confidence.label, "message": s.finding.message, "symbol": s.finding.symbol,
         "evidence": s.finding.evidence_dict()}
        for s in report.findings
    ]  # fmt: skip
    expects = meta.get("expect", [])
    located = [
        any(f["path"] == e["path"] and f["line"] == e["line"] and f["weight"] > 0 for f in findings)
        for e in expects
    ]
    return {
        "case": f"{case.parent.name}/{case.name}",
        "repo": case.parent.name,
        "label": meta["label"],
        "kind": meta.get("kind", ""),
        "classes": sorted({e["class"] for e in expects}) or ["clean"],
        "expect": expects,
        "located": located,
        "verdict": report.verdict,
        "score": report.score,
        "findings": findings,
        "tool_errors": [e.message for e in report.tool_errors],
        "seconds": round(elapsed, 3),
    }


def summarize(rows: list[dict[str, Any]]) -> None:
    per_class: dict[str, list[bool]] = defaultdict(list)
    for r in rows:
        for cls in r["classes"]:
            per_class[cls].append(r["verdict"] == "fail")
    print(f"{'class':26}{'n':>5}{'flagged':>9}")
    for cls in sorted(per_class, key=lambda c: (c == "clean", c)):
        flags = per_class[cls]
        print(f"{cls:26}{len(flags):>5}{sum(flags) / len(flags):>9.0%}")
    bad = [r for r in rows if r["label"] != "clean"]
    clean = [r for r in rows if r["label"] == "clean"]
    located = [x for r in bad for x in r["located"]]
    if bad:
        print(f"\nhallucinated flagged: {sum(r['verdict'] == 'fail' for r in bad)}/{len(bad)}")
        print(f"expected lines located: {sum(located)}/{len(located)}")
    if clean:
        alarms = [r for r in clean if r["verdict"] == "fail"]
        print(f"false alarms on clean: {len(alarms)}/{len(clean)}")
        rules = Counter(f["rule"] for r in alarms for f in r["findings"] if f["weight"] > 0)
        print("rules firing on clean cases:", dict(rules.most_common()))
        for r in alarms:
            top = [f"{f['rule']}@{f['path']}:{f['line']}" for f in r["findings"] if f["weight"] > 0][:3]
            print(f"  {r['case']}: {r['score']:.2f} {top}")
    errors = Counter(e for r in rows for e in r["tool_errors"])
    if errors:
        print("tool errors:", dict(errors.most_common(5)))
    secs = sorted(r["seconds"] for r in rows)
    print(f"\nmedian {secs[len(secs) // 2]:.2f}s, max {secs[-1]:.2f}s per case (in-process)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repo")
    parser.add_argument("--case")
    parser.add_argument("--no-exec", action="store_true")
    parser.add_argument("--out", type=Path, default=ROOT / ".bench" / "fixtures_eval.jsonl")
    parser.add_argument("--missed", action="store_true", help="list hallucinated cases not flagged")
    args = parser.parse_args()
    rows = []
    cases = load_cases(args.repo, args.case)
    for n, (case, meta) in enumerate(cases, 1):
        row = evaluate(case, meta, execute=not args.no_exec)
        rows.append(row)
        mark = "ok " if (row["verdict"] == "fail") == (row["label"] != "clean") else "BAD"
        print(f"[{n}/{len(cases)}] {mark} {row['case']} {row['verdict']} {row['score']:.2f}", file=sys.stderr)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text("".join(json.dumps(r) + "\n" for r in rows))
    summarize(rows)
    if args.missed:
        for r in rows:
            if r["label"] != "clean" and r["verdict"] != "fail":
                print(f"  missed {r['case']} {r['classes']}")


if __name__ == "__main__":
    main()
