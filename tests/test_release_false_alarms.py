"""False alarms traced on real release diffs, each reduced to the code that caused it."""

from __future__ import annotations

from pathlib import Path

from guard.rules.bad_call_signature import BadCallSignature
from guard.rules.nonexistent_attribute import NonexistentAttribute
from guard.rules.unresolved_import import UnresolvedImport

from guard.resolve import Environment, Func, Missing, Unknown
from guard.rulekit import Example, check_example


def _lines(rule: type, example: Example, tmp_path: Path) -> list[tuple[str, int]]:
    return sorted((f.path, f.line) for f in check_example(rule, example, tmp_path))


def test_object_comes_last_in_the_mro_after_every_base(tmp_path: Path) -> None:
    # ThreadingHTTPServer(ThreadingMixIn, HTTPServer): the mixin has no __init__ and no bases,
    # and object.__init__ must not shadow HTTPServer's (pyjwt 2.14.0's tests).
    env = Environment(tmp_path, (3, 10))
    init = env.resolve("http.server.ThreadingHTTPServer.__init__")
    assert isinstance(init, Func) and init.owner is not None
    assert init.owner.qualname == "socketserver.TCPServer"
    example = Example(
        path="tests/test_client.py",
        before="import threading\n",
        after=(
            "from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer\n\n\n"
            "def serve():\n    return ThreadingHTTPServer(('127.0.0.1', 0), BaseHTTPRequestHandler)\n"
        ),
    )
    assert _lines(BadCallSignature, example, tmp_path / "a") == []


def test_a_repo_mixin_without_init_does_not_hide_the_next_base(tmp_path: Path) -> None:
    # bidict 0.24.0: class _OrderedBidictKeysView(ProxiedSetView, KeysView[KT])
    example = Example(
        before=(
            "class Proxied:\n    def size(self):\n        return 0\n\n\n"
            "class Base:\n    def __init__(self, mapping):\n        self.mapping = mapping\n"
        ),
        after=(
            "class Proxied:\n    def size(self):\n        return 0\n\n\n"
            "class Base:\n    def __init__(self, mapping):\n        self.mapping = mapping\n\n\n"
            "class View(Proxied, Base):\n    pass\n\n\ndef keys(d):\n    return View(d)\n"
        ),
    )
    assert _lines(BadCallSignature, example, tmp_path / "b") == []
    wrong = Example(
        before=example.before,
        after=example.after.replace("View(d)", "View(d, 1)"),
    )
    assert _lines(BadCallSignature, wrong, tmp_path / "c") == [("pkg/mod.py", 16)]


def test_a_block_expecting_another_error_does_not_hide_a_missing_attribute(tmp_path: Path) -> None:
    # jsonpatch 1.46's tests: `jsonpatch.applyPatch(...)` under assertRaises(JsonPatchTestFailed)
    files = (("pkg/__init__.py", ""), ("pkg/errors.py", "class PatchFailed(Exception):\n    pass\n"))
    before = "import os\n\nfrom pkg.errors import PatchFailed\n\n\ndef test_a():\n    assert os.sep\n"
    after = "import os\n\nimport pytest\n\nfrom pkg.errors import PatchFailed\n\n\ndef test_a():\n    with pytest.raises({kind}):\n        os.joinpath('a')\n"
    wrong = Example(path="tests/test_a.py", before=before, after=after.format(kind="PatchFailed"), files=files)
    assert _lines(NonexistentAttribute, wrong, tmp_path / "a") == [("tests/test_a.py", 10)]
    for kind in ("AttributeError", "Exception", "(ValueError, AttributeError)"):
        meant = Example(path="tests/test_a.py", before=before, after=after.format(kind=kind), files=files)
        assert _lines(NonexistentAttribute, meant, tmp_path / kind[:5]) == [], kind


def test_a_handler_that_reraises_does_not_make_a_missing_module_optional(tmp_path: Path) -> None:
    # jsonpatch 1.47 (injected): `from json_compat import dump` in a try whose handler is
    # `except BaseException: cleanup(); raise`: the ImportError still propagates.
    before = "import json\n\n\ndef out(r, fp):\n    try:\n        json.dump(r, fp)\n    except BaseException:\n        fp.close()\n        raise\n"
    after = before.replace("        json.dump(r, fp)", "        from json_compat import dump\n        dump(r, fp)")
    assert _lines(UnresolvedImport, Example(before=before, after=after), tmp_path / "a") == [("pkg/mod.py", 6)]
    # platformdirs: `from jnius import autoclass` under `except Exception:` with a fallback: optional
    fallback = after.replace("        fp.close()\n        raise\n", "        fp.write(str(r))\n")
    assert _lines(UnresolvedImport, Example(before=before, after=fallback), tmp_path / "c") == []
    optional = (
        "def fast():\n    try:\n        import os_helpers\n    except ImportError:\n        return None\n"
        "    return os_helpers\n"
    )
    assert _lines(UnresolvedImport, Example(before="x = 1\n", after=optional), tmp_path / "b") == []


