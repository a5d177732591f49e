"""Hypothesis strategies for a callable's parameters, derived in a fixed order: the annotation,
then the default value, then the parameter's use in the body, then (weakly) its name. When none
of them gives something safe to generate, say why instead of guessing.

Every strategy mixes the generic values with the constants mined from the changed code
(:mod:`guard.harness.mining`): the literals it compares against and their neighbours, strings
built from the prefixes, suffixes and separators it looks for, mappings holding the keys it
looks up, sequences of the sizes it checks. Instances of the repo's own classes are built from
their constructors' parameters in the same way, lazily (a :class:`Build` recipe, constructed
inside the sandboxed call, never while Hypothesis generates)."""

from __future__ import annotations

import ast
import collections
import collections.abc as abc
import copy
import dataclasses
import enum
import inspect
import io
import operator
import re
import types
import typing
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from hypothesis import strategies as st

from guard.harness.mining import Mined

Strategy = st.SearchStrategy[Any]


class NoStrategy(Exception):
    """No safe strategy; the message is the user-facing reason."""


@dataclass
class Context:
    """What the strategies for one function may draw on."""

    mined: Mined = field(default_factory=Mined)
    local: frozenset[str] = frozenset()
    """Top-level packages whose classes are built from their constructors' parameters."""
    init_constants: Callable[[type], Mined] = field(default=lambda cls: Mined())
    """The constants a class's constructor checks its arguments against."""
    mutators: Callable[[type], frozenset[str] | None] = field(default=lambda cls: None)
    """The methods of a class that change its instances' state (None: unknown)."""
    kinds: dict[str, str] = field(default_factory=dict)
    """Types inferred from use, for the unannotated parameters of the function under test."""
    depth: int = 0
    sizes: tuple[int, ...] = ()
    """Sizes the function compares this value's length against (set per parameter)."""
    equals: tuple[object, ...] = ()
    """Literals the function compares this value with (set per parameter)."""
    focus: bool = False
    """Draw only the mined and targeted values where there are any (a boundary-value pass
    before the mixed, generic search)."""
    building: bool = True
    """Whether instances of repo classes may be built (not for the arguments of set-up calls,
    which should stay cheap to generate)."""
    loose: set[str] = field(default_factory=set)
    """Why some generated values may not be what the code expects (Any, TypeVar, inferred
    types, defaults standing in for callables), shared by every derived context."""
    calls: Mapping[str, Mapping[str, Sequence[str]]] = field(default_factory=dict)
    """The literals the repo passes to a callable (``repr`` as written), by the callable's name
    and the argument's slot, a position (``"0"``) or a keyword (see :mod:`guard.callsites`)."""

    def for_other(self, extra: Mined | None = None) -> Context:
        """The context for another callable (a constructor, a set-up method): same constants,
        none of the function's own inferred parameter types."""
        mined = self.mined if extra is None or extra.empty() else self.mined.merge(extra)
        return dataclasses.replace(self, mined=mined, kinds={}, depth=self.depth + 1, sizes=(),
                                   equals=())

    def for_param(self, name: str) -> Context:
        """For the parameter (or constructor field) ``name``: the sizes and literals the code
        checks a value of that name against (``len(request.body)``, ``request.method``)."""
        sizes = tuple(self.mined.sizes.get(name, ()))
        equals = tuple(self.mined.equals.get(name, ()))
        if (sizes, equals) == (self.sizes, self.equals):
            return self
        return dataclasses.replace(self, sizes=sizes, equals=equals)

    @property
    def max_size(self) -> int:
        """Collections inside built instances stay small: generating them is most of the cost."""
        return 20 if self.depth <= 1 else 4

    def inner(self) -> Context:
        """For the elements of a container: the container's sizes are not theirs."""
        if self.sizes or self.equals:
            return dataclasses.replace(self, sizes=(), equals=())
        return self


@dataclass(frozen=True)
class Plan:
    kwargs: st.SearchStrategy[dict[str, Any]]
    positional: tuple[str, ...]
    """Positional-only parameters, passed in this order before the keywords."""
    weak: tuple[str, ...]
    """Parameters whose values come from their name or use, or are fixed to their default."""


