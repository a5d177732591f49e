"""The property search draws constants from the code under test, never from guard's own source."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path


def test_guards_own_modules_are_not_mined_for_constants(tmp_path: Path) -> None:
    """Hypothesis mines "local" modules (outside site-packages) for constants to draw. An editable
    guard is local: the search must not parse and draw from it, or an editable and an installed
    guard meet different inputs for the same patch. The code under test stays local. Run in a
    child process: the check patches Hypothesis for the rest of the process it runs in."""
    module = tmp_path / "widths.py"
    module.write_text("LIMIT = 12345\n")
    script = f"""
import guard.rulekit, guard.harness.session
from guard.harness.runner import _own_modules_unmined
from hypothesis.internal.conjecture import providers
_own_modules_unmined()
_own_modules_unmined()  # once is enough; a second call must not wrap the first
print(providers.is_local_module_file(guard.rulekit.__file__),
      providers.is_local_module_file(guard.harness.session.__file__),
      providers.is_local_module_file({str(module)!r}))
"""
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True, cwd=tmp_path)
    assert out.stdout.split() == ["False", "False", "True"]
