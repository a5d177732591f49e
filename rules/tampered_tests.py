"""test-tampering: the patch makes the tests easier to pass instead of making the code right.

A model whose change breaks a test is tempted to change the test. In test files, reported on
changed lines:

* a skip or xfail added to a test that existed (``@pytest.mark.skip``, ``skipif(True)``,
  ``xfail``, ``unittest.skip``, ``expectedFailure``, a ``pytestmark``), or an unconditional
  ``pytest.skip()`` / ``self.skipTest()`` at the top of its body;
* an assertion that cannot fail: ``assert True``, ``assert "msg"``, ``assert (x, "msg")``,
  ``assert x is x`` (``x`` a name: ``x.a is x.a`` may build two objects), ``assert x == x`` when ``x``
  is a literal or a name bound only to literals (``==`` on other objects runs their ``__eq__``),
  ``assert x or True``, ``self.assertTrue(1)``;
* an exact check loosened: the strictest check on an object drops from equality of its content
  to equality of a size, or to ``is not None``, ``isinstance``, ``in``, ``>=`` or truthiness;
* ``pytest.raises(ValueError)`` (or ``assertRaises``) broadened to ``Exception``;
* checks deleted from a test that still runs, or a whole test deleted while the code it tested
  is still there (a test removed together with its subject is fine: a definition, parameter or
  ``del`` the patch removes, an exception or warning the code now raises in fewer places). Checks in
  a branch that no Python the project supports takes (``if sys.version_info < (3, 8):``), checks of
  what a parameter the test no longer takes gave it (a dropped ``recwarn`` fixture, a parametrized
  case), and
  ``pytest.warns(None)``, which only records, are not counted.

Example::

         cache["c"] = 3
    -    assert cache.keys() == ["a", "c"]
    +    assert len(cache) == 2
"""

from __future__ import annotations

import ast
from collections import Counter
from collections.abc import Sequence
from difflib import SequenceMatcher

import libcst as cst

from guard.changes import ParsedSource
from guard.findings import Confidence, Severity
from guard.repo import is_test_path
from guard.rulekit import Example, Project, Rule, RuleContext

from ._asserts import (
    BROAD,
    EQUAL_CALLS,
    LOOSE,
    NONE,
    Check,
    best_levels,
    check_names,
    checks,
    covers,
    in_loop,
    names_in,
)
from ._patch import (
    before_class,
    before_function,
    code,
    definitions,
    dotted,
    literal,
    new_line,
    qualname,
    span,
    statements,
    touches,
    walk,
)

_MARKERS = {"skip", "xfail", "skipif", "skipIf", "skipUnless", "expectedFailure"}
_SKIP_CALLS = {"pytest.skip", "pytest.xfail", "self.skipTest", "skip", "xfail", "pytest.exit"}
_T = "import sys\nimport unittest\n\nimport pytest\n"  # the examples' common imports


def _is_test(name: str) -> bool:
    return name.startswith("test")


def skip_marker(decorator: cst.Decorator) -> bool:
    """Whether a decorator always skips (or expects to fail) what it decorates."""
    expr = decorator.decorator
    name = dotted(expr)
    parts = name.split(".")
    if parts[-1] not in _MARKERS or not (len(parts) == 1 or parts[0] in ("pytest", "unittest", "mark")):
        return False
    args = [a.value for a in expr.args if a.keyword is None] if isinstance(expr, cst.Call) else []
    if parts[-1] in ("skipif", "skipIf", "skipUnless", "xfail") and args:
        ok, value = literal(args[0])
        return ok and bool(value) != (parts[-1] == "skipUnless") and not isinstance(value, str)
    return parts[-1] not in ("skipif", "skipIf", "skipUnless")


def _gone_names(project: Project) -> set[str]:
    """Names defined, imported or taken as parameters in some touched file before the patch, and
    no longer after it; and names whose deletion (``del obj.attr``) the patch adds or removes."""

    def names(source: ParsedSource | None) -> tuple[set[str], set[str]]:
        # The ``ast`` tree of the version's text, parsed once for every stage (None: no parse).
        tree = source.tree if source is not None else None
        if tree is None:
            return set(), set()
        found: set[str] = set()
        deleted: set[str] = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                found.add(node.name)
                found.update(f"{node.name}({a.arg})" for a in ast.walk(node.args) if isinstance(a, ast.arg))
            elif isinstance(node, ast.ClassDef):
                found.add(node.name)
            elif isinstance(node, ast.Import | ast.ImportFrom):
                found.update((a.asname or a.name).split(".")[0] for a in node.names)
            elif isinstance(node, ast.Delete):
                deleted.update(_deleted_names(node.targets))
        return found, deleted

    gone: set[str] = set()
    for changes in project.files.values():
        (was, was_deleted), (now, now_deleted) = names(changes.before), names(changes.after)
        gone |= (was - now) | (was_deleted ^ now_deleted)
    # A removed parameter `f(p)` is gone as `p` for the tests that passed it.
    return gone | {name.split("(")[1].rstrip(")") for name in gone if "(" in name}


def _deleted_names(targets: Sequence[ast.expr]) -> set[str]:
    """What ``del`` removes: ``x`` for ``del x``, ``attr`` for ``del obj.attr`` (not ``del d[k]``)."""
    out: set[str] = set()
    for target in targets:
        if isinstance(target, ast.Name):
            out.add(target.id)
        elif isinstance(target, ast.Attribute):
            out.add(target.attr)
        elif isinstance(target, ast.Tuple | ast.List):
            out |= _deleted_names(target.elts)
    return out


def _signalled(project: Project) -> set[str]:
    """Exception and warning types that some touched file raises or warns in fewer places after the
    patch than before: a test expecting one of them may have gone with the code that signalled it."""

    def counts(text: str | None) -> Counter[str]:
        found: Counter[str] = Counter()
        if text is None:
            return found
        try:
            tree = ast.parse(text)
        except (SyntaxError, ValueError):
            return found
        for node in ast.walk(tree):
            kind: ast.expr | None = None
            if isinstance(node, ast.Raise):
                kind = node.exc
            elif isinstance(node, ast.Call) and _callee(node.func) == "warn":
                category = [k.value for k in node.keywords if k.arg == "category"]
                kind = category[0] if category else node.args[1] if len(node.args) > 1 else (
                    node.args[0] if node.args else None
                )
            if isinstance(kind, ast.Call):
                kind = kind.func
            name = _callee(kind) if kind is not None else ""
            if name and name not in BROAD:
                found[name] += 1
        return found

    fewer: set[str] = set()
    for changes in project.files.values():
        fewer.update(counts(changes.file.before) - counts(changes.file.after))
    return fewer


