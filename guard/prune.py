"""The patched file as guard's rules need to see it: unchanged function bodies left out.

libcst's metadata (scopes, qualified names, parents, positions) costs about half a millisecond per
line for the whole file, and the rules report only on changed lines. So before the rules' tree is
built, the body of every function the patch did not touch, and that nothing kept refers to, is
replaced by ``pass`` followed by blank lines: every kept line keeps its number and its columns, so
positions and findings are unchanged.

A function is kept whole when
- the patch changed a line of it or next to it (a removal at the end of a body is marked on the
  line after it);
- its body names a function the patch changed or removed (a same-file caller, which signature and
  removal checks read);
- a changed statement or a kept function names it (a same-file helper the rules may follow: a
  value's origin, a session factory), transitively;
- it is a dunder method of a class that keeps another method (``__init__`` says what ``self``
  holds).
Only functions outside any other function are pruned (a nested one goes with its parent), and
only when their body starts on a line of its own.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class _Unit:
    name: str
    start: int
    """First line, decorators included."""
    end: int
    body_start: int
    body_column: int
    """The first body statement's column, in UTF-8 bytes as ``ast`` gives it."""
    owner: ast.ClassDef | None
    names: frozenset[str]
    """Identifiers the body uses (names and attribute names)."""


def identifiers(nodes: Iterable[ast.AST]) -> set[str]:
    """The bare names and attribute names used anywhere under ``nodes``."""
    out: set[str] = set()
    for top in nodes:
        for node in ast.walk(top):
            if isinstance(node, ast.Name):
                out.add(node.id)
            elif isinstance(node, ast.Attribute):
                out.add(node.attr)
    return out


def _units(tree: ast.Module, near: set[int]) -> tuple[list[_Unit], set[str]]:
    """The prunable functions, and the identifiers the changed statements outside them use."""
    units: list[_Unit] = []
    changed_outside: set[str] = set()

    def touched(node: ast.AST) -> bool:
        start: int = getattr(node, "lineno", 0)
        end: int = getattr(node, "end_lineno", None) or start
        return any(start <= line <= end for line in near)

    def walk(body: list[ast.stmt], owner: ast.ClassDef | None) -> None:
        for stmt in body:
            if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef):
                start = min([d.lineno for d in stmt.decorator_list] + [stmt.lineno])
                header = [*stmt.decorator_list, stmt.args, *([stmt.returns] if stmt.returns else [])]
                first = stmt.body[0]  # a decorated first statement starts at its first decorator
                body_start = min([d.lineno for d in getattr(first, "decorator_list", ())] + [first.lineno])
                units.append(
                    _Unit(stmt.name, start, stmt.end_lineno or stmt.lineno, body_start,
                          first.col_offset, owner, frozenset(identifiers([*header, *stmt.body])))
                )  # fmt: skip
            elif isinstance(stmt, ast.ClassDef):
                for part in [*stmt.bases, *stmt.keywords, *stmt.decorator_list]:
                    if touched(part):
                        changed_outside.update(identifiers([part]))
                walk(stmt.body, stmt)
            elif touched(stmt):
                changed_outside.update(identifiers([stmt]))

    walk(tree.body, None)
    return units, changed_outside


def pruned_text(text: str, tree: ast.Module, changed: frozenset[int], seeds: frozenset[str]) -> str:
    """``text`` with the bodies of the functions the rules need not see replaced (see above);
    ``changed`` are the patch's lines in ``text``, ``seeds`` the names of the functions it changed
    or removed."""
    near = {line + d for line in changed for d in (-1, 0, 1)}
    units, used = _units(tree, near)
    kept: set[int] = set()
    for i, u in enumerate(units):
        if any(u.start <= line <= u.end for line in near) or u.names & seeds:
            kept.add(i)
    while True:
        for i in kept:
            used |= units[i].names
        owners = {id(units[i].owner) for i in kept if units[i].owner is not None}
        grown = {
            i for i, u in enumerate(units)
            if i not in kept and (u.name in used or (id(u.owner) in owners and u.name.startswith("__")))
        }  # fmt: skip
        if not grown:
            break
        kept |= grown
    lines = text.splitlines(keepends=True)
    for i, u in enumerate(units):
        if i in kept or u.body_start <= u.start or u.end > len(lines):
            continue
        first = lines[u.body_start - 1]
        indent = first[: len(first) - len(first.lstrip(" \t"))]
        if not indent or len(indent.encode()) != u.body_column:
            continue  # the body shares its first line with the signature
        for n in range(u.body_start - 1, u.end):
            lines[n] = _ending(lines[n])
        lines[u.body_start - 1] = f"{indent}pass{_ending(first)}"
    return "".join(lines)


def _ending(line: str) -> str:
    return line[len(line.rstrip("\r\n")) :] or "\n"
