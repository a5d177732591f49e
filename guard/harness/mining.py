"""What the source of a changed function says about its interesting inputs.

Property-based testing tools seed their generators with the constants of the code under test
(the literals it compares against, the prefixes it strips, the keys it looks up, the sizes it
checks): a branch guarded by ``ref.startswith("refs/heads/")`` or ``len(body) > LIMIT`` is
almost never reached by random text or integers, but always by ``"refs/heads/" + text`` or a
body of exactly ``LIMIT`` bytes. This module reads those constants from the old *and* new
bodies of a function (and the same-module helpers they call), and infers, from how the body
uses them, a type for parameters that carry no annotation. It only reads syntax trees: nothing
here runs the code under test.
"""

from __future__ import annotations

import ast
import functools
import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

MAX_EACH = 24
"""At most this many constants of each kind (the first found win: the function's own before
its helpers'), so a data-heavy body cannot drown the generic strategies."""
MAX_STRING = 200
MAX_LENGTH = 1 << 22
"""Sizes above this (4 MiB) are not built: the harness has 512 MiB and one second."""

STR_METHODS = frozenset({
    "startswith", "endswith", "removeprefix", "removesuffix", "lower", "upper", "casefold",
    "strip", "lstrip", "rstrip", "split", "rsplit", "splitlines", "partition", "rpartition",
    "isdigit", "isalpha", "isalnum", "isspace", "isidentifier", "isdecimal", "isnumeric",
    "islower", "isupper", "istitle", "title", "capitalize", "swapcase", "zfill", "center",
    "ljust", "rjust", "encode", "format", "format_map", "expandtabs", "translate",
})
BYTES_METHODS = frozenset({"decode", "hex"})
DICT_METHODS = frozenset({"get", "items", "keys", "values", "setdefault", "popitem"})
LIST_METHODS = frozenset({"append", "extend", "insert", "sort", "reverse"})
SET_METHODS = frozenset({"add", "discard", "issubset", "issuperset", "union", "intersection"})
_AFFIX_METHODS = {"startswith": "prefixes", "removeprefix": "prefixes", "lstrip": "prefixes",
                  "endswith": "suffixes", "removesuffix": "suffixes", "rstrip": "suffixes"}
_SEP_METHODS = frozenset({"split", "rsplit", "partition", "rpartition", "join", "find",
                          "index", "rfind", "rindex", "count", "replace"})
_ITERATING = frozenset({"len", "sorted", "sum", "min", "max", "list", "tuple", "set", "enumerate",
                        "reversed", "any", "all", "zip", "iter", "frozenset"})
_ITERTOOLS = frozenset({"islice", "groupby", "cycle", "tee", "accumulate", "pairwise", "chain",
                        "combinations", "combinations_with_replacement", "permutations",
                        "zip_longest", "deque"})
"""Calls (``itertools.islice(iterable, n)``, ``islice(...)``, ``collections.deque(...)``) whose
first argument is iterated."""

Kind = str
"""An inferred parameter type: 'str', 'bytes', 'int', 'float', 'bool', 'dict', 'list', 'set'."""


