"""The score: how likely the patch is plausible-looking but wrong. A pure function of findings.

Each finding gets its own probability of meaning "this patch is wrong" from a small logistic model
over the finding's features (its severity/confidence class, its rule, facts about the patch), and
the findings combine as independent evidence, a noisy-OR:

    weight_i = sigmoid(sum of the coefficients of finding i's features)
    score    = 1 - prod(1 - weight_i)

The coefficients live in one data file, ``guard/data/score_model.json``, fitted on the fixture
corpus by ``benchmarks/fit_score.py``. The class coefficients start from a hand-set table (the fit's
prior), so a rule the fit never saw still counts by its severity and confidence. A patch without
findings scores 0: the fit's "leak" (hallucinations no finding explains) describes the corpus, not
the patch, and is left out at run time.
"""

from __future__ import annotations

import json
import keyword
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from guard.diff import Patch
from guard.findings import Confidence, Finding, Severity
from guard.repo import is_test_path

# The prior for each severity/confidence class: the hand-set weights the fit starts from.
PRIOR_WEIGHTS: Mapping[tuple[Severity, Confidence], float] = {
    (Severity.ERROR, Confidence.HIGH): 0.90,
    (Severity.ERROR, Confidence.MEDIUM): 0.70,
    (Severity.ERROR, Confidence.LOW): 0.40,
    (Severity.WARNING, Confidence.HIGH): 0.60,
    (Severity.WARNING, Confidence.MEDIUM): 0.35,
    (Severity.WARNING, Confidence.LOW): 0.15,
}

# Findings that never count, whatever the model says: they describe guard, not the patch.
# INFO findings never count either: an analyzer marks a finding INFO to show it, not to weigh it.
ZERO_RULES = frozenset({"tool-error"})

# Rules that only ever report in test files.
TEST_RULES = frozenset({"test-tampering"})

# Analyzers whose findings are observed behaviour (old vs new run), not static suspicion.
RUNTIME_ANALYZERS = frozenset({"properties"})
# Runtime findings from the repo's own tests failing: updated tests in the patch do not make them
# meant (a test that fails says the opposite), so patch:touches-tests*runtime leaves them alone.
TESTS_FAILING = frozenset({"test-regression", "test-fails"})
# Runtime findings that are crashes of the patched code, never a changed result: see finding_features.
CRASH_RULES = frozenset({"runtime-error"})


@dataclass(frozen=True)
class PatchFacts:
    """What the score may know about the patch beyond its findings (Python files only)."""

    touches_tests: bool = False
    only_tests: bool = False
    changed_lines: int = 0  # added and removed lines of Python files
    test_names: tuple[str, ...] = ()
    """The names the edited test code refers to: every identifier (and every part of a dotted
    name in a string, ``mock.patch("pkg.mod.func")``) on the lines of the test files' hunks,
    changed and context, sorted, keywords left out. See ``edited_tests_name``."""

    @classmethod
    def from_patch(cls, patch: Patch) -> PatchFacts:
        files = [f for f in patch.files if f.is_python]
        tests = [is_test_path(f.path) for f in files]
        names = {
            name
            for f, test in zip(files, tests, strict=True)
            if test
            for h in f.hunks
            for line in h.lines
            for name in _IDENTIFIER.findall(line[1:])
        }
        return cls(
            touches_tests=any(tests),
            only_tests=bool(tests) and all(tests),
            changed_lines=sum(
                1 for f in files for h in f.hunks for line in h.lines if line[:1] in ("+", "-")
            ),
            test_names=tuple(sorted(names - set(keyword.kwlist))),
        )


_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def subject_names(finding: Finding) -> frozenset[str]:
    """The names a test calling the function a finding is about would use: the function's own
    name (a method's too, ``obj.meth(...)``), or for a special method (``__eq__``, ``__init__``),
    which tests reach through operators and constructors, its class's. Empty for a finding not
    about a function (module level, no symbol)."""
    parts = [p for p in finding.symbol.split(".") if p and p != "<locals>"]
    if not parts:
        return frozenset()
    name = parts[-1]
    if name.startswith("__") and name.endswith("__"):
        return frozenset(parts[-2:-1])
    return frozenset({name})


def crashed_where_old_did_not(finding: Finding) -> bool:
    """A runtime-error that uses something that is not there (AttributeError, NameError,
    ImportError, from a line of the patched function that is no ``raise``) on an input the old
    version returned on (its result is the finding's ``old`` evidence). A TypeError is left out:
    it is as often a library call rejecting a value (oauthlib 4.0.0's hmac.compare_digest on a
    non-ASCII string, a meant change), and so is an input the old version raised on too."""
    if finding.rule not in CRASH_RULES:
        return False
    evidence = dict(finding.evidence)
    old, new = evidence.get("old"), evidence.get("new", "")
    return old is not None and not old.startswith("raises") and new.startswith(_MISSING_THING)


