"""Run untrusted code in a child process with whatever isolation this machine supports.

Layers, each used only where a probe shows it works, and each named in ``isolation``:
rlimits (CPU, address space, file size, process count), a pids cgroup (RLIMIT_NPROC is not
enforced for root), Linux namespaces via util-linux ``unshare`` (no network, private pids so
the whole tree dies with its init, a mount namespace in which the protected paths are
read-only), dropping to ``nobody`` with no capabilities, a scrubbed environment, and a
temporary working directory and HOME. A wall-clock timeout kills the process group.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import resource
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

NOBODY = 65534
_CGROUP_ROOTS = (Path("/sys/fs/cgroup/pids"), Path("/sys/fs/cgroup"))
_counter = itertools.count()


@dataclass(frozen=True)
class Limits:
    wall_s: float = 10.0
    cpu_s: int = 10
    memory_bytes: int = 1 << 30
    nproc: int = 64
    file_bytes: int = 64 << 20


@dataclass(frozen=True)
class Box:
    """The child's private directories; ``root`` is removed when the box closes."""

    root: Path
    work: Path
    home: Path
    tmp: Path


@dataclass(frozen=True)
class SandboxResult:
    returncode: int
    """Negative: killed by that signal (shell convention 128+n is translated)."""
    timed_out: bool
    stdout: bytes
    stderr: bytes
    elapsed_s: float
    isolation: tuple[str, ...]


@contextlib.contextmanager
def open_box() -> Iterator[Box]:
    root = Path(tempfile.mkdtemp(prefix="guard-box-"))
    try:
        box = Box(root, root / "work", root / "home", root / "tmp")
        for d in (box.work, box.home, box.tmp):
            d.mkdir()
        yield box
    finally:
        shutil.rmtree(root, ignore_errors=True)


@cache
def _unshare_prefix() -> tuple[str, ...]:
    """The ``unshare`` command line that works here, or () when none does."""
    exe = shutil.which("unshare")
    if exe is None:
        return ()
    base = (exe, "--net", "--mount", "--pid", "--fork", "--kill-child")
    candidates = [base] if os.geteuid() == 0 else [(*base, "--map-root-user")]
    for cmd in candidates:
        try:
            probe = subprocess.run(
                [*cmd, "sh", "-c", "mount --bind -o ro / / 2>/dev/null; exit 0"],
                capture_output=True, timeout=5, check=False,
            )
        except (OSError, subprocess.SubprocessError):
            continue
        if probe.returncode == 0:
            return cmd
    return ()


@cache
def _setpriv() -> str | None:
    return shutil.which("setpriv")


def _readable_by_others(path: Path) -> bool:
    """Whether ``nobody`` can reach and read ``path`` (every ancestor traversable)."""
    try:
        if os.stat(path).st_mode & 0o005 != 0o005:
            return False
        return all(os.stat(p).st_mode & 0o001 for p in path.resolve().parents)
    except OSError:
        return False


def _chown_tree(root: Path, uid: int) -> None:
    os.chown(root, uid, uid)
    for parent, dirs, files in os.walk(root):
        for name in dirs + files:
            os.chown(os.path.join(parent, name), uid, uid, follow_symlinks=False)


def _scrubbed_env(box: Box) -> dict[str, str]:
    return {
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "HOME": str(box.home),
        "TMPDIR": str(box.tmp),
        "LANG": "C.UTF-8",
        "PYTHONHASHSEED": "0",
        "PYTHONDONTWRITEBYTECODE": "1",
    }


