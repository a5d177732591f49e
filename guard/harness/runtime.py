"""Calling untrusted code: every call under audit hooks and an alarm, every outcome captured."""

from __future__ import annotations

import contextlib
import copy
import json
import os
import resource
import signal
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from types import FrameType
from typing import Any, TextIO

from guard.harness.audit import Auditor
from guard.harness.compare import Outcome, canon, drain
from guard.harness.loader import World, Worlds


def _memory_limit() -> int:
    """The address-space limit in force now: a child forked by the zygote lowers the zygote's
    limit after this module was imported, so it is read at each call, not at import."""
    limit = resource.getrlimit(resource.RLIMIT_AS)[0]
    return limit if limit != resource.RLIM_INFINITY else 1 << 30


class CallTimeout(BaseException):
    """Raised by SIGALRM inside untrusted code; a BaseException so plain ``except`` misses it.
    ``cut``: raised by the wall-time cap before the call used its own limit (see :class:`_Alarm`)."""

    @property
    def cut(self) -> bool:
        return bool(self.args and self.args[0])


class Stop(BaseException):
    """Ends a Hypothesis run at once: shrinking a hang or an escape attempt only repeats it."""


class _Alarm:
    """The call in flight: its limit counts the time the call ran or waited on something of its
    own (a sleep, a lock, I/O), not the time it stood runnable while other processes held the
    CPUs — on a busy machine a 5 ms call can take a second of wall time, and a wall-clock alarm
    called that a hang, differently from run to run. ``cap_s`` bounds its wall time all the same
    (the search's end); a call stopped there, short of its own limit, is ``cut``."""

    active = False
    limit_s = 0.0
    cap_s = 0.0
    started = 0.0
    queued = 0.0


_SCHEDSTAT: int | None = None
"""An open descriptor of this process's /proc/self/schedstat (opened by :func:`open_schedstat`
in the child, before untrusted code runs: reading it then raises no audit event)."""


def open_schedstat() -> None:
    """Open this process's schedstat; a process forked from this one (the repo's tests run in
    one) opens its own, since the inherited descriptor reads its parent's."""
    global _SCHEDSTAT
    first = _SCHEDSTAT is None
    if _SCHEDSTAT is not None:
        with contextlib.suppress(OSError):
            os.close(_SCHEDSTAT)
        _SCHEDSTAT = None
    with contextlib.suppress(OSError):
        _SCHEDSTAT = os.open("/proc/self/schedstat", os.O_RDONLY)
    if first and _SCHEDSTAT is not None:
        os.register_at_fork(after_in_child=open_schedstat)


def _queued_s() -> float:
    """Seconds this thread has stood runnable waiting for a CPU (schedstat's second field); 0.0
    where the kernel does not say, which leaves the limit counting wall time."""
    if _SCHEDSTAT is None:
        return 0.0
    try:
        return int(os.pread(_SCHEDSTAT, 128, 0).split()[1]) / 1e9
    except (OSError, ValueError, IndexError):
        return 0.0


def _elapsed() -> tuple[float, float]:
    """Wall time since the call in flight began, and its own share (less the time queued)."""
    wall = time.monotonic() - _Alarm.started
    return wall, wall - (_queued_s() - _Alarm.queued)


def on_alarm(signum: int, frame: FrameType | None) -> None:
    if not _Alarm.active:
        return
    wall, own = _elapsed()
    if own >= _Alarm.limit_s or wall >= _Alarm.cap_s:
        raise CallTimeout(own < _Alarm.limit_s)


def cut_short(outcome: Outcome) -> bool:
    """A timeout from the wall-time cap, the call short of its own limit: not a hang."""
    return outcome.kind == "timeout" and isinstance(outcome.exc, CallTimeout) and outcome.exc.cut


