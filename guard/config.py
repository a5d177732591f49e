"""Options: defaults, then ``[tool.guard]`` in the checked repo's pyproject.toml, then the caller's."""

from __future__ import annotations

import configparser
import fnmatch
import re
import sys
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from guard.diff import FileStatus, Patch
from guard.workspace import NoFit, apply_hunks

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib  # type: ignore[import-not-found, unused-ignore]


class ConfigError(ValueError):
    """A configuration value guard cannot use; the message names the key."""


ANALYZERS = frozenset({"ruff", "mypy", "bandit", "rules", "properties"})

DEFAULT_BUDGETS: dict[str, float] = {
    "ruff": 10.0,
    "mypy": 30.0,
    "bandit": 20.0,
    "rules": 10.0,
    "properties": 5.0,
}


@dataclass(frozen=True)
class Options:
    threshold: float = 0.5
    disable: frozenset[str] = frozenset()
    """Rule ids (guard's or a tool's, e.g. ``F841``, ``attr-defined``) never reported."""
    per_path_ignores: tuple[tuple[str, frozenset[str]], ...] = ()
    """(glob, rule ids) pairs; ``*`` as a rule id ignores every rule on matching paths."""
    target_version: tuple[int, int] | None = None
    budgets: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_BUDGETS))
    execute: bool = True
    analyzers: frozenset[str] = ANALYZERS
    """Analyzers that run; ``[tool.guard.analyzers]`` turns single ones off (``bandit = false``)."""

    def ignores(self, rule: str, path: str) -> bool:
        if rule in self.disable:
            return True
        return any(
            fnmatch.fnmatch(path, glob) and ("*" in rules or rule in rules)
            for glob, rules in self.per_path_ignores
        )

    def with_overrides(self, **overrides: Any) -> Options:
        known = {f.name for f in fields(self)}
        unknown = set(overrides) - known
        if unknown:
            raise ConfigError(f"unknown option(s): {', '.join(sorted(unknown))}")
        given = {k: v for k, v in overrides.items() if v is not None}
        if "budgets" in given:
            given["budgets"] = {**self.budgets, **given["budgets"]}
        return replace(self, **given)


_KEYS = {
    "threshold", "disable", "per-path-ignores", "target-version", "budgets", "execute", "analyzers",
}  # fmt: skip


def load_options(repo: Path) -> Options:
    """Options from ``[tool.guard]``; a bad key or value raises :class:`ConfigError`."""
    table = _pyproject(repo).get("tool", {}).get("guard", {})
    if not isinstance(table, dict):
        raise ConfigError("[tool.guard] must be a table")
    unknown = set(table) - _KEYS
    if unknown:
        raise ConfigError(
            f"[tool.guard]: unknown key(s) {', '.join(sorted(unknown))}; known: {', '.join(sorted(_KEYS))}"
        )
    opts = Options()
    values: dict[str, Any] = {}
    if "threshold" in table:
        values["threshold"] = _threshold(table["threshold"], "[tool.guard] threshold")
    if "disable" in table:
        values["disable"] = frozenset(_str_list(table["disable"], "disable"))
    if "per-path-ignores" in table:
        ppi = table["per-path-ignores"]
        if not isinstance(ppi, dict):
            raise ConfigError("[tool.guard] per-path-ignores must be a table of glob = [rule ids]")
        values["per_path_ignores"] = tuple(
            (glob, frozenset(_str_list(rules, f"per-path-ignores.{glob}"))) for glob, rules in ppi.items()
        )
    if "target-version" in table:
        values["target_version"] = parse_version(table["target-version"], "[tool.guard] target-version")
    if "budgets" in table:
        values["budgets"] = _budgets(table["budgets"])
    if "execute" in table:
        if not isinstance(table["execute"], bool):
            raise ConfigError("[tool.guard] execute must be true or false")
        values["execute"] = table["execute"]
    if "analyzers" in table:
        values["analyzers"] = _analyzers(table["analyzers"])
    return opts.with_overrides(**values)


