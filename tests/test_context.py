from __future__ import annotations

from dataclasses import replace

from guard.api import check_patch
from guard.context import expected_failure_lines, in_context, writes_namespace_dynamically
from guard.findings import Confidence, Finding, Severity
from tests.conftest import MakeRepo, diff_after_edit

TEST = """\
import pytest


def test_rejects() -> None:
    with pytest.raises(TypeError):
        hash("x", 1)
    assert hash("x")
"""


def finding(path: str, line: int, rule: str, analyzer: str = "mypy") -> Finding:
    return Finding(path, line, 1, rule, analyzer, "m", Severity.ERROR, Confidence.HIGH)


def test_expected_failure_lines_cover_the_block_body_only() -> None:
    assert expected_failure_lines(TEST) == {6}


def test_dynamic_namespace_is_seen_at_module_level() -> None:
    assert writes_namespace_dynamically("names = {}\nvars().update(names)\n")
    assert writes_namespace_dynamically("globals()['X'] = 1\n")
    assert not writes_namespace_dynamically("def f(d):\n    d.update(vars(obj))\n")


def test_context_demotes_tool_findings_but_not_guards_own() -> None:
    sources = {"t.py": TEST, "m.py": "vars().update({'A': 1})\nprint(A)\n"}
    found = in_context(
        [finding("t.py", 6, "call-arg"), finding("t.py", 7, "call-arg"), finding("m.py", 2, "F821", "ruff"),
         finding("t.py", 6, "bad-call-signature", "guard")],
        sources,
    )  # fmt: skip
    assert [f.severity for f in found] == [Severity.INFO, Severity.ERROR, Severity.INFO, Severity.ERROR]
    assert "on purpose" in dict(found[0].evidence)["context"]


def test_a_provoked_error_in_a_test_does_not_fail_the_patch(make_repo: MakeRepo) -> None:
    repo = make_repo({"tests/test_h.py": "def test_ok() -> None:\n    assert hash('x')\n"})
    report = check_patch(diff_after_edit(repo, {"tests/test_h.py": TEST}), repo, analyzers=frozenset({"mypy"}))
    assert report.verdict == "pass"
    assert [(s.finding.rule, s.finding.line, s.weight) for s in report.findings] == [("call-arg", 6, 0.0)]


PROBE = """\
try:
    ExceptionGroup
except NameError:
    ExceptionGroup = None
try:
    settings.value
except Exception:
    pass
cache[key]
"""


def test_a_probe_in_a_try_that_handles_lookup_errors_is_not_useless(make_repo: MakeRepo) -> None:
    found = in_context(
        [finding("p.py", 2, "B018", "ruff"), finding("p.py", 6, "B018", "ruff"), finding("p.py", 9, "B018", "ruff"),
         finding("p.py", 2, "name-defined")],
        {"p.py": PROBE},
    )  # fmt: skip
    # Only the first is a probe: a broad handler says nothing about a lookup, and line 9 has no try;
    # other complaints on a probe's line are left alone.
    assert [f.severity for f in found] == [Severity.INFO, Severity.ERROR, Severity.ERROR, Severity.ERROR]
    repo = make_repo({"m.py": "X = 1\n"})
    report = check_patch(diff_after_edit(repo, {"m.py": "X = 1\n" + PROBE.split("try:\n    settings")[0]}), repo,
                         analyzers=frozenset({"ruff"}))  # fmt: skip
    assert [(s.finding.rule, s.weight) for s in report.findings] == [("B018", 0.0)]
    assert report.verdict == "pass"


def test_a_module_attribute_of_another_platform_is_not_missing(make_repo: MakeRepo) -> None:
    """typeshed declares msvcrt's functions under ``sys.platform == "win32"``: mypy on Linux says
    they are missing, though the module has them where the code runs. A made-up name stays missing."""
    repo = make_repo({"win.py": "import msvcrt\n\n\ndef handle(fd: int) -> int:\n    return fd\n"})
    windows = "import msvcrt\n\n\ndef handle(fd: int) -> int:\n    return msvcrt.get_osfhandle(fd)\n"
    report = check_patch(diff_after_edit(repo, {"win.py": windows}), repo, analyzers=frozenset({"mypy"}))
    assert [(s.finding.rule, s.weight) for s in report.findings] == [("attr-defined", 0.0)]
    assert "another platform" in dict(report.findings[0].finding.evidence)["context"]
    made_up = windows.replace("get_osfhandle", "get_os_handle")
    report = check_patch(diff_after_edit(repo, {"win.py": made_up}), repo, analyzers=frozenset({"mypy"}))
    assert [s.finding.rule for s in report.findings if s.weight > 0] == ["attr-defined"]


