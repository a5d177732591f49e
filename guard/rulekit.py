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

import dataclasses
import functools
import importlib
import inspect
import pkgutil
import time
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from pathlib import Path
from types import MappingProxyType
from typing import Any, ClassVar, TypeVar, cast

import libcst as cst
from libcst._metadata_dependent import LazyValue
from libcst.metadata import (
    ExpressionContextProvider,
    MetadataWrapper,
    ParentNodeProvider,
    PositionProvider,
    ProviderT,
    QualifiedNameProvider,
    ScopeProvider,
)

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
    """libcst's metadata wrapper, with the same metadata for less of the rules' time.

    libcst resolves each batchable provider (expression contexts, scopes, parents, qualified
    names) in a traversal of the whole tree in which only the ``Module`` node does anything (the
    provider runs its own visitor from there); here each such provider is run on the module
    directly. Parents come from one walk over the nodes' fields instead of a visitor that asks
    every node for its children, and qualified names are looked up for the nodes asked for
    instead of a ``LazyValue`` being made for every node of the tree.
    """

    def resolve_many(self, providers: Collection[ProviderT]) -> Mapping[ProviderT, Mapping[cst.CSTNode, object]]:
        wanted = _with_dependencies(providers)
        if QualifiedNameProvider in wanted:
            wanted.add(ParentNodeProvider)  # its set of nodes is the tree's
        for provider in _DIRECT:
            if provider in wanted and provider not in self._metadata:
                self._metadata[provider] = self._direct(provider)
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
            instance.visit_Module(self.module)
        return MappingProxyType(dict(instance._computed))


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


_FIELDS: dict[type[cst.CSTNode], tuple[str, ...]] = {}


def _parents(module: cst.Module) -> dict[cst.CSTNode, cst.CSTNode] | None:
    """Every node's parent, as libcst's ParentNodeProvider gives it: the nodes among each node's
    fields (directly or in a tuple or list) are its children. None if a node occurs twice in the
    tree (the provider's answer would then depend on the order of its traversal)."""
    parents: dict[cst.CSTNode, cst.CSTNode] = {}
    stack: list[cst.CSTNode] = [module]
    while stack:
        node = stack.pop()
        names = _FIELDS.get(type(node))
        if names is None:
            names = _FIELDS[type(node)] = tuple(f.name for f in dataclasses.fields(node))
        for name in names:
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