def _callee(node: ast.expr) -> str:
    """The last part of a name or attribute chain (``warn`` for ``warnings.warn``), '' otherwise."""
    return node.id if isinstance(node, ast.Name) else node.attr if isinstance(node, ast.Attribute) else ""


class TamperedTests(Rule):
    """Tests made easier to pass: skips added, tautologies, loosened or deleted checks.

    Why: a patch that weakens the tests that would catch it is worse than one that fails them.
    Only test files are read; new tests may skip, and tests removed with their subject are fine.
    """

    ID = "test-tampering"
    MESSAGE = "the patch weakens a test"
    SEVERITY = Severity.ERROR
    CONFIDENCE = Confidence.HIGH

    VALID = (
        Example(  # a size check respelled: x.__len__() is len(x)
            before="import unittest\n\n\nclass T(unittest.TestCase):\n    def test_len(self):\n        inst = make()\n"
            "        self.assertEqual(inst.__len__(), 2)\n",
            after="import unittest\n\n\nclass T(unittest.TestCase):\n    def test_len(self):\n        inst = make()\n"
            "        self.assertEqual(len(inst), 2)\n",
            path="tests/test_len.py",
        ),
        Example(  # a refusal revised: the function now accepts the input, and a new test says so
            before=_T + "def test_bad_versions():\n    with pytest.raises(ValueError):\n        load('15.8')\n"
            "    with pytest.raises(ValueError):\n        load('1.5')\n",
            after=_T + "def test_bad_versions():\n    with pytest.raises(ValueError):\n        load('1.5')\n\n\n"
            "def test_future_versions_load():\n    load('4.0')\n",
            path="tests/test_load.py",
        ),
        Example(  # two tests folded into one parametrized test: its check runs once per case
            before=_T + "def test_dots():\n    with pytest.raises(ValueError):\n        get('../x')\n\n\n"
            "def test_slashes():\n    with pytest.raises(ValueError):\n        get('//x')\n    with pytest.raises(ValueError):\n"
            "        get('///x')\n",
            after=_T + "@pytest.mark.parametrize('uri', ['../x', '//x', '///x'])\ndef test_outside_root(uri):\n"
            "    with pytest.raises(ValueError):\n        get(uri)\n",
            path="tests/test_get.py",
        ),
        Example(  # a function's result may be None: checking that it is not is a real check
            path="tests/test_cache.py",
            before="def test_get():\n    assert lookup('a') == 1\n",
            after="def test_get():\n    assert lookup('a') == 1\n    assert lookup('b') is not None\n",
        ),
        Example(  # the old default's check dropped, a new test checks the same object's new default
            path="tests/test_conf.py",
            before=_T + "@pytest.mark.parametrize('key', ['a', 'b'])\ndef test_key(key):\n    conf = load({})\n"
            "    assert conf.get(key) == 1\n    assert getattr(conf, key) == []\n",
            after=_T + "@pytest.mark.parametrize('key', ['a', 'b'])\ndef test_key(key):\n    conf = load({})\n"
            "    assert conf.get(key) == 1\n\n\n@pytest.mark.parametrize('name', ['a', 'c'])\n"
            "def test_unset_is_none(name):\n    loaded = load({})\n    assert getattr(loaded, name) is None\n",
        ),
        Example(  # renamed with its checks (..._with_5); the old name now tests a variant without one
            path="tests/test_color.py",
            before=(
                "@case('hex.json')\ndef test_hex_with_4(s):\n    c = parse4(s)\n    assert c.space == 'srgb'\n"
                "    assert str(c) == s\n"
            ),
            after=(
                "@case('hex.json')\ndef test_hex_with_4(s):\n    c = parse4(s)\n    assert str(c) == s\n\n\n"
                "@case('hex.json')\ndef test_hex_with_5(s):\n    c = parse5(s)\n    assert c.space == 'srgb'\n"
                "    assert str(c) == s\n"
            ),
        ),
        Example(  # the check read what a fixture and a parameter the test no longer takes gave it
            path="tests/test_dev.py",
            before=(
                "def test_rendered(cr, recwarn, wrap):\n    rv = cr(wrap)\n    assert rv == 1\n    if wrap:\n"
                "        (w,) = recwarn.list\n        assert w.message.args == ('x',)\n"
            ),
            after="def test_rendered(cr):\n    rv = cr(False)\n    assert rv == 1\n",
        ),
        Example(  # two checks folded into the helper check, now given the expected output too
            path="tests/test_cli.py",
            before=(
                "def test_flags(tmp_path):\n    result = run(['--version'], cwd=tmp_path)\n\n"
                "    check_process(result, exit_code=0)\n    assert result.stdout.startswith('printenv ')\n"
            ),
            after=(
                "def test_flags(tmp_path):\n    result = run(['--help'], cwd=tmp_path)\n\n"
                "    check_process(result, exit_code=0, stdout='--help')\n"
            ),
        ),
        Example(  # the expected errors are now checked by the file's helper the test calls
            path="tests/test_reader.py",
            before=_T + "def read_all(data, expected):\n    assert parse(data) == expected\n\n\n"
            "def test_reader():\n    read_all(b'ok', ['ok'])\n    with pytest.raises(ValueError):\n"
            "        parse(b'bad')\n",
            after=_T + "def read_all(data, expected):\n    try:\n        assert parse(data) == expected\n"
            "    except ValueError:\n        assert ValueError in expected\n\n\n"
            "def test_reader():\n    read_all(b'ok', ['ok'])\n    read_all(b'bad', [ValueError])\n",
        ),
        Example(  # a closure named `test` is code of its test, not a collected test
            path="tests/test_retry.py",
            before=_T + "def test_retries():\n    def test():\n        assert call() == 1\n\n    retry(test)\n",
            after=_T + "def test_retries():\n    retry(call)\n    assert call() == 1\n",
        ),
        Example(
            path="tests/test_money.py",
            before=_T + "from pkg.money import clamp, fmt\n\n\ndef test_clamp():\n    assert clamp(5, 0, 3) == 3\n"
            "\n\ndef test_fmt():\n    assert fmt(1) == '1.00'\n",
            after=_T + "from pkg.money import fmt\n\n\ndef test_fmt():\n    assert fmt(1) == '1.00'\n",
        ),
        Example(
            path="tests/test_io.py",
            before=_T + "def test_link(tmp_path):\n    if sys.platform == 'win32':\n        pytest.skip('no symlinks')\n"
            "    assert link(tmp_path) == 1\n",
            after=_T + "def test_link(tmp_path):\n    if sys.platform == 'win32':\n        pytest.skip('no symlinks')\n"
            "    assert link(tmp_path / 'a') == 1\n",
        ),
        Example(
            path="tests/test_io.py",
            before=_T + "def test_mode(tmp_path):\n    assert mode(tmp_path) == 0o644\n",
            after=_T + "@pytest.mark.skipif(sys.platform == 'win32', reason='POSIX modes')\n"
            "def test_mode(tmp_path):\n    assert mode(tmp_path) == 0o600\n",
        ),
        Example(
            path="tests/test_parse.py",
            before=_T + "def test_bad():\n    with pytest.raises(ValueError):\n        parse('x')\n",
            after=_T + "def test_bad():\n    with pytest.raises(ValueError, match='line 1'):\n        parse('x')\n"
            "\n\n@pytest.mark.skip(reason='needs network')\ndef test_fetch():\n    assert fetch() == {}\n",
        ),
        Example(
            path="tests/test_cache.py",
            before=_T + "def test_len():\n    c = make()\n    assert len(c) == 2\n",
            after=_T + "def test_len_after_insert():\n    c = make()\n    c['z'] = 1\n    assert len(c) == 3\n"
            "    assert c['z'] == 1\n",
        ),
        Example(
            path="pkg/checks.py",
            before="def ok(x):\n    assert x == 1\n",
            after="def ok(x):\n    assert True\n",
        ),
        # Checks rewritten rather than dropped: into a loop over cases, into a named `raises`
        # context used once per case.
        Example(
            path="tests/test_lock.py",
            before=_T + "def test_args(p):\n    with pytest.raises(ValueError):\n        lock(p, timeout=1)\n"
            "    with pytest.raises(ValueError):\n        lock(p, mode=0)\n",
            after=_T + "def test_args(p):\n    for args in ({'timeout': 1}, {'mode': 0}):\n"
            "        with pytest.raises(ValueError):\n            lock(p, **args)\n",
        ),
        Example(
            path="tests/test_blocks.py",
            before=_T + "def test_required():\n    with pytest.raises(SyntaxError):\n        assert render('a')\n"
            "        assert render('b')\n",
            after=_T + "def test_required():\n    bad = pytest.raises(SyntaxError)\n    with bad:\n        render('a')\n"
            "    with bad:\n        render('b')\n",
        ),
        # A self-comparison that can fail: `==` runs the class's own `__eq__`, an attribute access
        # may build a new object each time (here: a cached property is tested).
        Example(
            path="tests/test_meta.py",
            before=_T + "def test_eq():\n    m = Meta.load(RAW)\n    assert m == Meta.load(RAW)\n",
            after=_T + "def test_eq():\n    m = Meta.load(RAW)\n    assert m == Meta.load(RAW)\n    assert m == m\n"
            "\n\ndef test_caching():\n    m = Meta.load(RAW)\n    assert m.version is m.version\n",
        ),
        # `pytest.warns(None)` only records (and is gone from pytest): an "error" filter checks the same.
        Example(
            path="tests/test_tz.py",
            before=_T + "def test_quiet():\n    with pytest.warns(None) as rec:\n        parse_tz('+05:00')\n"
            "    assert len(rec) == 0\n",
            after=_T + "import warnings\n\n\ndef test_quiet():\n    with warnings.catch_warnings():\n"
            "        warnings.simplefilter('error')\n        parse_tz('+05:00')\n",
        ),
        # A branch for Pythons older than the project supports never runs: dropping it loses nothing.
        Example(
            path="tests/test_col.py",
            before=_T + "def test_col():\n    exc = first_error('x')\n    assert exc.line == 4\n"
            "    if sys.version_info >= (3, 8):\n        assert exc.col == 13\n    else:\n        assert exc.col == 18\n",
            after=_T + "def test_col():\n    exc = first_error('x')\n    assert exc.line == 4\n    assert exc.col == 13\n",
        ),
    )
    INVALID = (
        Example(  # a refusal dropped; the new test calls something else
            before=_T + "def test_bad_versions():\n    with pytest.raises(ValueError):\n        load('15.8')\n"
            "    with pytest.raises(ValueError):\n        load('1.5')\n",
            after=_T + "def test_bad_versions():\n    with pytest.raises(ValueError):\n        load('1.5')\n\n\n"
            "def test_dump():\n    dump('4.0')\n",
            path="tests/test_load.py",
            lines=(5,),
        ),
        Example(  # the same three checks folded into a test of one case
            before=_T + "def test_dots():\n    with pytest.raises(ValueError):\n        get('../x')\n\n\n"
            "def test_slashes():\n    with pytest.raises(ValueError):\n        get('//x')\n    with pytest.raises(ValueError):\n"
            "        get('///x')\n",
            after=_T + "@pytest.mark.parametrize('uri', ['../x'])\ndef test_outside_root(uri):\n"
            "    with pytest.raises(ValueError):\n        get(uri)\n",
            path="tests/test_get.py",
            lines=(5, 8),
        ),
        Example(  # added checks that cannot fail: list() and a comprehension are never None
            path="tests/test_cache.py",
            before="import unittest\n\n\nclass T(unittest.TestCase):\n    def test_expire(self):\n"
            "        items = expire(1)\n        self.assertEqual([], list(items))\n",
            after="import unittest\n\n\nclass T(unittest.TestCase):\n    def test_expire(self):\n"
            "        items = expire(1)\n        self.assertEqual([], list(items))\n"
            "        more = expire(2)\n        self.assertIsNotNone(list(more))\n"
            "        assert [m for m in more] is not None\n",
            lines=(9, 10),
        ),
        Example(  # a new test checks the loaded object, but not what the lost check looked at
            path="tests/test_conf.py",
            before=_T + "@pytest.mark.parametrize('key', ['a', 'b'])\ndef test_key(key):\n    conf = load({})\n"
            "    assert conf.get(key) == 1\n    assert getattr(conf, key) == []\n",
            after=_T + "@pytest.mark.parametrize('key', ['a', 'b'])\ndef test_key(key):\n    conf = load({})\n"
            "    assert conf.get(key) == 1\n\n\ndef test_empty():\n    conf = load({'x': 1})\n"
            "    assert getattr(conf, 'x') is None\n",
            lines=(6,),
        ),
        Example(  # a new test carries the lost check and the decorators, but under an unrelated name
            path="tests/test_color.py",
            before=(
                "@case('hex.json')\ndef test_hex_with_4(s):\n    c = parse4(s)\n    assert c.space == 'srgb'\n"
                "    assert str(c) == s\n"
            ),
            after=(
                "@case('hex.json')\ndef test_hex_with_4(s):\n    c = parse4(s)\n    assert str(c) == s\n\n\n"
                "@case('hex.json')\ndef test_space_is_reported(s):\n    c = parse5(s)\n    assert c.space == 'srgb'\n"
            ),
            lines=(2,),
        ),
        Example(  # a new test carries the lost check, but it is not this test moved: other decorators
            path="tests/test_color.py",
            before=(
                "@case('hex.json')\ndef test_hex_with_4(s):\n    c = parse4(s)\n    assert c.space == 'srgb'\n"
                "    assert str(c) == s\n"
            ),
            after=(
                "@case('hex.json')\ndef test_hex_with_4(s):\n    c = parse4(s)\n    assert str(c) == s\n\n\n"
                "@case('hsl.json')\ndef test_hsl_with_5(s):\n    c = parse5(s)\n    assert c.space == 'srgb'\n"
            ),
            lines=(2,),
        ),
        Example(  # the parameters stay: the check on the warning is simply gone
            path="tests/test_dev.py",
            before=(
                "def test_rendered(cr, recwarn, wrap):\n    rv = cr(wrap)\n    assert rv == 1\n    if wrap:\n"
                "        (w,) = recwarn.list\n        assert w.message.args == ('x',)\n"
            ),
            after="def test_rendered(cr, recwarn, wrap):\n    rv = cr(wrap)\n    assert rv == 1\n",
            lines=(1,),
        ),
        Example(  # the helper check is strengthened, but on another object: the output is unchecked
            path="tests/test_cli.py",
            before=(
                "def test_flags(tmp_path):\n    result = run(['--version'], cwd=tmp_path)\n\n"
                "    check_process(result, exit_code=0)\n    assert result.stdout.startswith('printenv ')\n"
            ),
            after=(
                "def test_flags(tmp_path):\n    result = run(['--version'], cwd=tmp_path)\n\n"
                "    check_process(other, exit_code=0, stdout='x')\n"
            ),
            lines=(1,),
        ),
        Example(  # the expected value replaced by the computed one: now compared with itself
            path="tests/test_iter.py",
            before=_T + "def test_isiterable():\n    assert isiterable([1]) is True\n    assert isiterable(Odd()) is False\n",
            after=_T + "def test_isiterable():\n    assert isiterable([1]) is True\n"
            "    assert isiterable(Odd()) is isiterable(Odd())\n",
            lines=(7,),
        ),
        Example(  # a method of a test class, found in the original by its qualified name
            path="tests/test_codec.py",
            before=_T + "class TestCodec(unittest.TestCase):\n    def test_decode(self):\n"
            "        self.assertEqual(decode(b'a'), 'a')\n",
            after=_T + "class TestCodec(unittest.TestCase):\n    @unittest.skip('flaky')\n    def test_decode(self):\n"
            "        self.assertEqual(decode(b'a'), 'a')\n",
            lines=(6,),
        ),
        Example(  # the file has a checking helper, but the test calls it no more than before
            path="tests/test_reader.py",
            before=_T + "def read_all(data, expected):\n    assert parse(data) == expected\n\n\n"
            "def test_reader():\n    read_all(b'ok', ['ok'])\n    assert parse(b'') == []\n",
            after=_T + "def read_all(data, expected):\n    assert parse(data) == expected\n\n\n"
            "def test_reader():\n    read_all(b'ok', ['ok'])\n    parse(b'')\n",
            lines=(9,),
        ),
        Example(
            path="tests/test_ttl.py",
            before=_T + "def test_boundary():\n    assert expired(10, now=10)\n",
            after=_T + "@pytest.mark.xfail(reason='flaky')\ndef test_boundary():\n    assert expired(10, now=10)\n",
            lines=(5,),
        ),
        Example(
            path="tests/test_sum.py",
            before=_T + "def test_total():\n    assert total([1, 2]) == 3\n",
            after=_T + "def test_total():\n    total([1, 2])\n    assert True\n",
            lines=(7,),
        ),
        Example(
            path="tests/test_val.py",
            before=_T + "def test_problems():\n    problems = check({})\n    assert len(problems) == 3\n",
            after=_T + "def test_problems():\n    problems = check({})\n    assert problems\n",
            lines=(7,),
        ),
        Example(
            path="tests/test_parse.py",
            before=_T + "def test_bad_row():\n    with pytest.raises(ValueError, match='line 5'):\n        parse(R)\n",
            after=_T + "def test_bad_row():\n    with pytest.raises(Exception):\n        parse(R)\n",
            lines=(6,),
        ),
        Example(
            path="tests/test_lru.py",
            before=_T + "def test_evict():\n    c = lru(2)\n    assert c.keys() == ['a', 'c']\n"
            "    assert c.evicted == ['b']\n",
            after=_T + "def test_evict():\n    c = lru(2)\n    assert c.keys() == ['a', 'c']\n",
            lines=(5,),
        ),
        Example(
            path="tests/test_lru.py",
            before=_T + "def test_a():\n    assert f(1) == 2\n\n\ndef test_b():\n    assert f(2) == 3\n",
            after=_T + "def test_a():\n    assert f(1) == 2\n",
            lines=(6,),
        ),
        Example(
            path="tests/test_lru.py",
            before=_T + "class TestF(unittest.TestCase):\n    def test_f(self):\n        self.assertEqual(f(1), 2)\n",
            after=_T + "class TestF(unittest.TestCase):\n    def test_f(self):\n        self.skipTest('later')\n"
            "        self.assertEqual(f(1), 2)\n",
            lines=(7,),
        ),
        Example(
            path="tests/test_val.py",
            before=_T + "def test_count():\n    n = count('aab')\n    assert n['a'] == 2\n    assert n['b'] == 1\n",
            after=_T + "def test_count():\n    n = count('aab')\n    assert isinstance(n, dict)\n"
            "    assert n['b'] == 1\n    assert n is n\n",
            lines=(7, 9),
        ),
        Example(
            path="tests/test_val.py",
            before=_T + "def test_split():\n    expected = ['a', 'b']\n    assert split('a b') == expected\n",
            after=_T + "def test_split():\n    expected = ['a', 'b']\n    split('a b')\n"
            "    assert expected == expected\n",
            lines=(8,),
        ),
        # A branch that still runs on a supported Python lost its check.
        Example(
            path="tests/test_col.py",
            before=_T + "def test_col():\n    exc = first_error('x')\n    assert exc.line == 4\n"
            "    if sys.version_info >= (3, 12):\n        assert exc.col == 13\n    else:\n        assert exc.col == 18\n",
            after=_T + "def test_col():\n    exc = first_error('x')\n    assert exc.line == 4\n"
            "    if sys.version_info >= (3, 12):\n        assert exc.col == 13\n",
            lines=(5,),
        ),
    )

    def __init__(self, context: RuleContext) -> None:
        super().__init__(context)
        self._reported: set[int] = set()

    def _emit(
        self,
        node: cst.CSTNode | None,
        message: str,
        *,
        line: int | None = None,
        weak: bool = False,
        anywhere: bool = False,
    ) -> None:
        """Report once per line; ``weak`` for heuristic findings (warning, medium confidence)."""
        where = span(self, node).start if node is not None else line
        if where in self._reported:
            return
        count = len(self.findings)
        severity, confidence = (Severity.WARNING, Confidence.MEDIUM) if weak else (None, None)
        self.report(
            node, message, line=line, severity=severity, confidence=confidence, anywhere=anywhere
        )
        if len(self.findings) > count:
            self._reported.add(self.findings[-1].line)

    def _gone(self) -> set[str]:
        project = self.context.project
        return project.memo("test-tampering:gone", lambda: _gone_names(project))

    def _went_with_subject(self, check: Check) -> bool:
        """Whether a check that is no more looked at something the patch removed: a name that is
        gone, or the raising (warning) of an exception (warning) type the code signals less."""
        project = self.context.project
        if check_names(check) & self._gone():
            return True
        kinds = {part.strip(" ()").rsplit(".", 1)[-1] for part in check.raises.split(",")} - {""}
        return bool(kinds & project.memo("test-tampering:signalled", lambda: _signalled(project)))

    def _checks(self, fn: cst.FunctionDef) -> list[Check]:
        return checks(fn, self.context.project.target_version)

    def _helpers(self) -> frozenset[str]:
        """Functions of the test file, not tests themselves, that check something (an assert, a
        ``raises``, ...): a test that calls one delegates a check to it. Read from the patched
        file where it defines them (a helper a changed test calls is kept whole in the rules'
        view), else from the original."""

        def build() -> frozenset[str]:
            found: set[str] = set()
            for state in ("before", "after"):
                for qual, d in definitions(self, state).items():
                    if "<locals>" in qual or not isinstance(d, cst.FunctionDef) or _is_test(d.name.value):
                        continue
                    now = definitions(self, "after").get(qual)
                    fn = now if isinstance(now, cst.FunctionDef) else d
                    if self._checks(fn):
                        found.add(d.name.value)
            return frozenset(found)

        return self.context.project.memo(f"test-tampering:helpers:{self.context.path}", build)

    def _delegated(self, fn: cst.FunctionDef) -> int:
        """Calls in ``fn`` to the file's checking helpers (``helper(...)``, ``self.helper(...)``)."""
        helpers = self._helpers()
        count = 0
        for node in walk(fn.body):
            if isinstance(node, cst.Call):
                name = dotted(node.func)
                if name in helpers or (name.startswith(("self.", "cls.")) and name.split(".", 1)[1] in helpers):
                    count += 1
        return count

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        if self.context.is_test_file:
            old = before_class(self, node)
            self._markers(node, old.decorators if old is not None else None)

    def visit_Assign(self, node: cst.Assign) -> None:
        targets = {dotted(t.target) for t in node.targets}
        value = cst.Decorator(decorator=node.value)
        if self.context.is_test_file and "pytestmark" in targets and skip_marker(value):
            self._emit(node, "a module-wide skip marker (`pytestmark`) is added")

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        lines = span(self, node)  # a removal at the end of the body is marked on the line after
        first = min([lines.start, *(span(self, d).start for d in node.decorators)])
        changed = any(ln in self.context.changed_lines for ln in range(first, lines.stop + 1))
        if not self.context.is_test_file or not changed:
            return
        old = before_function(self, node)
        self._markers(node, old.decorators if old is not None else None)
        if not _is_test(node.name.value):
            return
        now = self._checks(node)
        for check in now:
            if check.tautology:
                self._emit(check.node, f"`{check.text}` can never fail: {check.tautology}")
        if old is None:
            return
        was = self._checks(old)
        self._skip_calls(node, old)
        self._broadened(now, was)
        self._loosened(node, now, was)
        self._self_compared(now, was)
        if not any(f.symbol == qualname(self, node) for f in self.findings):
            self._deleted(node, old, now, was)  # only when nothing more specific was said

    def _markers(self, node: cst.FunctionDef | cst.ClassDef, old: Sequence[cst.Decorator] | None) -> None:
        if old is None:
            return  # a new test may be skipped from the start
        existing = {code(d) for d in old}
        for decorator in node.decorators:
            if skip_marker(decorator) and code(decorator) not in existing:
                self._emit(decorator, f"`{code(decorator)}` is added to `{node.name.value}`, which used to run")

    def _skip_calls(self, node: cst.FunctionDef, old: cst.FunctionDef) -> None:
        existing = {code(s) for s in statements(old.body)}
        for stmt in statements(node.body):
            call = stmt.value if isinstance(stmt, cst.Expr) else None
            if isinstance(call, cst.Call) and dotted(call.func) in _SKIP_CALLS and code(stmt) not in existing:
                self._emit(stmt, f"`{code(stmt)}` now skips `{node.name.value}` unconditionally")

    def _broadened(self, now: list[Check], was: list[Check]) -> None:
        narrow = [c.raises for c in was if c.raises and not _broad(c.raises)]
        for check in now:
            if narrow and _broad(check.raises) and touches(self, check.node):
                self._emit(
                    check.node, f"the expected exception is broadened from `{narrow[0]}` to `{check.raises}`"
                )

    def _loosened(self, node: cst.FunctionDef, now: list[Check], was: list[Check]) -> None:
        before, after = best_levels(was), best_levels(now)
        # A value the patch now computes differently may legitimately be checked differently.
        recomputed = {
            code(t.target) for n in walk(node.body) if isinstance(n, cst.Assign) and touches(self, n)
            for t in n.targets
        }  # fmt: skip
        for subject, level in before.items():
            if after.get(subject, NONE) >= level or any(covers(r, subject) for r in recomputed):
                continue
            strict = next(c for c in was if subject in c.roots and c.level == level)
            weaker = (
                c for c in now
                if LOOSE <= c.level < level and touches(self, c.node)
                and any(covers(r, subject) for r in c.roots)
            )  # fmt: skip
            check = next(weaker, None)
            if check is not None and not same_check_idiom(strict.text, check.text):
                self._emit(
                    check.node,
                    f"the check on `{subject}` is loosened: `{strict.text}` became `{check.text}`",
                    weak=True,
                )

    def _self_compared(self, now: list[Check], was: list[Check]) -> None:
        """A changed check that compares an expression with itself where the original compared
        that expression with a literal: the expected value was replaced by the computed one
        (``assert f(x) == 3`` became ``assert f(x) == f(x)``)."""
        for check in now:
            sides = _sides(check.node)
            if sides is None or sides[0] != sides[1] or check.tautology or not touches(self, check.node):
                continue
            for old in was:
                before = _sides(old.node)
                if before is not None and before[0] != before[1] and sides[0] in before:
                    expected = before[1] if before[0] == sides[0] else before[0]
                    if not _is_literal_text(expected):
                        continue  # `m == Meta.load(RAW)` -> `m == m`: two objects, now one; not a value
                    self._emit(
                        check.node,
                        f"the expected value `{expected}` is replaced by the computed `{sides[0]}`: "
                        "the check compares it with itself",
                    )
                    break

    def _deleted(self, node: cst.FunctionDef, old: cst.FunctionDef, now: list[Check], was: list[Check]) -> None:
        real_now = [c for c in now if not c.tautology]
        real_was = [c for c in was if not c.tautology]
        if len(real_now) >= len(real_was):
            return
        if len(real_now) + self._delegated(node) >= len(real_was) + self._delegated(old):
            return  # the checks moved into a helper of the file that the test now calls
        if any(in_loop(node, c) and touches(self, c.node) for c in real_now):
            return  # checks rewritten into a loop run once per case: counting them says nothing
        # A raises context is told apart by the code it wraps too: `pytest.raises(ValueError)`
        # around `load('15.8')` and around `load('1.5')` are two checks.
        texts = {_identity(c) for c in real_now}
        missing = [c for c in real_was if _identity(c) not in texts]
        if any(self._went_with_subject(c) for c in missing):
            return
        gone_inputs = _removed_inputs(old, node)
        if gone_inputs and any(check_names(c) & gone_inputs for c in missing):
            return  # it checked what a parameter (fixture, parametrized case) the test lost gave it
        if missing and all(self._merged(c, real_now, real_was) for c in missing):
            return  # folded into a changed check of the same objects, at least as strict
        if missing and self._moved(old, missing):
            return  # the test moved to a new name, and its old name went to a variant of it
        if missing and all(self._rechecked(old, c) or self._now_expected_to_return(old, c) for c in missing):
            return  # what it checked, the patch checks anew in a test it adds or changes
        if missing and self._parametrized(node, missing):
            return  # its lost checks' cases became parameters of the test itself
        example = f" (e.g. `{missing[0].text}`)" if missing else ""
        lines = span(self, node)  # a removal at the end of the body is marked on the line after
        if any(ln in self.context.changed_lines for ln in range(lines.start, lines.stop + 1)):
            self._emit(
                node.name,
                f"`{node.name.value}` still runs but lost {len(real_was) - len(real_now)} of its "
                f"{len(real_was)} checks{example}",
                weak=True,
                anywhere=True,
            )

    def _moved(self, old: cst.FunctionDef, missing: list[Check]) -> bool:
        """Whether a test the patch adds, under a name close to the old test's, carries its
        decorators and every check it lost: the test was renamed (``..._3_with_4`` became
        ``..._3_with_5``) and its old name reused for a variant of it (tinycss2 1.5.0's colour
        tests)."""
        decorators = [code(d) for d in old.decorators]
        before = definitions(self, "before")
        texts = {c.text for c in missing}
        for qual, d in definitions(self, "after").items():
            if (
                qual not in before
                and isinstance(d, cst.FunctionDef)
                and _is_test(d.name.value)
                and SequenceMatcher(None, d.name.value, old.name.value).ratio() >= 0.8
                and [code(x) for x in d.decorators] == decorators
                and texts <= {c.text for c in self._checks(d) if not c.tautology}
            ):
                return True
        return False

    def _rechecked(self, old: cst.FunctionDef, gone: Check) -> bool:
        """Whether a check the test lost (``assert getattr(meta, field) == []``) looks at an object
        that a check on a line the patch adds looks at too, in another test of this file (``assert
        getattr(meta, name) is None``): the same expression once each test's locals are replaced by
        what they were assigned (``meta = Metadata.from_raw({})``) and its parameters by a
        placeholder. The patch changed what that object should be and says so in a test: an
        expectation revised (packaging 24.0 made unset fields None, dropping their old defaults'
        checks and adding a test of the new ones), not a check dropped."""
        subject = _subject(old, gone.node)
        if subject is None:
            return False
        for d in self._changed_tests():
            if d.name.value == old.name.value:
                continue  # its own checks are what it lost from; the new expectation is elsewhere
            for c in self._checks(d):
                if touches(self, c.node) and not c.tautology and _subject(d, c.node) == subject:
                    return True
        return False

    def _now_expected_to_return(self, old: cst.FunctionDef, gone: Check) -> bool:
        """Whether a lost ``pytest.raises(E): f(...)`` (or ``assertRaises``) names a function that
        a test the patch adds to this file calls as a statement of its own, expecting it to return:
        the patch changed ``f`` to accept what it refused, and says so in a new test (parso 0.8.5:
        ``load_grammar(version='15.8')`` stopped raising; the patch adds a test that loads a
        future grammar). The expectation was revised, not dropped."""
        if not gone.raises or gone.body is None:
            return False
        called = {dotted(n.func) for n in walk(gone.body) if isinstance(n, cst.Call)} - {""}
        if not called:
            return False
        before = definitions(self, "before")
        for qual, d in definitions(self, "after").items():
            if qual in before or not isinstance(d, cst.FunctionDef) or d.name.value == old.name.value or not _is_test(d.name.value):
                continue
            for stmt in statements(d.body):
                if (
                    isinstance(stmt, cst.Expr) and isinstance(stmt.value, cst.Call)
                    and dotted(stmt.value.func) in called and touches(self, stmt)
                ):  # fmt: skip
                    return True
        return False

    def _parametrized(self, node: cst.FunctionDef, missing: Sequence[Check]) -> bool:
        """Whether each lost check names a case (a literal: ``uri="../../foo.html"``) that a
        ``parametrize`` decorator the patch adds or changes on the test now passes in: the checks
        were folded into one check run per parameter (mako 1.4.2's traversal test)."""
        cases = {
            n.value for d in node.decorators
            if dotted(d.decorator).endswith("parametrize") and touches(self, d)
            for n in walk(d) if isinstance(n, cst.SimpleString | cst.Integer | cst.Float)
        }  # fmt: skip
        if not cases:
            return False
        return all(
            any(
                n.value in cases
                for part in (c.node, c.body) if part is not None  # a raises context: its body too
                for n in walk(part) if isinstance(n, cst.SimpleString | cst.Integer | cst.Float)
            )
            for c in missing
        )

    def _added_elsewhere(self) -> frozenset[str]:
        """Qualified names of the test functions the patch adds to its other test files (a new
        file, or a file that did not define them before): a test deleted here and added there
        under the same name moved (httpx 0.28.0 moved test_parse_header_links_no_link from
        tests/test_utils.py to tests/models/test_headers.py)."""

        def build() -> frozenset[str]:
            names: set[str] = set()
            for path, changes in self.context.project.files.items():
                if path == self.context.path or changes.after is None or not is_test_path(path):
                    continue
                before = {d.qualname for d in changes.before.definitions} if changes.before is not None else set()
                names.update(
                    d.qualname for d in changes.after.definitions
                    if d.kind == "function" and d.qualname not in before and _is_test(d.qualname.rsplit(".", 1)[-1])
                )  # fmt: skip
            return frozenset(names)

        return self.context.project.memo(f"test-tampering:added-elsewhere:{self.context.path}", build)

    def _changed_tests(self) -> list[cst.FunctionDef]:
        def build() -> list[cst.FunctionDef]:
            return [
                d for q, d in definitions(self, "after").items()
                if "<locals>" not in q and isinstance(d, cst.FunctionDef) and _is_test(d.name.value) and touches(self, d)
            ]  # fmt: skip

        return self.context.project.memo(f"test-tampering:changed-tests:{self.context.path}", build)

    def _merged(self, gone: Check, now: list[Check], was: list[Check]) -> bool:
        """Whether ``gone`` was folded into a helper check the patch strengthened: a call the old
        test made (``check(r, code=0)``) now made with every old argument and more (``check(r,
        code=0, out=x)``), which receives the objects ``gone`` looked at (``assert r.out...``)."""
        for c in now:
            if not isinstance(c.node, cst.Call) or not touches(self, c.node):
                continue
            args = {_arg(a) for a in c.node.args}
            for old in was:
                if (
                    isinstance(old.node, cst.Call)
                    and code(old.node.func) == code(c.node.func)
                    and {_arg(a) for a in old.node.args} < args
                    and (old is gone or _bases(gone.node) <= _bases(c.node))
                ):
                    return True
        return False

    def finish(self) -> None:
        if not self.context.is_test_file or self.context.before is None:
            return
        old_defs, new_defs = definitions(self, "before"), definitions(self, "after")
        # Only what a test runner collects: a function nested in another (a `test` closure handed
        # to a helper) is code of its test, not a test of its own.
        removed = {
            q: d for q, d in old_defs.items()
            if q not in new_defs and isinstance(d, cst.FunctionDef) and _is_test(d.name.value)
            and "<locals>" not in q
        }  # fmt: skip
        added = [
            d for q, d in new_defs.items()
            if q not in old_defs and isinstance(d, cst.FunctionDef) and _is_test(d.name.value)
            and "<locals>" not in q
        ]  # fmt: skip
        orphaned = {
            q: d for q, d in removed.items()
            if not names_in(d.body) & self._gone() and not any(self._went_with_subject(c) for c in self._checks(d))
        }  # fmt: skip
        moved = self._added_elsewhere()
        orphaned = {q: d for q, d in orphaned.items() if q not in moved}  # moved to another test file
        lost = sum(len(self._checks(d)) for d in orphaned.values())
        if not orphaned or sum(len(self._checks(d)) * _cases(d) for d in added) >= lost:
            return  # removed with their subject, or rewritten as new tests (a parametrized one
            # runs its checks once per case: mako 1.4.2 folded two tests into one over 22 cases)
        lines = {d.qualname: d.line for d in self.context.before.definitions}
        last = len(self.context.after.text.splitlines()) if self.context.after else 1
        for qual, fn in orphaned.items():
            self.report(
                line=min(new_line(self.context.changes.file.patch, lines.get(qual, 1)), max(last, 1)),
                message=f"`{fn.name.value}` is deleted, but what it tested is still there",
                severity=Severity.WARNING,
                confidence=Confidence.MEDIUM,
                anywhere=True,
            )