def test_a_stdlib_name_newer_than_the_target_is_real_through_a_star_import(make_repo: MakeRepo) -> None:
    """``collections.abc`` star-imports ``_collections_abc``, whose stub binds ``Buffer`` from Python
    3.12 on: for a project that supports 3.9, mypy's "has no attribute" is about the version, not a
    made-up name (cachecontrol 0.14.4 imports it under TYPE_CHECKING). A made-up name stays missing."""
    pyproject = '[project]\nname = "p"\nrequires-python = ">=3.9"\n'
    repo = make_repo({"pyproject.toml": pyproject, "buf.py": "def size(b: bytes) -> int:\n    return len(b)\n"})
    typed = (
        "from __future__ import annotations\n\nfrom typing import TYPE_CHECKING\n\nif TYPE_CHECKING:\n"
        "    from collections.abc import Buffer\n\n\ndef size(b: Buffer) -> int:\n    return len(bytes(b))\n"
    )
    report = check_patch(diff_after_edit(repo, {"buf.py": typed}), repo, analyzers=frozenset({"mypy"}))
    assert [(s.finding.rule, s.weight) for s in report.findings] == [("attr-defined", 0.0)]
    assert "new in Python 3.12" in dict(report.findings[0].finding.evidence)["context"]
    made_up = typed.replace("Buffer", "Bufer")
    report = check_patch(diff_after_edit(repo, {"buf.py": made_up}), repo, analyzers=frozenset({"mypy"}))
    assert [s.finding.rule for s in report.findings if s.weight > 0] == ["attr-defined"]


def test_every_finding_in_a_generated_file_is_shown_not_weighed() -> None:
    flit = "#!/usr/bin/env python\n# setup.py generated by flit for tools that don't yet use PEP 517\n\nfrom distutils.core import setup\n"
    hand = "#!/usr/bin/env python\n# the generator of our parsers lives in tools/\n\nfrom distutils.core import setup\n"
    found = in_context(
        [finding("setup.py", 4, "removed-api", "guard"), finding("other/setup.py", 4, "removed-api", "guard")],
        {"setup.py": flit, "other/setup.py": hand},
    )
    assert [f.severity is Severity.INFO for f in found] == [True, False]
    assert "generated" in dict(found[0].evidence)["context"]


def test_a_stub_may_name_what_it_defines_later_and_tests_are_not_shipped() -> None:
    stub = "import sys\n_ClassInfo = type | tuple[_ClassInfo, ...]\nX: _Missing\n"
    found = in_context(
        [
            Finding("m.pyi", 2, 30, "F821", "ruff", "Undefined name `_ClassInfo`", Severity.ERROR, Confidence.HIGH),
            Finding("m.pyi", 3, 4, "F821", "ruff", "Undefined name `_Missing`", Severity.ERROR, Confidence.HIGH),
            Finding("m.py", 2, 30, "F821", "ruff", "Undefined name `_ClassInfo`", Severity.ERROR, Confidence.HIGH),
            finding("tests/test_io.py", 1, "B301", "bandit"),
            finding("pkg/io.py", 1, "B301", "bandit"),
        ],
        {"m.pyi": stub, "m.py": stub, "tests/test_io.py": "import pickle\n", "pkg/io.py": "import pickle\n"},
    )
    assert [f.severity is Severity.INFO for f in found] == [True, False, False, True, False]


