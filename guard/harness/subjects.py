"""What is being called: a module-level function, a static or class method, or a method or
property of an instance built from generated constructor arguments.

An instance fresh from its constructor is often the one state in which a method has nothing to
do (an empty cache has no least-recently-used key). So, as stateful property-based tests do, an
instance is first driven through a short generated sequence of calls to its class's other,
unchanged public methods (``cache[k] = v``, ``limiter.allow(key)``), the same sequence in the
old and the new world, before the method under test runs."""

from __future__ import annotations

import contextlib
import inspect
import sys
from collections.abc import Callable, Collection
from dataclasses import dataclass, replace
from types import ModuleType
from typing import Any

from hypothesis import strategies as st

from guard.harness.compare import canon, same
from guard.harness.strategies import Context, NoStrategy, Plan, plan_for, realize

MAX_SETUP_STEPS = 5
MAX_SETUP_METHODS = 12
_SETUP_DUNDERS = ("__setitem__", "__delitem__")


class InvalidInput(Exception):
    """Building the generated input failed (a constructor rejected its arguments): the
    function under test was never called, so the example says nothing about it."""


@dataclass(frozen=True)
class Subject:
    fn: Callable[..., Any]
    """The function object whose code is under test (for its signature and source file)."""
    cls: type | None
    name: str
    bound: bool
    """True when an instance must be built first."""
    attribute: bool = False
    """A property: read, not called."""
    instance_input: bool = False
    """Called with a method's input (the other version is a method, this one a static
    function): the instance part of the input is ignored."""

    def call(self, inp: Any) -> tuple[Any, object]:
        """Call with one generated input; returns the result and the (mutable) arguments."""
        modules = sys.modules
        if self.instance_input:
            inp = inp[2]
        if self.bound:
            assert self.cls is not None
            init, steps, (args, kwargs) = inp
            try:
                obj = self.cls(**realize(init, modules))
                for name, step_args, step_kwargs in steps:
                    with contextlib.suppress(Exception):  # as a caller would go on
                        getattr(obj, name)(*realize(step_args, modules),
                                           **realize(step_kwargs, modules))
                args, kwargs = realize(args, modules), realize(kwargs, modules)
            except Exception as exc:
                raise InvalidInput(f"{type(exc).__name__}: {exc}") from exc
            before = _snapshot(obj)
            if self.attribute:
                return getattr(obj, self.name), (obj, args, kwargs, before)
            return getattr(obj, self.name)(*args, **kwargs), (obj, args, kwargs, before)
        args, kwargs = inp
        try:
            args, kwargs = realize(args, modules), realize(kwargs, modules)
        except Exception as exc:
            raise InvalidInput(f"{type(exc).__name__}: {exc}") from exc
        target = self.fn if self.cls is None else getattr(self.cls, self.name)
        return target(*args, **kwargs), (args, kwargs)

    def params(self) -> list[str]:
        names = list(inspect.signature(self.fn).parameters)
        return names[1:] if self.bound else names


def _snapshot(obj: object) -> object:
    try:
        return canon(obj)
    except Exception:
        return ("uncomparable",)


def comparable(old: object, new: object) -> tuple[object, object, bool]:
    """The canonical states after the call, reduced to what the method under test is
    answerable for. A bound call's state is (instance, args, kwargs, instance before the call):
    when the instances already differed before the call (the patch changed the constructor or
    a set-up method), the instance is left out of the comparison. Returns (old, new, whether
    the instance was left out), to apply to other runs with :func:`without_instance`."""
    if _bound_state(old) and _bound_state(new):
        drop = not same(old[1][3], new[1][3])  # type: ignore[index]
        return without_instance(old, drop), without_instance(new, drop), drop
    return old, new, False


def without_instance(state: object, drop: bool) -> object:
    if not _bound_state(state):
        return state
    obj, args, kwargs, _ = state[1]  # type: ignore[index]
    return ("tuple", (args, kwargs)) if drop else ("tuple", (obj, args, kwargs))


def _bound_state(state: object) -> bool:
    return (isinstance(state, tuple) and len(state) == 2 and state[0] == "tuple"
            and isinstance(state[1], tuple) and len(state[1]) == 4)


def locate(module: ModuleType, qualname: str) -> Subject:
    parts = qualname.split(".")
    if "<locals>" in parts or len(parts) > 2:
        raise NoStrategy("nested definitions are not called directly")
    owner: Any = module
    for part in parts:
        if not hasattr(owner, part):
            raise NoStrategy(f"{qualname} not found after import")
        owner = getattr(owner, part)
    if len(parts) == 1:
        owner = _unwrapped(owner)
        if not inspect.isfunction(owner):
            raise NoStrategy(f"{qualname} is not a plain function")
        return Subject(owner, None, parts[0], bound=False)
    cls = getattr(module, parts[0])
    raw = inspect.getattr_static(cls, parts[1])
    if isinstance(raw, (staticmethod, classmethod)):
        return Subject(raw.__func__, cls, parts[1], bound=False)
    attribute = False
    if isinstance(raw, property) and inspect.isfunction(raw.fget):
        raw, attribute = raw.fget, True
    raw = _unwrapped(raw)
    if not inspect.isfunction(raw):
        raise NoStrategy(f"{qualname} is a {type(raw).__name__}, not a method")
    if inspect.isabstract(cls):
        raise NoStrategy(f"class {parts[0]!r} is abstract")
    return Subject(raw, cls, parts[1], bound=True, attribute=attribute)


