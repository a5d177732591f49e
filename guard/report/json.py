"""The JSON contract of DESIGN.md: one object on stdout."""

from __future__ import annotations

import json

from guard.api import Report


def render(report: Report) -> str:
    return json.dumps(report.to_json(), indent=2)
