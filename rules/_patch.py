"""Helpers for the rules that read a patch as a patch: the same definition before and after,
where a removed line lands in the patched file, and small predicates on libcst nodes."""

from __future__ import annotations

import ast
from collections.abc import Iterator

import libcst as cst
from libcst.metadata import PositionProvider

from guard.changes import ParsedSource
from guard.diff import FilePatch
from guard.rulekit import Rule, children

_EMPTY = cst.Module(body=[])


def code(node: cst.CSTNode) -> str:
    """The node's source, whitespace-normalised so that moved or re-indented code compares equal."""
    return " ".join(_EMPTY.code_for_node(node).split())


def span(rule: Rule, node: cst.CSTNode) -> range:
    pos = rule.get_metadata(PositionProvider, node)
    return range(pos.start.line, pos.end.line + 1)


def touches(rule: Rule, node: cst.CSTNode) -> bool:
    """Whether the patch changed any line of ``node``."""
    return any(line in rule.context.changed_lines for line in span(rule, node))


def qualname(rule: Rule, node: cst.FunctionDef | cst.ClassDef) -> str:
    """The qualified name (as in :mod:`guard.changes`) of a definition of the patched tree."""
    after = rule.context.after
    line = rule.get_metadata(PositionProvider, node.name).start.line  # the def/class keyword's
    if after is not None:
        for d in after.definitions:
            if d.line == line and d.qualname.rsplit(".", 1)[-1] == node.name.value:
                return d.qualname
    return node.name.value


Definition = cst.FunctionDef | cst.ClassDef


_NESTING = (cst.BaseSuite, cst.BaseCompoundStatement, cst.Else, cst.ExceptHandler, cst.Finally)


def _collect(node: cst.CSTNode, prefix: str, found: dict[str, Definition]) -> None:
    """Definitions by qualified name, descending through statements only (not expressions)."""
    for child in children(node):
        if isinstance(child, cst.FunctionDef | cst.ClassDef):
            name = prefix + child.name.value
            found.setdefault(name, child)
            inner = f"{name}." if isinstance(child, cst.ClassDef) else f"{name}.<locals>."
            _collect(child.body, inner, found)
        elif isinstance(child, _NESTING):
            _collect(child, prefix, found)


def definitions(rule: Rule, state: str) -> dict[str, Definition]:
    """Every function and class of the file's ``before`` or ``after`` version, by qualified name."""
    source: ParsedSource | None = getattr(rule.context, state)
    if source is None or source.module is None:
        return {}
    module = source.module

    def build() -> dict[str, Definition]:
        found: dict[str, Definition] = {}
        _collect(module, "", found)
        return found

    return rule.context.project.memo(f"definitions:{state}:{rule.context.path}:{id(module)}", build)


def before_function(rule: Rule, node: cst.FunctionDef) -> cst.FunctionDef | None:
    """The same function (by qualified name) in the original file, if it existed."""
    old = definitions(rule, "before").get(qualname(rule, node))
    return old if isinstance(old, cst.FunctionDef) else None


def before_class(rule: Rule, node: cst.ClassDef) -> cst.ClassDef | None:
    old = definitions(rule, "before").get(qualname(rule, node))
    return old if isinstance(old, cst.ClassDef) else None


def new_line(patch: FilePatch, old_line: int) -> int:
    """Where a line of the original file lands in the patched file (a removed line: the next one)."""
    delta = 0
    for hunk in patch.hunks:
        if old_line < hunk.old_start:
            break
        old, new = hunk.old_start, hunk.new_start
        for text in hunk.lines:
            if text[0] in " -" and old == old_line:
                return max(new, 1)
            if text[0] in " -":
                old += 1
            if text[0] in " +":
                new += 1
        delta = new - old
    return max(old_line + delta, 1)


def statements(body: cst.BaseSuite) -> list[cst.BaseSmallStatement | cst.BaseCompoundStatement]:
    """The statements of a suite, with the small statements of each simple line unpacked."""
    out: list[cst.BaseSmallStatement | cst.BaseCompoundStatement] = []
    lines = body.body if isinstance(body, cst.IndentedBlock) else [body]
    for line in lines:
        if isinstance(line, cst.SimpleStatementLine | cst.SimpleStatementSuite):
            out.extend(line.body)
        elif isinstance(line, cst.BaseCompoundStatement):
            out.append(line)
    return out


def dotted(node: cst.BaseExpression) -> str:
    """``a.b.c`` for a name or attribute chain (the callee for a call), '' for anything else."""
    if isinstance(node, cst.Call):
        return dotted(node.func)
    if isinstance(node, cst.Name):
        return node.value
    if isinstance(node, cst.Attribute):
        base = dotted(node.value)
        return f"{base}.{node.attr.value}" if base else ""
    return ""


