"""The child's entry point: read the job, set up guards and import paths, hand over to the
session. Results are streamed one JSON line per event to the results file, so that a child
killed half-way still tells the parent which function it was running."""

from __future__ import annotations

import importlib
import json
import signal
import sys
from collections.abc import Callable
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
    _own_modules_unmined()
    @settings(database=None, max_examples=1, derandomize=True)
    @given(st.text(min_size=1))
    def draw(text: str) -> None:
        pass

    draw()


def _own_modules_unmined() -> None:
    """Keep Hypothesis from mining guard's own source for constants to draw.

    Hypothesis draws some values from the constants of the "local" modules loaded (those outside
    site-packages and the stdlib): the code under test's, which is what the search wants. guard
    installed from a wheel lives in site-packages and is skipped; an editable install is local,
    and every search then parsed guard's ~80 modules first (0.35 s of a cold check's property
    stage) and drew from their strings and numbers, so the same patch met other inputs than
    under an installed guard. Telling Hypothesis that guard's files are not local makes both
    the same. This reaches into Hypothesis' internals; if they change, nothing is done and only
    time is lost.
    """
    try:
        from hypothesis.internal.conjecture import providers
    except ImportError:
        return
    local: Callable[[str], object] | None = getattr(providers, "is_local_module_file", None)
    if local is None or getattr(local, "guard_excluded", False):
        return
    import guard

    rules = importlib.import_module("guard.rules")  # rules/, mapped into the package by setuptools
    own = tuple(str(Path(p).resolve()) + "/" for p in [*guard.__path__, *rules.__path__])

    def is_local(path: str) -> bool:
        return not str(Path(path).resolve()).startswith(own) and bool(local(path))

    is_local.guard_excluded = True  # type: ignore[attr-defined]
    setattr(providers, "is_local_module_file", is_local)  # noqa: B010 (not an exported name)
