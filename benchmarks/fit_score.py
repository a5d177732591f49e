"""Fit guard's score model (guard/data/score_model.json) on the fixture evaluation.

Input: the JSON lines of ``benchmarks/fixtures_eval.py`` (one per fixture case: label, repo,
findings). Each finding's features come from ``guard.score.patch_features`` — the function the run
time uses — and the model is a noisy-OR of per-finding logistic probabilities plus a leak (the
hallucinations no finding explains), fitted by penalised maximum likelihood. The penalty pulls
each coefficient towards its prior (the hand-set class weights, 0 for the rest); its strength is
chosen by leave-one-repo-out cross-validation on the training cases only.

    .venv/bin/python benchmarks/fit_score.py [--eval .bench/fixtures_eval.jsonl] [--dry-run]
        [--with-injections [--inject-cache FILE]] [--cv-releases] [--without FEATURE ...]

``--cv-releases`` prints, for the release rows (clean and injected) only, the cross-validated
predictions (each package's rows scored by a model fitted without that package's fold) at the
threshold: the share of clean release diffs failed and of injected ones caught per class, next to
the shipped model's figures on the same rows (in-sample for the rows it was fitted on).
``--without`` leaves a feature out of the fit (an ablation: is the feature worth its place?).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

import numpy as np
from scipy.optimize import minimize

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from guard.diff import parse_patch  # noqa: E402
from guard.findings import Confidence, Finding, Severity  # noqa: E402
from guard.score import FIRM_PRIORS, Model, PatchFacts, counts, patch_features, prior_logits, score  # noqa: E402

MODEL_PATH = ROOT / "guard" / "data" / "score_model.json"
EVAL_PATH = ROOT / ".bench" / "fixtures_eval.jsonl"
RELEASES_PATH = ROOT / ".bench" / "release_findings.jsonl"  # written by score_report.py
RELEASE_GROUP = "release:"
MIN_SUPPORT = 3  # cases a rule must fire in before it gets its own coefficient
LAMBDAS = (0.03, 0.1, 0.3, 1.0, 3.0)
# The class coefficients are the fallback for every rule the fit has too few cases of; a few
# cases must not move them far from the hand-set table, whatever penalty suits the rules.
CLASS_LAMBDA = 1.0


@dataclass(frozen=True)
class Case:
    name: str
    repo: str
    label: int
    classes: tuple[str, ...]
    findings: tuple[Finding, ...]
    facts: PatchFacts


def load_cases(path: Path = EVAL_PATH) -> list[Case]:
    cases = []
    for line in path.read_text().splitlines():
        row = json.loads(line)
        diff = (ROOT / "fixtures" / "cases" / row["case"] / "patch.diff").read_text()
        # Rows written before fixtures_eval.py kept symbols: a property finding's guessed from its message.
        findings = tuple(
            finding_from_json(f if "symbol" in f or f["analyzer"] != "properties" else {**f, "symbol": guess_symbol(f["message"])})
            for f in row["findings"]
        )
        cases.append(Case(row["case"], row["repo"], int(row["label"] != "clean"), tuple(row["classes"]),
                          findings, PatchFacts.from_patch(parse_patch(diff))))  # fmt: skip
    corpus = len(list((ROOT / "fixtures" / "cases").glob("*/*/patch.diff")))
    if len(cases) < corpus:  # fixtures_eval.py --repo/--case writes its default output too
        raise SystemExit(f"{path} holds {len(cases)} of the {corpus} fixture cases (a partial run?); "
                         "fit and report only on a full run of benchmarks/fixtures_eval.py")  # fmt: skip
    return cases


def load_release_cases(path: Path = RELEASES_PATH) -> list[Case]:
    """Release diffs of the TUNED set as clean cases, one group per package (see score_report.py).
    The HELD_OUT set never enters a fit."""
    from release_diffs import TUNED

    cases = []
    for line in path.read_text().splitlines():
        row = json.loads(line)
        if row["key"].split()[0] not in TUNED:
            continue
        findings = tuple(finding_from_json(f) for f in row["findings"])
        group = RELEASE_GROUP + row["key"].split()[0]
        cases.append(Case(row["key"], group, 0, ("release",), findings, facts_from_json(row["facts"])))
    return cases


INJECT_PATH = ROOT / ".bench" / "inject_findings.jsonl"  # written by inject_eval.py


def load_inject_cases(path: Path = INJECT_PATH) -> list[Case]:
    """Release diffs as released (clean) and with one injected hallucination each (see
    inject_eval.py), of the sets a fit may use (release_diffs.FIT_SETS), one group per package."""
    from release_diffs import FIT_SETS

    cases = []
    for line in path.read_text().splitlines():
        row = json.loads(line)
        if row["set"] not in FIT_SETS:
            continue
        findings = tuple(finding_from_json(f) for f in row["findings"])
        label = int(row["kind"] == "injected")
        classes = (row["cls"],) if label else ("release",)
        cases.append(Case(row["key"], RELEASE_GROUP + row["package"], label, classes, findings, facts_from_json(row["facts"])))
    return cases


def facts_from_json(d: dict[str, Any]) -> PatchFacts:
    """The recorded patch facts; a field recorded before it was dropped, or missing because it was
    added later, is ignored or left at its default."""
    known = {f.name for f in fields(PatchFacts)}
    return PatchFacts(**{k: tuple(v) if isinstance(v, list) else v for k, v in d.items() if k in known})


def finding_json(f: Finding) -> dict[str, object]:
    """A finding as the benchmarks' caches store it (the inverse of ``finding_from_json``)."""
    return {"rule": f.rule, "analyzer": f.analyzer, "path": f.path, "line": f.line, "column": f.column,
            "message": f.message, "severity": f.severity.label, "confidence": f.confidence.label,
            "symbol": f.symbol, "evidence": dict(f.evidence)}  # fmt: skip