def test_mypy_in_test_code_is_shown_not_weighed_but_guards_rules_are() -> None:
    found = in_context(
        [finding("tests/test_io.py", 3, "attr-defined"), finding("pkg/io.py", 3, "attr-defined"),
         finding("tests/test_io.py", 3, "nonexistent-attribute", "guard")],
        {"tests/test_io.py": "x = 1\n", "pkg/io.py": "x = 1\n"},
    )  # fmt: skip
    assert [f.severity for f in found] == [Severity.INFO, Severity.ERROR, Severity.ERROR]
    assert "test code" in dict(found[0].evidence)["context"]


def test_how_a_test_asserts_is_not_weighed_but_a_shadowed_test_is() -> None:
    """bugbear's blind ``pytest.raises(Exception)`` (B017) and ``assert False`` (B011) in test code
    make a weaker test, not a wrong one; in shipped code B011 still counts. A test function defined
    twice (F811: the first never runs) counts in tests too."""
    test = "import pytest\n\ndef test_a():\n    with pytest.raises(Exception):\n        f()\n    assert False\n"
    found = in_context(
        [finding("tests/test_io.py", 4, "B017", "ruff"), finding("tests/test_io.py", 6, "B011", "ruff"),
         finding("pkg/io.py", 6, "B011", "ruff"), finding("tests/test_io.py", 3, "F811", "ruff")],
        {"tests/test_io.py": test, "pkg/io.py": test},
    )  # fmt: skip
    assert [f.severity is Severity.INFO for f in found] == [True, True, False, False]
    assert "weak test" in dict(found[0].evidence)["context"]


def test_newer_syntax_in_a_test_file_is_shown_not_weighed() -> None:
    """A test file written in a newer Python's syntax than the project's oldest is collected only
    where it parses (lark 1.3.0's `match` tests); in shipped code, or broken syntax, it counts."""
    newer = "Cannot use `match` statement on Python 3.8 (syntax was added in Python 3.10)"
    found = in_context(
        [replace(finding("tests/test_match.py", 2, "syntax-error", "ruff"), message=newer),
         replace(finding("pkg/io.py", 2, "syntax-error", "ruff"), message=newer),
         replace(finding("tests/test_io.py", 2, "syntax-error", "ruff"), message="Expected `:`, found newline")],
        {"tests/test_match.py": "x = 1\n", "pkg/io.py": "x = 1\n", "tests/test_io.py": "x = 1\n"},
    )  # fmt: skip
    assert [f.severity is Severity.INFO for f in found] == [True, False, False]
    assert "newer Python" in dict(found[0].evidence)["context"]


def test_a_test_helper_that_breaks_its_own_return_annotation_still_counts() -> None:
    """A bare ``return`` in a helper declared ``-> bool`` involves no mock: it counts in tests too."""
    found = in_context(
        [finding("tests/test_io.py", 2, "return-value"), finding("tests/test_io.py", 2, "attr-defined")],
        {"tests/test_io.py": "def ok() -> bool:\n    return\n"},
    )
    assert [f.severity for f in found] == [Severity.ERROR, Severity.INFO]


def test_a_module_attribute_of_a_newer_python_is_not_made_up(make_repo: MakeRepo) -> None:
    """``itertools.batched`` is new in 3.12: for a project that supports 3.10 mypy says the module
    has no such attribute, but the name is real — too new is not made up. A made-up one stays."""
    repo = make_repo({
        "pyproject.toml": '[project]\nname = "p"\nrequires-python = ">=3.10"\n',
        "chunks.py": "def pairs(xs: list[int]) -> list[int]:\n    return xs\n",
    })  # fmt: skip
    newer = "import itertools\n\n\ndef pairs(xs: list[int]) -> list[tuple[int, ...]]:\n    return list(itertools.batched(xs, 2))\n"
    report = check_patch(diff_after_edit(repo, {"chunks.py": newer}), repo, analyzers=frozenset({"mypy"}))
    mypy = [s for s in report.findings if s.finding.rule == "attr-defined"]
    assert [s.weight for s in mypy] == [0.0]
    assert "new in Python 3.12" in dict(mypy[0].finding.evidence)["context"]
    made_up = newer.replace("batched", "chunked")
    report = check_patch(diff_after_edit(repo, {"chunks.py": made_up}), repo, analyzers=frozenset({"mypy"}))
    assert [s.finding.rule for s in report.findings if s.weight > 0] == ["attr-defined"]