@dataclass
class Mined:
    """Constants found in source, in the order found (deduplicated, each list capped)."""

    strings: list[str] = field(default_factory=list)
    prefixes: list[str] = field(default_factory=list)
    suffixes: list[str] = field(default_factory=list)
    separators: list[str] = field(default_factory=list)
    keys: list[str] = field(default_factory=list)
    """Keys looked up in mappings: ``x["k"]``, ``x.get("k")``, ``"k" in x``."""
    ints: list[int] = field(default_factory=list)
    floats: list[float] = field(default_factory=list)
    decimals: list[str] = field(default_factory=list)
    """Numeric text passed to ``Decimal(...)`` or ``float(...)`` (e.g. ``"0.1"``)."""
    byte_strings: list[bytes] = field(default_factory=list)
    sizes: dict[str, list[int]] = field(default_factory=dict)
    """Name of what is measured (``body`` for ``len(request.body)``) -> the sizes it is compared
    against with their neighbours."""
    equals: dict[str, list[object]] = field(default_factory=dict)
    """Name of what is compared (``method`` for ``request.method != "POST"``) -> the literals
    it is compared with (``==``, ``!=``, ``in``, ``not in``)."""
    names: list[str] = field(default_factory=list)
    """Free names the bodies read (module constants, resolved by :func:`resolve`)."""
    kinds: dict[str, Kind] = field(default_factory=dict)
    """Unannotated parameter -> the type its use implies."""
    key_kinds: dict[str, Kind] = field(default_factory=dict)
    """Key looked up in a mapping -> the type the use of its value implies."""

    def add_size(self, target: str, size: int) -> None:
        found = self.sizes.setdefault(target, [])
        for v in (size, size + 1, size - 1):  # the boundary itself first
            if 0 <= v <= MAX_LENGTH and v not in found and len(found) < MAX_EACH:
                found.append(v)

    def add_equal(self, target: str, value: object) -> None:
        found = self.equals.setdefault(target, [])
        if value not in found and len(found) < MAX_EACH:
            found.append(value)

    def add(self, kind: str, value: object) -> None:
        found: list[Any] = getattr(self, kind)
        if value not in found and len(found) < (MAX_EACH * 4 if kind == "names" else MAX_EACH):
            found.append(value)

    def merge(self, other: Mined) -> Mined:
        out = Mined(kinds={**other.kinds, **self.kinds},
                    key_kinds={**other.key_kinds, **self.key_kinds})
        for sizes in (self.sizes, other.sizes):
            for target, values in sizes.items():
                found = out.sizes.setdefault(target, [])
                found += [v for v in values if v not in found][: MAX_EACH - len(found)]
        for equals in (self.equals, other.equals):
            for target, literals in equals.items():
                for value in literals:
                    out.add_equal(target, value)
        for name in _LISTS:
            for value in [*getattr(self, name), *getattr(other, name)]:
                out.add(name, value)
        return out

    def empty(self) -> bool:
        return not self.sizes and not self.equals and not any(getattr(self, n) for n in _LISTS if n != "names")


_LISTS = ("strings", "prefixes", "suffixes", "separators", "keys", "ints", "floats", "decimals",
          "byte_strings", "names")


def find_def(tree: ast.Module, qualname: str) -> ast.FunctionDef | ast.AsyncFunctionDef | None:
    body: list[ast.stmt] = tree.body
    node: ast.stmt | None = None
    for part in qualname.split("."):
        node = next((n for n in body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef,
                                                       ast.ClassDef)) and n.name == part), None)
        if node is None:
            return None
        body = node.body
    return node if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) else None


def find_class(tree: ast.Module, qualname: str) -> ast.ClassDef | None:
    body: list[ast.stmt] = tree.body
    node: ast.stmt | None = None
    for part in qualname.split("."):
        node = next((n for n in body if isinstance(n, ast.ClassDef) and n.name == part), None)
        if node is None:
            return None
        body = node.body
    return node if isinstance(node, ast.ClassDef) else None


@functools.lru_cache(maxsize=16)
def parse(source: str | None) -> ast.Module | None:
    """The tree of ``source`` (cached: every changed function of a module reads the same two
    versions; the trees are only read)."""
    if source is None:
        return None
    try:
        return ast.parse(source)
    except (SyntaxError, ValueError):
        return None


def callees(tree: ast.Module, qualname: str, fn: ast.AST) -> list[ast.AST]:
    """Same-module functions ``fn`` calls directly: ``helper(...)`` for a module-level
    ``def helper``, ``self.m(...)`` / ``cls.m(...)`` for a method of the same class."""
    owner = qualname.rsplit(".", 1)[0] if "." in qualname else None
    found: list[ast.AST] = []
    for node in ast.walk(fn):
        if not isinstance(node, ast.Call):
            continue
        target: ast.AST | None = None
        if isinstance(node.func, ast.Name):
            target = find_def(tree, node.func.id)
        elif (owner and isinstance(node.func, ast.Attribute)
              and isinstance(node.func.value, ast.Name) and node.func.value.id in ("self", "cls")):
            target = find_def(tree, f"{owner}.{node.func.attr}")
        if target is not None and target is not fn and target not in found:
            found.append(target)
    return found