def read_rows(path: Path) -> dict[str, dict[str, Any]]:
    """A benchmark cache of JSON lines, by each row's ``key`` (empty when there is none yet)."""
    if not path.exists():
        return {}
    rows = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    return {str(r["key"]): r for r in rows}


def write_rows(path: Path, rows: dict[str, dict[str, Any]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r) + "\n" for r in rows.values()))


def guess_symbol(message: str) -> str:
    """The function a property-stage message is about, for a cached finding recorded without its
    symbol: the dotted chain of names before the message's first top-level space, arguments
    skipped (``Event(kind='').branch changed ...`` is ``Event.branch``); '' for a module."""
    if message.startswith("module "):
        return ""
    if message.startswith("x = "):  # x = Cls(...); x.first(...); x.meth(...) changed behaviour
        calls = re.findall(r"; x\.(\w+)", message.split(" changed behaviour")[0])
        return ".".join([guess_symbol(message[4:]).split(".")[0], *calls[-1:]])
    parts: list[str] = []
    depth, name, quote = 0, "", ""
    for ch in message:
        if quote:  # inside a string literal of the arguments: its brackets are text
            quote = "" if ch == quote else quote
            continue
        if depth and ch in "'\"":
            quote = ch
            continue
        if depth == 0 and (ch.isalnum() or ch == "_"):
            name += ch
            continue
        if name:
            parts.append(name)
            name = ""
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth = max(0, depth - 1)
        elif depth == 0 and ch != ".":
            break
    return ".".join(parts + ([name] if name else []))


def complete_rows(rows: dict[str, dict[str, Any]]) -> int:
    """Fill in, in place, what rows of an inject cache written before findings kept their symbols
    and facts their test names lack: a property-stage finding's symbol guessed from its message
    (``guess_symbol``), and the test names of the release diff as released (an injection rewrites
    a test file only for the test classes, whose findings are not runtime ones). Returns how many
    rows were completed."""
    from injections import targets
    from release_diffs import FIT_SETS, release_diff, selected

    from guard.score import RUNTIME_ANALYZERS

    todo = [r for r in rows.values() if "test_names" not in r["facts"]]
    wanted = {r["release"] for r in todo}
    names: dict[str, list[str]] = {}
    for label in FIT_SETS:
        for target in targets(selected({r.split()[0] for r in wanted}, label)):
            if target.key in wanted and target.key not in names:
                diff, _ = release_diff(target.old, target.new)
                names[target.key] = list(PatchFacts.from_patch(parse_patch(diff)).test_names)
    done = 0
    for r in todo:
        if r["release"] not in names:
            continue
        r["facts"]["test_names"] = names[r["release"]]
        for f in r["findings"]:
            if "symbol" not in f and f["analyzer"] in RUNTIME_ANALYZERS:
                f["symbol"] = guess_symbol(f["message"])
        done += 1
    return done


