"""What one ``guard check`` process learns about the environment, kept for the next one.

A cold check (one process per patch) used to re-read every installed distribution's ``RECORD`` for
the table of import names, and re-parse ``builtins.pyi`` and the other stubs and installed modules
it resolves against: a third of its rules stage on a small patch. Those depend only on files outside
the user's tree, so they are pickled under the user's cache directory (``GUARD_CACHE_DIR``, else
``$XDG_CACHE_HOME/guard``, else ``~/.cache/guard``; never inside the repo), keyed by what they were
read from (paths with their modification times and sizes) and by the source of the code that reads
them, so an edited guard never loads a stale shape. Any failure to read or write is a cache miss:
the value is computed as if nothing were cached.

``GUARD_NO_DISK_CACHE=1`` turns it off.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import pickle
import tempfile
from collections.abc import Callable, Iterable
from functools import lru_cache
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")


def cache_base() -> Path:
    """The user's cache directory for guard (shared with mypy's caches, see guard.checks.mypy)."""
    base = os.environ.get("GUARD_CACHE_DIR") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "guard"
    )
    return Path(base)


@lru_cache(maxsize=1)
def _schema() -> str:
    """A digest of the modules whose objects are pickled: an edit to any of them changes every key."""
    here = Path(__file__).resolve().parent
    digest = hashlib.sha256()
    for rel in ("persist.py", "resolve/summary.py", "resolve/signature.py", "resolve/locate.py"):
        try:
            digest.update((here / rel).read_bytes())
        except OSError:
            digest.update(rel.encode())
    return digest.hexdigest()[:16]


def stamp(paths: Iterable[str | Path]) -> tuple[tuple[str, int, int], ...]:
    """Each path with its modification time and size (-1, -1 when it cannot be read)."""
    out = []
    for p in paths:
        try:
            st = os.stat(p)
            out.append((str(p), st.st_mtime_ns, st.st_size))
        except OSError:
            out.append((str(p), -1, -1))
    return tuple(out)


def _enabled() -> bool:
    return os.environ.get("GUARD_NO_DISK_CACHE", "") in ("", "0")


def cached(kind: str, key: object, compute: Callable[[], T]) -> T:
    """``compute()``, or what it returned for the same ``key`` in an earlier process."""
    if not _enabled():
        return compute()
    digest = hashlib.sha256(repr((_schema(), key)).encode()).hexdigest()
    path = cache_base() / "persist" / kind / digest[:2] / f"{digest[2:]}.pickle"
    try:
        with path.open("rb") as fh:
            value: T = pickle.load(fh)
        return value
    except FileNotFoundError:
        pass
    except Exception:  # a torn or foreign file: recompute and overwrite it
        pass
    value = compute()
    tmp: str | None = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
        with os.fdopen(fd, "wb") as fh:
            pickle.dump(value, fh, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, path)
    except Exception:  # read-only or full cache directory, or an unpicklable value: only slower
        if tmp is not None:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
    return value
