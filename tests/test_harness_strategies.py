"""Strategies seeded with mined constants, inferred types and repo classes
(guard.harness.strategies, guard.harness.subjects): what they can generate, checked with
Hypothesis' own search (``find``), deterministically."""

from __future__ import annotations

import collections
import functools
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal
from typing import Any, Generic, TypeVar

import pytest
from hypothesis import HealthCheck, Phase, find, given, settings
from hypothesis import strategies as st

from guard.harness import mining
from guard.harness.strategies import (
    Build,
    Context,
    NoStrategy,
    binary,
    decimals,
    from_annotation,
    plan_for,
    realize,
    text,
)
from guard.harness.subjects import inputs, locate, setup_methods

FIND = settings(database=None, derandomize=True, max_examples=1000, phases=[Phase.generate],
                suppress_health_check=list(HealthCheck), deadline=None)
"""Search, without shrinking: the first value found is enough to show it can be generated."""


def ctx_for(source: str, qualname: str, **extra: Any) -> Context:
    mined = mining.mine_function([source], qualname)
    return Context(mined=mining.resolve(mined, extra), local=frozenset({__name__.split(".")[0]}),
                   kinds=dict(mined.kinds))


def found(strategy: st.SearchStrategy[Any], condition: Callable[[Any], bool]) -> Any:
    return find(strategy, condition, settings=FIND)


BRANCH = '''
def branch(ref):
    if isinstance(ref, str) and ref.startswith("refs/heads/"):
        return ref[len("refs/heads/"):]
    return None
'''


def test_text_reaches_the_prefix_the_code_tests() -> None:
    ctx = ctx_for(BRANCH, "branch")
    value = found(text(ctx), lambda s: s.startswith("refs/heads/") and len(s) > 11)
    assert value.startswith("refs/heads/")
    # without the constants, plain text is what it was
    assert text(Context()) is not None


def test_unannotated_parameter_gets_the_type_its_use_implies() -> None:
    ctx = ctx_for(BRANCH, "branch")
    namespace: dict[str, Any] = {}
    exec(BRANCH, namespace)
    plan = plan_for(namespace["branch"], ctx)
    assert plan.weak == ("ref",)
    values = []

    @settings(FIND, max_examples=50)
    @given(plan.kwargs)
    def collect(kwargs: dict[str, Any]) -> None:
        values.append(kwargs["ref"])

    collect()
    assert values and all(isinstance(v, str) for v in values)
    assert any(v.startswith("refs/heads/") for v in values)
    assert "inferred" in ctx.loose


def test_mapping_of_any_holds_the_looked_up_key_with_a_value_of_the_implied_type() -> None:
    source = '''
def branch(payload):
    ref = payload.get("ref")
    if isinstance(ref, str) and ref.startswith("refs/heads/"):
        return ref
    return None
'''
    ctx = ctx_for(source, "branch")
    strategy = from_annotation(dict[str, Any], ctx)
    value = found(strategy, lambda d: isinstance(d.get("ref"), str)
                  and not d["ref"].startswith("refs/heads/"))
    assert isinstance(value["ref"], str)
    assert "Any" in ctx.loose


def test_sizes_the_code_compares_lengths_with_are_generated_for_that_name() -> None:
    source = '''
def check(request):
    if len(request.body) >= LIMIT:
        return 413
    return 200
'''
    ctx = ctx_for(source, "check", LIMIT=700)
    body = ctx.for_param("body")
    assert body.sizes == (700, 701, 699)
    assert len(found(binary(body), lambda b: len(b) == 700)) == 700
    assert ctx.for_param("path").sizes == ()  # other names keep ordinary sizes


