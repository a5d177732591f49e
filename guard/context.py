"""Read a tool's finding in the context of the code around it.

Some findings are true to the letter and still say nothing about the patch:

- an undefined name in a module that writes its own namespace at run time
  (``vars().update(...)``, ``globals()[name] = ...``, a module-level ``exec``): neither ruff nor mypy
  can see those names, and the code may be fine;
- an undefined name in ``__all__`` of a module with a module-level ``__getattr__`` (PEP 562): it
  resolves such names at run time;
- an error inside a block that expects an exception (``with pytest.raises(...)``,
  ``with self.assertRaises(...)``): the test provokes it on purpose;
- a "useless" expression statement (ruff's B018) in a ``try`` whose handlers catch what a lookup
  raises (``try: ExceptionGroup`` / ``except NameError:``): a probe, evaluated for its error;
- a "useless" expression statement (B018) that raises on purpose: a division by a literal zero
  (``1 / 0``), the idiom for provoking an error in a test or hook;
- a ``return value`` in a generator (ruff's B901) that is a coroutine by design: it receives values
  (``result = yield``) or its annotation declares a return type (``Generator[None, str, str]``),
  so the value returned is its protocol (``yield from``, ``StopIteration.value``), not a slip;
- mypy's "Incompatible import of" / "Incompatible types in assignment" for a name imported or
  assigned in a branch for another Python, platform or environment (``if sys.version_info < (3,
  12): from ._suppress import suppress`` / ``else: from contextlib import suppress``, ``TypedDict =
  dict`` in the fallback of an ``except ImportError``): mypy checks both alternatives as if both
  ran; only one does;
- an undefined name that is a builtin of newer Pythons (``ExceptionGroup``) in code that runs only
  where ``sys.version_info`` allows it (an ``if`` on it, a ``@pytest.mark.skipif(sys.version_info <
  (3, 11))`` test): the linter checks it for the oldest Python the project supports;
- a name a stub (``.pyi``) uses before it defines it (``_T = tuple[_T, ...]``): stubs are never
  run, and forward references are their norm;
- mypy on an unchanged line of a function the patch annotated for the first time: mypy skips the
  body of an unannotated function, so it looks at that code for the first time (markdown 3.5.2
  annotated its extensions and mypy reported the untyped code they had always run);
- bandit's complaint about the API a line calls (B3xx, B324: ``hashlib.sha1(...)``) when the patch
  only moved a use the file already made: the API is named no more often than before the patch;
- bandit in test code (``pickle.loads`` of a fixture, ``verify=False`` against a local server):
  its findings are about code that ships, as guard's own security rules, which skip tests;
- mypy's "has no attribute" for ``__self__``, ``__name__`` and the like on a ``Callable[...]``:
  every function or method object has them; mypy's callable type does not declare them;
- a function defined in a loop that reads the loop's variables (ruff's B023) but is only ever called
  in the same iteration, by name (``def render(size): md(unit * size)`` then ``render(200)``): the
  late binding B023 warns of needs the function to outlive its iteration (stored, returned, passed
  on), and this one does not;
- a "possible f-string without an f prefix" (ruff's RUF027) that is a template: a string bound to
  a name that is only ever used to fill it in (``fmt = "{param} is deprecated"`` /
  ``fmt.format(param=param)``, ``fmt % values``);
- mypy's complaints about a type comment (``# type: (callable) -> callable``, ``[valid-type]``),
  which Python never evaluates, and about the unusable type such an annotation leaves behind
  (``callable? not callable``: mypy marks it with a ``?``): the code runs as it reads;
- mypy in test code: tests are written against mocks, fixtures and attributes set at run time,
  which mypy reads worst (many projects do not type-check their tests at all), and a test that
  calls what does not exist fails the first time it runs. guard's own resolution rules, which
  do not guess types, still report a missing attribute, import or argument there.

- ruff's "redefinition of unused" (F811) of an import: rebinding an imported name before any use
  drops the import and nothing else (a function or class defined twice loses code, and still
  counts);
- mypy's "Module has no attribute" for an attribute the line *sets* on a module object
  (``pure_pymod.ParseError = ParseError``): a module takes new names at run time;
- mypy's "has no attribute" for an attribute the module sets on a function it defines
  (``memoize.skip = SkipMemory``), on that line or where the module reads it: a function object
  takes new attributes at run time; mypy's function types do not model that;
- mypy's arg-type for an instance of a class the module defines without bases, passed where a
  stdlib class is expected (``ModuleSpec(name, loader)``, a ``Loader``), when the class implements
  methods the expected class declares (``create_module``, ``exec_module``): duck typing, which
  Python allows; a class sharing no method with the expected one is still reported;
- mypy's '"tuple[str, str]" has no attribute "pos"' on a name the module compares with tuple
  literals (``tok == ("DELIM", ")")``) and assigns from calls: mypy narrowed an object of a tuple
  subclass to the literal's plain tuple type, which lacks the subclass's attributes;
- ruff's "invalid format for ``__all__``" (PLE0605) where ``__all__`` is computed at run time (a
  call, a name): a linter cannot see its type, and any sequence of names is a valid ``__all__``;
- mypy's arg-type on an unchanged line calling a function of the same file that the patch annotated
  for the first time: the call passes what it always did, now compared with the new annotation;
- a property's behaviour-change whose new result is the old one with fields added (keywords of a
  ``Namespace(...)``, keys of a dict), all old ones unchanged, each new one named by code the patch
  added to the file (a new ``--stdin`` option): a feature the patch spells out;
- a property's behaviour-change whose results print the same, in full, before and after: what
  differs shows in no output (a class of each version's own module), so there is no change to check.

- mypy's complaint about a union type (``"KT | MissingT"``) on a line under ``if flag:`` where the
  function set ``flag = x is not MISSING`` (or ``isinstance(x, T)``) before and the line uses
  ``x``: the test narrows ``x`` through a variable, which mypy does not follow.

- mypy's "Incompatible types in assignment (expression has type A, variable has type B)" where
  the line rebinds a name no annotation declares, in the same block as an earlier plain assignment
  to it (``pat = "".join(...)`` / ``pat = re.compile(f"[{pat}]")``): mypy typed the name from its
  first assignment; Python lets a name hold a value of any type, and mypy itself accepts this
  under its redefinition option. Its '"B" has no attribute "x"' on a later ``name.x`` is discounted
  with it only when the type A of the latest rebinding declares ``x`` (typeshed's class of that
  name, or the module's own class): a made-up attribute (``pat.subx``) still counts.

Such findings are kept, as INFO (they no longer count), with the reason in their evidence.
guard's own rules already read this context themselves and are left alone — except in a generated
file, one whose header comment says so (``# setup.py generated by flit``, ``# Generated by the
protocol buffer compiler.  DO NOT EDIT!``, ``# file generated by setuptools-scm``): nobody writes
or reviews it by hand, and what is wrong in it is the generator's, so every finding there is INFO.
"""

from __future__ import annotations

import ast
import builtins
import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import cast

from guard.findings import Finding, Severity
from guard.repo import is_test_path
from guard.resolve.locate import typeshed_stdlib

UNDEFINED_NAME_RULES = frozenset({"F821", "F822", "name-defined"})
LAZY_EXPORT_RULES = frozenset({"F822"})
"""Codes that say a name in ``__all__`` is not defined in the module."""
_DYNAMIC_NAMESPACE = re.compile(
    r"^(?:vars|globals|locals)\(\)\s*(?:\.update\b|\.setdefault\b|\[)|^exec\(", re.MULTILINE
)
_EXPECTS_EXCEPTION = frozenset({"raises", "assertRaises", "assertRaisesRegex", "assertRaisesRegexp"})
USELESS_EXPRESSION_RULES = frozenset({"B018"})
# bugbear's checks of how a test asserts, in test code: a weaker test than it could be, not a wrong
# one. (A test the patch *weakens*, e.g. ``pytest.raises(ValueError)`` broadened to ``Exception``,
# is tampered-tests' finding, made by comparing with the test as it was.)
TEST_STYLE_RULES = {
    "B017": "test code: a blind exception check is a weak test, not a wrong one (a narrower check the patch broadens is reported by tampered-tests)",
    "B011": "test code: `assert False` only disappears under python -O, which test runs do not use",
}
GENERATOR_RETURN_RULES = frozenset({"B901"})
# ruff's report of syntax that a newer Python reads ("Cannot use `match` statement on Python 3.8
# (syntax was added in Python 3.10)"), as against broken syntax.
_NEWER_SYNTAX = re.compile(r"\(syntax was (?:added|introduced) in Python 3\.\d+\)")
# What evaluating a name, an attribute or a subscript raises when the thing is not there.
_LOOKUP_ERRORS = frozenset({
    "NameError", "AttributeError", "ImportError", "ModuleNotFoundError", "KeyError", "IndexError",
    "LookupError", "UnboundLocalError",
})  # fmt: skip


