"""benchmarks/envs.py: the per-release dependency environments of the release-diff benchmarks."""

from __future__ import annotations

import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))

import envs


def test_an_env_holds_the_release_s_dependencies_but_not_the_release(tmp_path: Path) -> None:
    plan = envs.plan_env("python-dateutil", "2.8.2", tmp_path)
    assert plan.root == tmp_path / "python-dateutil-2.8.2"
    assert plan.python == plan.root / "bin" / "python"
    venv, install, uninstall = plan.commands()
    # made from the system Python this venv is based on, not from the venv's own
    assert venv[0] == str(envs.base_python()) and Path(venv[0]).is_relative_to(sys.base_prefix)
    assert venv[1:] == ["-m", "venv", "--without-pip", str(plan.root)]
    # installed, then removed: guard must resolve the package from the repo, not from the env
    assert install[-1] == "python-dateutil==2.8.2" and "install" in install
    assert uninstall[-1] == "python-dateutil" and "uninstall" in uninstall
    assert install[install.index("--python") + 1] == str(plan.python)


def test_the_host_site_packages_come_after_the_env_s_own_with_their_pth_files_run(tmp_path: Path) -> None:
    plan = envs.plan_env("six", "1.16.0", tmp_path)
    assert plan.host_site == Path(sysconfig.get_paths()["purelib"])
    # addsitedir (not a bare path line) runs the host's .pth files: guard's editable install
    assert plan.pth_text() == f"import site; site.addsitedir({str(plan.host_site)!r})\n"


def test_a_ready_env_is_reused_and_a_failed_one_is_not_retried(tmp_path: Path) -> None:
    ran: list[str] = []
    ready = envs.plan_env("a", "1.0", tmp_path)
    ready.python.parent.mkdir(parents=True)
    ready.python.symlink_to(sys.executable)
    ready.ready.write_text("{}")
    failed = envs.plan_env("b", "2.0", tmp_path)
    failed.failed.write_text("pip: exit 1")
    assert envs.ensure(ready, ran.append) == ready.python
    assert envs.ensure(failed, ran.append) is None
    assert ran == []  # nothing created, nothing logged


def test_each_release_pair_runs_under_its_env_s_python_or_falls_back_counted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import inject_eval
    from injections import Target

    monkeypatch.setattr(envs, "ENVS", tmp_path)
    ready = envs.plan_env("a", "1.0")
    ready.python.parent.mkdir(parents=True)
    ready.python.symlink_to(sys.executable)
    ready.ready.write_text("{}")
    envs.plan_env("b", "2.0").failed.write_text("pip: exit 1")
    a = Target("a", "1.0", "1.1", tmp_path, tmp_path)
    b = Target("b", "2.0", "2.1", tmp_path, tmp_path)
    assert inject_eval.pythons([a, b], deps=True) == {a.key: ready.python, b.key: Path(sys.executable)}
    assert "1 release pairs in their old release's env, 1 fall back" in capsys.readouterr().err
    assert inject_eval.pythons([a, b], deps=False) == {a.key: Path(sys.executable), b.key: Path(sys.executable)}


@pytest.mark.slow
def test_a_real_env_resolves_the_dependency_and_guard(tmp_path: Path) -> None:
    """Network and pip: python-dateutil 2.8.2's env holds six; guard imports in it."""
    plan = envs.plan_env("python-dateutil", "2.8.2", tmp_path)
    python = envs.ensure(plan, lambda _: None)
    assert python is not None, (plan.failed.read_text() if plan.failed.exists() else "")
    probe = (
        "import six, guard.resolve.locate as l; print(six.__file__); print(l.site_dirs()[0])"
    )
    out = subprocess.run([str(python), "-c", probe], capture_output=True, text=True, check=True).stdout.split("\n")
    assert Path(out[0]).is_relative_to(plan.site)
    assert Path(out[1]) == plan.site  # guard's import resolution looks in the env first


@pytest.mark.slow
def test_a_worker_process_returns_the_release_pair_s_rows(tmp_path: Path) -> None:
    """inject_eval's worker protocol: the pair pickled in, its rows back after the marker."""
    import inject_eval
    from injections import Target

    old, new = tmp_path / "old", tmp_path / "new"
    for tree, body in ((old, "return a + b"), (new, "return b + a")):
        (tree / "pkg").mkdir(parents=True)
        (tree / "pkg" / "__init__.py").write_text(f"def add(a: int, b: int) -> int:\n    {body}\n")
    target = Target("pkg", "1.0", "1.1", old, new)
    rows = inject_eval.run_in(Path(sys.executable), target, [(f"{target.key} | clean", None)])
    assert [(r["key"], r["kind"], r["added"]) for r in rows] == [("pkg 1.0 -> 1.1 | clean", "clean", 1)]


def test_inject_eval_runs_in_the_dependency_envs_unless_told_not_to() -> None:
    import inject_eval

    assert inject_eval.arguments().parse_args([]).deps is True
    assert inject_eval.arguments().parse_args(["--no-deps"]).deps is False
    assert inject_eval._env_name() is None  # the tests run under guard's own venv
