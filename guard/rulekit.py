"""The frame for guard's own rules (``rules/``, shipped as ``guard.rules``).

A rule is one small class in its own module: a libcst visitor whose data sits on the class (id,
message, severity, confidence) together with its own examples, shaped like patches (before and
after source, and the lines it must fire on). Every rule's examples become test cases. A rule
never builds findings itself; it calls :meth:`Rule.report`, which handles positions, the
enclosing definition, and keeps only what lies on lines the patch changed.

All rules of a file run in one batched traversal of the patched tree. A rule that needs the
original version reads ``self.context.before``.
"""

from __future__ import annotations

import ast
import dataclasses
import functools
import importlib
import inspect
import pkgutil
import re
import textwrap
import time
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from pathlib import Path
from types import MappingProxyType
from typing import Any, ClassVar, TypeVar, cast

import libcst as cst
from libcst._batched_visitor import _BatchedCSTVisitor, _get_visitor_methods
from libcst._metadata_dependent import LazyValue
from libcst._nodes.internal import CodegenState
from libcst._position import CodePosition, CodeRange
from libcst.metadata import (
    BatchableMetadataProvider,
    ExpressionContext,
    ExpressionContextProvider,
    MetadataWrapper,
    ParentNodeProvider,
    PositionProvider,
    ProviderT,
    QualifiedNameProvider,
    ScopeProvider,
)
from libcst.metadata.expression_context_provider import ExpressionContextVisitor
from libcst.metadata.scope_provider import ScopeVisitor

from guard.changes import FileChanges, ParsedSource
from guard.findings import Confidence, Finding, Severity
from guard.repo import is_test_path

T = TypeVar("T")


@dataclass(frozen=True)
class Example:
    """A rule's example, shaped like a patch: ``before`` (None for a new file) and ``after``.

    For INVALID examples, ``lines`` are the lines of ``after`` the rule must report, exactly.
    """

    after: str
    before: str | None = None
    lines: tuple[int, ...] = ()
    path: str = "pkg/mod.py"
    files: tuple[tuple[str, str], ...] = ()
    """Other files of the example repo, as (path, text), e.g. callers or a pyproject.toml."""


@dataclass
class Project:
    """What rules may know about the repository beyond the file at hand; shared by all files."""

    repo: Path
    target_version: tuple[int, int]
    files: dict[str, FileChanges] = field(default_factory=dict)
    """Every touched Python file of the patch, by its (new) path."""
    declarations: dict[str, str | None] = field(default_factory=dict)
    """Dependency declarations the patch touches, as it leaves them (see Workspace.declarations)."""
    _memo: dict[str, Any] = field(default_factory=dict)

    def memo(self, key: str, factory: Callable[[], T]) -> T:
        """Compute once per check (e.g. an index of the repo's call sites), then share."""
        if key not in self._memo:
            self._memo[key] = factory()
        value: T = self._memo[key]
        return value


@dataclass
class RuleContext:
    changes: FileChanges
    project: Project

    @property
    def path(self) -> str:
        return self.changes.path

    @property
    def before(self) -> ParsedSource | None:
        return self.changes.before

    @property
    def after(self) -> ParsedSource | None:
        return self.changes.after

    @property
    def changed_lines(self) -> frozenset[int]:
        return self.changes.changed_lines

    @property
    def is_test_file(self) -> bool:
        return is_test_path(self.path)


_VISITOR_NAMES: dict[type[Rule], tuple[str, ...]] = {}


