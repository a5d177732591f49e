"""mypy reports an access on a union once per member lacking the attribute: one access, one finding."""

from __future__ import annotations

import json
from pathlib import Path

from guard.checks.mypy import _parse


def _row(line: int, message: str) -> str:
    return json.dumps({"file": "/r/a.py", "line": line, "column": 9, "code": "union-attr", "severity": "error", "message": message})


def test_one_access_on_a_union_is_one_finding() -> None:
    union = "Generator[None, Result[object], None] | Generator[None, object, object]"
    out = "\n".join([
        _row(35, f'Item "Generator[None, Result[object], None]" of "{union}" has no attribute "gi_code"'),
        _row(35, f'Item "Generator[None, object, object]" of "{union}" has no attribute "gi_code"'),
        _row(35, f'Item "Generator[None, object, object]" of "{union}" has no attribute "gi_frame"'),
        _row(36, 'Item "None" of "Match[str] | None" has no attribute "group"'),
    ])  # fmt: skip
    found = _parse(Path("/r"), out)
    assert [(f.line, f.message.rsplit(" ", 1)[-1]) for f in found] == [
        (35, '"gi_code"'), (35, '"gi_frame"'), (36, '"group"'),
    ]  # fmt: skip
