"""The per-call limit of the property stage counts the call's own time, not time it stood queued
behind other processes: the same patch gets the same findings on a busy machine."""

from __future__ import annotations

import signal
import time
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import pytest

from guard.harness import runtime
from guard.harness.compare import Outcome
from guard.harness.runtime import CallTimeout, armed, cut_short


@pytest.fixture(autouse=True)
def alarm() -> Iterator[None]:
    previous = signal.signal(signal.SIGALRM, runtime.on_alarm)
    yield
    signal.setitimer(signal.ITIMER_REAL, 0)
    signal.signal(signal.SIGALRM, previous)


def busy(seconds: float) -> Outcome:
    """Spin for ``seconds`` of wall time under the alarm; the call's outcome."""
    end = time.monotonic() + seconds
    try:
        while time.monotonic() < end:
            pass
    except CallTimeout as exc:
        return Outcome("timeout", exc=exc)
    return Outcome("return", value=None)


def queued_share(monkeypatch: pytest.MonkeyPatch, share: float) -> None:
    """Pretend ``share`` of all wall time from now on was spent queued for a CPU."""
    start = time.monotonic()
    monkeypatch.setattr(runtime, "_queued_s", lambda: share * (time.monotonic() - start))


def run(limit_s: float, spin_s: float, cap_s: float | None = None) -> Outcome:
    with armed(SimpleNamespace(armed=False), limit_s, cap_s):  # type: ignore[arg-type]
        return busy(spin_s)


def test_a_call_over_its_limit_times_out_on_its_own(monkeypatch: pytest.MonkeyPatch) -> None:
    queued_share(monkeypatch, 0.0)
    outcome = run(0.1, 1.0)
    assert outcome.kind == "timeout" and not cut_short(outcome)


def test_time_queued_behind_other_processes_does_not_count(monkeypatch: pytest.MonkeyPatch) -> None:
    # 0.3 s of wall time, three quarters of it queued: 0.075 s of its own, under the 0.15 s limit.
    queued_share(monkeypatch, 0.75)
    assert run(0.15, 0.3).kind == "return"


def test_the_wall_cap_cuts_a_call_short_of_its_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    queued_share(monkeypatch, 0.9)
    outcome = run(0.2, 2.0, cap_s=0.3)
    assert outcome.kind == "timeout" and cut_short(outcome)


def test_a_forked_process_reads_its_own_schedstat() -> None:
    import os

    runtime.open_schedstat()
    mine = os.readlink(f"/proc/self/fd/{runtime._SCHEDSTAT}")
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(read)
        os.write(write, os.readlink(f"/proc/self/fd/{runtime._SCHEDSTAT}").encode())
        os._exit(0)
    os.close(write)
    child = os.read(read, 4096).decode()
    os.close(read)
    os.waitpid(pid, 0)
    assert mine == f"/proc/{os.getpid()}/schedstat"
    assert child == f"/proc/{pid}/schedstat"


def test_the_audit_hooks_let_code_write_to_the_null_device_only(tmp_path: Path) -> None:
    """Silencing output with open(os.devnull, "w") is no violation; a write elsewhere outside the
    box is (the hooks cannot be removed once added, so this runs in a fresh interpreter)."""
    import subprocess
    import sys

    script = (
        "import os, sys\n"
        "from guard.harness.audit import Auditor, SandboxViolation\n"
        "a = Auditor(sys.argv[1]); a.install(); a.armed = True\n"
        "open(os.devnull, 'w').write('x')\n"
        "try:\n"
        "    open(sys.argv[2], 'w')\n"
        "except SandboxViolation:\n"
        "    print('refused')\n"
        "print(len(a.violations))\n"
    )
    box, elsewhere = tmp_path / "box", tmp_path / "elsewhere.txt"
    box.mkdir()
    out = subprocess.run([sys.executable, "-c", script, str(box), str(elsewhere)],
                         capture_output=True, text=True, check=True).stdout.split()
    assert out == ["refused", "1"] and not elsewhere.exists()
