"""The GitHub Action's script against real git repos in a simulated GitHub environment."""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path

import pytest
import yaml

from guard import action
from tests.conftest import ROOT, MakeRepo, git, write_tree

BASE = {"pkg/__init__.py": "", "pkg/mod.py": "import os\n\n\ndef join(a, b):\n    return os.path.join(a, b)\n"}
HALLUCINATED = (
    "import os\n\n\ndef join(a, b):\n    return os.path.joinpath(a, b)\n\n\n"
    "def other():\n    return undefined_helper(1)\n"
)
FAST = {"pyproject.toml": '[project]\nname = "demo"\n[tool.guard.analyzers]\nmypy = false\n'}
"""A repo config that leaves mypy out, for tests about the action rather than the analysis."""
CLEAN = "import os\n\n\ndef join(a, b):\n    return os.path.join(str(a), str(b))\n"


def pull_request(make_repo: MakeRepo, after: str, extra: dict[str, str] | None = None) -> tuple[Path, str, str]:
    """A repo whose `feature` branch (checked out) changes pkg/mod.py; (repo, base sha, head sha)."""
    repo = make_repo({**BASE, **(extra or {})})
    base = git(repo, "rev-parse", "HEAD").strip()
    git(repo, "checkout", "-q", "-b", "feature")
    write_tree(repo, {"pkg/mod.py": after})
    git(repo, "commit", "-qam", "feature")
    git(repo, "checkout", "-q", "main")
    git(repo, "commit", "-q", "--allow-empty", "-m", "main moves on")
    git(repo, "checkout", "-q", "feature")
    return repo, base, git(repo, "rev-parse", "HEAD").strip()


def github_env(tmp_path: Path, repo: Path, base: str, head: str, **inputs: str) -> dict[str, str]:
    event = tmp_path / "event.json"
    event.write_text(json.dumps({"pull_request": {"number": 7, "base": {"ref": "main", "sha": base}}}))
    env = {
        "GITHUB_ACTIONS": "true",
        "GITHUB_WORKSPACE": str(repo),
        "GITHUB_EVENT_NAME": "pull_request",
        "GITHUB_EVENT_PATH": str(event),
        "GITHUB_BASE_REF": "main",
        "GITHUB_REPOSITORY": "acme/demo",
        "GITHUB_SHA": head,
        "GITHUB_SERVER_URL": "https://github.com",
        "GITHUB_OUTPUT": str(tmp_path / "output.txt"),
        "GITHUB_STEP_SUMMARY": str(tmp_path / "summary.md"),
    }
    env.update({f"GUARD_{k.upper()}": v for k, v in inputs.items()})
    return env


def read_outputs(path: Path) -> dict[str, str]:
    """Parse `$GITHUB_OUTPUT` as the runner does (name<<DELIMITER ... DELIMITER)."""
    text, out = path.read_text(), {}
    for m in re.finditer(r"^([\w-]+)<<(\S+)\n(.*?)\n\2$", text, flags=re.S | re.M):
        out[m[1]] = m[3]
    return out


