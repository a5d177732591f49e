"""Property jobs through a warm session's fork server: same results as fresh children, same
containment, and nothing of a job outlives it."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from guard.checks.properties import (
    ChangedFunction,
    ModuleVersions,
    PropertyBudget,
    PropertyResult,
    run_properties,
    start_fork_server,
)
from guard.sandbox import ForkServer
from tests.test_properties import _descendants, assert_hostile_code_contained, fixture, repo, rules

__all__ = ["repo"]  # the fixture, shared with test_properties


@pytest.fixture
def server(repo: Path) -> Iterator[ForkServer]:
    zygote = start_fork_server(repo)
    assert zygote.usable, zygote.failure
    yield zygote
    zygote.close()


def check(repo: Path, server: ForkServer | None, case: str, names: list[str],
          budget: PropertyBudget | None = None, **fill: object) -> PropertyResult:
    before, after = fixture(case, **fill)
    (repo / "pkg" / "mod.py").write_text(before)
    modules = [ModuleVersions("pkg/mod.py", before, after)]
    functions = [ChangedFunction("pkg/mod.py", n, False) for n in names]
    return run_properties(repo, modules, functions, budget or PropertyBudget(), server)


def test_forked_children_find_what_fresh_ones_find(repo: Path, server: ForkServer) -> None:
    fresh = check(repo, None, "crash", ["leave", "clamp"])
    forked = check(repo, server, "crash", ["leave", "clamp"])
    assert rules(forked) == rules(fresh) == {("leave", "sandbox-violation"), ("clamp", "behaviour-change")}
    assert [f.evidence for f in forked.findings] == [f.evidence for f in fresh.findings]
    assert "fork-server" in forked.isolation
    again = check(repo, server, "crash", ["leave", "clamp"])
    assert again.findings == forked.findings, "one zygote, many jobs, same answer"


def test_functions_searched_side_by_side_find_what_one_child_finds(repo: Path, server: ForkServer) -> None:
    """Two zygotes split a patch's functions between them (in file order, dealt out): the same
    findings with the same evidence as one child, each function searched by one of them."""
    other = start_fork_server(repo)
    try:
        assert other.usable, other.failure
        one = check(repo, server, "crash", ["leave", "clamp"])
        jobs: list[str] = []
        for zygote, name in ((server, "first"), (other, "second")):
            run = zygote.run
            zygote.run = lambda *a, run=run, name=name: (jobs.append(name), run(*a))[1]  # type: ignore[method-assign]
        before, after = fixture("crash")
        functions = [ChangedFunction("pkg/mod.py", n, False) for n in ["leave", "clamp"]]
        started = time.monotonic()
        both = run_properties(repo, [ModuleVersions("pkg/mod.py", before, after)], functions, PropertyBudget(),
                              [server, other])
        assert time.monotonic() - started < 60
        assert sorted(jobs) == ["first", "second"], "one child on each zygote"
        assert rules(both) == rules(one) == {("leave", "sandbox-violation"), ("clamp", "behaviour-change")}
        assert [f.evidence for f in both.findings] == [f.evidence for f in one.findings]
        assert sorted(map(str, both.notes)) == sorted(map(str, one.notes))
        again = run_properties(repo, [ModuleVersions("pkg/mod.py", before, after)], functions, PropertyBudget(),
                               [server, other])
        assert again.findings == both.findings and again.notes == both.notes, "same patch, same answer"
    finally:
        other.close()


def test_hostile_code_is_contained_in_forked_children(
    repo: Path, server: ForkServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert_hostile_code_contained(repo, monkeypatch, server)
    assert server.usable, "a hostile job does not take the zygote down"


def test_close_leaves_no_process_behind(repo: Path) -> None:
    before = _descendants(os.getpid())
    zygote = start_fork_server(repo)
    assert zygote.usable
    assert _descendants(os.getpid()) > before
    zygote.close()
    deadline = time.monotonic() + 5
    while _descendants(os.getpid()) - before and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _descendants(os.getpid()) <= before
    assert not zygote.usable


def test_a_dead_zygote_is_reported_not_hung_on(repo: Path, server: ForkServer) -> None:
    assert server._proc is not None
    os.killpg(server._proc.pid, 9)
    server._proc.wait(timeout=5)
    assert not server.usable
    # run_properties then starts fresh children instead
    result = check(repo, server, "crash", ["leave", "clamp"])
    assert ("clamp", "behaviour-change") in rules(result)
    assert "fork-server" not in result.isolation


FORGER = '''import os


def clamp(x: int) -> int:
    for fd in range(3, 64):
        try:
            os.write(fd, b'{"code": 0, "timed_out": false, "elapsed_s": 0}\\n')
        except OSError:
            pass
    return max(0, min(x, 10))
'''


def test_a_job_cannot_write_to_the_protocol(repo: Path, server: ForkServer) -> None:
    before = "def clamp(x: int) -> int:\n    return max(0, min(x, 10))\n"
    (repo / "pkg" / "mod.py").write_text(before)
    forged = run_properties(repo, [ModuleVersions("pkg/mod.py", before, FORGER)],
                            [ChangedFunction("pkg/mod.py", "clamp", False)], PropertyBudget(), server)
    assert server.usable
    # the reply to the next job is that job's own, not a line the previous one forged
    result = check(repo, server, "crash", ["leave", "clamp"])
    assert rules(result) == {("leave", "sandbox-violation"), ("clamp", "behaviour-change")}
    assert "fork-server" in forged.isolation