def finding_from_json(d: dict[str, Any]) -> Finding:
    return Finding(path=d["path"], line=d["line"], column=d.get("column", 0), rule=d["rule"],
                   analyzer=d["analyzer"], message=d.get("message", ""),
                   severity=Severity[d["severity"].upper()],
                   confidence=Confidence[d["confidence"].upper()], symbol=d.get("symbol", ""),
                   evidence=tuple(d.get("evidence", {}).items()))  # fmt: skip


def known_rules(cases: Sequence[Case]) -> frozenset[str]:
    support = Counter(rule for c in cases for rule in {f.rule for f in c.findings if counts(f)})
    return frozenset(rule for rule, n in support.items() if n >= MIN_SUPPORT)


@dataclass
class Design:
    names: list[str]
    x: np.ndarray  # one row per counting finding
    case_of: np.ndarray  # the case index of each row
    y: np.ndarray
    prior: np.ndarray
    w: np.ndarray  # each case's weight in the likelihood (case_weights)


def case_weights(cases: Sequence[Case]) -> np.ndarray:
    """Each case's weight in the fit. A fixture case counts once. The release rows hold up to
    four injected diffs per clean one, and at that mix a fit learns that a real release diff
    is most likely hallucinated: its clean rows are weighted so that, together, they weigh as
    much as the injected ones (the fixtures have no such skew: 167 hallucinated, 87 clean)."""
    release = [c.repo.startswith(RELEASE_GROUP) for c in cases]
    injected = sum(1 for c, r in zip(cases, release, strict=True) if r and c.label)
    clean = sum(1 for c, r in zip(cases, release, strict=True) if r and not c.label)
    scale = injected / clean if clean and injected else 1.0
    return np.array([scale if r and not c.label else 1.0 for c, r in zip(cases, release, strict=True)])


def design(cases: Sequence[Case], known: frozenset[str], without: frozenset[str] = frozenset()) -> Design:
    rows: list[dict[str, float]] = []
    case_of: list[int] = []
    for i, c in enumerate(cases):
        for f, feats in zip(c.findings, patch_features(c.findings, c.facts, known), strict=True):
            if counts(f):
                rows.append({k: v for k, v in feats if k not in without})
                case_of.append(i)
    priors = prior_logits()
    names = sorted(set(priors) | {k for r in rows for k in r})
    index = {n: j for j, n in enumerate(names)}
    x = np.zeros((len(rows), len(names)))
    for r, feats in enumerate(rows):
        for k, v in feats.items():
            x[r, index[k]] = v
    prior = np.array([priors.get(n, 0.0) for n in names])
    y = np.array([c.label for c in cases], dtype=float)
    return Design(names, x, np.array(case_of, dtype=int), y, prior, case_weights(cases))


def _softplus(z: np.ndarray) -> np.ndarray:
    return np.logaddexp(0.0, z)


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.tanh(0.5 * z))


def fit(d: Design, lam: float) -> tuple[np.ndarray, float]:
    """Penalised maximum likelihood: the coefficients and the leak's logit."""
    n = len(d.y)
    lams = np.array(
        [max(lam, CLASS_LAMBDA) if name.startswith("class:") or name in FIRM_PRIORS else lam for name in d.names]
    )

    def objective(params: np.ndarray) -> tuple[float, np.ndarray]:
        theta, a = params[:-1], params[-1]
        z = d.x @ theta
        logq = -np.bincount(d.case_of, weights=_softplus(z), minlength=n) - float(
            _softplus(np.array(a))
        )
        logq = np.minimum(logq, -1e-12)
        log_p = np.log(-np.expm1(logq))
        nll = -float(np.sum(d.w * (d.y * log_p + (1 - d.y) * logq)))
        g = d.w * (d.y * np.exp(logq - log_p) - (1 - d.y))  # d nll / d logq
        grad_theta = -(g[d.case_of] * _sigmoid(z)) @ d.x + 2 * lams * (theta - d.prior)
        grad_a = -float(np.sum(g)) * float(_sigmoid(np.array(a)))
        penalty = float(np.sum(lams * (theta - d.prior) ** 2))
        return nll + penalty, np.append(grad_theta, grad_a)

    start = np.append(d.prior, -2.0)
    result = minimize(objective, start, jac=True, method="L-BFGS-B")
    return result.x[:-1], float(result.x[-1])


def to_model(d: Design, theta: np.ndarray) -> Model:
    return Model(coef=dict(zip(d.names, (float(t) for t in theta), strict=True)))


