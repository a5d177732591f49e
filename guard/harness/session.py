"""One Hypothesis run per changed function, comparing old and new on the same inputs."""

from __future__ import annotations

import contextlib
import difflib
import math
import resource
import sys
import time
import traceback
from collections.abc import Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import FrameType, ModuleType
from typing import Any, TextIO

from hypothesis import HealthCheck, Phase, Verbosity, given, settings
from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument, Unsatisfiable

from guard.harness import mining
from guard.harness.audit import VIA, Auditor, SandboxViolation
from guard.harness.compare import (
    Compared,
    Drawn,
    Outcome,
    canon,
    differences,
    same,
    show,
    translator,
)
from guard.harness.loader import Touched, Worlds
from guard.harness.runtime import (
    LOAD_CAP,
    CallTimeout,
    Failure,
    Runtime,
    Stop,
    armed,
    cut_short,
    emit,
)
from guard.harness.strategies import Build, Context, NoStrategy
from guard.harness.subjects import (
    InvalidInput,
    Subject,
    comparable,
    inputs,
    locate,
    show_input,
    without_instance,
)
from guard.harness.verdict import (
    IDEMPOTENT_NAME,
    classify,
    raised_in_patched_code,
    round_trip_partner,
)

RULE_ORDER = ("runtime-error", "behaviour-change", "idempotence", "round-trip", "timeout",
              "resource-exhausted", "sandbox-violation")
STOP_RULES = frozenset({"timeout", "sandbox-violation", "resource-exhausted"})
# Distinct classes give Hypothesis distinct failures to shrink separately.
_FOUND = {rule: type(f"Found_{rule.replace('-', '_')}", (Exception,), {}) for rule in RULE_ORDER}