@lru_cache(maxsize=256)
def writes_namespace_dynamically(source: str) -> bool:
    return bool(_DYNAMIC_NAMESPACE.search(source))


@lru_cache(maxsize=256)
def _tree(source: str) -> ast.Module | None:
    """The module's ``ast``, parsed once for every context below (None when it does not parse)."""
    try:
        return ast.parse(source)
    except (SyntaxError, ValueError):
        return None


@lru_cache(maxsize=256)
def expected_failures(source: str) -> Mapping[int, tuple[str, ...] | None]:
    """Lines inside ``with`` blocks whose context manager expects an exception, each with the
    names of the exception types expected (None when the expression is not a plain name, a
    dotted name or a tuple of them)."""
    tree = _tree(source)
    if tree is None:
        return {}
    lines: dict[int, tuple[str, ...] | None] = {}
    for node in ast.walk(tree):
        if not isinstance(node, ast.With | ast.AsyncWith):
            continue
        for item in node.items:
            call = item.context_expr
            if isinstance(call, ast.Call):
                func = call.func
                name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
                if name in _EXPECTS_EXCEPTION:
                    kinds = _exception_names(call.args[0]) if call.args else None
                    first = node.body[0].lineno
                    lines.update(dict.fromkeys(range(first, (node.end_lineno or first) + 1), kinds))
                    break
    return lines


# mypy codes about a function's body against its own annotation (a bare ``return`` in a function
# declared ``-> bool``, a missing final return): no mock or run-time attribute is involved, so
# they mean the same in test code as anywhere.
OWN_SIGNATURE_RULES = frozenset({"return", "return-value"})


def expected_failure_lines(source: str) -> frozenset[int]:
    """Lines inside ``with`` blocks whose context manager expects an exception."""
    return frozenset(expected_failures(source))


def _exception_names(node: ast.expr) -> tuple[str, ...] | None:
    if isinstance(node, ast.Tuple):
        names = [_exception_names(e) for e in node.elts]
        return None if any(n is None for n in names) else tuple(x for n in names if n for x in n)
    if isinstance(node, ast.Name):
        return (node.id,)
    if isinstance(node, ast.Attribute):
        return (node.attr,)
    return None


# The exception a finding says the code raises when it runs: it is provoked on purpose only in a
# block that expects that type (or one of its bases).
_RAISES = {
    "F821": NameError, "name-defined": NameError, "attr-defined": AttributeError,
    "nonexistent-attribute": AttributeError, "union-attr": AttributeError, "call-arg": TypeError,
    "bad-call-signature": TypeError, "unresolved-import": ImportError, "import-not-found": ImportError,
}  # fmt: skip


# Attributes of function and method objects (the data model's "callable types"), which mypy's
# ``Callable[...]`` does not declare: ``x.__self__`` on a bound method is real.
_FUNCTION_ATTRIBUTES = frozenset({
    "__self__", "__func__", "__name__", "__qualname__", "__module__", "__doc__", "__wrapped__",
    "__code__", "__defaults__", "__kwdefaults__", "__globals__", "__closure__", "__annotations__",
    "__dict__", "__get__", "__call__",
})  # fmt: skip
_MISSING_ON = re.compile(r'^"(.+)" has no attribute "(\w+)"')


def _function_attribute(message: str) -> bool:
    """Whether mypy says a callable type lacks an attribute every function object has."""
    found = _MISSING_ON.match(message)
    return (
        found is not None
        and found[1].startswith(("Callable[", "def ", "Overload("))
        and found[2] in _FUNCTION_ATTRIBUTES
    )


def _provoked(rule: str, expected: tuple[str, ...] | None) -> bool:
    """Whether a block expecting ``expected`` catches what a ``rule`` finding would raise. A
    project's own exception type may derive from AttributeError, TypeError or ImportError (so it
    may catch them), never in practice from NameError."""
    raised = _RAISES.get(rule)
    if raised is None or expected is None:
        return True
    for name in expected:
        base = getattr(builtins, name, None)
        if isinstance(base, type) and issubclass(base, BaseException):
            if issubclass(raised, base):
                return True
        elif raised is not NameError:
            return True
    return False


_UNDEFINED = re.compile(r"Undefined name `(\w+)`|Name \"(\w+)\" is not defined")


@lru_cache(maxsize=256)
def bound_names(source: str) -> frozenset[str]:
    """Every name the module binds anywhere (assignments, definitions, imports, at any depth)."""
    tree = _tree(source)
    if tree is None:
        return frozenset()
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.add(node.id)
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.add(node.name)
        elif isinstance(node, ast.Import | ast.ImportFrom):
            names.update((a.asname or a.name).split(".")[0] for a in node.names)
    return frozenset(names)


@lru_cache(maxsize=256)
def probe_lines(source: str) -> frozenset[int]:
    """Lines of bare expression statements in a ``try`` body whose handlers catch a lookup error."""
    tree = _tree(source)
    if tree is None:
        return frozenset()
    lines: set[int] = set()
    for node in ast.walk(tree):
        if not isinstance(node, ast.Try) or not any(_catches_lookup(h.type) for h in node.handlers):
            continue
        for stmt in node.body:
            if isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Name | ast.Attribute | ast.Subscript):
                lines.update(range(stmt.lineno, (stmt.end_lineno or stmt.lineno) + 1))
    return frozenset(lines)


_ALTERNATIVE_IMPORT = re.compile(r"^Incompatible (import of |types in assignment )")
_ENVIRONMENT_TESTS = frozenset({"version_info", "platform", "implementation", "TYPE_CHECKING", "PY2", "PY3"})


@lru_cache(maxsize=256)
def alternative_lines(source: str) -> frozenset[int]:
    """Lines of the imports and plain ``name = value`` assignments in a branch for another Python or
    platform (the body or ``else`` of an ``if`` that tests ``sys.version_info``, ``sys.platform``
    or ``TYPE_CHECKING``), in a ``try`` whose handlers catch ImportError, and in those handlers:
    where a name gets its alternative definitions (``TypedDict = dict`` for Python 3.7)."""
    tree = _tree(source)
    if tree is None:
        return frozenset()
    blocks: list[list[ast.stmt]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and any(
            (isinstance(n, ast.Attribute) and n.attr in _ENVIRONMENT_TESTS)
            or (isinstance(n, ast.Name) and n.id in _ENVIRONMENT_TESTS)
            for n in ast.walk(node.test)
        ):
            blocks += [node.body, node.orelse]
        elif isinstance(node, ast.Try) and any(_catches_import(h.type) for h in node.handlers):
            blocks += [node.body, *(h.body for h in node.handlers)]
    lines: set[int] = set()
    for block in blocks:
        for stmt in block:
            if isinstance(stmt, ast.Import | ast.ImportFrom) or (
                isinstance(stmt, ast.Assign) and all(isinstance(t, ast.Name) for t in stmt.targets)
            ):
                lines.update(range(stmt.lineno, (stmt.end_lineno or stmt.lineno) + 1))
    return frozenset(lines)


def _catches_import(kind: ast.expr | None) -> bool:
    names = kind.elts if isinstance(kind, ast.Tuple) else [kind] if kind is not None else []
    return any(getattr(n, "id", getattr(n, "attr", "")) in {"ImportError", "ModuleNotFoundError"} for n in names)


@lru_cache(maxsize=256)
def raising_lines(source: str) -> frozenset[int]:
    """Lines of expression statements that divide by a literal zero: evaluated for their error."""
    tree = _tree(source)
    if tree is None:
        return frozenset()
    lines: set[int] = set()
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Expr)
            and isinstance(node.value, ast.BinOp)
            and isinstance(node.value.op, ast.Div | ast.FloorDiv | ast.Mod)
            and isinstance(node.value.right, ast.Constant)
            and node.value.right.value == 0
            and not isinstance(node.value.right.value, bool)
        ):
            lines.update(range(node.lineno, (node.end_lineno or node.lineno) + 1))
    return frozenset(lines)