@dataclass(frozen=True)
class Build:
    """A recipe for an instance of a repo class, realised inside the call (where untrusted
    constructors run under the sandbox's guards) and in the world the call runs in."""

    module: str
    qualname: str
    kwargs: dict[str, Any]

    def __repr__(self) -> str:
        inner = ", ".join(f"{k}={v!r}" for k, v in self.kwargs.items())
        return f"{self.qualname.rsplit('.', 1)[-1]}({inner})"


def realize(value: Any, modules: Mapping[str, Any], depth: int = 0) -> Any:
    """``value`` with every :class:`Build` constructed from the classes in ``modules``."""
    if depth > 20:
        return value
    if isinstance(value, Build):
        owner: Any = modules[value.module]
        for part in value.qualname.split("."):
            owner = getattr(owner, part)
        return owner(**realize(value.kwargs, modules, depth + 1))
    t = type(value)
    if t in (list, tuple, set, frozenset) or t is collections.deque:
        return t(realize(v, modules, depth + 1) for v in value)
    if t is dict:
        return {k: realize(v, modules, depth + 1) for k, v in value.items()}
    return value


def _is_callable(tp: Any) -> bool:
    return tp is abc.Callable or typing.get_origin(tp) is abc.Callable


class Returns:
    """A function for a parameter typed ``Callable[[...], R]``: whatever it is called with, it
    returns a copy of one drawn value of ``R`` (``parse_float: Callable[[str], Any]`` is given
    ``returns(0)``). Pure and deterministic, so the old and the new code meet the same function,
    and a function-typed parameter (a parser's hook, a key function) no longer leaves its
    function untested. A bare ``Callable`` (what it takes or returns unknown) stays untested."""

    def __init__(self, value: Any) -> None:
        self.value = value

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return copy.deepcopy(self.value)

    def __repr__(self) -> str:
        return f"returns({self.value!r})"


_UNSAFE: dict[object, str] = {
    typing.Any: "Any", object: "object", abc.Callable: "Callable", abc.Iterator: "Iterator",
    abc.Generator: "Generator", abc.AsyncIterator: "AsyncIterator", abc.Awaitable: "Awaitable",
    abc.Coroutine: "Coroutine", type: "type",
}
_ANY = (typing.Any, object)
_LISTLIKE = {list, abc.Sequence, abc.MutableSequence, abc.Iterable, abc.Collection}
_SETLIKE = {set: st.sets, frozenset: st.frozensets, abc.Set: st.frozensets, abc.MutableSet: st.sets}
_DICTLIKE = {dict, abc.Mapping, abc.MutableMapping}
_NO_CONTEXT = Context()


def _mixed(ctx: Context, generic: Strategy, *extra: Strategy | None) -> Strategy:
    """``generic``, one_of'd with whichever mined strategies exist (exactly ``generic`` when
    there are none, so functions without constants are explored as before); only the mined
    ones when the context is focused."""
    found = [s for s in extra if s is not None]
    if not found:
        return generic
    return st.one_of(*found) if ctx.focus else st.one_of(generic, *found)


def _sampled(values: list[Any]) -> Strategy | None:
    return st.sampled_from(values) if values else None


def _targeted(base: Strategy, ctx: Context, kind: type,
              sized: Callable[[int], Any] | None = None) -> Strategy:
    """``base``, or half the time a value this very parameter is checked against: one of the
    literals it is compared with, or a value of a size its length is compared with."""
    literals = [v for v in ctx.equals if type(v) is kind]
    found = [s for s in (_sampled(literals), st.sampled_from(ctx.sizes).map(sized)
                         if sized is not None and ctx.sizes else None) if s is not None]
    if not found:
        return base
    return st.one_of(found) if ctx.focus else st.one_of(base, st.one_of(found))