@dataclass
class Probe:
    rt: Runtime
    new: Subject
    old: Subject | None
    touched: Touched
    deadline: float
    limit_s: float
    differential: bool = True
    pair: tuple[Subject, Subject, Subject | None, Subject | None] | None = None
    """(new encoder, new decoder, old encoder, old decoder) for the round-trip check."""
    loose: bool = False
    """Some inputs were guessed (Any, inferred, defaults for callables): a new function's
    TypeError or sandbox violation may be the guess's fault, not the code's."""
    guessed: frozenset[str] = frozenset()
    """Parameters whose values were guessed from names or use (no annotation, no default)."""
    found: dict[str, Failure] = field(default_factory=dict)
    failing: dict[str, Any] = field(default_factory=dict)
    """The input of each recorded failure."""
    notes: list[str] = field(default_factory=list)
    unstable: dict[bool, set[tuple[int, ...]]] = field(
        default_factory=lambda: {False: set(), True: set()})
    """Parts of the result (False) and of the arguments after the call (True) in which the
    old version was seen to differ from itself."""
    finished: int = 0
    """Inputs on which the calls finished (returned or raised) in time."""
    hard_end: float = math.inf
    """When the child must have ended its work (the job's ``stage_end``)."""
    old_s: float = 0.0
    """The old version's own time on the last input (see :data:`SLOW_SHARE`)."""
    cpu_deadline: float = math.inf
    """When this process's CPU time (``time.process_time``) says the function has used its cap
    (see :data:`CPU_SLACK`): CPU, so a loaded machine tests as many inputs as an idle one (same
    patch, same findings); ``deadline``, in wall time, is the looser cap that keeps a loaded check
    bounded."""

    def step(self, inp: Any) -> None:
        if time.monotonic() > self.deadline or time.process_time() > self.cpu_deadline:
            raise Stop  # out of time: end generation (or shrinking) now
        broken: list[str | None] = []
        if self.differential:
            results = self._call(inp)
            if any(r is not None and isinstance(r[0].exc, InvalidInput) for r in results):
                return  # the input could not be built: the function was never called
            if any(r is not None and r[0].kind == "timeout" for r in results):
                if any(r is not None and cut_short(r[0]) for r in results):
                    # Stopped by the search's own end before the call used its own limit: says
                    # nothing of the code (a 4 ms call queued behind other processes).
                    raise Stop
            else:
                self.finished += 1
            broken += self._judge(inp, *results)
        if self.pair is not None:
            broken.append(self._round_trip(inp))
        rules = [rule for rule in broken if rule is not None]
        if any(rule in STOP_RULES for rule in rules):
            raise Stop
        if rules:  # one exception per example; every broken rule has been recorded
            raise _FOUND[rules[0]]()

    def _call(self, inp: Any) -> tuple[Any, Any]:
        """Each call has its own limit; its wall time is capped at the search's end once calls
        have finished, and the first call's at :data:`LOAD_CAP` times its limit (never past the
        child's hard end): a first call that hangs is a finding even on a busy machine."""

        def cap() -> float:
            now = time.monotonic()
            if self.finished > 0:
                return max(0.05, self.deadline - now)
            return max(0.05, min(max(LOAD_CAP * self.limit_s, self.deadline - now), self.hard_end - now))

        new = self.rt.call(self.rt.worlds.new, self.new.call, inp, self.limit_s, cap())
        if self.old is None:
            return new, None
        old = self.rt.call(self.rt.worlds.old, self.old.call, self.rt.convert(inp), self.limit_s, cap())
        self.old_s = self.rt.last_s
        return new, old

    def _judge(self, inp: Any, new: tuple[Outcome, object], old: tuple[Outcome, object] | None
               ) -> list[str | None]:
        (new_o, new_state), (old_o, old_state) = new, old or (None, None)
        if old_o is not None and old_o.kind == "timeout":
            self.notes.append("old version timed out; comparison stopped")
            raise Stop
        rule = classify(old_o, new_o, self.touched.filename, self.touched.after or "")
        if (rule in ("runtime-error", "sandbox-violation") and old_o is None and self.loose
                and not _proof(new_o)):
            self._note(f"{rule} of a new function on guessed inputs not reported "
                       f"({new_o.describe()[:80]})")
            rule = None
        if (rule == "sandbox-violation" and old_o is not None and old_o.kind == "raise"
                and all(VIA in v for v in new_o.violations)):
            self._note(f"a sandbox refusal on an input the old version rejected "
                       f"({old_o.describe()[:60]}), committed by the stdlib on the new code's behalf "
                       f"({new_o.violations[0][:100]}), not reported: a new feature's environment "
                       "query, not code of the patch doing what the sandbox forbids")
            rule = None
        if rule == "timeout" and old_o is not None and self.old_s >= SLOW_SHARE * self.limit_s:
            self._note(f"a timeout of the new version on an input the old one took "
                       f"{self.old_s:.2f} s of its {self.limit_s:g} s limit for, not reported: both "
                       "are slow there, and which one crosses the limit is chance")
            rule = None
        if rule in ("timeout", "resource-exhausted") and old_o is None and _asks_for_much(inp):
            self._note(f"{rule} of a function with no old version to compare, on an input holding "
                       f"an integer of {HUGE:,} or more, not reported: the size asked for, not "
                       "the code, may be the cause")
            rule = None
        extra: tuple[tuple[str, str], ...] = ()
        if (rule in ("behaviour-change", "runtime-error") and old_o is not None
                and self._old_crashed(old_o) and not _proof(new_o)):
            self._note("inputs on which the old version crashed (TypeError, AttributeError) are "
                       "not compared: they are outside what it could handle")
            rule = None
        if rule == "runtime-error" and self._guess_lacks(new_o.exc):
            self._note(f"an error on a guessed parameter's value not reported "
                       f"({new_o.describe()[:80]}): a value of another type has that attribute")
            rule = None
        old_state, new_state, drop = comparable(old_state, new_state)
        state_changed = (rule is None and old_o is not None and old_o.kind == new_o.kind == "return"
                         and not same(old_state, new_state))
        if (rule == "behaviour-change" or state_changed) and not self._repeatable(
            inp, old_o, new_o, old_state, new_state, state_changed, drop
        ):
            self._note("the old version gives different results on the same input "
                       "(time, randomness or global state): those differences are not reported")
            rule, state_changed = None, False
        if state_changed:
            was, now = _first_difference(old_state, new_state)
            rule, extra = "behaviour-change", (("old_args_after", show(old_state)),
                                               ("new_args_after", show(new_state)),
                                               ("old_state", was), ("new_state", now))
        if rule is not None:
            self._record(rule, inp, old_o, new_o, extra)
        if (new_o.kind == "return" and not self.new.bound and not isinstance(new_o.value, Drawn)
                and IDEMPOTENT_NAME.search(self.new.name)):
            return [rule, self._idempotence(inp, new_o, old_o)]
        return [rule]

    def _old_crashed(self, old: Outcome) -> bool:
        """The old version failed on this input with a type error of its own making (not a
        deliberate ``raise``): the input is outside its domain, and a new version that does
        something else with it extends or fixes it rather than changing it."""
        return old.kind == "raise" and isinstance(old.exc, (TypeError, AttributeError)) and (
            raised_in_patched_code(old.exc, self.touched.filename, self.touched.before or "",
                                   strict=False))

    def _guess_lacks(self, exc: BaseException | None) -> bool:
        """``exc`` is an AttributeError on the very value of a parameter whose type was guessed
        (``base_attr_map=[]`` has no ``get``), for an attribute that values of other common types
        have: the guess, not the code, is wrong. An attribute no common type has
        (``str.contains``) is still the code's error."""
        if not isinstance(exc, AttributeError) or not self.guessed or exc.name is None:
            return False
        if not any(hasattr(t, exc.name) for t in _COMMON_TYPES if not isinstance(exc.obj, t)):
            return False
        code = getattr(self.new.fn, "__code__", None)
        tb = exc.__traceback__
        while tb is not None:
            frame = tb.tb_frame
            if frame.f_code is code:
                return any(exc.obj is frame.f_locals.get(name) for name in self.guessed)
            tb = tb.tb_next
        return False

    def _note(self, text: str) -> None:
        if text not in self.notes:
            self.notes.append(text)

    def _repeatable(self, inp: Any, old: Outcome | None, new: Outcome, old_state: object,
                    new_state: object, state: bool, drop: bool) -> bool:
        """Run the old version again on ``inp``: is some part of what differs between old
        and new a part that the old version reproduces? A difference only in what the old
        version does not repeat itself (a timestamp, a random id) proves nothing. Parts seen
        to vary once are not re-run for again."""
        if old is None or self.old is None:
            return True
        a, b = (old_state, new_state) if state else (old.shape(), new.shape())
        differ = differences(a, b) - self.unstable[state]
        if not differ:
            return False
        limit = max(0.05, min(self.limit_s, self.deadline - time.monotonic()))
        again, again_state = self.rt.call(self.rt.worlds.old, self.old.call,
                                          self.rt.convert(inp), limit)
        varies = differences(a, without_instance(again_state, drop) if state else again.shape())
        self.unstable[state] |= varies
        return bool(differ - varies)

    def _record(self, rule: str, inp: Any, old: Outcome | None, new: Outcome,
                extra: tuple[tuple[str, str], ...] = ()) -> None:
        self.failing[rule] = inp
        text = show_input(self.new, inp, show)
        evidence = (("input", text), *((("old", old.describe()),) if old else ()),
                    ("new", new.describe()), *extra)
        message = _message(rule, text, old, new)
        state = dict(extra)
        if "old_state" in state:
            message = (f"{text} returns {new.describe()} as before, but leaves a different state: "
                       f"{state['old_state']} before the patch, {state['new_state']} after")
        self.found[rule] = Failure(rule, message, evidence)

    def _idempotence(self, inp: Any, new: Outcome, old: Outcome | None) -> str | None:
        again = self._again(self.new, inp, new.value, self.rt.worlds.new)
        if again is None or same(canon(new.value), canon(again.value)):
            return None
        if old is not None and self.old is not None and old.kind == "return":
            old_again = self._again(self.old, self.rt.convert(inp), old.value, self.rt.worlds.old)
            if old_again is None or not same(canon(old.value), canon(old_again.value)):
                return None  # the old version was not idempotent here either
        text = show_input(self.new, inp, show)
        evidence = (("input", text), ("once", show(new.value)), ("twice", show(again.value)))
        message = (f"{self.new.name} is not idempotent: applied once gives {show(new.value)}, "
                   f"twice gives {show(again.value)} (input {text})")
        self.found["idempotence"] = Failure("idempotence", message, evidence)
        return "idempotence"

    def _again(self, subject: Subject, inp: Any, value: Any, world: Any) -> Outcome | None:
        replaced = _with_single(inp, value)
        if replaced is None:
            return None
        outcome, _ = self.rt.call(world, subject.call, replaced, self.limit_s)
        return outcome if outcome.kind == "return" else None

    def _round_trip(self, inp: Any) -> str | None:
        assert self.pair is not None
        enc, dec, old_enc, old_dec = self.pair
        broken = self._trip(enc, dec, inp, self.rt.worlds.new)
        if broken is None:
            return None
        if old_enc is not None and old_dec is not None and self._trip(
            old_enc, old_dec, self.rt.convert(inp), self.rt.worlds.old
        ) is not None:
            return None  # broken before the patch too
        text = show_input(enc, inp, show)
        message = f"{dec.name}({enc.name}(x)) != x for {text}: got {broken}"
        evidence = (("input", text), ("round_trip", broken))
        self.found["round-trip"] = Failure("round-trip", message, evidence)
        return "round-trip"

    def _trip(self, enc: Subject, dec: Subject, inp: Any, world: Any) -> str | None:
        encoded, _ = self.rt.call(world, enc.call, inp, self.limit_s)
        original = _single(inp)
        if encoded.kind != "return" or original is _NONE:
            return None
        decoded = self._again(dec, ((encoded.value,), {}), encoded.value, world)
        if decoded is None:
            return "decoding raised"
        return None if same(canon(decoded.value), canon(original)) else show(decoded.value)


