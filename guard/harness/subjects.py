"""What is being called: a module-level function, a static or class method, or a method of an
instance built from generated constructor arguments."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass
from types import ModuleType
from typing import Any

from hypothesis import strategies as st

from guard.harness.strategies import NoStrategy, Plan, plan_for


@dataclass(frozen=True)
class Subject:
    fn: Callable[..., Any]
    """The function object whose code is under test (for its signature and source file)."""
    cls: type | None
    name: str
    bound: bool
    """True when an instance must be built first."""

    def call(self, inp: Any) -> tuple[Any, object]:
        """Call with one generated input; returns the result and the (mutable) arguments."""
        if self.bound:
            assert self.cls is not None
            init, (args, kwargs) = inp
            obj = self.cls(**init)
            return getattr(obj, self.name)(*args, **kwargs), (obj, args, kwargs)
        args, kwargs = inp
        target = self.fn if self.cls is None else getattr(self.cls, self.name)
        return target(*args, **kwargs), (args, kwargs)

    def params(self) -> list[str]:
        names = list(inspect.signature(self.fn).parameters)
        return names[1:] if self.bound else names


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
        if not inspect.isfunction(owner):
            raise NoStrategy(f"{qualname} is not a plain function")
        return Subject(owner, None, parts[0], bound=False)
    cls = getattr(module, parts[0])
    raw = inspect.getattr_static(cls, parts[1])
    if isinstance(raw, (staticmethod, classmethod)):
        return Subject(raw.__func__, cls, parts[1], bound=False)
    if not inspect.isfunction(raw):
        raise NoStrategy(f"{qualname} is a {type(raw).__name__}, not a method")
    if inspect.isabstract(cls):
        raise NoStrategy(f"class {parts[0]!r} is abstract")
    return Subject(raw, cls, parts[1], bound=True)


def _call_strategy(plan: Plan) -> st.SearchStrategy[Any]:
    def split(kwargs: dict[str, Any]) -> tuple[tuple[Any, ...], dict[str, Any]]:
        args = tuple(kwargs.pop(name) for name in plan.positional)
        return args, kwargs

    return plan.kwargs.map(split)


def inputs(subject: Subject) -> tuple[st.SearchStrategy[Any], tuple[str, ...]]:
    """The input strategy and the parameters derived only weakly (from names or defaults)."""
    if subject.cls is None:
        plan = plan_for(subject.fn)
        return _call_strategy(plan), plan.weak
    if not subject.bound:
        plan = plan_for(getattr(subject.cls, subject.name))
        return _call_strategy(plan), plan.weak
    try:
        init = plan_for(subject.cls)
    except NoStrategy as exc:
        raise NoStrategy(f"class {subject.cls.__name__!r} cannot be constructed: {exc}") from None
    method = plan_for(subject.fn.__get__(object()))  # bind a dummy to drop 'self'
    return st.tuples(init.kwargs, _call_strategy(method)), init.weak + method.weak


def show_input(subject: Subject, inp: Any, show: Callable[[object], str]) -> str:
    def fmt(args: tuple[Any, ...], kwargs: dict[str, Any]) -> str:
        return ", ".join([*map(show, args), *(f"{k}={show(v)}" for k, v in kwargs.items())])

    if subject.bound:
        assert subject.cls is not None
        init, (args, kwargs) = inp
        return f"{subject.cls.__name__}({fmt((), init)}).{subject.name}({fmt(args, kwargs)})"
    return f"{subject.name}({fmt(*inp)})"