@lru_cache(maxsize=256)
def coroutine_generator_lines(source: str) -> frozenset[int]:
    """Lines of generator functions that are coroutines by design: a ``yield`` whose value the
    function uses (``result = yield``, ``x = yield y``), or a return annotation that declares
    what the generator returns (``Generator[Y, S, R]`` with ``R`` not None)."""
    tree = _tree(source)
    if tree is None:
        return frozenset()
    lines: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and (
            _declares_generator_return(node.returns) or _receives(node)
        ):
            lines.update(range(node.lineno, (node.end_lineno or node.lineno) + 1))
    return frozenset(lines)


def _declares_generator_return(annotation: ast.expr | None) -> bool:
    if not isinstance(annotation, ast.Subscript) or not isinstance(annotation.slice, ast.Tuple):
        return False
    name = annotation.value.attr if isinstance(annotation.value, ast.Attribute) else getattr(annotation.value, "id", "")
    args = annotation.slice.elts
    return name == "Generator" and len(args) == 3 and not (
        isinstance(args[2], ast.Constant) and args[2].value is None
    )


def _receives(function: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    """Does the function's own body (not a nested definition) use the value of a ``yield``?"""
    todo: list[ast.AST] = list(function.body)
    while todo:
        node = todo.pop()
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef | ast.Lambda):
            continue
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Yield | ast.YieldFrom):
            todo.extend(ast.iter_child_nodes(node.value))  # a bare ``yield x`` statement
            continue
        if isinstance(node, ast.Yield):
            return True
        todo.extend(ast.iter_child_nodes(node))
    return False


@lru_cache(maxsize=256)
def defines_module_getattr(source: str) -> bool:
    """Does the module define a module-level ``__getattr__`` (PEP 562)? Then a name it does not bind
    itself (a name in ``__all__``, say) may still resolve at run time, lazily."""
    tree = _tree(source)
    return tree is not None and any(_binds_getattr(node) for node in _module_level(tree.body))


def _module_level(body: list[ast.stmt]) -> list[ast.stmt]:
    """Module-level statements, including those inside module-level ``if``/``try`` blocks."""
    out: list[ast.stmt] = []
    for node in body:
        out.append(node)
        if isinstance(node, ast.If):
            out += _module_level(node.body) + _module_level(node.orelse)
        elif isinstance(node, ast.Try) or type(node).__name__ == "TryStar":
            handlers: list[ast.ExceptHandler] = getattr(node, "handlers", [])
            for block in (
                *(getattr(node, k, []) for k in ("body", "orelse", "finalbody")),
                *(h.body for h in handlers),
            ):
                out += _module_level(block)
    return out


def _binds_getattr(node: ast.stmt) -> bool:
    if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
        return node.name == "__getattr__"
    if isinstance(node, ast.Assign):
        return any(isinstance(t, ast.Name) and t.id == "__getattr__" for t in node.targets)
    if isinstance(node, ast.AnnAssign | ast.AugAssign):
        return isinstance(node.target, ast.Name) and node.target.id == "__getattr__"
    if isinstance(node, ast.ImportFrom | ast.Import):
        return any((alias.asname or alias.name) == "__getattr__" for alias in node.names)
    return False


_LOOPS = (ast.For, ast.AsyncFor, ast.While)
_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)


def _parents(tree: ast.AST) -> dict[ast.AST, ast.AST]:
    return {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}


def _within(node: ast.AST, parents: Mapping[ast.AST, ast.AST], ancestor: ast.AST) -> bool:
    """Is ``node`` inside ``ancestor`` without an intervening function or class definition?"""
    here = parents.get(node)
    while here is not None and here is not ancestor:
        if isinstance(here, _SCOPES):
            return False
        here = parents.get(here)
    return here is ancestor


@lru_cache(maxsize=256)
def iteration_local_closure_lines(source: str) -> frozenset[int]:
    """Lines of functions defined in a loop body (``def f`` or ``f = lambda``, undecorated) whose
    name is only ever used to call them directly, in the same loop body and not from inside another
    function: such a function never outlives its iteration, so it sees the loop variables' current
    values (what ruff's B023, late binding of loop variables, warns about cannot happen)."""
    tree = _tree(source)
    if tree is None:
        return frozenset()
    parents = _parents(tree)
    lines: set[int] = set()
    for loop in ast.walk(tree):
        if not isinstance(loop, _LOOPS):
            continue
        for node in ast.walk(loop):
            name: str | None = None
            function: ast.stmt | None = None
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and not node.decorator_list:
                name, function = node.name, node
            elif (
                isinstance(node, ast.Assign)
                and len(node.targets) == 1
                and isinstance(node.targets[0], ast.Name)
                and isinstance(node.value, ast.Lambda)
            ):
                name, function = node.targets[0].id, node
            if name is None or function is None or not _within(function, parents, loop):
                continue
            uses = _loads_in_scope(tree, parents, loop, name)
            if uses and all(
                isinstance(call := parents.get(n), ast.Call) and call.func is n and _within(n, parents, loop)
                for n in uses
            ):
                lines.update(range(function.lineno, (function.end_lineno or function.lineno) + 1))
    return frozenset(lines)


_FILLS = frozenset({"format", "format_map"})


@lru_cache(maxsize=256)
def template_lines(source: str) -> frozenset[int]:
    """Lines of string literals bound to a name (``fmt = "{param} is deprecated"``) that every use
    of the name, in the same function or module, fills in (``fmt.format(...)``, ``fmt % values``):
    templates, not forgotten f-strings."""
    tree = _tree(source)
    if tree is None:
        return frozenset()
    parents = _parents(tree)
    lines: set[int] = set()
    for node in ast.walk(tree):
        if not (
            isinstance(node, ast.Assign)
            and len(node.targets) == 1
            and isinstance(node.targets[0], ast.Name)
            and isinstance(node.value, ast.Constant)
            and isinstance(node.value.value, str)
        ):
            continue
        uses = _loads_in_scope(tree, parents, node, node.targets[0].id)
        if uses and all(_fills(n, parents) for n in uses):
            lines.update(range(node.lineno, (node.end_lineno or node.lineno) + 1))
    return frozenset(lines)


def _loads_in_scope(tree: ast.Module, parents: Mapping[ast.AST, ast.AST], node: ast.AST,
                    name: str) -> list[ast.Name]:
    """Every read of ``name`` in the function (or module) that contains ``node``."""
    scope = parents.get(node)
    while scope is not None and not isinstance(scope, ast.Module | ast.FunctionDef | ast.AsyncFunctionDef):
        scope = parents.get(scope)
    return [
        n for n in ast.walk(scope or tree)
        if isinstance(n, ast.Name) and n.id == name and isinstance(n.ctx, ast.Load)
    ]  # fmt: skip


def _fills(use: ast.Name, parents: Mapping[ast.AST, ast.AST]) -> bool:
    """Is this use of a name the template of ``name.format(...)`` or ``name % ...``?"""
    parent = parents.get(use)
    if isinstance(parent, ast.Attribute) and parent.attr in _FILLS:
        call = parents.get(parent)
        return isinstance(call, ast.Call) and call.func is parent
    return isinstance(parent, ast.BinOp) and parent.left is use and isinstance(parent.op, ast.Mod)


# mypy's name for a type it could not analyse (an invalid annotation): ``callable?``.
_UNANALYSED_TYPE = re.compile(r'(?:^|[\s"(\[,])[A-Za-z_][\w.]*\?(?=$|[\s"),\]])')