class Rule(cst.BatchableCSTVisitor):
    """Base class of guard's rules. Subclasses set the class data and visit the patched tree."""

    ID: ClassVar[str] = ""
    MESSAGE: ClassVar[str] = ""
    SEVERITY: ClassVar[Severity] = Severity.ERROR
    CONFIDENCE: ClassVar[Confidence] = Confidence.HIGH
    VALID: ClassVar[Sequence[Example]] = ()
    INVALID: ClassVar[Sequence[Example]] = ()
    METADATA_DEPENDENCIES: ClassVar[tuple[Any, ...]] = (PositionProvider,)

    def __init__(self, context: RuleContext) -> None:
        super().__init__()
        self.context = context
        self.findings: list[Finding] = []

    def get_visitors(self) -> Mapping[str, Callable[[cst.CSTNode], None]]:
        """libcst's list of this rule's ``visit_*``/``leave_*`` methods, found once per class
        (libcst looks them up with ``inspect.getmembers`` on every file otherwise)."""
        names = _VISITOR_NAMES.get(type(self))
        if names is None:
            names = _VISITOR_NAMES[type(self)] = tuple(super().get_visitors())
        return {name: getattr(self, name) for name in names}

    def report(
        self,
        node: cst.CSTNode | None = None,
        message: str | None = None,
        *,
        line: int | None = None,
        column: int = 0,
        path: str | None = None,
        severity: Severity | None = None,
        confidence: Confidence | None = None,
        evidence: Iterable[tuple[str, str]] = (),
        anywhere: bool = False,
    ) -> None:
        """Report at ``node`` (or at ``line``/``column``, e.g. in another file via ``path``).

        Unless ``anywhere``, a report on a line the patch did not change is dropped: rules look at
        what the patch changed. ``anywhere`` is for effects of a change elsewhere (a call site
        broken by a changed signature).
        """
        end_line = end_column = None
        if node is not None:
            pos = self.get_metadata(PositionProvider, node)
            line, column = pos.start.line, pos.start.column + 1
            end_line, end_column = pos.end.line, pos.end.column + 1
        if line is None:
            raise ValueError(f"{self.ID}: report() needs a node or a line")
        target = path or self.context.path
        if not anywhere and target == self.context.path and line not in self.context.changed_lines:
            return
        after = self.context.project.files.get(target)
        symbol = after.after.enclosing(line) if after is not None and after.after is not None else ""
        self.findings.append(
            Finding(
                path=target,
                line=line,
                column=column,
                end_line=end_line,
                end_column=end_column,
                rule=self.ID,
                analyzer="guard",
                message=message or self.MESSAGE,
                severity=severity if severity is not None else self.SEVERITY,
                confidence=confidence if confidence is not None else self.CONFIDENCE,
                symbol=symbol,
                evidence=tuple(evidence),
            )
        )

    def finish(self) -> None:
        """Called after the traversal: for rules that compare with the original version."""

    @classmethod
    def doc(cls) -> str:
        return inspect.cleandoc(cls.__doc__ or cls.MESSAGE)


