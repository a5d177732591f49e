"""suppression-added: the patch silences a checker instead of fixing what it reports.

A new ``# type: ignore``, ``# noqa`` or ``# nosec`` on a changed line hides
exactly the kind of problem guard looks for: a model that cannot make mypy or bandit happy tends to
silence them. A line that was only moved (it stood, identical, in the original file) is not new,
nor is a suppression the same statement already carried before the patch, which only re-wrapped or
copied it (a statement reflowed onto one line, or split over several, keeps its old ``# type:
ignore``; identical code draws the identical complaint the project already silenced). A
suppression added to a statement whose code the patch left as it was silences a complaint about
code the patch did not write (typically a newer checker's): it is shown (INFO), never weighed. So is
a ``# type: ignore`` in code written for another Python, platform or the type checker alone (under
``if sys.version_info ...``, ``if sys.platform ...``, ``if TYPE_CHECKING:``, a ``hasattr`` test, in
the fallback of an ``except ImportError``),
which a checker running for one version misreads, and one inside a block that expects an exception
(``with pytest.raises(TypeError):``), where the wrong type is the test's point. And
a suppression that names only codes guard never counts (style such as ``# noqa: E402``, annotation
hygiene such as ``# type: ignore[no-untyped-def]``) silences nothing that matters here. One that
names the codes it silences is reported with low confidence: it documents one acknowledged
complaint, as typed codebases do; the blanket forms are the suspicious ones.

A ``# pragma: no cover`` excludes a line from coverage measurement, which silences none of the
analyzers guard runs: it is shown (INFO), never weighed.

A ``# noqa`` is weighed by what it actually silences: ruff, with guard's correctness selection and
``--ignore-noqa``, is asked what it would report on that line. When that is nothing guard counts
(``import wcwidth  # noqa`` probing for an optional dependency silences only the unused import;
``assert type(x) is str  # noqa`` only a style code), the comment hides nothing and is not reported.

Example::

    -    return os.path.join(a, b)
    +    return os.path.joinpath(a, b)  # type: ignore[attr-defined]
"""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
import tokenize
from dataclasses import dataclass
from functools import lru_cache

import libcst as cst

from guard.checks import mypy, ruff
from guard.checks.base import ToolFailure
from guard.findings import Confidence, Severity
from guard.resolve.nodes import _catches_import_error, _expects_error, _is_feature_test
from guard.rulekit import Example, Rule, RuleContext

_SUPPRESSION = re.compile(
    r"#\s*(type:\s*ignore\b[^#]*|noqa\b[^#]*|nosec\b[^#]*|pragma:\s*no\s*cover\b)", re.IGNORECASE
)


def _targeted(suppression: str) -> bool:
    """Does it name the codes it silences (``type: ignore[x]``, ``noqa: F821``, ``nosec B602``)?"""
    return bool(
        re.search(r"\[[\w\-, ]+\]|(noqa|nosec)\s*:?\s*[A-Z]+[0-9]+", suppression, re.IGNORECASE)
    )


def _silences_what_guard_counts(suppression: str) -> bool:
    """True unless every code it names is one guard never counts (style, annotation hygiene).

    A bare ``# noqa`` or ``# type: ignore`` silences everything, so it always counts.
    """
    codes = re.findall(r"[A-Za-z]+[0-9]+|[a-z]+(?:-[a-z]+)+", suppression.split(":", 1)[-1])
    kind = suppression.split(":", 1)[0].strip().lower()
    if kind.startswith("type") and "[" in suppression:
        codes = [
            c.strip() for c in suppression[suppression.index("[") + 1 :].rstrip("] ").split(",")
        ]
        return any(mypy.SEVERITY.get(c, mypy.DEFAULT)[0] is not Severity.INFO for c in codes)
    if kind.startswith("noqa") and codes:
        return any(ruff.counts(code) for code in codes)
    return True


def _named_codes(suppression: str) -> list[str]:
    """The codes a ``noqa`` names (none for a bare ``# noqa``, which silences every code)."""
    if ":" not in suppression:
        return []
    return [c.upper() for c in re.findall(r"[A-Za-z]+[0-9]+", suppression.split(":", 1)[1])]