def test_decimals_reach_rounding_ties_of_the_precision_the_code_uses() -> None:
    source = '''
def percent_of(part, whole):
    return (part / whole * 100).quantize(Decimal("0.1"), rounding=ROUND_HALF_EVEN)
'''
    ctx = ctx_for(source, "percent_of")
    pair = st.tuples(decimals(ctx), decimals(ctx))

    def disagree(p: tuple[Decimal, Decimal]) -> bool:
        part, whole = p
        if not (part.is_finite() and whole.is_finite()) or whole == 0:
            return False
        value = part / whole * 100
        return (value.quantize(Decimal("0.1"), rounding=ROUND_HALF_EVEN)
                != value.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))

    part, whole = found(pair, disagree)
    assert disagree((part, whole))


@dataclass
class Request:
    method: str
    body: bytes = b""


@dataclass
class Limiter:
    limit: int
    clock: Callable[[], float] = time.monotonic
    hits: list[float] = field(default_factory=list)


def test_repo_classes_are_built_lazily_with_mined_constants() -> None:
    source = '''
def handle(request: Request):
    if request.method != "POST":
        return 405
    return 200
'''
    ctx = ctx_for(source, "handle")
    strategy = from_annotation(Request, ctx)
    recipe = found(strategy, lambda b: b.kwargs.get("method") == "POST")
    assert isinstance(recipe, Build) and repr(recipe).startswith("Request(")
    import sys

    built = realize(recipe, sys.modules)
    assert isinstance(built, Request) and built.method == "POST"


def test_a_callable_with_a_default_is_left_to_its_default() -> None:
    ctx = Context(local=frozenset({__name__.split(".")[0]}))
    plan = plan_for(Limiter, ctx)
    seen = found(plan.kwargs, lambda kw: True)
    assert "clock" not in seen and plan.weak == ("clock",)
    assert "default" in ctx.loose
    # No default to fall back on: a pure function returning a drawn int stands in.
    needed = found(plan_for(_needs_callable, Context()).kwargs, lambda kw: True)
    assert repr(needed["cb"]).startswith("returns(") and isinstance(needed["cb"](1), int)
    with pytest.raises(NoStrategy, match="Callable"):  # what it takes and returns unknown
        plan_for(_needs_any_callable, Context())


def _needs_callable(cb: Callable[[int], int]) -> int:
    return cb(1)


def _needs_any_callable(cb: Callable) -> int:  # type: ignore[type-arg]
    return int(cb(1))


K = TypeVar("K")
V = TypeVar("V")


class Cache(Generic[K, V]):
    def __init__(self, maxsize: int = 4) -> None:
        self._data: collections.OrderedDict[K, V] = collections.OrderedDict()
        self._max = maxsize

    def __setitem__(self, key: K, value: V) -> None:
        self._data[key] = value

    def keys(self) -> list[K]:
        return list(self._data)

    def oldest(self) -> K | None:
        return next(iter(self._data), None)


def test_methods_run_after_set_up_calls_of_the_class_mutators() -> None:
    import inspect
    import sys

    source = inspect.getsource(Cache)
    ctx = Context(local=frozenset({__name__.split(".")[0]}),
                  mutators=lambda cls: mining.mutators(source, cls.__qualname__))
    names = [n for n, _ in setup_methods(Cache, "oldest", (), ctx.local, ctx.mutators)]
    assert names == ["__setitem__"]  # keys() only reads; oldest is the subject
    assert [n for n, _ in setup_methods(Cache, "oldest", {"Cache.__setitem__"}, ctx.local)] == [
        "keys"]  # without sources: every public method, but never a changed one
    subject = locate(sys.modules[__name__], "Cache.oldest")
    strategy, _ = inputs(subject, ctx)
    two_keys = found(strategy, lambda inp: len({step[2]["key"] for step in inp[1]}) >= 2)
    value, _ = subject.call(two_keys)
    assert value == two_keys[1][0][2]["key"]  # the first key set


class Event:
    def __init__(self, payload: dict[str, Any]) -> None:
        self.payload = payload

    @property
    def ref(self) -> str | None:
        return self.payload.get("ref")