class RulesWrapper(MetadataWrapper):
    """libcst's metadata wrapper, with the same metadata and traversals for less of the rules' time.

    libcst resolves each batchable provider (expression contexts, scopes, parents, qualified
    names) in a traversal of the whole tree in which only the ``Module`` node does anything (the
    provider runs its own visitor from there); here each such provider is run on the module
    directly, and no traversal is made when no batchable provider is left (libcst makes one with
    no visitors after computing positions). Parents come from one walk over the nodes' fields
    instead of a visitor that asks every node for its children, and qualified names are looked
    up for the nodes asked for instead of a ``LazyValue`` being made for every node of the tree.
    The rules' batched traversal and the scope and expression-context visitors see the nodes
    without libcst rebuilding every node they pass (see :class:`_Walking`). Positions come from
    libcst's code generation with a lighter state (see :class:`_PositionState`).
    """

    def resolve_many(self, providers: Collection[ProviderT]) -> Mapping[ProviderT, Mapping[cst.CSTNode, object]]:
        wanted = _with_dependencies(providers)
        if QualifiedNameProvider in wanted:
            wanted.add(ParentNodeProvider)  # its set of nodes is the tree's
        for provider in _DIRECT:
            if provider in wanted and provider not in self._metadata:
                self._metadata[provider] = self._direct(provider)
        if PositionProvider in wanted and PositionProvider not in self._metadata:
            self._metadata[PositionProvider] = _positions(self.module)
        for provider in wanted:  # other positions: computed as libcst does, without the empty batch
            if (
                provider not in self._metadata
                and not issubclass(provider, BatchableMetadataProvider)
                and all(d in self._metadata for d in provider.METADATA_DEPENDENCIES)
            ):
                self._metadata[provider] = (
                    provider(self._cache.get(provider))._gen(self) if provider.gen_cache else provider()._gen(self)
                )
        if all(provider in self._metadata for provider in wanted):
            return {provider: self._metadata[provider] for provider in providers}
        return super().resolve_many(providers)

    def _direct(self, provider: ProviderT) -> Mapping[cst.CSTNode, object]:
        if provider is QualifiedNameProvider:
            return _QualifiedNames(self.module, self._metadata[ParentNodeProvider], self._metadata[ScopeProvider])
        if provider is ParentNodeProvider:
            parents = _parents(self.module)
            if parents is not None:
                return MappingProxyType(parents)
        instance = cast("ExpressionContextProvider | ScopeProvider | ParentNodeProvider", provider())
        with instance.resolve(self):  # as libcst's batched resolution does
            if isinstance(instance, ExpressionContextProvider):  # its visit_Module, walking
                self.module.visit(_ContextWalker(instance, ExpressionContext.LOAD))
            elif isinstance(instance, ScopeProvider):  # its visit_Module, walking
                visitor = _ScopeWalker(instance)
                self.module.visit(visitor)
                visitor.infer_accesses()
            else:
                instance.visit_Module(self.module)
        return MappingProxyType(dict(instance._computed))

    def visit_batched(
        self,
        visitors: Iterable[cst.BatchableCSTVisitor],
        before_visit: Callable[[cst.CSTNode], None] | None = None,
        after_leave: Callable[[cst.CSTNode], None] | None = None,
    ) -> cst.CSTNode:
        """libcst's ``visit_batched``, walking (same calls, in the same order)."""
        with ExitStack() as stack:
            for visitor in visitors:
                stack.enter_context(visitor.resolve(self))
            batched = _BatchedWalker(_get_visitor_methods(visitors), before_visit=before_visit, after_leave=after_leave)
            return self.module.visit(batched)


_NEWLINE = re.compile(r"\r\n?|\n")  # libcst's NEWLINE_RE
_Range = tuple[cst.CSTNode, int, int, int, int]
"""A node and its start line and column, end line and column."""


class _PositionState(CodegenState):
    """libcst's ``PositionProvidingCodegenState``, for less: the same line and column
    arithmetic over the same tokens, recorded as plain tuples by node id instead of a
    ``CodeRange`` of two ``CodePosition`` objects per node (made only for the nodes asked for,
    see :class:`_Positions`), a syntactic position recorded by a small object instead of a
    generator-based context manager, and tokens without a newline counted without a regex."""

    __slots__ = ("_starts", "column", "line", "ranges")

    def __init__(self, module: cst.Module) -> None:
        super().__init__(default_indent=module.default_indent, default_newline=module.default_newline)
        self.line = 1  # one-indexed
        self.column = 0  # zero-indexed
        self._starts: list[tuple[int, int]] = []
        self.ranges: dict[int, _Range] = {}

    def _advance(self, value: str) -> None:
        if "\n" in value or "\r" in value:
            segments = _NEWLINE.split(value)
            self.line += len(segments) - 1
            self.column = len(segments[-1])
        else:
            self.column += len(value)

    def add_indent_tokens(self) -> None:
        self.tokens.extend(self.indent_tokens)
        for token in self.indent_tokens:
            self._advance(token)

    def add_token(self, value: str) -> None:
        self.tokens.append(value)
        self._advance(value)

    def before_codegen(self, node: cst.CSTNode) -> None:
        self._starts.append((self.line, self.column))

    def after_codegen(self, node: cst.CSTNode) -> None:
        line, column = self._starts.pop()
        if id(node) not in self.ranges:  # a syntactic position recorded already stands
            self.ranges[id(node)] = (node, line, column, self.line, self.column)

    def record_syntactic_position(  # type: ignore[override]  # a context manager all the same
        self, node: cst.CSTNode, *, start_node: cst.CSTNode | None = None, end_node: cst.CSTNode | None = None
    ) -> _Syntactic:
        return _Syntactic(self, node, start_node, end_node)


