"""Per-release dependency environments for the release-diff benchmarks.

guard resolves imports, attributes and types against the environment it runs in; a user runs it in
their project's virtualenv, with the project's dependencies installed. To check a release diff the
same way, each old release gets a venv under ``.bench/envs/<name>-<version>`` holding that release's
declared runtime dependencies (``pip install name==version``, then the package itself uninstalled:
guard resolves the package from the repo, the unpacked old sdist), created with the system Python
the running venv is based on, plus a ``.pth`` that appends the running venv's site-packages after the
env's own, so guard, its tools (mypy, bandit, ruff) and its property harness import. Everything in
guard that looks at the environment goes through the running interpreter (``sys.executable`` for the
mypy, bandit and sandboxed property-test subprocesses, ``sys.path`` and ``importlib.metadata`` for
import resolution), so running a worker under the env's Python is enough for all three to see the
dependencies.

Envs are created once and reused (a ``.ready`` file marks a finished one); a creation that fails is
recorded in ``<env>.failed`` (delete it to retry) and the caller falls back to the running Python.
Nothing is written outside ``.bench/`` (pip's own wheel cache aside).
"""

from __future__ import annotations

import fcntl
import json
import shutil
import subprocess
import sys
import sysconfig
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

ENVS = Path(__file__).resolve().parent.parent / ".bench" / "envs"
PTH = "_guard_bench_host.pth"


@dataclass(frozen=True)
class EnvPlan:
    """Where the env of one old release lives and what creating it runs."""

    name: str
    version: str
    root: Path
    base_python: Path
    host_site: Path

    @property
    def python(self) -> Path:
        return self.root / "bin" / "python"

    @property
    def ready(self) -> Path:
        return self.root / ".ready"

    @property
    def failed(self) -> Path:
        return self.root.with_name(self.root.name + ".failed")

    @property
    def site(self) -> Path:
        return self.root / "lib" / f"python{sys.version_info.major}.{sys.version_info.minor}" / "site-packages"

    def commands(self) -> list[list[str]]:
        """The venv (no pip of its own: the running pip installs into it with ``--python``), the
        release with its dependencies, then the release itself removed."""
        pip = [sys.executable, "-m", "pip", "--python", str(self.python), "--disable-pip-version-check"]
        return [
            [str(self.base_python), "-m", "venv", "--without-pip", str(self.root)],
            [*pip, "install", "--quiet", f"{self.name}=={self.version}"],
            [*pip, "uninstall", "--quiet", "-y", self.name],
        ]

    def pth_text(self) -> str:
        # site.addsitedir, not a bare path line: the host's own .pth files (guard's editable install)
        # must run too. It appends, so the release's dependencies come first.
        return f"import site; site.addsitedir({str(self.host_site)!r})\n"


def base_python() -> Path:
    """The system interpreter the running venv was made from."""
    major, minor = sys.version_info[:2]
    for name in (f"python{major}.{minor}", f"python{major}", "python"):
        candidate = Path(sys.base_prefix) / "bin" / name
        if candidate.is_file():
            return candidate
    raise RuntimeError(f"no python{major}.{minor} under {sys.base_prefix}")


def plan_env(name: str, version: str, envs: Path | None = None) -> EnvPlan:
    return EnvPlan(
        name=name, version=version, root=(envs or ENVS) / f"{name}-{version}", base_python=base_python(),
        host_site=Path(sysconfig.get_paths()["purelib"]),
    )  # fmt: skip


def installed(site: Path) -> dict[str, str]:
    """Distribution name -> version of what a site-packages directory holds (its dist-infos)."""
    out: dict[str, str] = {}
    for info in site.glob("*.dist-info"):
        meta = info / "METADATA"
        if not meta.is_file():
            continue
        fields = dict(
            line.split(": ", 1) for line in meta.read_text(errors="replace").splitlines()[:20] if ": " in line
        )
        if "Name" in fields:
            out[fields["Name"].lower().replace("_", "-")] = fields.get("Version", "?")
    return out


def ensure(plan: EnvPlan, log: Callable[[str], None] = lambda s: print(s, file=sys.stderr)) -> Path | None:
    """The Python of ``plan``'s env, created if need be; None if it can't be (reason in ``.failed``)."""
    if plan.ready.is_file() and plan.python.exists():
        return plan.python
    if plan.failed.is_file():
        return None
    plan.root.parent.mkdir(parents=True, exist_ok=True)
    with open(plan.root.parent / ".lock", "w") as lock:  # two runs creating the same env at once
        fcntl.flock(lock, fcntl.LOCK_EX)
        if plan.ready.is_file() and plan.python.exists():
            return plan.python
        if plan.failed.is_file():
            return None
        return _create(plan, log)


def _create(plan: EnvPlan, log: Callable[[str], None]) -> Path | None:
    shutil.rmtree(plan.root, ignore_errors=True)
    log(f"  env {plan.root.name}: creating")
    for argv in plan.commands():
        done = subprocess.run(argv, capture_output=True, text=True)
        if done.returncode != 0:
            reason = f"{' '.join(argv[2:6])}...: exit {done.returncode}\n{done.stderr[-2000:]}"
            plan.failed.write_text(reason)
            shutil.rmtree(plan.root, ignore_errors=True)
            log(f"  env {plan.root.name}: FAILED ({reason.splitlines()[0]}); see {plan.failed}")
            return None
    plan.site.mkdir(parents=True, exist_ok=True)  # uninstalling a lone module (six) can remove it
    (plan.site / PTH).write_text(plan.pth_text())
    deps = installed(plan.site)
    host = installed(plan.host_site)
    shadowing = {d: (v, host[d]) for d, v in deps.items() if d in host and host[d] != v}
    plan.ready.write_text(json.dumps({"dependencies": deps, "shadows_host": shadowing}, indent=1, sort_keys=True))
    shown = ", ".join(f"{d} {v}" for d, v in sorted(deps.items())) or "no dependencies"
    log(f"  env {plan.root.name}: {shown}")
    if shadowing:
        log(f"  env {plan.root.name}: shadows the host's " + ", ".join(f"{d} {h} with {v}" for d, (v, h) in shadowing.items()))
    return plan.python