def literal(node: cst.BaseExpression) -> tuple[bool, object]:
    """(True, value) when the expression is a literal (numbers, strings, constants, containers
    of literals, unary minus); (False, None) otherwise."""
    if isinstance(node, cst.FormattedString):
        return False, None
    try:
        return True, ast.literal_eval(_EMPTY.code_for_node(node).strip())
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return False, None


def walk(node: cst.CSTNode) -> Iterator[cst.CSTNode]:
    """Every node under ``node`` (itself included), depth first, in source order."""
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        stack.extend(reversed(children(current)))


# --- ``ast`` views of the two versions, for rules that compare a function before and after -------

AstFunction = ast.FunctionDef | ast.AsyncFunctionDef


def ast_imports(tree: ast.Module) -> dict[str, str]:
    """What each name the module imports stands for: ``{"r": "random", "urandom": "os.urandom"}``
    for ``import random as r`` and ``from os import urandom``, wherever the import statement is."""
    out: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.asname:
                    out[alias.asname] = alias.name
                else:
                    head = alias.name.split(".", 1)[0]
                    out[head] = head
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            for alias in node.names:
                out[alias.asname or alias.name] = f"{node.module}.{alias.name}"
    return out


def ast_qualified(node: ast.expr, imports: dict[str, str]) -> str:
    """The dotted name of a name or attribute chain with its head resolved through the module's
    imports (``os.path.basename`` for ``path.basename`` after ``from os import path``); '' when
    the head is not imported (a local, a parameter, a call's result)."""
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name) or node.id not in imports:
        return ""
    return ".".join([imports[node.id], *reversed(parts)])


def ast_functions(tree: ast.Module) -> dict[str, AstFunction]:
    """Every function of the module by qualified name (``Class.method``, ``outer.<locals>.inner``)."""
    out: dict[str, AstFunction] = {}

    def collect(body: list[ast.stmt], prefix: str) -> None:
        for node in body:
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                out.setdefault(prefix + node.name, node)
                collect(node.body, f"{prefix}{node.name}.<locals>.")
            elif isinstance(node, ast.ClassDef):
                collect(node.body, f"{prefix}{node.name}.")
            else:  # if/for/while/with/try/match: their blocks, handlers' and cases' too
                inner = [c for c in ast.iter_child_nodes(node) if isinstance(c, ast.stmt)]
                for c in ast.iter_child_nodes(node):
                    if isinstance(c, ast.ExceptHandler | ast.match_case):
                        inner.extend(c.body)
                collect(inner, prefix)

    collect(tree.body, "")
    return out


def ast_changed_functions(rule: Rule) -> list[tuple[AstFunction, AstFunction | None]]:
    """Each function of the patched file whose lines (signature included) the patch changed,
    with the same function of the original file (None if it is new)."""
    after, before = rule.context.after, rule.context.before
    if after is None or after.tree is None:
        return []
    old = ast_functions(before.tree) if before is not None and before.tree is not None else {}
    changed = rule.context.changed_lines
    out = []
    for name, fn in ast_functions(after.tree).items():
        start = min([fn.lineno, *(d.lineno for d in fn.decorator_list)])
        if any(line in changed for line in range(start, (fn.end_lineno or fn.lineno) + 1)):
            out.append((fn, old.get(name)))
    return out


def ast_rewritten_functions(
    rule: Rule,
) -> Iterator[tuple[AstFunction, AstFunction, dict[str, str], dict[str, str]]]:
    """Each function of a non-test file that the patch changed and the original had too: the new
    and the old function, with what the patched and the original module's imports stand for
    (:func:`ast_imports`). Nothing when either version does not parse."""
    before, after = rule.context.before, rule.context.after
    if rule.context.is_test_file or before is None or before.tree is None or after is None or after.tree is None:
        return
    new_imports, old_imports = ast_imports(after.tree), ast_imports(before.tree)
    for fn, old in ast_changed_functions(rule):
        if old is not None:
            yield fn, old, new_imports, old_imports


def ast_own(fn: AstFunction) -> Iterator[ast.AST]:
    """The nodes of a function (its signature's defaults included), not those of the functions,
    classes and lambdas nested in it."""
    stack: list[ast.AST] = [*fn.args.defaults, *(d for d in fn.args.kw_defaults if d is not None), *fn.body]
    while stack:
        current = stack.pop()
        yield current
        stack.extend(
            c for c in ast.iter_child_nodes(current) if not isinstance(c, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef | ast.Lambda)
        )