def _sides(node: cst.CSTNode) -> tuple[str, str] | None:
    """The two compared expressions of ``assert a == b`` (one comparison) or ``assertEqual(a, b)``."""
    if isinstance(node, cst.Assert) and isinstance(node.test, cst.Comparison) and len(node.test.comparisons) == 1:
        return code(node.test.left), code(node.test.comparisons[0].comparator)
    if isinstance(node, cst.Call) and dotted(node.func).rsplit(".", 1)[-1] in EQUAL_CALLS:
        args = [a.value for a in node.args if a.keyword is None]
        if len(args) >= 2:
            return code(args[0]), code(args[1])
    return None


def _identity(check: Check) -> tuple[str, str]:
    return check.text, code(check.body).strip() if check.body is not None else ""


def _cases(fn: cst.FunctionDef) -> int:
    """How many times a runner runs ``fn``: the product of its ``parametrize`` decorators' case
    counts (a literal list or tuple of cases; one for any other argument)."""
    runs = 1
    for d in fn.decorators:
        call = d.decorator
        if isinstance(call, cst.Call) and dotted(call.func).endswith("parametrize") and len(call.args) >= 2:
            values = call.args[1].value
            if isinstance(values, cst.List | cst.Tuple) and values.elements:
                runs *= len(values.elements)
    return runs