def mine_function(sources: Iterable[str | None], qualname: str) -> Mined:
    """Constants of ``qualname`` in each version of its module, then of the helpers it calls."""
    own, helpers = Mined(), Mined()
    for source in sources:
        tree = parse(source)
        fn = find_def(tree, qualname) if tree is not None else None
        if tree is None or fn is None:
            continue
        own = own.merge(mine(fn))
        for callee in callees(tree, qualname, fn):
            helpers = helpers.merge(mine(callee))
    helpers.kinds = {}  # a helper's parameters are not ours
    return own.merge(helpers)


def mine_init(source: str | None, class_qualname: str) -> Mined:
    """Constants of a class's ``__init__`` / ``__post_init__`` (what its arguments must pass)."""
    tree = parse(source)
    cls = find_class(tree, class_qualname) if tree is not None else None
    out = Mined()
    if cls is None:
        return out
    for node in cls.body:
        if isinstance(node, ast.FunctionDef) and node.name in ("__init__", "__post_init__"):
            out = out.merge(mine(node))
    out.kinds = {}
    return out


MUTATING_METHODS = frozenset({
    "append", "appendleft", "extend", "extendleft", "insert", "pop", "popleft", "popitem",
    "remove", "clear", "update", "setdefault", "add", "discard", "move_to_end", "sort",
    "reverse", "rotate", "put", "put_nowait", "write", "send",
})


def mutators(source: str | None, class_qualname: str) -> frozenset[str] | None:
    """Methods of the class that change the state of its instances: they assign or delete
    ``self.x`` or ``self.x[...]``, call a mutating method on ``self.x`` (``append``,
    ``move_to_end``, ...), or call another method of the class that does. None when the
    class's source is not at hand."""
    tree = parse(source)
    cls = find_class(tree, class_qualname) if tree is not None else None
    if cls is None:
        return None
    methods = {n.name: n for n in cls.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))}
    found = {name for name, fn in methods.items() if _mutates_self(fn)}
    calls = {name: {n.func.attr for n in ast.walk(fn) if isinstance(n, ast.Call)
                    and isinstance(n.func, ast.Attribute) and _is_self(n.func.value)}
             for name, fn in methods.items()}
    changed = True
    while changed:
        grown = {name for name, called in calls.items() if called & found} - found
        found |= grown
        changed = bool(grown)
    return frozenset(found)


def _is_self(node: ast.AST) -> bool:
    return isinstance(node, ast.Name) and node.id == "self"


def _on_self(node: ast.AST) -> bool:
    """``self.x``, ``self.x[k]``, ``self.x.y``..."""
    while isinstance(node, (ast.Attribute, ast.Subscript)):
        if isinstance(node, ast.Attribute) and _is_self(node.value):
            return True
        node = node.value
    return False


def _mutates_self(fn: ast.AST) -> bool:
    for node in ast.walk(fn):
        targets: list[ast.AST] = []
        if isinstance(node, ast.Assign):
            targets = list(node.targets)
        elif isinstance(node, (ast.AugAssign, ast.AnnAssign)):
            targets = [node.target]
        elif isinstance(node, ast.Delete):
            targets = list(node.targets)
        elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
              and node.func.attr in MUTATING_METHODS and _on_self(node.func.value)):
            return True
        if any(_on_self(t) for t in targets):
            return True
    return False


def mine(fn: ast.AST) -> Mined:
    out = Mined()
    params = _params(fn)
    docstring = _docstring(fn)
    assigned = {n.id for n in ast.walk(fn) if isinstance(n, ast.Name)
                and isinstance(n.ctx, (ast.Store, ast.Del))}
    aliases = {a.targets[0].id: target for a in ast.walk(fn) if isinstance(a, ast.Assign)
               and len(a.targets) == 1 and isinstance(a.targets[0], ast.Name)
               for target in [_measured(a.value, {})] if target is not None}
    for node in ast.walk(fn):
        if isinstance(node, ast.Constant) and node is not docstring:
            _constant(out, node.value)
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load):
            if node.id not in params and node.id not in assigned:
                out.add("names", node.id)
        elif isinstance(node, ast.Call):
            _call(out, node)
        elif isinstance(node, ast.Subscript):
            key = _literal(node.slice)
            if isinstance(key, str):
                out.add("keys", key)
        elif isinstance(node, ast.Compare):
            _compare(out, node, aliases)
        elif isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
            value = _literal(node.operand)
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                _constant(out, -value)
    out.kinds = {p: k for p in params if p not in ("self", "cls")
                 for k in [infer_kind(fn, p)] if k is not None}
    out.key_kinds = key_kinds(fn)
    return out