class _PidsCgroup:
    """A throwaway pids cgroup: a process-count limit that also binds root, and a way to
    find and kill every descendant, even those that left the process group."""

    def __init__(self, limit: int) -> None:
        self.path: Path | None = None
        if os.geteuid() != 0:
            return
        for base in _CGROUP_ROOTS:
            if not (base / "cgroup.procs").exists():
                continue
            path = base / f"guard-{os.getpid()}-{next(_counter)}"
            try:
                path.mkdir()
                (path / "pids.max").write_text(str(limit))
            except OSError:
                with contextlib.suppress(OSError):
                    path.rmdir()
                continue
            self.path = path
            return

    def join(self) -> None:
        """Called in the child between fork and exec."""
        if self.path is not None:
            with open(self.path / "cgroup.procs", "w") as procs:
                procs.write(str(os.getpid()))

    def kill_all(self) -> None:
        if self.path is None:
            return
        for _ in range(50):
            try:
                pids = [int(p) for p in (self.path / "cgroup.procs").read_text().split()]
            except OSError:
                break
            if not pids:
                break
            for pid in pids:
                with contextlib.suppress(OSError):
                    os.kill(pid, signal.SIGKILL)
            time.sleep(0.01)

    def close(self) -> None:
        self.kill_all()
        if self.path is not None:
            with contextlib.suppress(OSError):
                self.path.rmdir()


def _preexec(limits: Limits, cgroup: _PidsCgroup) -> Callable[[], None]:
    def setup() -> None:
        cgroup.join()
        cpu = max(1, int(limits.cpu_s))
        resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
        resource.setrlimit(resource.RLIMIT_AS, (limits.memory_bytes, limits.memory_bytes))
        resource.setrlimit(resource.RLIMIT_FSIZE, (limits.file_bytes, limits.file_bytes))
        resource.setrlimit(resource.RLIMIT_NPROC, (limits.nproc, limits.nproc))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))

    return setup


def _command(
    argv: Sequence[str], box: Box, readonly: Sequence[Path], readable: Sequence[Path],
    isolation: list[str],
) -> list[str]:
    """Wrap ``argv`` in namespaces, read-only mounts and a privilege drop where possible."""
    prefix = _unshare_prefix()
    if not prefix:
        return list(argv)
    isolation += ["netns", "pidns", "mountns"]
    mounts = [p for p in dict.fromkeys(readonly) if p.exists()]
    script = "".join(f'mount --bind -o ro "${i + 1}" "${i + 1}" || exit 97\n'
                     for i in range(len(mounts)))
    if mounts:
        isolation.append("readonly-repo")
    inner = list(argv)
    setpriv = _setpriv()
    if setpriv is not None:
        drop = [setpriv, "--no-new-privs", "--bounding-set=-all", "--inh-caps=-all"]
        if os.geteuid() == 0 and all(_readable_by_others(p) for p in readable):
            _chown_tree(box.root, NOBODY)
            drop += ["--reuid", str(NOBODY), "--regid", str(NOBODY), "--clear-groups"]
            isolation.append("uid-nobody")
        inner = [*drop, "--", *inner]
        isolation.append("no-caps")
    # sh stays as pid 1 of the namespace so the payload is an ordinary process.
    script += f'shift {len(mounts)}\n"$@"\n'
    return [*prefix, "sh", "-c", script, "guard-sandbox", *map(str, mounts), *inner]


def run(
    argv: Sequence[str],
    box: Box,
    limits: Limits = Limits(),
    readonly: Sequence[Path] = (),
    stdin: bytes = b"",
    env: Mapping[str, str] | None = None,
    readable: Sequence[Path] = (),
) -> SandboxResult:
    """Run ``argv`` in ``box.work`` with ``readonly`` paths protected; ``env`` is added to the
    scrubbed environment. As root, drop to ``nobody`` if it can read ``readable``.
    Never raises for anything the child does."""
    isolation = ["rlimit-cpu", "rlimit-as", "rlimit-fsize", "scrubbed-env", "tmp-home", "tmp-cwd"]
    cgroup = _PidsCgroup(limits.nproc)
    if cgroup.path is not None:
        isolation.append("pids-cgroup")
    start = time.monotonic()
    try:
        cmd = _command(argv, box, readonly, readable, isolation)
        if os.geteuid() != 0 or "uid-nobody" in isolation:
            isolation.append("rlimit-nproc")
        environ = {**(env or {}), **_scrubbed_env(box)}
        out, err, code, timed_out = _spawn(cmd, box, limits, cgroup, stdin, environ)
    finally:
        cgroup.close()
    return SandboxResult(code, timed_out, out, err, time.monotonic() - start, tuple(isolation))


