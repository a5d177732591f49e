"""Map a patch's changed lines to what they change: definitions, imports and calls (libcst)."""

from __future__ import annotations

import ast
import bisect
import functools
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

from guard.findings import Confidence, Finding, Severity
from guard.workspace import TouchedFile

if TYPE_CHECKING:  # libcst loads on first use (see ParsedSource)
    import libcst as cst
    from libcst.metadata import MetadataWrapper


@dataclass(frozen=True)
class Definition:
    qualname: str
    kind: Literal["function", "class"]
    line: int
    """Line of the ``def``/``class`` keyword."""
    start: int
    """First line, decorators included."""
    end: int
    in_class: bool = False


@dataclass(frozen=True)
class ImportedName:
    module: str
    """Absolute or relative (leading dots) module, e.g. ``os.path`` or ``.utils``."""
    name: str | None
    """For ``from m import n``: ``n``; for ``import m``: None."""
    line: int
    column: int


PRUNE = True
"""Whether the rules' tree of a patched file leaves out the function bodies they need not see
(off only to compare findings with and without it)."""


@dataclass
class ParsedSource:
    """One version of one file, parsed once and shared by every stage.

    The ``ast`` tree (syntax check, definitions, imports) is built at once; the libcst tree and its
    metadata wrapper, which only guard's rules need and which cost ten times more, are built on
    first use, so the analyzers that need neither can start before them.
    """

    text: str
    definitions: list[Definition]
    syntax_error: tuple[int, int, str] | None = None
    tree: ast.Module | None = None
    """The ``ast`` tree from the syntax check (None when the text does not parse)."""
    prune: tuple[frozenset[int], frozenset[str]] | None = None
    """For the patched version: its changed lines and the names of the functions the patch
    changed or removed. The libcst tree then leaves out what the rules need not see (see
    :mod:`guard.prune`); ``text`` stays whole."""

    @functools.cached_property
    def _cst(self) -> tuple[cst.Module | None, MetadataWrapper | None]:
        import libcst as cst

        from guard.rulekit import RulesWrapper  # imports libcst: loaded here, on first use

        if self.tree is None:
            return None, None
        texts = [self.text]
        if self.pruned != self.text:
            texts.insert(0, self.pruned)
        for text in texts:
            try:
                module = cst.parse_module(text)
            except cst.ParserSyntaxError:
                continue
            return module, RulesWrapper(module, unsafe_skip_copy=True)
        # Valid for CPython but beyond libcst's grammar: analysable by the tools, not by rules.
        return None, None

    @functools.cached_property
    def pruned(self) -> str:
        """The text with the function bodies nobody needs to see left out (see :mod:`guard.prune`):
        every kept line keeps its number and columns. The whole text when nothing is pruned
        (an original version, a file that does not parse, or :data:`PRUNE` off)."""
        if self.prune is None or self.tree is None or not PRUNE:
            return self.text
        from guard.prune import pruned_text

        pruned = pruned_text(self.text, self.tree, *self.prune)
        try:  # a tool would skip a file that does not parse, and its findings with it
            ast.parse(pruned)
        except (SyntaxError, ValueError):
            return self.text
        return pruned

    @property
    def module(self) -> cst.Module | None:
        return self._cst[0]

    @property
    def wrapper(self) -> MetadataWrapper | None:
        return self._cst[1]

    def enclosing(self, line: int) -> str:
        """Qualified name of the innermost definition containing ``line`` ('' at module level)."""
        best = ""
        best_span = None
        for d in self.definitions:
            if d.start <= line <= d.end:
                span = d.end - d.start
                if best_span is None or span <= best_span:
                    best, best_span = d.qualname, span
        return best


@dataclass
class FileChanges:
    file: TouchedFile
    before: ParsedSource | None
    after: ParsedSource | None
    changed_lines: frozenset[int]
    changed_definitions: list[Definition] = field(default_factory=list)
    removed_definitions: list[Definition] = field(default_factory=list)
    added_imports: list[ImportedName] = field(default_factory=list)

    @property
    def path(self) -> str:
        return self.file.path

    def syntax_finding(self) -> Finding | None:
        """A finding when the patch broke a file that parsed before it."""
        if self.after is None or self.after.syntax_error is None:
            return None
        if self.before is not None and self.before.syntax_error is not None:
            return None
        line, column, message = self.after.syntax_error
        return Finding(
            path=self.path,
            line=line,
            column=column,
            rule="syntax-error",
            analyzer="guard",
            message=f"the patched file does not parse: {message}",
            severity=Severity.ERROR,
            confidence=Confidence.HIGH,
        )