def integers(ctx: Context = _NO_CONTEXT) -> Strategy:
    """Integers, half of them small: boundaries (``len(text) == limit``, ``i == len(xs) - 1``) are
    where refactors break, and unbounded integers almost never meet the sizes of generated data.
    The function's own integer constants and their neighbours come on top."""
    m = ctx.mined
    sizes = [n for found in m.sizes.values() for n in found]
    generic = st.one_of(st.integers(min_value=-2, max_value=12), st.integers())
    return _targeted(_mixed(ctx, generic, _sampled(list(dict.fromkeys(m.ints + sizes)))),
                     ctx, int)


def floats(ctx: Context = _NO_CONTEXT, allow_nan: bool = True) -> Strategy:
    """Floats, with a few small whole numbers (``now - window == hits[0]`` holds only on values
    that subtract exactly, and only if they meet) and the function's numeric constants."""
    m = ctx.mined
    numbers = [*m.floats, *(float(n) for n in m.ints if abs(n) < 1 << 53)]
    return _targeted(_mixed(ctx, st.floats(allow_nan=allow_nan), st.integers(0, 3).map(float),
                            _sampled(list(dict.fromkeys(numbers)))), ctx, float)


def text(ctx: Context = _NO_CONTEXT) -> Strategy:
    """Text, with the literals the function compares against, strings that start or end with
    the affixes it tests, contain the separators it splits on, or have the sizes it checks."""
    m = ctx.mined
    small = st.text(max_size=8)
    return _targeted(_mixed(
        ctx,
        st.text(),
        _sampled(m.strings + [k for k in m.keys if k not in m.strings]),
        st.builds(operator.add, st.sampled_from(m.prefixes), small) if m.prefixes else None,
        st.builds(operator.add, small, st.sampled_from(m.suffixes)) if m.suffixes else None,
        st.builds(lambda a, sep, b: a + sep + b, small, st.sampled_from(m.separators), small)
        if m.separators else None,
    ), ctx, str, lambda n: "a" * n)


def binary(ctx: Context = _NO_CONTEXT) -> Strategy:
    m = ctx.mined
    encoded = [s.encode() for s in m.strings if s.isascii()]
    return _targeted(_mixed(ctx, st.binary(), _sampled(m.byte_strings + encoded)), ctx, bytes,
                     lambda n: b"a" * n)


def decimals(ctx: Context = _NO_CONTEXT) -> Strategy:
    """Decimals: arbitrary ones, short ones like amounts of money (``0.01``, ``4``), the
    function's numeric constants, and the midpoints between multiples of the precisions it
    uses (``0.25`` for ``Decimal("0.1")``: where rounding modes disagree)."""
    m = ctx.mined
    mined = [Decimal(d) for d in m.decimals] + [Decimal(n) for n in m.ints]
    short = st.builds(lambda n, places: Decimal(n).scaleb(-places),
                      st.one_of(st.integers(-2, 12), st.integers(-10**6, 10**6)),
                      st.integers(0, 3))
    exponents = sorted({int(Decimal(d).as_tuple().exponent) for d in m.decimals} - {0})
    ties = st.builds(lambda k, e: Decimal(2 * k + 1) * Decimal(5).scaleb(e - 1),
                     st.integers(-2, 12), st.sampled_from(exponents)) if exponents else None
    return _mixed(ctx, st.decimals(), short, _sampled(list(dict.fromkeys(mined))), ties)


def scalars(ctx: Context = _NO_CONTEXT) -> Strategy:
    """Hashable, comparable-within-type values for type variables."""
    return st.one_of(integers(ctx), text(ctx))


def json_values(ctx: Context) -> Strategy:
    """Values of ``Any`` inside a container: JSON-like data, the usual meaning of
    ``dict[str, Any]``, with the mined keys and constants."""
    leaves = st.one_of(st.none(), st.booleans(), integers(ctx), floats(ctx, allow_nan=False),
                       text(ctx))
    return st.recursive(leaves, lambda inner: st.one_of(
        st.lists(inner, max_size=4), _keyed(text(ctx), inner, ctx, 4, any_values=True)),
        max_leaves=6)