@lru_cache(maxsize=256)
def type_comment_lines(source: str) -> frozenset[int]:
    """Lines whose types come from a type comment: a ``def`` with a signature comment (``#
    type: (callable) -> callable``) from its first line to its body, where mypy reports, and
    statements annotated by a trailing ``# type: T``."""
    try:
        tree = ast.parse(source, type_comments=True)
    except (SyntaxError, ValueError):
        return frozenset()
    lines: set[int] = set()
    for node in ast.walk(tree):
        if getattr(node, "type_comment", None) and isinstance(node, ast.stmt):
            body: list[ast.stmt] = getattr(node, "body", [])
            last = body[0].lineno if body else (node.end_lineno or node.lineno)
            lines.update(range(node.lineno, last + 1))
    return frozenset(lines)


@lru_cache(maxsize=256)
def version_gated_lines(source: str) -> frozenset[int]:
    """Lines that run only on some Pythons: the body of an ``if`` on ``sys.version_info`` (both
    branches), and functions and classes whose decorator tests it (``@pytest.mark.skipif(
    sys.version_info < (3, 11), ...)``, ``@unittest.skipUnless(...)``)."""
    tree = _tree(source)
    if tree is None:
        return frozenset()
    lines: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and _tests_version(node.test):
            for stmt in (*node.body, *node.orelse):
                lines.update(range(stmt.lineno, (stmt.end_lineno or stmt.lineno) + 1))
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) and any(
            isinstance(d, ast.Call) and any(_tests_version(a) for a in (*d.args, *(k.value for k in d.keywords)))
            for d in node.decorator_list
        ):
            lines.update(range(node.lineno, (node.end_lineno or node.lineno) + 1))
    return frozenset(lines)


def _tests_version(test: ast.expr) -> bool:
    return any(isinstance(n, ast.Attribute) and n.attr == "version_info" for n in ast.walk(test))


def _newer_builtin(message: str) -> bool:
    """Whether the undefined name is a builtin of the Python guard runs on (``ExceptionGroup``):
    undefined only for the older Pythons the project also targets."""
    named = _UNDEFINED.search(message)
    return named is not None and hasattr(builtins, named[1] or named[2])


def _catches_lookup(kind: ast.expr | None) -> bool:
    names = kind.elts if isinstance(kind, ast.Tuple) else [kind] if kind is not None else []
    for name in names:
        last = name.attr if isinstance(name, ast.Attribute) else getattr(name, "id", "")
        if last in _LOOKUP_ERRORS:
            return True
    return False


# bandit's checks of the called API itself (its blacklist of calls, B3xx, and the weak-hash check
# B324), as opposed to the arguments a call passes (``shell=True``, ``verify=False``).
_CALLED_API = re.compile(r"^B3\d\d$")


def _references(source: str) -> Counter[str]:
    """How often the module names each dotted chain (``hashlib.sha1``), called or not."""
    tree = _tree(source)
    found: Counter[str] = Counter()
    if tree is None:
        return found
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute | ast.Name) and isinstance(node.ctx, ast.Load):
            name = _dotted(node)
            if name:
                found[name] += 1
    return found


def _dotted(node: ast.expr) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        base = _dotted(node.value)
        return f"{base}.{node.attr}" if base else None
    return None


def moved_call(source: str, original: str, line: int) -> bool:
    """Whether every API called on ``line`` (a dotted name) is named no more often in ``source``
    than in ``original``: the patch moved or rewrapped a use the file already made (itsdangerous
    2.2.0 turned ``staticmethod(hashlib.sha1)`` into ``def _lazy_sha1(s): return
    hashlib.sha1(s)``), it added none."""
    tree = _tree(source)
    if tree is None:
        return False
    called = {
        name for node in ast.walk(tree)
        if isinstance(node, ast.Call) and node.lineno == line and (name := _dotted(node.func)) and "." in name
    }  # fmt: skip
    if not called:
        return False
    after, before = _references(source), _references(original)
    return all(after[name] <= before[name] for name in called)


def _functions(tree: ast.Module) -> dict[str, ast.FunctionDef | ast.AsyncFunctionDef]:
    """Every function of the module by its dotted qualified name (``Class.method``)."""
    found: dict[str, ast.FunctionDef | ast.AsyncFunctionDef] = {}
    todo: list[tuple[str, ast.AST]] = [("", tree)]
    while todo:
        prefix, node = todo.pop()
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                name = f"{prefix}{child.name}"
                if not isinstance(child, ast.ClassDef):
                    found.setdefault(name, child)
                todo.append((f"{name}.", child))
    return found


def _annotated(function: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    a = function.args
    params = [*a.posonlyargs, *a.args, *a.kwonlyargs, *(p for p in (a.vararg, a.kwarg) if p is not None)]
    return function.returns is not None or any(p.annotation is not None for p in params)


_BARE_RETURN = "Return value expected"
"""mypy on a bare ``return`` in a function annotated to return a value: the patch's own annotation
contradicts a statement that plainly returns nothing, whether or not that line is old (exceptiongroup
1.2.1's ``__exit__(...) -> bool`` with an injected bare ``return`` for ``return False``)."""


@lru_cache(maxsize=64)
def newly_checked_lines(source: str, original: str) -> frozenset[int]:
    """Lines, unchanged by the patch, of functions the patch annotated that had no annotation at all
    before: mypy does not check the body of an unannotated function, so what it now says about
    these lines it would have said before, had it looked (markdown 3.5.2 typed its extensions)."""
    after, before = _tree(source), _tree(original)
    if after is None or before is None:
        return frozenset()
    old = _functions(before)
    lines: set[int] = set()
    source_lines = source.splitlines()
    original_lines = original.splitlines()
    for name, function in _functions(after).items():
        was = old.get(name)
        if was is None or _annotated(was) or not _annotated(function) or not function.body:
            continue
        first, last = function.body[0].lineno, function.end_lineno or function.lineno
        kept = Counter(t.strip() for t in original_lines[was.body[0].lineno - 1 : was.end_lineno or was.lineno])
        for number in range(first, last + 1):
            text = source_lines[number - 1].strip() if number <= len(source_lines) else ""
            if text and kept[text] > 0:
                kept[text] -= 1
                lines.add(number)
    return frozenset(lines)


_REDEFINED = re.compile(r"^Redefinition of unused `[\w.]+` from line (\d+)")


@lru_cache(maxsize=64)
def import_lines(source: str) -> frozenset[int]:
    """Lines of the module's import statements (each line of a parenthesised one)."""
    tree = _tree(source)
    if tree is None:
        return frozenset()
    return frozenset(
        n for node in ast.walk(tree) if isinstance(node, ast.Import | ast.ImportFrom)
        for n in range(node.lineno, (node.end_lineno or node.lineno) + 1)
    )  # fmt: skip


def _rebinds_import(f: Finding, source: str) -> bool:
    """ruff's F811 whose unused first binding is an import: rebinding an imported name before any
    use drops only the import (defusedxml 0.7.1 imports names, then assigns its own objects to them);
    no code is lost, unlike a function or class defined twice."""
    found = _REDEFINED.match(f.message)
    return found is not None and int(found[1]) in import_lines(source)


_MODULE_ATTRIBUTE = re.compile(r'^Module has no attribute "(\w+)"')


@lru_cache(maxsize=64)
def attribute_stores(source: str) -> frozenset[tuple[int, str]]:
    """(line, attribute) of every assignment to an attribute (``mod.ParseError = ParseError``)."""
    tree = _tree(source)
    if tree is None:
        return frozenset()
    return frozenset(
        (node.lineno, node.attr) for node in ast.walk(tree)
        if isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store)
    )  # fmt: skip


@lru_cache(maxsize=64)
def function_attributes(source: str) -> frozenset[tuple[str, str]]:
    """(function, attribute) for every attribute the module assigns on a function it defines
    (``memoize.skip = SkipMemory`` after ``def memoize(...)``): a function object has a
    ``__dict__`` and takes any attribute at run time, which mypy's function types do not model."""
    tree = _tree(source)
    if tree is None:
        return frozenset()
    functions = {
        node.name for node in ast.walk(tree) if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
    }
    return frozenset(
        (node.value.id, node.attr) for node in ast.walk(tree)
        if isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store)
        and isinstance(node.value, ast.Name) and node.value.id in functions
    )  # fmt: skip