def test_an_error_is_provoked_on_purpose_only_where_its_type_is_expected() -> None:
    """``with self.assertRaises(IndexError): f(idx)`` with ``idx`` undefined fails with a NameError
    the block does not expect: the finding stands. A broad or matching type, or one the block
    names through an expression, explains it."""
    source = (
        "import pytest\n\n\ndef test_it() -> None:\n"
        "    with pytest.raises(IndexError):\n        f(idx)\n"
        "    with pytest.raises((KeyError, Exception)):\n        f(idx)\n"
        "    with pytest.raises(NameError):\n        f(idx)\n"
        "    with pytest.raises(errors.NotFound):\n        f(idx)\n        g.missing\n"
        "    with pytest.raises(KIND):\n        f(idx)\n"
    )
    found = in_context(
        [finding("t.py", line, rule, "ruff") for line, rule in
         [(6, "F821"), (8, "F821"), (10, "F821"), (12, "F821"), (13, "attr-defined"), (15, "F821")]],
        {"t.py": source},
    )  # fmt: skip
    assert [f.severity for f in found] == [
        Severity.ERROR, Severity.INFO, Severity.INFO, Severity.ERROR, Severity.INFO, Severity.ERROR,
    ]


def test_a_function_attribute_on_a_callable_is_not_missing() -> None:
    """mypy's Callable type has no ``__self__``, a bound method has: that complaint is explained;
    another attribute, or ``__self__`` on a class instance type, is not."""
    messages = [
        '"Callable[[Any], None]" has no attribute "__self__"',
        '"def (x: int) -> str" has no attribute "__wrapped__"',
        '"Callable[[Any], None]" has no attribute "cache_clear"',
        '"Parser" has no attribute "__self__"',
    ]
    found = in_context(
        [Finding("m.py", i + 1, 1, "attr-defined", "mypy", m, Severity.ERROR, Confidence.HIGH) for i, m in enumerate(messages)],
        {"m.py": "x = 1\n"},
    )
    assert [f.severity for f in found] == [Severity.INFO, Severity.INFO, Severity.ERROR, Severity.ERROR]


def test_a_division_by_zero_statement_raises_on_purpose() -> None:
    source = "def hook():\n    yield\n    1 / 0\n\n\ndef f(x):\n    x.attr\n    x / 2\n"
    found = in_context(
        [finding("p.py", 3, "B018", "ruff"), finding("p.py", 7, "B018", "ruff"), finding("p.py", 8, "B018", "ruff")],
        {"p.py": source},
    )
    assert [f.severity is Severity.INFO for f in found] == [True, False, False]


def test_a_coroutine_generator_returns_a_value_by_design() -> None:
    source = (
        "from typing import Generator\n\n\n"
        "def wrapper() -> Generator[None, str, str]:\n    yield\n    return 'x'\n\n\n"  # 4-6: declared
        "def receiver():\n    result = yield\n    return result\n\n\n"  # 9-11: receives values
        "def plain(items):\n    for i in items:\n        yield i\n    return items\n"  # 14-17: a slip
    )
    found = in_context(
        [finding("p.py", 6, "B901", "ruff"), finding("p.py", 11, "B901", "ruff"), finding("p.py", 17, "B901", "ruff")],
        {"p.py": source},
    )
    assert [f.severity is Severity.INFO for f in found] == [True, True, False]


def test_an_alternative_import_for_another_python_is_not_an_incompatible_one() -> None:
    source = (
        "import sys\n\nif sys.version_info < (3, 12, 1):\n    from ._suppress import suppress\nelse:\n"
        "    from contextlib import suppress\n\nfrom .a import x\nfrom .b import x\n"
    )
    message = 'Incompatible import of "suppress" (imported name has type "A", local name has type "B")'
    found = in_context(
        [Finding("p.py", 6, 5, "assignment", "mypy", message, Severity.WARNING, Confidence.MEDIUM),
         Finding("p.py", 9, 1, "assignment", "mypy", message.replace("suppress", "x"), Severity.WARNING, Confidence.MEDIUM)],
        {"p.py": source},
    )  # fmt: skip
    assert [f.severity is Severity.INFO for f in found] == [True, False]


