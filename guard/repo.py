"""Facts about the checked repository: its Python files, module names, and who imports whom."""

from __future__ import annotations

import ast
import os
import re
from collections.abc import Iterable, Sequence
from pathlib import Path

SKIP_DIRS = frozenset(
    {
        ".git", ".hg", ".svn", ".venv", "venv", "env", ".env", ".tox", ".nox", "node_modules",
        "__pycache__", "build", "dist", ".eggs", "site-packages", ".mypy_cache", ".ruff_cache",
        ".pytest_cache", ".hypothesis",
    }
)  # fmt: skip

REQUIREMENTS_FILE = re.compile(r"[^/]*requirements[^/]*\.txt|requirements/[^/]+\.txt")
"""A requirements file, by repo-relative path: requirements.txt, requirements-dev.txt,
test_requirements.txt at the root, or any .txt under requirements/."""
DEPENDENCY_DECLARATIONS = ("pyproject.toml", "setup.cfg")
"""The non-Python root files that declare dependencies (setup.py is read as Python)."""


def python_files(repo: Path) -> list[str]:
    """Repo-relative paths of the repo's own Python sources, sorted."""
    found: list[str] = []
    for dirpath, dirnames, filenames in os.walk(repo):
        dirnames[:] = sorted(
            d for d in dirnames if d not in SKIP_DIRS and not d.startswith(".") and not d.endswith(".egg-info")
        )
        rel_dir = os.path.relpath(dirpath, repo)
        for name in filenames:
            if name.endswith(".py"):
                rel = name if rel_dir == "." else f"{rel_dir}/{name}"
                found.append(rel.replace(os.sep, "/"))
    return sorted(found)


def read_text(path: Path) -> str | None:
    """A repo file's text as UTF-8; None when it cannot be read or decoded."""
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None


def module_name(repo: Path, rel_path: str) -> str:
    """The dotted name Python gives ``rel_path``: packages are found by their ``__init__.py``."""
    parts = rel_path[: -len(Path(rel_path).suffix)].split("/")
    if parts[-1] == "__init__":
        parts = parts[:-1]
    directory = Path(rel_path).parent
    root_depth = len(directory.parts)
    while root_depth > 0 and (repo / Path(*directory.parts[:root_depth]) / "__init__.py").exists():
        root_depth -= 1
    return ".".join(parts[root_depth:]) or Path(rel_path).stem


def resolve_relative(importer: str, is_package: bool, level: int, module: str | None) -> str:
    """Absolute module named by ``from {'.' * level}{module} import ...`` inside ``importer``."""
    base = importer.split(".") if is_package else importer.split(".")[:-1]
    if level > 1:
        base = base[: len(base) - (level - 1)]
    return ".".join([*base, module] if module else base)


def imported_modules(source: str, importer: str, is_package: bool) -> set[str]:
    """Every module ``source`` imports, with ``from m import n`` also yielding ``m.n``."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return set()
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = (
                resolve_relative(importer, is_package, node.level, node.module)
                if node.level
                else node.module or ""
            )
            found.add(base)
            found.update(f"{base}.{a.name}" for a in node.names)
    return found


def importers(
    repo: Path,
    modules: Iterable[str],
    exclude: Iterable[str] = (),
    limit: int = 40,
    files: Sequence[str] | None = None,
) -> list[str]:
    """Repo files that import any of ``modules`` (nearest first), at most ``limit``.
    ``files``: the repo's Python files when already listed (see :func:`python_files`)."""
    wanted = set(modules)
    if not wanted:
        return []
    leaves = {m.rsplit(".", 1)[-1] for m in wanted}
    pattern = re.compile(r"\b(" + "|".join(sorted(map(re.escape, leaves))) + r")\b")
    skip = set(exclude)
    found: list[str] = []
    for rel in python_files(repo) if files is None else files:
        if rel in skip:
            continue
        imports = _imports_of(repo, rel, pattern)
        if imports is not None and imports & wanted:
            found.append(rel)
    found.sort(key=lambda rel: (rel.count("/"), rel))
    return found[:limit]


_IMPORTS: dict[tuple[str, int, int], frozenset[str]] = {}
"""What each file imports, by path, mtime and size: a warm session reads an unchanged file once."""


def _imports_of(repo: Path, rel: str, pattern: re.Pattern[str]) -> frozenset[str] | None:
    """The modules ``rel`` imports, or None when it cannot import any ``pattern`` names."""
    path = repo / rel
    try:
        st = path.stat()
    except OSError:
        return None
    key = (str(path), st.st_mtime_ns, st.st_size)
    known = _IMPORTS.get(key)
    if known is not None:
        return known
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    if "import" not in text:
        found: frozenset[str] = frozenset()
    elif not pattern.search(text):
        return None  # cheaper than parsing, for a cold check of a large repo
    else:
        found = frozenset(imported_modules(text, module_name(repo, rel), rel.endswith("__init__.py")))
    if len(_IMPORTS) > 50_000:
        _IMPORTS.clear()
    _IMPORTS[key] = found
    return found


def is_test_path(path: str) -> bool:
    """Is this repo-relative path a test module (pytest's and unittest's usual layouts)?"""
    name = path.rsplit("/", 1)[-1]
    return (
        name.startswith("test_")
        or name.endswith("_test.py")
        or name in ("tests.py", "test.py")  # unittest's and Django's single test module
        or name == "conftest.py"
        or "/tests/" in f"/{path}"
        or "/test/" in f"/{path}"
    )
