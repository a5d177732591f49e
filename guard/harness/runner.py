"""The child's entry point: read the job, set up guards and import paths, hand over to the
session. Results are streamed one JSON line per event to the results file, so that a child
killed half-way still tells the parent which function it was running."""

from __future__ import annotations

import json
import signal
import sys
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.configuration import set_hypothesis_home_dir

from guard.harness.audit import Auditor
from guard.harness.loader import Touched, module_name
from guard.harness.runtime import on_alarm, open_schedstat
from guard.harness.session import run_all


def main(argv: list[str]) -> int:
    job = json.loads(Path(argv[0]).read_text())
    out = open(job["results"], "a", encoding="utf-8")  # noqa: SIM115 (lives as long as the child)
    sys.stdout = sys.stderr  # untrusted prints must not look like results
    signal.signal(signal.SIGALRM, on_alarm)
    open_schedstat()
    auditor = Auditor(job["box"])
    auditor.install()
    # The repo's own Hypothesis tests keep their examples under the working directory's
    # .hypothesis unless told otherwise; a fork server's child inherits a directory outside this
    # job's box, where every write is refused, and such a test would fail before and after the
    # patch alike. Their home is in the box, where the job names it (the parent seeds it).
    set_hypothesis_home_dir(Path(job["hypothesis_home"]))
    repo = Path(job["repo"])
    touched_paths = {m["path"] for m in job["modules"]}
    touched: list[Touched] = []
    roots: list[str] = []
    names: dict[str, str] = {}
    for m in job["modules"]:
        name, root = module_name(repo, m["path"], touched_paths)
        names[m["path"]] = name
        roots.append(str(root))
        touched.append(Touched(name, str(repo / m["path"]), m["before"], m["after"],
                               m["path"].endswith("__init__.py")))
    sys.path[:0] = list(dict.fromkeys(roots))
    _warm_up()
    return run_all(job, touched, names, auditor, out)


def _warm_up() -> None:
    """Let Hypothesis build its Unicode tables now, before any untrusted code has run, instead
    of inside the first function's time budget."""
    @settings(database=None, max_examples=1, derandomize=True)
    @given(st.text(min_size=1))
    def draw(text: str) -> None:
        pass

    draw()