_NONE = object()
HUGE = 1 << 20
"""An integer this large in an input asks for work or memory in proportion (``indent=45137944``
spaces): a new function that then runs out of time or memory does what it was asked."""


def _asks_for_much(value: Any, depth: int = 0) -> bool:
    if depth > 8:
        return False
    if isinstance(value, int) and not isinstance(value, bool):
        return abs(value) >= HUGE
    if isinstance(value, Build):
        value = value.kwargs
    if isinstance(value, dict):
        return any(_asks_for_much(v, depth + 1) for v in value.values())
    if isinstance(value, (list, tuple, set, frozenset)):
        return any(_asks_for_much(v, depth + 1) for v in value)
    return False
_COMMON_TYPES = (str, bytes, int, float, list, tuple, dict, set, frozenset)


def _proof(outcome: Outcome) -> bool:
    """An error no generated value can provoke: a name or import that does not exist, or an
    attribute missing from a module."""
    exc = outcome.exc
    if outcome.kind != "raise" or exc is None:
        return False
    return isinstance(exc, (NameError, ImportError)) or (
        isinstance(exc, AttributeError) and isinstance(getattr(exc, "obj", None), ModuleType))


EDITED_RATIO = 0.5
"""A changed line at least this similar to a removed line is an edit of it."""


