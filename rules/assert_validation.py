"""assert-validation: a check that raised an exception now only asserts.

``if not valid: raise ValueError(msg)`` and ``assert valid, msg`` read alike, but Python drops
every ``assert`` when it runs with ``-O`` (or ``PYTHONOPTIMIZE``), as many deployments do: the
input check is gone there, and what it guarded (a size, a permission, a signature) is not checked
at all. A model that "tidies" validation into asserts writes code that passes every test.

Reported on changed lines outside test files: an ``assert`` in a function whose original version
raised from an ``if`` that the patched version no longer has, where the assert tests the negation
of that ``if``'s condition or carries the raise's message.

Where bandit stands: B101 reports every ``assert`` in code, including all those that were never a
raise; guard leaves that to bandit's configuration and reports only the conversion.

Example::

    -    if n < 1:
    -        raise ValueError("n must be at least one")
    +    assert n >= 1, "n must be at least one"
"""

from __future__ import annotations

import ast
import textwrap

import libcst as cst

from guard.findings import Confidence, Severity
from guard.rulekit import Example, Rule

from ._patch import before_function, code, touches, walk

_NEGATED = {
    ast.Lt: ast.GtE, ast.LtE: ast.Gt, ast.Gt: ast.LtE, ast.GtE: ast.Lt, ast.Eq: ast.NotEq,
    ast.NotEq: ast.Eq, ast.Is: ast.IsNot, ast.IsNot: ast.Is, ast.In: ast.NotIn, ast.NotIn: ast.In,
}  # fmt: skip


class AssertValidation(Rule):
    """An input check that raised now only asserts, which ``python -O`` strips.

    Why: the patch reads as a tidy-up and passes every test, but wherever Python runs optimised the
    check is gone and what it guarded goes unchecked. New asserts beside the raise they do not
    replace, and test files, are not reported.
    """

    ID = "assert-validation"
    MESSAGE = "a raised input check became an assert, which python -O strips"
    SEVERITY = Severity.ERROR
    CONFIDENCE = Confidence.MEDIUM
    VALID = (
        Example(  # a new assert beside the raise that stays
            before="def take(n):\n    if n < 1:\n        raise ValueError('n')\n    return n\n",
            after="def take(n):\n    if n < 1:\n        raise ValueError('n')\n    assert isinstance(n, int)\n    return n\n",
        ),
        Example(  # the raise went away for another reason; the new assert checks something else
            before="def take(n):\n    if n < 1:\n        raise ValueError('n')\n    return n\n",
            after="def take(n: int):\n    n = max(n, 1)\n    assert n\n    return n\n",
        ),
        Example(  # tests assert; that is what they are for
            path="tests/test_take.py",
            before="def helper(n):\n    if n < 1:\n        raise ValueError('n')\n",
            after="def helper(n):\n    assert n >= 1, 'n'\n",
        ),
    )
    INVALID = (
        Example(
            before="def take(n):\n    if n < 1:\n        raise ValueError('n must be positive')\n    return n\n",
            after="def take(n):\n    assert n >= 1, 'n must be positive'\n    return n\n",
            lines=(2,),
        ),
        Example(  # the message kept, the condition rewritten
            before="def load(path, size):\n    if size > LIMIT:\n        msg = f'{path}: too large'\n"
            "        raise OSError(msg)\n    return read(path)\n",
            after="def load(path, size):\n    assert size <= LIMIT and path, f'{path}: too large'\n    return read(path)\n",
            lines=(2,),
        ),
        Example(  # `not` dropped from the test
            before="def grant(user):\n    if not user.admin:\n        raise PermissionError('admins only')\n    return True\n",
            after="def grant(user):\n    assert user.admin\n    return True\n",
            lines=(2,),
        ),
    )

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        if self.context.is_test_file or not touches(self, node):
            return
        old = before_function(self, node)
        if old is None:
            return
        raising = _raising_ifs(old)
        if not raising:
            return
        kept = {code(n) for n in walk(node.body) if isinstance(n, cst.If)}
        gone = [(test, message) for text, test, message in raising if text not in kept]
        for stmt in walk(node.body):
            if not isinstance(stmt, cst.Assert) or not touches(self, stmt):
                continue
            test = _parse(code(stmt.test))
            message = _parse(code(stmt.msg)) if stmt.msg is not None else None
            for old_test, old_message in gone:
                if (test is not None and _negates(test, old_test)) or (
                    message is not None and old_message is not None and ast.dump(message) == ast.dump(old_message)
                ):
                    self.report(
                        stmt,
                        f"`if {ast.unparse(old_test)}: raise ...` became `{code(stmt).strip()}`: asserts are "
                        "stripped under `python -O`, where the check no longer runs",
                    )
                    break


def _parse(text: str) -> ast.expr | None:
    try:
        return ast.parse(text.strip(), mode="eval").body
    except SyntaxError:
        return None


def _raising_ifs(fn: cst.FunctionDef) -> list[tuple[str, ast.expr, ast.expr | None]]:
    """Each ``if`` of the function whose body raises (directly, maybe after building a message):
    its code, its test, and the raise's message (its first argument, or what the name it raises
    with was assigned in the body)."""
    out = []
    for node in walk(fn.body):
        if not isinstance(node, cst.If) or not isinstance(node.body, cst.IndentedBlock):
            continue
        body = [stmt for line in node.body.body for stmt in _parse_block(_EMPTY.code_for_node(line))]
        if not body or not isinstance(body[-1], ast.Raise):
            continue
        test = _parse(code(node.test))
        if test is None:
            continue
        exc = body[-1].exc
        message = exc.args[0] if isinstance(exc, ast.Call) and exc.args else None
        if isinstance(message, ast.Name):
            name = message.id
            for stmt in body[:-1]:
                if isinstance(stmt, ast.Assign) and any(isinstance(t, ast.Name) and t.id == name for t in stmt.targets):
                    message = stmt.value
        out.append((code(node), test, message))
    return out


_EMPTY = cst.Module([])


def _parse_block(text: str) -> list[ast.stmt]:
    try:
        return ast.parse(textwrap.dedent(text).strip("\n")).body
    except SyntaxError:
        return []


def _negates(new: ast.expr, old: ast.expr) -> bool:
    """Whether ``new`` is the negation of ``old``, as written: ``not old``, ``old`` without its
    ``not``, or a single comparison with the opposite operator."""
    if isinstance(new, ast.UnaryOp) and isinstance(new.op, ast.Not) and ast.dump(new.operand) == ast.dump(old):
        return True
    if isinstance(old, ast.UnaryOp) and isinstance(old.op, ast.Not) and ast.dump(old.operand) == ast.dump(new):
        return True
    if isinstance(new, ast.Compare) and isinstance(old, ast.Compare) and len(new.ops) == len(old.ops) == 1:
        opposite = _NEGATED.get(type(old.ops[0]))
        return (
            opposite is not None
            and isinstance(new.ops[0], opposite)
            and ast.dump(new.left) == ast.dump(old.left)
            and ast.dump(new.comparators[0]) == ast.dump(old.comparators[0])
        )
    return False
