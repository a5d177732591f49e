"""Operators that inject edit-shaped hallucinations into real release diffs (see injections.py).

Six classes of DESIGN.md's table, each the way a fast coding model gets a change wrong while it
writes it: ``elided-code`` (a body the release touched, rewritten with an elision marker in place of
unchanged statements), ``swallowed-error`` (changed calls wrapped in ``try``/``except`` that drops
the error), ``weakened-tests`` (a changed test skipped, loosened or stripped of an assert),
``silent-behaviour-change`` (a flipped comparison, a dropped ``not``, an off-by-one, ...),
``signature-drift`` (a changed function's parameters changed while its callers in the tree are not)
and ``security-slip`` (``shell=True``, ``yaml.load``, ``verify=False``, a weak hash, ``eval``, a
hard-coded secret, ...).

Every site is found with ``ast`` on the lines the release changed, and every edit is made on the
file's text (so formatting and comments stay as the maintainers wrote them); an operator returns
None when the target has no fitting site, and every rewritten file parses. All choices come from
the ``random.Random`` the operator is given.

    cd benchmarks && ../.venv/bin/python inject_edits.py [--seeds 3] [--show 3] [--only six,tomli]
"""

from __future__ import annotations

import argparse
import ast
import builtins
import difflib
import random
import re
import string
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import PurePosixPath

from injections import Injection, Target, operator

Def = ast.FunctionDef | ast.AsyncFunctionDef
Edit = tuple[int, int, str]  # (start offset, end offset, replacement) in a file's text
# A site: when tried, the rewritten text, the hallucination's line in it, and a description.
Attempt = Callable[[], tuple[str, int, str] | None]

_DEFS = (ast.FunctionDef, ast.AsyncFunctionDef)
_TRY = (ast.Try, getattr(ast, "TryStar", ast.Try))
_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
_BUILTINS = set(dir(builtins))
_NOT_CODE_DIRS = {"docs", "doc"}
_NOT_CODE_FILES = {"setup.py", "noxfile.py", "conftest.py", "conf.py", "fabfile.py"}


# --------------------------------------------------------------------------------------------
# Source access


@dataclass
class Source:
    """One changed ``.py`` file of the new tree, parsed, with offset arithmetic for ``ast`` nodes."""

    rel: str
    text: str
    tree: ast.Module
    changed: frozenset[int]
    lines: list[str] = field(init=False)
    starts: list[int] = field(init=False)

    def __post_init__(self) -> None:
        self.lines = self.text.splitlines(keepends=True)
        self.starts = []
        pos = 0
        for line in self.lines:
            self.starts.append(pos)
            pos += len(line)
        self.starts.append(pos)

    def off(self, lineno: int, col: int) -> int:
        """The text offset of an ``ast`` (line, UTF-8 byte column) position."""
        line = self.lines[lineno - 1] if lineno <= len(self.lines) else ""
        if not line.isascii():
            col = len(line.encode("utf-8")[:col].decode("utf-8", errors="replace"))
        return self.starts[lineno - 1] + col

    def start(self, node: ast.AST) -> int:
        return self.off(node.lineno, node.col_offset)  # type: ignore[attr-defined]

    def end(self, node: ast.AST) -> int:
        return self.off(node.end_lineno, node.end_col_offset)  # type: ignore[attr-defined]

    def seg(self, node: ast.AST) -> str:
        return self.text[self.start(node) : self.end(node)]

    def touches(self, node: ast.AST, slack: int = 0) -> bool:
        first = _first_line(node) - slack
        last = (getattr(node, "end_lineno", None) or node.lineno) + slack  # type: ignore[attr-defined]
        return any(line in self.changed for line in range(first, last + 1))

    def indent(self, lineno: int) -> str:
        line = self.lines[lineno - 1]
        return line[: len(line) - len(line.lstrip())]

    def own_lines(self, first: ast.stmt, last: ast.stmt) -> bool:
        """Whether statements ``first``..``last`` alone fill their lines (no ``;`` neighbours)."""
        before = self.text[self.starts[_first_line(first) - 1] : self.off(_first_line(first), _first_col(first))]
        end_line = last.end_lineno or last.lineno
        after = self.text[self.end(last) : self.starts[end_line]]
        return not before.strip() and (not after.strip() or after.strip().startswith("#"))

    def edit(self, edits: Iterable[Edit]) -> str:
        text = self.text
        for start, end, new in sorted(edits, key=lambda e: (e[0], e[1]), reverse=True):
            text = text[:start] + new + text[end:]
        return text

    def replace_lines(self, first: int, last: int, new: Sequence[str]) -> str:
        """The text with lines ``first``..``last`` (1-based, inclusive) replaced by ``new``."""
        return "".join(self.lines[: first - 1]) + "".join(line + "\n" for line in new) + "".join(self.lines[last:])


_PARSED: dict[str, ast.Module | None] = {}
_SOURCES: dict[str, Source | None] = {}
_FROM_IMPORTS: dict[int, dict[str, str]] = {}  # by id() of a tree held in _PARSED
_IMPORTS: dict[int, set[str]] = {}


def _parse(text: str) -> ast.Module | None:
    try:
        return ast.parse(text)
    except (SyntaxError, ValueError, RecursionError):
        return None


def _parsed(target: Target, rel: str, text: str) -> ast.Module | None:
    key = str(target.new / rel)
    if key not in _PARSED:
        _PARSED[key] = _parse(text)
    return _PARSED[key]


def is_test_file(rel: str) -> bool:
    path = PurePosixPath(rel)
    return (
        path.name.startswith("test_")
        or path.name.endswith("_test.py")
        or path.name == "conftest.py"
        or path.stem in ("test", "tests")
        or any(part in ("tests", "test", "testing") for part in path.parts[:-1])
    )


def _is_code_file(rel: str) -> bool:
    path = PurePosixPath(rel)
    return not is_test_file(rel) and path.name not in _NOT_CODE_FILES and not _NOT_CODE_DIRS & set(path.parts)


def sources(target: Target, kind: str) -> Iterator[Source]:
    """The changed, parseable ``.py`` files of ``target``: ``kind`` is "code", "test" or "any"."""
    for rel, lines in target.changed.items():
        if not rel.endswith(".py"):
            continue
        if (kind == "code" and not _is_code_file(rel)) or (kind == "test" and not is_test_file(rel)):
            continue
        key = str(target.new / rel)
        if key not in _SOURCES:
            text = target.text(rel)
            tree = _parsed(target, rel, text)
            _SOURCES[key] = Source(rel, text, tree, lines) if tree is not None else None
        src = _SOURCES[key]
        if src is not None:
            yield src


# --------------------------------------------------------------------------------------------
# ast helpers


def _first_line(node: ast.AST) -> int:
    decorators = getattr(node, "decorator_list", None) or []
    line: int = node.lineno  # type: ignore[attr-defined]
    return min([int(d.lineno) for d in decorators] + [line])


def _first_col(node: ast.AST) -> int:
    decorators = getattr(node, "decorator_list", None) or []
    col: int = decorators[0].col_offset - 1 if decorators else node.col_offset  # type: ignore[attr-defined]
    return col


def walk_scoped(tree: ast.AST) -> Iterator[tuple[ast.AST, tuple[ast.AST, ...]]]:
    """Every node with the enclosing functions and classes (outermost first), in source order."""
    stack: list[tuple[ast.AST, tuple[ast.AST, ...]]] = [(tree, ())]
    while stack:
        node, scopes = stack.pop()
        yield node, scopes
        if isinstance(node, ast.JoinedStr):  # its parts have no reliable positions before Python 3.12
            continue
        inner = (*scopes, node) if isinstance(node, _SCOPES) else scopes
        stack.extend((child, inner) for child in reversed(list(ast.iter_child_nodes(node))))


def qualname(scopes: Sequence[ast.AST], node: ast.AST | None = None) -> str:
    parts = [s.name for s in (*scopes, *([node] if node else [])) if isinstance(s, _SCOPES)]
    return ".".join(parts) or "<module>"


def defs(tree: ast.AST) -> Iterator[tuple[Def, tuple[ast.AST, ...]]]:
    for node, scopes in walk_scoped(tree):
        if isinstance(node, _DEFS):
            yield node, scopes


def blocks(node: ast.AST) -> Iterator[list[ast.stmt]]:
    """The statement lists inside ``node`` (its body first), not entering nested functions/classes."""
    for name in ("body", "orelse", "finalbody"):
        block = getattr(node, name, None)
        if isinstance(block, list) and block and isinstance(block[0], ast.stmt):
            yield block
            for stmt in block:
                if not isinstance(stmt, _SCOPES):
                    yield from blocks(stmt)
    for handler in getattr(node, "handlers", None) or []:
        yield from blocks(handler)
    for case in getattr(node, "cases", None) or []:
        yield from blocks(case)


