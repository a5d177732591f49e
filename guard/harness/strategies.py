"""Hypothesis strategies for a callable's parameters, derived in a fixed order: the annotation,
then the default value, then (weakly) the parameter's name. When none of them gives something
safe to generate, say why instead of guessing."""

from __future__ import annotations

import collections.abc as abc
import inspect
import io
import re
import types
import typing
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from hypothesis import strategies as st

Strategy = st.SearchStrategy[Any]


class NoStrategy(Exception):
    """No safe strategy; the message is the user-facing reason."""


@dataclass(frozen=True)
class Plan:
    kwargs: st.SearchStrategy[dict[str, Any]]
    positional: tuple[str, ...]
    """Positional-only parameters, passed in this order before the keywords."""
    weak: tuple[str, ...]
    """Parameters whose values come from their name or are fixed to their default."""


_UNSAFE: dict[object, str] = {
    typing.Any: "Any", object: "object", abc.Callable: "Callable", abc.Iterator: "Iterator",
    abc.Generator: "Generator", abc.AsyncIterator: "AsyncIterator", abc.Awaitable: "Awaitable",
    abc.Coroutine: "Coroutine", type: "type",
}
_LISTLIKE = {list, abc.Sequence, abc.MutableSequence, abc.Iterable, abc.Collection}
_SETLIKE = {set: st.sets, frozenset: st.frozensets, abc.Set: st.frozensets, abc.MutableSet: st.sets}
_DICTLIKE = {dict, abc.Mapping, abc.MutableMapping}
def integers() -> Strategy:
    """Integers, half of them small: boundaries (``len(text) == limit``, ``i == len(xs) - 1``) are
    where refactors break, and unbounded integers almost never meet the sizes of generated data."""
    return st.one_of(st.integers(min_value=-2, max_value=12), st.integers())


_BY_NAME: list[tuple[str, Callable[[], Strategy]]] = [
    (r"(n|i|j|k|m|count|size|index|idx|num|number|length|width|height|limit|offset|start|end"
     r"|stop|step|depth|level|times|.*_(count|size|index|idx|len|num))", integers),
    (r"(x|y|z|ratio|rate|factor|weight|threshold|alpha|scale|amount|price|prob)",
     lambda: st.floats(allow_nan=False)),
    (r"(s|text|string|name|word|line|prefix|suffix|sep|label|title|message|msg|query"
     r"|.*_(name|str|text))", st.text),
    (r"(flag|verbose|strict|enabled|(is|has|allow|use)_.*)", st.booleans),
    (r"(items|values|xs|ys|nums|numbers|ints|lst|seq|scores)", lambda: st.lists(integers())),
    (r"(words|names|lines|strings|texts|tokens)", lambda: st.lists(st.text())),
]


def from_annotation(tp: Any) -> Strategy:
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if tp is int:
        return integers()
    for unsafe, label in _UNSAFE.items():
        if tp is unsafe or origin is unsafe:
            raise NoStrategy(f"no safe strategy for {label}")
    if isinstance(tp, (typing.TypeVar, str, typing.ForwardRef)):
        raise NoStrategy(f"unresolved annotation {tp!r}")
    if isinstance(tp, type) and issubclass(tp, io.IOBase):
        raise NoStrategy(f"no safe strategy for {tp.__name__}")
    if origin is typing.Annotated:
        return from_annotation(args[0])
    if origin is typing.Union or origin is types.UnionType:
        return st.one_of([from_annotation(a) for a in args])
    if origin is typing.Literal:
        return st.sampled_from(args)
    if args and origin in _LISTLIKE:
        return st.lists(from_annotation(args[0]), max_size=20)
    if args and origin in _SETLIKE:
        return _SETLIKE[origin](from_annotation(args[0]), max_size=20)
    if len(args) == 2 and origin in _DICTLIKE:
        return st.dictionaries(from_annotation(args[0]), from_annotation(args[1]), max_size=20)
    if origin is tuple and args:
        if len(args) == 2 and args[1] is Ellipsis:
            return st.lists(from_annotation(args[0]), max_size=20).map(tuple)
        return st.tuples(*(from_annotation(a) for a in args))
    return st.from_type(tp)


def _from_default(default: object) -> Strategy | None:
    simple: dict[type, Callable[[], Strategy]] = {
        bool: st.booleans, int: integers, float: st.floats, str: st.text, bytes: st.binary,
    }
    make = simple.get(type(default))
    return make() if make is not None else None


def _from_name(name: str) -> Strategy | None:
    bare = name.lstrip("_").lower()
    for pattern, make in _BY_NAME:
        if re.fullmatch(pattern, bare):
            return make()
    return None


def _hints(obj: Callable[..., Any]) -> dict[str, Any]:
    target: Any = getattr(obj, "__init__", obj) if isinstance(obj, type) else obj
    try:
        return typing.get_type_hints(target)
    except Exception:  # unresolvable forward references: treat as unannotated
        return {}


def plan_for(obj: Callable[..., Any]) -> Plan:
    """Strategies for calling ``obj`` (a function, bound method or class)."""
    try:
        sig = inspect.signature(obj)
    except (TypeError, ValueError) as exc:
        raise NoStrategy(f"no signature: {exc}") from exc
    hints = _hints(obj)
    fields: dict[str, Strategy] = {}
    positional: list[str] = []
    weak: list[str] = []
    for p in sig.parameters.values():
        if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
            continue
        if p.name in hints:
            try:
                strategy = from_annotation(hints[p.name])
            except NoStrategy as exc:
                raise NoStrategy(f"parameter {p.name!r}: {exc}") from None
        else:
            has_default = p.default is not p.empty
            found = _from_default(p.default) if has_default else None
            if found is None:
                found = _from_name(p.name)
                if found is None and has_default:
                    found = st.just(p.default)
                if found is None:
                    raise NoStrategy(f"parameter {p.name!r} has no annotation, usable default "
                                     "or recognisable name")
                weak.append(p.name)
            strategy = found
        fields[p.name] = strategy
        if p.kind is p.POSITIONAL_ONLY:
            positional.append(p.name)
    return Plan(st.fixed_dictionaries(fields), tuple(positional), tuple(weak))