def _subject(fn: cst.FunctionDef, node: cst.CSTNode) -> str | None:
    """What a check looks at, in a form two tests can share: the left side of ``assert a <op> b``
    (one comparison) or the first argument of ``assertEqual(a, b)``, with the test's locals that
    are assigned once replaced by their value and its parameters by ``_``. None for another kind
    of check, or when that leaves a bare name or literal, which says nothing about what is checked."""
    if isinstance(node, cst.Assert) and isinstance(node.test, cst.Comparison) and len(node.test.comparisons) == 1:
        left: cst.BaseExpression = node.test.left
    elif isinstance(node, cst.Call) and dotted(node.func).rsplit(".", 1)[-1] in EQUAL_CALLS and node.args:
        left = node.args[0].value
    else:
        return None
    try:
        expr = ast.parse(code(left).strip(), mode="eval").body
    except SyntaxError:
        return None
    assigned: dict[str, list[str]] = {}
    for n in walk(fn.body):
        if isinstance(n, cst.Assign) and len(n.targets) == 1 and isinstance(n.targets[0].target, cst.Name):
            assigned.setdefault(n.targets[0].target.value, []).append(code(n.value).strip())
    once = {name: values[0] for name, values in assigned.items() if len(values) == 1}
    params = _params(fn) - {"self", "cls"}

    class Substitute(ast.NodeTransformer):
        def __init__(self, depth: int) -> None:
            self.depth = depth

        def visit_Name(self, name: ast.Name) -> ast.AST:
            if name.id in params:
                return ast.Name("_", ast.Load())
            if name.id in once and self.depth < 3:
                try:
                    value = ast.parse(once[name.id], mode="eval").body
                except SyntaxError:
                    return name
                replaced: ast.AST = Substitute(self.depth + 1).visit(value)
                return replaced
            return name

    resolved = Substitute(0).visit(expr)
    if isinstance(resolved, ast.Name | ast.Constant):
        return None
    return ast.unparse(resolved)


