"""unresolved-import: the patch imports a module that exists nowhere the code will run.

A module resolves when it is in the stdlib of the target Python version (typeshed's VERSIONS and
``sys.stdlib_module_names``), in the repo as the patch leaves it (new files count; src-layout
too), installed (found on the site-packages path without importing it), or provided by a
dependency the repo declares (pyproject, setup.cfg, setup.py, requirements files; mapped to import
names from installed metadata, by normalising the distribution name otherwise; in setup.py also
through a module-level list the call names, ``install_requires=requires``, read with ``ast``, never
run), or a top-level package the original tree already imports unconditionally at module level
outside its tests (the repo cannot even import without it: it is part of the working environment,
whatever the declarations say). A name one or two
edits away from a real one (``reqeusts``, ``yamll``, ``clik``) is reported as a near miss: the
typosquat shape, worse than a plain miss. ``from pkg import name`` where ``pkg`` exists but
``name`` does not belongs to ``nonexistent-attribute``; a submodule known only by its type stub
(``_speedups.pyi`` beside an extension's C source) exists; stdlib modules the target Python removed
belong to ``removed-api``. Optional imports are left alone: in a ``try`` whose failure is handled,
in the fallback of an ``except ImportError``, under a version or feature check (also through a
module-level flag such as ``PY_3_14_PLUS = sys.version_info >= (3, 14)``) — but not under ``if
TYPE_CHECKING:``, whose imports must exist for the type checker (typeshed's ``_typeshed`` does); so is
``importlib.import_module``, and so is an import that comes after the file extends the module search
path itself (``sys.path.append("/usr/lib/python3/dist-packages")``, ``site.addsitedir(...)``): it
resolves against a path set at run time, which nothing here can see. An import inside a function of
a module the repo imports optionally elsewhere (in a ``try`` whose handler catches ImportError and
does not re-raise it, or by ``pytest.importorskip``) is an undeclared optional dependency, loaded only when its feature is used.

Example::

    -import requests
    +import reqeusts
"""

from __future__ import annotations

import ast
import posixpath
import re
import sys
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path

import libcst as cst
from libcst.metadata import ParentNodeProvider, PositionProvider

from guard.findings import Confidence, Severity
from guard.repo import is_test_path, python_files
from guard.resolve import Missing, Module, Unknown, locate
from guard.resolve.locate import stdlib_source, stdlib_span, stub_path
from guard.resolve.nodes import METADATA, Resolving
from guard.resolve.removals import removal_for
from guard.rulekit import Example, Rule, RuleContext


def distance(a: str, b: str) -> int:
    """Edit distance with adjacent transpositions (optimal string alignment)."""
    prev2: list[int] = []
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb))
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                cur[j] = min(cur[j], prev2[j - 2] + 1)
        prev2, prev = prev, cur
    return prev[-1]


def _stdlib_nowhere(module: str) -> bool:
    """Is ``module`` a submodule of a stdlib package that typeshed (every CPython version's stubs)
    and this Python's stdlib both lack?"""
    top = module.split(".")[0]
    if "." not in module or (top not in sys.stdlib_module_names and stdlib_span(top) is None):
        return False
    return stub_path(module) is None and stdlib_source(module) is None


def near_miss(name: str, known: frozenset[str]) -> str | None:
    """The real name ``name`` most plausibly mistypes (1 edit for short names, 2 for long ones)."""
    limit = 1 if len(name) <= 5 else 2
    best: tuple[int, str] | None = None
    for candidate in known:
        if candidate == name or abs(len(candidate) - len(name)) > limit or candidate.startswith("_"):
            continue
        d = distance(name.lower(), candidate.lower())
        if d <= limit and (best is None or (d, candidate) < best):
            best = (d, candidate)
    return best[1] if best else None


