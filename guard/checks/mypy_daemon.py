"""A resident mypy for warm sessions: one ``dmypy`` daemon over a stable mirror of the repo.

A fresh mypy process spends most of its time before it looks at the patch: starting, then loading
typeshed and the repo's modules from its cache (~0.3 s even on a small repo). A warm session keeps
one mypy daemon alive instead (fine-grained incremental mode) over a *mirror*: a directory of
symlinks to the repo that stays in place for the session's life, outside the user's tree. For each
run the touched files are swapped in as real files, the daemon rechecks only what depends on them
(milliseconds), and the links are put back.

The daemon checks the whole repo every time (it only rechecks what changed, and a fixed source list
avoids a dmypy crash), and its findings are kept per content of the swapped files. The original
tree is the same for every patch against an unchanged repo, so the second mypy run a cold check
needs (to tell old errors from new ones) becomes a lookup: one whole-repo baseline per repo state.

The daemon notices changed files by size and whole-second mtime. Two versions of a file written
within one second could share both, so every file swapped in gets an mtime of its own (a counter
far in the past), and the links put back point at the repo's real mtimes.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import posixpath
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import weakref
from collections import OrderedDict
from collections.abc import Iterator, Sequence
from pathlib import Path

from guard.checks.base import ToolFailure
from guard.findings import Finding

CONFIG_FILES = ("mypy.ini", ".mypy.ini", "pyproject.toml", "setup.cfg")
IDLE_TIMEOUT_S = 1800
"""The daemon stops by itself after this long without a request (e.g. if guard was killed)."""


FIRST_RUN_BUDGET_S = 120.0
"""The first run of a daemon checks the whole repo; later ones only what changed."""


class _Crashed(Exception):
    """The daemon process died while checking."""


_MAX_LEFT = 5
"""Files found twice a daemon leaves to imports before it gives the repo up as a whole."""


class _FoundTwice(Exception):
    """mypy found one of the given files under two module names and stopped; ``path`` is it."""

    def __init__(self, path: str) -> None:
        super().__init__(path)
        self.path = path


class DaemonUnavailable(Exception):
    """The daemon cannot serve this session; the message says why. Callers fall back to mypy."""


class Mirror:
    """A directory that looks like ``repo`` through symlinks, with some files swapped in at times.

    Directories are linked whole until a file inside one is swapped; then that directory becomes
    a real directory of links (and stays one).
    """

    def __init__(self, repo: Path, root: Path) -> None:
        self.repo = repo
        self.root = root
        self._real: set[str] = set()
        self._tick = 1_000_000_000  # 2001-09-09: never a real mtime of a file a patch touches
        self._link_dir("")

    def _link_dir(self, rel: str) -> None:
        dst = self.root / rel if rel else self.root
        dst.mkdir(parents=True, exist_ok=True)
        src = self.repo / rel if rel else self.repo
        if src.is_dir():
            for entry in os.scandir(src):
                target = dst / entry.name
                if not os.path.lexists(target):
                    os.symlink(entry.path, target)
        self._real.add(rel)

    def _materialize(self, rel_dir: str) -> list[Path]:
        """Make ``rel_dir`` and its parents real directories; return the ones that are new."""
        created = []
        cur = ""
        for part in rel_dir.split("/") if rel_dir else []:
            cur = f"{cur}/{part}" if cur else part
            if cur in self._real:
                continue
            dst = self.root / cur
            if dst.is_symlink():
                dst.unlink()
            if (self.repo / cur).is_dir():
                self._link_dir(cur)
            else:  # a directory only the patch has (real until the swap is undone)
                if not dst.is_dir():
                    dst.mkdir()
                    created.append(dst)
                self._real.add(cur)
        return created

    def differs(self, rel: str, text: str | None) -> bool:
        """Whether ``text`` (None: absent) differs from the repo's file at ``rel``, line endings
        aside: mypy reads both alike, and a CRLF file of the original tree (pyparsing's examples)
        must not count as swapped, or no check finds the original tree's findings already built."""
        try:
            on_disk = (self.repo / rel).read_text(encoding="utf-8")  # newlines translated
        except (OSError, UnicodeDecodeError):
            return text is not None
        return text is None or on_disk != text.replace("\r\n", "\n").replace("\r", "\n")

    @contextlib.contextmanager
    def swapped(self, contents: dict[str, str | None]) -> Iterator[None]:
        """The mirror with ``contents`` in place of the repo's files, for the ``with`` block."""
        undo: list[str] = []
        created: list[Path] = []
        try:
            for rel, text in contents.items():
                if not self.differs(rel, text):
                    continue
                created += self._materialize(posixpath.dirname(rel))
                dst = self.root / rel
                if os.path.lexists(dst):
                    dst.unlink()
                undo.append(rel)
                if text is not None:
                    dst.write_text(text, encoding="utf-8")
                    self._tick += 1
                    os.utime(dst, (self._tick, self._tick))
            yield
        finally:
            for rel in reversed(undo):
                dst = self.root / rel
                if os.path.lexists(dst):
                    dst.unlink()
                src = self.repo / rel
                if os.path.lexists(src):
                    os.symlink(src, dst)
            for d in reversed(created):
                shutil.rmtree(d, ignore_errors=True)
                self._real.discard(d.relative_to(self.root).as_posix())

    def sync(self) -> None:
        """Follow files added to or removed from the repo's directories that were made real."""
        for rel in sorted(self._real):
            dst = self.root / rel if rel else self.root
            if not dst.is_dir():
                continue
            for entry in os.scandir(dst):
                if entry.is_symlink() and not os.path.exists(entry.path):
                    os.unlink(entry.path)
            self._link_dir(rel)


def _request(status_file: str, timeout: int, **args: object) -> dict[str, object]:
    """One request to the daemon, as ``mypy.dmypy.client.request`` makes it, except that what
    the daemon prints on its own stdout/stderr (crash reports) is dropped rather than written to
    ours. Raises :class:`ToolFailure` when the daemon is not running."""
    from mypy.dmypy.client import get_status
    from mypy.dmypy_util import receive, send
    from mypy.ipc import BadStatus, IPCClient, IPCException

    try:
        _, name = get_status(status_file)
    except BadStatus as exc:  # it died, or stopped itself after its idle timeout
        raise ToolFailure(f"mypy daemon stopped: {exc}") from exc
    response: dict[str, object] = {}
    try:
        with IPCClient(name, timeout) as client:
            send(client, {**args, "is_tty": False, "terminal_width": 100})
            final = False
            while not final:
                response = receive(client)
                final = bool(response.pop("final", False))
    except (OSError, IPCException) as exc:
        return {"error": str(exc)}
    return response


def config_stamp(repo: Path) -> str:
    """The repo's mypy configuration files with their mtimes and sizes (a key part)."""
    parts = []
    for name in CONFIG_FILES:
        try:
            st = (repo / name).stat()
            parts.append(f"{name}:{st.st_mtime_ns}:{st.st_size}")
        except OSError:
            continue
    return ";".join(parts)


def _stop(status_file: str, tmp: str) -> None:
    """Stop the daemon that ``status_file`` names and remove the session's mirror."""
    try:
        with open(status_file, encoding="utf-8") as fh:
            pid = int(json.load(fh)["pid"])
    except (OSError, ValueError, KeyError, TypeError):
        pid = 0
    if pid:
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGTERM)
    if tmp:
        shutil.rmtree(tmp, ignore_errors=True)