def _spawn(
    cmd: list[str], box: Box, limits: Limits, cgroup: _PidsCgroup, stdin: bytes,
    env: dict[str, str],
) -> tuple[bytes, bytes, int, bool]:
    try:
        proc = subprocess.Popen(
            cmd, cwd=box.work, env=env, stdin=subprocess.PIPE,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True,
            preexec_fn=_preexec(limits, cgroup), close_fds=True,
        )
    except (OSError, subprocess.SubprocessError) as exc:
        return b"", f"guard: could not start sandbox: {exc}".encode(), 127, False
    timed_out = False
    try:
        out, err = proc.communicate(stdin, timeout=limits.wall_s)
    except subprocess.TimeoutExpired:
        timed_out = True
        with contextlib.suppress(OSError):
            os.killpg(proc.pid, signal.SIGKILL)
        cgroup.kill_all()
        try:
            out, err = proc.communicate(timeout=2)
        except subprocess.TimeoutExpired:  # an escaped descendant still holds the pipes
            proc.kill()
            out, err = b"", b"guard: sandbox output abandoned"
            proc.wait()
    code = proc.returncode
    if 128 < code < 128 + 65:
        code = 128 - code  # the namespace's sh reports a killed payload as 128+n
    return out[-(1 << 20):], err[-(1 << 16):], code, timed_out


