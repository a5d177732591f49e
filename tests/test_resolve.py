"""The Environment resolves names against typeshed, installed sources, the repo and declared deps."""

from __future__ import annotations

from pathlib import Path

import pytest
from guard.rules.bad_call_signature import BadCallSignature
from guard.rules.nonexistent_attribute import NonexistentAttribute
from guard.rules.signature_drift import SignatureDrift

from guard.api import check_patch
from guard.resolve import Environment, Func, Klass, Missing, Module, Unknown
from guard.resolve.calls import check_call
from guard.resolve.locate import import_names, is_stdlib
from guard.resolve.signature import CallShape
from guard.rulekit import Example, check_example
from tests.conftest import MakeRepo, diff_after_edit


@pytest.fixture
def env(tmp_path: Path) -> Environment:
    return Environment(tmp_path, (3, 10))


def test_stdlib_follows_the_target_version() -> None:
    assert is_stdlib("tomllib", (3, 11)) and not is_stdlib("tomllib", (3, 10))
    assert is_stdlib("imp", (3, 11)) and not is_stdlib("imp", (3, 12))
    assert is_stdlib("os.path", (3, 10)) and not is_stdlib("os.joinpath", (3, 10))


def test_attributes_of_stdlib_modules_and_classes(env: Environment) -> None:
    assert isinstance(env.resolve("os.path.join"), Func)
    missing = env.resolve("os.path.joinpath")
    assert isinstance(missing, Missing) and "join" in missing.suggestion()
    assert isinstance(env.resolve("datetime.date.today"), Func)
    assert isinstance(env.resolve("datetime.date.now"), Missing)
    assert isinstance(env.resolve("builtins.str.contains"), Missing)
    assert isinstance(env.resolve("builtins.str.split"), Func)
    assert isinstance(env.resolve("collections.OrderedDict.move_to_end"), Func)


def test_installed_packages_are_read_not_imported(env: Environment) -> None:
    assert env.where("libcst") == "installed"
    assert isinstance(env.resolve("libcst.metadata.QualifiedNameProvider"), Klass)
    assert isinstance(env.resolve("libcst.not_a_thing"), Missing)
    assert env.where("libcst.not_a_module") is None


def test_repo_overlay_and_src_layout(tmp_path: Path) -> None:
    (tmp_path / "src" / "pkg").mkdir(parents=True)
    (tmp_path / "src" / "pkg" / "__init__.py").write_text("from .core import *\n")
    (tmp_path / "src" / "pkg" / "core.py").write_text("__all__ = ['run']\ndef run(times=1):\n    pass\n")
    env = Environment(tmp_path, (3, 10), {"src/pkg/extra.py": "VALUE = 1\n"})
    assert env.where("pkg.core") == "repo" and env.where("pkg.extra") == "repo"
    assert isinstance(env.resolve("pkg.run"), Func)
    assert not isinstance(env.resolve("pkg.extra.VALUE"), Missing)
    assert isinstance(env.resolve("pkg.nothing"), Missing)


def test_module_getattr_and_unreadable_star_imports_mean_unknown(tmp_path: Path) -> None:
    (tmp_path / "lazy.py").write_text("def __getattr__(name):\n    return name\n")
    (tmp_path / "star.py").write_text("from somewhere_unknown import *\n")
    env = Environment(tmp_path, (3, 10))
    assert isinstance(env.resolve("lazy.anything"), Unknown)
    assert isinstance(env.resolve("star.anything"), Unknown)
    assert isinstance(env.resolve("lazy"), Module)


def test_declared_dependencies_map_to_import_names(tmp_path: Path) -> None:
    (tmp_path / "requirements.txt").write_text("PyYAML>=6\npython-dateutil\nsome-unknown-dist==1\n")
    env = Environment(tmp_path, (3, 10))
    assert env.where("yaml") == "installed"
    assert env.where("dateutil") in {"installed", "declared"}
    assert env.where("some_unknown_dist") == "declared"
    assert "dateutil" in import_names("python-dateutil")


def test_kwargs_forwarded_by_json_dumps_are_checked(env: Environment) -> None:
    dumps = env.resolve("json.dumps")
    bad = check_call(env, dumps, CallShape(1, ("sort",), False, False))
    assert bad is not None and "sort_keys" in bad.message("json.dumps")
    assert check_call(env, dumps, CallShape(1, ("sort_keys", "indent"), False, False)) is None
    assert check_call(env, dumps, CallShape(1, ("cls", "custom"), False, False)) is None


def _lines(rule: type, example: Example, tmp_path: Path) -> list[tuple[str, int]]:
    return sorted((f.path, f.line) for f in check_example(rule, example, tmp_path))


def test_json_dumps_sort_and_os_path_joinpath_at_the_right_line(tmp_path: Path) -> None:
    example = Example(
        before="import json\nimport os\n\n\ndef save(x, a, b):\n    return json.dumps(x), os.path.join(a, b)\n",
        after="import json\nimport os\n\n\ndef save(x, a, b):\n    text = json.dumps(x, sort=True)\n    return text, os.path.joinpath(a, b)\n",
    )
    assert _lines(BadCallSignature, example, tmp_path / "a") == [("pkg/mod.py", 6)]
    assert _lines(NonexistentAttribute, example, tmp_path / "b") == [("pkg/mod.py", 7)]