class MypyDaemon:
    """One dmypy daemon and its mirror, for one warm session. Thread-safe; runs one at a time."""

    def __init__(self, repo: Path) -> None:
        self.repo = repo
        self._tmp = tempfile.mkdtemp(prefix="guard-mypy-")
        # The daemon's own cache: mypy's is not safe for concurrent writers, and two sessions of
        # one repo (batch workers) would otherwise share one.
        self._cache_dir = Path(self._tmp) / "cache"
        self.mirror = Mirror(repo, Path(self._tmp) / "repo")
        self._status = str(Path(self._tmp) / "status.json")
        self._started: tuple[tuple[int, int], str] | None = None
        self.note: str | None = None
        """Set when the repo's mypy configuration had to be set aside."""
        self.unavailable: str | None = None
        self._lock = threading.Lock()
        """Held while the daemon or the mirror is in use."""
        self._state = threading.Lock()
        """Guards ``_warming``/``_warmer`` only (never held for long)."""
        self._warming = False
        self._warmer: threading.Thread | None = None
        self._results: OrderedDict[str, dict[str, list[Finding]]] = OrderedDict()
        self._results_ever = 0
        self._stamp: str | None = None
        self._finalizer = weakref.finalize(self, _stop, self._status, self._tmp)
        self.runs = 0
        """Requests actually sent to the daemon (lookups of kept results do not count)."""
        self._left_to_imports: set[str] = set()
        """Files mypy found twice under two names: not listed, left to the imports that name them."""
        self.restarts = 0

    # -- lifecycle -------------------------------------------------------------------------------

    def _flags(self, target: tuple[int, int]) -> list[str]:
        # mypy refuses a --python-version older than the oldest it supports (3.10 for mypy 2.x), and
        # the daemon would not start for a project that declares 3.7: check as the oldest it takes,
        # as the separate mypy run does (guard.checks.mypy.run).
        from mypy.defaults import PYTHON3_VERSION_MIN

        target = max(target, PYTHON3_VERSION_MIN)
        return [
            "--output", "json", "--show-column-numbers", "--show-error-end", "--no-error-summary",
            "--no-pretty", "--follow-imports=normal", "--check-untyped-defs", "--warn-unused-ignores",
            "--cache-dir", str(self._cache_dir), "--python-version", f"{target[0]}.{target[1]}",
        ]  # fmt: skip

    def _start(self, target: tuple[int, int], budget_s: float) -> None:
        from mypy.defaults import PYTHON3_VERSION_MIN

        # Keyed by the version mypy is given (see _flags): a patch that moves the declared minimum
        # between versions mypy checks alike (3.7 to 3.8) keeps the daemon and its state.
        key = (max(target, PYTHON3_VERSION_MIN), config_stamp(self.repo))
        if self._started == key and self._alive():
            return
        self._shutdown()
        base = [sys.executable, "-m", "mypy.dmypy", "--status-file", self._status, "start"]
        base += ["--timeout", str(IDLE_TIMEOUT_S), "--"]
        env = dict(os.environ)
        env.pop("PYTHONPATH", None)
        env["NO_COLOR"] = "1"
        failure = ""
        for extra in ([], ["--config-file", ""]):
            try:
                proc = subprocess.run(
                    [*base, *self._flags(target), *extra], cwd=self.mirror.root, capture_output=True,
                    text=True, timeout=max(budget_s, 10.0), env=env, check=False,
                )  # fmt: skip
            except (OSError, subprocess.TimeoutExpired) as exc:
                raise DaemonUnavailable(f"mypy daemon did not start: {exc}") from exc
            if proc.returncode == 0:
                self._started = key
                self._results.clear()
                self._results_ever = 0
                if extra:
                    self.note = f"mypy ran without the repo's configuration, which it could not use: {failure}"
                return
            failure = " | ".join((proc.stderr or proc.stdout).strip().splitlines()[-3:])[:400]
        raise DaemonUnavailable(f"mypy daemon did not start: {failure}")

    def _alive(self) -> bool:
        try:
            with open(self._status, encoding="utf-8") as fh:
                os.kill(int(json.load(fh)["pid"]), 0)
        except (OSError, ValueError, KeyError, TypeError):
            return False
        return True

    def _shutdown(self) -> None:
        if self._started is not None:
            _stop(self._status, "")
            with contextlib.suppress(OSError):
                os.unlink(self._status)
            self._started = None

    def close(self) -> None:
        """Stop the daemon (a warm-up in progress then fails and ends) and remove the mirror."""
        self._finalizer()

    # -- checking --------------------------------------------------------------------------------

    def ready(self) -> bool:
        """Whether the daemon runs and has built the repo once (so a run takes milliseconds)."""
        return self._started is not None and self._results_ever > 0 and self._alive()

    def warm_up(
        self, target: tuple[int, int], repo_files: Sequence[str], repo_stamp: str, budget_s: float,
        wait: bool = False,
    ) -> None:
        """Start the daemon and check the whole repo once, in the background unless ``wait``."""
        with self._state:
            if self._warming or self.unavailable:
                thread = self._warmer
            else:
                self._warming = True
                thread = threading.Thread(
                    target=self._warm, args=(target, list(repo_files), repo_stamp, budget_s), daemon=True
                )
                self._warmer = thread
                thread.start()
        if wait and thread is not None:
            thread.join()

    def _warm(self, target: tuple[int, int], repo_files: list[str], repo_stamp: str, budget_s: float) -> None:
        try:
            with self._lock:
                if self._finalizer.alive:
                    self._prepare(target, repo_stamp, budget_s)
                    self._result({}, repo_files, target, budget_s)
        except Exception:  # recorded in self.unavailable, or tried again by the next warm-up
            pass
        finally:
            with self._state:
                self._warming = False

    def run(
        self,
        contents: dict[str, str | None],
        paths: Sequence[str],
        target: tuple[int, int],
        repo_files: Sequence[str],
        repo_stamp: str,
        budget_s: float,
    ) -> list[Finding]:
        """mypy's findings in ``paths`` with ``contents`` in place of the repo's files.

        The daemon always checks the whole repo (``repo_files``, plus files the contents add):
        a source list that changes from one run to the next sends dmypy down code paths that
        crash (python/mypy#18396), and with one list the original tree's findings for every file
        come from one run per repo state.

        While the daemon is not ready (the session's first check, a restart after a crash) this
        starts it in the background and raises :class:`DaemonUnavailable`, so that the caller runs
        mypy as a process for this one run instead of waiting for the whole-repo build. Raises
        :class:`ToolFailure` for a failed check.
        """
        if self.unavailable:
            raise DaemonUnavailable(self.unavailable)
        if not self.ready():
            self.warm_up(target, repo_files, repo_stamp, budget_s)
            raise DaemonUnavailable("the mypy daemon is starting")
        crashed = False
        with self._lock:
            self._prepare(target, repo_stamp, budget_s)
            swapped = {rel: text for rel, text in sorted(contents.items()) if self.mirror.differs(rel, text)}
            try:
                found = self._result(swapped, repo_files, target, budget_s)
            except _Crashed:
                # dmypy's fine-grained updates crash now and then (python/mypy#18396): a fresh
                # daemon builds from scratch, which does not take that path. It starts in the
                # background; this run falls back to a mypy process.
                self.restarts += 1
                self._shutdown()
                crashed = True
        if crashed:
            self.warm_up(target, repo_files, repo_stamp, budget_s)
            raise DaemonUnavailable("the mypy daemon crashed and is restarting")
        return [f for p in paths for f in found.get(p, [])]

    def _prepare(self, target: tuple[int, int], repo_stamp: str, budget_s: float) -> None:
        """Under the lock: follow the repo, and have a daemon for ``target`` running."""
        if repo_stamp != self._stamp:
            self.mirror.sync()
            self._results.clear()
            self._stamp = repo_stamp
        try:
            self._start(target, budget_s)
        except DaemonUnavailable as exc:
            self.unavailable = str(exc)
            raise

    def _result(
        self, swapped: dict[str, str | None], repo_files: Sequence[str], target: tuple[int, int], budget_s: float
    ) -> dict[str, list[Finding]]:
        """Under the lock: the whole repo's findings, by file, with ``swapped`` in place."""
        from guard.checks.mypy import _parse, checkable

        key = hashlib.sha256(repr(sorted(swapped.items())).encode()).hexdigest()
        if key not in self._results:
            sources = set(repo_files)
            sources |= {rel for rel, text in swapped.items() if text is not None and rel.endswith((".py", ".pyi"))}
            sources -= {rel for rel, text in swapped.items() if text is None}
            with self.mirror.swapped(swapped):
                paths = checkable(sorted(sources), self.mirror.root)
                while True:  # ends: each round leaves out one more file, at most _MAX_LEFT (see _check)
                    try:
                        out = self._check([p for p in paths if p not in self._left_to_imports], budget_s)
                        break
                    except _FoundTwice as twice:  # as for a mypy run (see mypy._run_naming_each_file_once)
                        self._left_to_imports.add(twice.path)
            self._results_ever += 1
            grouped: dict[str, list[Finding]] = {}
            for f in _parse(self.mirror.root, out):
                grouped.setdefault(f.path, []).append(f)
            self._results[key] = grouped
            while len(self._results) > 64:
                self._results.popitem(last=False)
        self._results.move_to_end(key)
        return self._results[key]

    def _check(self, paths: list[str], budget_s: float) -> str:
        if self._results_ever == 0:  # the first run builds the whole repo
            budget_s = max(budget_s, FIRST_RUN_BUDGET_S)
        self.runs += 1
        response = _request(
            self._status, max(int(budget_s), 1), command="check", files=paths, export_types=False
        )
        if "error" in response:
            if "crashed" in str(response["error"]).lower():
                raise _Crashed(str(response["error"]).strip().splitlines()[-1][:400])
            self._shutdown()  # it may still be busy; a new one starts with the next run
            raise ToolFailure(f"mypy daemon failed: {str(response['error'])[:400]}")
        status = response.get("status")
        if status not in (0, 1):
            from guard.checks.mypy import _FOUND_TWICE

            twice = _FOUND_TWICE.search(str(response.get("out") or "") + str(response.get("err") or ""))
            if twice is not None and twice[1] in paths and len(self._left_to_imports) < _MAX_LEFT:
                raise _FoundTwice(twice[1])
            # The whole repo is not one valid mypy run (a file found twice, a module shadowing the
            # stdlib, ...): the session's checks go back to mypy on the touched files only.
            err = str(response.get("err") or response.get("out") or "").strip().splitlines()[-3:]
            self.unavailable = f"mypy cannot check this repo as a whole (exit {status}: {' | '.join(err)[:300]})"
            raise DaemonUnavailable(self.unavailable)
        return str(response.get("out", ""))