@functools.lru_cache(maxsize=32)
def parse_tree(text: str) -> ast.Module:
    """``ast.parse(text)``, shared: the patched text of a touched file is read by the stages
    (definitions, imports, pruning), by the summary of its module and by the index of call
    sites; its tree is built once. The tree is shared: nobody may change it. Errors are raised
    as by ``ast.parse`` (and not kept)."""
    return ast.parse(text)


def parse_source(text: str) -> ParsedSource:
    try:
        tree = parse_tree(text)
    except SyntaxError as exc:
        return ParsedSource(text, [], (exc.lineno or 1, (exc.offset or 1), exc.msg or "syntax error"))
    except ValueError as exc:  # e.g. NUL bytes
        return ParsedSource(text, [], (1, 1, str(exc)))
    return ParsedSource(text, _ast_definitions(tree), tree=tree)


def _ast_definitions(tree: ast.Module) -> list[Definition]:
    out: list[Definition] = []

    def walk(node: ast.AST, prefix: str, in_class: bool) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                kind: Literal["function", "class"] = (
                    "class" if isinstance(child, ast.ClassDef) else "function"
                )
                start = min([d.lineno for d in child.decorator_list] + [child.lineno])
                qual = prefix + child.name
                out.append(Definition(qual, kind, child.lineno, start, child.end_lineno or start, in_class))
                walk(child, qual + ("." if kind == "class" else ".<locals>."), kind == "class")
            else:
                walk(child, prefix, in_class)

    walk(tree, "", False)
    return out


def _imports(parsed: ParsedSource, lines: frozenset[int]) -> list[ImportedName]:
    if parsed.tree is None:
        return []
    found: list[ImportedName] = []
    for node in ast.walk(parsed.tree):
        if getattr(node, "lineno", None) not in lines:
            continue
        if isinstance(node, ast.Import):
            found.extend(ImportedName(a.name, None, node.lineno, node.col_offset + 1) for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = "." * node.level + (node.module or "")
            found.extend(
                ImportedName(base, a.name, node.lineno, node.col_offset + 1) for a in node.names
            )
    return found


def innermost_changed(definitions: list[Definition], lines: frozenset[int]) -> list[Definition]:
    """The innermost definition around each changed line, in file order, without repeats."""
    chosen: dict[str, Definition] = {}
    ordered = sorted(definitions, key=lambda d: d.start)
    starts = [d.start for d in ordered]
    for line in sorted(lines):
        upto = bisect.bisect_right(starts, line)
        inner = None
        for d in ordered[:upto]:
            if d.start <= line <= d.end and (inner is None or d.end - d.start <= inner.end - inner.start):
                inner = d
        if inner is not None:
            chosen.setdefault(inner.qualname, inner)
    return sorted(chosen.values(), key=lambda d: d.start)


ORIGINALS_CHARS = 1_000_000
"""How much original text :func:`parse_original` keeps parsed (its trees with their metadata take
about 200 bytes per character: some 200 MB at most)."""
_originals: OrderedDict[str, ParsedSource] = OrderedDict()
_originals_lock = threading.Lock()


def parse_original(text: str) -> ParsedSource:
    """:func:`parse_source` of a file's original version, shared by every check that meets the
    same text: a session's patches edit the same repository, so the original of a file they
    touch again is the text an earlier check parsed, and its libcst tree and metadata (built for
    the rules on first use, several times the cost of the ``ast`` parse) are reused. The least
    recently used go first once :data:`ORIGINALS_CHARS` is exceeded. Nobody changes an
    original's ParsedSource (only a patched version gets ``prune``)."""
    with _originals_lock:
        found = _originals.get(text)
        if found is not None:
            _originals.move_to_end(text)
            return found
    parsed = parse_source(text)
    if len(text) <= ORIGINALS_CHARS // 4:
        with _originals_lock:
            _originals[text] = parsed
            total = sum(len(t) for t in _originals)
            while total > ORIGINALS_CHARS:
                oldest, _ = _originals.popitem(last=False)
                total -= len(oldest)
    return parsed


def analyse_file(touched: TouchedFile) -> FileChanges:
    before = parse_original(touched.before) if touched.before is not None else None
    after = parse_source(touched.after) if touched.after is not None else None
    changed = touched.changed_lines() if after is not None else frozenset()
    result = FileChanges(touched, before, after, changed)
    if after is not None:
        result.changed_definitions = innermost_changed(after.definitions, changed)
        result.added_imports = _imports(after, frozenset(touched.patch.added_lines()))
    if before is not None:
        kept = {d.qualname for d in after.definitions} if after is not None else set()
        result.removed_definitions = [d for d in before.definitions if d.qualname not in kept]
    if after is not None and after.tree is not None:
        edited = [*result.changed_definitions, *result.removed_definitions]
        after.prune = (changed, frozenset(d.qualname.rsplit(".", 1)[-1] for d in edited))
    return result
