"""Comparing what the old and the new version did, across the two worlds.

A class defined in a touched module exists twice (old and new module objects), so values are
compared through a canonical form in which such objects are reduced to their qualified class
name and their attributes. An object whose class defines its own ``__eq__`` is compared with it;
when the two sides are instances of the two worlds' copies of one class (whose ``__eq__`` often
starts with ``isinstance(other, ThisClass)``), by their state instead. Default reprs carry object
addresses (``<pkg.Item object at 0x7f...>``), which differ from run to run: orderings by repr
ignore them."""

from __future__ import annotations

import contextlib
import dataclasses
import enum
import io
import math
import re
import reprlib
import types
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from types import ModuleType
from typing import Any

_repr = reprlib.Repr()
_repr.maxstring = 80
_repr.maxother = 80
_repr.maxlist = _repr.maxtuple = _repr.maxdict = _repr.maxset = 8


@dataclass(frozen=True)
class Outcome:
    kind: str
    """'return', 'raise', 'timeout' or 'violation'."""
    value: Any = None
    exc: BaseException | None = None
    violations: tuple[str, ...] = ()

    def shape(self) -> object:
        if self.kind == "return":
            return ("return", canon(self.value))
        if self.kind == "raise":
            return ("raise", type(self.exc).__name__)
        return (self.kind,)

    def describe(self) -> str:
        if self.kind == "return":
            return show(self.value)
        if self.kind == "raise":
            return f"raises {type(self.exc).__name__}: {show_text(str(self.exc))}"
        if self.kind == "violation":
            return "; ".join(self.violations)
        return self.kind


MAX_DRAWN = 16
"""Items taken from a generator a function returns, to compare what it yields."""


@dataclass(frozen=True)
class Drawn:
    """What a returned generator yields first: up to :data:`MAX_DRAWN` items, and the type of the
    exception that ended it early, if any. A generator object itself compares by identity, so a
    function that yields other values (``expo()`` yielding ``2, 4, 8`` instead of ``1, 2, 4``)
    would look unchanged."""

    items: tuple[object, ...]
    error: str | None = None
    label = "generator"

    def __repr__(self) -> str:
        shown = ", ".join(show(v) for v in self.items[:8])
        more = ", ..." if len(self.items) > 8 else ""
        end = f", then raises {self.error}" if self.error else ""
        return f"<{self.label} yielding {shown}{more}{end}>"


class DrawnIterator(Drawn):
    """What another returned iterator (``zip``, ``map``, ``iter(list)``, an ``itertools`` object,
    a class with ``__next__``) yields first. It compares equal to a generator yielding the same:
    returning ``iter(items)`` instead of yielding them is a refactor, not a change of behaviour,
    and an iterator object compares by identity, so what it yields would go unseen."""

    label = "iterator"


def drain(value: object) -> object:
    """``value``, or for a generator (which runs nothing until iterated) or another iterator what
    it yields first, as a :class:`Drawn`. Run inside the call's time limit and audit: the yields
    are the function's own code. A file is left as it is (:func:`canon` reads its contents)."""
    generator = isinstance(value, types.GeneratorType)
    if not generator and (not isinstance(value, Iterator) or isinstance(value, io.IOBase)):
        return value
    items: list[object] = []
    error = None
    try:
        for item in value:  # type: ignore[attr-defined]
            items.append(item)
            if len(items) >= MAX_DRAWN:
                break
    except Exception as exc:  # the iterator's own error ends what it yields
        error = type(exc).__name__
    finally:
        if generator:
            with contextlib.suppress(Exception):
                value.close()  # type: ignore[attr-defined]
    return Drawn(tuple(items), error) if generator else DrawnIterator(tuple(items), error)


_ADDRESS = re.compile(r" at 0x[0-9a-fA-F]+")


def show(value: object) -> str:
    """A short repr, without the memory addresses of default reprs (``<Foo object at 0x7f..>``):
    they differ run to run, and the same patch must get the same message."""
    try:
        return _ADDRESS.sub("", _repr.repr(value))
    except Exception:
        return f"<unrepresentable {type(value).__qualname__}>"


def show_text(text: str) -> str:
    return text if len(text) <= 160 else text[:157] + "..."


def canon(value: object, depth: int = 0) -> object:
    """A form of ``value`` whose ``==`` ignores which world a class came from."""
    if depth > 30:
        return ("...",)
    t = type(value)
    if value is None or t in (bool, int, str, bytes):
        return value
    if t is float:
        return ("nan",) if math.isnan(value) else value  # type: ignore[arg-type]
    if isinstance(value, Drawn):  # a generator and an iterator yielding the same are the same
        return ("yields", canon(value.items, depth + 1), value.error)
    if isinstance(value, enum.Enum):
        return ("enum", t.__qualname__, value.name)
    if t in (io.BytesIO, io.StringIO):
        return ("file", t.__qualname__, _contents(value))  # type: ignore[arg-type]
    if isinstance(value, (list, tuple)):
        return (t.__qualname__, tuple(canon(v, depth + 1) for v in value))
    if isinstance(value, (set, frozenset)):
        return (t.__qualname__, _sorted(canon(v, depth + 1) for v in value))
    if isinstance(value, Mapping):
        items = [("tuple", (canon(k, depth + 1), canon(v, depth + 1))) for k, v in value.items()]
        # ordered by key alone: keys are small, values (a 1 MiB body) can be costly to repr
        return (t.__qualname__, tuple(sorted(items, key=lambda item: order_key(item[1][0]))))
    if dataclasses.is_dataclass(value) or (
        hasattr(value, "__dict__") and t.__eq__ is object.__eq__
    ):
        return ("object", t.__qualname__, canon(vars(value), depth + 1))
    if t.__eq__ is object.__eq__:
        return ("opaque", t.__qualname__)
    try:
        if value != value:  # NaN-like (Decimal('NaN'), numpy.nan): equal to its twin, not to itself
            return ("nan", t.__qualname__)
    except Exception:
        pass
    if hasattr(value, "__dict__") or _slots(t):
        return ("eq", t.__qualname__, Compared(value, depth))
    return ("eq", t.__qualname__, value)