def own_nodes(fn: ast.AST) -> Iterator[ast.AST]:
    """The nodes of a function's body, not entering nested functions, classes and lambdas."""
    stack = list(ast.iter_child_nodes(fn))
    while stack:
        node = stack.pop(0)
        yield node
        if not isinstance(node, (*_SCOPES, ast.Lambda, ast.JoinedStr)):  # f-string parts: no reliable positions
            stack[:0] = list(ast.iter_child_nodes(node))


def is_docstring(stmt: ast.stmt) -> bool:
    return isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant) and isinstance(stmt.value.value, str)


def dotted(node: ast.AST) -> str:
    """``a.b.c`` for a chain of attributes on a name, else ""."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        base = dotted(node.value)
        return f"{base}.{node.attr}" if base else ""
    return ""


def call_name(call: ast.Call) -> str:
    """The last name of the callee (``f`` for ``f(...)``, ``m`` for ``x.y.m(...)``)."""
    func = call.func
    return func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""


def has_multiline_string(node: ast.AST) -> bool:
    return any(
        isinstance(n, (ast.Constant, ast.JoinedStr)) and (n.end_lineno or n.lineno) > n.lineno
        and (isinstance(n, ast.JoinedStr) or isinstance(n.value, (str, bytes)))
        for n in ast.walk(node)
    )  # fmt: skip


def imported_modules(tree: ast.Module) -> set[str]:
    """The names bound by the ``import module`` statements of a module."""
    if id(tree) in _IMPORTS:
        return _IMPORTS[id(tree)]
    out: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out.update(alias.asname or alias.name for alias in node.names)
    _IMPORTS[id(tree)] = out
    return out


def from_imports(tree: ast.Module) -> dict[str, str]:
    """Local name -> ``module.name`` of every ``from module import name``."""
    if id(tree) in _FROM_IMPORTS:
        return _FROM_IMPORTS[id(tree)]
    out: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            for alias in node.names:
                out[alias.asname or alias.name] = f"{node.module}.{alias.name}"
    _FROM_IMPORTS[id(tree)] = out
    return out


def resolved(src: Source, node: ast.AST) -> str:
    """A callee's dotted name with a ``from`` import resolved (``run`` -> ``subprocess.run``)."""
    name = dotted(node)
    if not name:
        return ""
    head, _, rest = name.partition(".")
    full = from_imports(src.tree).get(head)
    return (full + ("." + rest if rest else "")) if full else name


def with_import(text: str, module: str, line: int) -> tuple[str, int] | None:
    """``text`` with ``import module`` added among its top-level imports (unless already imported),
    and the line ``line`` shifted accordingly; None when the text does not parse."""
    tree = _parse(text)
    if tree is None:
        return None
    if any(isinstance(n, ast.Import) and any((a.asname or a.name) == module for a in n.names) for n in ast.walk(tree)):
        return text, line
    lines = text.splitlines(keepends=True)
    top = [n for n in tree.body if isinstance(n, ast.Import | ast.ImportFrom)]
    plain = [n for n in top if isinstance(n, ast.Import) and n.col_offset == 0]
    at: int | None = None
    for node in plain:
        if node.names[0].name > module:
            at = node.lineno
            break
    if at is None and plain:
        at = (plain[-1].end_lineno or plain[-1].lineno) + 1
    if at is None:
        later = [n for n in top if not (isinstance(n, ast.ImportFrom) and n.module == "__future__")]
        if later:
            at = later[0].lineno
        else:
            head = [n for n in tree.body[:1] if is_docstring(n)] + [n for n in top if n not in later]
            at = max((n.end_lineno or n.lineno) for n in head) + 1 if head else 1
    lines.insert(at - 1, f"import {module}\n")
    return "".join(lines), line + 1 if at <= line else line


def pick(rng: random.Random, sites: dict[str, list[Attempt]]) -> tuple[str, int, str] | None:
    """Try the sites, a variant at a time in random order, until one yields a parsing rewrite."""
    variants = sorted(v for v, attempts in sites.items() if attempts)
    rng.shuffle(variants)
    for variant in variants:
        attempts = list(sites[variant])
        rng.shuffle(attempts)
        for attempt in attempts[:40]:
            result = attempt()
            if result is not None and _parse(result[0]) is not None:
                return result
    return None


def finish(cls: str, rng: random.Random, sites: dict[str, list[Attempt]]) -> Injection | None:
    """The injection of the first working site (its description is tagged with its file)."""
    result = pick(rng, sites)
    if result is None:
        return None
    text, line, desc = result
    path, _, desc = desc.partition("\0")
    return Injection(cls, path, text, line, desc)


def tagged(src: Source, desc: str) -> str:
    return f"{src.rel}\0{desc}"


# --------------------------------------------------------------------------------------------
# elided-code


_OLD_NAMES: dict[str, set[str]] = {}


def old_qualnames(target: Target, rel: str) -> set[str]:
    """The qualified names of the functions and classes of ``rel`` in the old tree."""
    key = str(target.old / rel)
    if key not in _OLD_NAMES:
        text = target.old_text(rel)
        tree = _parse(text) if text is not None else None
        found = walk_scoped(tree) if tree is not None else iter(())
        _OLD_NAMES[key] = {qualname(scopes, node) for node, scopes in found if isinstance(node, _SCOPES)}
    return _OLD_NAMES[key]


def unchanged_runs(src: Source, block: list[ast.stmt], min_lines: int = 3) -> Iterator[list[ast.stmt]]:
    """Maximal runs of consecutive statements of ``block`` that the release did not touch."""
    run: list[ast.stmt] = []
    for i, stmt in enumerate([*block, None]):
        if stmt is None or (i == 0 and is_docstring(stmt)) or src.touches(stmt):
            span = (run[-1].end_lineno or 0) - _first_line(run[0]) + 1 if run else 0
            if span >= min_lines and (len(run) >= 2 or span >= 4):
                yield run
            run = []
        else:
            run.append(stmt)


def _elide(src: Source, run: list[ast.stmt], markers: list[str], where: str, rng: random.Random) -> Attempt:
    def attempt() -> tuple[str, int, str] | None:
        if not src.own_lines(run[0], run[-1]):
            return None
        first, last = _first_line(run[0]), run[-1].end_lineno or run[-1].lineno
        marker = rng.choice(markers)
        text = src.replace_lines(first, last, [src.indent(first) + marker])
        return text, first, tagged(src, f"{where}: lines {first}-{last} elided as '{marker}'")

    return attempt


@operator("elided-code")
def elided_code(target: Target, rng: random.Random) -> Injection | None:
    sites: dict[str, list[Attempt]] = defaultdict(list)
    for src in sources(target, "any"):
        known = old_qualnames(target, src.rel)
        for node, scopes in walk_scoped(src.tree):
            if not isinstance(node, _SCOPES) or qualname(scopes, node) not in known or not src.touches(node):
                continue
            where = qualname(scopes, node)
            if isinstance(node, ast.ClassDef):
                what = "other methods" if any(isinstance(s, _DEFS) for s in node.body) else "rest of class"
                for run in unchanged_runs(src, node.body, 4):
                    if run == [s for s in node.body if not is_docstring(s)]:
                        continue
                    if len(run) > 4:  # keep the elision next to the methods the release changed
                        at = node.body.index(run[0])
                        run = run[:4] if at and src.touches(node.body[at - 1]) else run[-4:]
                    markers = [f"# ... {what} unchanged ...", "# ... existing code ...", f"# ... ({what}) ..."]
                    sites["class"].append(_elide(src, run, markers, where, rng))
                continue
            noun = "method" if scopes and isinstance(scopes[-1], ast.ClassDef) else "function"
            for block in blocks(node):
                body = [s for s in block if not is_docstring(s)] if block is node.body else block
                for run in unchanged_runs(src, block):
                    statement = ["...  # existing code", "pass  # existing implementation", "...  # unchanged"]
                    if run == body:
                        markers = statement
                    elif block is node.body and run[-1] is block[-1]:
                        markers = [f"# ... rest of the {noun} unchanged ...", "# ... rest of implementation unchanged ...",
                                   "# ... existing code ...", *statement]  # fmt: skip
                    else:
                        markers = ["# ... existing code ...", "# ... (unchanged) ...", "# ... existing logic ...", *statement]
                    sites["function" if block is node.body else "block"].append(_elide(src, run, markers, where, rng))
    return finish("elided-code", rng, sites)


# --------------------------------------------------------------------------------------------
# swallowed-error


def _logger_name(tree: ast.Module) -> str | None:
    for node in tree.body:
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Call) and call_name(node.value) == "getLogger":
            target = node.targets[0]
            if isinstance(target, ast.Name):
                return target.id
    return None


