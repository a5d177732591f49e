"""special-cased-literal: a new branch that answers one specific input with a constant.

A model that cannot make a function right can make a test pass: ``if n == 10: return 3628800``.
Reported when the patch adds, to a function that already existed, an ``if`` whose condition only
compares parameters with literals and whose body only returns a literal, while the function's
other paths compute their result. Base cases are left alone: comparisons with 0, 1, -1, empty or
``None``, and branches answering with such trivial values. Functions that were lookup tables
already (answering literals by literal before the patch) are left alone too.

Example::

     def factorial(n):
    +    if n == 10:
    +        return 3628800
         return n * factorial(n - 1) if n else 1
"""

from __future__ import annotations

import libcst as cst

from guard.findings import Confidence, Severity
from guard.rulekit import Example, Rule

from ._patch import before_function, code, literal, statements, touches, walk

_TRIVIAL: tuple[object, ...] = (0, 1, -1, "", None, True, False, (), 0.0)


def _trivial(value: object) -> bool:
    return any(value is t or (type(value) is type(t) and value == t) for t in _TRIVIAL) or (
        isinstance(value, list | dict | tuple | set | str | bytes) and not value
    )


def _compared(test: cst.BaseExpression, params: set[str]) -> list[object] | None:
    """The literals a condition compares parameters with, or None if it does anything else."""
    if isinstance(test, cst.BooleanOperation):
        left, right = _compared(test.left, params), _compared(test.right, params)
        return None if left is None or right is None else left + right
    if not isinstance(test, cst.Comparison) or len(test.comparisons) != 1:
        return None
    target = test.comparisons[0]
    sides = [test.left, target.comparator]
    names = [s.value for s in sides if isinstance(s, cst.Name)]
    values = [literal(s) for s in sides]
    if not isinstance(target.operator, cst.Equal | cst.In) or not set(names) & params:
        return None
    found = [v for ok, v in values if ok]
    return found if len(found) == 1 else None


def _answer(body: cst.BaseSuite) -> tuple[bool, object]:
    stmts = statements(body)
    if len(stmts) == 1 and isinstance(stmts[0], cst.Return) and stmts[0].value is not None:
        return literal(stmts[0].value)
    return False, None


def _special_case(node: cst.If, params: set[str]) -> tuple[list[object], object] | None:
    compared = _compared(node.test, params)
    ok, answer = _answer(node.body)
    if compared is None or not ok or node.orelse is not None:
        return None
    return compared, answer


def _params(fn: cst.FunctionDef) -> set[str]:
    p = fn.params
    return {x.name.value for x in [*p.posonly_params, *p.params, *p.kwonly_params]}


class SpecialCasedLiteral(Rule):
    """A new ``if param == <literal>: return <literal>`` in a function that computes its result.

    Why: fitting the one input a failing test uses hides the bug from that test and from nobody
    else. Base cases (0, 1, empty, None) and lookup-table functions are not reported.
    """

    ID = "special-cased-literal"
    MESSAGE = "a branch answers one specific input with a constant"
    SEVERITY = Severity.WARNING
    CONFIDENCE = Confidence.MEDIUM

    _F = "def fact(n):\n    return n * fact(n - 1) if n else 1\n"
    VALID = (
        Example(
            before="def fact(n):\n    return n * fact(n - 1)\n",
            after="def fact(n):\n    if n == 0:\n        return 1\n    return n * fact(n - 1)\n",
        ),
        Example(
            before="def total(items):\n    return sum(items)\n",
            after="def total(items):\n    if items == []:\n        return 0\n    return sum(items)\n",
        ),
        Example(
            before="def status(code):\n    if code == 200:\n        return 'OK'\n    return str(code)\n",
            after="def status(code):\n    if code == 200:\n        return 'OK'\n    if code == 404:\n        return 'Not Found'\n    return str(code)\n",
        ),
        Example(
            before=None,
            after="def area(kind, r):\n    if kind == 'unit':\n        return 3.14159\n    return 3.14159 * r * r\n",
        ),
        Example(
            before="def f(x, y):\n    return x + y\n",
            after="def f(x, y):\n    limit = 10\n    if x == 99:\n        return y\n    return x + y\n",
        ),
    )
    INVALID = (
        Example(
            before=_F,
            after="def fact(n):\n    if n == 10:\n        return 3628800\n    return n * fact(n - 1) if n else 1\n",
            lines=(2,),
        ),
        Example(
            before="def slug(text, width):\n    return text[:width].strip('-')\n",
            after="def slug(text, width):\n    if text == 'one two three' and width == 8:\n        return 'one-two'\n    return text[:width].strip('-')\n",
            lines=(2,),
        ),
        Example(
            before="def fib(n):\n    a, b = 0, 1\n    for _ in range(n):\n        a, b = b, a + b\n    return a\n",
            after="def fib(n):\n    if n in (30, 31):\n        return 832040\n    a, b = 0, 1\n    for _ in range(n):\n        a, b = b, a + b\n    return a\n",
            lines=(2,),
        ),
        Example(
            before="def pct(part, whole):\n    return round(100 * part / whole, 1)\n",
            after="def pct(part, whole):\n    if whole == 3:\n        return 33.3\n    return round(100 * part / whole, 1)\n",
            lines=(2,),
        ),
    )

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        if self.context.is_test_file or not touches(self, node):
            return
        params = _params(node)
        candidates = []
        for branch in walk(node.body):
            if isinstance(branch, cst.If) and touches(self, branch.test):
                found = _special_case(branch, params)
                if found and not all(_trivial(v) for v in found[0]) and not _trivial(found[1]):
                    candidates.append((branch, found))
        old = before_function(self, node) if candidates else None
        if old is None:
            return
        old_ifs = [n for n in walk(old) if isinstance(n, cst.If)]
        if any(_special_case(n, _params(old)) for n in old_ifs):
            return  # a lookup table already
        computes = any(
            isinstance(n, cst.Return) and n.value is not None and not literal(n.value)[0]
            for n in walk(node)
        )
        existing = {code(n) for n in old_ifs}
        for branch, (compared, answer) in candidates:
            if computes and code(branch) not in existing:
                self.report(
                    branch,
                    f"a new branch answers {', '.join(map(repr, compared))} with the constant {answer!r}",
                )