def _function_attribute_set(f: Finding, source: str) -> bool:
    """mypy's '"def f(...) -> T" has no attribute "x"' where the module itself sets ``f.x``: the
    line sets it, or reads what the module sets (funcy 2.0's ``memoize.skip = SkipMemory``). A
    read of an attribute nothing sets still counts."""
    found = _MISSING_ON.match(f.message)
    if found is None or not found[1].startswith(("def ", "Overload(")):
        return False
    lines = source.splitlines()
    if not 0 < f.line <= len(lines):
        return False
    line = lines[f.line - 1]
    return any(
        attr == found[2] and re.search(rf"(?<![\w.]){re.escape(name)}\s*\.\s*{re.escape(attr)}\b", line)
        for name, attr in function_attributes(source)
    )


_COMPUTED_ALL_RULES = frozenset({"PLE0605"})


@lru_cache(maxsize=64)
def computed_all_lines(source: str) -> frozenset[int]:
    """Lines of a module-level ``__all__ = ...`` whose value is computed at run time (a call, a
    name, a comprehension), not written out: a linter cannot tell its type, and any sequence of
    names is a valid ``__all__``. A literal of the wrong kind (a string) is still a slip."""
    tree = _tree(source)
    if tree is None:
        return frozenset()
    out: set[int] = set()
    for node in tree.body:
        if isinstance(node, ast.Assign | ast.AugAssign | ast.AnnAssign) and node.value is not None:
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            if any(isinstance(t, ast.Name) and t.id == "__all__" for t in targets) and not isinstance(
                node.value, ast.Constant | ast.JoinedStr | ast.Dict | ast.Set | ast.List | ast.Tuple
            ):
                out.update(range(node.lineno, (node.end_lineno or node.lineno) + 1))
    return frozenset(out)


def _module_attribute_set(f: Finding, source: str) -> bool:
    """mypy's "Module has no attribute" for an attribute the line assigns on a module object: a
    module's namespace takes any new name at run time (defusedxml patches ``ParseError`` into a
    freshly imported ``xml.etree.ElementTree``); only reading a missing one fails."""
    found = _MODULE_ATTRIBUTE.match(f.message)
    return found is not None and (f.line, found[1]) in attribute_stores(source)


_ARGUMENT_TO = re.compile(r'^Argument \d+ to "(\w+)" has incompatible type')


def newly_annotated_callee(f: Finding, source: str, original: str) -> bool:
    """mypy's arg-type on a line the patch left as it was, about a call to a function of the same
    file that the patch annotated for the first time: the caller passes what it always passed, and
    mypy, which took anything before, now compares it with the new annotation (markdown 3.5.2
    typed ``_write_html(root: Element)``; its callers pass ``ElementTree(e).getroot()``, which
    typeshed says may be None)."""
    called = _ARGUMENT_TO.match(f.message)
    after, before = _tree(source), _tree(original)
    if called is None or after is None or before is None:
        return False
    lines, original_lines = source.splitlines(), original.splitlines()
    if not 0 < f.line <= len(lines) or lines[f.line - 1].strip() not in {t.strip() for t in original_lines}:
        return False
    name = called[1]
    now = [fn for q, fn in _functions(after).items() if q.rsplit(".", 1)[-1] == name]
    was = [fn for q, fn in _functions(before).items() if q.rsplit(".", 1)[-1] == name]
    return bool(now and was) and all(_annotated(fn) for fn in now) and not any(_annotated(fn) for fn in was)


def _same_output(f: Finding) -> bool:
    """A property's behaviour-change whose two results print the same, in full (no ``...`` cut):
    what differs is nothing an output shows (a class of each version's own module loaded twice,
    bidict 0.24.0's ``_make_inv_cls()``), so the finding names no change a reader could check."""
    if f.analyzer != "properties" or f.rule != "behaviour-change":
        return False
    evidence = f.evidence_dict()
    old, new = evidence.get("old"), evidence.get("new")
    return old is not None and old == new and "..." not in old


def _fields(node: ast.expr) -> tuple[str, dict[str, str]] | None:
    """A printed result read as its fields: a call of keywords (``Namespace(stdin=False)``, a
    dataclass's repr) as (the callee and its positional arguments, keyword -> value), a dict of
    string keys as ("{}", key -> value); values as ``ast.dump`` text. None for anything else."""
    if isinstance(node, ast.Call) and all(k.arg is not None for k in node.keywords):
        head = ast.dump(node.func) + "".join(ast.dump(a) for a in node.args)
        return head, {str(k.arg): ast.dump(k.value) for k in node.keywords}
    if isinstance(node, ast.Dict) and all(isinstance(k, ast.Constant) and isinstance(k.value, str) for k in node.keys):
        return "{}", {str(k.value): ast.dump(v) for k, v in zip(node.keys, node.values, strict=True) if isinstance(k, ast.Constant)}
    return None


def _printed(text: str) -> ast.expr | None:
    try:
        return ast.parse(text, mode="eval").body
    except (SyntaxError, ValueError):
        return None


def extended_result(f: Finding, source: str, original: str) -> bool:
    """A property's behaviour-change whose new result is the old one with fields added, each
    named by code the patch added to the function's file (markdown-it-py 4.1.0 added a
    ``--stdin`` option: ``parse_args()`` gave ``Namespace(filenames=[])``, now ``Namespace(
    stdin=False, filenames=[])``). Every field the old result had is there, unchanged; the new
    ones are a feature the patch spells out, not a silent change of what the code computed."""
    if f.analyzer != "properties" or f.rule != "behaviour-change":
        return False
    evidence = f.evidence_dict()
    old_text, new_text = evidence.get("old"), evidence.get("new")
    if old_text is None or new_text is None or "..." in old_text or "..." in new_text:
        return False
    old_node, new_node = _printed(old_text), _printed(new_text)
    before = _fields(old_node) if old_node is not None else None
    after = _fields(new_node) if new_node is not None else None
    if before is None or after is None or before[0] != after[0]:
        return False
    if any(after[1].get(name) != value for name, value in before[1].items()):
        return False
    added = set(after[1]) - set(before[1])
    return bool(added) and all(_mentions(source, name) > _mentions(original, name) for name in added)


def _mentions(text: str, name: str) -> int:
    return len(re.findall(rf"(?<![A-Za-z0-9_]){re.escape(name)}(?![A-Za-z0-9_])", text))


_INCOMPATIBLE_ARGUMENT = re.compile(r'^Argument \d+ to "[\w.]+" has incompatible type "(\w+)"; expected "([\w.]+)(?: \| None)?"$')


@lru_cache(maxsize=64)
def plain_classes(source: str) -> Mapping[str, frozenset[str]]:
    """The classes the module defines with no base but ``object``, each with the names of the
    methods it defines: objects that can only ever satisfy an interface by duck typing."""
    tree = _tree(source)
    if tree is None:
        return {}
    return {
        node.name: frozenset(
            d.name for d in node.body if isinstance(d, ast.FunctionDef | ast.AsyncFunctionDef) and d.name != "__init__"
        )
        for node in ast.walk(tree)
        if isinstance(node, ast.ClassDef) and not node.keywords
        and all(isinstance(b, ast.Name) and b.id == "object" for b in node.bases)
    }  # fmt: skip


@lru_cache(maxsize=128)
def _stdlib_classes(name: str) -> tuple[ast.ClassDef, ...] | None:
    """Every class named ``name`` that typeshed's stdlib stubs define (in every Python version);
    None without typeshed. Reading the stubs is the cost: one scan per name serves both
    :func:`stdlib_class_methods` and :func:`stdlib_class_members`."""
    root = typeshed_stdlib()
    if root is None:
        return None
    header = re.compile(rf"^\s*class {re.escape(name)}\b", re.MULTILINE)
    found: list[ast.ClassDef] = []
    for stub in root.rglob("*.pyi"):
        try:
            text = stub.read_text(encoding="utf-8")
        except OSError:
            continue
        if not header.search(text):
            continue
        tree = _tree(text)
        if tree is not None:
            found.extend(n for n in ast.walk(tree) if isinstance(n, ast.ClassDef) and n.name == name)
    return tuple(found)


