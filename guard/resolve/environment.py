"""The Environment: what exists, as the patched code would see it — stdlib, repo, installed, declared.

Answers are three-valued. A name resolves (to a module, class, function or value), is *missing*
(its owner is fully known and does not bind it), or is *unknown* (anything we cannot read for
certain). Rules report only what is missing.
"""

from __future__ import annotations

import difflib
import re
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Literal

from guard import persist
from guard.repo import python_files
from guard.resolve import locate
from guard.resolve.summary import Binding, ClassInfo, FunctionInfo, ModuleSummary, summarize

Origin = Literal["repo", "stdlib", "installed", "declared"]
_SKIPPED_BASES = frozenset(
    f"{m}.{n}" for m in ("typing", "typing_extensions") for n in ("Generic", "Protocol")
)


# The top-level module of an absolute ``import x`` / ``from x import y`` statement.
_IMPORT = re.compile(r"^[ \t]*(?:import|from)[ \t]+([A-Za-z_]\w*)", re.MULTILINE)

_ALIAS_CHAIN = threading.local()
"""The class-attribute aliases being followed, per thread (see Environment._binding)."""


@dataclass(frozen=True, eq=False)
class Module:
    name: str


@dataclass(frozen=True, eq=False)
class Klass:
    info: ClassInfo
    qualname: str


@dataclass(frozen=True, eq=False)
class Func:
    info: FunctionInfo
    module: str
    qualname: str
    stub: bool
    owner: Klass | None = None
    through_class: bool = False
    """A method of a metaclass reached through a class (an instance of the metaclass): bound."""


@dataclass(frozen=True, eq=False)
class Value:
    qualname: str


@dataclass(frozen=True, eq=False)
class Missing:
    owner: str
    """What lacks the name, for messages: ``module 'os.path'``, ``class 'date'``."""
    name: str
    known: tuple[str, ...] = ()
    """The names the owner does have (for "did you mean")."""

    def suggestion(self) -> str:
        close = difflib.get_close_matches(self.name, self.known, n=1, cutoff=0.6)
        return f"; did you mean '{close[0]}'?" if close else ""


@dataclass(frozen=True, eq=False)
class Unknown:
    pass


UNKNOWN = Unknown()
Resolved = Module | Klass | Func | Value | Missing | Unknown


@lru_cache(maxsize=2048)
def _summary_from_file(
    path: str, stamp: tuple[int, int], name: str, is_package: bool, stub: bool, target: tuple[int, int], keep: bool
) -> ModuleSummary | None:
    def read() -> ModuleSummary | None:
        text = Path(path).read_text(encoding="utf-8", errors="replace")
        return summarize(text, name, is_package, stub, target)

    if not keep:
        return read()
    return persist.cached("summary", (path, stamp, name, is_package, stub, target), read)


def _file_summary(
    path: Path, name: str, stub: bool, target: tuple[int, int], *, keep: bool = True
) -> ModuleSummary | None:
    """``keep``: a file outside the user's tree (stdlib, typeshed, installed), whose summary later
    processes may reuse (guard.persist) until the file changes."""
    try:
        st = path.stat()
    except OSError:
        return None
    stamp = (st.st_mtime_ns, st.st_size)
    return _summary_from_file(str(path), stamp, name, path.stem == "__init__", stub, target, keep)


