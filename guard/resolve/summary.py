"""What a module binds, read with ``ast`` and never executed: names, classes, functions, re-exports.

Branches on ``sys.version_info`` are taken for the target version (as typeshed intends); every other
branch, ``try``/``except ImportError`` alternative and loop body counts, because any of them may run.
Anything that could add names behind our back (module ``__getattr__``, ``globals()`` writes, a
star-import we cannot follow) marks the summary *open*: then a missing name means "unknown".
"""

from __future__ import annotations

import ast
import sys
from dataclasses import dataclass, field
from typing import Literal

from guard.changes import parse_tree
from guard.resolve.signature import Signature, chain, from_ast

Kind = Literal["function", "class", "import", "alias", "value"]


@dataclass
class FunctionInfo:
    name: str
    signatures: list[Signature] = field(default_factory=list)
    decorators: list[str] = field(default_factory=list)
    """Decorators as written (dotted, local to the module); ``?`` when not a plain name."""


@dataclass
class ClassInfo:
    name: str
    module: str
    bases: list[str | None] = field(default_factory=list)
    """Bases as written (dotted, subscripts dropped); None when not a plain name."""
    stub: bool = False
    members: dict[str, Binding] = field(default_factory=dict)
    decorated: bool = False
    decorators: list[str] = field(default_factory=list)
    """As written (dotted, a call's callee); ``?`` when not a plain name."""
    metaclass: str | None = None
    """As written (dotted); ``?`` when not a plain name."""
    open: bool = False
    """Defines ``__getattr__``/``__getattribute__`` or builds its namespace dynamically."""


@dataclass
class Binding:
    kind: Kind
    function: FunctionInfo | None = None
    cls: ClassInfo | None = None
    target: str | None = None
    """For an import: the absolute dotted name it binds (module, or module attribute);
    for an alias (``path = _path``): the dotted name as written in the same scope."""


@dataclass
class ModuleSummary:
    name: str
    is_package: bool
    stub: bool
    names: dict[str, Binding] = field(default_factory=dict)
    all: list[str] | None = None
    star_imports: list[str] = field(default_factory=list)
    open: bool = False


def summarize(
    text: str, name: str, is_package: bool, stub: bool, target: tuple[int, int], *, shared: bool = False
) -> ModuleSummary | None:
    """``shared``: a text the patch leaves (its tree is parsed once, see :func:`parse_tree`)."""
    try:
        tree = parse_tree(text) if shared else ast.parse(text)
    except (SyntaxError, ValueError):
        return None
    summary = ModuleSummary(name, is_package, stub)
    _Binder(summary, target).block(tree.body, summary.names, None)
    if "__getattr__" in summary.names:
        summary.open = True
    if any(
        isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id in {"globals", "vars", "exec"}
        for n in ast.walk(tree)
    ):
        summary.open = True
    return summary