class _Syntactic:
    """``record_syntactic_position``: the node's range from where the state stood on entry to
    where it stands on exit, or from the start of ``start_node``/to the end of ``end_node``."""

    __slots__ = ("_column", "_end_node", "_line", "_node", "_start_node", "_state")

    def __init__(
        self, state: _PositionState, node: cst.CSTNode, start_node: cst.CSTNode | None, end_node: cst.CSTNode | None
    ) -> None:
        self._state, self._node, self._start_node, self._end_node = state, node, start_node, end_node
        self._line = self._column = 0

    def __enter__(self) -> None:
        self._line, self._column = self._state.line, self._state.column

    def __exit__(self, *exc: object) -> None:
        state = self._state
        line, column, end_line, end_column = self._line, self._column, state.line, state.column
        if self._start_node is not None:
            _, line, column, _, _ = state.ranges[id(self._start_node)]
        if self._end_node is not None:
            _, _, _, end_line, end_column = state.ranges[id(self._end_node)]
        state.ranges[id(self._node)] = (self._node, line, column, end_line, end_column)


class _Positions(Mapping[cst.CSTNode, CodeRange]):
    """PositionProvider's metadata: a node's ``CodeRange``, made when asked for."""

    def __init__(self, ranges: dict[int, _Range]) -> None:
        self._ranges = ranges
        self._made: dict[int, CodeRange] = {}

    def __getitem__(self, node: cst.CSTNode) -> CodeRange:
        made = self._made.get(id(node))
        if made is None:
            found = self._ranges.get(id(node))
            if found is None or found[0] is not node:
                raise KeyError(node)
            _, line, column, end_line, end_column = found
            made = self._made[id(node)] = CodeRange(CodePosition(line, column), CodePosition(end_line, end_column))
        return made

    def __iter__(self) -> Iterator[cst.CSTNode]:
        return (found[0] for found in self._ranges.values())

    def __len__(self) -> int:
        return len(self._ranges)


def _positions(module: cst.Module) -> _Positions:
    """PositionProvider's positions of every node of ``module`` (the same ranges libcst's
    provider computes, from the same code generation)."""
    state = _PositionState(module)
    module._codegen(state)
    return _Positions(state.ranges)


_ORDERS: dict[object, tuple[tuple[str, bool], ...] | None] = {}
_SEQUENCE_HELPERS = frozenset({"visit_sequence", "visit_iterable", "visit_body_sequence", "visit_body_iterable"})
_HELPERS = _SEQUENCE_HELPERS | {"visit_required", "visit_optional", "visit_sentinel"}


def _child_order(node_type: type[cst.CSTNode]) -> tuple[tuple[str, bool], ...] | None:
    """The fields a node's ``_visit_and_replace_children`` visits, in its order, each with
    whether it is skipped altogether (no attribute callbacks either) when None; read from that
    method's source, which is one constructor call of ``visit_*(self, "field", self.field,
    visitor)`` helpers. None when the method is not of that shape (libcst then walks itself)."""
    method = getattr(node_type, "_visit_and_replace_children", None)
    key = getattr(method, "__code__", method)
    if key in _ORDERS:
        return _ORDERS[key]
    _ORDERS[key] = order = _read_order(method)
    return order