@lru_cache(maxsize=128)
def stdlib_class_methods(name: str) -> frozenset[str] | None:
    """The methods typeshed's stdlib stubs declare on the nominal classes named ``name`` (every
    stub that defines one, in every Python version); None when no stub defines such a class or one
    of them is a Protocol (mypy checks those structurally, and its complaint is then about what
    the object lacks)."""
    classes = _stdlib_classes(name)
    if not classes or any("Protocol" in ast.unparse(b) for node in classes for b in node.bases):
        return None
    return frozenset(
        d.name for node in classes for d in node.body if isinstance(d, ast.FunctionDef | ast.AsyncFunctionDef)
    )


def duck_typed_argument(f: Finding, source: str) -> bool:
    """mypy's arg-type for an instance of a class the module defines with no base, passed where a
    stdlib class is expected, when the class implements methods that class declares (toolz 0.12.0
    passes its ``TlzLoader``, which defines ``create_module`` and ``exec_module``, to
    ``ModuleSpec(name, loader)``, typed ``Loader | None``): Python checks no nominal type, and an
    object that implements the interface is what the callee uses. An object sharing no method
    with the expected class (a loader passed where a ``str`` goes) is still reported."""
    if f.analyzer != "mypy" or f.rule != "arg-type":
        return False
    found = _INCOMPATIBLE_ARGUMENT.match(f.message)
    if found is None:
        return False
    own = plain_classes(source).get(found[1])
    if not own:
        return False
    expected = stdlib_class_methods(found[2].rsplit(".", 1)[-1])
    return expected is not None and bool({m for m in own if not m.startswith("__")} & expected)


_TUPLE_MISSING = re.compile(r'^"tuple\[[^"]*\]" has no attribute "(\w+)"')


@lru_cache(maxsize=64)
def tuple_compared_names(source: str) -> frozenset[str]:
    """Names the module compares with tuple literals (``tok == ("DELIM", ")")``, ``tok in
    [("DELIM", "+"), ...]``) and also assigns from a call: values of a tuple subclass (a token
    with a ``pos``) that mypy narrows to the literal's plain ``tuple[...]`` type on comparing."""
    tree = _tree(source)
    if tree is None:
        return frozenset()

    def tuple_literal(node: ast.expr) -> bool:
        if isinstance(node, ast.Tuple):
            return True
        return isinstance(node, ast.List | ast.Tuple | ast.Set) and any(isinstance(e, ast.Tuple) for e in node.elts)

    compared: set[str] = set()
    called: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Compare) and isinstance(node.left, ast.Name) and len(node.ops) == 1:
            if isinstance(node.ops[0], ast.Eq | ast.NotEq | ast.In | ast.NotIn) and tuple_literal(node.comparators[0]):
                compared.add(node.left.id)
        elif isinstance(node, ast.Assign) and isinstance(node.value, ast.Call):
            called.update(t.id for t in node.targets if isinstance(t, ast.Name))
    return frozenset(compared & called)


def _narrowed_to_tuple(f: Finding, source: str) -> bool:
    """mypy's '"tuple[str, str]" has no attribute "pos"' on ``name.pos`` where the module compares
    ``name`` with tuple literals and assigns it from calls: mypy narrowed an object of a tuple
    subclass (cssselect's ``Token``) to the literal's type, which lacks the subclass's attributes."""
    found = _TUPLE_MISSING.match(f.message)
    if found is None:
        return False
    lines = source.splitlines()
    if not 0 < f.line <= len(lines):
        return False
    return any(
        re.search(rf"(?<![\w.]){re.escape(name)}\.{re.escape(found[1])}\b", lines[f.line - 1])
        for name in tuple_compared_names(source)
    )


_NARROWED_RULES = frozenset({"index", "arg-type", "union-attr", "operator", "call-overload"})
_UNION_TYPE = re.compile(r'"[^"]*\w \| \w[^"]*"')


@lru_cache(maxsize=64)
def aliased_narrowing_lines(source: str) -> frozenset[tuple[int, str]]:
    """(line, name) where code under ``if flag:`` (alone or in an ``and``) uses ``name``, and the
    same function set ``flag = name is not X`` (or ``isinstance(name, T)``) before: the test narrows
    ``name``'s type through a variable, which mypy does not follow (bidict 0.24.0: ``isdupval =
    oldkey is not MISSING`` / ``if isdupkey and isdupval: fwdm[oldkey]``)."""
    tree = _tree(source)
    if tree is None:
        return frozenset()
    found: set[tuple[int, str]] = set()
    for function in ast.walk(tree):
        if not isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        flags: dict[str, str] = {}
        for node in ast.walk(function):
            if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
                subject = _narrowed_subject(node.value)
                if subject is not None:
                    flags[node.targets[0].id] = subject
        if not flags:
            continue
        for node in ast.walk(function):
            if not isinstance(node, ast.If):
                continue
            parts = node.test.values if isinstance(node.test, ast.BoolOp) and isinstance(node.test.op, ast.And) else [node.test]
            subjects = {flags[p.id] for p in parts if isinstance(p, ast.Name) and p.id in flags}
            for stmt in node.body:
                for sub in ast.walk(stmt):
                    if isinstance(sub, ast.Name) and sub.id in subjects:
                        found.add((sub.lineno, sub.id))
    return frozenset(found)


def _narrowed_subject(value: ast.expr) -> str | None:
    """``name`` of ``name is not X`` or ``isinstance(name, T)``; None for anything else."""
    if (
        isinstance(value, ast.Compare) and len(value.ops) == 1 and isinstance(value.ops[0], ast.IsNot)
        and isinstance(value.left, ast.Name)
    ):  # fmt: skip
        return value.left.id
    if (
        isinstance(value, ast.Call) and isinstance(value.func, ast.Name) and value.func.id == "isinstance"
        and value.args and isinstance(value.args[0], ast.Name)
    ):  # fmt: skip
        return value.args[0].id
    return None


def _narrowed_through_flag(f: Finding, source: str) -> bool:
    return (
        f.analyzer == "mypy" and f.rule in _NARROWED_RULES and _UNION_TYPE.search(f.message) is not None
        and any(line == f.line for line, _ in aliased_narrowing_lines(source))
    )  # fmt: skip


_REBOUND = re.compile(r'^Incompatible types in assignment \(expression has type "(.+)", variable has type "(.+)"\)$')
_PLAIN_TYPE = re.compile(r"^([A-Za-z_][\w.]*)(?:\[.*\])?$")


@dataclass(frozen=True)
class Rebinding:
    """``name = value`` rebinding a name that an earlier plain assignment in the same block bound,
    in a scope that declares no type for it: lines ``first``..``last``, in ``scope`` (the module or
    the function whose block it is)."""

    name: str
    first: int
    last: int
    scope: ast.AST


