"""What a test checks, read from its source: every assert, unittest ``assert*`` call, ``raises``
context and helper check, with the object it checks and how strictly."""

from __future__ import annotations

from dataclasses import dataclass

import libcst as cst

from ._patch import code, dotted, literal, walk

EXACT, SIZE, LOOSE, NONE = 3, 2, 1, 0
"""How strictly a check pins its subject: equality of content, equality of a size, anything weaker."""

_EQUAL_CALLS = {
    "assertEqual", "assertEquals", "assertListEqual", "assertDictEqual", "assertTupleEqual",
    "assertSetEqual", "assertSequenceEqual", "assertMultiLineEqual", "assertCountEqual",
    "assertAlmostEqual", "assertIs", "assertIsNone",
}  # fmt: skip
_LOOSE_CALLS = {
    "assertTrue", "assertIsNotNone", "assertIsInstance", "assertIn", "assertNotIn", "assertGreater",
    "assertGreaterEqual", "assertLess", "assertLessEqual", "assertNotEqual", "assertFalse",
}  # fmt: skip
_RAISES = {"raises", "warns", "assertRaises", "assertRaisesRegex", "assertWarns", "assertWarnsRegex"}
_WARNING_FILTERS = {"simplefilter", "filterwarnings"}
_WRAPPERS = {"len", "list", "sorted", "set", "tuple", "dict", "str", "repr", "frozenset", "bool"}
BROAD = {"Exception", "BaseException", "builtins.Exception", "builtins.BaseException"}


@dataclass(frozen=True)
class Check:
    node: cst.CSTNode
    text: str
    level: int
    roots: tuple[str, ...]
    """The objects checked: ``cache`` for ``len(cache) == 2`` and ``"c" in cache``."""
    raises: str = ""
    """For a ``raises`` context: the exception type as written."""
    tautology: str = ""
    """Why the check cannot fail, if it cannot."""


def root(node: cst.BaseExpression) -> str:
    """What a check looks at, seen through size and view wrappers: ``cache`` for ``len(cache)``,
    ``list(cache)`` or ``cache.keys()``; ``counts["the"]`` for itself."""
    if isinstance(node, cst.Call):
        if dotted(node.func) in _WRAPPERS and len(node.args) == 1:
            return root(node.args[0].value)
        if isinstance(node.func, cst.Attribute) and not node.args:
            return root(node.func.value)
    return code(node)


def covers(base: str, subject: str) -> bool:
    """Whether checking ``base`` looks at ``subject`` too (``counts`` covers ``counts["the"]``)."""
    return subject == base or subject.startswith((f"{base}[", f"{base}."))


def _is_len(node: cst.BaseExpression) -> bool:
    return isinstance(node, cst.Call) and dotted(node.func) == "len"


def _subjects(*nodes: cst.BaseExpression) -> tuple[str, ...]:
    return tuple(root(n) for n in nodes if not literal(n)[0])


def _truthy_literal(node: cst.BaseExpression) -> bool:
    ok, value = literal(node)
    return ok and bool(value)


def _from_assert(node: cst.Assert) -> Check:
    test, text = node.test, code(node)
    if _truthy_literal(test) or (isinstance(test, cst.Tuple) and test.elements):
        return Check(node, text, NONE, (), tautology="it asserts a non-empty constant")
    if (
        isinstance(test, cst.BooleanOperation)
        and isinstance(test.operator, cst.Or)
        and (_truthy_literal(test.left) or _truthy_literal(test.right))
    ):
        return Check(node, text, NONE, (), tautology="one side of its `or` is a true constant")
    if isinstance(test, cst.Comparison) and len(test.comparisons) == 1:
        op, right = test.comparisons[0].operator, test.comparisons[0].comparator
        same = code(test.left) == code(right) and not any(isinstance(n, cst.Call) for n in walk(right))
        if same and isinstance(op, cst.Equal | cst.Is | cst.GreaterThanEqual | cst.LessThanEqual):
            return Check(node, text, NONE, (), tautology="it compares an expression with itself")
        if isinstance(op, cst.Equal | cst.Is):
            sized = _is_len(test.left) or _is_len(right)
            return Check(node, text, SIZE if sized else EXACT, _subjects(test.left, right))
        if isinstance(op, cst.In | cst.NotIn):
            container = right if not literal(right)[0] else test.left
            return Check(node, text, LOOSE, _subjects(container))
        return Check(node, text, LOOSE, _subjects(test.left, right))
    if isinstance(test, cst.Call) and dotted(test.func) == "isinstance" and test.args:
        return Check(node, text, LOOSE, _subjects(test.args[0].value))
    if isinstance(test, cst.UnaryOperation) and isinstance(test.operator, cst.Not):
        return Check(node, text, LOOSE, _subjects(test.expression))
    return Check(node, text, LOOSE, _subjects(test))