def _wrappable(src: Source, stmt: ast.stmt) -> bool:
    if has_multiline_string(stmt) or any(isinstance(n, ast.Yield | ast.YieldFrom | ast.Await) for n in ast.walk(stmt)):
        return False
    if isinstance(stmt, ast.Expr | ast.Assign | ast.AugAssign | ast.AnnAssign | ast.Return):
        if isinstance(stmt, ast.Expr) and is_docstring(stmt):
            return False
        calls = [n for n in ast.walk(stmt) if isinstance(n, ast.Call)]
        if isinstance(stmt, ast.Expr) and calls and call_name(calls[0]) in ("super", "__init__"):
            return False
        return any(call_name(c) not in _BUILTINS for c in calls)
    if isinstance(stmt, ast.For | ast.With | ast.If):
        span = range(stmt.lineno, (stmt.end_lineno or stmt.lineno) + 1)
        has_call = any(isinstance(n, ast.Call) and call_name(n) not in _BUILTINS for n in ast.walk(stmt))
        raises = any(isinstance(n, ast.Raise | ast.Return | ast.Break | ast.Continue) for n in ast.walk(stmt))
        return has_call and not raises and len(span) <= 8 and all(line in src.changed for line in span)
    return False


def _first_call(src: Source, stmts: Sequence[ast.stmt]) -> str:
    for stmt in stmts:
        for node in ast.walk(stmt):
            if isinstance(node, ast.Call) and call_name(node) not in vars(builtins):
                return call_name(node)
    return "the call"


def _wrap(src: Source, run: list[ast.stmt], variant: str, where: str) -> Attempt:
    def attempt() -> tuple[str, int, str] | None:
        if not src.own_lines(run[0], run[-1]):
            return None
        first, last = _first_line(run[0]), run[-1].end_lineno or run[-1].lineno
        ind = src.indent(first)
        unit = "\t" if ind.startswith("\t") else "    "
        body = [unit + line.rstrip("\r\n") if line.strip() else "" for line in src.lines[first - 1 : last]]
        what = _first_call(src, run)
        logger = _logger_name(src.tree)
        if variant == "suppress":
            has_suppress = from_imports(src.tree).get("suppress") == "contextlib.suppress"
            head = "suppress(Exception)" if has_suppress else "contextlib.suppress(Exception)"
            new = [f"{ind}with {head}:", *body]
            desc = f"{where}: {what}() wrapped in `with {head}`"
        else:
            handler = {
                "pass": [f"{ind}except Exception:", f"{ind}{unit}pass"],
                "bare": [f"{ind}except:", f"{ind}{unit}pass"],
                "return-none": [f"{ind}except Exception:", f"{ind}{unit}return None"],
                "log": [f"{ind}except Exception as e:", f'{ind}{unit}{logger}.debug("{what} failed: %s", e)'],
            }[variant]
            new = [f"{ind}try:", *body, *handler]
            desc = f"{where}: {what}() wrapped in try/{handler[0].strip()} {handler[1].strip()}"
        text = src.replace_lines(first, last, new)
        line = first + len(body) + 1 if variant != "suppress" else first
        if variant == "suppress" and not has_suppress:
            moved = with_import(text, "contextlib", line)
            if moved is None:
                return None
            text, line = moved
        return text, line, tagged(src, desc)

    return attempt


@operator("swallowed-error")
def swallowed_error(target: Target, rng: random.Random) -> Injection | None:
    sites: dict[str, list[Attempt]] = defaultdict(list)
    for src in sources(target, "code"):
        logger = _logger_name(src.tree)
        for fn, scopes in defs(src.tree):
            if not src.touches(fn):
                continue
            where = qualname(scopes, fn)
            is_generator = any(isinstance(n, ast.Yield | ast.YieldFrom) for n in own_nodes(fn))
            guarded = {id(n.body) for n in own_nodes(fn) if isinstance(n, _TRY)}
            for block in blocks(fn):
                if id(block) in guarded:  # already the body of a try: a second try inside it reads oddly
                    continue
                for i, stmt in enumerate(block):
                    if not (_wrappable(src, stmt) and src.touches(stmt)):
                        continue
                    size = 1
                    while size < 3 and i + size < len(block) and _wrappable(src, block[i + size]) and rng.random() < 0.4:
                        size += 1
                    run = block[i : i + size]
                    if isinstance(run[-1], ast.Return) and len(run) > 1:
                        run = run[:-1]
                    variants = ["pass", "bare", "suppress"]
                    if not is_generator and fn.name != "__init__":
                        variants.append("return-none")
                    if logger:
                        variants.append("log")
                    for variant in variants:
                        sites[variant].append(_wrap(src, run, variant, where))
    return finish("swallowed-error", rng, sites)


# --------------------------------------------------------------------------------------------
# weakened-tests


def literalish(node: ast.AST) -> bool:
    if isinstance(node, ast.Constant):
        return True
    if isinstance(node, ast.UnaryOp):
        return literalish(node.operand)
    if isinstance(node, ast.List | ast.Tuple | ast.Set):
        return all(literalish(e) for e in node.elts)
    if isinstance(node, ast.Dict):
        return all(k is not None and literalish(k) for k in node.keys) and all(literalish(v) for v in node.values)
    return isinstance(node, ast.Name) and (node.id.isupper() or node.id.startswith("expected"))


def _computed_expected(a: ast.expr, b: ast.expr) -> tuple[ast.expr, ast.expr]:
    return (b, a) if literalish(a) and not literalish(b) else (a, b)


def _is_assertion(stmt: ast.stmt) -> bool:
    if isinstance(stmt, ast.Assert):
        return True
    return (
        isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call)
        and isinstance(stmt.value.func, ast.Attribute) and stmt.value.func.attr.startswith("assert")
    )  # fmt: skip


def _replace_node(src: Source, node: ast.AST, new: str, desc: str) -> Attempt:
    def attempt() -> tuple[str, int, str] | None:
        return src.edit([(src.start(node), src.end(node), new)]), node.lineno, tagged(src, desc)  # type: ignore[attr-defined]

    return attempt


def _delete_stmt(src: Source, stmt: ast.stmt, desc: str) -> Attempt:
    def attempt() -> tuple[str, int, str] | None:
        if not src.own_lines(stmt, stmt):
            return None
        first, last = _first_line(stmt), stmt.end_lineno or stmt.lineno
        text = src.replace_lines(first, last, [])
        return text, min(first, max(1, text.count("\n"))), tagged(src, desc)

    return attempt


def _add_decorator(src: Source, fn: Def, decorator: str, module: str | None, desc: str) -> Attempt:
    def attempt() -> tuple[str, int, str] | None:
        first = _first_line(fn)
        ind = src.indent(fn.lineno)
        lines = [*src.lines[: first - 1], f"{ind}{decorator}\n", *src.lines[first - 1 :]]
        text, line = "".join(lines), first
        if module:
            moved = with_import(text, module, line)
            if moved is None:
                return None
            text, line = moved
        return text, line, tagged(src, desc)

    return attempt


def _test_sites(src: Source, fn: Def, scopes: tuple[ast.AST, ...], rng: random.Random) -> dict[str, list[Attempt]]:
    sites: dict[str, list[Attempt]] = defaultdict(list)
    where = qualname(scopes, fn)
    asserts = [s for block in blocks(fn) for s in block if _is_assertion(s)]
    for stmt in asserts:
        if not src.touches(stmt):
            continue
        one_line = stmt.end_lineno == stmt.lineno
        if len(asserts) >= 2:
            sites["delete-assert"].append(_delete_stmt(src, stmt, f"{where}: assertion `{src.seg(stmt)[:60]}` deleted"))
        if isinstance(stmt, ast.Assert) and one_line:
            test = stmt.test
            if isinstance(test, ast.Compare) and len(test.ops) == 1 and isinstance(test.ops[0], ast.Eq | ast.Is):
                got, want = _computed_expected(test.left, test.comparators[0])
                got_s = src.seg(got)
                loose = [f"{got_s} is not None", got_s]
                if isinstance(got, ast.Call) and call_name(got) == "len":
                    loose.append(f"{got_s} > 0")
                new = rng.choice(loose)
                sites["loosen"].append(_replace_node(src, test, new, f"{where}: `{src.seg(test)}` loosened to `{new}`"))
                if literalish(want) and not isinstance(got, ast.Constant) and len(got_s) <= 40:
                    sites["expected-from-result"].append(
                        _replace_node(src, want, got_s, f"{where}: expected value `{src.seg(want)[:40]}` replaced by `{got_s}`")
                    )
                comment = rng.choice(["# fixed", "# TODO: re-check expected value", "# flaky"])
                sites["assert-true"].append(
                    _replace_node(src, stmt, f"assert True  {comment}", f"{where}: `{src.seg(stmt)}` replaced by `assert True`")
                )
        elif isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call) and one_line:
            call = stmt.value
            method = call_name(call)
            if method in ("assertEqual", "assertEquals", "assertListEqual", "assertDictEqual") and len(call.args) >= 2:
                got, want = _computed_expected(call.args[0], call.args[1])
                owner = src.seg(call.func)[: -len(method)]
                new = f"{owner}{rng.choice(['assertIsNotNone', 'assertTrue'])}({src.seg(got)})"
                sites["loosen"].append(_replace_node(src, call, new, f"{where}: `{src.seg(call)}` loosened to `{new}`"))
                if literalish(want) and len(src.seg(got)) <= 40:
                    desc = f"{where}: expected `{src.seg(want)[:40]}` replaced by `{src.seg(got)}`"
                    sites["expected-from-result"].append(_replace_node(src, want, src.seg(got), desc))
    for node in own_nodes(fn):
        if not (isinstance(node, ast.Call) and src.touches(node) and node.args):
            continue
        name = dotted(node.func)
        if name.endswith(("pytest.raises", "assertRaises", "assertRaisesRegex")) or name == "raises":
            exc = node.args[0]
            if not (isinstance(exc, ast.Name) and exc.id in ("Exception", "BaseException")):
                sites["broad-raises"].append(
                    _replace_node(src, exc, "Exception", f"{where}: `{name}({src.seg(exc)})` broadened to Exception")
                )
            match = [k for k in node.keywords if k.arg == "match"]
            if match and node.keywords[-1] is match[0] and len(node.args) == 1:
                kw = match[0]

                def drop(node: ast.Call = node, kw: ast.keyword = kw, name: str = name) -> tuple[str, int, str] | None:
                    start = src.end(node.args[-1] if len(node.keywords) == 1 else node.keywords[-2].value)
                    text = src.edit([(start, src.end(kw.value), "")])
                    return text, node.lineno, tagged(src, f"{where}: `match=` dropped from {name}")

                sites["broad-raises"].append(drop)
    in_testcase = bool(scopes) and isinstance(scopes[-1], ast.ClassDef)
    already = any("skip" in src.seg(d) or "xfail" in src.seg(d) for d in fn.decorator_list)
    if src.touches(fn) and not already:
        if in_testcase and "unittest" in imported_modules(src.tree):
            reason = rng.choice(["flaky", "flaky on CI", "TODO: fix after refactor"])
            sites["skip"].append(_add_decorator(src, fn, f'@unittest.skip("{reason}")', None, f"{where}: skipped ({reason})"))
        else:
            reason = rng.choice(["flaky", "flaky on CI", "TODO: fix after refactor", "temporarily disabled"])
            mark = rng.choice(["skip", "skip", "xfail"])
            deco = f'@pytest.mark.{mark}(reason="{reason}")'
            sites["skip"].append(_add_decorator(src, fn, deco, "pytest", f"{where}: {deco} added"))
    return sites


