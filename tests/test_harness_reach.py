"""End to end through the sandbox: differential tests reach the branch a patch changed (through
mined constants, inferred types, built instances and set-up calls), point at the changed line,
and stay quiet where old and new only differ in what the old version does not repeat itself or
where the old version could not handle the input at all."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from guard.checks.properties import ChangedFunction, ModuleVersions, run_properties


@pytest.fixture
def repo(sandbox_repo: Path) -> Path:
    return sandbox_repo


def run(repo: Path, before: str, after: str, *names: str, new: tuple[str, ...] = ()
        ) -> list[tuple[str, str, int, str]]:
    before, after = textwrap.dedent(before), textwrap.dedent(after)
    path = repo / "pkg" / "mod.py"
    path.write_text(before)
    path.chmod(0o644)
    result = run_properties(repo, [ModuleVersions("pkg/mod.py", before, after)],
                            [ChangedFunction("pkg/mod.py", n, n in new) for n in names])
    lines = after.splitlines()
    return [(f.symbol, f.rule, f.line, lines[f.line - 1].strip()) for f in result.findings]


EVENT = '''
    from dataclasses import dataclass
    from typing import Any


    @dataclass(frozen=True)
    class Event:
        kind: str
        payload: dict[str, Any]

        @property
        def branch(self) -> str | None:
            ref = self.payload.get("ref")
            if isinstance(ref, str) and ref.startswith("refs/heads/"):
                return ref[len("refs/heads/"):]
            return None
'''


def test_a_property_reading_a_looked_up_key_is_caught_at_the_changed_line(repo: Path) -> None:
    after = EVENT.replace('''if isinstance(ref, str) and ref.startswith("refs/heads/"):
                return ref[len("refs/heads/"):]''', '''if isinstance(ref, str):
                return ref.removeprefix("refs/heads/")''')
    assert run(repo, EVENT, after, "Event.branch") == [
        ("Event.branch", "behaviour-change", 15, 'return ref.removeprefix("refs/heads/")')]


CACHE = '''
    from collections import OrderedDict
    from collections.abc import Callable, Hashable
    from typing import Generic, TypeVar

    K = TypeVar("K", bound=Hashable)
    V = TypeVar("V")


    class Cache(Generic[K, V]):
        def __init__(self, maxsize: int = 8,
                     on_evict: Callable[[K, V], None] | None = None) -> None:
            if maxsize < 1:
                raise ValueError("maxsize")
            self._data: OrderedDict[K, V] = OrderedDict()
            self._maxsize = maxsize
            self._on_evict = on_evict

        def __setitem__(self, key: K, value: V) -> None:
            self._data[key] = value
            self._data.move_to_end(key)
            while len(self._data) > self._maxsize:
                self._data.popitem(last=False)

        def keys(self) -> list[K]:
            return list(self._data)

        def oldest(self) -> K | None:
            return next(iter(self._data), None)
'''


def test_a_method_is_reached_in_a_state_built_by_set_up_calls(repo: Path) -> None:
    after = CACHE.replace("return next(iter(self._data), None)",
                          "return next(reversed(self._data), None)")
    assert run(repo, CACHE, after, "Cache.oldest") == [
        ("Cache.oldest", "behaviour-change", 29, "return next(reversed(self._data), None)")]


LIMITER = '''
    import time
    from collections.abc import Callable


    class Limiter:
        def __init__(self, limit: int, clock: Callable[[], float] = time.monotonic) -> None:
            if limit < 1:
                raise ValueError("limit")
            self.limit = limit
            self._clock = clock
            self._hits: dict[str, list[float]] = {}

        def allow(self, key: str) -> bool:
            hits = self._hits.setdefault(key, [])
            if len(hits) >= self.limit:
                return False
            hits.append(self._clock())
            return True
'''


def test_time_stamps_the_old_version_does_not_repeat_are_not_a_change(repo: Path) -> None:
    after = LIMITER.replace('''            if len(hits) >= self.limit:
                return False
            hits.append(self._clock())
            return True''', '''            allowed = len(hits) < self.limit
            if allowed:
                hits.append(self._clock())
            return allowed''')
    assert run(repo, LIMITER, after, "Limiter.allow") == []


def test_a_fix_of_a_crash_on_some_input_is_not_a_behaviour_change(repo: Path) -> None:
    before = '''
        from typing import Any


        def tag_of(payload: dict[str, Any]) -> str:
            release = payload.get("release", {})
            return release.get("tag_name", "?")
    '''
    after = before.replace('''release.get("tag_name", "?")''',
                           '''release.get("tag_name", "?") if isinstance(release, dict) else "?"''')
    assert run(repo, before, after, "tag_of") == []


def test_a_changed_constructor_does_not_make_an_unchanged_method_look_changed(repo: Path) -> None:
    after = LIMITER.replace("self._hits: dict[str, list[float]] = {}",
                            "self._hits: dict[str, list[float]] = {}\n"
                            "            self.name = 'limiter'")
    assert run(repo, LIMITER, after, "Limiter.__init__", "Limiter.allow") == []


def test_a_boundary_held_in_a_module_constant_is_reached(repo: Path) -> None:
    before = '''
        from dataclasses import dataclass

        LIMIT = 5000


        @dataclass
        class Request:
            method: str
            body: bytes


        def status(request: Request) -> int:
            if request.method != "POST":
                return 405
            if len(request.body) > LIMIT:
                return 413
            return 200
    '''
    after = before.replace("len(request.body) > LIMIT", "len(request.body) >= LIMIT")
    assert run(repo, before, after, "status") == [
        ("status", "behaviour-change", 16, "if len(request.body) >= LIMIT:")]