@dataclass(frozen=True)
class Failure:
    rule: str
    message: str
    evidence: tuple[tuple[str, str], ...]
    line: int | None = None
    """The changed line the failing input ran last, when known (else the ``def`` line)."""

    def as_json(self) -> dict[str, Any]:
        found = {"rule": self.rule, "message": self.message, "evidence": list(self.evidence)}
        return found if self.line is None else {**found, "line": self.line}


@dataclass
class Runtime:
    """Per-child state shared by all functions."""

    worlds: Worlds
    auditor: Auditor
    convert: Callable[[Any], Any] = field(default=lambda v: v)
    last_s: float = 0.0
    """The last call's own time (wall time less time queued for a CPU; see :class:`_Alarm`)."""

    def call(self, world: World, run: Callable[[Any], tuple[Any, object]], inp: Any,
             limit_s: float, cap_s: float | None = None) -> tuple[Outcome, object]:
        self.worlds.enter(world)
        try:
            args = copy.deepcopy(inp)
        except Exception:
            args = inp
        before = len(self.auditor.violations)
        peak, rss = _peak_bytes(), _rss_bytes()
        with armed(self.auditor, limit_s, cap_s):
            outcome, state = _attempt(run, args)
        self.last_s = _elapsed()[1]
        found = tuple(self.auditor.violations[before:])
        if found:
            outcome = Outcome("violation", exc=outcome.exc, violations=found)
        elif outcome.kind == "timeout" and (grown := max(_peak_bytes() - peak, _rss_bytes() - rss)) > (
            _memory_limit() // 8
        ):
            # Filling memory is slow in VMs, slower still beside other work: a hog may meet the
            # clock before the limit. The high-water mark may already stand above where the call
            # began, so what it holds now counts too.
            outcome = Outcome("raise", exc=MemoryError(f"still allocating ({grown >> 20} MiB) at timeout"))
        return outcome, _safe_canon(state)


LOAD_CAP = 4.0
"""Unless told otherwise, a call's wall time is capped at this many times its limit."""


@contextlib.contextmanager
def armed(auditor: Auditor, limit_s: float, cap_s: float | None = None) -> Iterator[None]:
    """Audit hooks on and a repeating alarm (repeating, in case untrusted code swallows one, and
    so that time spent queued behind other processes is discounted as it accrues)."""
    limit_s = max(limit_s, 0.01)
    _Alarm.limit_s, _Alarm.cap_s = limit_s, max(limit_s, cap_s if cap_s is not None else LOAD_CAP * limit_s)
    _Alarm.started, _Alarm.queued = time.monotonic(), _queued_s()
    auditor.armed = True
    _Alarm.active = True
    signal.setitimer(signal.ITIMER_REAL, limit_s, 0.05)
    try:
        yield
    finally:
        _Alarm.active = False
        signal.setitimer(signal.ITIMER_REAL, 0)
        auditor.armed = False


def _attempt(run: Callable[[Any], tuple[Any, object]], args: Any) -> tuple[Outcome, object]:
    state: object = None
    try:
        value, state = run(args)
        return Outcome("return", drain(value)), state
    except CallTimeout as exc:
        _Alarm.active = False
        return Outcome("timeout", exc=exc), state
    except BaseException as exc:  # untrusted code: every exception is an outcome
        _Alarm.active = False
        return Outcome("raise", exc=exc), state


def _peak_bytes() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def _rss_bytes() -> int:
    """Resident memory now (0 where /proc is not there)."""
    try:
        with open("/proc/self/statm", encoding="ascii") as fh:
            return int(fh.read().split()[1]) * resource.getpagesize()
    except (OSError, ValueError, IndexError):
        return 0


def _safe_canon(value: object) -> object:
    try:
        return canon(value)
    except Exception:
        return ("uncomparable",)


def emit(out: TextIO, **event: Any) -> None:
    """One event line; ``t`` is the machine's monotonic clock (the parent's too), for the
    timeline ``GUARD_DEBUG`` prints."""
    out.write(json.dumps({**event, "t": round(time.monotonic(), 4)}, default=str) + "\n")
    out.flush()
