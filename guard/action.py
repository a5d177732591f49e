"""What ``action.yml`` runs (``python -m guard.action``): check a pull request's diff on GitHub.

Inputs arrive as environment variables (``GUARD_THRESHOLD``, ``GUARD_BASE``, ``GUARD_ARGS``,
``GUARD_SARIF``, ``GUARD_FAIL_ON``) so that nothing from a workflow is pasted into a shell script.
The check itself is ``guard check PATCH --format json``, run as a child process, so the action
accepts exactly the command line's options and honours the repo's ``[tool.guard]``.

"What is reported" and "what fails the job" are separate: ``threshold`` decides the verdict shown
in the report; ``fail-on`` decides the job's exit status (``verdict``, ``never``, or a score).
"""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from guard.api import Report
from guard.findings import Confidence, Finding, Note, Severity, ToolError
from guard.report import github, sarif
from guard.score import Scored

EXIT_PASS, EXIT_FAIL, EXIT_INPUT = 0, 1, 2
SHALLOW_HINT = (
    "the checkout is shallow; check out the full history with actions/checkout's "
    "`fetch-depth: 0` so guard can find the merge base"
)


class ActionError(Exception):
    """A problem with the action's setup (inputs, checkout), reported as one clear message."""


@dataclass(frozen=True)
class Settings:
    repo: Path
    threshold: str
    base: str
    args: tuple[str, ...]
    sarif: str
    fail_on: str

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Settings:
        fail_on = env.get("GUARD_FAIL_ON", "").strip().lower() or "verdict"
        if fail_on not in {"verdict", "true", "never", "false"}:
            try:
                if not 0 <= float(fail_on) <= 1:
                    raise ValueError(fail_on)
            except ValueError:
                raise ActionError(
                    f"input fail-on must be verdict, never, or a score from 0 to 1, not {fail_on!r}"
                ) from None
        return cls(
            repo=Path(env.get("GITHUB_WORKSPACE") or ".").resolve(),
            threshold=env.get("GUARD_THRESHOLD", "").strip(),
            base=env.get("GUARD_BASE", "").strip(),
            args=tuple(shlex.split(env.get("GUARD_ARGS", ""))),
            sarif=env.get("GUARD_SARIF", "").strip(),
            fail_on=fail_on,
        )

    def job_fails(self, report: Report) -> bool:
        if self.fail_on in {"never", "false"}:
            return False
        if self.fail_on in {"verdict", "true"}:
            return report.failed
        return report.score >= float(self.fail_on)


def _git(repo: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["git", "-C", str(repo), *args], capture_output=True, text=True, check=False, timeout=120
    )


def _event(env: Mapping[str, str]) -> dict[str, Any]:
    path = env.get("GITHUB_EVENT_PATH", "")
    if not path or not Path(path).is_file():
        return {}
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    return data if isinstance(data, dict) else {}


def base_candidates(settings: Settings, env: Mapping[str, str]) -> list[str]:
    """Revisions to diff against, best first: the input, the PR's base commit, its branch."""
    if settings.base:
        return [settings.base, f"origin/{settings.base}"]
    event = _event(env)
    out = []
    pr = event.get("pull_request")
    if isinstance(pr, dict) and isinstance(pr.get("base"), dict) and pr["base"].get("sha"):
        out.append(str(pr["base"]["sha"]))
    if env.get("GITHUB_BASE_REF"):
        out.append(f"origin/{env['GITHUB_BASE_REF']}")
    before = str(event.get("before") or "")
    if not out and before.strip("0"):
        out.append(before)  # a push: check what it added
    return out


def merge_base(repo: Path, candidates: list[str]) -> str:
    if not candidates:
        raise ActionError(
            "no base to compare with: this is not a pull_request event; set the action's `base` input"
        )
    shallow = _git(repo, "rev-parse", "--is-shallow-repository").stdout.strip() == "true"
    found = [c for c in candidates if _git(repo, "rev-parse", "--verify", "-q", f"{c}^{{commit}}").returncode == 0]
    if not found:
        hint = SHALLOW_HINT if shallow else "fetch it before running guard"
        raise ActionError(f"the base revision ({', '.join(candidates)}) is not in the checkout: {hint}")
    proc = _git(repo, "merge-base", found[0], "HEAD")
    if proc.returncode != 0:
        hint = SHALLOW_HINT if shallow else "the base and HEAD share no history"
        raise ActionError(f"no merge base of {found[0]} and HEAD: {hint}")
    return proc.stdout.strip()


def pr_diff(repo: Path, base: str) -> str:
    proc = _git(repo, "diff", "--no-color", "--no-ext-diff", "-M", "--src-prefix=a/", "--dst-prefix=b/", base, "HEAD")
    if proc.returncode != 0:
        raise ActionError(f"git diff {base} HEAD failed: {proc.stderr.strip()}")
    return proc.stdout


def run_guard(settings: Settings, diff: str) -> tuple[int, str, str]:
    """``guard check`` on the diff, as a child process: (exit code, stdout, stderr)."""
    with tempfile.TemporaryDirectory(prefix="guard-action-") as tmp:
        patch = Path(tmp, "pr.diff")
        patch.write_text(diff, encoding="utf-8")
        argv = [sys.executable, "-c", "from guard.cli import main; main(prog_name='guard')", "check",
                str(patch), "--repo", str(settings.repo), "--format", "json"]  # fmt: skip
        if settings.threshold:
            argv += ["--threshold", settings.threshold]
        proc = subprocess.run([*argv, *settings.args], capture_output=True, text=True, check=False)
        return proc.returncode, proc.stdout, proc.stderr