def changed_lines(before: str | None, after: str | None) -> dict[int, int]:
    """Lines of ``after`` the patch changed -> priority: 2 for an edit of a removed line (the
    ``>`` become ``>=``), 1 for a line with no counterpart (an extracted helper's call, a new
    branch) or the line after deleted ones. A line the patch only moved (identical to a
    removed one) is not a candidate."""
    if before is None or after is None:
        return {}
    old, new = before.splitlines(), after.splitlines()
    opcodes = difflib.SequenceMatcher(None, old, new, autojunk=False).get_opcodes()
    removed = list(dict.fromkeys(old[i].strip() for tag, i1, i2, _, _ in opcodes
                                 if tag != "equal" for i in range(i1, i2)))
    moved = set(removed)
    found: dict[int, int] = {}
    for tag, _, _, j1, j2 in opcodes:
        if tag == "delete" and j1 < len(new):
            found.setdefault(j1 + 1, 1)
        if tag not in ("replace", "insert"):
            continue
        for j in range(j1, j2):
            text = new[j].strip()
            if not text or text.startswith("#") or text in moved:
                continue
            edited = any(difflib.SequenceMatcher(None, text, r, autojunk=False).ratio()
                         >= EDITED_RATIO for r in removed)
            found[j + 1] = 2 if edited else 1
    return found


_MAX_TRACED = 100_000


def trace_lines(run: Any, filename: str) -> tuple[Any, list[int]]:
    """Wrap ``run`` so that it records the lines of ``filename`` it executes, in order."""
    executed: list[int] = []

    def local(frame: FrameType, event: str, arg: Any) -> Any:
        if event == "line" and len(executed) < _MAX_TRACED:
            executed.append(frame.f_lineno)
        return local

    def tracer(frame: FrameType, event: str, arg: Any) -> Any:
        return local if frame.f_code.co_filename == filename else None

    def traced(inp: Any) -> tuple[Any, object]:
        sys.settrace(tracer)
        try:
            result: tuple[Any, object] = run(inp)
        finally:
            sys.settrace(None)
        return result

    return traced, executed


def _changed_line(probe: Probe, rule: str) -> int | None:
    """The changed line the failing input executed last in the new version (a modified line
    before a purely added one): where the behaviour changed, rather than the ``def``."""
    lines = changed_lines(probe.touched.before, probe.touched.after)
    if not lines or rule not in probe.failing:
        return None
    run, executed = trace_lines(probe.new.call, probe.touched.filename)
    probe.rt.call(probe.rt.worlds.new, run, probe.failing[rule], probe.limit_s)
    hits = [n for n in executed if n in lines]
    if not hits:
        return None
    best = max(lines[n] for n in hits)
    return [n for n in hits if lines[n] == best][-1]


def _single(inp: Any) -> Any:
    args, kwargs = inp
    values = [*args, *kwargs.values()]
    return values[0] if len(values) == 1 else _NONE


def _with_single(inp: Any, value: Any) -> Any:
    args, kwargs = inp
    if len(args) + len(kwargs) != 1:
        return None
    return ((value,), {}) if args else ((), {k: value for k in kwargs})


def _first_difference(old: object, new: object) -> tuple[str, str]:
    """The first part in which two canonical states differ, shown plainly."""
    paths = sorted(differences(old, new))
    if not paths:
        return show(old), show(new)

    def part(value: object, path: tuple[int, ...]) -> str:
        for i in path:
            if not isinstance(value, tuple) or i >= len(value):
                break
            value = value[i]
        if isinstance(value, tuple) and len(value) == 3 and value[0] == "eq":
            value = value[2]  # ("eq", "deque", deque([...])): the value itself
        if isinstance(value, Compared):
            value = value.value
        return show(value)

    return part(old, paths[0]), part(new, paths[0])


