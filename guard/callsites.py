"""The literal arguments the repo passes to a function: what its callers and tests show it takes.

The property search needs values for every parameter. An unannotated parameter with no default and
no telling name (``caller``, ``maxsize``, ``fullname``) left the function untested. Its call sites
often say what it takes: ``mru_cache(maxsize=32)``, ``check_label("xn--abc", 3)``. Each call of a
name in the repo's Python files (as the patch leaves them) is read with ``ast``, never run; an
argument that is a literal (``ast.literal_eval`` accepts it) is kept, by position or keyword.
Calls are matched by the callee's last name (``f(...)``, ``obj.f(...)``, ``Cls(...)``), so a
method of another class with the same name may contribute values too: they are examples for the
search, never a verdict.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable, Collection, Iterable
from functools import lru_cache

MAX_VALUES = 12
"""Distinct values kept per argument slot."""

MAX_REPR = 200
"""A literal longer than this (as written) is left out: a test's fixture blob is no example."""

CallValues = dict[str, list[str]]
"""Argument slot (a position ``"0"``, ``"1"``, ... or a keyword) → ``repr`` of literals passed."""


def argument_values(
    names: Collection[str], files: Iterable[str], read: Callable[[str], str | None]
) -> dict[str, CallValues]:
    """For each name in ``names``: the literals passed to it, per slot, across ``files``."""
    wanted = {n for n in names if n.isidentifier()}
    if not wanted:
        return {}
    pattern = re.compile(r"\b(?:" + "|".join(sorted(map(re.escape, wanted))) + r")\s*\(")
    out: dict[str, CallValues] = {}
    for rel in files:
        text = read(rel)
        if not text or not pattern.search(text):
            continue
        for name, slot, value in _calls(text):
            if name not in wanted:
                continue
            kept = out.setdefault(name, {}).setdefault(slot, [])
            if value not in kept and len(kept) < MAX_VALUES:
                kept.append(value)
    return out


@lru_cache(maxsize=512)
def _calls(text: str) -> tuple[tuple[str, str, str], ...]:
    """(callee's last name, slot, repr of a literal argument) for every call in ``text``."""
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError):
        return ()
    found: list[tuple[str, str, str]] = []
    calls = [node for node in ast.walk(tree) if isinstance(node, ast.Call)]
    for node in sorted(calls, key=lambda n: (n.lineno, n.col_offset)):  # in reading order
        func = node.func
        name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else None
        if name is None:
            continue
        for i, arg in enumerate(node.args):
            if isinstance(arg, ast.Starred):
                break  # positions after a *args are unknown
            value = _literal(arg)
            if value is not None:
                found.append((name, str(i), value))
        for kw in node.keywords:
            if kw.arg is not None:
                value = _literal(kw.value)
                if value is not None:
                    found.append((name, kw.arg, value))
    return tuple(found)


def _literal(node: ast.expr) -> str | None:
    """The literal's ``repr``, when it reads back with ``ast.literal_eval`` (the property search
    rebuilds values from it; ``float('inf')``'s ``inf`` does not) and is short enough."""
    try:
        text = repr(ast.literal_eval(node))
        if len(text) > MAX_REPR:
            return None
        ast.literal_eval(text)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return None
    return text