class UnresolvedImport(Rule):
    """An imported module found in neither the stdlib of the target Python, the repo, the
    installed environment nor the declared dependencies; near misses of real names called out.

    Why: an invented module (``requests_retry``) or a typo of a real one (``reqeusts`` — a name
    a typosquatter may own) fails at import time, or worse, installs someone else's code.
    """

    ID = "unresolved-import"
    MESSAGE = "the imported module does not exist"
    SEVERITY = Severity.ERROR
    CONFIDENCE = Confidence.HIGH
    METADATA_DEPENDENCIES = (PositionProvider, *METADATA)

    VALID = (
        Example(  # a real submodule of an installed package whose __init__ has a __getattr__
            before="import click\n",
            after="import click\nfrom click.testing import CliRunner\nfrom click import __version__\n",
        ),
        Example(before="x = 1\n", after="import json\nimport os.path\nfrom collections import abc\n"),
        Example(  # a test's sibling module, imported by bare name (the test's directory is on the path)
            path="tests/test_sources.py",
            before="def test_a():\n    assert True\n",
            after="import test_source as ts\n\n\ndef test_a():\n    assert ts.X == 1\n",
            files=(("tests/__init__.py", ""), ("tests/test_source.py", "X = 1\n")),
        ),
        Example(  # the script puts the system's packages on the path first
            path="tests/hook_script.py",
            before=None,
            after='import sys\n\nsys.path.append("/usr/lib/python3/dist-packages")\nimport apport_python_hook\n',
        ),
        Example(
            before="x = 1\n",
            after="import requests\n",
            files=(("pyproject.toml", '[project]\nname = "p"\ndependencies = ["requests>=2"]\n'),),
        ),
        Example(
            before="x = 1\n",
            after="import yaml\nimport dateutil\n",
            files=(("requirements.txt", "PyYAML==6.0\npython-dateutil>=2.8\n"),),
        ),
        Example(
            path="src/pkg/mod.py",
            before="x = 1\n",
            after="from pkg.helpers import clean\n",
            files=(("src/pkg/__init__.py", ""), ("src/pkg/helpers.py", "def clean(s):\n    return s\n")),
        ),
        Example(
            before="x = 1\n",
            after="try:\n    import ujson as json\nexcept ImportError:\n    import json\n",
        ),
        Example(
            before="x = 1\n",
            after="import sys\n\nif sys.version_info >= (3, 11):\n    import tomllib\nelse:\n    import tomli as tomllib\n",
        ),
        Example(
            before="x = 1\n",
            after="try:\n    from contextlib import ExitStack\nexcept (ImportError, AttributeError):\n    from contextlib2 import ExitStack\n",
        ),
        Example(
            before="import sys\n",
            after="import sys\n\nPY_3_14_PLUS = sys.version_info[:2] >= (3, 14)\n\nif PY_3_14_PLUS:\n    import annotationlib\n",
        ),
        Example(  # the package registers submodules itself
            path="tests/test_moves.py",
            before="x = 1\n",
            after="from pkg.moves import urllib\n",
            files=(("pkg/__init__.py", "import sys\n\n\ndef __getattr__(name):\n    raise AttributeError(name)\n\n\nsys.modules[__name__ + '.moves'] = sys\n"),),
        ),
        Example(  # a stdlib submodule of other Python versions, under their test
            before="import sys\n",
            after="import sys\n\nif sys.version_info < (3, 12):\n    import distutils.command.build\nif sys.version_info >= (3, 14):\n    import compression.zstd\n",
        ),
        Example(  # a made-up stdlib submodule, in a try that handles its absence
            before="x = 1\n",
            after="try:\n    from importlib.util.helpers import find_spec\nexcept ImportError:\n    find_spec = None\n",
        ),
        Example(
            before="x = 1\n",
            after="from typing import TYPE_CHECKING\n\nif TYPE_CHECKING:\n    from _typeshed import SupportsRead\n",
        ),
        Example(before="x = 1\n", after="import importlib\n\nmod = importlib.import_module('not_a_module')\n"),
        Example(
            path="pkg/a.py",
            before="x = 1\n",
            after="from . import b\nfrom .b import thing\n",
            files=(("pkg/__init__.py", ""), ("pkg/b.py", "thing = 1\n")),
        ),
        Example(
            before="x = 1\n",
            after="import acme_client\n",
            files=(
                ("setup.py", "from setuptools import setup\n\nrequires = ['acme-client>=1']\n\nsetup(name='p', install_requires=requires)\n"),
            ),
        ),
        Example(
            path="pkg/a.py",
            before="x = 1\n",
            after="from pkg._speedups import escape\n",
            files=(("pkg/__init__.py", ""), ("pkg/_speedups.pyi", "def escape(s: str) -> str: ...\n")),
        ),
        Example(
            before="x = 1\n",
            after="from acmeclient.retry import Retry\n",
            files=(("pkg/api.py", "import os\n\nimport acmeclient\n"),),
        ),
        Example(  # an optional dependency, imported when its feature is used; its test skips without it
            before="def at(tz=None):\n    return tz\n",
            after="def at(tz=None):\n    if tz is not None:\n        import acmetz\n\n        tz = acmetz.timezone(tz)\n    return tz\n",
            files=(
                (
                    "tests/test_at.py",
                    "def test_tz():\n    try:\n        import acmetz\n    except ImportError:\n        return\n    assert acmetz\n",
                ),
            ),
        ),
        Example(
            before="def at(tz=None):\n    return tz\n",
            after="def at(tz=None):\n    import acmetz\n\n    return acmetz.timezone(tz)\n",
            files=(("tests/test_at.py", "import pytest\n\nacmetz = pytest.importorskip('acmetz')\n"),),
        ),
        Example(  # the package reaches it under a broad handler with a fallback (platformdirs' jnius)
            path="tests/test_android.py",
            before="def test_folder():\n    assert True\n",
            after="def test_folder():\n    import jnius\n\n    assert jnius.autoclass\n",
            files=(
                ("pkg/android.py", "def folder():\n    try:\n        from jnius import autoclass\n    except Exception:\n        return None\n    return autoclass\n"),
            ),
        ),
    )
    INVALID = (
        Example(  # no such sibling of the test, and a sibling of library code is no module of its own
            path="tests/test_sources.py",
            before="def test_a():\n    assert True\n",
            after="import test_sauce as ts\n\n\ndef test_a():\n    assert ts.X == 1\n",
            files=(("tests/__init__.py", ""), ("tests/test_source.py", "X = 1\n")),
            lines=(1,),
        ),
        Example(
            path="pkg/mod.py",
            before="x = 1\n",
            after="import helpers\n",
            files=(("pkg/__init__.py", ""), ("pkg/helpers.py", "X = 1\n")),
            lines=(1,),
        ),
        Example(  # click (installed here) has a module-level __getattr__; its submodules are files
            before="from click.testing import CliRunner\n",
            after="from click.testing_compat import CliRunner\n",
            lines=(1,),
        ),
        Example(  # a module-level __getattr__ does not make a submodule importable
            path="tests/test_dump.py",
            before="from pkg.recorder import dump\n",
            after="from pkg.recorder_utils import dump\n",
            lines=(1,),
            files=(("pkg/__init__.py", "def __getattr__(name):\n    raise AttributeError(name)\n"),
                   ("pkg/recorder.py", "def dump():\n    pass\n")),
        ),
        Example(  # the handler of a body that imports nothing is no fallback: its import must resolve
            before="import importlib\n\n\ndef load(name):\n    return importlib.import_module(name)\n",
            after="import importlib\n\n\ndef load(name):\n    try:\n        return importlib.import_module(name)\n    except ImportError:\n        from plugin_helpers import fallback\n\n        return fallback(name)\n",
            lines=(8,),
        ),
        Example(  # no Python version has this stdlib submodule: the version test does not make it optional
            before="import sys\n",
            after="import sys\n\nif sys.version_info >= (3, 4):\n    from importlib.util.helpers import find_spec\n",
            lines=(4,),
        ),
        Example(  # under a duck-typing test: random.compat exists in no Python version
            before="def pick(rng):\n    return rng.random()\n",
            after="def pick(rng):\n    if not hasattr(rng, 'random'):\n        from random.compat import Random\n\n        rng = Random(rng)\n    return rng.random()\n",
            lines=(3,),
        ),
        Example(  # through a name a plain module imports: it is not a package
            path="pkg/setters.py",
            before="def convert(c, v):\n    return c(v)\n",
            after="def convert(c, v):\n    from ._make.types import Converter\n\n    return c(v)\n",
            lines=(2,),
            files=(("pkg/__init__.py", ""), ("pkg/_make.py", "import types\n\n\nclass Converter:\n    pass\n")),
        ),
        Example(before="x = 1\n", after="x = 1\nimport requests_retry_session\n", lines=(2,)),
        Example(  # the type checker's environment: the import must resolve there too
            before="x = 1\n",
            after="TYPE_CHECKING = False\nif TYPE_CHECKING:\n    from collections.abc.types import Generator\n",
            lines=(3,),
        ),
        Example(  # the path is changed only after the import
            before="x = 1\n",
            after='import sys\nimport requests_retry_session\n\nsys.path.insert(0, "vendor")\n',
            lines=(2,),
        ),
        Example(
            before="import click\n",
            after="import click\nimport clik\n",
            lines=(2,),
        ),
        Example(
            before="x = 1\n",
            after="import reqeusts\n",
            lines=(1,),
            files=(("pyproject.toml", '[project]\nname = "p"\ndependencies = ["requests>=2"]\n'),),
        ),
        Example(
            path="pkg/a.py",
            before="x = 1\n",
            after="from .utils import clean_text\n",
            lines=(1,),
            files=(("pkg/__init__.py", ""),),
        ),
        Example(
            before="from pkg import core\n",
            after="from pkg import core\nfrom pkg.clock import monotonic\n",
            lines=(2,),
            files=(("pkg/__init__.py", ""), ("pkg/core.py", "")),
        ),
        Example(before="x = 1\n", after="import tomllib\n", lines=(1,)),
        Example(
            before="x = 1\n",
            after="DEBUG = True\n\nif DEBUG:\n    import requests_retry_session\n",
            lines=(4,),
        ),
        Example(
            before="x = 1\n",
            after="try:\n    import json\nexcept ValueError:\n    import requests_retry_session\n",
            lines=(4,),
        ),
        Example(
            before="x = 1\n",
            after="import acmeclient\n",
            lines=(1,),
            files=(
                ("tests/test_api.py", "import acmeclient\n"),
                ("pkg/compat.py", "try:\n    import acmeclient\nexcept ImportError:\n    acmeclient = None\n"),
                ("pkg/lazy.py", "def f():\n    import acmeclient\n"),
            ),
        ),
        Example(  # the other import's handler re-raises: the module is required there too
            before="def at(tz=None):\n    return tz\n",
            after="def at(tz=None):\n    import acmetz\n\n    return acmetz.timezone(tz)\n",
            lines=(2,),
            files=(("pkg/lazy.py", "def f():\n    try:\n        import acmetz\n    except Exception:\n        log()\n        raise\n"),),
        ),
        Example(  # imported in a function, but nothing in the repo treats it as optional
            before="def at(tz=None):\n    return tz\n",
            after="def at(tz=None):\n    if tz is not None:\n        import acmetz\n\n        tz = acmetz.timezone(tz)\n    return tz\n",
            lines=(3,),
            files=(("pkg/lazy.py", "def f():\n    import acmetz\n"),),
        ),
    )

    def __init__(self, context: RuleContext) -> None:
        super().__init__(context)
        self.r = Resolving(self)

    def visit_Import(self, node: cst.Import) -> None:
        if not self.r.on_changed_line(node):
            return
        for alias in node.names:
            self._check(alias, _name(alias.name), node)

    def visit_ImportFrom(self, node: cst.ImportFrom) -> None:
        if not self.r.on_changed_line(node):
            return
        written = "." * len(node.relative) + (_name(node.module) if node.module else "")
        module = self.r.absolute(written)
        if module:
            self._check(node, module, node)

    def _check(self, at: cst.CSTNode, module: str, statement: cst.CSTNode) -> None:
        env = self.r.env
        target = self.context.project.target_version
        if env.where(module) is not None or removal_for(module, target):
            return
        if self.r.guarded(statement, type_checking=False, raised=ImportError) and not (
            # A stdlib package's submodule no Python version has is missing whatever a version or
            # feature test says (six's `if PY34: from importlib.util.utils import ...`); only a
            # handler that catches the ImportError makes it optional.
            _stdlib_nowhere(module)
            and not self.r.guarded(statement, type_checking=False, raised=ImportError, tests=False)
        ):
            return
        extended = self._path_extended_at()
        if extended is not None and self.get_metadata(PositionProvider, statement).start.line > extended:
            return  # the file put something on sys.path first: the import looks there
        parts = module.split(".")
        known = next((".".join(parts[:i]) for i in range(len(parts) - 1, 0, -1) if env.where(".".join(parts[:i]))), None)
        if known is not None:
            self._missing_submodule(at, module, known)
            return
        span = stdlib_span(module)
        if span is not None:
            low, high = span
            when = f"added in Python {low[0]}.{low[1]}" if target < low else f"removed after Python {high[0]}.{high[1]}" if high else "not available"
            self.report(at, f"'{module}' is a stdlib module {when}; the project targets Python {target[0]}.{target[1]}")
            return
        top = parts[0]
        if self._in_working_environment(top) or (self.context.is_test_file and self._sibling(top)):
            return
        if self._lazy(statement) and self._optional_elsewhere(top):
            return  # an optional dependency, imported only when the feature needing it is used
        close = near_miss(top, env.known_top_levels())
        if close is not None:
            self.report(
                at,
                f"no module named '{top}': a near miss of '{close}' ({env.where(close)}); a typo, or a typosquatted package",
                confidence=Confidence.HIGH,
            )
            return
        # Tests may use dependencies declared where guard does not read (tox.ini, noxfile, CI): in a
        # repo whose declarations guard reads leave out its test runner, any uninstalled declared
        # distribution leaves doubt about a test's import; elsewhere only one that could be ``top``.
        hidden = self.context.is_test_file and not env.declares_test_tools()
        guessed = env.unmapped_declared(None if hidden else top)
        self.report(
            at,
            f"no module named '{top}' in the stdlib, the repo, the installed environment or the declared dependencies",
            severity=Severity.WARNING if guessed else Severity.ERROR,
            confidence=Confidence.LOW if guessed else Confidence.HIGH,
        )

    def _path_extended_at(self) -> int | None:
        """The first line where the file changes the module search path (None when it never does)."""
        after = self.context.after
        if after is None or after.tree is None:
            return None
        tree = after.tree
        return self.context.project.memo(f"unresolved-import.sys-path:{self.context.path}", lambda: _extends_path(tree))

    def _in_working_environment(self, top: str) -> bool:
        """Is ``top`` a package the repo depends on, by a declaration the environment's reading misses
        (a setup.py list passed by name) or by its own unconditional imports before the patch? Its
        contents are then unknown here (it is not installed), as for any declared dependency."""
        project = self.context.project
        patched = project.files.get("setup.py")
        texts = [_read(project.repo / "setup.py")]
        if patched is not None and patched.after is not None:
            texts.append(patched.after.text)  # a requirement the patch declares counts too
        declared = project.memo("unresolved-import.setup-py", lambda: _setup_py_imports(texts))
        if top in declared:
            return True
        originals = {
            (c.file.old_path or path): (c.before.text if c.before is not None else None)
            for path, c in project.files.items()
        }
        originals.update((path, None) for path in project.files if path not in originals)
        return project.memo(
            f"unresolved-import.imported-before:{top}", lambda: _imported_before(project.repo, top, originals)
        )

    def _sibling(self, top: str) -> bool:
        """Is ``top`` a module beside this file (``tests/test_source.py`` for ``import test_source``
        in ``tests/test_sources.py``), as the patch leaves it? A test file run as a script, or
        collected by pytest from a directory that is not a package, has its own directory on the
        module search path (dill's tests import their sibling modules by bare name)."""
        project = self.context.project
        directory = posixpath.dirname(self.context.path)
        for rel in (posixpath.join(directory, f"{top}.py"), posixpath.join(directory, top, "__init__.py")):
            changed = project.files.get(rel)
            if changed is not None:
                if changed.after is not None:
                    return True
            elif (project.repo / rel).is_file():
                return True
        return False

    def _lazy(self, statement: cst.CSTNode) -> bool:
        """Is the import inside a function body: run only when the function is called?"""
        current: cst.CSTNode | None = statement
        while current is not None:
            current = self.get_metadata(ParentNodeProvider, current, None)
            if isinstance(current, cst.FunctionDef):
                return True
        return False

    def _optional_elsewhere(self, top: str) -> bool:
        """Does the repo as the patch leaves it import ``top`` optionally somewhere: in a ``try``
        handling ImportError / ModuleNotFoundError, or by ``pytest.importorskip``? The project then
        knows the module as an optional dependency it does not declare (schedule 1.2.0's pytz:
        imported in ``Job.at`` when a timezone is given, its test skipped when pytz is missing)."""
        project = self.context.project
        texts = {path: (c.after.text if c.after is not None else None) for path, c in project.files.items()}
        gone = {c.file.old_path for c in project.files.values() if c.file.old_path}
        return project.memo(
            f"unresolved-import.optional:{top}", lambda: _imported_optionally(project.repo, top, texts, gone)
        )

    def _missing_submodule(self, at: cst.CSTNode, module: str, known: str) -> None:
        origin = self.r.env.where(known)
        if origin == "declared":
            return  # declared but not installed: its contents are unknown
        missing = module[len(known) + 1 :].split(".")[0]
        if origin == "repo" and self._has_stub(known, missing):
            return  # known by its stub alone: an extension module, built from C or Cython
        found = self.r.env.attribute(Module(known), missing)
        plain = origin == "repo" and not self.r.env.repo_modules().get(known, "").endswith("__init__.py")
        if not isinstance(found, Missing) and plain:
            # A repo module that is not a package has no submodules: importing through one of its
            # names (``from ._make.types import X`` where _make.py imports types) fails.
            self.report(at, f"'{known}' is a module, not a package: it has no submodule '{missing}'")
            return
        if isinstance(found, Unknown) and origin == "repo" and not plain and not self._registers_modules(known):
            # A module-level __getattr__ (or a star import) leaves the attribute unknown, but the
            # import system looks for a submodule in the package's directory, never through it.
            self.report(at, f"module '{known}' has no submodule '{missing}'")
            return
        if (isinstance(found, Unknown) and origin == "installed" and isinstance(at, cst.ImportFrom)
                and module.count(".") > known.count(".") and self._no_installed_submodule(known, missing)):
            # click 8.2+ has a module-level __getattr__ (for __version__); it answers
            # ``from click import x``, but ``from click.testing_compat import y`` needs a file.
            self.report(at, f"module '{known}' has no submodule '{missing}'")
            return
        if not isinstance(found, Missing):
            return  # an attribute, not a module: ``import`` fails, but often it is a re-export
        self.report(at, f"module '{known}' has no submodule '{missing}'{found.suggestion()}")

    def _no_installed_submodule(self, package: str, name: str) -> bool:
        """An installed regular package (a directory with ``__init__.py``) holds no file or
        directory for submodule ``name``, and none of its modules registers modules itself."""
        init = locate.find_installed(package, self.r.env.paths)
        if init is None or init.name != "__init__.py":
            return False
        if locate.find_installed(f"{package}.{name}", self.r.env.paths) is not None:
            return False
        directory = init.parent
        if any(directory.glob(f"{name}.*")) or (directory / name).exists():
            return False
        return not _installed_registers_modules(directory)

    def _registers_modules(self, package: str) -> bool:
        """Does a module of the repo package register modules itself (``sys.modules[...] = ``, an
        import hook on ``sys.meta_path``: toolz's ``tlz`` does in ``_build_tlz.py``), so a
        submodule may exist without a file?"""
        init = self.r.env.repo_modules().get(package, "")
        directory = init[: -len("__init__.py")]
        project = self.context.project

        def registers() -> bool:
            # A test that fakes a module (``sys.modules["requests"] = None``) registers nothing
            # the package's own imports could find.
            for rel in {r for r in self.r.env.repo_modules().values() if r.startswith(directory) and not is_test_path(r)}:
                changed = project.files.get(rel)
                text = changed.after.text if changed is not None and changed.after is not None else _read(project.repo / rel)
                if text is None or _REGISTERS.search(text):
                    return True
            return False

        return project.memo(f"unresolved-import.registers-modules:{package}", registers)


    def _has_stub(self, package: str, name: str) -> bool:
        """Does the repo package ``package`` hold a type stub (``name.pyi``, ``name/__init__.pyi``)
        for ``name``, as the patch leaves the tree?"""
        init = self.r.env.repo_modules().get(package, "")
        if not init.endswith("__init__.py"):
            return False
        directory = init[: -len("__init__.py")]
        project = self.context.project
        for rel in (f"{directory}{name}.pyi", f"{directory}{name}/__init__.pyi"):
            changed = project.files.get(rel)
            if changed is not None:
                if changed.after is not None:
                    return True
            elif (project.repo / rel).is_file() and not any(c.file.old_path == rel for c in project.files.values()):
                return True
        return False