def _old_tests(target: Target, rel: str) -> frozenset[str]:
    """Qualified names (``Class.test_x``) of the tests the file had before the release: a test is
    weakened against what it was, so a test the release adds has nothing to be weakened from."""
    text = target.old_text(rel)
    try:
        tree = ast.parse(text) if text is not None else None
    except (SyntaxError, ValueError):
        tree = None
    if tree is None:
        return frozenset()
    return frozenset(
        ".".join([*(getattr(s, "name", "") for s in scopes), fn.name]) for fn, scopes in defs(tree)
    )


@operator("weakened-tests")
def weakened_tests(target: Target, rng: random.Random) -> Injection | None:
    sites: dict[str, list[Attempt]] = defaultdict(list)
    for src in sources(target, "test"):
        existing = _old_tests(target, src.rel)
        for fn, scopes in defs(src.tree):
            nested = any(isinstance(s, _DEFS) for s in scopes)
            qualified = ".".join([*(getattr(s, "name", "") for s in scopes), fn.name])
            if fn.name.startswith("test") and not nested and src.touches(fn) and qualified in existing:
                for variant, attempts in _test_sites(src, fn, scopes, rng).items():
                    sites[variant].extend(attempts)
    return finish("weakened-tests", rng, sites)


# --------------------------------------------------------------------------------------------
# silent-behaviour-change

_FLIP: dict[type[ast.cmpop], tuple[str, str, str]] = {  # the operator: (pattern, as written, flipped)
    ast.Lt: (r"<(?!=)", "<", "<="), ast.LtE: (r"<=", "<=", "<"), ast.Gt: (r">(?!=)", ">", ">="),
    ast.GtE: (r">=", ">=", ">"), ast.Eq: (r"==", "==", "!="), ast.NotEq: (r"!=", "!=", "=="),
    ast.Is: (r"\bis\b(?!\s+not)", "is", "is not"), ast.IsNot: (r"\bis\s+not\b", "is not", "is"),
    ast.In: (r"(?<!not )\bin\b", "in", "not in"), ast.NotIn: (r"\bnot\s+in\b", "not in", "in"),
}  # fmt: skip


def _between(src: Source, a: ast.AST, b: ast.AST, pattern: str, new: str, line: int, desc: str) -> Attempt:
    def attempt() -> tuple[str, int, str] | None:
        start, end = src.end(a), src.start(b)
        gap = src.text[start:end]
        if "#" in gap:
            return None
        changed, n = re.subn(pattern, new, gap, count=1)
        return (src.edit([(start, end, changed)]), line, tagged(src, desc)) if n else None

    return attempt


def _local_names(fn: Def, before: int) -> list[str]:
    names: list[str] = []
    for node in own_nodes(fn):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store) and node.lineno < before and node.id not in names:
            names.append(node.id)
    return names


def _int_shift(src: Source, node: ast.expr, rng: random.Random, where: str, what: str) -> Attempt | None:
    value: int | None = None
    if isinstance(node, ast.Constant) and type(node.value) is int:
        value = node.value
    elif isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub) and isinstance(node.operand, ast.Constant):
        value = -node.operand.value if type(node.operand.value) is int else None
    else:
        return None
    if value is None:
        return None
    new = value + rng.choice([-1, 1]) if value not in (0, 1) else value + 1
    return _replace_node(src, node, str(new), f"{where}: {what} `{src.seg(node)}` changed to `{new}`")


def _behaviour_sites(
    src: Source, fn: Def, scopes: tuple[ast.AST, ...], rng: random.Random, slack: int
) -> dict[str, list[Attempt]]:
    sites: dict[str, list[Attempt]] = defaultdict(list)
    where = qualname(scopes, fn)
    for node in own_nodes(fn):
        near = range(getattr(node, "lineno", 0) - slack, getattr(node, "lineno", 0) + slack + 1)
        if not (isinstance(node, ast.expr | ast.stmt) and any(line in src.changed for line in near)):
            continue
        if isinstance(node, ast.Compare) and len(node.ops) == 1 and type(node.ops[0]) in _FLIP:
            pattern, old, new = _FLIP[type(node.ops[0])]
            kind = "boundary" if isinstance(node.ops[0], ast.Lt | ast.LtE | ast.Gt | ast.GtE) else "compare"
            desc = f"{where}: `{old}` flipped to `{new}` in `{src.seg(node)[:60]}`"
            sites[kind].append(_between(src, node.left, node.comparators[0], pattern, new, node.lineno, desc))
        elif isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):

            def drop_not(node: ast.UnaryOp = node) -> tuple[str, int, str] | None:
                start, end = src.start(node), src.start(node.operand)
                gap = re.sub(r"^not\s*", "", src.text[start:end])
                desc = f"{where}: `not` dropped from `{src.seg(node)[:60]}`"
                return src.edit([(start, end, gap)]), node.lineno, tagged(src, desc)

            sites["not"].append(drop_not)
        elif isinstance(node, ast.If | ast.While) and isinstance(node.test, ast.Name | ast.Attribute | ast.Call):
            test = node.test
            sites["not"].append(
                _replace_node(src, test, f"not {src.seg(test)}", f"{where}: condition `{src.seg(test)[:50]}` negated")
            )
        elif isinstance(node, ast.BoolOp) and len(node.values) >= 2 and not isinstance(node.values[-1], ast.Constant):
            pattern, new = (r"\band\b", "or") if isinstance(node.op, ast.And) else (r"\bor\b", "and")
            desc = f"{where}: `{pattern[2:-2]}` swapped for `{new}` in `{src.seg(node)[:60]}`"
            sites["boolop"].append(_between(src, node.values[0], node.values[1], pattern, new, node.lineno, desc))
        elif isinstance(node, ast.Slice):
            for bound, what in ((node.lower, "slice start"), (node.upper, "slice end")):
                if bound is not None and (shift := _int_shift(src, bound, rng, where, what)):
                    sites["off-by-one"].append(shift)
        elif isinstance(node, ast.Subscript) and not isinstance(node.slice, ast.Slice):
            if isinstance(node.ctx, ast.Load) and (shift := _int_shift(src, node.slice, rng, where, "index")):
                sites["off-by-one"].append(shift)
        elif isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add | ast.Sub):
            right = node.right
            if isinstance(right, ast.Constant) and right.value == 1 and type(right.value) is int:
                desc = f"{where}: `{src.seg(node)[:50]}` lost its `{src.seg(node)[len(src.seg(node.left)):].strip()}`"
                sites["off-by-one"].append(_replace_node(src, node, src.seg(node.left), desc))
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "range" and len(node.args) == 1:
            arg = src.seg(node.args[0])
            new = rng.choice([f"{arg} - 1", f"1, {arg}"])
            desc = f"{where}: `range({arg})` changed to `range({new})`"
            sites["off-by-one"].append(_replace_node(src, node.args[0], new, desc))
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in ("min", "max"):
            new = "max" if node.func.id == "min" else "min"
            sites["min-max"].append(_replace_node(src, node.func, new, f"{where}: `{node.func.id}(...)` changed to `{new}(...)`"))
        if isinstance(node, ast.Call) and len(node.args) >= 2 and call_name(node) not in _BUILTINS:
            simple = [a for a in node.args[:3] if isinstance(a, ast.Name | ast.Attribute | ast.Constant)]
            if len(simple) >= 2 and simple == node.args[: len(simple)]:
                i = rng.randrange(len(simple) - 1)
                a, b = simple[i], simple[i + 1]
                alike = isinstance(a, ast.Constant) == isinstance(b, ast.Constant) and (
                    not isinstance(a, ast.Constant) or type(a.value) is type(getattr(b, "value", None))
                )
                if alike and src.seg(a) != src.seg(b) and a.lineno == b.lineno:
                    desc = f"{where}: arguments `{src.seg(a)}` and `{src.seg(b)}` of {call_name(node)}() swapped"

                    def swap(a: ast.expr = a, b: ast.expr = b, line: int = node.lineno, desc: str = desc) -> tuple[str, int, str]:
                        edits = [(src.start(a), src.end(a), src.seg(b)), (src.start(b), src.end(b), src.seg(a))]
                        return src.edit(edits), line, tagged(src, desc)

                    sites["swap-args"].append(swap)
        if isinstance(node, ast.Return) and isinstance(node.value, ast.Name):
            returned = node.value.id
            others = [n for n in _local_names(fn, node.lineno) if n != returned and n not in ("self", "cls", "_")]
            param_names = [a.arg for a in (*fn.args.posonlyargs, *fn.args.args) if a.arg not in ("self", "cls", returned)]
            related = [n for n in others + param_names if set(n.split("_")) & set(returned.split("_"))]
            choices = related or others
            if choices:
                other = rng.choice(choices)
                desc = f"{where}: returns `{other}` instead of `{returned}`"
                sites["wrong-variable"].append(_replace_node(src, node.value, other, desc))
    if fn.lineno in src.changed or any(d is not None and src.touches(d) for d in fn.args.defaults):
        params: list[ast.arg] = [*fn.args.posonlyargs, *fn.args.args][-len(fn.args.defaults) :] if fn.args.defaults else []
        pairs: list[tuple[ast.arg, ast.expr | None]] = [*zip(params, fn.args.defaults, strict=True), *zip(fn.args.kwonlyargs, fn.args.kw_defaults, strict=True)]
        for param, default in pairs:
            if isinstance(default, ast.Constant) and isinstance(default.value, bool):
                new = str(not default.value)
                desc = f"{where}: default of `{param.arg}` changed from {default.value} to {new}"
                sites["default"].append(_replace_node(src, default, new, desc))
            elif default is not None and (shift := _int_shift(src, default, rng, where, f"default of `{param.arg}`")):
                sites["default"].append(shift)
    return sites