def test_a_fallback_definition_for_an_older_python_is_not_an_incompatible_assignment() -> None:
    source = "try:\n    from typing import TypedDict\nexcept ImportError:\n    TypedDict = dict\n\nx: int = 1\nx = 'a'\n"
    message = 'Incompatible types in assignment (expression has type "A", variable has type "B")'
    found = in_context(
        [Finding("p.py", 4, 5, "assignment", "mypy", message, Severity.WARNING, Confidence.MEDIUM),
         Finding("p.py", 7, 1, "assignment", "mypy", message, Severity.WARNING, Confidence.MEDIUM)],
        {"p.py": source},
    )  # fmt: skip
    assert [f.severity is Severity.INFO for f in found] == [True, False]


LOOP_CLOSURES = """\
import time


def test_near_linear(cases, make):
    for plugin, unit in cases:
        md = make(plugin)

        def render(size):
            start = time.process_time()
            md(unit * size + "\\n")
            return time.process_time() - start

        render(200)
        assert render(2000) < render(1000) * 3


def callbacks(names, out):
    for name in names:
        def report():
            out.append(name)
        out.append(report)
    for name in names:
        shout = lambda: name.upper()
        shout()
    for name in names:
        def later():
            return name
        later()
    return later
"""


def test_a_loop_closure_called_only_in_its_own_iteration_sees_the_current_values() -> None:
    """ruff's B023 (a function defined in a loop reads the loop's variables) matters when the
    function outlives its iteration: stored (line 20), or used after the loop (line 27). One only
    called by name in the same iteration (lines 10, 23) sees the values the iteration bound."""
    found = in_context(
        [finding("t.py", line, "B023", "ruff") for line in (10, 20, 23, 27)], {"t.py": LOOP_CLOSURES}
    )
    assert [f.severity is Severity.INFO for f in found] == [True, False, True, False]
    assert "only called in the iteration" in dict(found[0].evidence)["context"]


TEMPLATES = """\
def populate(messages, param, reason=""):
    fmt = "'{param}' parameter is deprecated"
    messages[param] = reason or fmt.format(param=param)
    old = "%s is {param}"
    messages["old"] = old % (param,)
    shown = "{param} is deprecated"
    print(shown)
    mixed = "{param}"
    return mixed.format(param=param), mixed
"""


def test_a_string_bound_to_a_name_that_is_always_filled_in_is_a_template() -> None:
    """RUF027 (possible f-string without its ``f``) is wrong about a template that every use fills
    in with ``.format`` or ``%`` (lines 2 and 4); a string printed as is (line 6), or used as is
    once as well as filled in (line 8), may have lost its ``f``."""
    found = in_context([finding("d.py", line, "RUF027", "ruff") for line in (2, 4, 6, 8)], {"d.py": TEMPLATES})
    assert [f.severity is Severity.INFO for f in found] == [True, True, False, False]


TYPE_COMMENTED = """\
import functools


class DeprecatedParams:
    def __call__(self, f):
        # type: (callable) -> callable
        @functools.wraps(f)
        def wrapper(*args, **kwargs):
            return f(*args, **kwargs)

        return wrapper


def plain(f: callable) -> int:
    return f()
"""


def test_an_invalid_type_in_a_type_comment_and_what_follows_from_it_run_as_they_read(make_repo: MakeRepo) -> None:
    """``# type: (callable) -> callable`` is never evaluated: mypy's valid-type there, and its
    ``callable? not callable`` where the parameter is called, say nothing about what runs. The
    same invalid type in a real annotation still counts (a model's ``any`` for ``Any``); its
    knock-on call complaint does not count twice."""
    repo = make_repo({"params.py": "X = 1\n"})
    report = check_patch(diff_after_edit(repo, {"params.py": TYPE_COMMENTED}), repo, analyzers=frozenset({"mypy"}))
    found = sorted((s.finding.line, s.finding.rule, s.weight > 0) for s in report.findings)
    assert found == [(5, "valid-type", False), (9, "misc", False), (14, "valid-type", True), (15, "misc", False)]
    messages = {s.finding.line: s.finding.message for s in report.findings}
    assert "callable? not callable" in messages[9]