def _read_order(method: object) -> tuple[tuple[str, bool], ...] | None:
    try:
        function = ast.parse(textwrap.dedent(inspect.getsource(method))).body[0]  # type: ignore[arg-type]
    except (OSError, TypeError, SyntaxError, IndexError):
        return None
    if not isinstance(function, ast.FunctionDef) or len(function.args.args) != 2:
        return None
    this, visitor = (a.arg for a in function.args.args)
    body = [s for s in function.body if not (isinstance(s, ast.Expr) and isinstance(s.value, ast.Constant))]
    if body and isinstance(body[-1], ast.Return) and isinstance(body[-1].value, ast.Name) and body[-1].value.id == this:
        return () if len(body) == 1 else None  # a leaf: no children
    aliases: dict[str, str] = {}  # ``names = self.names``
    result: ast.Call | None = None
    for statement in body:
        if (
            isinstance(statement, ast.Assign) and len(statement.targets) == 1
            and isinstance(statement.targets[0], ast.Name) and result is None
        ):  # fmt: skip
            value = statement.value
            if isinstance(value, ast.Attribute) and isinstance(value.value, ast.Name) and value.value.id == this:
                aliases[statement.targets[0].id] = value.attr
                continue
            if isinstance(value, ast.Call):
                result = value  # ``ret = Node(...)``
                aliases[statement.targets[0].id] = ""
                continue
            return None
        if isinstance(statement, ast.Return) and statement is body[-1] and statement.value is not None:
            if isinstance(statement.value, ast.Call) and result is None:
                result = statement.value
            elif not (isinstance(statement.value, ast.Name) and aliases.get(statement.value.id) == "" and result is not None):
                return None
            continue
        return None
    if result is None or result.args:
        return None

    def helper(call: ast.expr) -> tuple[str, bool] | None:
        if not (isinstance(call, ast.Call) and isinstance(call.func, ast.Name) and call.func.id in _HELPERS):
            return None
        if len(call.args) != 4 or call.keywords:
            return None
        parent, name, value, passed = call.args
        if not (
            isinstance(parent, ast.Name) and parent.id == this and isinstance(passed, ast.Name) and passed.id == visitor
            and isinstance(name, ast.Constant) and isinstance(name.value, str)
        ):  # fmt: skip
            return None
        field_name = name.value
        reads = (
            value.attr if isinstance(value, ast.Attribute) and isinstance(value.value, ast.Name) and value.value.id == this
            else aliases.get(value.id) if isinstance(value, ast.Name) else None
        )  # fmt: skip
        return (field_name, call.func.id in _SEQUENCE_HELPERS) if reads == field_name else None

    order: list[tuple[str, bool]] = []
    for keyword in result.keywords:
        value = keyword.value
        calls = [n for n in ast.walk(value) if isinstance(n, ast.Call)]
        if not calls:
            continue  # a plain field (``value=self.value``): not visited
        found = helper(value)
        if found is not None:
            order.append((found[0], False))  # visited, with callbacks, whatever its value
            continue
        if isinstance(value, ast.IfExp):
            # ``names=(visit_required(...) if isinstance(names, ImportStar) else visit_sequence(...))``:
            # either way the field is visited with callbacks (a node, or each of a sequence);
            # ``visit_sequence(..., format_spec, ...) if format_spec is not None else None``:
            # nothing at all when None.
            then, other = helper(value.body), helper(value.orelse)
            if then is not None and other is not None and then[0] == other[0]:
                order.append((then[0], False))
                continue
            test = value.test
            if (
                then is not None and then[1] and isinstance(value.orelse, ast.Constant) and value.orelse.value is None
                and isinstance(test, ast.Compare) and len(test.ops) == 1 and isinstance(test.ops[0], ast.IsNot)
                and isinstance(test.left, ast.Name) and aliases.get(test.left.id) == then[0]
                and isinstance(test.comparators[0], ast.Constant) and test.comparators[0].value is None
            ):  # fmt: skip
                order.append((then[0], True))
                continue
        return None
    return tuple(order)