def report_from_json(data: dict[str, Any]) -> Report:
    """The inverse of :meth:`Report.to_json` (the stable JSON contract)."""
    findings = tuple(
        Scored(
            Finding(
                path=f["path"], line=f["line"], column=f["column"], rule=f["rule"],
                analyzer=f["analyzer"], message=f["message"],
                severity=Severity[f["severity"].upper()],
                confidence=Confidence[str(f.get("confidence", "high")).upper()],
                end_line=f.get("end_line"), end_column=f.get("end_column"), symbol=f.get("symbol", ""),
                evidence=tuple((str(k), str(v)) for k, v in (f.get("evidence") or {}).items()),
            ),
            float(f["weight"]),
        )
        for f in data["findings"]
    )  # fmt: skip
    return Report(
        score=float(data["score"]),
        verdict="fail" if data["verdict"] == "fail" else "pass",
        threshold=float(data["threshold"]),
        findings=findings,
        files=tuple(data.get("files", ())),
        skipped=tuple((s["path"], s["reason"]) for s in data.get("skipped", ())),
        tool_errors=tuple(ToolError(e["analyzer"], e["message"]) for e in data.get("tool_errors", ())),
        notes=tuple(
            Note(n["analyzer"], n["message"], n.get("path", ""), n.get("symbol", "")) for n in data.get("notes", ())
        ),
        timings={k: float(v) for k, v in data.get("timings", {}).items()},
    )


def set_outputs(env: Mapping[str, str], outputs: Mapping[str, str]) -> None:
    """Write step outputs to ``$GITHUB_OUTPUT`` with the multi-line-safe delimiter syntax."""
    path = env.get("GITHUB_OUTPUT")
    if not path:
        return
    with open(path, "a", encoding="utf-8") as out:
        for name, value in outputs.items():
            delimiter = f"guard_{uuid.uuid4().hex}"
            while delimiter in value:  # pragma: no cover - a uuid in a finding is vanishingly rare
                delimiter = f"guard_{uuid.uuid4().hex}"
            out.write(f"{name}<<{delimiter}\n{value}\n{delimiter}\n")


def write_summary(env: Mapping[str, str], markdown: str) -> None:
    path = env.get("GITHUB_STEP_SUMMARY")
    if path:
        with open(path, "a", encoding="utf-8") as out:
            out.write(markdown)


def blob_url(env: Mapping[str, str]) -> str:
    repo, sha = env.get("GITHUB_REPOSITORY", ""), env.get("GITHUB_SHA", "")
    if not repo or not sha:
        return ""
    server = env.get("GITHUB_SERVER_URL", "https://github.com").rstrip("/")
    return f"{server}/{repo}/blob/{sha}/"


def publish(settings: Settings, env: Mapping[str, str], report: Report) -> None:
    """Annotations on stdout, the job summary, the step outputs and the SARIF file."""
    shown = github.annotate(report)
    for line in shown.lines:
        print(line)
    if shown.left_out:
        print(github.overflow_line(len(shown.left_out)))
    write_summary(env, github.summary(report, blob_url(env), len(shown.left_out)))
    outputs = {
        "score": f"{report.score:g}",
        "verdict": report.verdict,
        "findings": str(len(report.findings)),
        "report": json.dumps(report.to_json(), indent=2),
    }
    if settings.sarif:
        target = Path(settings.sarif)
        target = target if target.is_absolute() else settings.repo / target
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(sarif.render(report, settings.repo), encoding="utf-8")
        outputs["sarif"] = str(target)
    set_outputs(env, outputs)


def _error(env: Mapping[str, str], message: str) -> None:
    print(f"::error title=guard::{github.escape_data(message)}")
    write_summary(env, f"## guard: ⚠️ could not check the pull request\n\n{message}\n")


def main(env: Mapping[str, str] | None = None) -> int:
    env = os.environ if env is None else env
    try:
        settings = Settings.from_env(env)
        base = merge_base(settings.repo, base_candidates(settings, env))
        diff = pr_diff(settings.repo, base)
    except ActionError as exc:
        _error(env, f"guard: {exc}")
        return EXIT_INPUT
    print(f"guard: checking the change since {base[:12]} ({diff.count(chr(10))} diff lines)", file=sys.stderr)
    code, stdout, stderr = run_guard(settings, diff)
    sys.stderr.write(stderr)
    if code not in (EXIT_PASS, EXIT_FAIL):
        _error(env, stderr.strip().splitlines()[-1] if stderr.strip() else f"guard exited with {code}")
        return code
    report = report_from_json(json.loads(stdout))
    publish(settings, env, report)
    if settings.job_fails(report):
        return EXIT_FAIL
    if report.failed:
        print(f"guard: the patch is flagged, but fail-on is {settings.fail_on!r}: the job passes", file=sys.stderr)
    return EXIT_PASS


if __name__ == "__main__":
    sys.exit(main())
