"""An index of the repo's call sites by callee name, built once per check, cached per file content."""

from __future__ import annotations

import ast
import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from guard.changes import parse_tree
from guard.repo import module_name, python_files, read_text
from guard.resolve.signature import CallShape, chain


@dataclass(frozen=True)
class Site:
    path: str
    module: str
    line: int
    column: int
    callee: str
    """The callee as written (dotted), e.g. ``money.format_money`` or ``self.render``."""
    shape: CallShape
    cls: str | None
    """The top-level class whose method contains the call (for ``self.x(...)``)."""


@dataclass(frozen=True)
class _Raw:
    line: int
    column: int
    callee: str
    shape: CallShape
    cls: str | None


@lru_cache(maxsize=4096)
def _sites_in(digest: str, text: str, shared: bool = False) -> tuple[_Raw, ...]:
    """``shared``: a text the patch leaves (its tree is parsed once, see :func:`parse_tree`)."""
    try:
        tree = parse_tree(text) if shared else ast.parse(text)
    except (SyntaxError, ValueError, RecursionError):
        return ()
    found: list[_Raw] = []
    # Depth first, in source order, with a stack of child iterators rather than recursion: a
    # deeply nested expression (a generated chain of thousands of `+`) must not exhaust the stack.
    stack: list[tuple[Iterator[ast.AST], str | None, int]] = [(ast.iter_child_nodes(tree), None, 0)]
    while stack:
        children, cls, depth = stack[-1]
        child = next(children, None)
        if child is None:
            stack.pop()
            continue
        if isinstance(child, ast.ClassDef):
            stack.append((ast.iter_child_nodes(child), child.name if depth == 0 else None, depth + 1))
            continue
        if isinstance(child, ast.Call):
            callee = chain(child.func)
            if callee:
                found.append(_Raw(child.lineno, child.col_offset + 1, callee, _shape(child), cls))
        stack.append((ast.iter_child_nodes(child), cls, depth + isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef)))
    return tuple(found)


def _shape(call: ast.Call) -> CallShape:
    return CallShape(
        sum(1 for a in call.args if not isinstance(a, ast.Starred)),
        tuple(k.arg for k in call.keywords if k.arg is not None),
        any(isinstance(a, ast.Starred) for a in call.args),
        any(k.arg is None for k in call.keywords),
    )


def index(repo: Path, overlay: dict[str, str | None]) -> dict[str, list[Site]]:
    """Every call in the repo (as the patch leaves it), keyed by the callee's last name."""
    paths = set(python_files(repo)) if repo.is_dir() else set()
    paths |= {p for p, t in overlay.items() if t is not None and p.endswith(".py")}
    out: dict[str, list[Site]] = {}
    for rel in sorted(paths):
        text = overlay.get(rel) if rel in overlay else read_text(repo / rel)
        if text is None:
            continue
        digest = hashlib.sha1(text.encode("utf-8", "surrogatepass")).hexdigest()
        module = module_name(repo, rel)
        for raw in _sites_in(digest, text, rel in overlay):
            site = Site(rel, module, raw.line, raw.column, raw.callee, raw.shape, raw.cls)
            out.setdefault(raw.callee.rsplit(".", 1)[-1], []).append(site)
    return out