def predict(model: Model, cases: Sequence[Case]) -> np.ndarray:
    """The shipped score of each case (leak left out), through guard.score itself."""
    return np.array([score(c.findings, c.facts, model)[0] for c in cases])


def _log_loss(y: np.ndarray, p: np.ndarray, leak: float, w: np.ndarray | None = None) -> float:
    p = 1 - (1 - p) * (1 - leak)
    p = np.clip(p, 1e-6, 1 - 1e-6)
    w = np.ones_like(y) if w is None else w
    return -float(np.sum(w * (y * np.log(p) + (1 - y) * np.log(1 - p))) / np.sum(w))


def fit_cases(
    cases: Sequence[Case], lam: float | None = None, without: frozenset[str] = frozenset()
) -> tuple[Model, float, float]:
    """The model fitted on ``cases``, its leak, and the penalty chosen by leave-one-repo-out.
    ``without``: features left out (their coefficient stays at its prior, 0 for most)."""
    if lam is None:
        lam = choose_lambda(cases, without)
    d = design(cases, known_rules(cases), without)
    theta, a = fit(d, lam)
    return to_model(d, theta), float(_sigmoid(np.array(a))), lam


RELEASE_FOLDS = 5  # release packages are left out this many folds at a time (by package)


def folds(cases: Sequence[Case]) -> list[frozenset[str]]:
    """The groups left out together in cross-validation: each fixture repo alone, and the release
    packages (each wholly in one fold) in RELEASE_FOLDS folds, by sorted name."""
    repos = sorted({c.repo for c in cases})
    fixtures = [frozenset({r}) for r in repos if not r.startswith(RELEASE_GROUP)]
    packages = [r for r in repos if r.startswith(RELEASE_GROUP)]
    released = [frozenset(packages[i::RELEASE_FOLDS]) for i in range(min(RELEASE_FOLDS, len(packages)))]
    return fixtures + released


def choose_lambda(cases: Sequence[Case], without: frozenset[str] = frozenset()) -> float:
    losses = []
    for lam in LAMBDAS:
        loss = 0.0
        for held in folds(cases):
            train = [c for c in cases if c.repo not in held]
            test = [c for c in cases if c.repo in held]
            model, leak, _ = fit_cases(train, lam, without)
            weights = case_weights(test)
            loss += _log_loss(
                np.array([c.label for c in test], dtype=float), predict(model, test), leak, weights
            ) * float(np.sum(weights))
        losses.append(loss)
    return LAMBDAS[int(np.argmin(losses))]


def cross_validate(
    cases: Sequence[Case], without: frozenset[str] = frozenset()
) -> tuple[np.ndarray, dict[str, float]]:
    """Cross-validated scores of every case (each fold of ``folds`` scored by a model fitted without
    it); the penalty is chosen inside each training fold."""
    scores = np.zeros(len(cases))
    lams: dict[str, float] = {}
    for held in folds(cases):
        train = [c for c in cases if c.repo not in held]
        idx = [i for i, c in enumerate(cases) if c.repo in held]
        name = next(iter(held)) if len(held) == 1 else f"{len(held)} release packages"
        model, _, lams[name] = fit_cases(train, without=without)
        scores[idx] = predict(model, [cases[i] for i in idx])
    return scores, lams


@dataclass(frozen=True)
class ReleaseFigures:
    """At one threshold, on the release rows: clean diffs failed, injected ones caught per class."""

    clean_failed: int
    clean: int
    caught: dict[str, tuple[int, int]]  # class -> (caught, injected)

    def lines(self) -> list[str]:
        out = [f"clean failed {self.clean_failed}/{self.clean} = {self.clean_failed / max(self.clean, 1):.1%}"]
        total = [sum(v[0] for v in self.caught.values()), sum(v[1] for v in self.caught.values())]
        for cls, (k, n) in sorted(self.caught.items()):
            out.append(f"{cls:26} caught {k}/{n} = {k / max(n, 1):.1%}")
        out.append(f"{'all injected':26} caught {total[0]}/{total[1]} = {total[0] / max(total[1], 1):.1%}")
        return out


def release_figures(cases: Sequence[Case], scores: np.ndarray, threshold: float = 0.5) -> ReleaseFigures:
    """The figures of the release rows (group ``release:``) among ``cases`` scored ``scores``."""
    clean = failed = 0
    caught: dict[str, list[int]] = {}
    for c, s in zip(cases, scores, strict=True):
        if not c.repo.startswith(RELEASE_GROUP):
            continue
        if not c.label:
            clean += 1
            failed += int(s >= threshold)
            continue
        for cls in c.classes:
            k = caught.setdefault(cls, [0, 0])
            k[0] += int(s >= threshold)
            k[1] += 1
    return ReleaseFigures(failed, clean, {cls: (k, n) for cls, (k, n) in caught.items()})