_MISSING_THING = ("raises AttributeError", "raises NameError", "raises UnboundLocalError", "raises ImportError",
                  "raises ModuleNotFoundError")


def edited_tests_name(finding: Finding, facts: PatchFacts) -> bool:
    """Does the patch edit test code that refers to the function this finding is about? A change
    of behaviour the author meant comes with tests of that function updated or added; one the
    author did not notice does not, whatever else the patch does to the tests."""
    names = subject_names(finding)
    return bool(names) and not names.isdisjoint(facts.test_names)


@dataclass(frozen=True)
class Scored:
    finding: Finding
    weight: float


@dataclass(frozen=True)
class Model:
    coef: Mapping[str, float]

    def logit(self, features: Iterable[tuple[str, float]]) -> float:
        return sum(self.coef.get(name, 0.0) * value for name, value in features)


def class_feature(severity: Severity, confidence: Confidence) -> str:
    return f"class:{severity.label}/{confidence.label}"


# Features whose meaning the fixtures cannot teach (their repos are mypy-clean, and most of their
# hallucinations are single findings), held near a stated prior as firmly as the class weights:
# - noisy-here: the tool already disputed this file before the patch, so new complaints are often
#   more of the same (see guard.checks.mypy.weigh_by_noise); graded by how much (``noisiness``);
# - repeat: a later finding of a rule already seen in this patch. Repeats of one habit (three
#   targeted `type: ignore`s) are correlated evidence, not independent pieces of it.
# - familiar: before the patch the tool already made the same complaint about the same subject in
#   this file (see guard.newonly): the codebase's standing disagreement with the tool (a downcast,
#   a mixin), on top of what noisy-here says about the file as a whole;
# - disputed-definition: a type checker already complained inside the same definition, whose
#   inferred types are then confused (untyped code); weaker than the same complaint, stronger than
#   a complaint somewhere in the file.
# The noisy-here prior is set so that one complaint of a tool in a file it fully disputes cannot
# fail a patch on its own; familiar so that a repeat of a standing complaint cannot even where the
# file holds just that one; disputed-definition so that several complaints in a definition the
# tool disputes cannot together. All were chosen after reading the release diffs of
# benchmarks/release_diffs.py's TUNED set, not its held-out sets.
FIRM_PRIORS: Mapping[str, float] = {
    "noisy-here": -3.5, "repeat": -1.5, "familiar": -3.0, "disputed-definition": -2.0,
}  # fmt: skip


# How many complaints before the patch make a file fully "disputed": the noisy-here feature grows
# with the logarithm of the count and is full from here on. One old error (often a stub-version
# artifact in otherwise checked code) says little; dozens say the tool and the code disagree.
NOISE_FULL = 20


def noisiness(finding: Finding) -> float:
    """The noisy-here feature: 0 without a ``*-noise`` evidence entry, else in (0, 1] by the number
    of complaints the entry reports (the first integer in its text; full when it names none)."""
    for key, value in finding.evidence:
        if key.endswith("-noise"):
            count = re.search(r"\d+", value)
            if count is None:
                return 1.0
            return min(1.0, math.log1p(int(count[0])) / math.log1p(NOISE_FULL))
    return 0.0


def prior_logits() -> dict[str, float]:
    """The coefficients before any fit: each class at the logit of its hand-set weight."""
    priors = {class_feature(s, c): _logit(w) for (s, c), w in PRIOR_WEIGHTS.items()}
    return {**priors, **FIRM_PRIORS}


def finding_features(
    finding: Finding,
    facts: PatchFacts,
    known_rules: frozenset[str],
    corroborated: bool,
    repeat: bool = False,
) -> list[tuple[str, float]]:
    """The features of one finding; the fit and the run time both use exactly this function."""
    runtime = finding.analyzer in RUNTIME_ANALYZERS and finding.rule not in TESTS_FAILING
    feats = [(class_feature(finding.severity, finding.confidence), 1.0)]
    if finding.rule in known_rules:
        feats.append((f"rule:{finding.rule}", 1.0))
    # A bug fix is meant to change behaviour; updated tests say it was meant to. A static finding
    # is no less wrong for tests in the patch, so the fact only qualifies runtime findings. A new
    # crash of a function that ran before (see crashed_where_old_did_not) is nobody's intended
    # change unless the edited tests are about that very function: tests edited elsewhere do not
    # excuse it (jinja2's copy_cache flipped to crash on a dict, in a release that edited other
    # tests). A new function's crash keeps the discount: its input may be one no caller passes.
    if facts.touches_tests and runtime and not (crashed_where_old_did_not(finding) and not edited_tests_name(finding, facts)):
        feats.append(("patch:touches-tests*runtime", 1.0))
        # Finer: the edited tests refer to the very function whose behaviour changed.
        if edited_tests_name(finding, facts):
            feats.append(("runtime:tests-name-subject", 1.0))
    if facts.only_tests:
        feats.append(("patch:only-tests", 1.0))
    if corroborated:
        feats.append(("corroborated", 1.0))
    noise = noisiness(finding)
    if noise:
        feats.append(("noisy-here", noise))
    for key in ("familiar", "disputed-definition"):
        if any(k == key for k, _ in finding.evidence):
            feats.append((key, 1.0))
    if repeat:
        feats.append(("repeat", 1.0))
    # A finding in test code: tests use mocks, fakes and deliberate misuse that static tools
    # misread; the weight of that, beside what the rule says, is learned from real patches.
    # test-tampering speaks only of tests, so the fact says nothing about it.
    if finding.rule not in TEST_RULES and is_test_path(finding.path):
        feats.append(("in-test-file", 1.0))
    size = patch_size(facts)
    if size:
        feats.append(("patch:log-size", size))
    return feats


