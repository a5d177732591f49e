"""Signatures of callables, read from ``def`` statements (stubs or sources), and call checking."""

from __future__ import annotations

import ast
from dataclasses import dataclass


@dataclass(frozen=True)
class Param:
    name: str
    kind: str
    """``posonly``, ``normal``, ``kwonly``."""
    required: bool


@dataclass(frozen=True)
class Forward:
    """``**kwargs`` handed on to ``callee`` (dotted, as written in the defining module)."""

    callee: str
    passed: frozenset[str]
    """Keywords the forwarding call passes itself."""
    unless: str | None = None
    """A parameter that, when the caller passes it, replaces ``callee`` (``cls=`` of json.dumps)."""


@dataclass(frozen=True)
class Signature:
    params: tuple[Param, ...]
    varargs: bool
    varkw: str | None
    """Name of the ``**kwargs`` parameter, if any."""
    forwards: tuple[Forward, ...] = ()
    """Where ``**kwargs`` goes, when the body hands it on verbatim."""

    @property
    def positional(self) -> tuple[Param, ...]:
        return tuple(p for p in self.params if p.kind != "kwonly")

    def bound(self) -> Signature:
        """The signature seen through an instance or a class method: without its first parameter."""
        if self.positional:
            first = self.positional[0]
            return Signature(tuple(p for p in self.params if p is not first), self.varargs, self.varkw, self.forwards)
        return self

    def describe(self) -> str:
        parts: list[str] = []
        for i, p in enumerate(self.params):
            if p.kind == "kwonly" and (i == 0 or self.params[i - 1].kind != "kwonly"):
                parts.append("*args" if self.varargs else "*")
            parts.append(p.name if p.required else f"{p.name}=…")
            if p.kind == "posonly" and (i + 1 == len(self.params) or self.params[i + 1].kind != "posonly"):
                parts.append("/")
        if self.varargs and "*args" not in parts:
            parts.append("*args")
        if self.varkw:
            parts.append(f"**{self.varkw}")
        return f"({', '.join(parts)})"


def from_ast(node: ast.FunctionDef | ast.AsyncFunctionDef) -> Signature:
    a = node.args
    positional = [*a.posonlyargs, *a.args]
    first_default = len(positional) - len(a.defaults)
    params = [
        Param(arg.arg, "posonly" if i < len(a.posonlyargs) else "normal", i < first_default)
        for i, arg in enumerate(positional)
    ]
    # Old-style positional-only parameters in stubs: a leading ``__x`` name.
    params = [
        Param(p.name, "posonly", p.required) if p.kind == "normal" and _dunder_posonly(p.name) and all(
            _dunder_posonly(q.name) or q.name in {"self", "cls"} for q in params[:i]
        ) else p
        for i, p in enumerate(params)
    ]
    params += [
        Param(arg.arg, "kwonly", default is None) for arg, default in zip(a.kwonlyargs, a.kw_defaults, strict=True)
    ]
    varkw = a.kwarg.arg if a.kwarg else None
    forwards = _forwards(node, varkw) if varkw else ()
    return Signature(tuple(params), a.vararg is not None, varkw, forwards)


def _dunder_posonly(name: str) -> bool:
    return name.startswith("__") and not name.endswith("__")


def _forwards(node: ast.FunctionDef | ast.AsyncFunctionDef, varkw: str) -> tuple[Forward, ...]:
    """Callees that receive ``**varkw`` verbatim; a local rebinding is followed once.

    An empty tuple means "anything goes" (no forwarding seen, or one we cannot follow).
    """
    params = {a.arg for a in [*node.args.posonlyargs, *node.args.args, *node.args.kwonlyargs]}
    rebound: dict[str, str | None] = {}
    for sub in ast.walk(node):
        if isinstance(sub, ast.Assign | ast.AnnAssign | ast.AugAssign):
            targets = sub.targets if isinstance(sub, ast.Assign) else [sub.target]
            for t in targets:
                if isinstance(t, ast.Name):
                    dotted = chain(sub.value) if sub.value is not None else None
                    rebound[t.id] = dotted if t.id not in rebound else None
    spreads = {
        id(k.value) for n in ast.walk(node) if isinstance(n, ast.Call) for k in n.keywords if k.arg is None
    }
    tests = {id(t) for n in ast.walk(node) for t in _truth_tested(n)}
    if any(
        isinstance(n, ast.Name) and n.id == varkw and id(n) not in spreads | tests for n in ast.walk(node)
    ):
        return ()  # the body reads or edits the mapping: it may consume any keyword
    found: list[Forward] = []
    for sub in ast.walk(node):
        if not isinstance(sub, ast.Call) or not any(
            k.arg is None and isinstance(k.value, ast.Name) and k.value.id == varkw for k in sub.keywords
        ):
            continue
        callee = chain(sub.func)
        head = callee.split(".")[0] if callee else ""
        unless = head if head in params else None
        if head in rebound:
            target = rebound[head]
            if target is None or callee is None:
                return ()
            callee = target + callee[len(head) :]
        elif callee is None or unless is not None:
            return ()
        passed = frozenset(k.arg for k in sub.keywords if k.arg is not None)
        found.append(Forward(callee, passed, unless))
    return tuple(found)


def _truth_tested(node: ast.AST) -> list[ast.expr]:
    """Expressions only tested for truth (``if kw``, ``not kw``): reading them consumes nothing."""
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
        return [node.operand]
    if isinstance(node, ast.BoolOp):
        return list(node.values)
    if isinstance(node, ast.If | ast.While | ast.IfExp):
        return [node.test]
    return []


def chain(expr: ast.expr) -> str | None:
    """``a.b.c`` for a chain of plain names and attributes; None for anything else (calls included)."""
    if isinstance(expr, ast.Name):
        return expr.id
    if isinstance(expr, ast.Attribute):
        base = chain(expr.value)
        return f"{base}.{expr.attr}" if base else None
    return None


@dataclass(frozen=True)
class CallShape:
    positional: int
    keywords: tuple[str, ...]
    star_args: bool
    star_kwargs: bool


def problem(sig: Signature, call: CallShape) -> str | None:
    """Why ``call`` cannot bind to ``sig`` (None if it can, or might)."""
    positional = sig.positional
    names = {p.name for p in sig.params if p.kind != "posonly"}
    for kw in call.keywords:
        if kw not in names and sig.varkw is None:
            return f"unexpected keyword argument '{kw}'"
    if not call.star_args and call.positional > len(positional) and not sig.varargs:
        return f"takes at most {len(positional)} positional argument{'s' * (len(positional) != 1)} but {call.positional} were given"
    filled = {p.name for p in positional[: call.positional]} if not call.star_args else set()
    for kw in call.keywords:
        if kw in filled:
            return f"got multiple values for argument '{kw}'"
    if call.star_args or call.star_kwargs:
        return None
    missing = [p.name for p in sig.params if p.required and p.name not in filled and p.name not in call.keywords]
    if missing:
        return f"missing required argument{'s' * (len(missing) > 1)} {', '.join(repr(m) for m in missing)}"
    return None
