"""The removed-API table (``rules/removed_api.toml``, shipped in ``guard.rules``), as data.

Shared by ``removed-api``, which reports these APIs, and by the rules that defer to it
(``unresolved-import``, ``nonexistent-attribute``), so that one mistake gets one finding.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from importlib.resources import files

from guard.resolve.locate import load_toml


@dataclass(frozen=True)
class Removal:
    name: str
    kind: str
    """``module`` or ``attribute``."""
    removed: tuple[int, int] | None
    deprecated: tuple[int, int] | None
    use: str
    source: str

    def gone_by(self, target: tuple[int, int]) -> bool:
        return self.removed is not None and target >= self.removed

    def describe(self, target: tuple[int, int]) -> str:
        use = f"; use {self.use}" if self.use else ""
        if self.gone_by(target) and self.removed:
            return f"'{self.name}' was removed in Python {_v(self.removed)}{use} ({self.source})"
        until = f", removed in Python {_v(self.removed)}" if self.removed else ""
        since = _v(self.deprecated) if self.deprecated else "?"
        return f"'{self.name}' is deprecated since Python {since}{until}{use} ({self.source})"


def _v(version: tuple[int, int]) -> str:
    return f"{version[0]}.{version[1]}"


def _version(text: object) -> tuple[int, int] | None:
    if not isinstance(text, str) or not text:
        return None
    major, minor = text.split(".")
    return int(major), int(minor)


@lru_cache(maxsize=1)
def table() -> dict[str, Removal]:
    data = load_toml(files("guard.rules").joinpath("removed_api.toml").read_text(encoding="utf-8"))
    out: dict[str, Removal] = {}
    for kind, section in (("module", "modules"), ("attribute", "attributes")):
        for name, entry in data.get(section, {}).items():
            out[name] = Removal(
                name, kind, _version(entry.get("removed")), _version(entry.get("deprecated")),
                str(entry.get("use", "")), str(entry["source"]),
            )  # fmt: skip
    return out


def removal_for(dotted: str, target: tuple[int, int]) -> Removal | None:
    """The entry covering ``dotted`` (a module covers its submodules), if it applies at ``target``."""
    parts = dotted.split(".")
    for i in range(len(parts), 0, -1):
        entry = table().get(".".join(parts[:i]))
        if entry is not None and (i == len(parts) or entry.kind == "module"):
            applies = entry.gone_by(target) or (entry.deprecated is not None and target >= entry.deprecated)
            return entry if applies else None
    return None
