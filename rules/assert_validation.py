"""assert-validation: a check that raised an exception now only asserts.

``if not valid: raise ValueError(msg)`` and ``assert valid, msg`` read alike, but Python drops
every ``assert`` when it runs with ``-O`` (or ``PYTHONOPTIMIZE``), as many deployments do: the
input check is gone there, and what it guarded (a size, a permission, a signature) is not checked
at all. A model that "tidies" validation into asserts writes code that passes every test.

Reported on new asserts with what says they stand for a raise, outside test files:

- the function's original version raised from an ``if`` that the patched version no longer has,
  and the assert tests the negation of that ``if``'s condition or carries the raise's message
  (high confidence), or carries a message and tests the same names (medium);
- the patch's tests expect an exception other than ``AssertionError`` whose ``match=`` pattern
  (``pytest.raises``, ``assertRaisesRegex``) the assert's message matches (high): the check the
  tests were written for is a raise;
- the patched function raises from an ``if`` for its other checks and this check, with a message,
  only asserts (medium): a raise the same patch writes as an assert. An assert that narrows a
  type for the checker (``x is not None``, ``isinstance(x, T)``) of anything but a parameter is
  internal state, not input, and is left alone;
- the patch's tests expect an exception (not ``AssertionError``) from a call of the function (in a
  ``pytest.raises``/``assertRaises`` block, or passed to ``assertRaises``) and the assert checks one
  of its parameters (high).

A new assert on a parameter with a message, and nothing else, is not reported: libraries write
those for internal invariants too (on the fit sets' clean release diffs that alone would fire).

Where bandit stands: B101 reports every ``assert`` in code, including all those that were never a
raise; guard leaves that to bandit's configuration and reports only the conversion.

Example::

    -    if n < 1:
    -        raise ValueError("n must be at least one")
    +    assert n >= 1, "n must be at least one"
"""

from __future__ import annotations

import ast
import builtins
import re
import textwrap
from collections.abc import Iterator
from dataclasses import dataclass

import libcst as cst

from guard.findings import Confidence, Severity
from guard.repo import is_test_path
from guard.rulekit import Example, Rule, children

from ._patch import before_function, code, dotted, qualname, touches, walk

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
        Example(  # a type narrowed for the checker, in a function that raises for its input
            before="def send(self, data):\n    return self.conn.send(data)\n",
            after="def send(self, data):\n    if not data:\n        raise ValueError('nothing to send')\n"
            "    conn = self.conn\n    assert conn is not None, 'connect() first'\n    return conn.send(data)\n",
        ),
        Example(  # an internal invariant, with a message, in a function that raises nothing itself
            before="def pop(self):\n    return self.items.pop()\n",
            after="def pop(self):\n    assert self.items, 'pop() on an empty stack'\n    return self.items.pop()\n",
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
        Example(  # condition and message reworded; the same value checked
            before="def load(filename):\n    if not os.path.exists(filename):\n        raise ConfigError(f'{filename} does not exist')\n"
            "    return read(filename)\n",
            after="def load(filename):\n    assert os.path.isfile(filename), f'{filename} is not a file'\n    return read(filename)\n",
            lines=(2,),
        ),
        Example(  # new code: the function raises ValueError for one check and asserts the other
            before="def other():\n    pass\n",
            after="def other():\n    pass\n\n\ndef batched(items, n, strict=False):\n    if n < 1:\n"
            "        raise ValueError('n must be at least one')\n    batch = items[:n]\n"
            "    assert not (strict and len(batch) != n), 'incomplete batch'\n    return batch\n",
            lines=(9,),
        ),
    )

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        if self.context.is_test_file or not touches(self, node):
            return
        asserts = [s for s in _own(node.body) if isinstance(s, cst.Assert) and touches(self, s)]
        if not asserts:
            return
        old = before_function(self, node)
        gone: list[_Check] = []
        if old is not None:
            kept = {code(n) for n in walk(node.body) if isinstance(n, cst.If)}
            gone = [check for check in _raising_ifs(old) if check.text not in kept]
        raised = _raised_here(node)
        params = frozenset(p.name.value for p in (*node.params.posonly_params, *node.params.params, *node.params.kwonly_params))
        parts = qualname(self, node).split(".")
        # How tests call it: by its name, or a constructor by its class's.
        callee = parts[-2] if parts[-1] == "__init__" and len(parts) > 1 else parts[-1]
        for stmt in asserts:
            found = self._evidence(stmt, gone, raised, params, callee)
            if found is not None:
                confidence, why = found
                self.report(
                    stmt,
                    f"{why}; `{code(stmt).strip()[:80]}` is stripped under `python -O`, where the check no longer runs",
                    confidence=confidence,
                )

    def _evidence(
        self, stmt: cst.Assert, gone: list[_Check], raised: list[str], params: frozenset[str], callee: str
    ) -> tuple[Confidence, str] | None:
        """How sure we are that the assert stands for a raise, and why; None when nothing says so."""
        test = _parse(code(stmt.test))
        message = _parse(code(stmt.msg)) if stmt.msg is not None else None
        for check in gone:
            if (test is not None and _negates(test, check.test)) or (
                message is not None and check.message is not None and ast.dump(message) == ast.dump(check.message)
            ):
                return Confidence.HIGH, f"`if {ast.unparse(check.test)}: raise {check.exc}` became an assert"
        for check in gone:  # the condition or message reworded, the check's subject the same
            if message is not None and test is not None and _subjects(test) & _subjects(check.test):
                return Confidence.MEDIUM, (
                    f"`if {ast.unparse(check.test)}: raise {check.exc}` is gone and an assert with a message "
                    "checks the same value instead"
                )
        text = _static_text(message) if message is not None else None
        if text is not None:
            for exc, pattern in _expected_by_tests(self):
                if _matches(pattern, text):
                    return Confidence.HIGH, (
                        f"the patch's tests expect {exc} matching {pattern!r}, which this assert's message "
                        "matches, but an assert raises AssertionError"
                    )
        reads_input = test is not None and bool(_subjects(test) & params) and not _narrows_local(test, params)
        expected = _raised_for_tests(self).get(callee)
        if expected is not None and reads_input:
            return Confidence.HIGH, (
                f"the patch's tests expect {expected} from `{callee}(...)`, and this check of its input only "
                "asserts (AssertionError)"
            )
        if message is not None and raised and test is not None and not _narrows_local(test, params):
            return Confidence.MEDIUM, (
                f"the function raises {raised[0]} for its other checks, this one only asserts"
            )
        return None