@dataclass
class Environment:
    repo: Path
    target: tuple[int, int]
    overlay: Mapping[str, str | None] = field(default_factory=dict)
    """Repo-relative path → text as the patch leaves it (None: deleted by the patch)."""

    def __post_init__(self) -> None:
        self.paths = locate.site_dirs(self.repo)
        self._repo: dict[str, str] | None = None
        self._summaries: dict[tuple[str, bool], ModuleSummary | None] = {}
        self._where: dict[str, Origin | None] = {}
        self._declared: frozenset[str] | None = None
        self._distributions: frozenset[str] | None = None
        self._imports: frozenset[str] | None = None
        self._resolved: dict[str, Resolved] = {}
        self._derived: dict[str, list[Klass]] | None = None

    # -- modules ---------------------------------------------------------------------------

    def repo_modules(self) -> dict[str, str]:
        """Module name → repo-relative path, for the tree as the patch leaves it."""
        if self._repo is None:
            paths = set(python_files(self.repo)) if self.repo.is_dir() else set()
            paths |= {p for p, text in self.overlay.items() if text is not None and p.endswith(".py")}
            paths -= {p for p, text in self.overlay.items() if text is None}
            found: dict[str, str] = {}
            for rel in sorted(paths):
                for name in _importable_names(self.module_name(rel), rel):
                    found.setdefault(name, rel)
            self._repo = found
        return self._repo

    def module_name(self, rel: str) -> str:
        """The dotted name of a repo file, with packages recognised in the patched tree too."""
        parts = rel[: -len(".py")].split("/") if rel.endswith(".py") else rel.split("/")
        if parts[-1] == "__init__":
            parts = parts[:-1]
        directory = rel.split("/")[:-1]
        depth = len(directory)
        while depth > 0 and self._exists("/".join([*directory[:depth], "__init__.py"])):
            depth -= 1
        return ".".join(parts[depth:]) or parts[-1]

    def _exists(self, rel: str) -> bool:
        if rel in self.overlay:
            return self.overlay[rel] is not None
        return (self.repo / rel).is_file()

    def repo_packages(self) -> frozenset[str]:
        names: set[str] = set()
        for mod in self.repo_modules():
            parts = mod.split(".")
            names.update(".".join(parts[:i]) for i in range(1, len(parts)))
        return frozenset(names)

    def declared_imports(self) -> frozenset[str]:
        if self._declared is None:
            self._declared = frozenset(
                name for dist in self.declared_distributions() for name in locate.import_names(dist)
            )
        return self._declared

    def declared_distributions(self) -> frozenset[str]:
        """The distributions the repo declares, as the patch leaves its declarations."""
        if self._distributions is None:
            self._distributions = locate.declared_distributions(self.repo, self.overlay)
        return self._distributions

    def declares_test_tools(self) -> bool:
        """Whether the repo's declarations guard reads include its test runner (pytest, nose,
        hypothesis, tox, nox or a pytest plugin): then they are where its test dependencies live."""
        tools = {"pytest", "nose", "nose2", "hypothesis", "tox", "nox"}
        return any(
            (name := locate.normalize(d)) in tools or name.startswith("pytest-") for d in self.declared_distributions()
        )

    def unmapped_declared(self, top: str | None = None) -> bool:
        """Whether a declared distribution is not installed, so its import name is a guess, and
        the repo never imports a name the guess gives it either. A guess the repo's own code
        confirms (``jsonpointer``, declared and imported by jsonpatch.py, not installed) is a
        mapping: it leaves no doubt about which name that distribution provides.

        With ``top``, only a distribution whose name could be spelled as ``top`` counts: one of its
        names begins as ``top`` does (``PIL`` for pillow, ``Crypto`` for pycryptodome, ``dns`` for
        dnspython). ``json_helpers`` is no import name of black, mkdocs or pylint."""
        installed = locate.installed_top_levels(self.paths)
        unmapped = [d for d in self.declared_distributions() if not (locate.import_names(d) & installed)]
        if not unmapped:
            return False
        imported = self._original_imports()
        unknown = [d for d in unmapped if not (locate.import_names(d) & imported)]
        if top is None:
            return bool(unknown)
        start = top.lower()[:2]
        return any(
            name.lower().startswith(start) for d in unknown for name in {locate.normalize(d), *locate.import_names(d)}
        )

    def _original_imports(self) -> frozenset[str]:
        """Top-level names the repo's files, as they are before the patch, import anywhere."""
        if self._imports is None:
            names: set[str] = set()
            for rel in python_files(self.repo) if self.repo.is_dir() else ():
                try:
                    text = (self.repo / rel).read_text(encoding="utf-8", errors="replace")
                except OSError:
                    continue
                names.update(m[1] for m in _IMPORT.finditer(text))
            self._imports = frozenset(names)
        return self._imports

    def where(self, module: str) -> Origin | None:
        if module not in self._where:
            self._where[module] = self._locate(module)
        return self._where[module]

    def _locate(self, module: str) -> Origin | None:
        in_repo = module in self.repo_modules() or module in self.repo_packages()
        if in_repo and self._shadows_stdlib(module):
            return "repo"
        if locate.is_stdlib(module, self.target):
            return "stdlib"
        if in_repo:
            return "repo"
        if locate.find_installed(module, self.paths) is not None:
            return "installed"
        top = module.split(".")[0]
        if locate.find_installed(top, self.paths) is not None:
            return None  # installed, and we can see it has no such submodule
        if top in locate.installed_top_levels(self.paths):
            return "installed"  # e.g. an editable install behind a custom finder: contents unknown
        if top in self.declared_imports():
            return "declared"
        return None

    def _shadows_stdlib(self, module: str) -> bool:
        """A repo module hides a stdlib one only from the root (or ``src/``), where sys.path points."""
        top = module.split(".")[0]
        return any(
            rel in {f"{top}.py", f"src/{top}.py"} or rel.startswith((f"{top}/", f"src/{top}/"))
            for rel in self.repo_modules().values()
        )

    def known_top_levels(self) -> frozenset[str]:
        """Every top-level module name that exists here: for near-miss suggestions."""
        stdlib = {n.split(".")[0] for n in locate.typeshed_versions() if self.where(n.split(".")[0]) == "stdlib"}
        repo = {m.split(".")[0] for m in self.repo_modules()}
        return frozenset(stdlib | repo | locate.installed_top_levels(self.paths) | self.declared_imports())

    def summary(self, module: str, source: bool = False) -> ModuleSummary | None:
        """What ``module`` binds (for the stdlib: its typeshed stub, or with ``source`` its code)."""
        key = (module, source)
        if key not in self._summaries:
            self._summaries[key] = self._summarize(module, source)
        return self._summaries[key]

    def _summarize(self, module: str, source: bool) -> ModuleSummary | None:
        origin = self.where(module)
        if origin == "repo":
            rel = self.repo_modules().get(module)
            if rel is None:
                return ModuleSummary(module, True, False)  # a namespace directory: submodules only
            text = self.overlay.get(rel)
            if text is None:
                return _file_summary(self.repo / rel, module, False, self.target, keep=False)
            return summarize(text, module, rel.endswith("__init__.py"), False, self.target, shared=True)
        if origin == "stdlib":
            path = locate.stdlib_source(module) if source else locate.stub_path(module)
            return _file_summary(path, module, not source, self.target) if path else None
        if origin == "installed":
            path = locate.find_installed(module, self.paths)
            if path is None:
                return None
            if path.is_dir():
                return ModuleSummary(module, True, False)
            if path.suffix != ".py":
                stub = path.with_name(path.name.split(".")[0] + ".pyi")
                return _file_summary(stub, module, True, self.target) if stub.is_file() else None
            return _file_summary(path, module, False, self.target)
        return None

    # -- names -----------------------------------------------------------------------------

    def resolve(self, dotted: str) -> Resolved:
        """Resolve an absolute dotted name such as ``os.path.join`` or ``datetime.date.now``."""
        if dotted not in self._resolved:
            self._resolved[dotted] = UNKNOWN  # guards against import cycles
            self._resolved[dotted] = self._resolve(dotted)
        return self._resolved[dotted]

    def _resolve(self, dotted: str) -> Resolved:
        head, _, rest = dotted.rpartition(".")
        if not head:
            return Module(dotted) if self.where(dotted) else Missing("the environment", dotted)
        owner = self.resolve(head)
        if isinstance(owner, Module):
            summary = self.summary(owner.name)
            if summary is not None and rest in summary.names:
                # ``from pkg import name`` and ``pkg.name`` see what ``pkg`` binds, even where a
                # submodule has the same name (pyparsing binds ``testing`` to a class).
                return self._module_attribute(owner.name, rest)
        if self.where(dotted):
            return Module(dotted)
        return self.attribute(owner, rest)

    def attribute(self, owner: Resolved, name: str) -> Resolved:
        if isinstance(owner, Module):
            return self._module_attribute(owner.name, name)
        if isinstance(owner, Klass):
            return self.member(owner, name)
        return UNKNOWN

    def _module_attribute(self, module: str, name: str, seen: frozenset[str] = frozenset()) -> Resolved:
        summary = self.summary(module)
        binding = summary.names.get(name) if summary is not None else None
        if binding is not None:
            return self._binding(binding, f"{module}.{name}", module, summary.stub if summary else False)
        if self.where(f"{module}.{name}"):
            return Module(f"{module}.{name}")
        if summary is None or summary.open or name.startswith("__"):
            return UNKNOWN
        if summary.all is not None and name in summary.all:
            return Value(f"{module}.{name}")
        for star in summary.star_imports:
            if star in seen or self.where(star) is None:
                return UNKNOWN
            found = self._module_attribute(star, name, seen | {module})
            if not isinstance(found, Missing):
                return found
        return Missing(f"module '{module}'", name, tuple(self.exports(module)))

    def exports(self, module: str) -> list[str]:
        summary = self.summary(module)
        if summary is None:
            return []
        names = set(summary.names)
        for star in summary.star_imports:
            star_summary = self.summary(star)
            if star_summary is not None:
                names |= set(star_summary.all if star_summary.all is not None else star_summary.names)
        names |= {m.rsplit(".", 1)[-1] for m in self.repo_modules() if m.rpartition(".")[0] == module}
        return sorted(n for n in names if not n.startswith("_"))

    def _binding(self, binding: Binding, qualname: str, module: str, stub: bool, owner: Klass | None = None) -> Resolved:
        if binding.kind == "import" and binding.target:
            if self.where(binding.target):
                return Module(binding.target)
            if binding.target == qualname:
                return UNKNOWN
            imported = self.resolve(binding.target)
            if isinstance(imported, Missing) and self.where(binding.target.split(".")[0]) is None:
                # The module binds the name, from a module not found here (``import tomli as
                # tomllib`` for older Pythons, tomli not installed): whether that import works is
                # the import's question, not a missing attribute of this module.
                return UNKNOWN
            return imported
        if binding.kind == "alias" and binding.target:
            if owner is not None:
                # Class attributes aliasing each other (``a = b`` beside ``b = a``, or ``x = x``
                # reading a global): the chain is followed once, a cycle resolves to UNKNOWN.
                key = (owner.qualname, binding.target)
                chain = _ALIAS_CHAIN.__dict__.setdefault("keys", set())
                if "." in binding.target or key in chain:
                    return UNKNOWN
                chain.add(key)
                try:
                    found = self._lookup(owner, binding.target, set())
                finally:
                    chain.discard(key)
                return found if found is not None else UNKNOWN
            return self.resolve_in(module, binding.target)[1]
        if binding.kind == "class" and binding.cls is not None:
            return Klass(binding.cls, qualname)
        if binding.kind == "function" and binding.function is not None:
            return Func(binding.function, module, qualname, stub, owner)
        return Value(qualname)

    def resolve_in(self, module: str, local: str) -> tuple[str, Resolved]:
        """A dotted name as written inside ``module`` (e.g. a base class): absolute name, resolution."""
        head, _, rest = local.partition(".")
        summary = self.summary(module)
        binding = summary.names.get(head) if summary is not None else None
        if binding is None:
            if summary is not None and (summary.star_imports or summary.open):
                return local, UNKNOWN
            absolute = local if head == "builtins" else f"builtins.{local}"
        elif binding.kind == "import" and binding.target:
            absolute = binding.target + (f".{rest}" if rest else "")
        else:
            absolute = f"{module}.{local}"
        if binding is not None and binding.kind == "import" and self.where(absolute):
            return absolute, Module(absolute)
        return absolute, self.resolve(absolute)

    def stub_leaves_out(self, owner: Module | Klass, name: str) -> bool:
        """Whether ``name``, missing on a stdlib ``owner`` for the target Python, is one typeshed
        leaves out in every Python version and the stdlib's own source binds: an undocumented name
        such as ``typing.EXCLUDED_ATTRIBUTES``; or a private one (``_name``) the stub never binds. A name the stub places in another version (behind
        ``sys.version_info``) stays missing: the target version decides."""
        found = self._stdlib_stub(owner)
        if found is None:
            return False
        stub, module, cls = found
        if _mentions(stub, name):  # a stub that never spells the name binds it in no version
            for minor in range(min(self.target[1], 8), self._newest_minor() + 1):
                summary = _file_summary(stub, module, True, (3, minor))
                if summary is None or _binds(summary, cls, name):
                    return False
        # typeshed leaves private names out by policy, and the stdlib source at hand is one
        # Python's: a private name of another version (threading._make_thread_handle, 3.13,
        # used by dill 0.3.9) cannot be judged from either.
        if name.startswith("_") and not name.startswith("__"):
            return True
        # What the source binds by name; not what it might add at run time (``globals()`` writes
        # are common in the stdlib and would make every name possible).
        source = self.summary(module, source=True)
        return source is not None and _binds(source, cls, name)

    def stub_never_spells(self, owner: Module | Klass, name: str) -> bool:
        """Whether ``owner`` is a stdlib module or class whose typeshed stub spells ``name``
        nowhere — under no Python version and no platform — and whose source does not bind it."""
        found = self._stdlib_stub(owner)
        return found is not None and not _mentions(found[0], name) and not self.stub_leaves_out(owner, name)

    def added_later(self, owner: Module | Klass, name: str, seen: bool = False) -> tuple[int, int] | None:
        """The first Python version after the target whose typeshed stub binds ``name`` on the
        stdlib ``owner`` (behind ``sys.version_info``), if one does: the name is real, only
        newer than the oldest Python the project supports (``concurrent.futures.
        InterpreterPoolExecutor`` for a project that supports 3.9)."""
        if isinstance(owner, Module) and self.where(owner.name) == "stdlib":
            span = locate.typeshed_versions().get(f"{owner.name}.{name}")
            if span is not None and span[0] > self.target:
                return (span[0][0], span[0][1])  # a submodule new in that version
        found = self._stdlib_stub(owner)
        if found is None:
            return None
        stub, module, cls = found
        if not _mentions(stub, name):
            if cls is None and not seen:  # ``collections.abc`` star-imports ``_collections_abc``
                for source in _star_imports(stub):
                    if source != module and (since := self.added_later(Module(source), name, seen=True)):
                        return since
            return None
        for minor in range(self.target[1] + 1, self._newest_minor() + 1):
            summary = _file_summary(stub, module, True, (3, minor))
            if summary is not None and _binds(summary, cls, name):
                return (3, minor)
        return None

    def _stdlib_stub(self, owner: Module | Klass) -> tuple[Path, str, str | None] | None:
        """The typeshed stub of a stdlib ``owner`` (a module, or a class a stub defines), with the
        module's name and the class's (None for a module)."""
        if isinstance(owner, Module):
            module, cls = owner.name, None
        elif owner.info.stub:
            module, cls = owner.info.module, owner.info.name
        else:
            return None
        stub = locate.stub_path(module) if self.where(module) == "stdlib" else None
        return None if stub is None else (stub, module, cls)

    def _newest_minor(self) -> int:
        """The newest Python 3 minor version typeshed's VERSIONS knows."""
        return max((low for low, _ in locate.typeshed_versions().values()), default=self.target)[1]

    # -- classes ---------------------------------------------------------------------------

    def member(self, klass: Klass, name: str) -> Resolved:
        """``name`` on a class or its instances, through its bases (UNKNOWN if any base is)."""
        found = self._lookup(klass, name, set())
        if found is None:
            if name.startswith("__") and name.endswith("__"):
                return UNKNOWN
            return Missing(f"class '{klass.info.name}'", name, tuple(sorted(self.members(klass))))
        return found

    def _lookup(self, klass: Klass, name: str, seen: set[str]) -> Resolved | None:
        """``name`` through the class and its bases, then ``object``, then the metaclasses met on
        the way. ``object`` comes last in every MRO: a mixin without bases (``ThreadingMixIn`` in
        ``ThreadingHTTPServer(ThreadingMixIn, HTTPServer)``) does not end the search there, or
        ``object.__init__`` would hide ``HTTPServer.__init__``."""
        metas: list[Klass] = []
        found = self._walk(klass, name, seen, metas)
        if found is not None:
            return found
        if "builtins.object" not in seen:
            root = self.resolve("builtins.object")
            if isinstance(root, Klass):
                found = self._walk(root, name, seen, metas)
                if found is not None:
                    return found
        for owner in metas:
            if owner.info.metaclass:
                # Attributes of the metaclass are reachable through the class itself.
                meta = self.resolve_in(owner.info.module, owner.info.metaclass)[1]
            else:
                # A protocol's class is typing._ProtocolMeta, an ABCMeta: ``register`` and friends.
                meta = self.resolve("typing._ProtocolMeta")
            if not isinstance(meta, Klass):
                return UNKNOWN
            found = self._lookup(meta, name, seen)
            if isinstance(found, Func) and found.owner is not None:
                return Func(found.info, found.module, found.qualname, found.stub, found.owner, through_class=True)
            if found is not None:
                return found
        return None

    def _walk(self, klass: Klass, name: str, seen: set[str], metas: list[Klass]) -> Resolved | None:
        """``name`` in ``klass`` or its bases, depth first, ``object`` left out; each class with a
        metaclass (or a protocol) noted in ``metas``."""
        if klass.qualname in seen:
            return None  # already searched through another base
        seen.add(klass.qualname)
        binding = klass.info.members.get(name)
        if binding is not None:
            return self._binding(binding, f"{klass.qualname}.{name}", klass.info.module, klass.info.stub, klass)
        if klass.info.open or self._decorator_may_add(klass):
            return UNKNOWN
        protocol = False
        for base in klass.info.bases:
            if base is None:
                return UNKNOWN
            absolute, resolved = self.resolve_in(klass.info.module, base)
            if absolute in _SKIPPED_BASES:
                protocol = protocol or absolute.endswith(".Protocol")
                continue
            if absolute == "builtins.object":
                continue
            if not isinstance(resolved, Klass):
                return UNKNOWN
            found = self._walk(resolved, name, seen, metas)
            if found is not None:
                return found
        if klass.info.metaclass or protocol:
            metas.append(klass)
        return None

    def _decorator_may_add(self, klass: Klass) -> bool:
        """Whether a class decorator of the repo's own may set members on the class: aiofiles'
        ``@delegate_to_executor("readline", ...)`` setattr()s each name it is given. A decorator
        from the stdlib or an installed package (``dataclass``, ``total_ordering``, ``attrs.define``)
        adds none a call could name; one that resolves to nothing may."""
        if klass.info.stub or not klass.info.decorators:
            return False
        for name in klass.info.decorators:
            if name == "?":
                return True
            resolved = self.resolve_in(klass.info.module, name)[1]
            if not isinstance(resolved, Func | Klass):
                return True
            if self.where(resolved.module if isinstance(resolved, Func) else resolved.info.module) == "repo":
                return True
        return False

    def subclasses(self, klass: Klass) -> list[Klass]:
        """The repo's classes (as the patch leaves the tree) deriving from ``klass``, at any depth."""
        if self._derived is None:
            self._derived = self._index_subclasses()
        found: list[Klass] = []
        todo, seen = [klass.qualname], {klass.qualname}
        while todo:
            for sub in self._derived.get(todo.pop(), []):
                if sub.qualname not in seen:
                    seen.add(sub.qualname)
                    found.append(sub)
                    todo.append(sub.qualname)
        return found

    def _index_subclasses(self) -> dict[str, list[Klass]]:
        """Base qualname → the repo's classes that name it as a base (module-level classes)."""
        derived: dict[str, list[Klass]] = {}
        for rel in sorted(set(self.repo_modules().values())):
            module = self.module_name(rel)
            summary = self.summary(module) if self.where(module) == "repo" else None
            for name, binding in (summary.names.items() if summary is not None else ()):
                if binding.kind != "class" or binding.cls is None or binding.cls.module != module:
                    continue
                for base in binding.cls.bases:
                    if base is None:
                        continue
                    resolved = self.resolve_in(module, base)[1]
                    if isinstance(resolved, Klass):
                        derived.setdefault(resolved.qualname, []).append(Klass(binding.cls, f"{module}.{name}"))
        return derived

    def provided_by_subclass(self, klass: Klass, name: str) -> bool:
        """Whether a subclass in the repo has (or may have) ``name``: a method of a mixin or of an
        abstract base may be called on ``self`` and defined only where the class is mixed in."""
        return any(not isinstance(self.member(sub, name), Missing) for sub in self.subclasses(klass))

    def members(self, klass: Klass, seen: set[str] | None = None) -> set[str]:
        seen = seen if seen is not None else set()
        if klass.qualname in seen:
            return set()
        seen.add(klass.qualname)
        names = {n for n in klass.info.members if not n.startswith("_")}
        for base in klass.info.bases:
            if base is not None:
                resolved = self.resolve_in(klass.info.module, base)[1]
                if isinstance(resolved, Klass):
                    names |= self.members(resolved, seen)
        return names


