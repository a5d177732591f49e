"""A check runs without the cyclic garbage collector, which is the application's again after it."""

from __future__ import annotations

import gc
import os
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

import guard.pipeline
import guard.session
from guard.diff import PatchError
from guard.session import Session, collections_deferred
from tests.conftest import MakeRepo, diff_after_edit

MOD = "import os\n\n\ndef join(a, b):\n    return os.path.join(a, b)\n"


@pytest.fixture(autouse=True)
def _collector_on() -> Iterator[None]:
    was = gc.isenabled()
    gc.enable()
    yield
    if not was:
        gc.disable()


def test_deferred_inside_and_back_after() -> None:
    with collections_deferred():
        assert not gc.isenabled()
        with collections_deferred():
            assert not gc.isenabled()
        assert not gc.isenabled()  # the outer block still runs
    assert gc.isenabled()


def test_back_after_an_exception() -> None:
    with pytest.raises(RuntimeError), collections_deferred():
        raise RuntimeError("boom")
    assert gc.isenabled()


def test_a_collector_the_application_switched_off_stays_off() -> None:
    gc.disable()
    with collections_deferred():
        assert not gc.isenabled()
    assert not gc.isenabled()


def test_overlapping_blocks_of_threads() -> None:
    inside, release = threading.Event(), threading.Event()

    def other() -> None:
        with collections_deferred():
            inside.set()
            release.wait(10)

    thread = threading.Thread(target=other)
    with collections_deferred():
        thread.start()
        assert inside.wait(10)
    assert not gc.isenabled()  # the other thread's check still runs
    release.set()
    thread.join(10)
    assert gc.isenabled()


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_a_child_forked_during_a_check_collects_again() -> None:
    with collections_deferred():
        pid = os.fork()
        if pid == 0:  # the child: its collector must be on, and a block of its own must work
            ok = gc.isenabled()
            with collections_deferred():
                ok = ok and not gc.isenabled()
            os._exit(0 if ok and gc.isenabled() else 1)
        _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert gc.isenabled()


def test_check_runs_deferred(make_repo: MakeRepo, monkeypatch: pytest.MonkeyPatch) -> None:
    repo: Path = make_repo({"pkg/__init__.py": "", "pkg/m.py": MOD})
    diff = diff_after_edit(repo, {"pkg/m.py": MOD.replace("join(a, b)", "joinpath(a, b)")})
    seen: list[bool] = []
    real = guard.pipeline.run_pipeline

    def spy(*args: object, **kwargs: object) -> object:
        seen.append(gc.isenabled())
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(guard.session, "run_pipeline", spy)
    with Session(repo, analyzers=frozenset({"rules"})) as session:
        report = session.check(diff)
        with pytest.raises(PatchError):
            session.check("not a diff\n@@ nonsense")
    assert seen == [False]
    assert report.findings
    assert gc.isenabled()