def test_flagged_pull_request_annotates_summarises_sets_outputs_and_fails(
    make_repo: MakeRepo, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo, base, head = pull_request(make_repo, HALLUCINATED)
    env = github_env(tmp_path, repo, base, head)
    assert action.main(env) == 1
    stdout = capsys.readouterr().out
    errors = [line for line in stdout.splitlines() if line.startswith("::error ")]
    assert any(
        line.startswith("::error file=pkg/mod.py,line=9,") and "title=guard%3A F821 (ruff)::" in line
        and "undefined_helper" in line
        for line in errors
    ), stdout
    assert any("file=pkg/mod.py,line=5," in line and "joinpath" in line for line in errors), stdout
    annotated = {int(re.search(r",line=(\d+),", line)[1]) for line in errors}  # type: ignore[index]
    assert annotated <= {4, 5, 8, 9}, errors  # the changed functions only; nothing on `import os`
    summary = Path(env["GITHUB_STEP_SUMMARY"]).read_text()
    assert summary.startswith("## guard: ❌ fail")
    assert f"[pkg/mod.py:9](https://github.com/acme/demo/blob/{head}/pkg/mod.py#L9)" in summary
    assert "| `F821` (ruff) |" in summary
    outputs = read_outputs(Path(env["GITHUB_OUTPUT"]))
    assert outputs["verdict"] == "fail"
    assert float(outputs["score"]) >= 0.9
    report = json.loads(outputs["report"])
    assert int(outputs["findings"]) == len(report["findings"]) >= 2
    assert {(f["rule"], f["line"]) for f in report["findings"]} >= {("F821", 9)}
    assert "sarif" not in outputs


def test_fail_on_never_reports_the_same_but_passes_the_job(
    make_repo: MakeRepo, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo, base, head = pull_request(make_repo, HALLUCINATED, FAST)
    env = github_env(tmp_path, repo, base, head, fail_on="never")
    assert action.main(env) == 0
    captured = capsys.readouterr()
    assert "::error file=pkg/mod.py,line=9," in captured.out
    assert "fail-on is 'never': the job passes" in captured.err
    assert read_outputs(Path(env["GITHUB_OUTPUT"]))["verdict"] == "fail"


MINOR = "import os\n\n\ndef join(a, b):\n    unused = 1\n    return os.path.join(a, b)\n"
"""One low-weight finding (F841, an unused local: warning, low confidence): scores between 0.1 and 0.5."""


def test_threshold_decides_the_verdict_and_fail_on_the_job_independently(
    make_repo: MakeRepo, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo, base, head = pull_request(make_repo, MINOR, FAST)
    strict_report = github_env(tmp_path, repo, base, head, threshold="0.1", fail_on="0.5")
    assert action.main(strict_report) == 0
    outputs = read_outputs(Path(strict_report["GITHUB_OUTPUT"]))
    assert outputs["verdict"] == "fail" and 0.1 <= float(outputs["score"]) < 0.5
    assert "::warning file=pkg/mod.py,line=5," in capsys.readouterr().out
    Path(strict_report["GITHUB_OUTPUT"]).unlink()
    strict_job = github_env(tmp_path, repo, base, head, fail_on="0.1")
    assert action.main(strict_job) == 1
    assert read_outputs(Path(strict_job["GITHUB_OUTPUT"]))["verdict"] == "pass"


def test_clean_pull_request_passes_without_annotations(
    make_repo: MakeRepo, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo, base, head = pull_request(make_repo, CLEAN, FAST)
    env = github_env(tmp_path, repo, base, head, sarif="out/guard.sarif")
    assert action.main(env) == 0
    assert "::error" not in capsys.readouterr().out
    outputs = read_outputs(Path(env["GITHUB_OUTPUT"]))
    assert (outputs["verdict"], outputs["findings"]) == ("pass", "0")
    assert Path(env["GITHUB_STEP_SUMMARY"]).read_text().startswith("## guard: ✅ pass")
    sarif = json.loads((repo / "out/guard.sarif").read_text())
    assert outputs["sarif"] == str(repo / "out/guard.sarif")
    assert sarif["runs"][0]["results"] == []
    assert sarif["runs"][0]["properties"]["verdict"] == "pass"


def test_sarif_input_writes_results_for_the_flagged_lines(
    make_repo: MakeRepo, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo, base, head = pull_request(make_repo, HALLUCINATED)
    env = github_env(tmp_path, repo, base, head, sarif="guard.sarif", args="--disable name-defined")
    assert action.main(env) == 1
    results = json.loads((repo / "guard.sarif").read_text())["runs"][0]["results"]
    located = {(r["ruleId"], r["locations"][0]["physicalLocation"]["region"]["startLine"]) for r in results}
    assert ("F821", 9) in located
    assert not any(rule == "name-defined" for rule, _ in located)  # extra args reach guard check


def test_shallow_checkout_says_to_use_fetch_depth_0(
    make_repo: MakeRepo, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo, base, head = pull_request(make_repo, HALLUCINATED)
    shallow = tmp_path / "shallow"
    git(tmp_path, "clone", "-q", "--depth", "1", "--branch", "feature", f"file://{repo}", str(shallow))
    env = github_env(tmp_path, shallow, base, head)
    assert action.main(env) == 2
    out = capsys.readouterr().out
    assert out.startswith("::error title=guard::guard: the base revision")
    assert "fetch-depth: 0" in out
    assert "fetch-depth: 0" in Path(env["GITHUB_STEP_SUMMARY"]).read_text()


def test_without_a_pull_request_or_base_input_the_error_names_the_input(
    make_repo: MakeRepo, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo, base, head = pull_request(make_repo, CLEAN, FAST)
    env = github_env(tmp_path, repo, base, head)
    del env["GITHUB_EVENT_PATH"], env["GITHUB_BASE_REF"]
    assert action.main(env) == 2
    assert "set the action's `base` input" in capsys.readouterr().out
    env["GUARD_BASE"] = "main"  # the input alone is enough (a branch name, diffed from the merge base)
    assert action.main(env) == 0


def test_bad_fail_on_and_bad_config_are_errors_not_passes(
    make_repo: MakeRepo, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo, base, head = pull_request(make_repo, CLEAN, {"pyproject.toml": "[tool.guard]\nthreshhold = 1\n"})
    assert action.main(github_env(tmp_path, repo, base, head, fail_on="sometimes")) == 2
    assert "fail-on must be verdict, never, or a score" in capsys.readouterr().out
    assert action.main(github_env(tmp_path, repo, base, head)) == 2
    assert "threshhold" in capsys.readouterr().out


def test_action_yml_passes_every_input_through_the_environment() -> None:
    spec = yaml.safe_load((ROOT / "action.yml").read_text())
    assert spec["runs"]["using"] == "composite"
    steps = {s["name"]: s for s in spec["runs"]["steps"]}
    install = steps["Install guard"]
    assert install["env"]["GUARD_ACTION_PATH"] == "${{ github.action_path }}"
    assert 'pip install --quiet --disable-pip-version-check "$GUARD_ACTION_PATH"' in install["run"]
    run = steps["Run guard"]
    assert run["id"] == "guard"
    assert shlex.split(run["run"])[1:] == ["-m", "guard.action"]
    passed = {k.removeprefix("GUARD_").lower().replace("_", "-") for k in run["env"]}
    assert passed == set(spec["inputs"]) - {"python-version"}
    for name in ("score", "verdict", "findings", "sarif"):
        assert spec["outputs"][name]["value"] == f"${{{{ steps.guard.outputs.{name} }}}}"
    assert "${{" not in install["run"] + run["run"]  # no expression pasted into a script


def test_dogfooding_workflow_runs_this_action_with_full_history_and_uploads_sarif() -> None:
    flow = yaml.safe_load((ROOT / ".github/workflows/guard.yml").read_text())
    assert "pull_request" in flow[True]  # YAML 1.1 reads the key `on` as True
    steps = flow["jobs"]["guard"]["steps"]
    checkout = next(s for s in steps if s.get("uses", "").startswith("actions/checkout"))
    assert checkout["with"]["fetch-depth"] == 0
    ours = next(s for s in steps if s.get("uses") == "./")
    upload = next(s for s in steps if s.get("uses", "").startswith("github/codeql-action/upload-sarif"))
    assert upload["with"]["sarif_file"] == ours["with"]["sarif"]
    assert "always()" in upload["if"]


@pytest.mark.slow
def test_the_action_works_from_the_built_package(make_repo: MakeRepo, tmp_path: Path) -> None:
    """What `pip install "$GUARD_ACTION_PATH"` installs must be enough: build the wheel, run from it."""
    import os
    import subprocess
    import sys
    import zipfile

    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", str(ROOT), "-w", str(tmp_path / "whl")],
        check=True, capture_output=True, timeout=600,
    )  # fmt: skip
    (wheel,) = (tmp_path / "whl").glob("guard-*.whl")
    zipfile.ZipFile(wheel).extractall(tmp_path / "site")
    repo, base, head = pull_request(make_repo, HALLUCINATED)
    env = {**os.environ, **github_env(tmp_path, repo, base, head), "PYTHONPATH": str(tmp_path / "site")}
    # The dev install's editable finder would serve any module the wheel lacks: take it away.
    only_wheel = (
        "import runpy, sys; sys.meta_path[:] = [f for f in sys.meta_path if 'editable' not in repr(f)];"
        "runpy.run_module('guard.action', run_name='__main__')"
    )
    proc = subprocess.run(
        [sys.executable, "-c", only_wheel], env=env, capture_output=True, text=True, timeout=300, check=False
    )
    assert proc.returncode == 1, proc.stderr
    report = json.loads(read_outputs(Path(env["GITHUB_OUTPUT"]))["report"])
    assert report["tool_errors"] == [], report["tool_errors"]
    # os.path.joinpath on line 5 is found by guard's own rule, which needs guard.resolve in the wheel.
    assert ("nonexistent-attribute", 5) in {(f["rule"], f["line"]) for f in report["findings"]}