def _unwrapped(obj: Any) -> Any:
    """The function a caching wrapper holds (``functools.lru_cache``, ``cache``: no function
    object, though its ``__wrapped__`` is the changed code); anything else as it is. A module-level
    subject is then called unwrapped (its cache would only repeat it), a method through its class's
    attribute, as callers call it."""
    if inspect.isfunction(obj) or not callable(obj):
        return obj
    try:
        inner = inspect.unwrap(obj)
    except ValueError:  # a cycle of __wrapped__
        return obj
    return inner if inspect.isfunction(inner) else obj


def _call_strategy(plan: Plan) -> st.SearchStrategy[Any]:
    def split(kwargs: dict[str, Any]) -> tuple[tuple[Any, ...], dict[str, Any]]:
        args = tuple(kwargs.pop(name) for name in plan.positional)
        return args, kwargs

    return plan.kwargs.map(split)


def setup_methods(cls: type, subject: str, changed: Collection[str], local: Collection[str],
                  mutators: Callable[[type], frozenset[str] | None] = lambda cls: None,
                  ) -> list[tuple[str, Callable[..., Any]]]:
    """The methods that may drive an instance into some state before ``subject`` runs: public
    (or item-assignment) plain methods of ``cls`` and its repo bases that change the state
    (where the source tells), none the patch changed."""
    seen: set[str] = {subject}
    found: list[tuple[str, Callable[..., Any]]] = []
    for klass in cls.__mro__:
        if klass is object or klass.__module__.split(".")[0] not in local:
            continue
        changing = mutators(klass)
        for name, raw in vars(klass).items():
            if name in seen:
                continue
            seen.add(name)  # the first definition along the MRO is the one called
            if not inspect.isfunction(raw) or (name.startswith("_")
                                                and name not in _SETUP_DUNDERS):
                continue
            if changing is not None and name not in changing:
                continue
            if f"{klass.__qualname__}.{name}" not in changed:
                found.append((name, raw))
    return found[:MAX_SETUP_METHODS]


def _named(name: str) -> Callable[[tuple[tuple[Any, ...], dict[str, Any]]],
                                   tuple[str, tuple[Any, ...], dict[str, Any]]]:
    return lambda call: (name, *call)


def _steps(cls: type, subject: str, ctx: Context, changed: Collection[str]
           ) -> st.SearchStrategy[list[tuple[str, tuple[Any, ...], dict[str, Any]]]]:
    choices = []
    for name, raw in setup_methods(cls, subject, changed, ctx.local, ctx.mutators):
        try:
            plan = plan_for(raw.__get__(object()), replace(ctx.for_other(), building=False))
        except NoStrategy:
            continue
        choices.append(_call_strategy(plan).map(_named(name)))
    if not choices:
        return st.just([])
    return st.lists(st.one_of(choices), max_size=MAX_SETUP_STEPS)


def inputs(subject: Subject, ctx: Context | None = None, changed: Collection[str] = ()
           ) -> tuple[st.SearchStrategy[Any], tuple[str, ...]]:
    """The input strategy and the parameters derived only weakly (from names or defaults).
    ``changed``: qualnames the patch changed (never used to set up an instance's state)."""
    ctx = ctx or Context()
    if subject.cls is None:
        plan = plan_for(subject.fn, ctx)
        return _call_strategy(plan), plan.weak
    if not subject.bound:
        plan = plan_for(getattr(subject.cls, subject.name), ctx)
        return _call_strategy(plan), plan.weak
    try:
        init = plan_for(subject.cls, ctx.for_other(ctx.init_constants(subject.cls)))
    except NoStrategy as exc:
        raise NoStrategy(f"class {subject.cls.__name__!r} cannot be constructed: {exc}") from None
    method = plan_for(subject.fn.__get__(object()), ctx)  # bind a dummy to drop 'self'
    steps = _steps(subject.cls, subject.name, ctx, changed)
    return st.tuples(init.kwargs, steps, _call_strategy(method)), init.weak + method.weak


def show_input(subject: Subject, inp: Any, show: Callable[[object], str]) -> str:
    def fmt(args: tuple[Any, ...], kwargs: dict[str, Any]) -> str:
        return ", ".join([*map(show, args), *(f"{k}={show(v)}" for k, v in kwargs.items())])

    if subject.instance_input:
        inp = inp[2]
    if subject.bound:
        assert subject.cls is not None
        init, steps, (args, kwargs) = inp
        made = f"{subject.cls.__name__}({fmt((), init)})"
        last = subject.name if subject.attribute else f"{subject.name}({fmt(args, kwargs)})"
        if not steps:
            return f"{made}.{last}"
        calls = "; ".join(f"x.{name}({fmt(a, k)})" for name, a, k in steps)
        return f"x = {made}; {calls}; x.{last}"
    return f"{subject.name}({fmt(*inp)})"