class _Binder:
    def __init__(self, summary: ModuleSummary, target: tuple[int, int]) -> None:
        self.summary = summary
        self.target = target

    def absolute(self, level: int, module: str | None) -> str:
        if not level:
            return module or ""
        parts = self.summary.name.split(".")
        base = parts if self.summary.is_package else parts[:-1]
        base = base[: len(base) - (level - 1)] if level > 1 else base
        return ".".join([*base, module] if module else base)

    def block(self, body: list[ast.stmt], names: dict[str, Binding], cls: ClassInfo | None) -> None:
        for stmt in body:
            self.statement(stmt, names, cls)

    def statement(self, stmt: ast.stmt, names: dict[str, Binding], cls: ClassInfo | None) -> None:
        if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef):
            self.function(stmt, names, cls)
        elif isinstance(stmt, ast.ClassDef):
            names[stmt.name] = Binding("class", cls=self.klass(stmt))
        elif isinstance(stmt, ast.Import):
            for a in stmt.names:
                if a.asname:
                    names[a.asname] = Binding("import", target=a.name)
                else:
                    head = a.name.split(".")[0]
                    names[head] = Binding("import", target=head)
        elif isinstance(stmt, ast.ImportFrom):
            base = self.absolute(stmt.level, stmt.module)
            for a in stmt.names:
                if a.name == "*":
                    if cls is None:
                        self.summary.star_imports.append(base)
                    continue
                names[a.asname or a.name] = Binding("import", target=f"{base}.{a.name}" if base else a.name)
        elif isinstance(stmt, ast.Assign | ast.AnnAssign | ast.AugAssign):
            targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
            for t in targets:
                self.bind_target(t, names)
            # Only a plain chain of names is an alias: ``parse = string.Formatter().parse`` binds
            # the method of an instance, not the function ``string.Formatter.parse``.
            source = chain(stmt.value) if stmt.value is not None else None
            if source and len(targets) == 1 and isinstance(targets[0], ast.Name) and not isinstance(stmt, ast.AugAssign):
                names[targets[0].id] = Binding("alias", target=source)
            if cls is None and any(isinstance(t, ast.Name) and t.id == "__all__" for t in targets):
                self.record_all(stmt)
        elif isinstance(stmt, ast.If):
            verdict = _version_test(stmt.test, self.target)
            if verdict is not False:
                self.block(stmt.body, names, cls)
            if verdict is not True:
                self.block(stmt.orelse, names, cls)
        elif _is_try(stmt):
            for part in ("body", "handlers", "orelse", "finalbody"):
                for sub in getattr(stmt, part):
                    self.block(sub.body, names, cls) if isinstance(sub, ast.ExceptHandler) else self.statement(sub, names, cls)
        elif isinstance(stmt, ast.For | ast.AsyncFor | ast.While):
            if isinstance(stmt, ast.For | ast.AsyncFor):
                self.bind_target(stmt.target, names)
            self.block(stmt.body, names, cls)
            self.block(stmt.orelse, names, cls)
        elif isinstance(stmt, ast.With | ast.AsyncWith):
            for item in stmt.items:
                if item.optional_vars is not None:
                    self.bind_target(item.optional_vars, names)
            self.block(stmt.body, names, cls)
        elif isinstance(stmt, ast.Expr) and cls is None:
            self.all_mutation(stmt.value)
        elif isinstance(stmt, ast.Match):
            for case in stmt.cases:
                self.block(case.body, names, cls)
        nested = isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)
        for node in () if nested else ast.walk(stmt):
            if isinstance(node, ast.NamedExpr) and isinstance(node.target, ast.Name):
                names.setdefault(node.target.id, Binding("value"))

    def bind_target(self, target: ast.expr, names: dict[str, Binding]) -> None:
        if isinstance(target, ast.Name):
            names[target.id] = Binding("value")
        elif isinstance(target, ast.Tuple | ast.List):
            for elt in target.elts:
                self.bind_target(elt, names)
        elif isinstance(target, ast.Starred):
            self.bind_target(target.value, names)

    def function(self, node: ast.FunctionDef | ast.AsyncFunctionDef, names: dict[str, Binding], cls: ClassInfo | None) -> None:
        existing = names.get(node.name)
        info = existing.function if existing is not None and existing.function is not None else FunctionInfo(node.name)
        info.signatures.append(from_ast(node))
        info.decorators.extend(dotted(d) or "?" for d in node.decorator_list)
        names[node.name] = Binding("function", function=info)
        if cls is not None:
            if node.name == "__getattr__" or (node.name == "__getattribute__" and not self.summary.stub):
                cls.open = True
            for sub in ast.walk(node):
                target = sub.targets if isinstance(sub, ast.Assign) else [sub.target] if isinstance(sub, ast.AnnAssign | ast.AugAssign) else []
                for t in target:
                    if isinstance(t, ast.Attribute) and isinstance(t.value, ast.Name) and t.value.id in {"self", "cls"}:
                        cls.members.setdefault(t.attr, Binding("value"))
                if isinstance(sub, ast.Call) and isinstance(sub.func, ast.Name) and sub.func.id == "setattr":
                    cls.open = True
        else:
            for sub in ast.walk(node):
                if isinstance(sub, ast.Global):
                    for g in sub.names:
                        self.summary.names.setdefault(g, Binding("value"))

    def klass(self, node: ast.ClassDef) -> ClassInfo:
        info = ClassInfo(node.name, self.summary.name, stub=self.summary.stub)
        info.bases = [chain(_unsubscript(b)) for b in node.bases]
        info.decorated = bool(node.decorator_list)
        info.decorators = [dotted(d) or "?" for d in node.decorator_list]
        for k in node.keywords:
            if k.arg == "metaclass":
                info.metaclass = dotted(k.value) or "?"
        if any(k.arg is None for k in node.keywords):
            info.open = True
        self.block(node.body, info.members, info)
        slots = next(
            (s.value for s in node.body if isinstance(s, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "__slots__" for t in s.targets)),
            None,
        )
        if slots is not None:
            for elt in ast.walk(slots):
                if isinstance(elt, ast.Constant) and isinstance(elt.value, str):
                    info.members.setdefault(elt.value, Binding("value"))
        return info

    def record_all(self, stmt: ast.Assign | ast.AnnAssign | ast.AugAssign) -> None:
        values = _strings(stmt.value) if stmt.value is not None else None
        if values is None:
            self.summary.all = None
            self.summary.open = self.summary.open or not self.summary.names
            return
        if isinstance(stmt, ast.AugAssign):
            self.summary.all = [*(self.summary.all or []), *values]
        else:
            self.summary.all = values

    def all_mutation(self, expr: ast.expr) -> None:
        if (
            isinstance(expr, ast.Call)
            and isinstance(expr.func, ast.Attribute)
            and isinstance(expr.func.value, ast.Name)
            and expr.func.value.id == "__all__"
        ):
            values = _strings(expr.args[0]) if expr.args else None
            if expr.func.attr == "append" and expr.args and isinstance(expr.args[0], ast.Constant):
                values = [str(expr.args[0].value)]
            if values is not None and self.summary.all is not None:
                self.summary.all.extend(values)


