"""What an expression is bound to, for the rules that follow values: names resolved through the
module's imports (``from hmac import new`` is ``hmac.new``, a local ``def new`` is not), a
function's own assignments and parameters, a method's ``self.attr`` assignments, and functions
and constants of other modules of the repository.

Bindings are flow-insensitive: every assignment of a name in its scope counts, and a binding
whose value cannot be followed (a ``for`` target, tuple unpacking, ``+=``, ``global``) makes the
name unknown. Rules ask for what *every* binding agrees on, so an unknown binding never turns
into a finding.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import libcst as cst
from libcst.metadata import (
    Assignment,
    ImportAssignment,
    MetadataWrapper,
    ParentNodeProvider,
    QualifiedNameProvider,
    QualifiedNameSource,
    Scope,
    ScopeProvider,
)

from guard.resolve import environment_for
from guard.rulekit import Project, Rule, RulesWrapper, children

from ._patch import walk

METADATA = (QualifiedNameProvider, ScopeProvider, ParentNodeProvider)

Getter = Callable[[Any, cst.CSTNode], Any]


@dataclass(frozen=True)
class View:
    """The metadata of one parsed module: the file a rule visits, or another module of the repo."""

    get: Getter
    module: str
    """The module's dotted name, to make its relative imports absolute."""
    is_package: bool = False
    tree: cst.Module | None = None

    @classmethod
    def of_rule(cls, rule: Rule) -> View:
        program = Program.of(rule.context.project)
        path = rule.context.path
        return cls(
            lambda provider, node: rule.get_metadata(provider, node, None),
            program.module_name(path),
            path.endswith("__init__.py"),
        )

    def parent(self, node: cst.CSTNode) -> cst.CSTNode | None:
        found = self.get(ParentNodeProvider, node)
        return found if isinstance(found, cst.CSTNode) else None

    def scope(self, node: cst.CSTNode) -> Scope | None:
        found = self.get(ScopeProvider, node)
        return found if isinstance(found, Scope) else None

    def absolute(self, name: str) -> str:
        """A qualified name with its leading dots (a relative import) made absolute."""
        if not name.startswith("."):
            return name
        level = len(name) - len(name.lstrip("."))
        parts = self.module.split(".") if self.is_package else self.module.split(".")[:-1]
        parts = parts[: len(parts) - (level - 1)] if level > 1 else parts
        rest = name[level:]
        return ".".join([*parts, rest]) if rest else ".".join(parts)

    def qualified(self, node: cst.BaseExpression) -> str | None:
        """The one imported or builtin name a plain ``a.b.c`` chain refers to (``hmac.new``);
        None for anything local, ambiguous (bound by an import and by a ``def``), or not a chain."""
        inner: cst.BaseExpression = node
        while isinstance(inner, cst.Attribute):
            inner = inner.value
        if not isinstance(inner, cst.Name):
            return None
        names = self.get(QualifiedNameProvider, node)
        if not isinstance(names, set | frozenset) or len(names) != 1:
            return None
        (found,) = names
        if found.source in (QualifiedNameSource.IMPORT, QualifiedNameSource.BUILTIN):
            return self.absolute(found.name)
        return None

    def qualified_text(self, anchor: cst.CSTNode, dotted: str) -> str | None:
        """Like :meth:`qualified`, for a dotted name written in a string annotation at ``anchor``."""
        scope = self.scope(anchor)
        if scope is None:
            return None
        names = scope.get_qualified_names_for(dotted)
        if len(names) != 1:
            return None
        (found,) = names
        return self.absolute(found.name) if found.source is QualifiedNameSource.IMPORT else None

    def bindings(self, name: cst.Name) -> list[cst.CSTNode] | None:
        """What every binding of ``name`` in its scope binds it to: an assigned expression, a
        ``Param``, a ``FunctionDef``/``ClassDef``, an ``Import``/``ImportFrom``, an ``AnnAssign``
        without value, or the item of a ``with ... as name``. None when a binding cannot be
        followed, or the name is not bound at all (a builtin, a star import)."""
        scope = self.scope(name)
        return self.bound(scope, name.value) if scope is not None else None

    def bound(self, scope: Scope, name: str) -> list[cst.CSTNode] | None:
        """:meth:`bindings` of the name as seen from ``scope``."""
        found: list[cst.CSTNode] = []
        assignments = scope[name]
        if not assignments:
            return None
        for assignment in assignments:
            if isinstance(assignment, ImportAssignment):
                found.append(assignment.node)
                continue
            if not isinstance(assignment, Assignment):
                return None
            node = assignment.node
            if isinstance(node, cst.Param | cst.FunctionDef | cst.ClassDef):
                found.append(node)
            elif isinstance(node, cst.Name):
                value = self._assigned(node)
                if value is None:
                    return None
                found.append(value)
            else:
                return None
        return found

    def _assigned(self, target: cst.Name) -> cst.CSTNode | None:
        parent = self.parent(target)
        if isinstance(parent, cst.AssignTarget) and parent.target is target:
            statement = self.parent(parent)
            return statement.value if isinstance(statement, cst.Assign) else None
        if isinstance(parent, cst.AnnAssign) and parent.target is target:
            return parent.value if parent.value is not None else parent
        if isinstance(parent, cst.NamedExpr) and parent.target is target:
            return parent.value
        if isinstance(parent, cst.AsName) and parent.name is target:
            item = self.parent(parent)
            return item.item if isinstance(item, cst.WithItem) else None
        return None

    def enclosing_function(self, node: cst.CSTNode) -> cst.FunctionDef | None:
        current = self.parent(node)
        while current is not None and not isinstance(current, cst.FunctionDef):
            current = self.parent(current)
        return current

    def owning_class(self, function: cst.FunctionDef) -> cst.ClassDef | None:
        """The class of which ``function`` is a method (directly in its body)."""
        block = self.parent(function)
        owner = self.parent(block) if block is not None else None
        return owner if isinstance(owner, cst.ClassDef) else None

    def instance_attribute(self, node: cst.Attribute) -> list[cst.CSTNode] | None:
        """For ``self.attr`` inside a method: every value the class's methods assign to
        ``self.attr``, and the class-level assignment or annotation. None if any is unknown."""
        if not isinstance(node.value, cst.Name):
            return None
        function = self.enclosing_function(node)
        klass = self.owning_class(function) if function is not None else None
        if function is None or klass is None or first_param(function) != node.value.value:
            return None
        attr = node.attr.value
        found: list[cst.CSTNode] = []
        for statement in klass.body.body:
            if isinstance(statement, cst.SimpleStatementLine):
                for small in statement.body:
                    if isinstance(small, cst.Assign | cst.AnnAssign) and any(
                        isinstance(t, cst.Name) and t.value == attr for t in _targets(small)
                    ):
                        found.append(small if small.value is None else small.value)
            elif isinstance(statement, cst.FunctionDef):
                me = first_param(statement)
                if me is None:
                    continue
                for sub in walk(statement.body):
                    if isinstance(sub, cst.Assign | cst.AnnAssign | cst.AugAssign):
                        for target in _targets(sub):
                            if _is_attr_of(target, me, attr):
                                if isinstance(sub, cst.AugAssign) or sub.value is None:
                                    return None
                                found.append(sub.value)
        return found or None