def _params(fn: ast.AST) -> list[str]:
    if not isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
        return []
    a = fn.args
    return [x.arg for x in [*a.posonlyargs, *a.args, *a.kwonlyargs]
            + ([a.vararg] if a.vararg else []) + ([a.kwarg] if a.kwarg else [])]


def _docstring(fn: ast.AST) -> ast.AST | None:
    body = getattr(fn, "body", None)
    if isinstance(body, list) and body and isinstance(body[0], ast.Expr) and isinstance(
        body[0].value, ast.Constant
    ) and isinstance(body[0].value.value, str):
        return body[0].value
    return None


def _literal(node: ast.AST) -> object:
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub) and isinstance(
        node.operand, ast.Constant
    ) and isinstance(node.operand.value, (int, float)):
        return -node.operand.value
    return None


def _strings(node: ast.AST) -> list[str]:
    """String literals of ``node``: a constant, or a tuple of them (``startswith(("a", "b"))``)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, (ast.Tuple, ast.List, ast.Set)):
        return [e.value for e in node.elts if isinstance(e, ast.Constant)
                and isinstance(e.value, str)]
    return []


def _constant(out: Mined, value: object) -> None:
    if isinstance(value, bool) or value is None:
        return
    if isinstance(value, int):
        for v in (value, value - 1, value + 1):
            out.add("ints", v)
    elif isinstance(value, float) and math.isfinite(value):
        out.add("floats", value)
    elif isinstance(value, str) and len(value) <= MAX_STRING:
        out.add("strings", value)
        if _numeric(value):
            out.add("decimals", value)
    elif isinstance(value, bytes) and len(value) <= MAX_STRING:
        out.add("byte_strings", value)


def _numeric(text: str) -> bool:
    try:
        return Decimal(text).is_finite()
    except (InvalidOperation, ValueError):
        return False


def _call(out: Mined, node: ast.Call) -> None:
    func = node.func
    if isinstance(func, ast.Attribute):
        if func.attr in _AFFIX_METHODS and node.args:
            for s in _strings(node.args[0]):
                out.add(_AFFIX_METHODS[func.attr], s)
        if func.attr in _SEP_METHODS:
            args = [func.value] if func.attr == "join" else node.args[:1]
            for arg in args:
                for s in _strings(arg):
                    out.add("separators", s)
        if func.attr in ("get", "pop", "setdefault") and node.args:
            for s in _strings(node.args[0]):
                out.add("keys", s)


def _compare(out: Mined, node: ast.Compare, aliases: Mapping[str, str]) -> None:
    sides = [node.left, *node.comparators]
    for op, left, right in zip(node.ops, sides[:-1], sides[1:], strict=True):
        if isinstance(op, (ast.In, ast.NotIn)):
            for s in _strings(left):
                out.add("keys", s)
                out.add("separators", s)
            for s in _strings(right):
                out.add("strings", s)
        if isinstance(op, (ast.Eq, ast.NotEq, ast.In, ast.NotIn)):
            _equal(out, left, right, aliases, many=isinstance(op, (ast.In, ast.NotIn)))
        if isinstance(op, (ast.Is, ast.IsNot, ast.Eq, ast.NotEq)):
            _none(out, left, right, aliases)
        for this, other in ((left, right), (right, left)):
            measured = _len_arg(this)
            target = _measured(measured, aliases) if measured is not None else None
            if target is None:
                continue
            size = _literal(other)
            if isinstance(size, int) and not isinstance(size, bool):
                out.add_size(target, size)
            elif isinstance(other, ast.Name):
                out.add("names", f"len:{target}:{other.id}")


def _equal(out: Mined, left: ast.AST, right: ast.AST, aliases: Mapping[str, str],
           many: bool) -> None:
    """``x.method != "POST"``, ``kind in ("push", "ping")``: literals for ``method``, ``kind``."""
    pairs = [(left, right)] if many else [(left, right), (right, left)]
    for this, other in pairs:
        target = _measured(this, aliases)
        if target is None:
            continue
        items = list(getattr(other, "elts", [])) if many else [other]
        for item in items:
            value = _literal(item)
            if isinstance(value, (str, int, float, bytes)) and not isinstance(value, bool):
                out.add_equal(target, value)
            elif isinstance(item, ast.Name) and not many:
                out.add("names", f"eq:{target}:{item.id}")


def _none(out: Mined, left: ast.AST, right: ast.AST, aliases: Mapping[str, str]) -> None:
    """``maxsize is None``, ``self.outcome is not None``: None is a value the code tells apart
    for ``maxsize``, ``outcome`` (recorded among their literals; see
    :func:`guard.harness.strategies.plan_for`)."""
    for this, other in ((left, right), (right, left)):
        target = _measured(this, aliases)
        if target is not None and isinstance(other, ast.Constant) and other.value is None:
            out.add_equal(target, None)


def _measured(node: ast.AST, aliases: Mapping[str, str]) -> str | None:
    """The name a measured value goes by: ``body`` for ``request.body``, ``text`` for
    ``text`` (or for a local assigned from ``text`` or ``x.text``)."""
    if isinstance(node, ast.Name):
        return aliases.get(node.id, node.id)
    if isinstance(node, ast.Attribute):
        return node.attr
    return None


def _len_arg(node: ast.AST) -> ast.expr | None:
    """``x`` for ``len(x)``."""
    if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
            and node.func.id == "len" and len(node.args) == 1):
        return node.args[0]
    return None


def infer_kind(fn: ast.AST, name: str) -> Kind | None:
    """The type the body's use of parameter ``name`` implies, if it says anything."""
    return _infer(fn, lambda node: isinstance(node, ast.Name) and node.id == name)