def test_a_newer_builtin_in_a_version_gated_test_is_explained() -> None:
    # python-json-logger 4.2.0 (requires-python >= 3.10): ExceptionGroup in a test skipped below 3.11
    source = (
        "import sys\n\nimport pytest\n\n\n@pytest.mark.skipif(sys.version_info < (3, 11), reason='3.11+')\n"
        "def test_groups():\n    raise ExceptionGroup('g', [ValueError()])\n\n\n"
        "def test_other():\n    raise ExceptionGroup('g', [ValueError()])\n\n\n"
        "def test_typo():\n    return ExceptionGrop\n"
    )
    def undefined(line: int, name: str) -> Finding:
        return Finding("t.py", line, 1, "F821", "ruff", f"Undefined name `{name}`", Severity.ERROR, Confidence.HIGH)

    found = in_context([undefined(8, "ExceptionGroup"), undefined(12, "ExceptionGroup"), undefined(16, "ExceptionGrop")],
                       {"t.py": source})
    assert [f.severity for f in found] == [Severity.INFO, Severity.ERROR, Severity.ERROR]


def test_a_weak_hash_the_patch_only_moved_is_explained_one_it_adds_is_not() -> None:
    # itsdangerous 2.2.0: staticmethod(hashlib.sha1) became a lazy wrapper calling hashlib.sha1(s)
    original = "import hashlib\n\n\nclass A:\n    digest = staticmethod(hashlib.sha1)\n"
    moved = (
        "import hashlib\n\n\ndef _lazy_sha1(s=b''):\n    return hashlib.sha1(s)\n\n\n"
        "class A:\n    digest = staticmethod(_lazy_sha1)\n"
    )
    added = moved.replace("staticmethod(_lazy_sha1)", "staticmethod(hashlib.sha1)")

    def b324(line: int) -> Finding:
        return Finding("s.py", line, 1, "B324", "bandit", "Use of weak SHA1 hash", Severity.ERROR, Confidence.HIGH)

    assert in_context([b324(5)], {"s.py": moved}, {"s.py": original})[0].severity is Severity.INFO
    assert in_context([b324(5)], {"s.py": added}, {"s.py": original})[0].severity is Severity.ERROR
    assert in_context([b324(5)], {"s.py": moved})[0].severity is Severity.ERROR  # a new file
    shell = Finding("s.py", 5, 1, "B602", "bandit", "shell=True", Severity.ERROR, Confidence.HIGH)
    assert in_context([shell], {"s.py": moved}, {"s.py": original})[0].severity is Severity.ERROR


def test_mypy_on_unchanged_lines_of_a_newly_annotated_function_is_explained() -> None:
    # markdown 3.5.2 annotated _addPatterns; mypy then checked its untouched body for the first time
    original = "def add(md, patterns):\n    for p in patterns:\n        p += (md,)\n        p = Pattern(*p)\n    return p\n"
    annotated = original.replace("def add(md, patterns):", "def add(md: Markdown, patterns: list[tuple[str]]) -> Pattern:")
    changed = annotated.replace("        p = Pattern(*p)\n", "        p = Pattern(*p, md)\n")

    def call_arg(line: int) -> Finding:
        return Finding("m.py", line, 1, "call-arg", "mypy", "Missing positional arguments", Severity.ERROR, Confidence.HIGH)

    assert in_context([call_arg(4)], {"m.py": annotated}, {"m.py": original})[0].severity is Severity.INFO
    assert in_context([call_arg(4)], {"m.py": changed}, {"m.py": original})[0].severity is Severity.ERROR
    typed_before = original.replace("def add(md, patterns):", "def add(md: int, patterns):")
    assert in_context([call_arg(4)], {"m.py": annotated}, {"m.py": typed_before})[0].severity is Severity.ERROR