def _keyed(keys: Strategy, values: Strategy, ctx: Context, max_size: int | None = None,
           any_values: bool = False) -> Strategy:
    """Dictionaries, and dictionaries holding some of the keys the function looks up (with
    values of the type the function's use implies, where the annotation leaves it open)."""
    generic = st.dictionaries(keys, values, max_size=max_size or ctx.max_size)
    if not ctx.mined.keys:
        return generic
    kinds = {k: kind for k, kind in ctx.mined.key_kinds.items()
             if any_values and kind in _SCALAR_KINDS}
    known = st.fixed_dictionaries({}, optional={
        k: _BY_KIND[kinds[k]](ctx) if k in kinds else values for k in ctx.mined.keys})
    return _mixed(ctx, generic, st.builds(lambda a, b: {**b, **a}, known,
                                          st.dictionaries(keys, values, max_size=3)))


def _homogeneous(ctx: Context) -> Strategy:
    """Lists of integers or lists of strings."""
    return st.one_of(_lists(integers(ctx.inner()), ctx), _lists(text(ctx.inner()), ctx))


_BY_NAME: list[tuple[str, Callable[[Context], Strategy]]] = [
    (r"(n|i|j|k|m|count|size|index|idx|num|number|length|width|height|limit|offset|start|end"
     r"|stop|step|depth|level|times|.*_(count|size|index|idx|len|num))", integers),
    (r"(x|y|z|ratio|rate|factor|weight|threshold|alpha|scale|amount|price|prob)",
     lambda ctx: floats(ctx, allow_nan=False)),
    (r"(s|text|string|name|word|line|prefix|suffix|sep|label|title|message|msg|query"
     r"|.*_(name|str|text))", text),
    (r"(flag|verbose|strict|enabled|(is|has|allow|use)_.*)", lambda ctx: st.booleans()),
    (r"(items|values|xs|ys|nums|numbers|ints|lst|seq|scores)",
     lambda ctx: _lists(integers(ctx.inner()), ctx)),
    # The usual names of an untyped iterable (more-itertools, the itertools recipes): lists of
    # one scalar type each, so that sorting and comparing the items is not itself the error.
    (r"(iterable|iterator|it|sequence|elements|population|collection)", _homogeneous),
    (r"(iterables|sequences)", lambda ctx: _lists(_homogeneous(ctx.inner()), ctx)),
    (r"(words|names|lines|strings|texts|tokens)", lambda ctx: _lists(text(ctx.inner()), ctx)),
]

_SCALAR_KINDS = frozenset({"str", "bytes", "int", "float", "bool"})
_BY_KIND: dict[str, Callable[[Context], Strategy]] = {
    "str": text, "bytes": binary, "int": integers, "float": floats,
    "bool": lambda ctx: st.booleans(),
    "dict": lambda ctx: _keyed(text(ctx), json_values(ctx), ctx, any_values=True),
    "list": lambda ctx: _lists(scalars(ctx.inner()), ctx),
    "set": lambda ctx: st.sets(scalars(ctx), max_size=ctx.max_size),
}


