"""check_patch called many times in one process: no leaked files, threads, memory or time."""

from __future__ import annotations

import gc
import os
import tempfile
import threading
import time
import tracemalloc
from pathlib import Path

import pytest

from guard.api import check_patch
from tests.conftest import MakeRepo, diff_after_edit

MOD = "import os\n\n\ndef join(a, b):\n    return os.path.join(a, b)\n"


def _open_fds() -> int:
    return len(os.listdir("/proc/self/fd")) if Path("/proc/self/fd").is_dir() else 0


def _guard_tempdirs() -> int:
    return sum(1 for p in Path(tempfile.gettempdir()).glob("guard-*") if p.is_dir())


def _repeat(make_repo: MakeRepo, times: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    own_tmp = tmp_path / "tmp"  # other test processes make guard-* dirs in the shared /tmp too
    own_tmp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(own_tmp))
    repo = make_repo({"pkg/__init__.py": "", "pkg/m.py": MOD})
    diff = diff_after_edit(repo, {"pkg/m.py": MOD.replace("join(a, b)", "joinpath(a, b)") + "x = undefined\n"})
    fast = frozenset({"ruff", "rules"})  # the external tools' own processes are not ours to measure
    check_patch(diff, repo, analyzers=fast)  # warm imports and caches
    gc.collect()
    fds, threads, dirs = _open_fds(), threading.active_count(), _guard_tempdirs()
    tracemalloc.start()
    start_mem = tracemalloc.get_traced_memory()[0]
    durations = []
    for _ in range(times):
        started = time.perf_counter()
        report = check_patch(diff, repo, analyzers=fast)
        durations.append(time.perf_counter() - started)
        assert report.verdict == "fail"
    gc.collect()
    grown = tracemalloc.get_traced_memory()[0] - start_mem
    tracemalloc.stop()
    assert _open_fds() <= fds
    assert threading.active_count() <= threads
    assert _guard_tempdirs() <= dirs
    assert grown < 2_000_000, f"memory grew by {grown} bytes over {times} calls"
    # the fastest of each end: robust to other load on the machine, not to a real slowdown
    first, last = min(durations[:5]), min(durations[-5:])
    assert last < first * 1.5 + 0.05, f"slowed down: first {first:.3f}s, last {last:.3f}s"


def test_twenty_calls_leave_nothing_behind(
    make_repo: MakeRepo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _repeat(make_repo, 20, tmp_path, monkeypatch)


@pytest.mark.slow
def test_a_hundred_calls_leave_nothing_behind(
    make_repo: MakeRepo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _repeat(make_repo, 100, tmp_path, monkeypatch)
