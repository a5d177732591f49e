"""A warm session: many checks of one repository in one process, sharing what can be shared.

Kept between checks: the options (re-read only when pyproject.toml changes), the rules, tool
results keyed by content (see :class:`guard.pipeline.ToolCache`), bandit loaded in-process, and a
resident mypy daemon over a mirror of the repo (see :mod:`guard.checks.mypy_daemon`), started with
the first check and stopped by :meth:`Session.close`. ``check_patch`` uses a throwaway session,
which runs mypy as a process with its on-disk cache instead.
"""

from __future__ import annotations

import contextlib
import gc
import os
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from guard.checks.mypy_daemon import MypyDaemon
from guard.config import Options, load_options, target_version
from guard.diff import parse_patch
from guard.pipeline import ToolCache, repo_stamp, run_pipeline
from guard.repo import python_files
from guard.result import Report
from guard.sandbox import ForkServer
from guard.score import PatchFacts, score
from guard.workspace import InputError, Reader, build_workspace

_deferring = 0
_deferring_lock = threading.Lock()
_was_enabled = False


@contextlib.contextmanager
def collections_deferred() -> Iterator[None]:
    """Keep Python's cyclic garbage collector from running until the block ends (the outermost
    one, when blocks of several threads overlap); then it runs as its allocation counts say.

    A check allocates a few hundred thousand objects that mostly live until it ends (libcst trees
    and their metadata, ast trees, bandit's contexts), and collections in the middle of it find
    little garbage among them: they walked the whole heap, the session's warm state included,
    for up to half of the check's CPU time on release diffs. Deferred, the garbage of the check is
    collected once, after it. A collector switched off by the application stays off."""
    global _deferring, _was_enabled
    with _deferring_lock:
        if _deferring == 0:
            _was_enabled = gc.isenabled()
            gc.disable()
        _deferring += 1
    try:
        yield
    finally:
        with _deferring_lock:
            _deferring -= 1
            if _deferring == 0 and _was_enabled:
                gc.enable()


def _after_fork_in_child() -> None:
    """A process forked during a check runs no check: its collector is the application's again."""
    global _deferring, _deferring_lock
    _deferring_lock = threading.Lock()
    if _deferring:
        _deferring = 0
        if _was_enabled:
            gc.enable()


os.register_at_fork(after_in_child=_after_fork_in_child)


SIDE_BY_SIDE = 2
"""At most this many property-test children search one patch's functions at once (see
:meth:`Session._fork_servers`); fewer on a machine with fewer cores."""