def test_a_test_skipped_on_older_pythons_may_use_what_they_lack(tmp_path: Path) -> None:
    # python-json-logger 4.2.0: err.add_note under @pytest.mark.skipif(sys.version_info < (3, 11))
    files = (("pyproject.toml", '[project]\nname = "pkg"\nrequires-python = ">=3.10"\n'),)
    test = (
        "import sys\n\nimport pytest\n\n\n@pytest.mark.skipif(sys.version_info < (3, 11), reason='3.11+')\n"
        "def test_notes():\n    err = ValueError('x')\n    err.add_note('y')\n"
    )
    example = Example(path="tests/test_n.py", before="import sys\n", after=test, files=files)
    assert _lines(NonexistentAttribute, example, tmp_path / "a") == []
    unguarded = Example(path="tests/test_n.py", before="import sys\n", after=test.replace(
        "@pytest.mark.skipif(sys.version_info < (3, 11), reason='3.11+')\n", ""), files=files)
    assert _lines(NonexistentAttribute, unguarded, tmp_path / "b") == [("tests/test_n.py", 8)]


def test_a_declared_dependency_the_repo_imports_is_mapped_though_not_installed(tmp_path: Path) -> None:
    (tmp_path / "setup.py").write_text("from setuptools import setup\nsetup(install_requires=['notinstalled-dist'])\n")
    assert Environment(tmp_path, (3, 10)).unmapped_declared()
    (tmp_path / "core.py").write_text("from notinstalled_dist import thing\n")
    assert not Environment(tmp_path, (3, 10)).unmapped_declared()


def test_calling_a_class_whose_metaclass_defines_call_makes_no_instance(tmp_path: Path) -> None:
    # bidict 0.24.0: MissingT = Enum('MissingT', {'MISSING': 'MISSING'}); MissingT.MISSING
    before = "from enum import Enum\n\nSIZE = 1\n"
    after = "from enum import Enum\n\nSIZE = 1\nMissingT = Enum('MissingT', {'MISSING': 'MISSING'})\nMISSING = MissingT.MISSING\n"
    assert _lines(NonexistentAttribute, Example(before=before, after=after), tmp_path / "a") == []
    plain = "import fractions\n\nHALF = fractions.Fraction(1, 2)\nTOP = HALF.numeratr\n"
    assert _lines(NonexistentAttribute, Example(before="x = 1\n", after=plain), tmp_path / "b") == [("pkg/mod.py", 4)]


def test_a_dev_requirements_file_declares_dependencies(tmp_path: Path) -> None:
    # pyproject-hooks 1.2.0: testpath, used by its tests, is listed in dev-requirements.txt
    assert Environment(tmp_path, (3, 10)).where("testpath") is None
    (tmp_path / "dev-requirements.txt").write_text("pytest\ntestpath\n")
    assert Environment(tmp_path, (3, 10)).where("testpath") == "declared"


def test_a_name_bound_by_an_import_of_an_absent_module_is_unknown_not_missing(tmp_path: Path) -> None:
    # pyproject-hooks 1.2.0: tests/compat.py binds tomllib by `import tomli as tomllib` below 3.11
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "__init__.py").write_text("")
    (tmp_path / "tests" / "compat.py").write_text(
        "import sys\n\nif sys.version_info >= (3, 11):\n    import tomllib\nelse:\n    import tomli_absent as tomllib\n"
    )
    env = Environment(tmp_path, (3, 8))
    assert isinstance(env.resolve("tests.compat.tomllib"), Unknown)
    assert isinstance(env.resolve("tests.compat.tomlib"), Missing)


def test_an_unmapped_distribution_leaves_doubt_only_about_names_it_could_provide(tmp_path: Path) -> None:
    # python-json-logger declares dev tools (black, mkdocs, pylint) it never imports; none of them
    # could be imported as `json_helpers`, while a declared `pillow` might be `PIL`.
    (tmp_path / "requirements-dev.txt").write_text("blackish-tool\nmkdocsy-thing\npillowish\n")
    env = Environment(tmp_path, (3, 10))
    assert env.unmapped_declared()
    assert not env.unmapped_declared("json_helpers")
    assert env.unmapped_declared("PIL")
    assert env.unmapped_declared("mkdocsy")
