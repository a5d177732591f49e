"""The rules' view of a patched file: unchanged function bodies left out, every line in place."""

from __future__ import annotations

import ast
import textwrap
from pathlib import Path

import pytest

from guard.prune import pruned_text

SOURCE = textwrap.dedent(
    """\
    import os


    def helper(path):
        return os.path.join(path, "x")


    def unrelated(a, b):
        total = a + b
        return total * 2


    def changed(path):
        return helper(path)


    def caller():
        return removed_one(1)


    class Box:
        def __init__(self, value):
            self.value = value

        def touched(self):
            return self.value

        def other(self):
            return [self.value] * 3


    def one_liner(x): return x + 1


    def split_signature(a,
                        b): return a + b
    """
)


def _prune(text: str, changed: set[int], seeds: frozenset[str] = frozenset()) -> str:
    return pruned_text(text, ast.parse(text), frozenset(changed), seeds)


def _line(text: str, needle: str) -> int:
    return next(i for i, ln in enumerate(text.splitlines(), 1) if needle in ln)


def test_kept_lines_keep_their_numbers_and_text() -> None:
    changed = {_line(SOURCE, 'return helper(path)'), _line(SOURCE, "return self.value")}
    out = _prune(SOURCE, changed, frozenset({"removed_one"}))
    before, after = SOURCE.splitlines(), out.splitlines()
    assert len(after) == len(before)
    for old, new in zip(before, after, strict=True):
        assert new in (old, "") or new.strip() == "pass"
    ast.parse(out)


def test_what_is_left_out_and_what_stays() -> None:
    out = _prune(SOURCE, {_line(SOURCE, "return helper(path)"), _line(SOURCE, "return self.value")},
                 frozenset({"removed_one"}))  # fmt: skip
    assert "return helper(path)" in out  # the changed function
    assert 'os.path.join(path, "x")' in out  # a helper the changed code calls
    assert "return removed_one(1)" in out  # a caller of a removed function
    assert "self.value = value" in out  # __init__ of a class whose method changed
    assert "total = a + b" not in out  # nothing refers to it
    assert "[self.value] * 3" not in out  # an unchanged method nothing names
    assert "def unrelated(a, b):" in out and "def other(self):" in out  # signatures stay
    assert "def one_liner(x): return x + 1" in out  # a body on the signature's line stays
    assert "b): return a + b" in out


def test_nothing_changed_nearby_leaves_bodies_out_but_module_code_in() -> None:
    out = _prune(SOURCE, {1})
    assert out.startswith("import os\n")
    assert "os.path.join" not in out
    assert out.count("pass") == 7  # every function but the two whose body shares the signature line
    assert len(out.splitlines()) == len(SOURCE.splitlines())


def test_line_endings_are_kept() -> None:
    text = "def f():\r\n    x = 1\r\n    return x\r\n\r\ndef g():\r\n    return 2\r\n"
    out = _prune(text, {6})
    assert out == "def f():\r\n    pass\r\n\r\n\r\ndef g():\r\n    return 2\r\n"


@pytest.mark.parametrize("path", sorted((Path(__file__).parent.parent / "guard").rglob("*.py"))[:40])
def test_real_files_still_parse_with_the_same_line_count(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    tree = ast.parse(text)
    first = next((n.lineno for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)), 1)
    out = pruned_text(text, tree, frozenset({first}), frozenset())
    assert len(out.splitlines()) == len(text.splitlines())
    ast.parse(out)


def test_a_body_that_opens_with_a_decorated_function_is_left_out_whole() -> None:
    text = textwrap.dedent(
        """\
        import functools


        def outer():
            @functools.cache
            def inner():
                return 1

            return inner()


        def changed():
            return 2
        """
    )
    out = _prune(text, {13})
    ast.parse(out)  # the decorator left dangling over ``pass`` would not parse
    assert "@functools.cache" not in out and "return 2" in out
    assert len(out.splitlines()) == len(text.splitlines())
