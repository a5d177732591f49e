"""What a test checks, read from its source: every assert, unittest ``assert*`` call, ``raises``
context and helper check, with the object it checks and how strictly."""

from __future__ import annotations

from dataclasses import dataclass, replace

import libcst as cst

from ._patch import code, dotted, literal, walk

EXACT, SIZE, LOOSE, NONE = 3, 2, 1, 0
"""How strictly a check pins its subject: equality of content, equality of a size, anything weaker."""

EQUAL_CALLS = {
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
    body: cst.CSTNode | None = None
    """For a ``raises`` context: the code it wraps (what the check is about)."""


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
    """``len(x)``, or ``x.__len__()`` spelled out (waitress 3.0.2 respelled one as the other)."""
    if not isinstance(node, cst.Call):
        return False
    if isinstance(node.func, cst.Attribute) and node.func.attr.value == "__len__" and not node.args:
        return True
    return dotted(node.func) == "len"


def _subjects(*nodes: cst.BaseExpression) -> tuple[str, ...]:
    return tuple(root(n) for n in nodes if not literal(n)[0])


def _truthy_literal(node: cst.BaseExpression) -> bool:
    ok, value = literal(node)
    return ok and bool(value)


_NEVER_NONE_CALLS = {
    "list", "dict", "set", "tuple", "frozenset", "str", "bytes", "int", "float", "bool", "len",
    "sorted", "repr", "sum", "range", "enumerate", "zip", "map", "filter", "reversed",
}  # fmt: skip
_NEVER_NONE_NODES = (
    cst.List, cst.Tuple, cst.Set, cst.Dict, cst.ListComp, cst.SetComp, cst.DictComp, cst.GeneratorExp,
    cst.FormattedString, cst.ConcatenatedString, cst.SimpleString, cst.Integer, cst.Float, cst.Imaginary,
)  # fmt: skip


def _never_none(node: cst.BaseExpression) -> bool:
    """Whether the expression's value can never be None: a display, comprehension or literal, or
    a call of a builtin that always returns a value (``list(items)``, ``len(x)``, ``str(v)``)."""
    if isinstance(node, _NEVER_NONE_NODES):
        return True
    return isinstance(node, cst.Call) and isinstance(node.func, cst.Name) and node.func.value in _NEVER_NONE_CALLS


def _never_fails(op: cst.BaseCompOp, operand: cst.BaseExpression, constants: frozenset[str]) -> bool:
    """Whether comparing ``operand`` with itself by ``op`` is true whatever happens at run time.

    ``is`` compares identities: only a plain name is the same object each time it is evaluated (an
    attribute access, call or subscript may build a new one). ``==``, ``>=`` and ``<=`` call the
    type's own methods, which may be anything (NaN, a custom ``__eq__``): certain only for a
    literal of builtin type, or a name the test binds to nothing but such literals."""
    if isinstance(op, cst.Is):
        return isinstance(operand, cst.Name)  # `None`, `True` and `False` are names too
    if isinstance(op, cst.Equal | cst.GreaterThanEqual | cst.LessThanEqual):
        return literal(operand)[0] or (isinstance(operand, cst.Name) and operand.value in constants)
    return False


def _constants(fn: cst.FunctionDef) -> frozenset[str]:
    """Names the function binds only to literals (``expected = [1, 2]``), never otherwise."""
    literal_names: set[str] = set()
    other: set[str] = set()
    for node in walk(fn):
        bound: cst.CSTNode | None = None
        if isinstance(node, cst.Assign):
            for target in node.targets:
                if isinstance(target.target, cst.Name) and literal(node.value)[0]:
                    literal_names.add(target.target.value)
                else:
                    other.update(n.value for n in walk(target.target) if isinstance(n, cst.Name))
        elif isinstance(node, cst.AnnAssign | cst.AugAssign | cst.For | cst.CompFor | cst.NamedExpr):
            bound = node.target
        elif isinstance(node, cst.AsName | cst.Param):
            bound = node.name
        elif isinstance(node, cst.Global | cst.Nonlocal):
            other.update(n.name.value for n in node.names)
        if bound is not None:
            other.update(n.value for n in walk(bound) if isinstance(n, cst.Name))
    return frozenset(literal_names - other)


def _from_assert(node: cst.Assert, constants: frozenset[str] = frozenset()) -> Check:
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
        if isinstance(op, cst.IsNot) and isinstance(right, cst.Name) and right.value == "None" and _never_none(test.left):
            return Check(node, text, NONE, (), tautology="the value it checks is never None (only an exception while computing it would fail the check)")
        if code(test.left) == code(right):
            if _never_fails(op, right, constants):
                return Check(node, text, NONE, (), tautology="it compares an expression with itself")
            # `x == x` on an object of unknown type checks its `__eq__` (reflexivity), `x.a is x.a`
            # that an access returns the same object (caching): real checks, but not of content.
            return Check(node, text, LOOSE, _subjects(right))
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


def _from_call(node: cst.Call, constants: frozenset[str] = frozenset()) -> Check | None:
    name = dotted(node.func).rsplit(".", 1)[-1]
    if not (name in _RAISES or name in EQUAL_CALLS or name in _LOOSE_CALLS or name in _WARNING_FILTERS
            or name.lstrip("_").startswith(("assert", "check", "verify", "expect")) or name == "fail"):
        return None  # not a check: spare the source text (most calls of a test are not)
    args = [a.value for a in node.args if a.keyword is None]
    text = code(node)
    if name in _RAISES:
        kind = code(args[0]) if args else ""
        if name == "warns" and kind == "None":
            return None  # `pytest.warns(None)` only records; the checks are on what it recorded
        return Check(node, text, EXACT, (), raises=kind)
    if name in EQUAL_CALLS and args:
        if len(args) >= 2 and code(args[0]) == code(args[1]):
            op: cst.BaseCompOp = cst.Is() if name == "assertIs" else cst.Equal()
            if _never_fails(op, args[1], constants):
                return Check(node, text, NONE, (), tautology="it compares an expression with itself")
            return Check(node, text, LOOSE, _subjects(args[1]))
        sized = any(_is_len(a) for a in args[:2])
        return Check(node, text, SIZE if sized else EXACT, _subjects(*args[:2]))
    if name in _LOOSE_CALLS and args:
        if name == "assertTrue" and _truthy_literal(args[0]):
            return Check(node, text, NONE, (), tautology="it asserts a true constant")
        if name == "assertIsNotNone" and _never_none(args[0]):
            return Check(node, text, NONE, (), tautology="the value it checks is never None (only an exception while computing it would fail the check)")
        return Check(node, text, LOOSE, _subjects(*args[:2]))
    if name in _WARNING_FILTERS and args and literal(args[0]) == (True, "error"):
        # Turns every warning into an exception: a check that the code under it warns nothing.
        return Check(node, text, EXACT, ())
    if name.lstrip("_").startswith(("assert", "check", "verify", "expect")) or name == "fail":
        return Check(node, text, NONE, ())
    return None


def checks(fn: cst.FunctionDef, target: tuple[int, int] | None = None) -> list[Check]:
    """Every check in a test function, in source order. A ``raises`` context bound to a name
    (``expected = pytest.raises(E)``) checks once per ``with expected:`` that uses it. With the
    project's ``target`` Python, checks in a branch no supported Python takes (the ``else`` of
    ``if sys.version_info >= (3, 8):`` when 3.8 is the oldest) are left out: they never run."""
    found: list[Check] = []
    bound: dict[str, Check] = {}
    constants = _constants(fn)
    dead = _dead_code(fn, target) if target is not None else set()
    bodies: dict[int, cst.CSTNode] = {}
    for node in walk(fn.body):
        if id(node) in dead:
            continue
        if isinstance(node, cst.Assert):
            found.append(_from_assert(node, constants))
        elif isinstance(node, cst.Call) and (check := _from_call(node, constants)) is not None:
            found.append(replace(check, body=bodies[id(node)]) if id(node) in bodies else check)
        elif isinstance(node, cst.Assign) and isinstance(node.value, cst.Call):
            made = _from_call(node.value)
            if made is not None and made.raises:
                bound.update({t.target.value: made for t in node.targets if isinstance(t.target, cst.Name)})
        elif isinstance(node, cst.With):
            for item in node.items:
                if isinstance(item.item, cst.Name) and item.item.value in bound:
                    used = bound[item.item.value]
                    found.append(Check(item, code(item), used.level, used.roots, raises=used.raises, body=node.body))
                elif isinstance(item.item, cst.Call):
                    bodies[id(item.item)] = node.body
    return found


def _dead_code(fn: cst.FunctionDef, target: tuple[int, int]) -> set[int]:
    """The nodes (by id) of ``if`` branches that no Python from ``target`` on takes."""
    dead: set[int] = set()
    for node in walk(fn.body):
        if isinstance(node, cst.If) and id(node) not in dead:
            taken = version_condition(node.test, target)
            branch = node.orelse if taken else node.body if taken is False else None
            if branch is not None:
                dead.update(id(n) for n in walk(branch))
    return dead


def version_condition(test: cst.BaseExpression, target: tuple[int, int]) -> bool | None:
    """The value of a condition on ``sys.version_info`` on every Python from ``target`` on, or
    None when it depends on something else (or on which of those Pythons runs it)."""
    if isinstance(test, cst.UnaryOperation) and isinstance(test.operator, cst.Not):
        inner = version_condition(test.expression, target)
        return None if inner is None else not inner
    if isinstance(test, cst.BooleanOperation):
        sides = (version_condition(test.left, target), version_condition(test.right, target))
        if isinstance(test.operator, cst.And):
            return False if False in sides else True if all(sides) else None
        return True if True in sides else False if sides == (False, False) else None
    if not (isinstance(test, cst.Comparison) and len(test.comparisons) == 1):
        return None
    op, limit = test.comparisons[0].operator, test.comparisons[0].comparator
    width = _version_width(test.left)
    ok, bound = literal(limit)
    if width is None or not ok:
        return None
    bound = (bound,) if isinstance(bound, int) else bound
    if not (isinstance(bound, tuple) and bound and all(isinstance(b, int) for b in bound)):
        return None
    bound = tuple(int(b) for b in bound)
    # On every supported Python, sys.version_info[:n] is at least `oldest`; nothing bounds it above.
    oldest = (*target, 0, 0)[: min(width, len(bound))]
    longer = width > len(bound)  # (3, 8, 0, ...) > (3, 8): a longer tuple with an equal start is greater
    above = oldest > bound or (oldest == bound and longer)
    if isinstance(op, cst.GreaterThanEqual | cst.LessThan) and oldest >= bound:
        return isinstance(op, cst.GreaterThanEqual)
    if isinstance(op, cst.GreaterThan | cst.LessThanEqual) and above:
        return isinstance(op, cst.GreaterThan)
    if isinstance(op, cst.Equal | cst.NotEqual) and above:
        return isinstance(op, cst.NotEqual)
    return None


def _version_width(node: cst.BaseExpression) -> int | None:
    """How many leading fields of ``sys.version_info`` an expression is: 5 for itself, 2 for
    ``sys.version_info[:2]``, 1 for ``sys.version_info[0]`` or ``.major``; None for anything else."""
    if dotted(node) == "sys.version_info":
        return 5
    if dotted(node) == "sys.version_info.major":
        return 1
    if isinstance(node, cst.Subscript) and dotted(node.value) == "sys.version_info" and len(node.slice) == 1:
        index = node.slice[0].slice
        if isinstance(index, cst.Index):
            ok, value = literal(index.value)
            return 1 if ok and value == 0 else None
        if isinstance(index, cst.Slice) and index.lower is None and index.step is None and index.upper:
            ok, value = literal(index.upper)
            return value if ok and isinstance(value, int) and value > 0 else None
    return None


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


_ATTR_CALLS = {"getattr", "hasattr", "setattr", "delattr"}


def names_in(node: cst.CSTNode) -> set[str]:
    """Every name and attribute name a piece of code mentions, ``getattr(obj, "name")`` included."""
    out: set[str] = set()
    for n in walk(node):
        if isinstance(n, cst.Name):
            out.add(n.value)
        elif isinstance(n, cst.Call) and dotted(n.func) in _ATTR_CALLS and len(n.args) >= 2:
            ok, value = literal(n.args[1].value)
            if ok and isinstance(value, str):
                out.add(value)
    return out


def check_names(check: Check) -> set[str]:
    """The names a check mentions, and for a ``raises`` context those of the code it wraps."""
    return names_in(check.node) | (names_in(check.body) if check.body is not None else set())
