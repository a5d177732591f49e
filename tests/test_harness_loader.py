"""The loader's old and new worlds: attribute lookup on a package behaves as after a normal
import, even where the package rebinds a touched submodule's name."""

from __future__ import annotations

import shutil
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from guard.checks.properties import ChangedFunction, ModuleVersions, run_properties
from guard.harness.loader import Touched, Worlds

INIT = "from .common import helpers as common\nfrom . import plain\n"
COMMON = "class helpers:\n    real = {value!r}\n"
PLAIN = "VALUE = {value!r}\n"


@pytest.fixture
def repo() -> Iterator[Path]:
    # Not tmp_path: pytest's base dir is private to its user, and the sandbox may drop to nobody.
    root = Path(tempfile.mkdtemp(prefix="guard-loader-"))
    root.chmod(0o755)
    yield root
    shutil.rmtree(root, ignore_errors=True)


def write(path: Path, text: str) -> None:
    path.parent.mkdir(mode=0o755, parents=True, exist_ok=True)
    path.write_text(text)
    path.chmod(0o644)


@pytest.fixture
def isolated() -> Iterator[None]:
    """Leave sys.modules, sys.path and sys.meta_path as they were."""
    modules, path, meta = dict(sys.modules), list(sys.path), list(sys.meta_path)
    yield
    sys.modules.clear()
    sys.modules.update(modules)
    sys.path[:], sys.meta_path[:] = path, meta


@pytest.mark.parametrize("init_touched", [False, True])
def test_a_package_rebinding_a_submodule_name_keeps_its_binding_in_each_world(
    repo: Path, isolated: None, init_touched: bool
) -> None:
    pkg = repo / "lpkg"
    write(pkg / "__init__.py", INIT)
    write(pkg / "common.py", COMMON.format(value="old"))
    write(pkg / "plain.py", PLAIN.format(value="old"))
    sys.path.insert(0, str(repo))
    touched = [
        Touched("lpkg.common", str(pkg / "common.py"), COMMON.format(value="old"),
                COMMON.format(value="new"), False),
        Touched("lpkg.plain", str(pkg / "plain.py"), PLAIN.format(value="old"),
                PLAIN.format(value="new"), False),
    ]
    if init_touched:
        touched.append(Touched("lpkg", str(pkg / "__init__.py"), INIT, INIT + "# new\n", True))
    worlds = Worlds(touched)
    worlds.load(["lpkg.common", "lpkg.plain"])
    for world, value in ((worlds.new, "new"), (worlds.old, "old"), (worlds.new, "new")):
        worlds.enter(world)
        package = sys.modules["lpkg"]
        # the package's own binding: the class, not the submodule of the same name
        assert isinstance(package.common, type)
        assert package.common.real == value
        # a submodule the package does not rebind stays bound to the world's submodule
        assert package.plain is sys.modules["lpkg.plain"]
        assert value == package.plain.VALUE


def test_a_new_example_using_a_rebound_package_attribute_is_not_a_runtime_error(
    repo: Path,
) -> None:
    """pyparsing's ``pp.common.real`` in an example: ``pp.common`` is ``pyparsing_common``
    after ``import pyparsing``, not the ``pyparsing.common`` submodule."""
    write(repo / "lpkg" / "__init__.py", INIT)
    write(repo / "lpkg" / "common.py", COMMON.format(value="old"))
    write(repo / "lpkg" / "plain.py", PLAIN.format(value="old"))
    use = "import lpkg\n\n\ndef describe(x: int) -> str:\n    return lpkg.common.real + str(x)\n"
    modules = [
        ModuleVersions("lpkg/common.py", COMMON.format(value="old"), COMMON.format(value="new")),
        ModuleVersions("tools/use.py", None, use),
    ]
    result = run_properties(repo, modules, [ChangedFunction("tools/use.py", "describe", True)])
    assert result.findings == ()
    assert not any("untested" in n.message for n in result.notes), result.notes


MOVED_OLD = """\
import subprocess


def release(strip: bool) -> str:
    out = subprocess.run(["uname", "-r"], capture_output=True, text=True).stdout
    return out.strip() if strip else out


def double(x: int) -> int:
    return x * 2


def probe(x: int) -> int:
    return x
"""
MOVED_NEW = """\
import subprocess


def release(strip: bool) -> str:
    # the same call as before, in the module's new place
    out = subprocess.run(["uname", "-r"], capture_output=True, text=True).stdout
    return out.strip() if strip else out


def double(x: int) -> int:
    return x * 3


def probe(x: int) -> int:
    subprocess.run(["uname", "-r"], capture_output=True)
    return x
"""


def test_a_module_moved_into_a_new_package_is_compared_with_its_old_version(repo: Path) -> None:
    """distro 1.7.0 moved ``distro.py`` to ``src/distro/distro.py`` under a new package: the old world
    had no ``distro`` package to import the old module by its new name from, so every function was
    checked as new, and each one's ``lsb_release`` call, which the old version made just the same,
    was a sandbox violation. In an empty package the old module imports and is compared: a refusal
    both versions earn is no finding; a changed result and a subprocess only the new version starts
    still are."""
    write(repo / "lmoved.py", MOVED_OLD)  # the tree before the patch: the module at the root
    modules = [
        ModuleVersions("src/lmoved/__init__.py", None, "from .core import release\n"),
        ModuleVersions("src/lmoved/core.py", MOVED_OLD, MOVED_NEW),
    ]
    functions = [ChangedFunction("src/lmoved/core.py", name, False) for name in ("release", "double", "probe")]
    result = run_properties(repo, modules, functions)
    found = sorted((f.rule, f.symbol) for f in result.findings)
    assert found == [("behaviour-change", "double"), ("sandbox-violation", "probe")], result.notes