class ForkServer:
    """A long-lived sandboxed zygote (:mod:`guard.harness.zygote`) that forks a child per job.

    The zygote runs under the same layers as a one-off child (see :func:`run`); each forked child
    adds its own rlimits, process group, box and audit hooks. Where a pids cgroup is available,
    every process of a job that is still alive after its answer is killed, so that no job
    outlives itself even by escaping its process group. Thread-safe, one job at a time.
    """

    READY_TIMEOUT_S = 30.0

    def __init__(
        self,
        argv: Sequence[str],
        readonly: Sequence[Path] = (),
        env: Mapping[str, str] | None = None,
        readable: Sequence[Path] = (),
        prepare: Callable[[Box], None] | None = None,
        limits: Limits = Limits(cpu_s=3600, memory_bytes=2 << 30),
    ) -> None:
        import threading

        self._lock = threading.Lock()
        self._root = Path(tempfile.mkdtemp(prefix="guard-zygote-"))
        box = Box(self._root, self._root / "work", self._root / "home", self._root / "tmp")
        for d in (box.work, box.home, box.tmp):
            d.mkdir()
        if prepare is not None:
            prepare(box)
        isolation = ["rlimit-cpu", "rlimit-as", "rlimit-fsize", "scrubbed-env", "tmp-home", "tmp-cwd"]
        self._cgroup = _PidsCgroup(limits.nproc)
        if self._cgroup.path is not None:
            isolation.append("pids-cgroup")
        cmd = _command(argv, box, readonly, readable, isolation)
        if os.geteuid() != 0 or "uid-nobody" in isolation:
            isolation.append("rlimit-nproc")
        self.isolation = (*isolation, "fork-server")
        self.failure: str | None = None
        self._keep: set[int] = set()
        try:
            self._proc: subprocess.Popen[bytes] | None = subprocess.Popen(
                cmd, cwd=box.work, env={**(env or {}), **_scrubbed_env(box)}, stdin=subprocess.PIPE,
                stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, start_new_session=True,
                preexec_fn=_preexec(limits, self._cgroup), close_fds=True,
            )  # fmt: skip
        except (OSError, subprocess.SubprocessError) as exc:
            self._proc = None
            self.failure = f"could not start the fork server: {exc}"
            return
        reply = self._read_line(self.READY_TIMEOUT_S)
        if reply is None or not reply.get("ready"):
            self.close()
            self.failure = "the fork server did not get ready"
            return
        self._keep = set(self._cgroup_pids())

    @property
    def usable(self) -> bool:
        return self._proc is not None and self._proc.poll() is None and self.failure is None

    def _cgroup_pids(self) -> list[int]:
        if self._cgroup.path is None:
            return []
        try:
            return [int(p) for p in (self._cgroup.path / "cgroup.procs").read_text().split()]
        except OSError:
            return []

    def _read_line(self, timeout_s: float) -> dict[str, object] | None:
        import json
        import select

        assert self._proc is not None and self._proc.stdout is not None
        ready, _, _ = select.select([self._proc.stdout], [], [], max(timeout_s, 0.0))
        if not ready:
            return None
        line = self._proc.stdout.readline()
        try:
            reply = json.loads(line)
        except ValueError:
            return None
        return reply if isinstance(reply, dict) else None

    def run(self, job: Path, box: Box, limits: Limits) -> SandboxResult:
        """Run the harness on ``job`` (a path inside ``box``) in a forked child."""
        import json

        with self._lock:
            start = time.monotonic()
            if not self.usable:
                return SandboxResult(127, False, b"", b"guard: fork server unavailable", 0.0, self.isolation)
            if "uid-nobody" in self.isolation:
                _chown_tree(box.root, NOBODY)
            request = {
                "job": str(job), "work": str(box.work), "home": str(box.home), "tmp": str(box.tmp),
                "wall_s": limits.wall_s, "cpu_s": limits.cpu_s, "memory_bytes": limits.memory_bytes,
                "file_bytes": limits.file_bytes, "nproc": limits.nproc,
            }  # fmt: skip
            assert self._proc is not None and self._proc.stdin is not None
            try:
                self._proc.stdin.write((json.dumps(request) + "\n").encode())
                self._proc.stdin.flush()
            except OSError as exc:
                self.failure = f"the fork server went away: {exc}"
                return SandboxResult(127, False, b"", f"guard: {self.failure}".encode(), 0.0, self.isolation)
            reply = self._read_line(limits.wall_s + 5.0)
            for pid in self._cgroup_pids():  # anything of the job's still alive
                if pid not in self._keep:
                    with contextlib.suppress(OSError):
                        os.kill(pid, signal.SIGKILL)
            if reply is None:  # the zygote itself is stuck or gone: retire it
                self.failure = "the fork server stopped answering"
                self._kill()
                return SandboxResult(-9, True, b"", b"guard: fork server stopped answering",
                                     time.monotonic() - start, self.isolation)  # fmt: skip
            out = _tail(box.work / "stdout.txt", 1 << 20)
            err = _tail(box.work / "stderr.txt", 1 << 16)
            code = reply.get("code")
            return SandboxResult(
                code if isinstance(code, int) else 70, bool(reply.get("timed_out")), out, err,
                time.monotonic() - start, self.isolation,
            )  # fmt: skip

    def _kill(self) -> None:
        if self._proc is not None:
            with contextlib.suppress(OSError):
                os.killpg(self._proc.pid, signal.SIGKILL)
            self._cgroup.kill_all()
            with contextlib.suppress(subprocess.SubprocessError):
                self._proc.wait(timeout=5)
            for stream in (self._proc.stdin, self._proc.stdout):
                if stream is not None:
                    with contextlib.suppress(OSError):
                        stream.close()

    def close(self) -> None:
        with self._lock:
            self._kill()
            self._proc = None
            self._cgroup.close()
            shutil.rmtree(self._root, ignore_errors=True)


def _tail(path: Path, size: int) -> bytes:
    try:
        with open(path, "rb") as fh:
            fh.seek(0, os.SEEK_END)
            fh.seek(max(fh.tell() - size, 0))
            return fh.read()
    except OSError:
        return b""