def from_annotation(tp: Any, ctx: Context = _NO_CONTEXT, inner: bool = False) -> Strategy:
    """A strategy for values of type ``tp``; ``inner``: an element of a container, where
    ``Any`` is taken to mean JSON-like data."""
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if tp is int:
        return integers(ctx)
    if tp is float:
        return floats(ctx)
    if tp is str:
        return text(ctx)
    if tp is bytes:
        return binary(ctx)
    if tp is Decimal:
        return decimals(ctx)
    if inner and tp in _ANY:
        ctx.loose.add("Any")
        return json_values(ctx)
    if origin is type and len(args) == 1 and _is_local(args[0], ctx, abstract=True):
        return st.sampled_from(_family(args[0], ctx))
    if tp in _FILES or (origin is typing.IO and args and args[0] in (str, bytes)):
        return st.builds(io.StringIO if _FILES.get(tp, args[0] if args else None) is str
                         else io.BytesIO)
    if origin is abc.Callable and len(args) == 2 and (isinstance(args[0], list) or args[0] is Ellipsis):
        ctx.loose.add("Callable")
        returned = st.none() if args[1] in (None, type(None)) else from_annotation(args[1], ctx.inner(), True)
        return returned.map(Returns)
    for unsafe, label in _UNSAFE.items():
        if tp is unsafe or origin is unsafe:
            raise NoStrategy(f"no safe strategy for {label}")
    if isinstance(tp, typing.TypeVar):
        return _type_var(tp, ctx)
    if isinstance(tp, (str, typing.ForwardRef)):
        raise NoStrategy(f"unresolved annotation {tp!r}")
    if isinstance(tp, type) and issubclass(tp, io.IOBase):
        raise NoStrategy(f"no safe strategy for {tp.__name__}")
    if origin is typing.Annotated:
        return from_annotation(args[0], ctx, inner)
    if origin is typing.Union or origin is types.UnionType:
        return _union(args, ctx, inner)
    if origin is typing.Literal:
        return st.sampled_from(args)
    if args and origin is collections.deque:
        element = _element(args[0], ctx)
        return st.just(collections.deque()) if element is None else _lists(element, ctx).map(collections.deque)
    if args and origin in _LISTLIKE:
        element = _element(args[0], ctx)
        return st.just([]) if element is None else _lists(element, ctx)
    if args and origin in _SETLIKE:
        element = _element(args[0], ctx)
        empty: frozenset[Any] | set[Any] = frozenset() if _SETLIKE[origin] is st.frozensets else set()
        return st.just(empty) if element is None else _SETLIKE[origin](element, max_size=ctx.max_size)
    if len(args) == 2 and origin in _DICTLIKE:
        keys, values = _element(args[0], ctx), _element(args[1], ctx)
        if keys is None or values is None:
            return st.just({})
        if args[0] is not str:
            return st.dictionaries(keys, values, max_size=ctx.max_size)
        return _keyed(keys, values, ctx.inner(), any_values=args[1] in _ANY)
    if origin is tuple and args:
        if len(args) == 2 and args[1] is Ellipsis:
            element = _element(args[0], ctx)
            return st.just(()) if element is None else _lists(element, ctx).map(tuple)
        return st.tuples(*(from_annotation(a, ctx.inner(), True) for a in args))
    # A repo class, also taken with type arguments (``Convertor[Any]``): built from its
    # constructor; an abstract one as its concrete subclasses in the repo.
    cls = origin if isinstance(origin, type) else tp
    if _is_local(cls, ctx, abstract=True):
        return _concrete(cls, ctx) if inspect.isabstract(cls) else _build(cls, ctx)
    return st.from_type(tp)


def _element(tp: Any, ctx: Context) -> Strategy | None:
    """Elements of a container of ``tp``; None when no value of ``tp`` can be made: the container
    is then drawn empty (its code still runs, over nothing; starlette's ``replace_params`` takes a
    ``dict[str, Convertor[Any]]`` and returns early on an empty one)."""
    try:
        return from_annotation(tp, ctx.inner(), True)
    except NoStrategy:
        ctx.loose.add("empty containers")
        return None


def _concrete(cls: type, ctx: Context) -> Strategy:
    """Instances of the concrete subclasses of the repo's abstract class ``cls`` that can be built."""
    found: list[Strategy] = []
    for sub in _family(cls, ctx):
        if not inspect.isabstract(sub):
            try:
                found.append(_build(sub, ctx))
            except NoStrategy:
                continue
    if not found:
        raise NoStrategy(f"no concrete subclass of {cls.__name__} can be built")
    return st.one_of(found)


def _union(args: tuple[Any, ...], ctx: Context, inner: bool) -> Strategy:
    """The members that can be generated (``Notifier | None`` without a way to build a
    Notifier is still ``None``); NoStrategy only when none can."""
    found: list[Strategy] = []
    reason: NoStrategy | None = None
    for a in args:
        try:
            found.append(from_annotation(a, ctx, inner))
        except NoStrategy as exc:
            reason = exc
    if not found:
        assert reason is not None
        raise reason
    return st.one_of(found)


MAX_SIZED_LIST = 64


