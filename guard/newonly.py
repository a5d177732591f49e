"""Keep only what the patch introduced, and say which new findings are old disagreements.

Findings of the patched tree are matched against those of the original tree on rule, message
and enclosing definition — never on line numbers, which move. A finding with no counterpart before
the patch is new; counts matter (a second copy of an old problem is new).

A new finding can still be an old disagreement. *Familiar*: before the patch, the same tool already
made the same complaint about the same subject in that file (``"ParserElement" has no attribute
...`` where the code downcasts a base class on purpose, a mixin calling ``self.assertTrue``).
*Disputed definition*: a type checker already complained inside the same definition (its inferred
types are confused there, so further complaints follow). Such findings are the codebase's standing
disagreements with the tool rather than something the patch brought; they keep a ``familiar`` or
``disputed-definition`` entry in their evidence, which the score weighs (see guard.score).

A new finding can also be an old fact newly declared. *Made explicit*: before the patch mypy said a
parameter declared ``T`` defaults to None (``Incompatible default for parameter "md" (default has
type "None", parameter has type "Markdown")``), and the patch fixed that by declaring it ``T |
None``; mypy now reports each unchanged use of the value that does not rule out None (``Item "None"
of "Markdown | None" has no attribute "htmlStash"``). The value could be None before as well; only
its annotation changed, and the code at those lines runs as it did. Such findings on unchanged
lines are kept as INFO, with the reason in their evidence.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import replace

from guard.findings import Finding, Severity

_LINE_REFERENCE = re.compile(r"\b(line|column) \d+")
# The first quoted name of a message: the type, function or name the complaint is about.
_SUBJECT = re.compile(r"^[^\"'`]*?(\"[^\"]*\"|'[^']*'|`[^`]*`)")

# Analyzers that infer types across a whole definition: one dispute there breeds others.
TYPE_CHECKERS = frozenset({"mypy"})


def _message(finding: Finding) -> str:
    """The message without references to line numbers (``defined on line 12``)."""
    return _LINE_REFERENCE.sub(r"\1 N", finding.message)


def subject(finding: Finding) -> str:
    """What the complaint is about: the message up to its first quoted name (the whole message
    when it quotes none). ``"Foo" has no attribute "bar"`` -> ``"Foo"``."""
    message = _message(finding)
    match = _SUBJECT.match(message)
    return match[0] if match else message


def new_only(
    after: Iterable[Finding],
    before: Iterable[Finding],
    changed: Mapping[str, frozenset[int]],
    renamed: Mapping[str, str] | None = None,
) -> list[Finding]:
    """Findings of ``after`` that ``before`` does not explain, familiar ones marked as such.

    ``changed`` maps a path to its changed lines; ``renamed`` maps old paths to new ones.
    Exact counterparts (same enclosing definition) are matched first, then counterparts whose
    definition was renamed, moved or rewritten by the patch. In both passes findings on unchanged
    lines go first, so that when a patch repeats an old problem the copy on the changed line is
    the one reported.
    """
    renamed = renamed or {}
    before = [replace(f, path=renamed.get(f.path, f.path)) for f in before]
    exact: Counter[tuple[str, str, str, str]] = Counter()
    loose: Counter[tuple[str, str, str]] = Counter()
    for f in before:
        exact[(f.path, f.rule, _message(f), f.symbol)] += 1
        loose[(f.path, f.rule, _message(f))] += 1

    def on_changed(f: Finding) -> bool:
        return f.line in changed.get(f.path, frozenset())

    unmatched: list[Finding] = []
    for f in sorted(after, key=lambda f: (on_changed(f), f.path, f.line, f.column, f.rule)):
        key = (f.path, f.rule, _message(f), f.symbol)
        if exact[key] > 0:
            exact[key] -= 1
            loose[key[:3]] -= 1
        else:
            unmatched.append(f)
    kept: list[Finding] = []
    for f in unmatched:  # still ordered unchanged lines first
        key3 = (f.path, f.rule, _message(f))
        if loose[key3] > 0:
            # Same problem, its enclosing definition renamed, moved or rewritten: not new.
            loose[key3] -= 1
        else:
            kept.append(f)
    # What the original tree's findings said that the patched tree's no longer say: fixed.
    fixed = [f for f in before if loose[(f.path, f.rule, _message(f))] > 0]
    kept = made_explicit(kept, fixed, changed)
    return sorted(familiar(kept, before))


# mypy on a parameter declared ``T`` that defaults to None (PEP 484 prohibits implicit Optional).
_IMPLICIT_OPTIONAL = re.compile(
    r'^Incompatible default for (?:argument|parameter) "\w+" \(default has type "None", '
    r'(?:argument|parameter) has type "([^"]+)"\)'
)


def made_explicit(
    new: Iterable[Finding], fixed: Iterable[Finding], changed: Mapping[str, frozenset[int]]
) -> list[Finding]:
    """``new``, with mypy's findings on unchanged lines about ``T | None`` demoted to INFO when
    the patch fixed mypy's implicit-Optional complaint about a parameter declared ``T`` (one of
    ``fixed``, the original tree's findings the patched tree no longer has): the value could be
    None before the patch as well; only its declaration says so now."""
    optional = {
        f'"{m[1]} | None"'
        for f in fixed
        if f.analyzer in TYPE_CHECKERS and (m := _IMPLICIT_OPTIONAL.match(f.message))
    }
    if not optional:
        return list(new)
    out = []
    for f in new:
        declared = next((t for t in optional if t in f.message), None)
        if (
            declared is not None
            and f.analyzer in TYPE_CHECKERS
            and f.severity is not Severity.INFO
            and f.line not in changed.get(f.path, frozenset())
        ):
            reason = (f"the patch declared {declared} where mypy saw a None default of {declared[:-8]}\" "
                      "before: the value could be None before the patch too; this line did not change")  # fmt: skip
            f = replace(f, severity=Severity.INFO, evidence=(*f.evidence, ("made-explicit", reason)))
        out.append(f)
    return out


def familiar(new: Iterable[Finding], before: Iterable[Finding]) -> list[Finding]:
    """``new`` with a ``familiar`` or ``disputed-definition`` evidence entry on each finding the
    original tree's findings (``before``, paths already in terms of the patched tree) show to be an
    old disagreement."""
    subjects: Counter[tuple[str, str, str, str]] = Counter()
    definitions: Counter[tuple[str, str, str]] = Counter()
    for f in before:
        if f.severity is Severity.INFO:
            continue
        subjects[(f.analyzer, f.path, f.rule, subject(f))] += 1
        if f.symbol:
            definitions[(f.analyzer, f.path, f.symbol)] += 1
    out = []
    for f in new:
        note: tuple[str, str] | None = None
        if f.severity is not Severity.INFO:
            same = subjects[(f.analyzer, f.path, f.rule, subject(f))]
            disputed = (
                definitions[(f.analyzer, f.path, f.symbol)] if f.analyzer in TYPE_CHECKERS else 0
            )
            if same:
                note = ("familiar", f"{f.analyzer} already reported {f.rule} about {subject(f)} "
                        f"{same} time(s) in this file before the patch")  # fmt: skip
            elif disputed:
                note = ("disputed-definition", f"{f.analyzer} already reported {disputed} "
                        f"problem(s) in {f.symbol} before the patch")  # fmt: skip
        if note:
            f = replace(f, evidence=(*f.evidence, note))
        out.append(f)
    return out