_PATH_METHODS = frozenset({"append", "insert", "extend", "__setitem__"})


def _extends_path(tree: ast.Module) -> int | None:
    """The first line of a ``sys.path.append/insert/extend(...)``, an assignment to ``sys.path`` (or
    an item or slice of it) or a ``site.addsitedir(...)`` in ``tree``; None when there is none."""
    lines = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            owner = ast.unparse(node.func.value)
            if (owner == "sys.path" and node.func.attr in _PATH_METHODS) or (
                owner == "site" and node.func.attr == "addsitedir"
            ):
                lines.append(node.lineno)
        elif isinstance(node, ast.Assign | ast.AugAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for t in targets:
                base = t.value if isinstance(t, ast.Subscript) else t
                if ast.unparse(base) == "sys.path":
                    lines.append(node.lineno)
    return min(lines, default=None)


def _setup_py_imports(texts: Iterable[str | None]) -> frozenset[str]:
    """Import names of the requirements setup.py passes to ``setup()`` in any of ``texts`` (its
    original and patched versions), following module-level names (``requires = [...];
    setup(install_requires=requires)``). Read with ``ast``; never executed."""
    return frozenset(name for text in texts if text for name in _setup_py_text_imports(text))


def _setup_py_text_imports(text: str) -> frozenset[str]:
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError):
        return frozenset()
    assigned: dict[str, list[ast.expr]] = {}
    for node in tree.body:
        if isinstance(node, ast.Assign):
            for t in node.targets:
                if isinstance(t, ast.Name):
                    assigned.setdefault(t.id, []).append(node.value)
        elif isinstance(node, ast.AnnAssign | ast.AugAssign) and isinstance(node.target, ast.Name) and node.value:
            assigned.setdefault(node.target.id, []).append(node.value)
    keys = {"install_requires", "extras_require", "tests_require", "setup_requires"}
    specs: list[str] = []
    for call in ast.walk(tree):
        if not isinstance(call, ast.Call):
            continue
        todo: list[ast.expr | None] = [kw.value for kw in call.keywords if kw.arg in keys]
        seen: set[str] = set()
        while todo:
            sub = todo.pop()
            if isinstance(sub, ast.Constant) and isinstance(sub.value, str):
                specs.append(sub.value)
            elif isinstance(sub, ast.Name) and sub.id in assigned and sub.id not in seen:
                seen.add(sub.id)
                todo.extend(assigned[sub.id])
            elif isinstance(sub, ast.Dict):
                todo.extend(sub.values)  # extras_require: the keys name extras, not distributions
            elif isinstance(sub, ast.List | ast.Tuple | ast.Set | ast.BinOp | ast.Starred):
                todo.extend(child for child in ast.iter_child_nodes(sub) if isinstance(child, ast.expr))
    names = {locate.requirement_name(s) for s in specs}
    return frozenset(i for n in names if n for i in locate.import_names(n))