@operator("silent-behaviour-change")
def silent_behaviour_change(target: Target, rng: random.Random) -> Injection | None:
    for slack in (0, 1):  # on a changed line, else next to one
        sites: dict[str, list[Attempt]] = defaultdict(list)
        for src in sources(target, "code"):
            for fn, scopes in defs(src.tree):
                if src.touches(fn):
                    for variant, attempts in _behaviour_sites(src, fn, scopes, rng, slack).items():
                        sites[variant].extend(attempts)
        injection = finish("silent-behaviour-change", rng, sites)
        if injection is not None:
            return injection
    return None


# --------------------------------------------------------------------------------------------
# signature-drift


@dataclass(frozen=True)
class CallSite:
    rel: str
    line: int
    call: ast.Call
    via: str  # "name", "self" (self./cls. attribute) or "attr" (any other attribute)


@dataclass
class TreeIndex:
    """The calls and definitions of a whole new tree, by name."""

    calls: dict[str, list[CallSite]] = field(default_factory=lambda: defaultdict(list))
    defined: Counter[str] = field(default_factory=Counter)
    imports: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))  # name -> files importing it


_INDEX: dict[str, TreeIndex] = {}
_BUILTIN_ATTRS = {a for t in (dict, list, set, str, bytes, tuple, object, int, float) for a in dir(t)}


def tree_index(target: Target) -> TreeIndex:
    key = str(target.new)
    if key in _INDEX:
        return _INDEX[key]
    index = TreeIndex()
    for path in sorted(target.new.rglob("*.py")):
        rel = str(path.relative_to(target.new))
        tree = _parsed(target, rel, path.read_text(encoding="utf-8", errors="replace"))
        if tree is None:
            continue
        for node in ast.walk(tree):
            if isinstance(node, _DEFS):
                index.defined[node.name] += 1
            elif isinstance(node, ast.ImportFrom):
                for alias in node.names:
                    index.imports[alias.asname or alias.name].add(rel)
            elif isinstance(node, ast.Call):
                func = node.func
                if isinstance(func, ast.Name):
                    index.calls[func.id].append(CallSite(rel, node.lineno, node, "name"))
                elif isinstance(func, ast.Attribute):
                    via = "self" if isinstance(func.value, ast.Name) and func.value.id in ("self", "cls") else "attr"
                    index.calls[func.attr].append(CallSite(rel, node.lineno, node, via))
    _INDEX[key] = index
    return index


def callers(target: Target, src: Source, fn: Def, scopes: tuple[ast.AST, ...]) -> list[CallSite]:
    """Calls of ``fn`` elsewhere in the new tree (not inside ``fn`` itself)."""
    index = tree_index(target)
    name = fn.name
    method = bool(scopes) and isinstance(scopes[-1], ast.ClassDef)
    unique = index.defined[name] == 1
    inside = range(fn.lineno, (fn.end_lineno or fn.lineno) + 1)
    found: list[CallSite] = []
    stem = PurePosixPath(src.rel).stem
    for site in index.calls.get(name, []):
        if site.rel == src.rel and site.line in inside:
            continue
        if method:
            ok = (site.via == "self" and (site.rel == src.rel or unique)) or (
                site.via == "attr" and unique and name not in _BUILTIN_ATTRS and len(name) > 3
            )
        elif site.via == "name":
            ok = (site.rel == src.rel and unique) or (unique and site.rel in index.imports.get(name, set()))
        else:
            func = site.call.func
            ok = unique and isinstance(func, ast.Attribute) and dotted(func.value).split(".")[-1] == stem
        if ok:
            found.append(site)
    return found


def _starred(call: ast.Call) -> bool:
    return any(isinstance(a, ast.Starred) for a in call.args) or any(k.arg is None for k in call.keywords)


_NEW_PARAMS = {"strict": "bool", "encoding": "str", "timeout": "float", "context": "dict", "options": "dict",
               "verbose": "bool", "config": "dict", "max_depth": "int"}  # fmt: skip
_RENAMES = {
    "value": "val", "message": "msg", "config": "cfg", "directory": "dirname", "filename": "path", "path": "filepath",
    "callback": "cb", "index": "idx", "number": "num", "string": "text", "text": "content", "name": "key",
    "key": "name", "source": "src", "src": "source", "destination": "dest", "dest": "destination", "obj": "value",
    "func": "fn", "fn": "func", "function": "func", "length": "size", "size": "length", "count": "n",
    "timeout": "timeout_seconds", "encoding": "charset", "default": "fallback", "data": "payload", "item": "element",
    "items": "elements", "separator": "sep", "sep": "separator", "delimiter": "delim", "exc": "error", "error": "err",
    "err": "error", "context": "ctx", "ctx": "context", "request": "req", "response": "resp", "options": "opts",
    "opts": "options", "params": "parameters", "attribute": "attr", "attr": "attribute", "module": "mod",
    "mode": "file_mode", "stream": "fp", "file": "fp", "fp": "file", "buffer": "buf", "buf": "buffer",
    "result": "res", "target": "dst", "level": "depth", "depth": "level", "iterable": "iterator", "seq": "sequence",
    "sequence": "seq", "prefix": "prefix_str", "width": "max_width", "node": "element", "tag": "tag_name",
}  # fmt: skip


def renamed(name: str) -> str:
    if name in _RENAMES:
        return _RENAMES[name]
    core = name.strip("_")
    parts = core.split("_")
    if len(parts) > 1:
        return "_".join(parts[1:]) if parts[0] in ("is", "max", "min", "num", "use", "allow", "default") else parts[-1]
    return core[:-1] if core.endswith("s") and len(core) > 3 else core + "s"


def _fn_names(fn: Def) -> set[str]:
    args = fn.args
    params = {a.arg for a in (*args.posonlyargs, *args.args, *args.kwonlyargs, args.vararg, args.kwarg) if a}
    return params | {n.id for n in ast.walk(fn) if isinstance(n, ast.Name)}