@dataclass(frozen=True)
class _Check:
    text: str
    """The ``if`` statement's code."""
    test: ast.expr
    message: ast.expr | None
    exc: str
    """The exception raised, as written (``ValueError``)."""


# What a function raises that is not a reaction to a bad argument or state (or is an assert).
_NOT_CHECKS = frozenset(
    {"AssertionError", "NotImplementedError", "StopIteration", "StopAsyncIteration", "KeyboardInterrupt", "SystemExit"}
)
_BROAD = frozenset({"AssertionError", "Exception", "BaseException"})
_HOLE = "\x00"


def _own(node: cst.CSTNode) -> Iterator[cst.CSTNode]:
    """The nodes of a function's body, not descending into nested functions, classes or lambdas
    (each nested function is visited on its own)."""
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        stack.extend(
            reversed([c for c in children(current) if not isinstance(c, cst.FunctionDef | cst.ClassDef | cst.Lambda)])
        )


def _raised_here(fn: cst.FunctionDef) -> list[str]:
    """The exceptions the function raises itself from under an ``if`` (a check), by name:
    ``ValueError`` for ``if n < 1: raise ValueError(...)``; re-raises and non-checks left out."""
    out: list[str] = []
    for node in _own(fn.body):
        if not isinstance(node, cst.If):
            continue
        for inner in _own(node.body):
            if isinstance(inner, cst.Raise) and inner.exc is not None:
                name = dotted(inner.exc).rsplit(".", 1)[-1]
                if name and name not in _NOT_CHECKS and name not in out:
                    out.append(name)
    return out


def _narrows_local(test: ast.expr, params: frozenset[str]) -> bool:
    """Whether the assert narrows a type for the checker (``x is not None``, ``isinstance(x, T)``)
    of a value that is not one of the function's parameters: internal state, not input."""
    subject: ast.expr | None = None
    if isinstance(test, ast.Compare) and len(test.ops) == 1 and isinstance(test.ops[0], ast.IsNot):
        right = test.comparators[0]
        if isinstance(right, ast.Constant) and right.value is None:
            subject = test.left
    elif isinstance(test, ast.Call) and isinstance(test.func, ast.Name) and test.func.id == "isinstance" and test.args:
        subject = test.args[0]
    if subject is None:
        return False
    return not (isinstance(subject, ast.Name) and subject.id in params)


def _subjects(expr: ast.expr) -> set[str]:
    """The names an expression reads, builtins and ``self``/``cls`` left out."""
    return {
        n.id for n in ast.walk(expr) if isinstance(n, ast.Name) and n.id not in _BUILTINS and n.id not in ("self", "cls")
    }


_BUILTINS = frozenset(dir(builtins))


def _static_text(message: ast.expr) -> str | None:
    """The fixed text of an assert message, each interpolated value a hole: the literal, an
    f-string's literal parts, the format string of ``"..." % x`` or ``"...".format(x)``."""
    if isinstance(message, ast.Constant) and isinstance(message.value, str):
        return message.value
    if isinstance(message, ast.JoinedStr):
        return "".join(
            v.value if isinstance(v, ast.Constant) and isinstance(v.value, str) else _HOLE for v in message.values
        )
    if isinstance(message, ast.BinOp) and isinstance(message.op, ast.Mod):
        return _static_text(message.left)
    if isinstance(message, ast.Call) and isinstance(message.func, ast.Attribute) and message.func.attr == "format":
        return _static_text(message.func.value)
    return None


def _matches(pattern: str, text: str) -> bool:
    """Whether a ``match=`` pattern matches the message (its holes filled any of a few ways), or
    the pattern's literal lead (8 characters or more) appears in it."""
    try:
        if any(re.search(pattern, text.replace(_HOLE, fill)) for fill in ("", "x", "0", "'x'")):
            return True
    except re.error:
        return False
    lead = re.split(r"[\\.^$*+?{}\[\]|()]", pattern)[0]
    return len(lead) >= 8 and lead in text.replace(_HOLE, "")


