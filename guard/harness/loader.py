"""Old and new versions of the touched modules, side by side in one interpreter.

A meta-path finder serves the patched (or the original) source for touched modules; the rest
of the repo is imported from disk as usual and shared by both worlds, so values built by
untouched code compare equal across them. Each world keeps its own module objects, and
``enter`` puts one world's touched modules into ``sys.modules`` before a call, so absolute,
relative and lazy imports all resolve inside that world.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import importlib.util
import os
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType


@dataclass(frozen=True)
class Touched:
    name: str
    filename: str
    before: str | None
    after: str | None
    is_pkg: bool


@dataclass
class World:
    label: str
    sources: dict[str, tuple[str | None, str, bool]]
    modules: dict[str, ModuleType] = field(default_factory=dict)
    errors: dict[str, BaseException] = field(default_factory=dict)


def module_name(repo: Path, rel: str, touched_paths: set[str]) -> tuple[str, Path]:
    """The dotted name of the file at ``rel`` and the directory it is importable from."""
    parts = rel.split("/")

    def is_package(depth: int) -> bool:
        init = "/".join([*parts[:depth], "__init__.py"])
        return init in touched_paths or (repo / init).is_file()

    depth = len(parts) - 1
    while depth > 0 and is_package(depth):
        depth -= 1
    names = [*parts[depth:-1], parts[-1].removesuffix(".py")]
    if names[-1] == "__init__":
        names.pop()
    return ".".join(names), repo.joinpath(*parts[:depth])


class _SourceLoader(importlib.abc.Loader):
    def __init__(self, source: str, filename: str) -> None:
        self.source = source
        self.filename = filename

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> None:
        return None

    def exec_module(self, module: ModuleType) -> None:
        code = compile(self.source, self.filename, "exec", dont_inherit=True)
        exec(code, module.__dict__)


class _Finder(importlib.abc.MetaPathFinder):
    def __init__(self) -> None:
        self.active: World | None = None

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        if self.active is None or fullname not in self.active.sources:
            return None
        source, filename, is_pkg = self.active.sources[fullname]
        if source is None:
            raise ModuleNotFoundError(f"No module named {fullname!r}", name=fullname)
        return importlib.util.spec_from_file_location(
            fullname, filename, loader=_SourceLoader(source, filename),
            submodule_search_locations=[os.path.dirname(filename)] if is_pkg else None,
        )


class Worlds:
    def __init__(self, touched: Sequence[Touched]) -> None:
        self.names = [t.name for t in touched]
        self.old = World("old", {t.name: (t.before, t.filename, t.is_pkg) for t in touched})
        self.new = World("new", {t.name: (t.after, t.filename, t.is_pkg) for t in touched})
        self._finder = _Finder()
        sys.meta_path.insert(0, self._finder)

    def load(self, targets: Sequence[str]) -> None:
        """Import ``targets`` in each world; new first, so shared untouched modules bind it."""
        for world in (self.new, self.old):
            for name in self.names:
                sys.modules.pop(name, None)
            self._finder.active = world
            for name in targets:
                if world.sources[name][0] is None:
                    continue
                try:
                    importlib.import_module(name)
                except BaseException as exc:  # untrusted module code: anything can escape
                    world.errors[name] = exc
            world.modules = {n: sys.modules[n] for n in self.names if n in sys.modules}
        self.enter(self.new)

    def enter(self, world: World) -> None:
        self._finder.active = world
        _install(world.modules, self.names)


def _install(modules: Mapping[str, ModuleType], names: Sequence[str]) -> None:
    for name in names:
        module = modules.get(name)
        if module is None:
            sys.modules.pop(name, None)
            continue
        sys.modules[name] = module
        parent, _, child = name.rpartition(".")
        if parent in sys.modules:
            setattr(sys.modules[parent], child, module)