def children(node: cst.CSTNode) -> list[cst.CSTNode]:
    """``node.children`` (the same nodes, in the same order), without libcst rebuilding the
    node to list them."""
    order = _child_order(type(node))
    if order is None:
        return list(node.children)
    out: list[cst.CSTNode] = []
    for name, _ in order:
        value = getattr(node, name)
        if isinstance(value, cst.CSTNode):
            out.append(value)
        elif value is not None and not isinstance(value, cst.MaybeSentinel):
            out.extend(value)
    return out


_ATTRIBUTE_CALLBACKS: dict[type[cst.CSTVisitor], bool] = {}


def _has_attribute_callbacks(visitor_type: type[cst.CSTVisitor]) -> bool:
    """Whether a visitor class has a ``visit_<Node>_<field>``/``leave_<Node>_<field>`` method
    that is not one of libcst's no-op stubs (otherwise its attribute callbacks do nothing)."""
    found = _ATTRIBUTE_CALLBACKS.get(visitor_type)
    if found is None:
        found = _ATTRIBUTE_CALLBACKS[visitor_type] = any(
            name.startswith(("visit_", "leave_")) and name.count("_") >= 2
            and not getattr(getattr(visitor_type, name), "_is_no_op", False)
            for name in dir(visitor_type)
        )  # fmt: skip
    return found


class _Walking(cst.CSTVisitor):
    """A visitor that walks a node's children itself, in the order and with the attribute
    callbacks of libcst's ``_visit_and_replace_children``, and tells libcst not to: libcst
    would rebuild (and validate) a copy of every node it passes, which a visitor then drops.
    The visitor sees the same calls in the same order; libcst still calls ``on_leave``."""

    _attributes = True

    def on_visit(self, node: cst.CSTNode) -> bool:
        if not super().on_visit(node):
            return False
        order = _child_order(type(node))
        if order is None:
            return True  # libcst walks this one
        attributes = self._attributes
        for name, skipped_when_none in order:
            value = getattr(node, name)
            if value is None and skipped_when_none:
                continue
            if attributes:
                self.on_visit_attribute(node, name)
            if isinstance(value, cst.CSTNode):
                value.visit(self)
            elif value is not None and not isinstance(value, cst.MaybeSentinel):
                for child in value:
                    child.visit(self)
            if attributes:
                self.on_leave_attribute(node, name)
        return False


class _BatchedWalker(_Walking, _BatchedCSTVisitor):
    def __init__(
        self,
        visitor_methods: Mapping[str, list[Callable[[cst.CSTNode], None]]],
        *,
        before_visit: Callable[[cst.CSTNode], None] | None = None,
        after_leave: Callable[[cst.CSTNode], None] | None = None,
    ) -> None:
        super().__init__(visitor_methods, before_visit=before_visit, after_leave=after_leave)
        # Attribute callbacks call the visitors' ``visit_<Node>_<field>`` methods, if any.
        self._attributes = any(name.count("_") >= 2 for name in visitor_methods)


class _ContextWalker(_Walking, ExpressionContextVisitor):
    def __init__(self, provider: ExpressionContextProvider, context: ExpressionContext) -> None:
        super().__init__(provider, context)
        self._attributes = _has_attribute_callbacks(type(self))


class _ScopeWalker(_Walking, ScopeVisitor):
    def __init__(self, provider: ScopeProvider) -> None:
        super().__init__(provider)
        self._attributes = _has_attribute_callbacks(type(self))


_DIRECT: tuple[ProviderT, ...] = (ExpressionContextProvider, ScopeProvider, ParentNodeProvider, QualifiedNameProvider)
"""In the order of their dependencies (qualified names need scopes and the parents' set of nodes)."""


def _with_dependencies(providers: Iterable[ProviderT]) -> set[ProviderT]:
    found: set[ProviderT] = set()
    pending = list(providers)
    while pending:
        provider = pending.pop()
        if provider not in found:
            found.add(provider)
            pending.extend(provider.METADATA_DEPENDENCIES)
    return found