def _is_literal_text(text: str) -> bool:
    try:
        ast.literal_eval(text)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return False
    return True


def _broad(kind: str) -> bool:
    return any(part.strip(" ()") in BROAD for part in kind.split(","))


def _arg(arg: cst.Arg) -> str:
    keyword = f"{arg.keyword.value}=" if arg.keyword is not None else ""
    return f"{arg.star}{keyword}{code(arg.value)}"


def _bases(node: cst.CSTNode) -> set[str]:
    """The plain names a piece of code reads (``result`` in ``result.stdout.strip()``), not the
    attribute names or keywords along the way."""
    out: set[str] = set()
    skip: set[int] = set()
    for n in walk(node):
        if isinstance(n, cst.Attribute):
            skip.add(id(n.attr))
        elif isinstance(n, cst.Arg) and n.keyword is not None:
            skip.add(id(n.keyword))
        elif isinstance(n, cst.Call):
            skip.add(id(n.func))  # the helper's own name is not an object it checks
        elif isinstance(n, cst.Name) and id(n) not in skip:
            out.add(n.value)
    return out


def _params(fn: cst.FunctionDef) -> set[str]:
    ps = fn.params
    return {p.name.value for p in (*ps.posonly_params, *ps.params, *ps.kwonly_params)}


def _removed_inputs(old: cst.FunctionDef, new: cst.FunctionDef) -> set[str]:
    """The parameters ``old`` had and ``new`` lost (a fixture such as ``recwarn``, a parametrized
    ``wrap``), with the locals ``old`` bound from them (``(w,) = recwarn.list``)."""
    gone = _params(old) - _params(new)
    if not gone:
        return set()
    assigns = [n for n in walk(old.body) if isinstance(n, cst.Assign)]
    for _ in range(3):  # a few steps of locals bound from locals
        for a in assigns:
            if names_in(a.value) & gone:
                for t in a.targets:
                    gone |= {n.value for n in walk(t.target) if isinstance(n, cst.Name)}
    return gone