def _is_try(stmt: ast.stmt) -> bool:
    if sys.version_info >= (3, 11) and isinstance(stmt, ast.TryStar):
        return True
    return isinstance(stmt, ast.Try)


def _strings(expr: ast.expr) -> list[str] | None:
    if isinstance(expr, ast.List | ast.Tuple):
        out = [e.value for e in expr.elts if isinstance(e, ast.Constant) and isinstance(e.value, str)]
        return out if len(out) == len(expr.elts) else None
    if isinstance(expr, ast.BinOp) and isinstance(expr.op, ast.Add):
        left, right = _strings(expr.left), _strings(expr.right)
        return left + right if left is not None and right is not None else None
    return None


def _unsubscript(expr: ast.expr) -> ast.expr:
    return expr.value if isinstance(expr, ast.Subscript) else expr


def dotted(expr: ast.expr) -> str | None:
    if isinstance(expr, ast.Call):
        return dotted(expr.func)
    if isinstance(expr, ast.Name):
        return expr.id
    if isinstance(expr, ast.Attribute):
        base = dotted(expr.value)
        return f"{base}.{expr.attr}" if base else None
    return None


def _version_test(test: ast.expr, target: tuple[int, int]) -> bool | None:
    """Evaluate ``sys.version_info >= (3, 10)``-style tests for ``target``; None when not one."""
    if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
        inner = _version_test(test.operand, target)
        return None if inner is None else not inner
    if isinstance(test, ast.BoolOp):
        parts = [_version_test(v, target) for v in test.values]
        if isinstance(test.op, ast.And):
            return False if False in parts else (True if all(p is True for p in parts) else None)
        return True if True in parts else (False if all(p is False for p in parts) else None)
    if not (isinstance(test, ast.Compare) and len(test.ops) == 1 and dotted(test.left) == "sys.version_info"):
        return None
    right = test.comparators[0]
    if not isinstance(right, ast.Tuple) or not all(
        isinstance(e, ast.Constant) and isinstance(e.value, int) for e in right.elts
    ):
        return None
    bound = tuple(e.value for e in right.elts if isinstance(e, ast.Constant))
    have = target[: len(bound)]
    op = test.ops[0]
    if isinstance(op, ast.GtE):
        return have >= bound
    if isinstance(op, ast.Lt):
        return have < bound
    if isinstance(op, ast.Gt):
        return have > bound
    if isinstance(op, ast.LtE):
        return have <= bound
    return None