_IMPORT_LINE = r"^(?:import|from)[ \t]+{}\b"


def _imported_before(repo: Path, top: str, originals: dict[str, str | None]) -> bool:
    """Does a module of the original tree, outside its tests, import ``top`` (or a submodule of it)
    at module level, unconditionally (not under ``if``/``try``)? ``originals``: the patch's files,
    by their old path, with their text before the patch (None: the file is new)."""
    pattern = re.compile(_IMPORT_LINE.format(re.escape(top)), re.MULTILINE)
    paths = [p for p in python_files(repo) if p not in originals] if repo.is_dir() else []
    for rel in [*paths, *originals]:
        if is_test_path(rel) or rel == "setup.py":
            continue
        text = originals[rel] if rel in originals else _read(repo / rel)
        if text and pattern.search(text) and top in _module_level_imports(text):
            return True
    return False


def _imported_optionally(repo: Path, top: str, patched: dict[str, str | None], gone: set[str]) -> bool:
    """Does any module of the tree (``patched``: the patch's files as it leaves them; ``gone``: old
    paths it renamed) import ``top`` in a ``try`` that handles ImportError, or skip on its absence
    with ``importorskip("top")``?"""
    word = re.escape(top)
    pattern = re.compile(rf"^[ \t]*(?:import|from)[ \t]+{word}\b|importorskip\(\s*['\"]{word}\b", re.MULTILINE)
    paths = [p for p in python_files(repo) if p not in patched and p not in gone] if repo.is_dir() else []
    for rel in [*paths, *patched]:
        text = patched[rel] if rel in patched else _read(repo / rel)
        if text and pattern.search(text) and _optional_import_of(text, top):
            return True
    return False