@lru_cache(maxsize=64)
def rebindings(source: str) -> tuple[Rebinding, ...]:
    """Every unannotated rebinding of a name in the block of its earlier assignment (module and
    function bodies and the blocks nested in them; not in a loop or a ``try`` body, where either
    value may be live after it, nor across a ``def`` or ``class``, which may read either value,
    nor in a class body, whose names are attributes a subclass overrides)."""
    tree = _tree(source)
    if tree is None:
        return ()
    found: list[Rebinding] = []

    def scope(node: ast.Module | ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        declared = _declared_names(node)
        block(node.body, node, declared, restricted=False)

    def block(body: list[ast.stmt], owner: ast.AST, declared: frozenset[str], restricted: bool) -> None:
        seen: set[str] = set()
        for stmt in body:
            if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef):
                seen.clear()
                scope(stmt)
                continue
            if isinstance(stmt, ast.ClassDef):
                seen.clear()
                for member in ast.walk(stmt):
                    if isinstance(member, ast.FunctionDef | ast.AsyncFunctionDef) and _parent_class(stmt, member):
                        scope(member)
                continue
            if isinstance(stmt, ast.Assign):
                names = [t.id for t in stmt.targets if isinstance(t, ast.Name)]
                if not restricted:
                    for name in names:
                        if name in seen and name not in declared:
                            found.append(Rebinding(name, stmt.lineno, stmt.end_lineno or stmt.lineno, owner))
                seen.update(names)
            elif isinstance(stmt, ast.Import | ast.ImportFrom):
                seen.difference_update((a.asname or a.name).split(".")[0] for a in stmt.names)
            loop = isinstance(stmt, ast.For | ast.AsyncFor | ast.While)
            if isinstance(stmt, ast.Try) or type(stmt).__name__ == "TryStar":  # ast.TryStar: 3.11+
                tried = cast(ast.Try, stmt)
                block(tried.body, owner, declared, True)
                for handler in tried.handlers:
                    block(handler.body, owner, declared, restricted)
                block(tried.orelse, owner, declared, restricted)
                block(tried.finalbody, owner, declared, restricted)
            elif isinstance(stmt, ast.Match):
                for case in stmt.cases:
                    block(case.body, owner, declared, restricted)
            else:
                for field in ("body", "orelse"):
                    nested = getattr(stmt, field, None)
                    if isinstance(nested, list) and nested and isinstance(nested[0], ast.stmt):
                        block(nested, owner, declared, restricted or loop)

    scope(tree)
    return tuple(found)


def _parent_class(cls: ast.ClassDef, function: ast.AST) -> bool:
    """Whether ``function`` is a method of ``cls`` (in its body or an ``if`` there), not nested."""
    stack: list[ast.stmt] = list(cls.body)
    while stack:
        stmt = stack.pop()
        if stmt is function:
            return True
        if isinstance(stmt, ast.If):
            stack.extend(stmt.body + stmt.orelse)
    return False


def _own_nodes(scope: ast.AST) -> list[ast.AST]:
    """The nodes of a scope's body, without those of the functions, lambdas and classes in it."""
    out: list[ast.AST] = []
    stack = list(ast.iter_child_nodes(scope))
    while stack:
        node = stack.pop()
        out.append(node)
        if not isinstance(node, _SCOPES):
            stack.extend(ast.iter_child_nodes(node))
    return out


def _declared_names(scope: ast.Module | ast.FunctionDef | ast.AsyncFunctionDef) -> frozenset[str]:
    """Names the scope gives a type (an annotated assignment or parameter) or hands to another
    scope (``global``, ``nonlocal``): a rebinding of those is no matter of inference."""
    names: set[str] = set()
    if isinstance(scope, ast.FunctionDef | ast.AsyncFunctionDef):
        args = scope.args
        for arg in (*args.posonlyargs, *args.args, *args.kwonlyargs, args.vararg, args.kwarg):
            if arg is not None and arg.annotation is not None:
                names.add(arg.arg)
    for node in _own_nodes(scope):
        if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names.add(node.target.id)
        elif isinstance(node, ast.Global | ast.Nonlocal):
            names.update(node.names)
    return frozenset(names)


def _binds_locally(function: ast.AST, name: str) -> bool:
    """Whether ``name`` is local to a function or class (a parameter or a name it stores)."""
    if isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
        args = function.args
        if any(a is not None and a.arg == name for a in (*args.posonlyargs, *args.args, *args.kwonlyargs, args.vararg, args.kwarg)):
            return True
    own = _own_nodes(function)
    if any(isinstance(n, ast.Global | ast.Nonlocal) and name in n.names for n in own):
        return False
    return any(
        (isinstance(n, ast.Name) and n.id == name and isinstance(n.ctx, ast.Store))
        or (isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) and n.name == name)
        for n in own
    )


@lru_cache(maxsize=64)
def _attribute_reads(source: str) -> Mapping[tuple[int, str, str], tuple[ast.AST, ...]]:
    """(line, name, attribute) -> the scopes, innermost first, around each ``name.attribute``
    read on that line (the module last)."""
    tree = _tree(source)
    if tree is None:
        return {}
    parents = _parents(tree)
    reads: dict[tuple[int, str, str], tuple[ast.AST, ...]] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
            chain: list[ast.AST] = []
            here = parents.get(node)
            while here is not None:
                if isinstance(here, (*_SCOPES, ast.Module)):
                    chain.append(here)
                here = parents.get(here)
            reads[(node.value.lineno, node.value.id, node.attr)] = tuple(chain)
    return reads


def _class_members(node: ast.ClassDef) -> set[str]:
    """What a class body declares: methods, properties, attributes (annotated or assigned, also in
    ``if`` blocks), and what its methods set on ``self``."""
    members: set[str] = set()
    stack: list[ast.stmt] = list(node.body)
    while stack:
        stmt = stack.pop()
        if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef):
            members.add(stmt.name)
            for sub in ast.walk(stmt):
                if (
                    isinstance(sub, ast.Attribute) and isinstance(sub.ctx, ast.Store)
                    and isinstance(sub.value, ast.Name) and sub.value.id == "self"
                ):  # fmt: skip
                    members.add(sub.attr)
        elif isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name):
            members.add(stmt.target.id)
        elif isinstance(stmt, ast.Assign):
            members.update(t.id for t in stmt.targets if isinstance(t, ast.Name))
        elif isinstance(stmt, ast.If):
            stack.extend(stmt.body + stmt.orelse)
    return members


@lru_cache(maxsize=128)
def stdlib_class_members(name: str) -> frozenset[str] | None:
    """The members typeshed's stdlib stubs declare on every class named ``name`` (those all of
    them declare, when several stubs define one); None when no stub defines such a class."""
    classes = _stdlib_classes(name)
    if not classes:
        return None
    return frozenset(set.intersection(*(_class_members(node) for node in classes)))


def _declares(type_text: str, attribute: str, source: str) -> bool:
    """Whether the class mypy names ``type_text`` (``Pattern[str]``) declares ``attribute``: a
    class of the module itself, or typeshed's stdlib class of that name. A union, a callable or a
    class from elsewhere is not looked into (False)."""
    plain = _PLAIN_TYPE.match(type_text)
    if plain is None:
        return False
    name = plain[1].rsplit(".", 1)[-1]
    tree = _tree(source)
    own = [n for n in ast.walk(tree) if isinstance(n, ast.ClassDef) and n.name == name] if tree is not None else []
    if own:
        return all(attribute in _class_members(n) for n in own)
    members = stdlib_class_members(name)
    return members is not None and attribute in members


def _retyped(findings: list[Finding], sources: Mapping[str, str]) -> dict[tuple[str, int], tuple[str, str]]:
    """(path, line) -> (variable's type, expression's type) of each mypy "Incompatible types in
    assignment" on an unannotated rebinding (``rebindings``)."""
    out: dict[tuple[str, int], tuple[str, str]] = {}
    for f in findings:
        source = sources.get(f.path)
        if f.analyzer != "mypy" or f.rule != "assignment" or source is None:
            continue
        found = _REBOUND.match(f.message)
        if found is None:
            continue
        for r in rebindings(source):
            if r.first <= f.line <= r.last:
                out[(f.path, r.first)] = (found[2], found[1])
    return out


def _rebound_assignment(f: Finding, source: str) -> bool:
    return (
        f.analyzer == "mypy" and f.rule == "assignment" and _REBOUND.match(f.message) is not None
        and any(r.first <= f.line <= r.last for r in rebindings(source))
    )  # fmt: skip


