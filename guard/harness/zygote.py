"""A fork server for warm sessions: one sandboxed process that has imported the harness and
Hypothesis once, and forks a fresh child for every job.

A property job in a fresh interpreter spends ~0.3 s starting Python, importing Hypothesis and
building its tables before it runs a single example. The zygote pays that once per session. It is
started inside the same sandbox as a one-off child (namespaces, read-only repo and HOME, uid
nobody, scrubbed environment), never imports code from the repo itself, and for each job forks a
child that:

- starts a new session (its own process group, so the whole group can be killed),
- lowers its rlimits to the job's (CPU, address space, file size, process count),
- points fd 0 at /dev/null and fds 1 and 2 at files in the job's box and closes every other
  descriptor, so nothing the untrusted code prints or writes can reach the protocol,
- works in the job's box (cwd, HOME, TMPDIR) and runs :func:`guard.harness.runner.main`, which
  installs the audit hooks before loading any patched code.

Its one argument, if given, is the Hypothesis home to use (the box's, which the parent seeds
with the Unicode tables kept from earlier children).

Protocol, one JSON object per line: the parent writes ``{"job": PATH, "work": DIR, "home": DIR,
"tmp": DIR, "wall_s": F, "cpu_s": N, "memory_bytes": N, "file_bytes": N, "nproc": N}`` on stdin;
the zygote answers ``{"code": N, "timed_out": BOOL, "elapsed_s": F}`` on its stdout once the child
has ended (killed with its group after ``wall_s``). A first line ``{"ready": true}`` says the
zygote is warm.
"""

from __future__ import annotations

import contextlib
import json
import os
import resource
import select
import signal
import sys
import time
from typing import Any, TextIO


def _child(job: dict[str, Any]) -> None:
    """In the forked child: never returns."""
    code = 70
    try:
        os.setsid()
        for limit, value in (
            (resource.RLIMIT_CPU, int(job["cpu_s"])),
            (resource.RLIMIT_AS, int(job["memory_bytes"])),
            (resource.RLIMIT_FSIZE, int(job["file_bytes"])),
            (resource.RLIMIT_NPROC, int(job["nproc"])),
            (resource.RLIMIT_CORE, 0),
        ):
            _, hard = resource.getrlimit(limit)
            if hard != resource.RLIM_INFINITY:
                value = min(value, hard)
            resource.setrlimit(limit, (value, value if limit != resource.RLIMIT_CPU else value + 1))
        devnull = os.open(os.devnull, os.O_RDONLY)
        os.dup2(devnull, 0)
        out = os.open(os.path.join(job["work"], "stdout.txt"), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        err = os.open(os.path.join(job["work"], "stderr.txt"), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.dup2(out, 1)
        os.dup2(err, 2)
        os.closerange(3, 1 << 16)  # the protocol pipe among them: the job cannot write to it
        sys.stdout = os.fdopen(1, "w", buffering=1)
        sys.stderr = os.fdopen(2, "w", buffering=1)
        os.chdir(job["work"])
        os.environ["HOME"] = job["home"]
        os.environ["TMPDIR"] = job["tmp"]
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        from guard.harness.runner import main

        code = main([job["job"]])
    except BaseException as exc:  # report anything, then leave
        with contextlib.suppress(BaseException):
            print(f"guard zygote child: {type(exc).__name__}: {exc}", file=sys.stderr)
    finally:
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        finally:
            os._exit(code if isinstance(code, int) else 70)


def _wait(pid: int, wall_s: float) -> tuple[int, bool]:
    """The child's exit code (negative: killed by that signal) and whether it ran out of time."""
    deadline = time.monotonic() + wall_s
    fd = os.pidfd_open(pid)
    try:
        timed_out = False
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                timed_out = True
                break
            ready, _, _ = select.select([fd], [], [], left)
            if ready:
                break
        if timed_out:
            try:
                os.killpg(pid, signal.SIGKILL)
            except OSError:
                os.kill(pid, signal.SIGKILL)
        _, status = os.waitpid(pid, 0)
    finally:
        os.close(fd)
    with contextlib.suppress(OSError):  # whatever is left of the job's group goes with it
        os.killpg(pid, signal.SIGKILL)
    if os.WIFSIGNALED(status):
        return -os.WTERMSIG(status), timed_out
    return os.WEXITSTATUS(status), timed_out


def serve(inp: TextIO, out: TextIO) -> None:
    for line in inp:
        if not line.strip():
            continue
        job = json.loads(line)
        started = time.monotonic()
        pid = os.fork()
        if pid == 0:
            _child(job)
        code, timed_out = _wait(pid, float(job["wall_s"]))
        out.write(json.dumps({"code": code, "timed_out": timed_out, "elapsed_s": time.monotonic() - started}) + "\n")
        out.flush()


def main() -> int:
    # Our stdout carries the protocol; everything else printed here goes to stderr.
    proto = os.fdopen(os.dup(1), "w", buffering=1)
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    from guard.harness import runner  # Hypothesis, the strategies and the loader, once

    if len(sys.argv) > 1:
        # The Hypothesis home the parent seeded with the Unicode tables kept from earlier
        # children: built here instead, the tables cost ~1 s and a 200 MB peak per session.
        from hypothesis.configuration import set_hypothesis_home_dir

        set_hypothesis_home_dir(sys.argv[1])
    with contextlib.suppress(ImportError):  # what the repo's tests import (guard.harness.testrun)
        import pytest  # noqa: F401
    runner._warm_up()
    proto.write(json.dumps({"ready": True}) + "\n")
    proto.flush()
    serve(sys.stdin, proto)
    return 0


if __name__ == "__main__":
    sys.exit(main())