class Session:
    """Checks patches against one repository; safe to call from several threads."""

    def __init__(self, repo: Path | str = ".", *, warm: bool = True, **overrides: Any) -> None:
        self.repo = Path(repo).resolve()
        if not self.repo.is_dir():
            raise InputError(f"{repo}: not a directory")
        self.warm = warm
        self._overrides = overrides
        self._cache = ToolCache() if warm else None
        self._mypy: MypyDaemon | None = None
        self._zygotes: list[ForkServer] = []
        self._options: tuple[tuple[int, int] | None, Options] | None = None
        self._lock = threading.Lock()
        self.checks = 0

    def options(self) -> Options:
        """The repo's options, re-read only when its pyproject.toml changed."""
        path = self.repo / "pyproject.toml"
        try:
            st = path.stat()
            stamp: tuple[int, int] | None = (st.st_mtime_ns, st.st_size)
        except OSError:
            stamp = None
        with self._lock:
            if self._options is None or self._options[0] != stamp:
                self._options = (stamp, load_options(self.repo).with_overrides(**self._overrides))
            return self._options[1]

    def check(self, diff: str, *, before: Reader | None = None, **overrides: Any) -> Report:
        """Check one unified diff; see :func:`guard.check_patch` for the arguments.

        The garbage collector does not run during a check (see :func:`collections_deferred`)."""
        with collections_deferred():
            return self._check(diff, before, overrides)

    def _check(self, diff: str, before: Reader | None, overrides: dict[str, Any]) -> Report:
        options = self.options().with_overrides(**overrides)
        patch = parse_patch(diff)
        with build_workspace(self.repo, patch, before=before) as ws:
            outcome = run_pipeline(
                ws,
                options,
                target_version(self.repo, options, patch),
                cache=self._cache,
                mypy_daemon=self._daemon() if "mypy" in options.analyzers else None,
                fork_server=self._fork_servers if self.warm else None,
            )
        self.checks += 1
        facts = PatchFacts.from_patch(patch)
        total, scored = score(outcome.findings, facts)
        return Report(
            score=total,
            verdict="fail" if total >= options.threshold else "pass",
            threshold=options.threshold,
            findings=tuple(scored),
            files=tuple(f.path for f in ws.files),
            skipped=tuple(ws.skipped),
            tool_errors=tuple(outcome.tool_errors),
            notes=tuple(outcome.notes),
            timings=outcome.timings,
        )

    def warm_up(self, wait: bool = True) -> None:
        """Start the resident helpers now instead of with the first check: the mypy daemon's
        whole-repo build (in the background unless ``wait``) and the property-test fork server.
        Until the daemon is ready, checks run mypy as a process."""
        if not self.warm:
            return
        options = self.options()
        if "mypy" in options.analyzers:
            daemon = self._daemon()
            assert daemon is not None
            files = python_files(self.repo)
            daemon.warm_up(
                target_version(self.repo, options), files, repo_stamp(self.repo, files),
                options.budgets.get("mypy", 30.0), wait=wait,
            )  # fmt: skip
        if options.execute and "properties" in options.analyzers:
            self._fork_servers()
        if "rules" in options.analyzers:
            if wait:
                self._warm_resolution(options)
            else:
                threading.Thread(target=self._warm_resolution, args=(options,), daemon=True).start()

    def _warm_resolution(self, options: Options) -> None:
        """The rules (libcst with them) and the resolution tables (:func:`locate.preload`), built
        now: they are kept per process, and otherwise a session's first check that resolved an
        installed or stdlib name paid for them."""
        from guard import rulekit
        from guard.resolve import locate

        rulekit.discover(options.disable)
        locate.preload(locate.site_dirs(self.repo))

    def _daemon(self) -> MypyDaemon | None:
        if not self.warm:
            return None
        with self._lock:
            if self._mypy is None:
                self._mypy = MypyDaemon(self.repo)
            return self._mypy

    def _fork_servers(self) -> list[ForkServer]:
        """The session's property-job zygotes, started on first use (those that can run): one per
        core up to :data:`SIDE_BY_SIDE`, so that a patch's changed functions are searched side by
        side (tomli 2.0.1's ten parser functions: 1.7 s in one child)."""
        from guard.checks.properties import start_fork_server

        with self._lock:
            for zygote in [z for z in self._zygotes if not z.usable]:
                zygote.close()  # it died or was retired: start a fresh one
                self._zygotes.remove(zygote)
            while len(self._zygotes) < max(1, min(SIDE_BY_SIDE, os.cpu_count() or 1)):
                zygote = start_fork_server(self.repo)
                if not zygote.usable:
                    zygote.close()
                    break
                self._zygotes.append(zygote)
            return list(self._zygotes)

    def stats(self) -> dict[str, int]:
        return {
            "checks": self.checks,
            "cache_hits": self._cache.hits if self._cache else 0,
            "mypy_daemon_runs": self._mypy.runs if self._mypy else 0,
            "pid": os.getpid(),
        }

    def close(self) -> None:
        """Stop the mypy daemon and forget cached results; the session stays usable."""
        self._cache = ToolCache() if self.warm else None
        with self._lock:
            daemon, self._mypy = self._mypy, None
            zygotes, self._zygotes = self._zygotes, []
        if daemon is not None:
            daemon.close()
        for zygote in zygotes:
            zygote.close()

    def __enter__(self) -> Session:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
