"""Constant mining and type inference from source (guard.harness.mining), and the helpers the
session uses to place and judge a difference (changed lines, differences, state comparison)."""

from __future__ import annotations

import ast
import textwrap
from decimal import Decimal

from guard.harness import mining
from guard.harness.compare import differences
from guard.harness.session import changed_lines
from guard.harness.subjects import comparable


def fn(source: str) -> ast.AST:
    tree = ast.parse(textwrap.dedent(source))
    return tree.body[0]


MODELS = textwrap.dedent('''
    MAX_BODY = 1 << 20
    METHODS = frozenset({"POST", "PUT"})


    class Event:
        def branch(self):
            """A docstring is not a constant: "refs/docs/"."""
            ref = self.payload.get("ref")
            if isinstance(ref, str) and ref.startswith("refs/heads/"):
                return ref[len("refs/heads/"):]
            return None

        def handle(self, request):
            if request.method != "POST":
                return 405
            if len(request.body) > MAX_BODY:
                return 413
            return self._route(request)

        def _route(self, request):
            return {"push": 1, "ping": 2}.get(request.headers["X-Event"], -7)
''')


def test_literals_prefixes_keys_and_neighbours_are_mined_not_the_docstring() -> None:
    mined = mining.mine_function([MODELS], "Event.branch")
    assert "refs/heads/" in mined.prefixes
    assert "ref" in mined.keys
    assert "refs/heads/" in mined.strings and "ref" in mined.strings
    assert not any("docs" in s for s in mined.strings)
    assert mined.key_kinds == {"ref": "str"}  # ref = payload.get("ref"); isinstance(ref, str)


def test_sizes_and_compared_literals_are_attached_to_what_is_measured() -> None:
    mined = mining.mine_function([MODELS], "Event.handle")
    assert mined.equals["method"] == ["POST"]
    assert 405 in mined.ints and 404 in mined.ints and 406 in mined.ints
    # the bound is a module constant: resolved against the module's namespace
    resolved = mining.resolve(mined, {"MAX_BODY": 1 << 20, "METHODS": frozenset({"PUT"})})
    assert resolved.sizes["body"] == [1 << 20, (1 << 20) + 1, (1 << 20) - 1]
    # the helper it calls (self._route) is mined too, with its literals and keys
    assert "X-Event" in mined.keys and -7 in mined.ints


def test_old_and_new_bodies_are_both_mined() -> None:
    before = "def f(x: int) -> bool:\n    return x < 10\n"
    after = "def f(x: int) -> bool:\n    return x <= 20\n"
    mined = mining.mine_function([before, after], "f")
    assert {9, 10, 11, 19, 20, 21} <= set(mined.ints)


def test_negative_literals_and_numeric_text_for_decimals() -> None:
    mined = mining.mine(fn('''
        def f(x):
            if x < -50:
                return Decimal("0.1")
            return x
    '''))
    assert -50 in mined.ints and -51 in mined.ints
    assert mined.decimals == ["0.1"]


def test_module_constants_add_their_members() -> None:
    mined = mining.mine(fn('''
        def quantum(currency):
            return MINOR_UNITS.get(currency.upper(), 2)
    '''))
    resolved = mining.resolve(mined, {"MINOR_UNITS": {"JPY": 0, "BHD": 3}, "CENT": Decimal("1")})
    assert {"JPY", "BHD"} <= set(resolved.strings) and {"JPY", "BHD"} <= set(resolved.keys)


def test_types_of_unannotated_parameters_come_from_their_use() -> None:
    assert mining.infer_kind(fn("def f(s):\n    return s.startswith('a')"), "s") == "str"
    assert mining.infer_kind(fn("def f(n):\n    return n + 1"), "n") == "int"
    assert mining.infer_kind(fn("def f(d):\n    return d['k']"), "d") == "dict"
    assert mining.infer_kind(fn("def f(xs):\n    return [x for x in xs]"), "xs") == "list"
    assert mining.infer_kind(fn("def f(b):\n    return b.decode()"), "b") == "bytes"
    assert mining.infer_kind(fn("def f(v):\n    return v * 0.5"), "v") == "float"
    # isinstance says most; a name that is never used says nothing
    assert mining.infer_kind(fn("def f(v):\n    if isinstance(v, str):\n"
                                "        return len(v)\n    return v"), "v") == "str"
    assert mining.infer_kind(fn("def f(v, w):\n    return w"), "v") is None
    # what is iterated: iter(), itertools by name or through the module
    assert mining.infer_kind(fn("def f(src):\n    it = iter(src)\n    return next(it)"), "src") == "list"
    assert mining.infer_kind(fn("def f(src, n):\n    return list(islice(src, n))"), "src") == "list"
    assert mining.infer_kind(fn("def f(src):\n    return itertools.groupby(src)"), "src") == "list"
    mined = mining.mine(fn("def f(self, text, count):\n    return text.lower()[: count - 1]"))
    assert mined.kinds == {"text": "str", "count": "int"}


def test_mutators_are_the_methods_that_change_the_instance() -> None:
    source = textwrap.dedent('''
        class Cache:
            def __setitem__(self, key, value):
                self._data[key] = value
            def get(self, key):
                self._data.move_to_end(key)
                return self._data[key]
            def touch(self, key):
                self.get(key)
            def keys(self):
                return list(self._data)
            def resize(self, n):
                self._max = n
    ''')
    assert mining.mutators(source, "Cache") == {"__setitem__", "get", "touch", "resize"}
    assert mining.mutators(source, "Missing") is None


def test_changed_lines_prefer_edits_over_added_and_moved_lines() -> None:
    before = textwrap.dedent('''
        def handle(r):
            if r.method != "POST":
                return 405
            if len(r.body) > LIMIT:
                return 413
            return 200
    ''')
    after = textwrap.dedent('''
        def _check(r):
            if r.method != "POST":
                return 405
            if len(r.body) >= LIMIT:
                return 413
            return None

        def handle(r):
            rejected = _check(r)
            if rejected is not None:
                return rejected
            return 200
    ''')
    lines = changed_lines(before, after)
    new = after.splitlines()
    by_text = {new[n - 1].strip(): priority for n, priority in lines.items()}
    assert by_text["if len(r.body) >= LIMIT:"] == 2  # an edit of a removed line
    assert by_text["rejected = _check(r)"] == 1  # new, with no counterpart
    assert 'if r.method != "POST":' not in by_text  # only moved
    assert changed_lines(None, after) == {}


def test_differences_point_at_the_parts_that_differ() -> None:
    a = ("tuple", (1, ("list", (2, 3)), "x"))
    b = ("tuple", (1, ("list", (2, 4)), "y"))
    assert differences(a, b) == {(1, 1, 1, 1), (1, 2)}
    assert differences(a, a) == set()
    assert differences(("list", (1,)), ("list", (1, 2))) == {(1,)}  # lengths differ: one part


def test_instance_is_left_out_when_it_differed_before_the_call() -> None:
    def state(obj: object, before: object) -> object:
        return ("tuple", (obj, "args", "kwargs", before))

    old, new, drop = comparable(state("o1", "same"), state("o2", "same"))
    assert not drop and old != new
    old, new, drop = comparable(state("o1", "b1"), state("o2", "b2"))
    assert drop and old == new == ("tuple", ("args", "kwargs"))
    plain = ("tuple", ("args", "kwargs"))
    assert comparable(plain, plain) == (plain, plain, False)