def _optional_import_of(text: str, top: str) -> bool:
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError):
        return False
    for node in ast.walk(tree):
        if isinstance(node, ast.Try) and any(_handles_import_error(h) for h in node.handlers):
            if any(top in _imported_tops(sub) for stmt in node.body for sub in ast.walk(stmt)):
                return True
        elif isinstance(node, ast.Call) and node.args:
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
            first = node.args[0]
            if (
                name == "importorskip"
                and isinstance(first, ast.Constant)
                and isinstance(first.value, str)
                and first.value.split(".")[0] == top
            ):
                return True
    return False


_CATCHES_IMPORT_ERROR = frozenset({"ImportError", "ModuleNotFoundError", "Exception", "BaseException"})


def _handles_import_error(handler: ast.ExceptHandler) -> bool:
    """Does the handler catch an ImportError (by name, a base of it, or bare) and not re-raise it?"""
    caught = handler.type is None or any(
        isinstance(n, ast.Name) and n.id in _CATCHES_IMPORT_ERROR for n in ast.walk(handler.type)
    )
    return caught and not (handler.body and isinstance(handler.body[-1], ast.Raise))


def _imported_tops(node: ast.AST) -> frozenset[str]:
    if isinstance(node, ast.Import):
        return frozenset(alias.name.split(".")[0] for alias in node.names)
    if isinstance(node, ast.ImportFrom) and not node.level and node.module:
        return frozenset({node.module.split(".")[0]})
    return frozenset()


