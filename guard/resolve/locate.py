"""Where a module comes from: the stdlib of a Python version, installed distributions, declared deps.

Nothing here imports or runs the code it finds: the stdlib is known from typeshed (bundled with
mypy) and ``sys.stdlib_module_names``; installed code is found with ``PathFinder`` over the
site-packages directories, the way the import system would find it.
"""

from __future__ import annotations

import ast
import configparser
import contextlib
import importlib
import importlib.machinery
import importlib.metadata
import importlib.util
import pkgutil
import re
import sys
import sysconfig
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

from guard import persist
from guard.repo import REQUIREMENTS_FILE

Version = tuple[int, int]


def load_toml(text: str) -> dict[str, Any]:
    """Parse TOML with ``tomllib`` (3.11+) or its backport ``tomli`` (a dependency on 3.10)."""
    toml = importlib.import_module("tomllib" if sys.version_info >= (3, 11) else "tomli")
    data: dict[str, Any] = toml.loads(text)
    return data


@lru_cache(maxsize=1)
def typeshed_stdlib() -> Path | None:
    spec = importlib.util.find_spec("mypy")
    for location in (spec.submodule_search_locations or []) if spec else []:
        candidate = Path(location) / "typeshed" / "stdlib"
        if (candidate / "VERSIONS").is_file():
            return candidate
    return None


@lru_cache(maxsize=1)
def typeshed_versions() -> dict[str, tuple[Version, Version | None]]:
    root = typeshed_stdlib()
    table: dict[str, tuple[Version, Version | None]] = {}
    if root is None:
        return table
    for raw in (root / "VERSIONS").read_text(encoding="utf-8").splitlines():
        line = raw.split("#", 1)[0].strip()
        if ":" not in line:
            continue
        name, span = (part.strip() for part in line.split(":", 1))
        low, _, high = span.partition("-")
        table[name] = (_version(low), _version(high) if high.strip() else None)
    return table


def _version(text: str) -> Version:
    major, minor = text.strip().split(".")[:2]
    return int(major), int(minor)


def stdlib_span(module: str) -> tuple[Version, Version | None] | None:
    """The versions in which ``module`` (or its nearest listed parent) is in the stdlib."""
    versions = typeshed_versions()
    parts = module.split(".")
    for i in range(len(parts), 0, -1):
        span = versions.get(".".join(parts[:i]))
        if span is not None:
            return span
    return None


def is_stdlib(module: str, target: Version) -> bool:
    top = module.split(".")[0]
    span = stdlib_span(module)
    if span is None:
        return top in sys.stdlib_module_names and (module == top or stdlib_source(module) is not None)
    low, high = span
    if not (low <= target and (high is None or target <= high)):
        return False
    return module == top or stub_path(module) is not None or stdlib_source(module) is not None


def stub_path(module: str) -> Path | None:
    root = typeshed_stdlib()
    if root is None:
        return None
    base = root.joinpath(*module.split("."))
    for candidate in (base.with_suffix(".pyi"), base / "__init__.pyi"):
        if candidate.is_file():
            return candidate
    return None


def _stdlib_dirs() -> list[str]:
    paths = sysconfig.get_paths()
    return [paths["stdlib"], str(Path(paths["stdlib"]) / "lib-dynload")]


@lru_cache(maxsize=4096)
def stdlib_source(module: str) -> Path | None:
    """The running interpreter's own source of a stdlib module (for what stubs leave open)."""
    return _find(module, tuple(_stdlib_dirs()))


def site_dirs(repo: Path | None = None) -> tuple[str, ...]:
    """Where installed distributions live: this interpreter's site dirs and the repo's own venv."""
    stdlib = {str(Path(p).resolve()) for p in _stdlib_dirs()}
    dirs = [
        p
        for p in sys.path
        if ("site-packages" in p or "dist-packages" in p or p.endswith(".egg"))
        and Path(p).is_dir()
        and str(Path(p).resolve()) not in stdlib
    ]
    if repo is not None:
        for venv in (".venv", "venv", "env"):
            dirs.extend(str(p) for p in sorted((repo / venv).glob("lib/python3*/site-packages")))
    return tuple(dict.fromkeys(dirs))


@lru_cache(maxsize=8192)
def _find(module: str, paths: tuple[str, ...]) -> Path | None:
    """A module's file (its ``__init__.py`` for a package, the directory for a namespace package)."""
    search: list[str] | None = list(paths)
    spec = None
    for i, part in enumerate(module.split(".")):
        if search is None:
            return None
        name = ".".join(module.split(".")[: i + 1])
        spec = importlib.machinery.PathFinder.find_spec(name if i else part, search)
        if spec is None:
            return None
        search = list(spec.submodule_search_locations) if spec.submodule_search_locations is not None else None
    if spec is None:
        return None
    if spec.origin and spec.origin not in {"namespace", "built-in", "frozen"}:
        return Path(spec.origin)
    locations = list(spec.submodule_search_locations or [])
    return Path(locations[0]) if locations else None


def find_installed(module: str, paths: tuple[str, ...]) -> Path | None:
    return _find(module, paths)


@lru_cache(maxsize=8)
def installed_top_levels(paths: tuple[str, ...]) -> frozenset[str]:
    def scan() -> frozenset[str]:
        names = {info.name for info in pkgutil.iter_modules(list(paths))}
        names.update(importlib.metadata.packages_distributions())
        return frozenset(names)

    # A directory's mtime changes when an entry is added or removed: installing or removing a
    # distribution (its dist-info directory) or a top-level module changes the key.
    return persist.cached("top-levels", (persist.stamp(paths), persist.stamp(_metadata_dirs())), scan)