def same_check_idiom(old: str, new: str) -> bool:
    """Whether ``new`` is the idiomatic spelling of the same check as ``old``: ``assertEqual(x,
    True)`` as ``assertTrue(x)`` (and ``False``, and ``assert x == True`` as ``assert x``), and
    ``assertEqual(x.__class__, C)`` as ``assertIsInstance(x, C)``. Linters ask for the second form
    (pycodestyle's E712); a test suite rewritten that way (waitress 3.0.2, a hundred such checks)
    is restyled, not weakened. Strictly, ``assertTrue`` accepts any truthy value and an instance
    check a subclass: a made-up check is as wrong either way, and what changed is only the form."""
    a, b = _check_form(old), _check_form(new)
    return a is not None and a == b


def _check_form(text: str) -> tuple[str, str, str] | None:
    """(kind, subject, argument) of a boolean or class check, whatever the spelling."""
    try:
        node = ast.parse(text.strip()).body[0]
    except (SyntaxError, IndexError, ValueError):
        return None
    if isinstance(node, ast.Assert):
        test = node.test
        if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
            return ("false", ast.unparse(test.operand), "")
        if isinstance(test, ast.Compare) and len(test.ops) == 1 and isinstance(test.ops[0], (ast.Eq, ast.Is)):
            return _compared(test.left, test.comparators[0])
        if isinstance(test, ast.Call) and isinstance(test.func, ast.Name) and test.func.id == "isinstance" and len(test.args) == 2:
            return ("class", ast.unparse(test.args[0]), ast.unparse(test.args[1]))
        return ("true", ast.unparse(test), "")
    if not (isinstance(node, ast.Expr) and isinstance(node.value, ast.Call)):
        return None
    call = node.value
    method = call.func.attr if isinstance(call.func, ast.Attribute) else ""
    args = call.args
    if method == "assertTrue" and args:
        return ("true", ast.unparse(args[0]), "")
    if method == "assertFalse" and args:
        return ("false", ast.unparse(args[0]), "")
    if method == "assertIsInstance" and len(args) >= 2:
        return ("class", ast.unparse(args[0]), ast.unparse(args[1]))
    if method in ("assertEqual", "assertEquals", "assertIs") and len(args) >= 2:
        return _compared(args[0], args[1])
    return None


def _compared(left: ast.expr, right: ast.expr) -> tuple[str, str, str] | None:
    for subject, other in ((left, right), (right, left)):
        if isinstance(other, ast.Constant) and other.value is True:
            return ("true", ast.unparse(subject), "")
        if isinstance(other, ast.Constant) and other.value is False:
            return ("false", ast.unparse(subject), "")
        if isinstance(subject, ast.Attribute) and subject.attr == "__class__":
            return ("class", ast.unparse(subject.value), ast.unparse(other))
    return None
