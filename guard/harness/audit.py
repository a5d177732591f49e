"""Audit hooks: defence in depth on top of the OS sandbox. They refuse, and record, what
untrusted code has no business doing: writing outside the box, spawning, signalling, networking,
loading native code. Hooks cannot be removed once added, so they stay on for the child's life."""

from __future__ import annotations

import os
import sys
import sysconfig
from collections.abc import Sequence
from typing import Any

_FORBIDDEN = frozenset({
    "os.system", "os.exec", "os.posix_spawn", "os.spawn", "os.fork", "os.forkpty",
    "os.kill", "os.killpg", "subprocess.Popen", "pty.spawn",
    "socket.connect", "socket.bind", "socket.sendto", "socket.sendmsg", "socket.getaddrinfo",
    "urllib.Request", "webbrowser.open", "ftplib.connect", "smtplib.connect", "http.client.connect",
    "os.symlink", "os.link", "os.chown", "os.setxattr", "os.removexattr",
    "ctypes.dlopen", "ctypes.dlsym", "ctypes.call_function", "ctypes.cdata",
    "ctypes.addressof", "ctypes.string_at", "ctypes.wstring_at", "mmap.__new__",
    "os.chroot", "resource.setrlimit", "resource.prlimit",
})
_PATH_EVENTS = frozenset({
    "os.remove", "os.rmdir", "os.rename", "os.truncate", "os.chmod", "os.mkdir", "os.utime",
    "shutil.rmtree", "shutil.copyfile", "shutil.move", "os.chflags", "os.mkfifo", "os.mknod",
})
_WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND


def _discards(path: object) -> bool:
    """Is ``path`` the null device? Writing there changes nothing (``open(os.devnull, "w")`` to
    silence output is common in library code)."""
    return isinstance(path, (str, bytes)) and os.fsdecode(path) == os.devnull


VIA = "[via the stdlib's "
"""Marks a violation the stdlib committed on the code's behalf (see :meth:`Auditor._via`)."""


class SandboxViolation(PermissionError):
    pass


class Auditor:
    """Collects violations; ``armed`` is switched on only around untrusted code."""

    def __init__(self, allowed_root: str) -> None:
        self.allowed = os.path.abspath(allowed_root) + os.sep
        self.armed = False
        self.violations: list[str] = []
        self.stdlib = os.path.abspath(sysconfig.get_paths()["stdlib"]) + os.sep

    def install(self) -> None:
        sys.addaudithook(self._hook)

    def _outside(self, path: object) -> bool:
        if isinstance(path, int) or path is None:
            return False
        if not isinstance(path, (str, bytes, os.PathLike)):
            return True
        text = os.fsdecode(os.fspath(path))
        return not os.path.abspath(text).startswith(self.allowed)

    def _refuse(self, event: str, detail: object) -> None:
        self.armed = False  # our own bookkeeping below must not re-enter the hook
        try:
            via = self._via(event)
            self.violations.append(f"{event} {str(detail)[:120]}" + (f" {VIA}{via}]" if via else ""))
        finally:
            self.armed = True
        raise SandboxViolation(f"guard sandbox refused {event}")

    def _via(self, event: str) -> str | None:
        """The stdlib module that made the refused call on the code's behalf (``platform`` running
        ``uname -p`` for ``platform.processor()``), or None when code outside the stdlib made it
        itself (through the API module of the event: ``subprocess.run``, ``os.system``)."""
        frame = sys._getframe(3)  # past this method, _refuse and the hook: the code raising the event
        outermost: str | None = None
        while frame is not None:
            name = os.path.abspath(frame.f_code.co_filename)
            if not name.startswith(self.stdlib) or "site-packages" in name:
                break
            outermost = frame.f_globals.get("__name__", "")
            frame = frame.f_back  # type: ignore[assignment]
        if outermost is None or outermost.split(".")[0] == event.split(".")[0]:
            return None
        return str(outermost)

    def _hook(self, event: str, args: Sequence[Any]) -> None:
        if not self.armed:
            return
        if event in _FORBIDDEN:
            self._refuse(event, args[:2] if args else "")
        elif event == "open":
            path, mode, flags = [*args, None, None, None][:3]
            writing = (isinstance(mode, str) and any(c in mode for c in "wax+")) or (
                isinstance(flags, int) and flags & _WRITE_FLAGS
            )
            if writing and self._outside(path) and not _discards(path):
                self._refuse(event, path)
        elif event in _PATH_EVENTS:
            paths = [a for a in args[:2] if isinstance(a, (str, bytes, os.PathLike))]
            if any(self._outside(p) for p in paths):
                self._refuse(event, paths)