def _contents(file: io.BytesIO | io.StringIO) -> object:
    """What an in-memory file holds (a closed one: that it is closed)."""
    try:
        return file.getvalue()
    except ValueError:
        return ("closed",)


def _slots(t: type) -> tuple[str, ...]:
    names: list[str] = []
    for klass in t.__mro__:
        declared = klass.__dict__.get("__slots__", ())
        names.extend([declared] if isinstance(declared, str) else declared)
    return tuple(n for n in names if n not in ("__dict__", "__weakref__"))


def state_of(value: object, depth: int = 0) -> object:
    """An object's own state in canonical form: its attributes (``__dict__`` and slots)."""
    attrs: dict[str, object] = dict(getattr(value, "__dict__", {}))
    for name in _slots(type(value)):
        if hasattr(value, name):
            attrs[name] = getattr(value, name)
    return canon(attrs, depth + 1)


class Compared:
    """An object compared by its class's own ``__eq__``, and, against an instance of the other
    world's copy of its class (which that ``__eq__`` may reject for being another class), by its
    state (see :func:`state_of`) when ``__eq__`` says no. Shown as the object itself."""

    __slots__ = ("depth", "value")

    def __init__(self, value: object, depth: int = 0) -> None:
        self.value = value
        self.depth = depth

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Compared):
            return NotImplemented
        a, b = self.value, other.value
        if bool(a == b):
            return True
        return twins(type(a), type(b)) and bool(state_of(a, self.depth) == state_of(b, other.depth))

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return repr(self.value)


def twins(a: type, b: type) -> bool:
    """Two copies of one class: the old and the new world's (same module and qualified name)."""
    return a is not b and a.__module__ == b.__module__ and a.__qualname__ == b.__qualname__


_ADDRESS = re.compile(r" at 0x[0-9a-fA-F]+")


def stable_repr(value: object) -> str:
    """``repr`` without object addresses (``<pkg.Item object at 0x7f...>``): the same in both worlds."""
    return _ADDRESS.sub(" at 0x", repr(value))


def order_key(form: object, depth: int = 0) -> str:
    """A sort key for a canonical form that is the same in both worlds: its repr without addresses,
    with an object compared by ``__eq__`` also shown by its state (its repr may say nothing more
    than its class and address, and hash order is no order)."""
    if depth > 40:
        return "..."
    if isinstance(form, tuple):
        return "(" + ", ".join(order_key(part, depth + 1) for part in form) + ")"
    if isinstance(form, Compared):
        return f"{stable_repr(form.value)} {order_key(state_of(form.value, form.depth), depth + 1)}"
    return stable_repr(form)


def _sorted(items: Any) -> tuple[object, ...]:
    return tuple(sorted(items, key=order_key))


def same(a: object, b: object) -> bool:
    try:
        return bool(a == b)
    except Exception:  # e.g. ambiguous array truth values: cannot tell, so do not accuse
        return True


def differences(a: object, b: object, path: tuple[int, ...] = (), depth: int = 0
                ) -> set[tuple[int, ...]]:
    """Where two canonical forms differ: the paths of the differing parts (a part whose shape
    differs counts as one difference)."""
    if same(a, b):
        return set()
    if (depth < 40 and isinstance(a, tuple) and isinstance(b, tuple) and len(a) == len(b)
            and type(a) is type(b)):
        found: set[tuple[int, ...]] = set()
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            found |= differences(x, y, (*path, i), depth + 1)
        return found or {path}
    return {path}


def translator(new: Mapping[str, ModuleType], old: Mapping[str, ModuleType]) -> Callable[[Any], Any]:
    """Map values whose classes live in new touched modules onto the old modules' classes."""

    def twin(t: type) -> type | None:
        mod = old.get(t.__module__)
        if t.__module__ not in new or mod is None:
            return None
        found: Any = mod
        for part in t.__qualname__.split("."):
            found = getattr(found, part, None)
        return found if isinstance(found, type) else None

    def convert(value: Any, depth: int = 0) -> Any:
        if depth > 30:
            return value
        t = type(value)
        other = twin(t)
        if other is not None and isinstance(value, enum.Enum):
            return other[value.name]  # type: ignore[index]
        if other is not None and hasattr(value, "__dict__"):
            obj: Any = object.__new__(other)
            obj.__dict__.update({k: convert(v, depth + 1) for k, v in vars(value).items()})
            return obj
        if t in (list, tuple, set, frozenset):
            return t(convert(v, depth + 1) for v in value)
        if t is dict:
            return {convert(k, depth + 1): convert(v, depth + 1) for k, v in value.items()}
        return value

    return convert
