"""The sandbox on raw scripts, with no audit hooks: what the OS-level layers contain by themselves."""

from __future__ import annotations

import os
import shutil
import socket
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from guard import sandbox


@pytest.fixture
def box() -> Iterator[sandbox.Box]:
    with sandbox.open_box() as b:
        yield b


@pytest.fixture
def protected() -> Iterator[Path]:
    root = Path(tempfile.mkdtemp(prefix="guard-protected-"))
    root.chmod(0o755)
    (root / "canary.txt").write_text("alive")
    (root / "canary.txt").chmod(0o644)
    yield root
    shutil.rmtree(root, ignore_errors=True)


def py(code: str, box: sandbox.Box, **kwargs: object) -> sandbox.SandboxResult:
    limits = kwargs.pop("limits", sandbox.Limits(wall_s=5))
    return sandbox.run([sys.executable, "-c", code], box, limits, **kwargs)  # type: ignore[arg-type]


def test_environment_is_scrubbed_and_home_is_temporary(box: sandbox.Box,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GUARD_SECRET_TOKEN", "s3cret")
    result = py("import os; print(sorted(os.environ)); print(os.environ['HOME']); "
                "print(os.getcwd())", box)
    out = result.stdout.decode()
    assert result.returncode == 0
    assert "GUARD_SECRET_TOKEN" not in out
    assert str(box.home) in out and str(box.work) in out


def test_infinite_loop_is_killed_at_the_wall_clock(box: sandbox.Box) -> None:
    start = time.monotonic()
    result = py("while True: pass", box, limits=sandbox.Limits(wall_s=1))
    assert result.timed_out and result.returncode < 0
    assert time.monotonic() - start < 3


def test_memory_is_limited(box: sandbox.Box) -> None:
    result = py("x = bytearray(2 << 30)", box, limits=sandbox.Limits(memory_bytes=512 << 20))
    assert b"MemoryError" in result.stderr


def test_fork_bomb_is_contained(box: sandbox.Box) -> None:
    code = "import os\nwhile True:\n    try:\n        os.fork()\n    except OSError:\n        pass\n"
    before = len(os.listdir("/proc"))
    start = time.monotonic()
    result = py(code, box, limits=sandbox.Limits(wall_s=2, nproc=32))
    assert time.monotonic() - start < 5
    assert result.timed_out or result.returncode != 0
    time.sleep(0.2)
    assert len(os.listdir("/proc")) <= before + 5  # every bomb process is gone
    if os.geteuid() == 0:
        assert {"pids-cgroup", "pidns"} & set(result.isolation), result.isolation


def test_protected_paths_cannot_be_changed(box: sandbox.Box, protected: Path) -> None:
    canary = protected / "canary.txt"
    code = f"import os\nos.remove({str(canary)!r})"
    result = py(code, box, readonly=[protected], readable=[protected])
    assert canary.read_text() == "alive"
    if "readonly-repo" in result.isolation or "uid-nobody" in result.isolation:
        assert result.returncode != 0


def test_network_is_unreachable(box: sandbox.Box) -> None:
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    listener.settimeout(0.5)
    port = listener.getsockname()[1]
    code = f"import socket\nsocket.create_connection(('127.0.0.1', {port}), timeout=1)"
    try:
        result = py(code, box)
        if "netns" not in result.isolation:
            pytest.skip("no network namespace on this machine")
        assert result.returncode != 0
        with pytest.raises(TimeoutError):
            listener.accept()
    finally:
        listener.close()


def test_isolation_reports_what_was_in_force(box: sandbox.Box) -> None:
    result = py("pass", box)
    assert {"rlimit-cpu", "rlimit-as", "scrubbed-env", "tmp-home"} <= set(result.isolation)
    if os.geteuid() == 0:
        assert ("rlimit-nproc" in result.isolation) == ("uid-nobody" in result.isolation)


def test_a_missing_executable_is_reported_not_raised(box: sandbox.Box) -> None:
    result = sandbox.run(["/nonexistent/python"], box, sandbox.Limits(wall_s=2))
    assert result.returncode != 0


def test_without_namespaces_the_rest_still_holds(box: sandbox.Box,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sandbox, "_unshare_prefix", lambda: ())
    result = py("import os; print(os.getcwd())", box)
    assert result.returncode == 0
    assert not {"netns", "pidns", "mountns"} & set(result.isolation)
    slow = py("while True: pass", box, limits=sandbox.Limits(wall_s=1))
    assert slow.timed_out