def _param_span(src: Source, fn: Def, param: ast.arg) -> tuple[int, int] | None:
    """The text to cut to remove ``param`` (its annotation and default too) and one comma."""
    args = fn.args
    positional = [*args.posonlyargs, *args.args]
    end_node: ast.AST = param
    if param in positional:
        k = positional.index(param) - (len(positional) - len(args.defaults))
        if k >= 0:
            end_node = args.defaults[k]
    elif param in args.kwonlyargs:
        default = args.kw_defaults[args.kwonlyargs.index(param)]
        end_node = default if default is not None else param
    start, end = src.start(param), src.end(end_node)
    head = src.text[:start].rstrip()
    if head.endswith(","):
        return len(head) - 1, end
    if head.endswith("("):
        tail = src.text[end:]
        stripped = tail.lstrip()
        if stripped.startswith(","):
            after = stripped[1:]
            return start, end + (len(tail) - len(stripped)) + 1 + (len(after) - len(after.lstrip(" ")))
        return start, end
    return None


def _drift_sites(target: Target, src: Source, fn: Def, scopes: tuple[ast.AST, ...], rng: random.Random) -> dict[str, list[Attempt]]:
    sites: dict[str, list[Attempt]] = defaultdict(list)
    found = callers(target, src, fn, scopes)
    plain = [c for c in found if not _starred(c.call)]
    if not plain:
        return sites
    where = qualname(scopes, fn)
    args = fn.args
    method = bool(scopes) and isinstance(scopes[-1], ast.ClassDef)
    bound = method and not any(dotted(d) == "staticmethod" for d in fn.decorator_list)
    positional = [*args.posonlyargs, *args.args]
    names = _fn_names(fn)

    def caller_note(sites_: Sequence[CallSite]) -> str:
        return f"{len(sites_)} caller(s) not updated, e.g. {sites_[0].rel}:{sites_[0].line}"

    # 1. a new required parameter
    required = positional[: len(positional) - len(args.defaults)]
    fresh = [p for p in _NEW_PARAMS if p not in names]
    if fresh and (len(required) > int(bound) or args.defaults or not positional):
        new_name = rng.choice(fresh)
        annotated = any(a.annotation is not None for a in positional if a.arg not in ("self", "cls"))
        decl = f"{new_name}: {_NEW_PARAMS[new_name]}" if annotated else new_name

        def add_required(new_name: str = new_name, decl: str = decl) -> tuple[str, int, str] | None:
            if required:
                last = required[-1]
                pos = src.end(last)
                rest = src.text[pos : src.starts[last.lineno]]
                alone = last.lineno != fn.lineno and src.lines[last.lineno - 1].strip().startswith(last.arg)
                if alone and rest.strip() == ",":
                    pos = src.starts[last.lineno]
                    edit = (pos, pos, f"{src.indent(last.lineno)}{decl},\n")
                elif alone and not rest.strip():
                    edit = (pos, pos, f",\n{src.indent(last.lineno)}{decl}")
                else:
                    sep = "," if re.search(r",\S", src.text[src.start(positional[0]) : pos]) else ", "
                    edit = (pos, pos, f"{sep}{decl}")
            elif positional:
                pos = src.start(positional[0])
                edit = (pos, pos, f"{decl}, ")
            else:
                match = re.compile(rf"def\s+{re.escape(fn.name)}\s*(\[[^\]]*\])?\(").search(src.text, src.off(fn.lineno, 0))
                if match is None or args.vararg or args.kwonlyargs or args.kwarg:
                    return None
                edit = (match.end(), match.end(), decl)
            desc = f"{where}: new required parameter `{new_name}`; {caller_note(plain)}"
            return src.edit([edit]), fn.lineno, tagged(src, desc)

        sites["add-required"].append(add_required)
    # 2. rename a parameter a caller passes by keyword
    fstring_names = {n.id for j in ast.walk(fn) if isinstance(j, ast.JoinedStr) for n in ast.walk(j) if isinstance(n, ast.Name)}
    if args.kwarg is None:
        for param in [*positional, *args.kwonlyargs]:
            by_kw = [c for c in plain if any(k.arg == param.arg for k in c.call.keywords)]
            new_name = renamed(param.arg)
            if not by_kw or param.arg in ("self", "cls") or param.arg in fstring_names or new_name in names:
                continue
            if new_name in vars(builtins) or not new_name.isidentifier():
                continue

            def rename(param: ast.arg = param, new_name: str = new_name, by_kw: list[CallSite] = by_kw) -> tuple[str, int, str] | None:
                start = src.start(param)
                edits = [(start, start + len(param.arg), new_name)]
                for node in ast.walk(fn):
                    if isinstance(node, ast.Name) and node.id == param.arg:
                        edits.append((src.start(node), src.end(node), new_name))
                desc = f"{where}: parameter `{param.arg}` renamed to `{new_name}`; {caller_note(by_kw)} (pass `{param.arg}=`)"
                return src.edit(edits), param.lineno, tagged(src, desc)

            sites["rename"].append(rename)
    # 3. remove a parameter callers still pass
    offset = 1 if bound else 0
    for param in [*positional, *args.kwonlyargs]:
        if param.arg in ("self", "cls"):
            continue
        index = positional.index(param) - offset if param in positional else None
        passing = [
            c for c in plain
            if any(k.arg == param.arg for k in c.call.keywords) or (index is not None and len(c.call.args) > index >= 0)
        ]  # fmt: skip
        if not passing:
            continue
        used = any(isinstance(n, ast.Name) and n.id == param.arg for n in own_nodes(fn))
        default: ast.expr | None = None
        if param in positional:
            k = positional.index(param) - (len(positional) - len(args.defaults))
            default = args.defaults[k] if k >= 0 else None
        else:
            default = args.kw_defaults[args.kwonlyargs.index(param)]
        if used and default is None:
            continue

        def remove(param: ast.arg = param, used: bool = used, default: ast.expr | None = default,
                   passing: list[CallSite] = passing) -> tuple[str, int, str] | None:  # fmt: skip
            span = _param_span(src, fn, param)
            if span is None:
                return None
            edits: list[Edit] = [(span[0], span[1], "")]
            if used and default is not None:
                body = fn.body[1:] if is_docstring(fn.body[0]) and len(fn.body) > 1 else fn.body
                first = body[0]
                if first.lineno == fn.lineno:
                    return None
                pos = src.starts[_first_line(first) - 1]
                edits.append((pos, pos, f"{src.indent(first.lineno)}{param.arg} = {src.seg(default)}\n"))
            how = "now a local" if used else "unused"
            desc = f"{where}: parameter `{param.arg}` removed ({how}); {caller_note(passing)} still pass it"
            return src.edit(edits), fn.lineno, tagged(src, desc)

        sites["remove"].append(remove)
    return sites


@operator("signature-drift")
def signature_drift(target: Target, rng: random.Random) -> Injection | None:
    sites: dict[str, list[Attempt]] = defaultdict(list)
    for src in sources(target, "code"):
        for fn, scopes in defs(src.tree):
            if any(isinstance(s, _DEFS) for s in scopes) or (fn.name.startswith("__") and fn.name.endswith("__")):
                continue
            decorators = {dotted(d.func if isinstance(d, ast.Call) else d).split(".")[-1] for d in fn.decorator_list}
            if decorators & {"property", "setter", "getter", "deleter", "overload", "cached_property", "fixture"}:
                continue
            if not src.touches(fn):
                continue
            for variant, attempts in _drift_sites(target, src, fn, scopes, rng).items():
                sites[variant].extend(attempts)
    return finish("signature-drift", rng, sites)


# --------------------------------------------------------------------------------------------
# security-slip

_SECRET = re.compile(r"(?i)(api_?key|secret|token|passw(or)?d|passwd|credential|auth)")
_SECRET_PARAM = re.compile(r"(?i)^(password|passwd|pwd|secret|secret_key|api_?key|access_key|private_key|(auth|access|api|bearer)_token)$")
_STRONG_HASHES = {"sha1", "sha224", "sha256", "sha384", "sha512", "blake2b", "blake2s", "sha3_256", "sha3_512"}
_VALIDATION = re.compile(r"^(ValueError|TypeError|PermissionError)$|Invalid|Validation|Security|Unsafe|Permission|Forbidden|Unauthori[sz]ed")
# Keyword arguments and parameters whose value (here: the safe one) guards against an attack.
_SAFETY_FLAGS = {"verify": True, "verify_ssl": True, "check_hostname": True, "autoescape": True,
                 "validate_certs": True, "secure": True, "httponly": True, "forbid_dtd": True,
                 "forbid_entities": True, "forbid_external": True, "disable_entities": True,
                 "resolve_entities": False, "allow_pickle": False, "trust_remote_code": False,
                 "load_dtd": False, "no_network": True, "sandboxed": True}  # fmt: skip
_SUBPROCESS = {"subprocess.run", "subprocess.call", "subprocess.check_call", "subprocess.check_output", "subprocess.Popen"}
_SHELL_FOR = {"shutil.rmtree": "rm -rf", "os.remove": "rm -f", "os.unlink": "rm -f", "shutil.copy": "cp",
              "shutil.copyfile": "cp", "shutil.copy2": "cp -p", "shutil.move": "mv", "os.rename": "mv",
              "os.replace": "mv", "os.makedirs": "mkdir -p", "shutil.copytree": "cp -r"}  # fmt: skip