@functools.cache
def field_names(node_type: type[cst.CSTNode]) -> tuple[str, ...]:
    """The dataclass fields of a libcst node class, in order (read once per class)."""
    return tuple(f.name for f in dataclasses.fields(node_type))


def _parents(module: cst.Module) -> dict[cst.CSTNode, cst.CSTNode] | None:
    """Every node's parent, as libcst's ParentNodeProvider gives it: the nodes among each node's
    fields (directly or in a tuple or list) are its children. None if a node occurs twice in the
    tree (the provider's answer would then depend on the order of its traversal)."""
    parents: dict[cst.CSTNode, cst.CSTNode] = {}
    stack: list[cst.CSTNode] = [module]
    while stack:
        node = stack.pop()
        for name in field_names(type(node)):
            value = getattr(node, name)
            if isinstance(value, cst.CSTNode):
                if value in parents:
                    return None
                parents[value] = node
                stack.append(value)
            elif isinstance(value, tuple | list):
                for item in value:
                    if isinstance(item, cst.CSTNode):
                        if item in parents:
                            return None
                        parents[item] = node
                        stack.append(item)
    return parents


class _QualifiedNames(Mapping[cst.CSTNode, object]):
    """QualifiedNameProvider's metadata, made for a node when asked for: for a node of the tree
    with a scope, a LazyValue of ``scope.get_qualified_names_for(node)``; otherwise an empty set
    (libcst's provider makes these for every node of the tree)."""

    def __init__(self, module: cst.Module, parents: Mapping[cst.CSTNode, object], scopes: Mapping[cst.CSTNode, object]) -> None:
        self._module = module
        self._parents = parents
        self._scopes = scopes
        self._made: dict[cst.CSTNode, object] = {}

    def __getitem__(self, node: cst.CSTNode) -> object:
        made = self._made.get(node)
        if made is None:
            if node is not self._module and node not in self._parents:
                raise KeyError(node)
            scope = self._scopes.get(node, None)
            made = self._made[node] = (
                LazyValue(functools.partial(scope.get_qualified_names_for, node)) if scope else set()  # type: ignore[attr-defined]
            )
        return made

    def __iter__(self) -> Iterator[cst.CSTNode]:
        yield self._module
        yield from self._parents

    def __len__(self) -> int:
        return 1 + len(self._parents)


def is_rule(obj: object) -> bool:
    return inspect.isclass(obj) and issubclass(obj, Rule) and obj is not Rule and bool(obj.ID)


@dataclass(frozen=True)
class Dropped:
    """A rule found but not used, and why (for ``guard rules --all``)."""

    rule: str
    reason: str


def discover(disabled: Iterable[str] = ()) -> tuple[list[type[Rule]], list[Dropped]]:
    """Rules from the ``guard.rules`` package and the ``guard.rules`` entry point group."""
    modules = []
    dropped: list[Dropped] = []
    package = importlib.import_module("guard.rules")  # lives in rules/: mapped by setuptools

    for info in sorted(pkgutil.iter_modules(package.__path__), key=lambda i: i.name):
        if not info.name.startswith("_"):
            try:
                modules.append(importlib.import_module(f"{package.__name__}.{info.name}"))
            except Exception as exc:  # one broken rule module must not take the others down
                dropped.append(Dropped(info.name, f"failed to import: {type(exc).__name__}: {exc}"))
    for ep in entry_points(group="guard.rules"):
        try:
            modules.append(ep.load())
        except Exception as exc:  # a broken third-party pack must not break guard
            dropped.append(Dropped(ep.name, f"entry point failed to load: {exc}"))
    found: dict[str, type[Rule]] = {}
    for mod in modules:
        candidates: list[type[Rule]] = (
            [cast("type[Rule]", mod)] if is_rule(mod) else [v for _, v in inspect.getmembers(mod, is_rule)]
        )
        for rule in candidates:
            if rule.ID in found and found[rule.ID] is not rule:
                dropped.append(Dropped(rule.ID, f"duplicate id, also defined by {found[rule.ID].__module__}"))
                continue
            found[rule.ID] = rule
    off = set(disabled)
    active = []
    for rule_id in sorted(found):
        if rule_id in off:
            dropped.append(Dropped(rule_id, "disabled by configuration"))
        else:
            active.append(found[rule_id])
    return active, dropped