def _threshold(value: object, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
        raise ConfigError(f"{where} must be a number from 0 to 1, not {value!r}")
    return float(value)


def _str_list(value: object, key: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"[tool.guard] {key} must be a list of strings, not {value!r}")
    return value


def _budgets(value: object) -> dict[str, float]:
    if not isinstance(value, dict):
        raise ConfigError("[tool.guard] budgets must be a table of analyzer = seconds")
    out = {}
    for name, seconds in value.items():
        if name not in DEFAULT_BUDGETS:
            raise ConfigError(
                f"[tool.guard] budgets.{name}: unknown analyzer; known: {', '.join(DEFAULT_BUDGETS)}"
            )
        if isinstance(seconds, bool) or not isinstance(seconds, int | float) or seconds <= 0:
            raise ConfigError(f"[tool.guard] budgets.{name} must be a positive number of seconds")
        out[name] = float(seconds)
    return out


def _analyzers(value: object) -> frozenset[str]:
    if not isinstance(value, dict):
        raise ConfigError("[tool.guard] analyzers must be a table of analyzer = true/false")
    on = set(ANALYZERS)
    for name, enabled in value.items():
        if name not in ANALYZERS:
            raise ConfigError(
                f"[tool.guard] analyzers.{name}: unknown analyzer; known: {', '.join(sorted(ANALYZERS))}"
            )
        if not isinstance(enabled, bool):
            raise ConfigError(f"[tool.guard] analyzers.{name} must be true or false, not {enabled!r}")
        if not enabled:
            on.discard(name)
    return frozenset(on)


def parse_version(value: object, where: str) -> tuple[int, int]:
    text = str(value).strip().lower().removeprefix("py")
    match = re.fullmatch(r"3\.?(\d+)", text)
    if not match or isinstance(value, bool):
        raise ConfigError(f"{where} must look like \"3.11\", not {value!r}")
    return (3, int(match[1]))


def _pyproject(repo: Path) -> dict[str, Any]:
    path = repo / "pyproject.toml"
    if not path.is_file():
        return {}
    try:
        data: dict[str, Any] = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path.name}: cannot be read as TOML: {exc}") from exc
    return data


PYTHON_DECLARATIONS = ("pyproject.toml", "mypy.ini", ".mypy.ini", "setup.cfg", "setup.py")
"""The repo-root files that declare which Python the code targets (see :func:`target_version`)."""


def target_version(repo: Path, options: Options, patch: Patch | None = None) -> tuple[int, int]:
    """Python version the repo targets: guard's option, mypy's, requires-python (or setup.cfg's,
    setup.py's ``python_requires``), or ours.

    When ``patch`` changes one of those declarations, the patched declaration decides: a release that
    raises its minimum Python in the same patch may use what the new minimum allows.
    """
    if options.target_version:
        return options.target_version
    texts = _declarations(repo, patch)
    data = _toml(texts.get("pyproject.toml"))
    mypy_version = data.get("tool", {}).get("mypy", {}).get("python_version")
    if mypy_version:
        return parse_version(mypy_version, "[tool.mypy] python_version")
    for name in ("mypy.ini", ".mypy.ini", "setup.cfg"):
        version = _ini_option(texts.get(name), "mypy", "python_version")
        if version:
            try:
                return parse_version(version, f"{name} python_version")
            except ConfigError:
                pass
    requires = data.get("project", {}).get("requires-python", "") or _ini_option(
        texts.get("setup.cfg"), "options", "python_requires"
    )
    if not requires and texts.get("setup.py"):
        match = re.search(r"python_requires\s*=\s*['\"]([^'\"]*)['\"]", texts["setup.py"] or "")
        requires = match[1] if match else ""
    # The lower bound: ">=3.8", ">3.8", "~=3.8" (compatible release: 3.8 or newer), "==3.8.*".
    match = re.search(r"(?:>=?|~=|==)\s*3\.(\d+)", str(requires))
    if match:
        return (3, int(match[1]))
    return (sys.version_info.major, sys.version_info.minor)


def _declarations(repo: Path, patch: Patch | None) -> dict[str, str | None]:
    """The text of each declaration file, as the patch leaves it when the patch touches it."""
    texts: dict[str, str | None] = {}
    for name in PYTHON_DECLARATIONS:
        try:
            texts[name] = (repo / name).read_text(encoding="utf-8") if (repo / name).is_file() else None
        except (OSError, UnicodeDecodeError):
            texts[name] = None
    for fp in patch.files if patch else ():
        names = {p for p in (fp.old_path, fp.new_path) if p in PYTHON_DECLARATIONS}
        if fp.binary or not names:
            continue
        if fp.status is FileStatus.DELETED:
            texts[fp.path] = None
            continue
        current = texts.get(fp.old_path or "") if fp.old_path else None
        try:
            texts[fp.path] = apply_hunks(current or "", fp.hunks)
        except NoFit:
            # The hunks do not apply: the tree already holds the patched file (or is unrelated).
            texts[fp.path] = texts.get(fp.path)
        if fp.old_path and fp.old_path != fp.path:
            texts[fp.old_path] = None
    return texts


def _toml(text: str | None) -> dict[str, Any]:
    if not text:
        return {}
    try:
        data: dict[str, Any] = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"pyproject.toml: cannot be read as TOML: {exc}") from exc
    return data


def _ini_option(text: str | None, section: str, option: str) -> str:
    if not text:
        return ""
    parser = configparser.ConfigParser()
    try:
        parser.read_string(text)
        return parser.get(section, option) if parser.has_option(section, option) else ""
    except configparser.Error:
        return ""
