"""guard.persist: what a cold check learns about the environment, kept for the next process."""

from __future__ import annotations

from pathlib import Path

import pytest

from guard import persist
from guard.resolve import environment
from tests.conftest import MakeRepo, diff_after_edit


@pytest.fixture(autouse=True)
def cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    base = tmp_path / "cache"
    monkeypatch.setenv("GUARD_CACHE_DIR", str(base))
    monkeypatch.delenv("GUARD_NO_DISK_CACHE", raising=False)
    return base


def test_a_value_is_computed_once_per_key(cache_dir: Path) -> None:
    calls: list[int] = []

    def compute() -> dict[str, int]:
        calls.append(1)
        return {"a": len(calls)}

    assert persist.cached("t", ("k", 1), compute) == {"a": 1}
    assert persist.cached("t", ("k", 1), compute) == {"a": 1}  # from disk: not recomputed
    assert persist.cached("t", ("k", 2), compute) == {"a": 2}  # another key
    assert len(calls) == 2
    assert list(cache_dir.rglob("*.pickle")), "nothing was written under GUARD_CACHE_DIR"


def test_a_torn_file_is_a_miss_and_is_rewritten(cache_dir: Path) -> None:
    persist.cached("t", "k", lambda: [1, 2])
    (entry,) = cache_dir.rglob("*.pickle")
    entry.write_bytes(b"\x80\x05not a pickle")
    assert persist.cached("t", "k", lambda: [3]) == [3]
    assert persist.cached("t", "k", lambda: [4]) == [3]


def test_an_unwritable_cache_only_costs_time(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    monkeypatch.setenv("GUARD_CACHE_DIR", str(blocker / "below-a-file"))
    assert persist.cached("t", "k", lambda: 7) == 7
    assert persist.cached("t", "k", lambda: 8) == 8


def test_turned_off_nothing_is_written(cache_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GUARD_NO_DISK_CACHE", "1")
    assert persist.cached("t", "k", lambda: 1) == 1
    assert persist.cached("t", "k", lambda: 2) == 2
    assert not cache_dir.exists()


def test_a_module_summary_follows_its_file(tmp_path: Path, cache_dir: Path) -> None:
    """A summary kept on disk is keyed by the file's modification time and size: an edited
    module is read again, in a later process as in this one."""
    module = tmp_path / "site" / "mod.py"
    module.parent.mkdir()
    module.write_text("def f(x):\n    return x\n")
    first = environment._file_summary(module, "mod", False, (3, 11))
    assert first is not None and "f" in first.names
    environment._summary_from_file.cache_clear()  # as a new process would start
    again = environment._file_summary(module, "mod", False, (3, 11))
    assert again is not None and set(again.names) == {"f"}
    module.write_text("def f(x):\n    return x\n\n\ndef g():\n    pass\n")
    environment._summary_from_file.cache_clear()
    edited = environment._file_summary(module, "mod", False, (3, 11))
    assert edited is not None and set(edited.names) == {"f", "g"}


def test_a_repo_file_is_never_kept(tmp_path: Path, cache_dir: Path) -> None:
    module = tmp_path / "repo" / "mod.py"
    module.parent.mkdir()
    module.write_text("X = 1\n")
    summary = environment._file_summary(module, "mod", False, (3, 11), keep=False)
    assert summary is not None and "X" in summary.names
    assert not list(cache_dir.rglob("*.pickle"))


def test_cold_checks_keep_the_original_trees_mypy_findings(make_repo: MakeRepo, monkeypatch: pytest.MonkeyPatch) -> None:
    """A second cold check against the same base runs mypy on the patched tree only; a change to
    any Python file of the repo (mypy reads the modules a file imports) runs it on both again, and
    the findings are the same as without the cache."""
    from guard.api import check_patch
    from guard.checks import mypy

    helper = "def width() -> int:\n    return 3\n"
    mod = "from pkg.helper import width\n\n\ndef pad(s: str) -> str:\n    return s.ljust(width())\n"
    repo = make_repo({"pkg/__init__.py": "", "pkg/helper.py": helper, "pkg/m.py": mod})
    diff = diff_after_edit(repo, {"pkg/m.py": mod.replace("s.ljust(width())", "s.ljustify(width())")})
    roots: list[str] = []
    real = mypy.run

    def counting(job: object, cache: Path) -> object:
        roots.append(cache.name)
        return real(job, cache)  # type: ignore[arg-type]

    monkeypatch.setattr(mypy, "run", counting)
    opts = {"analyzers": frozenset({"mypy"}), "execute": False}
    first = check_patch(diff, repo, **opts)
    assert sorted(roots) == ["after", "before"]
    roots.clear()
    second = check_patch(diff, repo, **opts)
    assert roots == ["after"]
    assert [(s.finding.rule, s.finding.line) for s in second.findings] == [
        (s.finding.rule, s.finding.line) for s in first.findings
    ] == [("attr-defined", 5)]
    roots.clear()
    (repo / "pkg" / "helper.py").write_text(helper.replace("return 3", "return 4"))
    check_patch(diff, repo, **opts)
    assert sorted(roots) == ["after", "before"]
