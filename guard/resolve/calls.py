"""Can this call bind? Signatures of resolved callables, decorators and ``**kwargs`` forwarding."""

from __future__ import annotations

import difflib
from dataclasses import dataclass

from guard.resolve.environment import Environment, Func, Klass, Resolved
from guard.resolve.signature import CallShape, Forward, Signature, problem

# Decorators known to leave a function's signature as it is (or, for the method kinds, to change
# it in the way we model). Anything else may wrap the function in any signature: stay quiet.
_PRESERVING = frozenset(
    {
        "builtins.staticmethod", "builtins.classmethod", "functools.cache", "functools.lru_cache",
        "abc.abstractmethod", "typing.overload", "typing_extensions.overload", "typing.final",
        "typing_extensions.final", "typing.override", "typing_extensions.override",
    }
)  # fmt: skip


@dataclass(frozen=True)
class BadCall:
    reason: str
    names: tuple[str, ...]
    """Parameter names the callable does accept (for "did you mean")."""

    @property
    def keyword(self) -> str | None:
        """The offending keyword, for an unexpected or duplicated keyword argument."""
        return self.reason.split("'")[1] if "'" in self.reason and "keyword" in self.reason else None

    def message(self, callee: str) -> str:
        hint = ""
        if self.reason.startswith("unexpected keyword"):
            word = self.reason.split("'")[1]
            close = difflib.get_close_matches(word, self.names, n=1, cutoff=0.6)
            hint = f"; did you mean '{close[0]}'?" if close else ""
        return f"{callee}() {self.reason}{hint}"


def signatures(env: Environment, target: Resolved, via_instance: bool) -> list[Signature] | None:
    """The signatures a call to ``target`` must fit (None when we cannot know them)."""
    if isinstance(target, Klass):
        return _constructor(env, target)
    if not isinstance(target, Func):
        return None
    kinds = _decorator_kinds(env, target)
    if kinds is None or "builtins.property" in kinds:
        return None
    sigs = target.info.signatures
    if target.owner is None or "builtins.staticmethod" in kinds:
        return sigs
    if "builtins.classmethod" in kinds or via_instance or target.through_class:
        return [s.bound() for s in sigs]
    return sigs


def _decorator_kinds(env: Environment, func: Func) -> set[str] | None:
    kinds = set()
    for deco in func.info.decorators:
        absolute = env.resolve_in(func.module, deco)[0] if deco != "?" else "?"
        if absolute not in _PRESERVING and not func.stub:
            return None
        kinds.add(absolute)
    return kinds


_KEEPS_CONSTRUCTOR = frozenset({
    "final", "disjoint_base", "type_check_only", "runtime_checkable", "deprecated", "total_ordering",
})  # fmt: skip
"""Class decorators that leave the constructor as the class body writes it (typeshed marks most
builtins ``@disjoint_base``: ``enumerate(xs, case_sensitive=False)`` went unchecked)."""


def _constructor(env: Environment, klass: Klass) -> list[Signature] | None:
    rewriting = any(d.rsplit(".", 1)[-1] not in _KEEPS_CONSTRUCTOR for d in klass.info.decorators)
    if rewriting or klass.info.metaclass:
        return None  # dataclass, attrs, enum and friends write their own __init__
    found: list[Signature] = []
    for method in ("__init__", "__new__"):
        member = env.member(klass, method)
        if not isinstance(member, Func) or member.owner is None:
            return None
        if member.owner.qualname == "builtins.object":
            continue
        if member.owner.info.stub and not klass.info.stub and member.owner.info.module != "builtins":
            return None  # e.g. NamedTuple, TypedDict: the class body, not the stub, makes __init__
        sigs = signatures(env, member, via_instance=True)
        if sigs is None or not _plain_hierarchy(env, klass):
            return None
        found.extend(sigs)
    return found or [Signature((), False, None)]


def _plain_hierarchy(env: Environment, klass: Klass, depth: int = 0) -> bool:
    """No decorator or metaclass anywhere up the bases (they may rewrite the constructor)."""
    if (klass.info.decorated and not klass.info.stub) or klass.info.metaclass or depth > 20:
        return False
    for base in klass.info.bases:
        if base is None:
            return False
        absolute, resolved = env.resolve_in(klass.info.module, base)
        if absolute.endswith((".Generic", ".Protocol")):
            continue
        if not isinstance(resolved, Klass) or not _plain_hierarchy(env, resolved, depth + 1):
            return False
    return True


def check_call(env: Environment, target: Resolved, call: CallShape, via_instance: bool = False) -> BadCall | None:
    """Why the call cannot bind to any signature of ``target``; None if it can or might."""
    sigs = signatures(env, target, via_instance)
    if not sigs:
        return None
    first: BadCall | None = None
    for sig in sigs:
        reason = problem(sig, call)
        if reason is None and sig.varkw is not None:
            reason = _forwarded_problem(env, target, sig, call)
        if reason is None:
            return None
        if first is None:
            first = BadCall(reason, tuple(p.name for p in sig.params if p.kind != "posonly"))
    return first


def _forwarded_problem(env: Environment, target: Resolved, sig: Signature, call: CallShape) -> str | None:
    """Keywords that land in ``**kwargs`` must be accepted where the body forwards them."""
    named = {p.name for p in sig.params if p.kind != "posonly"}
    extra = tuple(k for k in call.keywords if k not in named)
    if not extra or call.star_kwargs or not isinstance(target, Func) or target.owner is not None:
        return None
    forwards, module = _forwards_of(env, target, sig)
    if not forwards:
        return None
    for forward in forwards:
        if forward.unless is not None and forward.unless in call.keywords:
            return None
        callee = env.resolve_in(module, forward.callee)[1]
        inner = signatures(env, callee, via_instance=False)
        if not inner:
            return None
        shape = CallShape(0, tuple(k for k in extra if k not in forward.passed), True, False)
        if any(s.varkw is not None or problem(s, shape) is None for s in inner):
            return None
    return f"unexpected keyword argument '{extra[0]}'"


def _forwards_of(env: Environment, func: Func, sig: Signature) -> tuple[tuple[Forward, ...], str]:
    if not func.stub:
        return sig.forwards, func.module
    # A stub says ``**kwds: Any``; the stdlib's own source says where they go.
    source = env.summary(func.module, source=True)
    binding = source.names.get(func.info.name) if source is not None else None
    if binding is None or binding.function is None:
        return (), func.module
    return tuple(f for s in binding.function.signatures for f in s.forwards), func.module