def _metadata_dirs() -> list[str]:
    """The directories ``importlib.metadata`` reads distributions from (this process's path)."""
    return [p for p in sys.path if p and Path(p).is_dir()]


def preload(paths: tuple[str, ...]) -> None:
    """Build the per-process tables that resolution reads (installed top-level modules, the
    distributions' import names, typeshed's VERSIONS) now, instead of in the first check that
    needs them: ``importlib.metadata`` reads every installed RECORD (0.5-1.5 s)."""
    installed_top_levels(paths)
    _dists_to_imports()
    typeshed_versions()


@lru_cache(maxsize=1)
def _dists_to_imports() -> dict[str, frozenset[str]]:
    def scan() -> dict[str, frozenset[str]]:
        out: dict[str, set[str]] = {}
        for top, dists in importlib.metadata.packages_distributions().items():
            for dist in dists:
                out.setdefault(normalize(dist), set()).add(top)
        return {k: frozenset(v) for k, v in out.items()}

    return persist.cached("dists-to-imports", persist.stamp(_metadata_dirs()), scan)


def normalize(dist: str) -> str:
    """PEP 503 normalisation, with ``_`` as the separator (the form import names use)."""
    return re.sub(r"[-_.]+", "_", dist).lower()


def import_names(dist: str) -> frozenset[str]:
    """Import names a distribution provides: from its metadata when installed, else guessed.

    The guess strips the usual decorations of distribution names (``python-``, ``py``, ``-python``,
    ``-py``) and keeps the first dotted or hyphenated component for namespace packages.
    """
    key = normalize(dist)
    installed = _dists_to_imports().get(key)
    if installed:
        return installed
    guesses = {key, key.replace("_", "")}
    for prefix in ("python_", "py_", "py"):
        if key.startswith(prefix) and len(key) > len(prefix) + 1:
            guesses.add(key[len(prefix) :])
    for suffix in ("_python", "_py", "3", "2"):
        if key.endswith(suffix) and len(key) > len(suffix) + 1:
            guesses.add(key[: -len(suffix)])
    guesses.add(key.split("_")[0])
    return frozenset(guesses)


_REQUIREMENT = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)")


def requirement_name(spec: str) -> str | None:
    match = _REQUIREMENT.match(spec)
    return match[1] if match and not spec.lstrip().startswith(("-", "#")) else None


def declared_distributions(repo: Path, overlay: Mapping[str, str | None] | None = None) -> frozenset[str]:
    """Distributions the repo declares in pyproject, setup.cfg, setup.py and requirements files,
    read as the patch leaves them (``overlay``: repo-relative path -> patched text, None if deleted):
    a patch that adds a test dependency and its import declares both."""
    changed = overlay or {}

    def text(rel: str) -> str | None:
        if rel in changed:
            return changed[rel]
        path = repo / rel
        return path.read_text(encoding="utf-8", errors="replace") if path.is_file() else None

    specs: list[str] = []
    if (pyproject := text("pyproject.toml")) is not None:
        specs.extend(_pyproject_specs(pyproject))
    if (cfg := text("setup.cfg")) is not None:
        parser = configparser.ConfigParser()
        with contextlib.suppress(configparser.Error):
            parser.read_string(cfg)
        for section, key in (("options", "install_requires"), ("options", "tests_require")):
            specs.extend(parser.get(section, key, fallback="").splitlines())
        if parser.has_section("options.extras_require"):
            for _, value in parser.items("options.extras_require"):
                specs.extend(value.splitlines())
    if (setup_py := text("setup.py")) is not None:
        specs.extend(_setup_py_specs(setup_py))
    # requirements.txt, requirements-dev.txt, dev-requirements.txt, test_requirements.txt, requirements/*.txt
    requirements = {str(p.relative_to(repo)) for p in (*repo.glob("*requirements*.txt"), *repo.glob("requirements/*.txt"))}
    requirements |= {rel for rel in changed if REQUIREMENTS_FILE.fullmatch(rel)}
    for rel in sorted(requirements):
        specs.extend((text(rel) or "").splitlines())
    names = {requirement_name(s) for s in specs}
    return frozenset(n for n in names if n)


def _setup_py_specs(text: str) -> list[str]:
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError):
        return []
    keys = {"install_requires", "extras_require", "tests_require", "setup_requires"}
    return [
        node.value
        for call in ast.walk(tree)
        if isinstance(call, ast.Call)
        for kw in call.keywords
        if kw.arg in keys
        for node in ast.walk(kw.value)
        if isinstance(node, ast.Constant) and isinstance(node.value, str)
    ]


def _pyproject_specs(text: str) -> list[str]:
    try:
        data = load_toml(text)
    except ValueError:  # TOMLDecodeError is a ValueError
        return []
    project = data.get("project", {})
    specs = list(project.get("dependencies", []))
    for group in project.get("optional-dependencies", {}).values():
        specs.extend(group)
    for group in data.get("dependency-groups", {}).values():
        specs.extend(s for s in group if isinstance(s, str))
    poetry = data.get("tool", {}).get("poetry", {})
    for table in (poetry.get("dependencies", {}), poetry.get("dev-dependencies", {})):
        specs.extend(table)
    for group in poetry.get("group", {}).values():
        specs.extend(group.get("dependencies", {}))
    return [s for s in specs if isinstance(s, str) and s.lower() != "python"]