def _lists(elements: Strategy, ctx: Context) -> Strategy:
    """Lists, and lists of the (small) sizes the function checks."""
    sizes = [n for n in ctx.sizes if n <= MAX_SIZED_LIST]
    sized = st.sampled_from(sizes).flatmap(
        lambda n: st.lists(elements, min_size=n, max_size=n)) if sizes else None
    return _mixed(ctx, st.lists(elements, max_size=ctx.max_size), sized)


def _type_var(tp: typing.TypeVar, ctx: Context) -> Strategy:
    ctx.loose.add("TypeVar")
    if tp.__constraints__:
        return st.one_of([from_annotation(c, ctx, True) for c in tp.__constraints__])
    bound = tp.__bound__
    if bound is None or bound in (abc.Hashable, typing.Hashable) or bound in _UNSAFE:
        return scalars(ctx)
    return from_annotation(bound, ctx, True)


def _is_local(tp: Any, ctx: Context, abstract: bool = False) -> bool:
    return (isinstance(tp, type) and not issubclass(tp, (enum.Enum, BaseException))
            and tp.__module__.split(".")[0] in ctx.local and "<locals>" not in tp.__qualname__
            and (abstract or not inspect.isabstract(tp)))


_FILES: dict[object, type] = {typing.BinaryIO: bytes, typing.TextIO: str}
"""File annotations the code writes to or reads from: an empty in-memory file of the kind
(``IO[bytes]``, ``BinaryIO``: ``BytesIO``), compared after the call by what it holds (see
:func:`guard.harness.compare.canon`)."""


def _family(cls: type, ctx: Context) -> list[type]:
    """``cls`` and its subclasses in the repo's packages, for ``type[cls]`` (h11's
    ``our_role: Type[Sentinel]``: the role classes), in a fixed order."""
    found: dict[type, None] = {}
    todo = [cls]
    while todo and len(found) < 64:
        klass = todo.pop(0)
        if klass in found or klass.__module__.split(".")[0] not in ctx.local:
            continue
        found[klass] = None
        todo += sorted(klass.__subclasses__(), key=lambda k: (k.__module__, k.__qualname__))
    return list(found)


def _build(cls: type, ctx: Context) -> Strategy:
    """Instances of the repo's own class ``cls``, from its constructor's parameters."""
    if ctx.depth >= 3 or not ctx.building:
        raise NoStrategy(f"{cls.__name__} nests too deeply to build")
    plan = plan_for(cls, ctx.for_other(ctx.init_constants(cls)))
    if plan.positional:
        raise NoStrategy(f"{cls.__name__} takes positional-only parameters")
    module, qualname = cls.__module__, cls.__qualname__
    return plan.kwargs.map(lambda kwargs: Build(module, qualname, kwargs))


def _from_default(default: object, ctx: Context) -> Strategy | None:
    simple: dict[type, Callable[[], Strategy]] = {
        bool: st.booleans, int: lambda: integers(ctx), float: lambda: floats(ctx),
        str: lambda: text(ctx), bytes: lambda: binary(ctx),
    }
    make = simple.get(type(default))
    return make() if make is not None else None


def _from_name(name: str, ctx: Context) -> Strategy | None:
    bare = name.lstrip("_").lower()
    for pattern, make in _BY_NAME:
        if re.fullmatch(pattern, bare):
            return make(ctx)
    return None


def _hints(obj: Callable[..., Any]) -> dict[str, Any]:
    target: Any = getattr(obj, "__init__", obj) if isinstance(obj, type) else obj
    try:
        return typing.get_type_hints(target)
    except Exception:  # unresolvable forward references: treat as unannotated
        return {}


def _from_use_or_name(p: inspect.Parameter, ctx: Context, seen: Sequence[str] = ()) -> Strategy:
    found: Strategy | None
    if p.name in ctx.kinds:
        ctx.loose.add("inferred")
        found = _BY_KIND[ctx.kinds[p.name]](ctx)
    else:
        found = _from_name(p.name, ctx)
    if seen:
        return _from_call_sites(seen, found, ctx)
    if found is None and p.default is not p.empty:
        found = st.just(p.default)
    if found is None:
        raise NoStrategy(f"parameter {p.name!r} has no annotation, usable default, recognisable "
                         "name or literal argument at a call site")
    return found