_MODE_CALLS = {"os.chmod", "os.makedirs", "os.mkdir", "os.open", "os.fchmod", "chmod", "mkdir", "touch"}


def fake_secret(name: str, rng: random.Random) -> str:
    alnum = string.ascii_letters + string.digits
    body = "".join(rng.choice(alnum) for _ in range(24))
    low = name.lower()
    if "pass" in low:
        return rng.choice(["hunter2", "admin123", "P@ssw0rd!", "changeme"])
    if "token" in low:
        return "ghp_" + body + "".join(rng.choice(alnum) for _ in range(12))
    return rng.choice(["sk-live-", "sk_live_", "AKIA"]) + body


def _fstring_command(src: Source, parts: Sequence[ast.expr]) -> str | None:
    out: list[str] = []
    for part in parts:
        if isinstance(part, ast.Constant) and isinstance(part.value, str):
            if any(c in part.value for c in '"{}\\\n'):
                return None
            out.append(part.value)
        elif isinstance(part, ast.Starred):
            inner = src.seg(part.value)
            if '"' in inner or "'" in inner or "\n" in inner:
                return None
            out.append("{' '.join(" + inner + ")}")
        else:
            inner = src.seg(part)
            if '"' in inner or "\n" in inner or "{" in inner:
                return None
            out.append("{" + inner + "}")
    return 'f"' + " ".join(out) + '"'


def _security_sites(src: Source, node: ast.AST, scopes: tuple[ast.AST, ...], rng: random.Random) -> dict[str, list[Attempt]]:
    sites: dict[str, list[Attempt]] = defaultdict(list)
    where = qualname(scopes)
    if isinstance(node, ast.Call):
        name = resolved(src, node.func)
        last = name.rsplit(".", 1)[-1]
        kws = {k.arg: k for k in node.keywords}
        if name in _SUBPROCESS and node.args and not _starred_first(node):
            cmd = node.args[0]
            command = None
            if isinstance(cmd, ast.List | ast.Tuple) and len(cmd.elts) == 1 and not isinstance(cmd.elts[0], ast.Constant | ast.Starred):
                command = src.seg(cmd.elts[0])
            elif isinstance(cmd, ast.List | ast.Tuple) and not all(isinstance(e, ast.Constant) for e in cmd.elts):
                command = _fstring_command(src, cmd.elts)
            elif isinstance(cmd, ast.Name):
                command = f'" ".join({cmd.id})'
            shell = kws.get("shell")
            if command and (shell is None or (isinstance(shell.value, ast.Constant) and not shell.value.value)):

                def shell_true(cmd: ast.expr = cmd, command: str = command, shell: ast.keyword | None = shell,
                               node: ast.Call = node) -> tuple[str, int, str] | None:  # fmt: skip
                    edits: list[Edit] = [(src.start(cmd), src.end(cmd), command)]
                    if shell is not None:
                        edits.append((src.start(shell.value), src.end(shell.value), "True"))
                    else:
                        pos = src.end(node) - 1
                        sep = ", " if not src.text[:pos].rstrip().endswith(",") else " "
                        edits.append((pos, pos, f"{sep}shell=True"))
                    desc = f"{where}: {name}() command built as a string and run with shell=True"
                    return src.edit(edits), node.lineno, tagged(src, desc)

                sites["shell"].append(shell_true)
        simple_args = all(isinstance(a, ast.Name | ast.Attribute | ast.Call) for a in node.args)
        plain_kws = all(k.arg in ("exist_ok", "ignore_errors") for k in node.keywords)
        if name in _SHELL_FOR and simple_args and plain_kws and 1 <= len(node.args) <= 2:
            command = _fstring_command(src, node.args)
            if command:
                command = 'f"' + _SHELL_FOR[name] + " " + command[2:]
                desc = f"{where}: {name}() replaced by os.system({command})"
                sites["os-system"].append(_with_module(src, node, f"os.system({command})", "os", desc))
        if name in ("yaml.safe_load", "yaml.safe_load_all") and len(node.args) == 1:
            new = f"{name.replace('safe_', '')}({src.seg(node.args[0])}, Loader=yaml.Loader)"
            sites["yaml"].append(_replace_node(src, node, new, f"{where}: {name}() replaced by {new}"))
        if name in ("json.loads", "ast.literal_eval") and len(node.args) == 1 and not node.keywords:
            arg = src.seg(node.args[0])
            sites["eval"].append(_replace_node(src, node, f"eval({arg})", f"{where}: {name}({arg}) replaced by eval({arg})"))
            if name == "json.loads":
                desc = f"{where}: {name}({arg}) replaced by pickle.loads({arg})"
                sites["eval"].append(_with_module(src, node, f"pickle.loads({arg})", "pickle", desc))
        if name.startswith("hashlib.") and last in _STRONG_HASHES:
            desc = f"{where}: {name} replaced by hashlib.md5"
            sites["weak-hash"].append(_replace_node(src, node.func, "hashlib.md5", desc))
        if name == "hashlib.new" and node.args and isinstance(node.args[0], ast.Constant):
            sites["weak-hash"].append(_replace_node(src, node.args[0], '"md5"', f"{where}: hashlib.new(...) set to md5"))
        if last == "compare_digest" and len(node.args) == 2:
            a, b = (src.seg(x) for x in node.args)
            desc = f"{where}: constant-time compare_digest({a}, {b}) replaced by `==`"
            sites["compare"].append(_replace_node(src, node, f"{a} == {b}", desc))
        for key, kw in kws.items():
            if key in _SAFETY_FLAGS and isinstance(kw.value, ast.Constant) and kw.value.value is _SAFETY_FLAGS[key]:
                new = str(not _SAFETY_FLAGS[key])
                sites["verify"].append(_replace_node(src, kw.value, new, f"{where}: {key}={kw.value.value} changed to {key}={new}"))
        if name.startswith("requests.") and last in ("get", "post", "put", "patch", "delete", "head", "request") and "verify" not in kws:
            sites["verify"].append(_add_keyword(src, node, "verify=False", f"{where}: verify=False added to {name}()"))
        if name == "ssl.create_default_context":
            desc = f"{where}: ssl.create_default_context replaced by ssl._create_unverified_context"
            sites["verify"].append(_replace_node(src, node.func, "ssl._create_unverified_context", desc))
        if name.startswith("secrets.") and last in ("token_hex", "token_bytes", "choice", "randbelow"):
            arg = src.seg(node.args[0]) if node.args else "32"
            new = {"token_hex": f"random.randbytes({arg}).hex()", "token_bytes": f"random.randbytes({arg})",
                   "choice": f"random.choice({arg})", "randbelow": f"random.randrange({arg})"}[last]  # fmt: skip
            sites["random"].append(_with_module(src, node, new, "random", f"{where}: {name}() replaced by {new}"))
        if name == "os.urandom" and len(node.args) == 1:
            new = f"random.randbytes({src.seg(node.args[0])})"
            sites["random"].append(_with_module(src, node, new, "random", f"{where}: os.urandom replaced by {new}"))
        if (name in _MODE_CALLS or last in ("chmod", "mkdir")) and (node.args or "mode" in kws):
            mode_nodes = [kws["mode"].value] if "mode" in kws else [a for a in node.args[1:] if isinstance(a, ast.Constant)]
            for mode in mode_nodes:
                if isinstance(mode, ast.Constant) and isinstance(mode.value, int) and mode.value not in (0o777, 0o666):
                    desc = f"{where}: mode {oct(mode.value)} of {name or last}() widened to 0o777"
                    sites["permissions"].append(_replace_node(src, mode, "0o777", desc))
        if name in ("os.environ.get", "os.getenv") and node.args and isinstance(node.args[0], ast.Constant):
            var = node.args[0].value
            if isinstance(var, str) and _SECRET.search(var) and len(node.args) == 1:
                secret = fake_secret(var, rng)
                desc = f"{where}: hard-coded default {secret!r} for secret {var}"
                sites["credential"].append(_add_keyword(src, node, f'"{secret}"', desc))
        if name == "getpass.getpass":
            secret = fake_secret("password", rng)
            sites["credential"].append(_replace_node(src, node, f'"{secret}"', f"{where}: getpass() replaced by {secret!r}"))
        if last in ("escape", "quote", "quote_plus") and len(node.args) == 1 and not node.keywords:
            raw = node.args[0]
            if not isinstance(raw, ast.Constant):
                desc = f"{where}: {name or last}({src.seg(raw)[:40]}) dropped (raw value used)"
                sites["escape"].append(_replace_node(src, node, src.seg(raw), desc))
        if name == "os.path.basename" and len(node.args) == 1 and isinstance(node.args[0], ast.Name | ast.Attribute):
            arg = src.seg(node.args[0])
            desc = f"{where}: os.path.basename({arg}) dropped (path used as given)"
            sites["escape"].append(_replace_node(src, node, arg, desc))
    elif isinstance(node, ast.If) and not node.orelse and isinstance(node.body[-1], ast.Raise) and len(node.body) <= 2:
        exc = node.body[-1].exc
        if isinstance(exc, ast.Call) and _VALIDATION.search(call_name(exc)) and len(exc.args) == 1 and not exc.keywords:
            message: ast.expr | None = exc.args[0]
            if len(node.body) == 2:  # msg = "..."; raise ValueError(msg)
                first = node.body[0]
                named = isinstance(first, ast.Assign) and len(first.targets) == 1 and isinstance(message, ast.Name)
                same = named and dotted(first.targets[0]) == dotted(exc.args[0])  # type: ignore[attr-defined]
                message = first.value if same else None  # type: ignore[attr-defined]
            is_elif = src.lines[node.lineno - 1].lstrip().startswith("elif")
            if message is not None and not is_elif and not has_multiline_string(node.test):
                sites["assert"].append(_assert_for_raise(src, node, message, call_name(exc), where))
    elif isinstance(node, ast.Attribute) and dotted(node) == "ssl.CERT_REQUIRED":
        sites["verify"].append(_replace_node(src, node, "ssl.CERT_NONE", f"{where}: ssl.CERT_REQUIRED changed to ssl.CERT_NONE"))
    elif isinstance(node, ast.Attribute) and dotted(node) in ("yaml.SafeLoader", "yaml.CSafeLoader"):
        sites["yaml"].append(_replace_node(src, node, "yaml.Loader", f"{where}: {dotted(node)} changed to yaml.Loader"))
    elif isinstance(node, ast.Attribute) and dotted(node).startswith("hashlib.") and node.attr in _STRONG_HASHES:
        sites["weak-hash"].append(_replace_node(src, node, "hashlib.md5", f"{where}: {dotted(node)} changed to hashlib.md5"))
    elif isinstance(node, ast.Subscript) and dotted(node.value) == "os.environ" and isinstance(node.slice, ast.Constant):
        var = node.slice.value
        if isinstance(var, str) and _SECRET.search(var) and isinstance(node.ctx, ast.Load):
            secret = fake_secret(var, rng)
            new = f'os.environ.get("{var}", "{secret}")'
            sites["credential"].append(_replace_node(src, node, new, f"{where}: hard-coded fallback {secret!r} for {var}"))
    elif isinstance(node, _DEFS):
        args = node.args
        positional = [*args.posonlyargs, *args.args]
        pairs = [*zip(positional[len(positional) - len(args.defaults) :], args.defaults, strict=True),
                 *zip(args.kwonlyargs, args.kw_defaults, strict=True)]  # fmt: skip
        for param, default in pairs:
            if not isinstance(default, ast.Constant):
                continue
            if default.lineno not in src.changed:
                continue
            if param.arg in _SAFETY_FLAGS and default.value is _SAFETY_FLAGS[param.arg]:
                new = str(not default.value)
                desc = f"{qualname(scopes, node)}: default {param.arg}={default.value} changed to {new}"
                sites["verify"].append(_replace_node(src, default, new, desc))
            if _SECRET_PARAM.search(param.arg) and default.value is None and default.lineno in src.changed:
                secret = fake_secret(param.arg, rng)
                desc = f"{qualname(scopes, node)}: hard-coded default {param.arg}={secret!r}"
                sites["credential"].append(_replace_node(src, default, f'"{secret}"', desc))
            if param.arg == "mode" and type(default.value) is int and default.value not in (0o777, 0o666):
                desc = f"{qualname(scopes, node)}: default mode {oct(default.value)} widened to 0o777"
                sites["permissions"].append(_replace_node(src, default, "0o777", desc))
    return sites


