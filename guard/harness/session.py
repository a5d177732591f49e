"""One Hypothesis run per changed function, comparing old and new on the same inputs."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, TextIO

from hypothesis import HealthCheck, Phase, Verbosity, given, settings
from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument, Unsatisfiable

from guard.harness.audit import Auditor
from guard.harness.compare import Outcome, canon, same, show, translator
from guard.harness.loader import Touched, Worlds
from guard.harness.runtime import CallTimeout, Failure, Runtime, Stop, armed, emit
from guard.harness.strategies import NoStrategy
from guard.harness.subjects import Subject, inputs, locate, show_input
from guard.harness.verdict import IDEMPOTENT_NAME, classify, round_trip_partner

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
    found: dict[str, Failure] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def step(self, inp: Any) -> None:
        if time.monotonic() > self.deadline:
            return  # out of time: pass quickly so Hypothesis (and any shrinking) winds down
        broken: list[str | None] = []
        if self.differential:
            broken += self._judge(inp, *self._call(inp))
        if self.pair is not None:
            broken.append(self._round_trip(inp))
        rules = [rule for rule in broken if rule is not None]
        if any(rule in STOP_RULES for rule in rules):
            raise Stop
        if rules:  # one exception per example; every broken rule has been recorded
            raise _FOUND[rules[0]]()

    def _call(self, inp: Any) -> tuple[Any, Any]:
        limit = max(0.05, min(self.limit_s, self.deadline - time.monotonic()))
        new = self.rt.call(self.rt.worlds.new, self.new.call, inp, limit)
        if self.old is None:
            return new, None
        return new, self.rt.call(self.rt.worlds.old, self.old.call, self.rt.convert(inp), limit)

    def _judge(self, inp: Any, new: tuple[Outcome, object], old: tuple[Outcome, object] | None
               ) -> list[str | None]:
        (new_o, new_state), (old_o, old_state) = new, old or (None, None)
        if old_o is not None and old_o.kind == "timeout":
            self.notes.append("old version timed out; comparison stopped")
            raise Stop
        rule = classify(old_o, new_o, self.touched.filename, self.touched.after or "")
        extra: tuple[tuple[str, str], ...] = ()
        if rule is None and old_o is not None and new_o.kind == "return" and not same(
            old_state, new_state
        ):
            rule, extra = "behaviour-change", (("old_args_after", show(old_state)),
                                               ("new_args_after", show(new_state)))
        if rule is not None:
            self._record(rule, inp, old_o, new_o, extra)
        if (new_o.kind == "return" and not self.new.bound
                and IDEMPOTENT_NAME.search(self.new.name)):
            return [rule, self._idempotence(inp, new_o, old_o)]
        return [rule]

    def _record(self, rule: str, inp: Any, old: Outcome | None, new: Outcome,
                extra: tuple[tuple[str, str], ...] = ()) -> None:
        text = show_input(self.new, inp, show)
        evidence = (("input", text), *((("old", old.describe()),) if old else ()),
                    ("new", new.describe()), *extra)
        self.found[rule] = Failure(rule, _message(rule, text, old, new), evidence)

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


def _single(inp: Any) -> Any:
    args, kwargs = inp
    values = [*args, *kwargs.values()]
    return values[0] if len(values) == 1 else _NONE


def _with_single(inp: Any, value: Any) -> Any:
    args, kwargs = inp
    if len(args) + len(kwargs) != 1:
        return None
    return ((value,), {}) if args else ((), {k: value for k in kwargs})


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


def _explore(probe: Probe, strategy: st.SearchStrategy[Any], max_examples: int) -> None:
    def test(inp: Any) -> None:
        probe.step(inp)

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


def check_function(rt: Runtime, fn: dict[str, Any], touched: Touched, budget: dict[str, Any],
                   deadline: float) -> tuple[list[Failure], list[str]]:
    qualname = fn["qualname"]
    label = f"{fn['path']}::{qualname}"
    new_mod = rt.worlds.new.modules.get(touched.name)
    if touched.after is None or new_mod is None:
        return _import_failure(rt, touched, label)
    try:
        new = locate(new_mod, qualname)
        strategy, weak = inputs(new)
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
    if weak:
        notes.append(f"weakly tested: {label} — values for {', '.join(weak)} guessed from "
                     "names or defaults")
    probe = Probe(rt, new, old, touched, deadline, budget["per_function_s"])
    probe.pair = _pair(rt, touched, new.name, new)
    if probe.pair is not None and probe.pair[1] is not None and probe.pair[1].name == new.name:
        _explore(probe, strategy, budget["max_examples"])  # the decoder's own inputs first
        probe.differential, strategy = False, inputs(probe.pair[0])[0]
    _explore(probe, strategy, budget["max_examples"])
    found = [probe.found[rule] for rule in RULE_ORDER if rule in probe.found]
    return found, notes + [f"{label}: {n}" for n in probe.notes]


def _import_failure(rt: Runtime, touched: Touched, label: str) -> tuple[list[Failure], list[str]]:
    error = rt.worlds.new.errors.get(touched.name)
    if touched.after is None or error is None:
        return [], [f"untested: {label} — module not available after the patch"]
    if touched.before is not None and touched.name in rt.worlds.old.errors:
        return [], [f"untested: {label} — module fails to import before and after the patch"]
    if isinstance(error, ModuleNotFoundError) and not _own_module(error.name, touched):
        # A dependency missing from guard's environment says nothing about the patch; an import
        # of a module that exists nowhere is unresolved-import's to report, statically.
        return [], [f"untested: {label} — it imports {error.name!r}, which is not installed here"]
    new = Outcome("timeout") if isinstance(error, CallTimeout) else Outcome("raise", exc=error)
    old = None if touched.before is None else Outcome("return")
    rule = classify(old, new, touched.filename, touched.after) or "runtime-error"
    message = f"module {touched.name} fails to import after the patch: {new.describe()}"
    return [Failure(rule, message, (("new", new.describe()),))], []


def _own_module(name: str | None, touched: Touched) -> bool:
    """Is ``name`` one of the repo's own modules (same top-level package as the touched one)?"""
    if not name:
        return False
    return name.split(".")[0] == touched.name.split(".")[0]


def run_all(job: dict[str, Any], touched: list[Touched], names: dict[str, str],
            auditor: Auditor, out: TextIO) -> int:
    budget = job["budget"]
    stage_end = time.monotonic() + budget["stage_s"]
    worlds = Worlds(touched)
    targets = sorted({names[f["path"]] for f in job["functions"]})
    try:
        with armed(auditor, max(1.0, budget["per_function_s"])):
            worlds.load(targets)
    except CallTimeout:
        pass
    rt = Runtime(worlds, auditor, convert=translator(worlds.new.modules, worlds.old.modules))
    by_name = {t.name: t for t in touched}
    for index, fn in enumerate(job["functions"]):
        now = time.monotonic()
        if now >= stage_end:
            label = f"{fn['path']}::{fn['qualname']}"
            emit(out, event="done", index=index, findings=[],
                 notes=[f"untested: {label} — stage time budget used up"])
            continue
        emit(out, event="start", index=index)
        deadline = min(now + budget["per_function_s"], stage_end)
        found, notes = check_function(rt, fn, by_name[names[fn["path"]]], budget, deadline)
        emit(out, event="done", index=index, findings=[f.as_json() for f in found], notes=notes)
    return 0