def key_kinds(fn: ast.AST) -> dict[str, Kind]:
    """For each key looked up in a mapping (``d["k"]``, ``d.get("k")``), the type the body's use
    of the value implies: directly (``d["k"].startswith(...)``) or through a name it is
    assigned to (``ref = d.get("ref")`` ... ``isinstance(ref, str)``)."""
    aliases: dict[str, set[str]] = {}
    for node in ast.walk(fn):
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(
            node.targets[0], ast.Name
        ):
            key = _looked_up(node.value)
            if key is not None:
                aliases.setdefault(key, set()).add(node.targets[0].id)
    keys = dict.fromkeys(k for n in ast.walk(fn) for k in [_looked_up(n)] if k is not None)
    found: dict[str, Kind] = {}
    for key in keys:
        kind = _infer(fn, _value_of(key, aliases.get(key, set())))
        if kind is not None:
            found[key] = kind
    return found


def _value_of(key: str, names: set[str]) -> Callable[[ast.AST], bool]:
    def matches(node: ast.AST) -> bool:
        return _looked_up(node) == key or (isinstance(node, ast.Name) and node.id in names)

    return matches


def _looked_up(node: ast.AST) -> str | None:
    """``k`` for ``<expr>["k"]`` or ``<expr>.get("k", ...)``."""
    if isinstance(node, ast.Subscript) and isinstance(node.ctx, ast.Load):
        key = _literal(node.slice)
        return key if isinstance(key, str) else None
    if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
            and node.func.attr == "get" and node.args):
        key = _literal(node.args[0])
        return key if isinstance(key, str) else None
    return None


