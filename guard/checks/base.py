"""What every analyzer adapter shares: running a tool within its budget, and the target set."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from guard.findings import Finding


class ToolFailure(Exception):
    """The tool is missing, crashed or ran out of time; the message says which, for the user."""


@dataclass(frozen=True)
class ToolRun:
    """One run of an external analyzer over some files of one overlay."""

    root: Path
    """Directory the tool runs in (an overlay of the repo)."""
    paths: Sequence[str]
    """Repo-relative paths to check, all present under ``root``."""
    target_version: tuple[int, int]
    budget_s: float


def run_tool(name: str, argv: list[str], cwd: Path, budget_s: float, ok_codes: set[int]) -> str:
    """Run ``argv``; return stdout. Raise :class:`ToolFailure` for anything but ``ok_codes``."""
    env = dict(os.environ)
    env.pop("PYTHONPATH", None)  # the user's PYTHONPATH must not leak guard's view of the repo
    env["NO_COLOR"] = "1"
    try:
        proc = subprocess.run(
            argv, cwd=cwd, capture_output=True, text=True, timeout=budget_s, env=env, check=False
        )
    except FileNotFoundError as exc:
        raise ToolFailure(f"{name} is not installed ({exc.filename} not found)") from exc
    except subprocess.TimeoutExpired as exc:
        raise ToolFailure(f"{name} did not finish within its budget of {budget_s:g} s") from exc
    if proc.returncode not in ok_codes:
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-3:]
        raise ToolFailure(f"{name} failed (exit {proc.returncode}): {' | '.join(tail)[:400]}")
    return proc.stdout


def relative(root: Path, reported: str) -> str:
    """Turn a path as a tool printed it into a repo-relative path with '/' separators."""
    path = Path(reported)
    if path.is_absolute():
        try:
            path = path.relative_to(root)
        except ValueError:
            path = Path(os.path.relpath(path, root))
    text = path.as_posix()
    return text[2:] if text.startswith("./") else text


def keep_paths(findings: list[Finding], paths: Sequence[str]) -> list[Finding]:
    wanted = set(paths)
    return [f for f in findings if f.path in wanted]
