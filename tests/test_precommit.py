"""The pre-commit hook, run exactly as `.pre-commit-hooks.yaml` declares it, in a temporary repo."""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import ROOT, MakeRepo, git, write_tree

BASE = {"pkg/__init__.py": "", "pkg/mod.py": "import json\n\n\ndef dump(x):\n    return json.dumps(x)\n"}


def hook() -> dict[str, Any]:
    hooks = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    (only,) = [h for h in hooks if h["id"] == "guard"]
    return dict(only)


def run_hook(repo: Path) -> subprocess.CompletedProcess[str]:
    """Run the hook's entry the way pre-commit does: in the repo root, with no file names."""
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    argv = shlex.split(hook()["entry"])
    return subprocess.run(argv, cwd=repo, env=env, capture_output=True, text=True, check=False, timeout=120)


def test_hook_declaration() -> None:
    h = hook()
    assert h["entry"] == "guard check --staged"
    assert h["language"] == "python"
    assert h["pass_filenames"] is False
    assert h["stages"] == ["pre-commit"]
    assert set(h["types_or"]) == {"python", "pyi"}


def test_staged_hallucination_is_blocked(make_repo: MakeRepo) -> None:
    repo = make_repo(BASE)
    write_tree(repo, {"pkg/mod.py": "import json\n\n\ndef dump(x):\n    return json.dumps(x, sort=True)\n"})
    git(repo, "add", "pkg/mod.py")
    proc = run_hook(repo)
    assert proc.returncode == 1, proc.stderr
    assert "FAIL" in proc.stdout
    assert "pkg/mod.py" in proc.stdout and "5:" in proc.stdout


def test_staged_clean_change_passes_and_unstaged_mistakes_are_not_its_business(make_repo: MakeRepo) -> None:
    repo = make_repo(BASE)
    write_tree(repo, {"pkg/mod.py": "import json\n\n\ndef dump(x):\n    return json.dumps(x, sort_keys=True)\n"})
    git(repo, "add", "pkg/mod.py")
    write_tree(repo, {"pkg/other.py": "def g():\n    return undefined_thing\n"})  # untracked, not staged
    proc = run_hook(repo)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.startswith("PASS")
    assert "other.py" not in proc.stdout


@pytest.mark.slow
def test_with_the_pre_commit_tool(make_repo: MakeRepo, tmp_path: Path) -> None:
    """`pre-commit try-repo` installs this checkout into its own env and runs the hook (needs pip access)."""
    pre_commit = Path(sys.executable).parent / "pre-commit"
    if not pre_commit.exists():
        pytest.skip("pre-commit is not installed")
    repo = make_repo(BASE)
    write_tree(repo, {"pkg/mod.py": "import json\n\n\ndef dump(x):\n    return json.dumps(x, sort=True)\n"})
    git(repo, "add", "pkg/mod.py")
    env = {**os.environ, "PRE_COMMIT_HOME": str(tmp_path / "pc-home")}
    proc = subprocess.run(
        [str(pre_commit), "try-repo", str(ROOT), "guard"], cwd=repo, env=env,
        capture_output=True, text=True, check=False, timeout=900,
    )  # fmt: skip
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "guard" in proc.stdout and "Failed" in proc.stdout
