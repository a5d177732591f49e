"""Long-running use: `guard serve` (JSON lines over stdin/stdout or a Unix socket) and `guard batch`.

Protocol: one JSON object per line in, one per line out, in order.

    request:  {"id": 7, "diff": "<unified diff>", "repo": "path", "options": {"threshold": 0.6}}
    response: {"id": 7, "ok": true, "report": {<the JSON contract of `guard check --format json`>}}
    error:    {"id": 7, "ok": false, "error": {"kind": "input" | "internal", "message": "..."}}

``repo`` defaults to the server's ``--repo``; ``options`` are the fields of guard.config.Options
(threshold, disable, execute, budgets, target_version, analyzers). ``{"op": "ping"}`` answers
``{"ok": true, "pong": true}`` and ``{"op": "stats"}`` the sessions' counters. A failing request
never stops the server; it stops cleanly at end of input or on SIGTERM, after the request at hand.
"""

from __future__ import annotations

import contextlib
import json
import multiprocessing.util
import os
import queue
import signal
import socket
import sys
import threading
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import IO, Any

from guard.config import ConfigError
from guard.diff import PatchError
from guard.session import Session
from guard.workspace import InputError

Response = dict[str, Any]


class Sessions:
    """One warm :class:`Session` per repository, created on first use."""

    def __init__(self, default_repo: Path, **overrides: Any) -> None:
        self.default_repo = default_repo
        self.overrides = overrides
        self._sessions: dict[Path, Session] = {}

    def get(self, repo: str | None) -> Session:
        root = Path(repo).resolve() if repo else self.default_repo.resolve()
        if root not in self._sessions:
            self._sessions[root] = Session(root, **self.overrides)
        return self._sessions[root]

    def stats(self) -> dict[str, Any]:
        return {str(root): s.stats() for root, s in self._sessions.items()}

    def close(self) -> None:
        """Stop every session's resident tools (mypy daemons)."""
        for session in self._sessions.values():
            session.close()


def _options(raw: object) -> dict[str, Any]:
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise InputError("'options' must be an object")
    opts = dict(raw)
    for key in ("disable", "analyzers"):
        if key in opts:
            opts[key] = frozenset(opts[key])
    if "target_version" in opts and isinstance(opts["target_version"], list):
        opts["target_version"] = tuple(opts["target_version"])
    return opts


def handle(line: str, sessions: Sessions) -> Response:
    """Answer one request line. Never raises: every failure becomes an error response."""
    request_id: object = None
    try:
        request = json.loads(line)
        if not isinstance(request, dict):
            raise InputError("a request must be a JSON object")
        request_id = request.get("id")
        op = request.get("op", "check")
        if op == "ping":
            return {"id": request_id, "ok": True, "pong": True}
        if op == "stats":
            return {"id": request_id, "ok": True, "stats": sessions.stats()}
        if op != "check":
            raise InputError(f"unknown op {op!r}; known: check, ping, stats")
        diff = request.get("diff")
        if diff is None and "patch" in request:
            diff = Path(request["patch"]).read_text(encoding="utf-8")
        if not isinstance(diff, str):
            raise InputError("a check request needs 'diff' (the unified diff as a string) or 'patch' (a path)")
        report = sessions.get(request.get("repo")).check(diff, **_options(request.get("options")))
        return {"id": request_id, "ok": True, "report": report.to_json()}
    except json.JSONDecodeError as exc:
        return _error(request_id, "input", f"not JSON: {exc}")
    except (PatchError, InputError, ConfigError, OSError, UnicodeDecodeError, TypeError) as exc:
        return _error(request_id, "input", str(exc))
    except Exception as exc:  # one bad check must never take the server down
        return _error(request_id, "internal", f"{type(exc).__name__}: {exc}")


def _error(request_id: object, kind: str, message: str) -> Response:
    return {"id": request_id, "ok": False, "error": {"kind": kind, "message": message}}


class _Stop:
    """SIGTERM: stop at once when idle, after the request at hand when busy."""

    def __init__(self) -> None:
        self.requested = False
        self.busy = False

    def install(self) -> None:
        if threading.current_thread() is threading.main_thread():
            signal.signal(signal.SIGTERM, self._on_signal)

    def _on_signal(self, signum: int, frame: object) -> None:
        self.requested = True
        if not self.busy:
            raise SystemExit(0)


def serve_lines(lines: Iterable[str], out: IO[str], sessions: Sessions) -> int:
    """Answer requests from ``lines`` in order on ``out``; returns how many were answered."""
    stop = _Stop()
    stop.install()
    answered = 0
    try:
        for line in lines:
            if not line.strip():
                continue
            stop.busy = True
            response = handle(line, sessions)
            out.write(json.dumps(response) + "\n")
            out.flush()
            answered += 1
            stop.busy = False
            if stop.requested:
                break
    except SystemExit:
        pass
    return answered


def serve_socket(path: Path, sessions: Sessions, ready: Callable[[], None] | None = None) -> None:
    """Listen on a Unix socket; each connection speaks the same protocol. One check at a time."""
    if path.exists():
        path.unlink()
    work: queue.Queue[tuple[str, socket.socket] | None] = queue.Queue()
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(str(path))
    os.chmod(path, 0o600)
    server.listen()

    def worker() -> None:
        while (item := work.get()) is not None:
            line, conn = item
            with contextlib.suppress(OSError):  # the client went away; the next request goes on
                conn.sendall((json.dumps(handle(line, sessions)) + "\n").encode())

    def reader(conn: socket.socket) -> None:
        with conn, conn.makefile("r", encoding="utf-8") as stream:
            for line in stream:
                if line.strip():
                    work.put((line, conn))

    threading.Thread(target=worker, daemon=True).start()
    stop = _Stop()
    stop.install()
    if ready:
        ready()
    try:
        while not stop.requested:
            conn, _ = server.accept()
            threading.Thread(target=reader, args=(conn,), daemon=True).start()
    except (SystemExit, KeyboardInterrupt):
        pass
    finally:
        work.put(None)
        server.close()
        path.unlink(missing_ok=True)


# -- batch ----------------------------------------------------------------------------------

_WORKER_SESSIONS: Sessions | None = None


def _worker_init(default_repo: str, overrides: dict[str, Any]) -> None:
    global _WORKER_SESSIONS
    _WORKER_SESSIONS = Sessions(Path(default_repo), **overrides)
    # A pool worker leaves through os._exit, which skips atexit: stop its mypy daemons here.
    multiprocessing.util.Finalize(None, _WORKER_SESSIONS.close, exitpriority=10)


def _worker_handle(line: str) -> Response:
    assert _WORKER_SESSIONS is not None
    return handle(line, _WORKER_SESSIONS)


def batch(lines: list[str], default_repo: Path, jobs: int, overrides: dict[str, Any]) -> Iterator[Response]:
    """Answer every request with ``jobs`` worker processes, each keeping warm sessions; in order."""
    if jobs <= 1:
        sessions = Sessions(default_repo, **overrides)
        try:
            for line in lines:
                yield handle(line, sessions)
        finally:
            sessions.close()
        return
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(jobs, initializer=_worker_init, initargs=(str(default_repo), overrides)) as pool:
        yield from pool.map(_worker_handle, lines)


def stdin_lines() -> Iterator[str]:
    yield from sys.stdin