def first_param(function: cst.FunctionDef) -> str | None:
    if any(_decorator_name(d) == "staticmethod" for d in function.decorators):
        return None
    params = [*function.params.posonly_params, *function.params.params]
    return params[0].name.value if params else None


def _decorator_name(decorator: cst.Decorator) -> str:
    expr = decorator.decorator
    return expr.value if isinstance(expr, cst.Name) else ""


def _targets(node: cst.Assign | cst.AnnAssign | cst.AugAssign) -> list[cst.BaseExpression]:
    if isinstance(node, cst.Assign):
        out: list[cst.BaseExpression] = []
        for target in node.targets:
            out.append(target.target)
            if isinstance(target.target, cst.Tuple | cst.List):
                out.extend(e.value for e in target.target.elements)
        return out
    return [node.target]


def _is_attr_of(node: cst.CSTNode, owner: str, attr: str) -> bool:
    return (
        isinstance(node, cst.Attribute)
        and isinstance(node.value, cst.Name)
        and node.value.value == owner
        and node.attr.value == attr
    )


def returns(function: cst.FunctionDef) -> Iterator[cst.Return]:
    """The function's own ``return`` statements (not those of nested functions or lambdas)."""
    stack: list[cst.CSTNode] = [function.body]
    while stack:
        node = stack.pop()
        if isinstance(node, cst.Return):
            yield node
        elif not isinstance(node, cst.FunctionDef | cst.ClassDef | cst.Lambda):
            stack.extend(children(node))