def _expected_by_tests(rule: Rule) -> list[tuple[str, str]]:
    """What the patch's test code, on its changed lines, expects to be raised with a message:
    ``(exception, pattern)`` for ``pytest.raises(E, match=P)`` and ``assertRaisesRegex(E, P)``,
    exceptions an assert would satisfy left out."""

    def build() -> list[tuple[str, str]]:
        out: list[tuple[str, str]] = []
        for changes in rule.context.project.files.values():
            after = changes.after
            if not is_test_path(changes.path) or after is None or after.tree is None:
                continue
            for call in ast.walk(after.tree):
                if not isinstance(call, ast.Call) or not call.args:
                    continue
                if not any(line in changes.changed_lines for line in range(call.lineno, (call.end_lineno or call.lineno) + 1)):
                    continue
                name = call.func.attr if isinstance(call.func, ast.Attribute) else getattr(call.func, "id", "")
                pattern: ast.expr | None = None
                if name == "raises":
                    pattern = next((k.value for k in call.keywords if k.arg == "match"), None)
                elif name in ("assertRaisesRegex", "assertRaisesRegexp") and len(call.args) >= 2:
                    pattern = call.args[1]
                if not (isinstance(pattern, ast.Constant) and isinstance(pattern.value, str)):
                    continue
                kinds = call.args[0].elts if isinstance(call.args[0], ast.Tuple) else [call.args[0]]
                names = [ast.unparse(k).rsplit(".", 1)[-1] for k in kinds]
                if names and not any(n in _BROAD for n in names):
                    out.append((" or ".join(names), pattern.value))
        return out

    return rule.context.project.memo("assert-validation:expected", build)


def _raised_for_tests(rule: Rule) -> dict[str, str]:
    """What the patch's test code, on its changed lines, expects a call to raise, by the called
    name's last part: ``{"circular_shifts": "ValueError"}`` for ``with pytest.raises(ValueError):
    circular_shifts(x, 0)`` or ``self.assertRaises(ValueError, circular_shifts, x, 0)``;
    exceptions an assert would satisfy left out."""

    def exceptions(call: ast.Call) -> str | None:
        name = call.func.attr if isinstance(call.func, ast.Attribute) else getattr(call.func, "id", "")
        if name not in ("raises", "assertRaises", "assertRaisesRegex", "assertRaisesRegexp") or not call.args:
            return None
        kinds = call.args[0].elts if isinstance(call.args[0], ast.Tuple) else [call.args[0]]
        names = [ast.unparse(k).rsplit(".", 1)[-1] for k in kinds]
        return " or ".join(names) if names and not any(n in _BROAD for n in names) else None

    def called(nodes: list[ast.stmt] | list[ast.expr]) -> set[str]:
        out = set()
        for node in nodes:
            for n in ast.walk(node):
                if isinstance(n, ast.Call):
                    func = n.func
                    out.add(func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", ""))
        return out - {""}

    def build() -> dict[str, str]:
        out: dict[str, str] = {}
        for changes in rule.context.project.files.values():
            after = changes.after
            if not is_test_path(changes.path) or after is None or after.tree is None:
                continue
            for node in ast.walk(after.tree):
                if isinstance(node, ast.With):
                    kinds = [k for k in (exceptions(i.context_expr) for i in node.items if isinstance(i.context_expr, ast.Call)) if k]
                    lines = range(node.lineno, (node.end_lineno or node.lineno) + 1)
                    if kinds and any(line in changes.changed_lines for line in lines):
                        for name in called(node.body):
                            out.setdefault(name, kinds[0])
                elif isinstance(node, ast.Call) and len(node.args) >= 2:
                    kind = exceptions(node)
                    if kind and node.lineno in changes.changed_lines:
                        target = node.args[1]
                        name = target.attr if isinstance(target, ast.Attribute) else getattr(target, "id", "")
                        if name:
                            out.setdefault(name, kind)
        return out

    return rule.context.project.memo("assert-validation:raised-for-tests", build)


def _parse(text: str) -> ast.expr | None:
    try:
        return ast.parse(text.strip(), mode="eval").body
    except SyntaxError:
        return None


def _raising_ifs(fn: cst.FunctionDef) -> list[_Check]:
    """Each ``if`` of the function whose body raises (directly, maybe after building a message):
    its code, its test, the raise's message (its first argument, or what the name it raises
    with was assigned in the body) and the exception."""
    out = []
    for node in walk(fn.body):
        if not isinstance(node, cst.If) or not isinstance(node.body, cst.IndentedBlock):
            continue
        body = [stmt for line in node.body.body for stmt in _parse_block(_EMPTY.code_for_node(line))]
        if not body or not isinstance(body[-1], ast.Raise) or body[-1].exc is None:
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
        kind = ast.unparse(exc.func if isinstance(exc, ast.Call) else exc)
        out.append(_Check(code(node), test, message, kind))
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