def _infer(fn: ast.AST, is_param: Callable[[ast.AST], bool]) -> Kind | None:
    votes: dict[str, int] = {}

    def vote(kind: str, weight: int = 1) -> None:
        votes[kind] = votes.get(kind, 0) + weight

    for node in ast.walk(fn):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            if node.func.id == "isinstance" and len(node.args) == 2 and is_param(node.args[0]):
                kinds = _isinstance_kinds(node.args[1])
                if len(kinds) == 1:
                    vote(kinds[0], 10)
            elif node.func.id == "range" and any(is_param(a) for a in node.args):
                vote("int", 3)
            elif node.func.id in _ITERATING | _ITERTOOLS and node.args and is_param(node.args[0]):
                vote("list")
        elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
              and node.func.attr in _ITERTOOLS and node.args and is_param(node.args[0])):
            vote("list")
        if isinstance(node, ast.Attribute) and is_param(node.value):
            for methods, kind in ((STR_METHODS, "str"), (BYTES_METHODS, "bytes"),
                                  (DICT_METHODS, "dict"), (LIST_METHODS, "list"),
                                  (SET_METHODS, "set")):
                if node.attr in methods:
                    vote(kind, 3)
        elif isinstance(node, ast.Subscript) and is_param(node.value):
            key = _literal(node.slice)
            if isinstance(key, str):
                vote("dict", 3)
            elif isinstance(key, int) or isinstance(node.slice, ast.Slice):
                vote("list")
        elif isinstance(node, (ast.For, ast.comprehension)) and is_param(node.iter):
            vote("list")
        elif isinstance(node, ast.BinOp) and (is_param(node.left) or is_param(node.right)):
            other = node.right if is_param(node.left) else node.left
            value = _literal(other)
            if isinstance(value, bool):
                continue
            if isinstance(value, int):
                vote("int", 2)
            elif isinstance(value, float):
                vote("float", 2)
            elif isinstance(value, str) and isinstance(node.op, ast.Add):
                vote("str", 2)
        elif isinstance(node, ast.AugAssign) and is_param(node.target):
            value = _literal(node.value)
            if isinstance(value, int) and not isinstance(value, bool):
                vote("int", 2)
            elif isinstance(value, float):
                vote("float", 2)
        elif isinstance(node, ast.Compare):
            sides = [node.left, *node.comparators]
            for op, left, right in zip(node.ops, sides[:-1], sides[1:], strict=True):
                if isinstance(op, (ast.In, ast.NotIn)) and is_param(right):
                    inner = _literal(left)
                    vote("str" if isinstance(inner, str) else "list")
                    continue
                if not (is_param(left) or is_param(right)):
                    continue
                other = right if is_param(left) else left
                value = _literal(other)
                if isinstance(value, bool) or value is None:
                    if (value is None and not isinstance(other, ast.Constant)
                            and isinstance(op, (ast.Lt, ast.LtE, ast.Gt, ast.GtE))):
                        vote("int")  # ordered against another value (``value < other``)
                    continue
                if isinstance(value, int) and isinstance(op, (ast.Lt, ast.LtE, ast.Gt, ast.GtE)):
                    vote("int", 2)
                elif isinstance(value, float):
                    vote("float", 2)
                elif isinstance(value, str):
                    vote("str", 2)
    if not votes:
        return None
    return max(sorted(votes), key=lambda k: votes[k])


_ISINSTANCE = {"str": "str", "bytes": "bytes", "int": "int", "float": "float", "bool": "bool",
               "dict": "dict", "list": "list", "set": "set", "tuple": "list"}


def _isinstance_kinds(node: ast.AST) -> list[str]:
    names = [node] if isinstance(node, ast.Name) else list(getattr(node, "elts", []))
    return sorted({_ISINSTANCE[n.id] for n in names
                   if isinstance(n, ast.Name) and n.id in _ISINSTANCE})


def resolve(mined: Mined, namespace: Mapping[str, Any]) -> Mined:
    """Add the values of the module-level constants the bodies read (``MAX_BODY_BYTES``,
    ``CENT``, ``MINOR_UNITS``'s keys) to the literals."""
    out = mined.merge(Mined())
    for name in mined.names:
        if name.startswith(("len:", "eq:")):
            how, target, constant = name.split(":")
            value = namespace.get(constant)
            if how == "len" and isinstance(value, int) and not isinstance(value, bool):
                out.add_size(target, value)
            elif how == "eq" and isinstance(value, (str, int, float, bytes)) and not isinstance(
                value, bool
            ):
                out.add_equal(target, value)
            continue
        _value(out, namespace.get(name), depth=0)
    return out


def _value(out: Mined, value: object, depth: int) -> None:
    if isinstance(value, (bool, int, float, str, bytes)):
        _constant(out, value)
    elif isinstance(value, Decimal) and value.is_finite():
        out.add("decimals", str(value))
    elif depth == 0 and isinstance(value, (tuple, list, set, frozenset)) and len(value) <= 64:
        for item in sorted(value, key=repr) if isinstance(value, (set, frozenset)) else value:
            if isinstance(item, (str, int, float, bytes, Decimal)):
                _value(out, item, depth + 1)
    elif depth == 0 and isinstance(value, Mapping) and len(value) <= 64:
        for key in value:
            if isinstance(key, str):
                out.add("keys", key)
                _constant(out, key)