def test_clean_refactor_is_not_flagged(tmp_path: Path) -> None:
    example = Example(
        before="import os\n\n\ndef find(root, name):\n    path = os.path.join(root, name)\n    return path if os.path.exists(path) else None\n",
        after="from pathlib import Path\n\n\ndef find(root, name):\n    path = Path(root) / name\n    return str(path) if path.exists() else None\n",
        files=(("pkg/__init__.py", ""), ("pkg/use.py", "from pkg.mod import find\n\nfind('a', 'b')\n")),
    )
    for rule in (BadCallSignature, NonexistentAttribute, SignatureDrift):
        assert _lines(rule, example, tmp_path / rule.ID) == []


def test_signature_drift_lists_call_sites_in_other_files(tmp_path: Path) -> None:
    example = Example(
        path="pkg/money.py",
        before="def fmt(amount, currency='EUR'):\n    return f'{amount} {currency}'\n",
        after="def fmt(amount, currency):\n    return f'{amount} {currency}'\n",
        files=(
            ("pkg/__init__.py", ""),
            ("pkg/cli.py", "from pkg.money import fmt\n\nprint(fmt(1))\nprint(fmt(1, 'USD'))\n"),
            ("pkg/other.py", "from pkg import money\n\n\ndef f():\n    return money.fmt(2)\n"),
        ),
    )
    assert _lines(SignatureDrift, example, tmp_path) == [("pkg/cli.py", 3), ("pkg/other.py", 5)]


def test_call_sites_of_a_deeply_nested_expression_are_indexed_without_recursion() -> None:
    """A generated chain of hundreds of `+` (asttokens' test data) nests the ast hundreds deep:
    the call-site index walks it with a stack, not with recursion, and keeps source order."""
    from guard.resolve.callsites import _sites_in

    source = "x = " + " + ".join(["f(1)"] * 900) + "\nclass A:\n    def m(self):\n        g(2)\n"
    sites = _sites_in("deep", source)
    assert [s.callee for s in sites] == ["f"] * 900 + ["g"]
    assert sites[-1].cls == "A"


def test_class_attributes_aliasing_each_other_resolve_to_unknown_not_a_crash(tmp_path: Path) -> None:
    """``a = b`` beside ``b = a`` in a class body (tinycss2's color4 crashed removed-api with a
    RecursionError): the alias chain is followed once, a cycle is unknown, a plain alias resolves."""
    source = "class C:\n    a = b\n    b = a\n    c = c\n\n    def f(self):\n        pass\n\n    g = f\n"
    env = Environment(tmp_path, (3, 10), {"m.py": source})
    klass = env.resolve("m.C")
    assert isinstance(klass, Klass)
    assert isinstance(env.member(klass, "a"), Unknown) and isinstance(env.member(klass, "c"), Unknown)
    assert isinstance(env.member(klass, "g"), Func)


@pytest.mark.parametrize(
    ("dev", "expected"),
    [('dev = ["pytest"]', ("error", "high")), ('docs = ["sphinx"]', ("warning", "low"))],
)
def test_a_made_up_import_in_tests_is_confident_where_the_test_runner_is_declared(
    make_repo: MakeRepo, dev: str, expected: tuple[str, str]
) -> None:
    """A test's import of a module nothing provides: where the repo's declarations include its test
    runner, they are where its test dependencies live, so only an uninstalled distribution whose
    name could be the module's leaves doubt (cachecontrol's tests, injected ``from oslib import
    fsdecode``); where they do not, the tests may rely on dependencies declared elsewhere (tox.ini)."""
    pyproject = f'[project]\nname = "p"\ndependencies = ["cherrypy-not-installed"]\n\n[project.optional-dependencies]\n{dev}\n'
    repo = make_repo({"pyproject.toml": pyproject, "tests/test_a.py": "def test_a():\n    assert 1\n"})
    made_up = "from oslib import fsdecode\n\n\ndef test_a():\n    assert fsdecode(b'a') == 'a'\n"
    report = check_patch(diff_after_edit(repo, {"tests/test_a.py": made_up}), repo, analyzers=frozenset({"rules"}))
    found = [s.finding for s in report.findings if s.finding.rule == "unresolved-import"]
    assert [(f.line, f.severity.name.lower(), f.confidence.name.lower()) for f in found] == [(1, *expected)]


def test_a_test_dependency_the_patch_declares_resolves(make_repo: MakeRepo) -> None:
    """The patch adds ``trio`` to requirements/tests.txt and imports it in a test (jinja2 3.1.5): the
    declaration is read as the patch leaves it, so the import is of a declared dependency."""
    repo = make_repo({"requirements/tests.txt": "pytest\n", "tests/test_a.py": "def test_a():\n    assert 1\n"})
    uses = "import trio\n\n\ndef test_a():\n    assert trio\n"
    edits = {"tests/test_a.py": uses, "requirements/tests.txt": "pytest\ntrio\n"}
    report = check_patch(diff_after_edit(repo, edits), repo, analyzers=frozenset({"rules"}))
    assert [s.finding.rule for s in report.findings if s.finding.rule == "unresolved-import"] == []
    report = check_patch(diff_after_edit(repo, {"tests/test_a.py": uses}), repo, analyzers=frozenset({"rules"}))
    assert [s.finding.rule for s in report.findings if s.finding.rule == "unresolved-import"] == ["unresolved-import"]