_REGISTERS = re.compile(
    r"sys\.modules\s*\[[^\]]*\]\s*=(?!=)|sys\.modules\.(?:setdefault|update)\(|meta_path\.(?:append|insert|extend)\("
    r"|meta_path\s*(?:\+)?=(?!=)"
)
"""Code that puts modules in place itself (``sys.modules[name] = module``, an import hook on
``sys.meta_path``), so that a submodule may exist without a file; reading ``sys.modules[...]`` is
not that."""


@lru_cache(maxsize=64)
def _installed_registers_modules(directory: Path) -> bool:
    """Does a module of the installed package in ``directory`` (its tests aside) register modules
    itself (:data:`_REGISTERS`)? Read once per package: every import of it in every check asks.
    Unreadable counts as yes (a submodule may then exist without a file)."""
    try:
        sources = [p for p in directory.rglob("*.py") if not is_test_path(str(p.relative_to(directory)))][:400]
    except OSError:
        return True
    return any(_REGISTERS.search(_read(p) or "") for p in sources)


def _read(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None


def _module_level_imports(text: str) -> frozenset[str]:
    """Top-level packages a module imports unconditionally at module level (absolute imports only)."""
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError):
        return frozenset()
    names: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
            names.add(node.module.split(".")[0])
    return frozenset(names)


def _name(node: cst.BaseExpression) -> str:
    if isinstance(node, cst.Name):
        return node.value
    if isinstance(node, cst.Attribute):
        return f"{_name(node.value)}.{node.attr.value}"
    return ""