def _from_call(node: cst.Call) -> Check | None:
    name = dotted(node.func).rsplit(".", 1)[-1]
    args = [a.value for a in node.args if a.keyword is None]
    text = code(node)
    if name in _RAISES:
        kind = code(args[0]) if args else ""
        return Check(node, text, EXACT, (), raises=kind)
    if name in _EQUAL_CALLS and args:
        if len(args) >= 2 and code(args[0]) == code(args[1]) and not any(
            isinstance(n, cst.Call) for n in walk(args[1])
        ):
            return Check(node, text, NONE, (), tautology="it compares an expression with itself")
        sized = any(_is_len(a) for a in args[:2])
        return Check(node, text, SIZE if sized else EXACT, _subjects(*args[:2]))
    if name in _LOOSE_CALLS and args:
        if name == "assertTrue" and _truthy_literal(args[0]):
            return Check(node, text, NONE, (), tautology="it asserts a true constant")
        return Check(node, text, LOOSE, _subjects(*args[:2]))
    if name in _WARNING_FILTERS and args and literal(args[0]) == (True, "error"):
        # Turns every warning into an exception: a check that the code under it warns nothing.
        return Check(node, text, EXACT, ())
    if name.lstrip("_").startswith(("assert", "check", "verify", "expect")) or name == "fail":
        return Check(node, text, NONE, ())
    return None


def checks(fn: cst.FunctionDef) -> list[Check]:
    """Every check in a test function, in source order. A ``raises`` context bound to a name
    (``expected = pytest.raises(E)``) checks once per ``with expected:`` that uses it."""
    found: list[Check] = []
    bound: dict[str, Check] = {}
    for node in walk(fn.body):
        if isinstance(node, cst.Assert):
            found.append(_from_assert(node))
        elif isinstance(node, cst.Call) and (check := _from_call(node)) is not None:
            found.append(check)
        elif isinstance(node, cst.Assign) and isinstance(node.value, cst.Call):
            made = _from_call(node.value)
            if made is not None and made.raises:
                bound.update({t.target.value: made for t in node.targets if isinstance(t.target, cst.Name)})
        elif isinstance(node, cst.With):
            for item in node.items:
                if isinstance(item.item, cst.Name) and item.item.value in bound:
                    used = bound[item.item.value]
                    found.append(Check(item, code(item), used.level, used.roots, raises=used.raises))
    return found


def in_loop(fn: cst.FunctionDef, check: Check) -> bool:
    """Whether a check sits in a loop of the test (it runs once per iteration, not once)."""
    return any(
        isinstance(node, cst.For | cst.While) and any(n is check.node for n in walk(node.body))
        for node in walk(fn.body)
    )


def best_levels(found: list[Check]) -> dict[str, int]:
    """For each checked object, the strictest check on it."""
    best: dict[str, int] = {}
    for check in found:
        for r in check.roots:
            best[r] = max(best.get(r, NONE), check.level)
    return best


def names_in(node: cst.CSTNode) -> set[str]:
    """Every name and attribute name a piece of code mentions."""
    out: set[str] = set()
    for n in walk(node):
        if isinstance(n, cst.Name):
            out.add(n.value)
    return out