def ruff_without_noqa(
    text: str, path: str, target: tuple[int, int], budget_s: float = 10.0
) -> dict[int, list[str]] | None:
    """What guard's ruff selection reports on each line of ``text`` when ``noqa`` comments are
    ignored: line (the one a ``noqa`` there would silence) -> codes. None when ruff cannot say."""
    major, minor = max(target, ruff.MIN_TARGET)
    env = {**os.environ, "NO_COLOR": "1"}
    env.pop("PYTHONPATH", None)
    try:
        argv = [
            ruff.binary(), "check", "--isolated", "--no-cache", "--preview", "--no-fix", "--ignore-noqa",
            "--output-format", "json", "--target-version", f"py{major}{minor}",
            "--select", ",".join(ruff.SELECT), "--ignore", ",".join(ruff.IGNORE),
            "--stdin-filename", path, "-",
        ]  # fmt: skip
        proc = subprocess.run(
            argv, input=text, capture_output=True, text=True, timeout=budget_s, env=env, check=False
        )
        items = json.loads(proc.stdout or "[]") if proc.returncode in (0, 1) else None
    except (ToolFailure, OSError, subprocess.TimeoutExpired, json.JSONDecodeError):
        return None
    if not isinstance(items, list):
        return None
    lines: dict[int, list[str]] = {}
    for item in items:
        row = item.get("noqa_row") or (item.get("location") or {}).get("row")
        if isinstance(row, int):
            lines.setdefault(row, []).append(item.get("code") or "syntax-error")
    return lines


_LAYOUT = frozenset({
    tokenize.COMMENT, tokenize.NL, tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT,
    tokenize.ENDMARKER,
})  # fmt: skip


_TYPE_COMMENT = re.compile(r"#\s*type:(?!\s*ignore\b)\s*([^#]+?)\s*$")


def _type_tokens(annotation: str) -> list[str]:
    try:
        return [
            t.string for t in tokenize.generate_tokens(io.StringIO(annotation).readline) if t.type not in _LAYOUT
        ]
    except (tokenize.TokenError, SyntaxError):
        return [annotation]


def _kind(suppression: str) -> str:
    """``type``, ``noqa``, ``nosec`` or ``pragma``: which checker a suppression silences."""
    return re.split(r"[\s:\[]", suppression.strip().lower(), maxsplit=1)[0]


@dataclass(frozen=True)
class Statement:
    """A statement (a logical line: one spread over several lines in brackets counts once): its
    code, whitespace, comments and a comma before a closing bracket left out; its lines; the kinds
    of suppression its comments hold."""

    code: str
    lines: frozenset[int]
    kinds: frozenset[str]