def cv_release_report(
    cases: Sequence[Case], shipped: Model, without: frozenset[str] = frozenset(), threshold: float = 0.5
) -> tuple[ReleaseFigures, ReleaseFigures]:
    """The release rows' figures, cross-validated and under the shipped model; printed side by side."""
    cv_scores, lams = cross_validate(cases, without)
    cv = release_figures(cases, cv_scores, threshold)
    ship = release_figures(cases, predict(shipped, cases), threshold)
    print(f"release rows at threshold {threshold:g} (penalties by fold: {lams})")
    print(f"  {'cross-validated refit':58} | shipped model (in-sample where fitted on these rows)")
    for a, b in zip(cv.lines(), ship.lines(), strict=True):
        print(f"  {a:58} | {b}")
    return cv, ship


def model_json(
    model: Model, leak: float, lam: float, cases: Sequence[Case], source: str
) -> dict[str, Any]:
    return {
        "format": 1,
        "about": "Fitted by benchmarks/fit_score.py; see guard/score.py for how it is used.",
        "fitted_on": {"source": source, "cases": len(cases), "hallucinated": sum(c.label for c in cases),
                      "repos": sorted({c.repo for c in cases}), "min_rule_support": MIN_SUPPORT},
        "lambda": lam,
        "class_lambda": CLASS_LAMBDA,
        "leak": round(leak, 4),
        "coef": {k: round(v, 4) for k, v in sorted(model.coef.items())},
    }  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--eval", type=Path, default=EVAL_PATH)
    parser.add_argument("--out", type=Path, default=MODEL_PATH)
    parser.add_argument("--with-releases", action="store_true",
                        help=f"also fit on the release diffs in {RELEASES_PATH.name}, as clean cases")  # fmt: skip
    parser.add_argument("--with-injections", action="store_true",
                        help=f"also fit on the release diffs, clean and injected, in {INJECT_PATH.name}")  # fmt: skip
    parser.add_argument("--inject-cache", type=Path, default=INJECT_PATH,
                        help=f"the inject_eval.py cache --with-injections reads (default: {INJECT_PATH.name})")  # fmt: skip
    parser.add_argument("--cv-releases", action="store_true",
                        help="print the cross-validated figures on the release rows next to the shipped model's")  # fmt: skip
    parser.add_argument("--threshold", type=float, default=0.5)
    parser.add_argument("--without", action="append", default=[], metavar="FEATURE",
                        help="leave this feature out of the fit (repeatable)")  # fmt: skip
    parser.add_argument("--dry-run", action="store_true", help="print the model, do not write it")
    parser.add_argument("--complete-cache", nargs=2, type=Path, metavar=("IN", "OUT"),
                        help="write a copy of an inject cache with symbols and test names filled in, and stop")  # fmt: skip
    args = parser.parse_args()
    if args.complete_cache:
        rows = read_rows(args.complete_cache[0])
        print(f"completed {complete_rows(rows)} of {len(rows)} rows")
        write_rows(args.complete_cache[1], rows)
        return
    without = frozenset(args.without)
    cases = load_cases(args.eval) + (load_release_cases() if args.with_releases else [])
    cases += load_inject_cases(args.inject_cache) if args.with_injections else []
    if args.cv_releases:
        from guard.score import load_model

        cv_release_report(cases, load_model(), without, args.threshold)
    model, leak, lam = fit_cases(cases, without=without)
    source = args.eval.name + (f" + {RELEASES_PATH.name}" if args.with_releases else "")
    source += f" + {args.inject_cache.name}" if args.with_injections else ""
    source += "".join(f" without {name}" for name in sorted(without))
    data = model_json(model, leak, lam, cases, source)
    text = json.dumps(data, indent=1) + "\n"
    if args.dry_run:
        print(text)
        return
    args.out.write_text(text)
    print(f"wrote {args.out}: {len(data['coef'])} coefficients, lambda {lam}, leak {leak:.3f}")
    for name, value in sorted(data["coef"].items(), key=lambda kv: -kv[1]):
        print(f"  {value:+7.3f}  {name}")


if __name__ == "__main__":
    main()