def _from_call_sites(seen: Sequence[str], guessed: Strategy | None, ctx: Context) -> Strategy:
    """The literals the repo's calls pass (each drawn as a fresh copy: the function may mutate
    it), and values of their type around them (or of the type the name or use suggests)."""
    examples = st.sampled_from(list(seen)).map(ast.literal_eval)
    kinds = {type(ast.literal_eval(v)) for v in seen}
    typed = _from_default(ast.literal_eval(seen[0]), ctx) if len(kinds) == 1 else None
    around = guessed if guessed is not None else typed
    if around is None:
        return examples
    ctx.loose.add("call sites")
    return st.one_of(examples, around)


def _call_values(obj: Callable[..., Any], ctx: Context) -> Mapping[str, Sequence[str]]:
    """The literal arguments seen for ``obj``, by slot (each reads back with ``ast.literal_eval``:
    :func:`guard.callsites.argument_values` keeps no other)."""
    name = getattr(obj, "__name__", None)
    return ctx.calls.get(name, {}) if isinstance(name, str) else {}


def plan_for(obj: Callable[..., Any], ctx: Context = _NO_CONTEXT) -> Plan:
    """Strategies for calling ``obj`` (a function, bound method or class).

    A parameter with a default but no safe strategy is left out (the callee uses its default:
    ``clock: Callable[[], float] = time.monotonic``). Every parameter with a default is passed
    only some of the time: most callers leave defaults alone, so the default itself is the value
    that matters most (a changed default, ``factor: float = 1`` become ``2``, is seen only by a
    call that leaves it out), and instances built the way most callers build them
    (``RateLimiter(limit)``) are valid far more often than fully random ones."""
    try:
        sig = inspect.signature(obj)
    except (TypeError, ValueError) as exc:
        raise NoStrategy(f"no signature: {exc}") from exc
    hints = _hints(obj)
    calls = _call_values(obj, ctx)
    fields: dict[str, Strategy] = {}
    optional: dict[str, Strategy] = {}
    positional: list[str] = []
    weak: list[str] = []
    for index, p in enumerate(sig.parameters.values()):
        if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
            continue
        by_position = calls.get(str(index), ()) if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) else ()
        seen = tuple(dict.fromkeys((*by_position, *calls.get(p.name, ()))))
        has_default = p.default is not p.empty
        pctx = ctx.for_param(p.name)
        strategy: Strategy | None
        if p.name in hints and has_default and _is_callable(hints[p.name]):
            # The default is the function callers use (``clock=time.monotonic``): a stand-in
            # returning one value would test a clock that never moves.
            ctx.loose.add("default")
            strategy = st.just(p.default) if p.kind is p.POSITIONAL_ONLY else None
            weak.append(p.name)
        elif p.name in hints:
            try:
                strategy = from_annotation(hints[p.name], pctx)
            except NoStrategy as exc:
                if not has_default:
                    raise NoStrategy(f"parameter {p.name!r}: {exc}") from None
                ctx.loose.add("default")
                strategy = st.just(p.default) if p.kind is p.POSITIONAL_ONLY else None
                weak.append(p.name)
        else:
            strategy = _from_default(p.default, pctx) if has_default else None
            if strategy is None:
                strategy = _from_use_or_name(p, pctx, seen)
                weak.append(p.name)
        if strategy is not None and None in pctx.equals:
            strategy = st.one_of(strategy, st.none())  # the code tells None apart: test it
        if p.kind is p.POSITIONAL_ONLY:
            positional.append(p.name)
            fields[p.name] = strategy if strategy is not None else st.just(p.default)
        elif strategy is None:
            continue
        elif has_default:
            optional[p.name] = strategy
        else:
            fields[p.name] = strategy
    return Plan(st.fixed_dictionaries(fields, optional=optional), tuple(positional), tuple(weak))