# Patches up to this many changed lines count as small; the size feature grows with the decimal
# logarithm of the changed lines beyond it (1.0 at ten times as many).
SMALL_PATCH = 100


def patch_size(facts: PatchFacts) -> float:
    """The patch:log-size feature: 0 for a small patch, log10(changed lines / SMALL_PATCH) above.
    A large real patch carries more findings that mean nothing (a codebase's standing quarrels
    with its tools); the fixtures are small, so only release diffs can teach its weight."""
    if facts.changed_lines <= SMALL_PATCH:
        return 0.0
    return math.log10(facts.changed_lines / SMALL_PATCH)


def patch_features(
    findings: Sequence[Finding], facts: PatchFacts, known_rules: frozenset[str]
) -> list[list[tuple[str, float]]]:
    """The features of each finding. Corroborated: another analyzer flags the same line.
    Repeat: an earlier counting finding (in ``findings``' order) has the same rule."""
    analyzers: dict[tuple[str, int], set[str]] = {}
    for f in findings:
        if counts(f):
            analyzers.setdefault((f.path, f.line), set()).add(f.analyzer)
    seen: set[str] = set()
    out = []
    for f in findings:
        corroborated = len(analyzers.get((f.path, f.line), set()) - {f.analyzer}) > 0
        out.append(finding_features(f, facts, known_rules, corroborated, f.rule in seen))
        if counts(f):
            seen.add(f.rule)
    return out


@cache
def load_model() -> Model:
    text = resources.files("guard").joinpath("data/score_model.json").read_text(encoding="utf-8")
    return model_from_json(json.loads(text))


def model_from_json(data: Mapping[str, Any]) -> Model:
    coef = prior_logits()
    coef.update({str(k): float(v) for k, v in data["coef"].items()})
    return Model(coef=coef)


def known_rules(model: Model) -> frozenset[str]:
    return frozenset(k.removeprefix("rule:") for k in model.coef if k.startswith("rule:"))


def weights(findings: Sequence[Finding], facts: PatchFacts, model: Model) -> list[float]:
    """Each finding's probability of meaning the patch is wrong, given the others and the patch."""
    feats = patch_features(findings, facts, known_rules(model))
    return [
        0.0 if not counts(f) else _sigmoid(model.logit(x))
        for f, x in zip(findings, feats, strict=True)
    ]


def counts(finding: Finding) -> bool:
    return finding.severity > Severity.INFO and finding.rule not in ZERO_RULES


def weight(finding: Finding, facts: PatchFacts = PatchFacts()) -> float:
    """The weight of a finding standing alone in a patch with these facts."""
    return round(weights([finding], facts, load_model())[0], 4)


def score(
    findings: Iterable[Finding], facts: PatchFacts = PatchFacts(), model: Model | None = None
) -> tuple[float, list[Scored]]:
    """The combined score and every finding with its weight, heaviest first."""
    listed = sorted(
        findings, key=lambda f: (f.path, f.line, f.column, f.rule, f.analyzer, f.message)
    )
    ws = weights(listed, facts, model or load_model())
    scored = [Scored(f, round(w, 4)) for f, w in zip(listed, ws, strict=True)]
    scored.sort(key=lambda s: (-s.weight, s.finding.path, s.finding.line, s.finding.rule))
    total = 1.0 - math.prod(1.0 - w for w in ws)
    return round(total, 4), scored


def _sigmoid(z: float) -> float:
    if z >= 0:
        return 1.0 / (1.0 + math.exp(-z))
    e = math.exp(z)
    return e / (1.0 + e)


def _logit(p: float) -> float:
    return math.log(p / (1.0 - p))
