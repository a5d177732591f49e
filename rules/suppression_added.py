"""suppression-added: the patch silences a checker instead of fixing what it reports.

A new ``# type: ignore``, ``# noqa``, ``# nosec`` or ``# pragma: no cover`` on a changed line hides
exactly the kind of problem guard looks for: a model that cannot make mypy or bandit happy tends to
silence them. A line that was only moved (it stood, identical, in the original file) is not new, and
a suppression that names only codes guard never counts (style such as ``# noqa: E402``, annotation
hygiene such as ``# type: ignore[no-untyped-def]``) silences nothing that matters here. One that
names the codes it silences is reported with low confidence: it documents one acknowledged
complaint, as typed codebases do; the blanket forms are the suspicious ones.

Example::

    -    return os.path.join(a, b)
    +    return os.path.joinpath(a, b)  # type: ignore[attr-defined]
"""

from __future__ import annotations

import re

import libcst as cst

from guard.checks import mypy, ruff
from guard.findings import Confidence, Severity
from guard.rulekit import Example, Rule, RuleContext

_SUPPRESSION = re.compile(
    r"#\s*(type:\s*ignore\b[^#]*|noqa\b[^#]*|nosec\b[^#]*|pragma:\s*no\s*cover\b)", re.IGNORECASE
)


def _targeted(suppression: str) -> bool:
    """Does it name the codes it silences (``type: ignore[x]``, ``noqa: F821``, ``nosec B602``)?"""
    return bool(re.search(r"\[[\w\-, ]+\]|(noqa|nosec)\s*:?\s*[A-Z]+[0-9]+", suppression, re.IGNORECASE))


def _silences_what_guard_counts(suppression: str) -> bool:
    """True unless every code it names is one guard never counts (style, annotation hygiene).

    A bare ``# noqa`` or ``# type: ignore`` silences everything, so it always counts.
    """
    codes = re.findall(r"[A-Za-z]+[0-9]+|[a-z]+(?:-[a-z]+)+", suppression.split(":", 1)[-1])
    kind = suppression.split(":", 1)[0].strip().lower()
    if kind.startswith("type") and "[" in suppression:
        codes = [c.strip() for c in suppression[suppression.index("[") + 1 :].rstrip("] ").split(",")]
        return any(mypy.SEVERITY.get(c, mypy.DEFAULT)[0] is not Severity.INFO for c in codes)
    if kind.startswith("noqa") and codes:
        return any(ruff.counts(code) for code in codes)
    return True


class SuppressionAdded(Rule):
    """A new ``# type: ignore``, ``# noqa``, ``# nosec`` or ``# pragma: no cover`` comment.

    Why: a checker's complaint silenced in the same patch that caused it is the signature of a
    hallucination papered over. Moved lines (identical in the original) are not reported.
    """

    ID = "suppression-added"
    MESSAGE = "the patch adds a comment that silences a checker"
    SEVERITY = Severity.WARNING
    CONFIDENCE = Confidence.MEDIUM

    VALID = (
        Example(before="x = 1\n", after="x = 1  # the answer\n"),
        Example(
            before="import os  # noqa: F401\n",
            after='"""Module."""\n\nimport os  # noqa: F401\n',
        ),
        Example(before="y = 2\n", after="y = 2\n# The type: of this is fine, nothing ignored.\n"),
        Example(
            before="import pytest\n",
            after='import pytest\n\npytest.importorskip("yaml")\nimport yaml  # noqa: E402\n',
        ),
        Example(before="def f(x):\n    return x\n", after="def f(x):  # type: ignore[no-untyped-def]\n    return x\n"),
    )
    INVALID = (
        Example(before="x = f()\n", after="x = f()  # type: ignore\n", lines=(1,)),
        Example(before="x = f()\n", after="x = undefined_name()  # noqa: F821\n", lines=(1,)),
        Example(before="n = 1\n", after="n = str(1) + 1  # type: ignore[operator]\n", lines=(1,)),
        Example(
            before="a: int = f()  # type: ignore[assignment]\nb = 1\n",
            after="a: int = f()  # type: ignore[assignment]\nb: int = g()  # type: ignore[assignment]\n",
            lines=(2,),
        ),
        Example(
            before="def f():\n    return 1\n",
            after="def f():  # pragma: no cover\n    return eval(s)  # nosec B307\n",
            lines=(1, 2),
        ),
    )

    def __init__(self, context: RuleContext) -> None:
        super().__init__(context)
        before = self.context.before
        self._old_lines = {ln.strip() for ln in before.text.splitlines()} if before else set()
        self._after_lines = self.context.after.text.splitlines() if self.context.after else []

    def visit_Comment(self, node: cst.Comment) -> None:
        match = _SUPPRESSION.search(node.value)
        if not match or not _silences_what_guard_counts(match[1]):
            return
        pos = self.get_metadata(cst.metadata.PositionProvider, node)
        line_text = self._after_lines[pos.start.line - 1].strip() if self._after_lines else ""
        if line_text in self._old_lines:
            return
        message = f"the patch adds `# {match[1].strip()}`, silencing a checker on this line"
        if _targeted(match[1]):
            # Naming the code documents one acknowledged complaint: common practice in typed
            # codebases, weaker evidence than a blanket `# type: ignore` or `# noqa`.
            self.report(node, message, confidence=Confidence.LOW)
            return
        self.report(node, message)