def _message(rule: str, text: str, old: Outcome | None, new: Outcome) -> str:
    before = f" (before the patch: {old.describe()})" if old is not None else ""
    if rule == "behaviour-change":
        return (f"{text} changed behaviour: {old.describe() if old else '?'} before the patch, "
                f"{new.describe()} after")
    if rule == "runtime-error":
        return f"{text} {new.describe()}{before}"
    if rule == "timeout":
        return f"{text} did not finish in time{before}"
    if rule == "resource-exhausted":
        return f"{text} exhausted a resource: {new.describe()}{before}"
    return f"{text} attempted: {new.describe()}{before}"


def _settings(max_examples: int) -> settings:
    return settings(
        database=None, derandomize=True, deadline=None, max_examples=max_examples,
        suppress_health_check=list(HealthCheck), print_blob=False, verbosity=Verbosity.quiet,
        phases=(Phase.explicit, Phase.generate, Phase.shrink),  # 'explain' costs ~0.4 s a failure
    )


def _without_mutations() -> None:
    """Turn off Hypothesis's duplication mutator for the child (its only searches are ours).

    After each generated example the engine tries up to ten copies of it with one span copied
    over another of the same label; most come out as inputs already run, which it recognises only
    by replaying the draws through its tree. On tomli 2.0.1's parser functions that was half of
    the search's CPU time (3.3 s of 10 functions' searches; the functions' own calls 0.6 s) for the
    same 200 distinct inputs each. An engine without the method (another Hypothesis) is left
    alone."""
    from hypothesis.internal.conjecture import engine

    runner = getattr(engine, "ConjectureRunner", None)
    if runner is not None and callable(getattr(runner, "generate_mutations_from", None)):
        runner.generate_mutations_from = lambda self, data: None


def _explore(probe: Probe, strategy: st.SearchStrategy[Any], max_examples: int) -> None:
    def test(inp: Any) -> None:
        probe.step(inp)

    _without_mutations()
    try:
        _settings(max_examples)(given(strategy)(test))()
    except (InvalidArgument, Unsatisfiable) as exc:
        probe.notes.append(f"could not generate inputs: {str(exc).splitlines()[0][:200]}")
    except BaseException:
        pass


def _pair(rt: Runtime, touched: Touched, name: str, sub: Subject
          ) -> tuple[Subject, Subject, Subject | None, Subject | None] | None:
    names = round_trip_partner(name)
    if names is None or sub.cls is not None:
        return None
    mods = rt.worlds.new.modules.get(touched.name), rt.worlds.old.modules.get(touched.name)
    found: list[Subject | None] = []
    for mod in mods:
        for fn_name in names:
            try:
                found.append(locate(mod, fn_name) if mod is not None else None)
            except NoStrategy:
                found.append(None)
    enc, dec, old_enc, old_dec = found
    if enc is None or dec is None:
        return None
    return enc, dec, old_enc, old_dec


def _context(rt: Runtime, touched: Touched, qualname: str, by_name: dict[str, Touched],
             calls: Mapping[str, Mapping[str, Sequence[str]]] | None = None) -> Context:
    """The constants of the old and new bodies (and their helpers), the repo's packages, and
    how to read the constants of a repo class's constructor."""
    mined = mining.mine_function([touched.before, touched.after], qualname)
    for world in (rt.worlds.new, rt.worlds.old):
        module = world.modules.get(touched.name)
        if module is not None:
            mined = mining.resolve(mined, vars(module))
    constants: dict[type, mining.Mined] = {}
    changing: dict[type, frozenset[str] | None] = {}

    def source(cls: type) -> str | None:
        twin = by_name.get(cls.__module__)
        return (twin.after or twin.before) if twin else _read_source(cls.__module__)

    def init_constants(cls: type) -> mining.Mined:
        if cls not in constants:
            constants[cls] = mining.mine_init(source(cls), cls.__qualname__)
        return constants[cls]

    def mutators(cls: type) -> frozenset[str] | None:
        if cls not in changing:
            changing[cls] = mining.mutators(source(cls), cls.__qualname__)
        return changing[cls]

    local = frozenset(name.split(".")[0] for name in by_name)
    return Context(mined=mined, local=local, init_constants=init_constants, mutators=mutators,
                   kinds=dict(mined.kinds), calls=calls or {})


def _read_source(module_name: str) -> str | None:
    filename = getattr(sys.modules.get(module_name), "__file__", None)
    if not filename or not filename.endswith(".py"):
        return None
    try:
        return Path(filename).read_text(encoding="utf-8")
    except (OSError, ValueError):
        return None