def run_rules(
    rules: Sequence[type[Rule]], project: Project, budget_s: float | None = None
) -> tuple[list[Finding], list[str]]:
    """Run every rule over every touched file that parses, in one traversal per file.

    Returns the findings and one message per rule that crashed. A crash costs only the rule that
    crashed: the file is then visited once per rule to tell the culprit from the others. Files
    not reached within ``budget_s`` are named in an error instead of being checked.
    """
    findings: list[Finding] = []
    errors: list[str] = []
    deadline = time.monotonic() + budget_s if budget_s is not None else None
    pending = [c for c in project.files.values() if c.after is not None and c.after.wrapper is not None]
    # Smallest first: within the budget, the most files get checked; a generated table of
    # thousands of lines (wcwidth's) waits for the end instead of starving the code around it.
    pending.sort(key=lambda c: (len(c.after.text) if c.after is not None else 0, c.path))
    for index, changes in enumerate(pending):
        if deadline is not None and time.monotonic() > deadline:
            left = ", ".join(c.path for c in pending[index:])
            errors.append(f"rules ran out of their budget of {budget_s:g} s; not checked: {left}")
            break
        assert changes.after is not None and changes.after.wrapper is not None
        wrapper = changes.after.wrapper
        visitors = [rule(RuleContext(changes, project)) for rule in rules]
        try:
            wrapper.visit_batched(visitors)
            for visitor in visitors:
                visitor.finish()
                findings.extend(visitor.findings)
            continue
        except Exception:
            pass
        for rule in rules:
            visitor = rule(RuleContext(changes, project))
            try:
                wrapper.visit_batched([visitor])
                visitor.finish()
            except Exception as exc:
                errors.append(f"rule {rule.ID} crashed on {changes.path}: {type(exc).__name__}: {exc}")
                continue
            findings.extend(visitor.findings)
    return sorted(set(findings)), errors


def example_diff(example: Example) -> str:
    """The example as a unified diff (a new file when ``before`` is None)."""
    import difflib

    before = example.before
    old = before.splitlines(keepends=True) if before is not None else []
    new = example.after.splitlines(keepends=True)
    header = "" if before is not None else f"diff --git a/{example.path} b/{example.path}\nnew file mode 100644\n"
    body = "".join(
        line if line.endswith("\n") else line + "\n\\ No newline at end of file\n"
        for line in difflib.unified_diff(
            old,
            new,
            f"a/{example.path}" if before is not None else "/dev/null",
            f"b/{example.path}",
        )
    )
    return header + body


def check_example(rule: type[Rule], example: Example, workdir: Path) -> list[Finding]:
    """Run one rule on one example in a throwaway repo under ``workdir``; its findings."""
    from guard.changes import analyse_file
    from guard.diff import parse_patch
    from guard.workspace import build_workspace

    for rel, text in example.files:
        (workdir / rel).parent.mkdir(parents=True, exist_ok=True)
        (workdir / rel).write_text(text, encoding="utf-8")
    if example.before is not None:
        (workdir / example.path).parent.mkdir(parents=True, exist_ok=True)
        (workdir / example.path).write_text(example.before, encoding="utf-8")
    with build_workspace(workdir, parse_patch(example_diff(example))) as ws:
        project = Project(workdir, (3, 10), {f.path: analyse_file(f) for f in ws.files})
        findings, errors = run_rules([rule], project)
        if errors:
            raise RuntimeError("; ".join(errors))
        return findings