_STAR_IMPORT = re.compile(r"^\s*from\s+([\w.]+)\s+import\s+\*", re.MULTILINE)


def _star_imports(path: Path) -> list[str]:
    """The modules a stub star-imports (absolute names only)."""
    try:
        return _STAR_IMPORT.findall(path.read_text(encoding="utf-8"))
    except OSError:
        return []


def _mentions(path: Path, name: str) -> bool:
    """Whether the file at ``path`` spells ``name`` as a word anywhere. A stub that never does
    binds it under no Python version, which is all a made-up attribute needs to know: summarising
    a large stub (builtins.pyi) once per Python version to learn that took about a second, and a
    hallucinated name is exactly the one that is spelled nowhere."""
    try:
        mtime = path.stat().st_mtime_ns
    except OSError:
        return True  # unknown: let the summaries decide
    return name in _words(str(path), mtime)


@lru_cache(maxsize=256)
def _words(path: str, mtime: int) -> frozenset[str]:
    return frozenset(re.findall(r"\w+", Path(path).read_text(encoding="utf-8", errors="replace")))


def _binds(summary: ModuleSummary, cls: str | None, name: str) -> bool:
    """Whether the module (or its class ``cls``) binds ``name`` itself."""
    if cls is None:
        return name in summary.names
    binding = summary.names.get(cls)
    return binding is not None and binding.cls is not None and name in binding.cls.members


def _importable_names(name: str, rel: str) -> list[str]:
    """Names a repo file is importable as: its package-derived name, and its path from the root
    (and from ``src/``), since test runners and src-layouts put those directories on sys.path."""
    stem = rel[: -len(".py")]
    if stem.endswith("/__init__"):
        stem = stem[: -len("/__init__")]
    names = [name, stem.replace("/", ".")]
    if stem.startswith("src/"):
        names.append(stem[len("src/") :].replace("/", "."))
    return [n for n in names if n and "-" not in n]