@lru_cache(maxsize=64)
def statements_of(text: str) -> tuple[Statement, ...]:
    """The statements of ``text``; none when it does not tokenize."""
    out: list[Statement] = []
    parts: list[str] = []
    kinds: set[str] = set()
    lines: set[int] = set()
    try:
        for tok in tokenize.generate_tokens(io.StringIO(text).readline):
            if tok.type == tokenize.COMMENT:
                match = _SUPPRESSION.search(tok.string)
                if match:
                    kinds.add(_kind(match[1]))
                typed = _TYPE_COMMENT.match(tok.string)
                if typed and "=" in parts and ":" not in parts:
                    # ``x = v  # type: T`` is the annotated ``x: T = v`` (PEP 484): one statement.
                    at = parts.index("=")
                    parts[at:at] = [":", *_type_tokens(typed[1])]
                lines.add(tok.start[0])
            elif tok.type not in _LAYOUT:
                if tok.string in ")]}" and parts and parts[-1] == ",":
                    parts.pop()
                parts.append(tok.string)
                lines.update(range(tok.start[0], tok.end[0] + 1))
            if tok.type == tokenize.NEWLINE:
                out.append(Statement(" ".join(parts), frozenset(lines), frozenset(kinds)))
                parts, kinds, lines = [], set(), set()
    except (tokenize.TokenError, SyntaxError):
        return ()
    return tuple(out)


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
        Example(
            before="def f(x):\n    return x\n",
            after="def f(x):  # type: ignore[no-untyped-def]\n    return x\n",
        ),
        # A bare noqa that silences only what guard never counts: an optional-dependency probe
        # (unused import), a style code (type comparison).
        Example(
            before="def test_wide():\n    pass\n",
            after="def test_wide():\n    try:\n        import wcwidth  # noqa\n    except ImportError:\n        pass\n",
            path="test/test_wrap.py",
        ),
        Example(before="x = 1\n", after="x = 1\nassert type(x) is int  # noqa\n"),
        # It names a code guard counts, but ruff reports no such thing on the line.
        Example(before="x = 1\n", after="x = 1\ny = x  # noqa: F821\n"),
        # The statement carried its ignore before; the patch only reflowed it onto one line.
        Example(
            before="if (\n    env.sandboxed\n    and op in env.binops  # type: ignore\n):\n    pass\n",
            after="if (\n    env.sandboxed and op in env.binops  # type: ignore\n):\n    pass\n",
        ),
        Example(
            before="r = call(\n    self, ctx, [x for x in f(ctx)]  # type: ignore\n)\n",
            after="r = call(\n    self,\n    ctx,\n    [x for x in f(ctx)],  # type: ignore\n)\n",
        ),
    )
    INVALID = (
        Example(  # the rewrite carries the function's old ignore once; its second one is new
            before="async def gen(self, ctx):\n    async for e in self.render(ctx):  # type: ignore\n        yield e\n",
            after="async def gen(self, ctx):\n    it = self.render(ctx)\n    async for e in it:  # type: ignore\n"
            "        yield e\n    await it.aclose()  # type: ignore\n",
            lines=(5,),
        ),
        Example(before="x = f()\n", after="x = f()  # type: ignore\n", lines=(1,)),
        Example(before="x = f()\n", after="x = undefined_name()  # noqa: F821\n", lines=(1,)),
        Example(
            before="x = f()\n",
            after="x = undefined_name()  # noqa\n",
            lines=(1,),
            path="tests/test_x.py",
        ),
        Example(before="n = 1\n", after="n = str(1) + 1  # type: ignore[operator]\n", lines=(1,)),
        Example(
            before="a: int = f()  # type: ignore[assignment]\nb = 1\n",
            after="a: int = f()  # type: ignore[assignment]\nb: int = g()  # type: ignore[assignment]\n",
            lines=(2,),
        ),
        Example(  # the statement's code is new: the ignore may cover the patch's own mistake
            before="if (\n    env.sandboxed\n    and op in env.binops\n):\n    pass\n",
            after="if (\n    env.sandboxed and op in env.binop_table  # type: ignore\n):\n    pass\n",
            lines=(2,),
        ),
        Example(  # only the comment is new (shown as INFO, never weighed: see the tests)
            before="import distro\n\nversion = distro.__version__\n",
            after="import distro\n\nversion = distro.__version__  # type: ignore\n",
            lines=(3,),
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
        self._ruff: dict[int, list[str]] | None = None
        self._ruff_asked = False
        self._elsewhere = 0  # depth of blocks written for another Python, platform or checker
        self._provoking = 0  # depth of blocks that expect an exception

    def visit_If(self, node: cst.If) -> None:
        self._elsewhere += _is_feature_test(node.test)

    def leave_If(self, original_node: cst.If) -> None:
        self._elsewhere -= _is_feature_test(original_node.test)

    def visit_ExceptHandler(self, node: cst.ExceptHandler) -> None:
        self._elsewhere += _catches_import_error(node.type)  # the fallback for another environment

    def leave_ExceptHandler(self, original_node: cst.ExceptHandler) -> None:
        self._elsewhere -= _catches_import_error(original_node.type)

    def visit_With(self, node: cst.With) -> None:
        self._provoking += any(_expects_error(item.item) for item in node.items)

    def leave_With(self, original_node: cst.With) -> None:
        self._provoking -= any(_expects_error(item.item) for item in original_node.items)

    def _hidden(self, suppression: str, line: int) -> list[str] | None:
        """The counting ruff codes a ``noqa`` on ``line`` silences; None when ruff cannot say."""
        if not self._ruff_asked:
            self._ruff_asked = True
            after = self.context.after
            if after is not None:
                self._ruff = ruff_without_noqa(
                    after.text, self.context.path, self.context.project.target_version
                )
        if self._ruff is None:
            return None
        named = _named_codes(suppression)
        codes = self._ruff.get(line, [])
        return [c for c in codes if not named or any(c.upper().startswith(n) for n in named)]

    def _old_statement(self, suppression: str, line: int) -> str | None:
        """Whether the statement on ``line`` stood in the original file, its code the same:
        ``"suppressed"`` when a statement of that code carried a suppression of the same kind there
        (the patch re-wrapped or copied it; the complaint and the project's answer to it are old),
        ``"bare"`` when it stood there without one (and the patch adds no copy of it), None when it
        is new code."""
        before, after = self.context.before, self.context.after
        if before is None or after is None:
            return None
        now = statements_of(after.text)
        here = next((st for st in now if line in st.lines), None)
        if here is None:
            return None
        then = [st for st in statements_of(before.text) if st.code == here.code]
        kind = _kind(suppression)
        if any(kind in st.kinds for st in then):
            return "suppressed"  # the same code carried the same suppression: the same complaint
        if not then or len(then) < sum(st.code == here.code for st in now):
            return None  # new code, or a new copy of old code
        return "bare"

    def _carried_over(self, suppression: str, line: int) -> bool:
        """Whether the new statement on ``line`` takes over a suppression of the same kind that the
        function around it carried before the patch on a statement the patch rewrote away: the
        function's old suppressed statements that are gone, matched in order with its new
        suppressed statements (jinja2 3.1.5 split ``async for event in self.root_render_func(ctx):
        # type: ignore`` into ``agen = ...`` and ``async for event in agen:  # type: ignore``). The
        complaint is the one the project silenced there before; a second new one is still new."""
        before, after = self.context.before, self.context.after
        if before is None or after is None:
            return False
        here = [d for d in after.definitions if d.kind == "function" and d.start <= line <= d.end]
        if not here:
            return False
        inner = max(here, key=lambda d: d.start)
        was = next((d for d in before.definitions if d.qualname == inner.qualname and d.kind == "function"), None)
        if was is None:
            return False
        kind = _kind(suppression)

        def within(text: str, start: int, end: int) -> list[Statement]:
            return [st for st in statements_of(text) if st.lines and start <= min(st.lines) and max(st.lines) <= end]

        then, now = within(before.text, was.start, was.end), within(after.text, inner.start, inner.end)
        then_codes, now_codes = {st.code for st in then}, {st.code for st in now}
        gone = [st for st in then if kind in st.kinds and st.code not in now_codes]
        new = sorted((st for st in now if kind in st.kinds and st.code not in then_codes), key=lambda st: min(st.lines))
        return any(line in st.lines for st in new[: len(gone)])

    def visit_Comment(self, node: cst.Comment) -> None:
        match = _SUPPRESSION.search(node.value)
        if not match or not _silences_what_guard_counts(match[1]):
            return
        pos = self.get_metadata(cst.metadata.PositionProvider, node)
        line_text = self._after_lines[pos.start.line - 1].strip() if self._after_lines else ""
        if line_text in self._old_lines:
            return
        old = self._old_statement(match[1], pos.start.line)
        if old == "suppressed" or (old is None and self._carried_over(match[1], pos.start.line)):
            return
        if old == "bare" and not match[1].lower().startswith("pragma"):
            # The code is as it was; only the comment is new. What it silences is a complaint about
            # code the patch did not write (a newer checker's, typically): shown, never weighed.
            self.report(
                node,
                f"the patch adds `# {match[1].strip()}` to a statement it did not change",
                severity=Severity.INFO,
                confidence=Confidence.LOW,
            )
            return
        if match[1].lower().startswith("pragma"):
            # A coverage pragma hides the line from a coverage report, not from any analyzer guard
            # runs: nothing guard would have found is silenced. Shown, never weighed.
            self.report(
                node,
                f"the patch adds `# {match[1].strip()}`: excluded from coverage (no analyzer silenced)",
                severity=Severity.INFO,
                confidence=Confidence.LOW,
            )
            return
        if _kind(match[1]) == "type" and (self._elsewhere or self._provoking):
            why = "in code for another Python, platform or the type checker" if self._elsewhere else (
                "in a block that expects an exception: the wrong type is provoked on purpose"
            )
            self.report(
                node,
                f"the patch adds `# {match[1].strip()}` {why}",
                severity=Severity.INFO,
                confidence=Confidence.LOW,
            )
            return
        message = f"the patch adds `# {match[1].strip()}`, silencing a checker on this line"
        evidence: tuple[tuple[str, str], ...] = ()
        if match[1].lower().startswith("noqa"):
            hidden = self._hidden(match[1], pos.start.line)
            if hidden is not None and not hidden:
                return  # ruff reports nothing guard counts on this line: the comment hides nothing
            if hidden:
                evidence = (("silences", ", ".join(sorted(set(hidden)))),)
        if _targeted(match[1]):
            # Naming the code documents one acknowledged complaint: common practice in typed
            # codebases, weaker evidence than a blanket `# type: ignore` or `# noqa`.
            self.report(node, message, confidence=Confidence.LOW, evidence=evidence)
            return
        self.report(node, message, evidence=evidence)