def check_function(rt: Runtime, fn: dict[str, Any], touched: Touched, budget: dict[str, Any],
                   deadline: float, by_name: dict[str, Touched] | None = None,
                   changed: Collection[str] = (), hard_end: float = math.inf,
                   cpu_left: float = math.inf,
                   calls: Mapping[str, Mapping[str, Sequence[str]]] | None = None
                   ) -> tuple[list[Failure], list[str]]:
    cpu_deadline = time.process_time() + min(
        CPU_SLACK * budget["per_function_s"] * budget.get("search_share", 1.0), cpu_left)
    qualname = fn["qualname"]
    label = f"{fn['path']}::{qualname}"
    new_mod = rt.worlds.new.modules.get(touched.name)
    if touched.after is None or new_mod is None:
        return _import_failure(rt, touched, label)
    ctx = _context(rt, touched, qualname, by_name or {touched.name: touched}, calls or {})
    try:
        new = locate(new_mod, qualname)
        strategy, weak = inputs(new, ctx, changed)
    except NoStrategy as exc:
        return [], [f"untested: {label} — {exc}"]
    old_mod = rt.worlds.old.modules.get(touched.name)
    old, notes = None, []
    if not fn["is_new"] and old_mod is not None:
        try:
            old = locate(old_mod, qualname)
        except NoStrategy:
            old = None
    if old is not None and old.params() != new.params():
        notes.append(f"crash-only: {label} — parameters changed, old and new not compared")
        old = None
    if old is not None and old.bound != new.bound:
        # A method became a static function (or back): both get the method's input, and the
        # static one ignores the instance.
        if old.bound:
            try:
                strategy, weak = inputs(old, ctx, changed)
            except NoStrategy:
                old = None
                notes.append(f"crash-only: {label} — no longer a method, old and new not compared")
            new = replace(new, instance_input=True)
        else:
            old = replace(old, instance_input=True)
    if weak:
        notes.append(f"weakly tested: {label} — values for {', '.join(weak)} guessed from "
                     "names, use or defaults")
    probe = Probe(rt, new, old, touched, deadline, budget["per_function_s"],
                  loose=bool(ctx.loose), guessed=frozenset(weak), cpu_deadline=cpu_deadline,
                  hard_end=hard_end)
    probe.pair = _pair(rt, touched, new.name, new)
    if probe.pair is not None and probe.pair[1] is not None and probe.pair[1].name == new.name:
        _explore(probe, strategy, budget["max_examples"])  # the decoder's own inputs first
        try:
            probe.differential, strategy = False, inputs(probe.pair[0], ctx)[0]
        except NoStrategy as exc:
            # The encoder takes what cannot be generated (werkzeug's quote_header_value, whose
            # annotations do not resolve): no round trip, the decoder is compared with its old
            # version on its own inputs instead (this used to crash the child).
            notes.append(f"{label}: round trip through {probe.pair[0].name} not searched — {exc}")
            probe.pair = None
    examples = budget["max_examples"]
    focus = _focused(old if old is not None and old.bound and not new.bound else new, ctx,
                     changed) if probe.differential else None
    if focus is not None:
        _explore(probe, focus, max(1, examples // FOCUS_SHARE))
        examples -= max(1, examples // FOCUS_SHARE)
    _explore(probe, strategy, examples)
    if "behaviour-change" in probe.found:
        line = _changed_line(probe, "behaviour-change")
        if line is not None:
            failure = probe.found["behaviour-change"]
            probe.found["behaviour-change"] = Failure(failure.rule, failure.message,
                                                      failure.evidence, line)
    found = [probe.found[rule] for rule in RULE_ORDER if rule in probe.found]
    return found, notes + [f"{label}: {n}" for n in probe.notes]


FOCUS_SHARE = 4
"""One example in this many goes to the boundary-value pass, before the mixed search."""


def _focused(subject: Subject, ctx: Context, changed: Collection[str]
             ) -> st.SearchStrategy[Any] | None:
    """Inputs drawn only from what the code checks (its literals, the affixes and keys it looks
    for, the sizes it compares with) wherever it checks something: the boundary-value pass. None
    when the code checks no constant at all (the mixed search covers it alone)."""
    if ctx.mined.empty():
        return None
    try:
        return inputs(subject, replace(ctx, focus=True), changed)[0]
    except NoStrategy:
        return None


def _import_failure(rt: Runtime, touched: Touched, label: str) -> tuple[list[Failure], list[str]]:
    error = rt.worlds.new.errors.get(touched.name)
    if touched.after is None or error is None:
        return [], [f"untested: {label} — module not available after the patch"]
    if touched.before is not None and touched.name in rt.worlds.old.errors:
        return [], [f"untested: {label} — module fails to import before and after the patch "
                    f"({type(error).__name__}: {str(error)[:120]})"]
    if isinstance(error, ModuleNotFoundError) and not _own_module(error.name, touched):
        # A dependency missing from guard's environment says nothing about the patch; an import
        # of a module that exists nowhere is unresolved-import's to report, statically.
        return [], [f"untested: {label} — it imports {error.name!r}, which is not installed here"]
    if isinstance(error, SandboxViolation) and _refused_in_dependency(error, touched, rt.worlds):
        return [], [f"untested: {label} — a module it imports, unchanged by the patch, does at "
                    f"import what the sandbox refuses ({error})"]
    new = Outcome("timeout") if isinstance(error, CallTimeout) else Outcome("raise", exc=error)
    old = None if touched.before is None else Outcome("return")
    rule = classify(old, new, touched.filename, touched.after) or "runtime-error"
    message = f"module {touched.name} fails to import after the patch: {new.describe()}"
    return [Failure(rule, message, (("new", new.describe()),))], []


def _refused_in_dependency(error: BaseException, touched: Touched, worlds: Worlds) -> bool:
    """The refusal happened while the touched module ran an ``import`` of a module the patch did
    not touch (colorama importing ``ctypes``): that module does the same before the patch."""
    frames = traceback.extract_tb(error.__traceback__)
    own = [i for i, f in enumerate(frames) if f.filename == touched.filename]
    if not own:
        return False
    patched = {source[1] for source in worlds.new.sources.values()}
    if any(f.filename in patched for f in frames[own[-1] + 1:]):
        return False
    line = (touched.after or "").splitlines()[(frames[own[-1]].lineno or 1) - 1:][:1]
    return bool(line) and line[0].lstrip().startswith(("import ", "from "))


def _own_module(name: str | None, touched: Touched) -> bool:
    """Is ``name`` one of the repo's own modules (same top-level package as the touched one)?"""
    if not name:
        return False
    return name.split(".")[0] == touched.name.split(".")[0]


TEST_IMPORT_S = 2.0
"""Time for each world's imports of the test modules (pytest and the tests' own imports)."""


def _run_tests(job: dict[str, Any], rt: Runtime, touched: list[Touched], names: dict[str, str],
               auditor: Auditor, out: TextIO, stage_end: float) -> None:
    """The repo's tests of the changed code (:mod:`guard.harness.testrun`), before the search."""
    from guard.harness.testrun import TestSpec, run_tests

    specs = [TestSpec(names[t["path"]], t["path"], t["qualname"], t["changed"]) for t in job["tests"]]
    paths = {str(Path(job["repo"]) / m["path"]): m["path"] for m in job["modules"]}

    @contextlib.contextmanager
    def bounded() -> Iterator[None]:
        with contextlib.suppress(CallTimeout), armed(auditor, TEST_IMPORT_S):
            yield

    emit(out, event="tests-start")
    rt.worlds.load_tests(sorted({s.module for s in specs}), bounded)
    findings, notes = run_tests(rt, specs, touched, paths, job["budget"].get("tests_s", 0.0),
                                TEST_CALL_S, Path(job["box"]) / "tmp", stage_end)
    rt.worlds.rebind_shared(rt.worlds.new)
    rt.worlds.enter(rt.worlds.new)
    emit(out, event="tests-done", findings=findings, notes=notes)


TEST_CALL_S = 2.0
"""Wall time for one call of one test case: generous, so that a busy machine does not time out a
test an idle one finishes (a hanging test still stops, and the stage's end bounds them all)."""

CPU_SLACK = 1.5
"""The search's budget is its example count (``max_examples``): the same inputs every run, so the
same patch gets the same findings. CPU time only caps a function whose examples are slow, at this
many times ``per_function_s``. At 1 (a CPU budget), a function whose examples fill about a second
was cut short at a different example from run to run, and a behaviour change found at its 200th
example came and went with the machine's load."""

WALL_SLACK = 5.0
"""How far a function's wall time may stretch past its CPU budget when the machine is busy. An
idle machine never reaches it (wall time is CPU time there); at 3, two checks side by side on two
cores (the determinism test's load: each check's analyzers and its sandbox child compete for the
same core) cut one Hypothesis search short in one of 762 runs, and a finding went missing. The
stage's own end still bounds the whole."""


QUICK_EXAMPLES = 25
"""The first pass's examples per function. A patch may change dozens of functions, more than the
stage's budget searches at ``max_examples`` each, and functions were searched in the patch's file
order until time ran out: a flipped comparison in the fortieth went unseen (jinja2 and markdown
releases). So every function first gets this many (its boundary-value pass among them, where most
flipped comparisons and changed defaults show), and those with nothing found yet then get the full
search, in the same order, with the time that is left."""


def _schedule(functions: list[dict[str, Any]]) -> list[int]:
    """The order functions are searched in: those with an old version to compare against first (a
    differential test can see any change of behaviour; a new function's search can only see it
    crash), each group in the patch's order."""
    return sorted(range(len(functions)), key=lambda i: bool(functions[i]["is_new"]))


def needs_quick_pass(functions: int, budget: dict[str, Any], cpu_left: float) -> bool:
    """The quick pass is for patches with more functions than the stage's time can search in
    full. Where every function's full search fits (each is capped at CPU_SLACK times
    ``per_function_s``), it would only repeat the full search's first examples, and its own
    set-up (strategies, a Hypothesis engine): a quarter of a one-function patch's time."""
    if int(budget["max_examples"]) <= QUICK_EXAMPLES:
        return False
    return functions * CPU_SLACK * float(budget["per_function_s"]) > cpu_left


def _scaled(budget: dict[str, Any], examples: int) -> dict[str, Any]:
    """``budget`` for a search of ``examples`` examples: the search's CPU cap shrinks in proportion
    (``search_share``), the time limit of one call does not (a call slower than that is a
    timeout finding, whichever pass makes it)."""
    full = max(1, int(budget["max_examples"]))
    examples = min(examples, full)
    return {**budget, "max_examples": examples, "search_share": max(examples / full, 0.25)}


SLOW_SHARE = 0.5
"""A timeout of the new version is a hang the patch made only where the old version finished the
same input in less than this share of the call limit: an input both take near the limit for (a
list of ten million items) times out one way or the other by chance, run to run."""


def _cpu_used() -> float:
    """CPU time of this process and of the children it has waited for (the repo's test runs)."""
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + children.ru_utime + children.ru_stime


def _searched(label: str, notes: list[str]) -> bool:
    """Did the search run at all (a function that cannot be called or given inputs says why)?"""
    return not any(n.startswith(f"untested: {label}") for n in notes)


def run_all(job: dict[str, Any], touched: list[Touched], names: dict[str, str],
            auditor: Auditor, out: TextIO) -> int:
    """Search every changed function, in two passes (see :data:`QUICK_EXAMPLES`). Events: ``start``
    before a function's first pass (a child that dies after it was running that function);
    ``held`` when its first pass found nothing and it waits for the second; ``again`` before its
    second pass; ``done`` with its findings and notes, once per function."""
    budget = job["budget"]
    # The stage's budget is CPU time, this process's and its test runs' (see
    # properties.STAGE_WALL_SLACK); its wall end is the job's (the parent sets it).
    stage_end = float(job.get("stage_end", math.inf))
    stage_cpu_end = _cpu_used() + budget["stage_s"]

    def over() -> bool:
        return time.monotonic() >= stage_end or _cpu_used() >= stage_cpu_end

    worlds = Worlds(touched)
    targets = sorted({names[f["path"]] for f in job["functions"]})
    try:
        with armed(auditor, max(1.0, budget["per_function_s"])):
            worlds.load(targets)
    except CallTimeout:
        pass
    rt = Runtime(worlds, auditor, convert=translator(worlds.new.modules, worlds.old.modules))
    by_name = {t.name: t for t in touched}
    if job.get("tests"):
        _run_tests(job, rt, touched, names, auditor, out, stage_end)
    functions: list[dict[str, Any]] = job["functions"]
    calls = job.get("calls", {})
    quick = _scaled(budget, QUICK_EXAMPLES)
    two_pass = needs_quick_pass(len(functions), budget, stage_cpu_end - _cpu_used())

    def search(index: int, this_budget: dict[str, Any]) -> tuple[list[Failure], list[str]]:
        fn = functions[index]
        now = time.monotonic()
        # The function's cap is CPU time (see Probe.cpu_deadline); wall time may stretch to
        # WALL_SLACK times it on a busy machine, never past the stage's end.
        deadline = min(now + WALL_SLACK * this_budget["per_function_s"], stage_end)
        changed = {f["qualname"] for f in functions if f["path"] == fn["path"]}
        return check_function(rt, fn, by_name[names[fn["path"]]], this_budget, deadline,
                              by_name, changed, job.get("stage_end", math.inf),
                              cpu_left=stage_cpu_end - _cpu_used(), calls=calls)

    held: dict[int, list[str]] = {}
    for index in _schedule(functions):
        fn = functions[index]
        label = f"{fn['path']}::{fn['qualname']}"
        if over():
            emit(out, event="done", index=index, findings=[],
                 notes=[f"untested: {label} — stage time budget used up"])
            continue
        emit(out, event="start", index=index)
        found, notes = search(index, quick if two_pass else budget)
        if two_pass and not found and _searched(label, notes):
            held[index] = notes
            emit(out, event="held", index=index)
        else:
            emit(out, event="done", index=index, findings=[f.as_json() for f in found], notes=notes)
    for index, notes in held.items():
        if over():
            label = f"{functions[index]['path']}::{functions[index]['qualname']}"
            emit(out, event="done", index=index, findings=[],
                 notes=[*notes, f"{label}: searched with {quick['max_examples']} examples only "
                                "(stage time budget used up)"])
            continue
        emit(out, event="again", index=index)
        found, notes = search(index, budget)
        emit(out, event="done", index=index, findings=[f.as_json() for f in found], notes=notes)
    return 0