def _attribute_of_rebound(f: Finding, source: str, retyped: Mapping[tuple[str, int], tuple[str, str]]) -> bool:
    """mypy's '"B" has no attribute "x"' on ``name.x`` read after an unannotated rebinding of
    ``name`` that mypy found incompatible with B, its type from the first assignment, when the
    latest rebinding before the read has a type that declares ``x``."""
    if f.analyzer != "mypy" or f.rule != "attr-defined":
        return False
    found = _MISSING_ON.match(f.message)
    if found is None:
        return False
    for (line, name, attribute), chain in _attribute_reads(source).items():
        if line != f.line or attribute != found[2]:
            continue
        for scope in chain:
            before = [r for r in rebindings(source) if r.scope is scope and r.name == name and r.last < f.line]
            if before:
                latest = max(before, key=lambda r: r.first)
                types = retyped.get((f.path, latest.first))
                if types is not None and types[0] == found[1] and _declares(types[1], attribute, source):
                    return True
                break
            if _binds_locally(scope, name):
                break
    return False


_GENERATED = re.compile(r"(?i)@generated\b|\bauto-?generated\b|\bgenerated\s+(?:by|from|with)\b|\bdo not edit\b")


def generated_file(source: str) -> bool:
    """Whether the file's header (a comment among its first 10 lines) says a tool generated it."""
    return any(
        line.lstrip().startswith("#") and _GENERATED.search(line) for line in source.splitlines()[:10]
    )


def in_context(
    findings: Iterable[Finding], sources: Mapping[str, str], originals: Mapping[str, str] | None = None
) -> list[Finding]:
    """The findings, with those the context explains demoted to INFO. ``sources``: path -> text;
    ``originals``: path (as the patch leaves it) -> the text before the patch, for changed files."""
    out = []
    generated = {path for path, text in sources.items() if generated_file(text)}
    findings = list(findings)
    retyped = _retyped(findings, sources)
    for f in findings:
        if f.path in generated:
            if f.severity is not Severity.INFO:
                why = "a generated file (its header says so): what is wrong in it is the generator's"
                f = replace(f, severity=Severity.INFO, evidence=(*f.evidence, ("context", why)))
            out.append(f)
            continue
        reason = _explained(f, sources.get(f.path))
        original = (originals or {}).get(f.path)
        source = sources.get(f.path)
        if (
            reason is None and f.analyzer == "bandit" and _CALLED_API.match(f.rule)
            and source is not None and original is not None and moved_call(source, original, f.line)
        ):  # fmt: skip
            reason = "the patch moved a call the file already made (as many uses of the API as before): it added none"
        if (
            reason is None and f.analyzer == "mypy" and f.rule not in UNDEFINED_NAME_RULES
            and not f.message.startswith(_BARE_RETURN)
            and source is not None and original is not None and f.line in newly_checked_lines(source, original)
        ):  # fmt: skip
            reason = "mypy checks a function's body only once it is annotated: the patch annotated it, and this line ran the same before"
        if (
            reason is None and f.analyzer == "mypy" and f.rule == "arg-type"
            and source is not None and original is not None and newly_annotated_callee(f, source, original)
        ):  # fmt: skip
            reason = "the patch annotated the called function for the first time: this unchanged call passes what it always passed"
        if reason is None and source is not None and original is not None and extended_result(f, source, original):
            reason = "the result gained fields the patch names in this file, the old ones unchanged: a feature added, not a silent change"
        if reason is None and source is not None and _attribute_of_rebound(f, source, retyped):
            reason = "the name was rebound to a value of another type, which declares this attribute: mypy typed it from its first assignment"
        if reason is None and _same_output(f):
            reason = "before and after print the same: the difference is in no output (an object of each version's own module)"
        if reason and f.analyzer != "guard" and f.severity is not Severity.INFO:
            f = replace(f, severity=Severity.INFO, evidence=(*f.evidence, ("context", reason)))
        out.append(f)
    return out


def _explained(f: Finding, source: str | None) -> str | None:
    if source is None:
        return None
    if f.rule in UNDEFINED_NAME_RULES and writes_namespace_dynamically(source):
        return "the module writes its namespace at run time, which tools cannot follow"
    if f.rule in LAZY_EXPORT_RULES and defines_module_getattr(source):
        return "the module defines __getattr__ (PEP 562): names in __all__ may resolve at run time"
    expected = expected_failures(source)
    if f.line in expected and _provoked(f.rule, expected[f.line]):
        return "inside a block that expects an exception: the error is provoked on purpose"
    if f.rule in USELESS_EXPRESSION_RULES and f.line in probe_lines(source):
        return "a probe: the expression is evaluated for the lookup error its try block handles"
    if f.rule in USELESS_EXPRESSION_RULES and f.line in raising_lines(source):
        return "a division by zero: the expression is evaluated for the error it raises"
    if f.analyzer == "mypy" and _ALTERNATIVE_IMPORT.match(f.message) and f.line in alternative_lines(source):
        return "an alternative import for another Python or environment: mypy checks both branches as if both ran"
    if f.rule in GENERATOR_RETURN_RULES and f.line in coroutine_generator_lines(source):
        return "a coroutine-style generator: it receives values or declares its return type, so returning a value is its protocol"
    if f.path.endswith(".pyi") and f.rule in UNDEFINED_NAME_RULES:
        named = _UNDEFINED.search(f.message)
        if named and (named[1] or named[2]) in bound_names(source):
            return "a stub may use a name before it defines it: stubs are never run"
    if f.rule in UNDEFINED_NAME_RULES and _newer_builtin(f.message) and f.line in version_gated_lines(source):
        return "a builtin of newer Pythons, used only where the code tests sys.version_info for them"
    if _narrowed_through_flag(f, source):
        return "the value is narrowed by an if on a variable holding the test (flag = x is not None): mypy does not follow it"
    if f.rule == "F811" and _rebinds_import(f, source):
        return "an import rebound before any use: only the import is dropped, no code"
    if _rebound_assignment(f, source):
        return "an unannotated name rebound to a value of another type: mypy typed it from its first assignment; Python lets a name hold any type"
    if f.analyzer == "mypy" and f.rule == "attr-defined" and _module_attribute_set(f, source):
        return "an attribute set on a module object: a module takes new names at run time"
    if f.analyzer == "mypy" and f.rule == "attr-defined" and _narrowed_to_tuple(f, source):
        return "mypy narrowed a tuple subclass to the plain tuple it was compared with, losing its attributes"
    if duck_typed_argument(f, source):
        return "an object of the module's own class that implements the expected stdlib class's methods: Python checks no nominal type"
    if f.analyzer == "mypy" and f.rule == "attr-defined" and _function_attribute_set(f, source):
        return "an attribute the module sets on its own function: a function object takes new attributes at run time"
    if f.rule in _COMPUTED_ALL_RULES and f.line in computed_all_lines(source):
        return "__all__ computed at run time: its type is not visible to a linter, and any sequence of names is valid"
    if f.analyzer == "mypy" and f.rule == "attr-defined" and _function_attribute(f.message):
        return "an attribute every function or method object has: mypy's Callable type leaves it out"
    if f.rule == "B023" and f.line in iteration_local_closure_lines(source):
        return "the function is only called in the iteration that defines it: it sees the loop variables' current values"
    if f.rule == "RUF027" and f.line in template_lines(source):
        return "a template: every use of the string fills it in (.format or %)"
    if f.analyzer == "mypy" and f.rule == "valid-type" and f.line in type_comment_lines(source):
        return "an invalid type in a type comment, which Python never evaluates"
    if f.analyzer == "mypy" and _UNANALYSED_TYPE.search(f.message):
        return "follows from an annotation mypy could not read (its type is marked with ?): the code runs as it reads"
    if f.analyzer == "bandit" and is_test_path(f.path):
        return "test code: bandit's findings are about code that ships"
    if f.analyzer == "ruff" and f.rule in TEST_STYLE_RULES and is_test_path(f.path):
        return TEST_STYLE_RULES[f.rule]
    if f.analyzer == "ruff" and f.rule == "syntax-error" and is_test_path(f.path) and _NEWER_SYNTAX.search(f.message):
        return ("test code: syntax of a newer Python than the oldest the project supports; a test file is often "
                "collected only on the Pythons that read it (lark imports its `match` tests under `if "
                "sys.version_info >= (3, 10)`)")
    if f.analyzer == "mypy" and is_test_path(f.path) and f.rule not in OWN_SIGNATURE_RULES:
        return "test code: mypy reads mocks and run-time attributes worst; the test run shows a real error"
    return None