_UNCHANGED: dict[tuple[str, int, int], MetadataWrapper | None] = {}
"""libcst trees of unchanged repo modules, by path, mtime and size: a warm session parses each once
(the wrapper keeps the metadata it resolved)."""


class Program:
    """The repository as the patch leaves it, for following a name into another module.

    Modules are parsed on demand, once per check.
    """

    def __init__(self, project: Project) -> None:
        self.project = project
        self.env = environment_for(project)
        self._views: dict[str, View | None] = {}

    @classmethod
    def of(cls, project: Project) -> Program:
        return project.memo("rules._flow.program", lambda: cls(project))

    def module_name(self, rel: str) -> str:
        return self.env.module_name(rel)

    def view(self, rel: str) -> View | None:
        if rel not in self._views:
            self._views[rel] = self._parse(rel)
        return self._views[rel]

    def _parse(self, rel: str) -> View | None:
        changes = self.project.files.get(rel)
        if changes is not None:  # the rules' own tree: its metadata is resolved once for both
            if changes.after is None or changes.after.wrapper is None:
                return None
            return self._view(rel, changes.after.wrapper)
        path = Path(self.project.repo) / rel
        try:
            st = path.stat()
        except OSError:
            return None
        key = (str(path), st.st_mtime_ns, st.st_size)
        if key not in _UNCHANGED:
            try:
                text = path.read_text(encoding="utf-8")
                wrapper: MetadataWrapper | None = RulesWrapper(cst.parse_module(text), unsafe_skip_copy=True)
            except Exception:  # a module we cannot read or parse is simply not followed
                wrapper = None
            _UNCHANGED[key] = wrapper
            while len(_UNCHANGED) > 256:
                _UNCHANGED.pop(next(iter(_UNCHANGED)))
        cached = _UNCHANGED[key]
        return self._view(rel, cached) if cached is not None else None

    def _view(self, rel: str, wrapper: MetadataWrapper) -> View | None:
        try:
            resolved = wrapper.resolve_many(METADATA)
        except Exception:  # a module we cannot resolve is simply not followed
            return None

        def get(provider: Any, node: cst.CSTNode) -> Any:
            value = resolved[provider].get(node)
            return value() if callable(value) else value  # QualifiedNameProvider's lazy values

        return View(get, self.module_name(rel), rel.endswith("__init__.py"), wrapper.module)

    def module_binding(self, dotted: str) -> tuple[View, list[cst.CSTNode]] | None:
        """For ``pkg.mod.NAME`` naming a top-level binding of a repo module: that module's view
        and what every top-level binding of ``NAME`` binds it to."""
        modules = self.env.repo_modules()
        module, _, name = dotted.rpartition(".")
        rel = modules.get(module)
        view = self.view(rel) if rel is not None else None
        scope = view.scope(view.tree) if view is not None and view.tree is not None else None
        if view is None or scope is None or name not in scope:
            return None
        bound = view.bound(scope, name)
        return (view, bound) if bound is not None else None
