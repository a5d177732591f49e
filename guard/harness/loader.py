"""Old and new versions of the touched modules, side by side in one interpreter.

A meta-path finder serves the patched (or the original) source for touched modules; the rest
of the repo is imported from disk as usual and shared by both worlds, so values built by
untouched code compare equal across them. Each world keeps its own module objects, and
``enter`` puts one world's touched modules into ``sys.modules`` before a call, so absolute,
relative and lazy imports all resolve inside that world.
"""

from __future__ import annotations

import contextlib
import importlib
import importlib.abc
import importlib.machinery
import importlib.util
import inspect
import linecache
import os
import sys
from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractContextManager
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
    bindings: dict[str, object] = field(default_factory=dict)
    """What a touched submodule's name is bound to in its parent package, in this world: the
    submodule itself, as the import system binds it, or what the package's own code rebound the
    name to (``from .common import pyparsing_common as common``)."""


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
        if source is None and is_pkg and _holds_source(self.active, fullname):
            # A package the patch adds around a module it moved in (distro.py moved to
            # src/distro/distro.py): the old module imports under its new name, inside an empty
            # package, so the old version of its functions is there to compare with.
            spec = importlib.machinery.ModuleSpec(fullname, None, is_package=True)
            spec.submodule_search_locations = [os.path.dirname(filename)]
            return spec
        if source is None:
            raise ModuleNotFoundError(f"No module named {fullname!r}", name=fullname)
        return importlib.util.spec_from_file_location(
            fullname, filename, loader=_SourceLoader(source, filename),
            submodule_search_locations=[os.path.dirname(filename)] if is_pkg else None,
        )


def _holds_source(world: World, package: str) -> bool:
    """Whether ``world`` has the source of a module inside ``package`` (at any depth)."""
    prefix = package + "."
    return any(name.startswith(prefix) and entry[0] is not None for name, entry in world.sources.items())


class Worlds:
    def __init__(self, touched: Sequence[Touched]) -> None:
        self.names = [t.name for t in touched]
        self.tops = frozenset(n.split(".")[0] for n in self.names)
        """The top-level packages of the touched modules: the repo's own."""
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
            _show_sources(world)
            shared = _shared_bindings(self.names, self.new.bindings) if world is self.old else {}
            _import_all(world, targets)
            world.modules = {n: sys.modules[n] for n in self.names if n in sys.modules}
            for (parent, child), value in shared.items():
                setattr(parent, child, value)  # importing the old submodule rebound it
            world.bindings = _bindings(self.names, world.modules, shared, self.new)
        self.enter(self.new)

    def load_tests(self, tests: Sequence[str],
                   bounded: Callable[[], AbstractContextManager[object]]) -> None:
        """Import the test modules ``tests`` (touched names) in each world, after :meth:`load`,
        each world's imports inside ``bounded()`` (a time limit that ends that block only)."""
        for world in (self.new, self.old):
            self.enter(world)
            self.rebind_shared(world)
            for name in tests:
                sys.modules.pop(name, None)
            with bounded():
                _import_all(world, tests, stop_on="CallTimeout")  # the block's time is up
            world.modules.update({n: sys.modules[n] for n in tests if n in sys.modules})
        self.rebind_shared(self.new)
        self.enter(self.new)

    def rebind_shared(self, world: World) -> None:
        """Point the functions and classes that untouched modules of the repo bound from touched
        ones (a package's ``__init__`` re-exporting ``from .core import parse``) at ``world``'s
        versions, so that code importing them from there (a test's ``from pkg import parse``)
        gets that world's. Only the test runs use this; the property search calls its subjects
        directly."""
        other = self.new if world is self.old else self.old
        index: dict[int, tuple[str, str]] = {}
        for name, module in other.modules.items():
            for attr, value in vars(module).items():
                if isinstance(value, type) or inspect.isfunction(value):
                    index.setdefault(id(value), (name, attr))
        for name, module in list(sys.modules.items()):
            if name in self.old.sources or name.split(".")[0] not in self.tops or module is None:
                continue
            for attr, value in list(vars(module).items()):
                hit = index.get(id(value))
                if hit is None or hit[0] not in world.modules:
                    continue
                counterpart = getattr(world.modules[hit[0]], hit[1], _MISSING)
                if counterpart is not _MISSING:
                    with contextlib.suppress(Exception):
                        setattr(module, attr, counterpart)

    def enter(self, world: World) -> None:
        self._finder.active = world
        _show_sources(world)
        _install(world, self.names)


def _show_sources(world: World) -> None:
    """Make ``linecache`` (so ``inspect.getsource``, tracebacks) read each touched file as ``world``
    has it: both worlds' modules carry the repo file's name, and the disk holds the old version
    only. Code that reads its own source at import (typeguard's ``@typechecked`` re-compiles the
    function from it) got the old text in the new world."""
    for source, filename, _ in world.sources.values():
        if source is None:
            linecache.cache.pop(filename, None)
        else:  # no mtime: linecache.checkcache leaves the entry alone
            linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)


def _import_all(world: World, names: Sequence[str], stop_on: str | None = None) -> None:
    """Import ``names`` (those ``world`` has a source for), recording each failure in the world;
    an exception of the class named ``stop_on`` is recorded and re-raised, ending the imports."""
    for name in names:
        if world.sources[name][0] is None:
            continue
        try:
            importlib.import_module(name)
        except BaseException as exc:  # untrusted module code: anything can escape
            world.errors[name] = exc
            if type(exc).__name__ == stop_on:
                raise


_MISSING = object()


def _shared_bindings(names: Sequence[str], new: Mapping[str, object]
                     ) -> dict[tuple[ModuleType, str], object]:
    """The bindings the package code made of touched submodules' names in parent packages both
    worlds share (untouched ones), as the new world left them: importing the old submodule
    makes the import system rebind them to it, which the package's own code would have undone."""
    found: dict[tuple[ModuleType, str], object] = {}
    for name in names:
        parent, _, child = name.rpartition(".")
        if parent and parent not in names and parent in sys.modules and name in new:
            found[(sys.modules[parent], child)] = new[name]
    return found


def _bindings(names: Sequence[str], modules: Mapping[str, ModuleType],
              shared: Mapping[tuple[ModuleType, str], object], new: World) -> dict[str, object]:
    """Each touched submodule's binding in its parent package, in the world of ``modules``."""
    found: dict[str, object] = {}
    for name in names:
        parent, _, child = name.rpartition(".")
        package = modules.get(parent) or sys.modules.get(parent)
        if not parent or package is None:
            continue
        value = getattr(package, child, _MISSING)
        if (package, child) in shared and name in modules and name in new.modules:
            value = _counterpart(value, new.modules[name], modules[name])
        if value is not _MISSING:
            found[name] = value
    return found


def _counterpart(value: object, new_module: ModuleType, module: ModuleType) -> object:
    """``value`` as bound by a shared package from the new submodule, in the other world: the
    other submodule itself, or its attribute of the same name."""
    if value is new_module:
        return module
    for attr, candidate in vars(new_module).items():
        if candidate is value:
            return getattr(module, attr, value)
    return value


def _install(world: World, names: Sequence[str]) -> None:
    for name in names:
        module = world.modules.get(name)
        if module is None:
            sys.modules.pop(name, None)
            continue
        sys.modules[name] = module
    for name in names:
        parent, _, child = name.rpartition(".")
        package = world.modules.get(parent) or sys.modules.get(parent)
        if name in world.modules and package is not None:
            setattr(package, child, world.bindings.get(name, world.modules[name]))