def test_properties_are_subjects_read_not_called() -> None:
    import sys

    subject = locate(sys.modules[__name__], "Event.ref")
    assert subject.bound and subject.attribute
    value, state = subject.call(({"payload": {"ref": "x"}}, [], ((), {})))
    assert value == "x" and isinstance(state, tuple) and len(state) == 4


MRU = '''
def mru_cache(maxsize=128, typed=False):
    if maxsize is None:
        return "unbounded"
    return "bounded"
'''


def test_a_parameter_the_code_tells_apart_from_none_is_sometimes_none() -> None:
    ctx = ctx_for(MRU, "mru_cache")
    assert None in ctx.mined.equals["maxsize"]
    namespace: dict[str, Any] = {}
    exec(MRU, namespace)
    plan = plan_for(namespace["mru_cache"], ctx)
    assert found(plan.kwargs, lambda kw: "maxsize" in kw and kw["maxsize"] is None) == {"maxsize": None}
    # typed is never compared with None: it stays a bool
    assert found(plan.kwargs, lambda kw: "typed" in kw)["typed"] in (False, True)


ORDERED = '''
def lt(value, other):
    return value < other
'''


def test_parameters_ordered_against_each_other_are_taken_for_numbers() -> None:
    ctx = ctx_for(ORDERED, "lt")
    assert ctx.kinds == {"value": "int", "other": "int"}
    namespace: dict[str, Any] = {}
    exec(ORDERED, namespace)
    plan = plan_for(namespace["lt"], ctx)
    assert found(plan.kwargs, lambda kw: kw["value"] == kw["other"])  # where < and <= differ


@functools.lru_cache(maxsize=None)
def cached_twice(x: int) -> int:
    return 2 * x


def test_a_cached_function_is_a_subject_through_what_it_wraps() -> None:
    import sys

    subject = locate(sys.modules[__name__], "cached_twice")
    assert subject.fn is cached_twice.__wrapped__  # type: ignore[attr-defined]
    assert subject.call(((3,), {}))[0] == 6


class Role:
    pass


class Client(Role):
    pass


class Server(Role):
    pass


def test_a_type_of_a_repo_class_is_that_class_or_one_of_its_subclasses() -> None:
    ctx = Context(local=frozenset({__name__.split(".")[0]}))
    strategy = from_annotation(type[Role], ctx)
    assert found(strategy, lambda c: c is Server) is Server
    assert found(strategy, lambda c: c is Role) is Role


def test_a_file_argument_is_an_in_memory_file_compared_by_what_it_holds() -> None:
    import io
    import typing

    from guard.harness.compare import canon

    assert isinstance(found(from_annotation(typing.IO[bytes]), lambda f: True), io.BytesIO)
    assert isinstance(found(from_annotation(typing.TextIO), lambda f: True), io.StringIO)
    four, five = io.StringIO(), io.StringIO()
    four.write("[\n    1,\n]")
    five.write("[\n     1,\n]")
    assert canon(four) != canon(five)
    five.seek(0)
    five.truncate()
    five.write("[\n    1,\n]")
    assert canon(four) == canon(five)


def test_an_untyped_iterable_gets_lists_of_one_scalar_type() -> None:
    def window(iterable, n):  # type: ignore[no-untyped-def]  # the usual untyped itertools recipe
        return list(iterable)[:n]

    plan = plan_for(window)
    assert found(plan.kwargs, lambda kw: len(kw["iterable"]) >= 2 and isinstance(kw["iterable"][0], int))
    assert found(plan.kwargs, lambda kw: len(kw["iterable"]) >= 2 and isinstance(kw["iterable"][0], str))
    # never a mix: sorting or comparing the items must not be what fails
    from hypothesis.errors import NoSuchExample

    with pytest.raises(NoSuchExample):
        found(plan.kwargs, lambda kw: len({type(v) for v in kw["iterable"]}) > 1)