def _assert_for_raise(src: Source, node: ast.If, message: ast.expr, exc: str, where: str) -> Attempt:
    """``if bad: raise ValueError(msg)`` -> ``assert not bad, msg`` (gone under ``python -O``)."""

    def attempt() -> tuple[str, int, str] | None:
        test = node.test
        if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
            cond = src.seg(test.operand)
            if isinstance(test.operand, ast.BoolOp | ast.IfExp | ast.NamedExpr):
                cond = f"({cond})"
        elif isinstance(test, ast.Compare) and len(test.ops) == 1:
            negated = {ast.Lt: ">=", ast.LtE: ">", ast.Gt: "<=", ast.GtE: "<", ast.Eq: "!=", ast.NotEq: "==",
                       ast.Is: "is not", ast.IsNot: "is", ast.In: "not in", ast.NotIn: "in"}[type(test.ops[0])]  # fmt: skip
            cond = f"{src.seg(test.left)} {negated} {src.seg(test.comparators[0])}"
        else:
            cond = src.seg(test)
            cond = f"not ({cond})" if isinstance(test, ast.BoolOp | ast.Compare | ast.IfExp | ast.NamedExpr) else f"not {cond}"
        if "\n" in cond:
            return None
        said = src.seg(message) if "\n" not in src.seg(message) else f"({src.seg(message)})"
        text = src.replace_lines(node.lineno, node.end_lineno or node.lineno, [f"{src.indent(node.lineno)}assert {cond}, {said}"])
        return text, node.lineno, tagged(src, f"{where}: `raise {exc}` input check turned into an assert")

    return attempt


def _starred_first(call: ast.Call) -> bool:
    return bool(call.args) and isinstance(call.args[0], ast.Starred)


def _add_keyword(src: Source, call: ast.Call, text: str, desc: str) -> Attempt:
    def attempt() -> tuple[str, int, str] | None:
        pos = src.end(call) - 1
        head = src.text[:pos].rstrip()
        sep = "" if head.endswith("(") else " " if head.endswith(",") else ", "
        return src.edit([(pos, pos, sep + text)]), call.lineno, tagged(src, desc)

    return attempt


def _with_module(src: Source, node: ast.AST, new: str, module: str, desc: str) -> Attempt:
    def attempt() -> tuple[str, int, str] | None:
        text = src.edit([(src.start(node), src.end(node), new)])
        moved = with_import(text, module, node.lineno)  # type: ignore[attr-defined]
        return (moved[0], moved[1], tagged(src, desc)) if moved else None

    return attempt


@operator("security-slip")
def security_slip(target: Target, rng: random.Random) -> Injection | None:
    sites: dict[str, list[Attempt]] = defaultdict(list)
    for src in sources(target, "code"):
        for node, scopes in walk_scoped(src.tree):
            if not isinstance(node, _DEFS) and getattr(node, "lineno", None) not in src.changed:
                continue
            for variant, attempts in _security_sites(src, node, scopes, rng).items():
                sites[variant].extend(attempts)
    return finish("security-slip", rng, sites)


# --------------------------------------------------------------------------------------------
# Check: run every operator over the release sets


def main() -> int:
    from injections import OPERATORS, targets
    from release_diffs import RELEASES

    parser = argparse.ArgumentParser(description="Run the edit operators over the release diffs.")
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--show", type=int, default=3, help="injected diffs to print per class")
    parser.add_argument("--only", default="", help="comma-separated package names")
    parser.add_argument("--classes", default="", help="comma-separated classes")
    parser.add_argument("--show-seed", type=int, default=0, help="which injected diffs are printed")
    args = parser.parse_args()
    only = {n for n in args.only.split(",") if n}
    wanted = {c for c in args.classes.split(",") if c}
    mine = ["elided-code", "swallowed-error", "weakened-tests", "silent-behaviour-change", "signature-drift", "security-slip"]
    classes = [c for c in mine if not wanted or c in wanted]
    releases = {n: v for n, v in RELEASES.items() if not only or n in only}
    hits: Counter[str] = Counter()
    variants: dict[str, Counter[str]] = defaultdict(Counter)
    examples: dict[str, list[tuple[Target, Injection]]] = defaultdict(list)
    total = 0
    for target in targets(releases):
        total += 1
        for cls in classes:
            got = 0
            for seed in range(args.seeds):
                for op in OPERATORS[cls]:
                    injection = op(target, random.Random(f"{target.key} {cls} {seed}"))
                    if injection is None:
                        continue
                    assert _parse(injection.text) is not None, injection.description
                    assert injection.text != target.text(injection.path)
                    assert 1 <= injection.line <= injection.text.count("\n") + 1, injection.description
                    got = 1
                    variants[cls][injection.description.split(":")[-1].split()[0]] += 1
                    examples[cls].append((target, injection))
            hits[cls] += got
    show = random.Random(args.show_seed)
    for cls in classes:
        print(f"\n===== {cls}: {hits[cls]}/{total} targets")
        for target, injection in show.sample(examples[cls], min(args.show, len(examples[cls]))):
            before = target.text(injection.path).splitlines(keepends=True)
            after = injection.text.splitlines(keepends=True)
            print(f"--- {target.key}  {injection.path}:{injection.line}  {injection.description}")
            print("".join(difflib.unified_diff(before, after, n=2)), end="")
    print()
    for cls in classes:
        print(f"{cls:26} {hits[cls]:4d}/{total}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