def test_an_import_rebound_before_use_is_explained_a_function_defined_twice_is_not() -> None:
    # defusedxml 0.7.1's cElementTree imports names, then assigns its own objects to them
    source = "from .tree import (\n    XML,\n    fromstring,\n)\n\n\ndef parse():\n    pass\n\n\nXML = fromstring = make()\n\n\ndef parse():\n    return 1\n"

    def f811(line: int, name: str, first: int) -> Finding:
        message = f"Redefinition of unused `{name}` from line {first}: `{name}` redefined here"
        return Finding("c.py", line, 1, "F811", "ruff", message, Severity.ERROR, Confidence.HIGH)

    found = in_context([f811(11, "XML", 2), f811(11, "fromstring", 3), f811(14, "parse", 7)], {"c.py": source})
    assert [f.severity for f in found] == [Severity.INFO, Severity.INFO, Severity.ERROR]


def test_setting_an_attribute_on_a_module_is_explained_reading_one_is_not() -> None:
    source = "import importlib\n\nmod = importlib.import_module('xml.etree.ElementTree')\nmod.ParseError = Err\nx = mod.ParseErr\n"

    def attr(line: int, name: str) -> Finding:
        return Finding("e.py", line, 1, "attr-defined", "mypy", f'Module has no attribute "{name}"', Severity.ERROR, Confidence.HIGH)

    found = in_context([attr(4, "ParseError"), attr(5, "ParseErr")], {"e.py": source})
    assert [f.severity for f in found] == [Severity.INFO, Severity.ERROR]


def test_an_unchanged_call_of_a_newly_annotated_function_is_explained() -> None:
    # markdown 3.5.2 annotated _write_html(root: Element); its callers pass getroot(), maybe None
    original = "def _write(root, format='html'):\n    return str(root)\n\n\ndef to_html(e):\n    return _write(Tree(e).getroot())\n"
    annotated = original.replace("def _write(root, format='html'):", "def _write(root: Element, format: str = 'html') -> str:")
    changed = annotated.replace("_write(Tree(e).getroot())", "_write(Tree(e).find('x'))")
    typed_before = original.replace("def _write(root, format='html'):", "def _write(root: Element, format='html'):")
    message = 'Argument 1 to "_write" has incompatible type "Element | None"; expected "Element"'

    def arg_type(line: int, text: str = message) -> Finding:
        return Finding("s.py", line, 1, "arg-type", "mypy", text, Severity.ERROR, Confidence.HIGH)

    assert in_context([arg_type(6)], {"s.py": annotated}, {"s.py": original})[0].severity is Severity.INFO
    assert in_context([arg_type(6)], {"s.py": changed}, {"s.py": original})[0].severity is Severity.ERROR  # a changed line
    assert in_context([arg_type(6)], {"s.py": annotated}, {"s.py": typed_before})[0].severity is Severity.ERROR
    other = 'Argument 1 to "str" has incompatible type "Element | None"; expected "str"'
    assert in_context([arg_type(6, other)], {"s.py": annotated}, {"s.py": original})[0].severity is Severity.ERROR


def test_a_behaviour_change_that_prints_the_same_before_and_after_is_explained() -> None:
    def change(old: str, new: str) -> Finding:
        return Finding(
            "b.py", 3, 0, "behaviour-change", "properties", f"f() changed behaviour: {old} before the patch, {new} after",
            Severity.WARNING, Confidence.HIGH, evidence=(("input", "f()"), ("old", old), ("new", new)),
        )  # fmt: skip

    same = change("<class 'bidict.BidictBase'>", "<class 'bidict.BidictBase'>")
    cut = change("[re.compile('(?P<y>...)')]", "[re.compile('(?P<y>...)')]")
    differ = change("1", "2")
    found = in_context([same, cut, differ], {"b.py": "x = 1\n"})
    assert [f.severity for f in found] == [Severity.INFO, Severity.WARNING, Severity.WARNING]


def test_a_union_narrowed_through_a_flag_variable_is_explained() -> None:
    # bidict 0.24.0's _dedup: isdupval = oldkey is not MISSING / if isdupkey and isdupval: fwdm[oldkey]
    source = (
        "def dedup(fwdm, invm, key, val):\n"
        "    oldkey = invm.get(val, MISSING)\n"
        "    isdupval = oldkey is not MISSING\n"
        "    if key and isdupval:\n"
        "        return fwdm[oldkey]\n"
        "    return fwdm[oldkey]\n"
    )

    def index(line: int, text: str = 'Invalid index type "KT | MissingT" for "dict[KT, VT]"; expected type "KT"') -> Finding:
        return Finding("b.py", line, 1, "index", "mypy", text, Severity.WARNING, Confidence.MEDIUM)

    found = in_context([index(5), index(6), index(5, 'Invalid index type "str"; expected type "int"')], {"b.py": source})
    assert [f.severity for f in found] == [Severity.INFO, Severity.WARNING, Severity.WARNING]


def test_a_bare_return_under_the_patchs_new_annotation_still_counts() -> None:
    original = "def exit(self, kind):\n    if kind is None:\n        return\n    return issubclass(kind, Error)\n"
    annotated = original.replace("def exit(self, kind):", "def exit(self, kind: type | None) -> bool:")

    def mypy_return(message: str) -> Finding:
        return Finding("s.py", 3, 1, "return-value", "mypy", message, Severity.ERROR, Confidence.HIGH)

    found = in_context(
        [mypy_return("Return value expected"), mypy_return('Incompatible return value type (got "None", expected "bool")')],
        {"s.py": annotated}, {"s.py": original},
    )  # fmt: skip
    assert [f.severity for f in found] == [Severity.ERROR, Severity.INFO]


ESCAPE = "def escape(value):\n    return ''.join('\\\\' + c if c in '\"\\\\' else c for c in value)\n"
REBOUND = """\
import re

_special = ''.join(re.escape(c) for c in '"\\\\')
_special = re.compile(f'[{_special}]')


def escape(value):
    return _special.sub(lambda m: '\\\\' + m.group(0), value)
"""


def test_a_name_rebound_to_another_type_is_explained_a_made_up_attribute_is_not(make_repo: MakeRepo) -> None:
    """tinycss2 1.5.0 builds a character class as a string, then rebinds the name to the compiled
    pattern: mypy types the name from its first assignment (str), so it calls the rebinding
    incompatible and the pattern's ``.sub`` missing. Python lets an unannotated name hold any type,
    and Pattern declares ``sub``; a made-up ``.subst`` (on neither type) still counts."""
    repo = make_repo({"esc.py": ESCAPE})
    report = check_patch(diff_after_edit(repo, {"esc.py": REBOUND}), repo, analyzers=frozenset({"mypy"}))
    assert sorted((s.finding.rule, s.finding.line, s.weight) for s in report.findings) == [
        ("assignment", 4, 0.0), ("attr-defined", 8, 0.0),
    ]  # fmt: skip
    assert report.verdict == "pass"
    made_up = REBOUND.replace("_special.sub(", "_special.subst(")
    report = check_patch(diff_after_edit(repo, {"esc.py": made_up}), repo, analyzers=frozenset({"mypy"}))
    assert [(s.finding.rule, s.finding.line) for s in report.findings if s.weight > 0] == [("attr-defined", 8)]
    assert report.verdict == "fail"


def test_only_a_plain_rebinding_in_the_same_block_counts_as_inference() -> None:
    def assignment(line: int) -> Finding:
        text = 'Incompatible types in assignment (expression has type "int", variable has type "str")'
        return Finding("r.py", line, 1, "assignment", "mypy", text, Severity.WARNING, Confidence.MEDIUM)

    plain = "x = 'a'\nx = 1\n"
    declared = "x: str = 'a'\nx = 1\n"  # the annotation declares the type: a real mismatch
    branch = "x = 'a'\nif c:\n    x = 1\n"  # another block: only one of the values may be live
    looped = "x = 'a'\nfor c in cs:\n    x = 'b'\n    x = 1\n"
    across = "x = 'a'\ndef f():\n    return x\nx = 1\n"  # f may read either value
    cases = {plain: 2, declared: 2, branch: 3, looped: 4, across: 4}
    found = [in_context([assignment(line)], {"r.py": source})[0].severity for source, line in cases.items()]
    assert found == [Severity.INFO, Severity.WARNING, Severity.WARNING, Severity.WARNING, Severity.WARNING]
