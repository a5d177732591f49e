"""Findings about names a module creates at run time: attributes set on its own functions, an
``__all__`` computed from other modules."""

from __future__ import annotations

from guard.context import in_context
from guard.findings import Confidence, Finding, Severity

DECORATORS = """\
def retry(func=None, *, times=3):
    return func


def once(func):
    return func


retry.stop = StopRetry
once.count = 0


def use():
    return retry.stop, once.missing, retry.stopped
"""


def _attr(line: int, signature: str, name: str) -> Finding:
    message = f'"{signature}" has no attribute "{name}"'
    return Finding("d.py", line, 1, "attr-defined", "mypy", message, Severity.ERROR, Confidence.HIGH)


def test_an_attribute_the_module_sets_on_its_own_function_is_explained() -> None:
    retry = "def retry(func: Any = ..., *, times: Any = ...) -> Any"
    once = "def once(func: Any) -> Any"
    found = in_context(
        [_attr(9, retry, "stop"), _attr(10, once, "count"), _attr(14, retry, "stop"),
         _attr(14, once, "missing"), _attr(14, retry, "stopped")],
        {"d.py": DECORATORS},
    )  # fmt: skip
    assert [f.severity for f in found] == [Severity.INFO, Severity.INFO, Severity.INFO, Severity.ERROR, Severity.ERROR]
    assert "sets on its own function" in dict(found[0].evidence)["context"]


def test_an_attribute_set_on_an_object_that_is_not_a_function_still_counts() -> None:
    source = "class Box:\n    pass\n\n\nbox = Box()\nbox.size = 1\n"
    found = in_context([_attr(6, "Box", "size")], {"d.py": source})
    assert found[0].severity is Severity.ERROR


def _ple0605(line: int) -> Finding:
    message = "Invalid format for `__all__`, must be `tuple` or `list`"
    return Finding("p/__init__.py", line, 1, "PLE0605", "ruff", message, Severity.ERROR, Confidence.MEDIUM)


def test_an_all_computed_at_run_time_is_explained_a_string_is_not() -> None:
    computed = "import sys\n\nfrom .a import *\n\nmods = ('a', 'b')\n__all__ = flatten(sys.modules['p.' + m].__all__ for m in mods)\n"
    string = "from .a import *\n\n__all__ = 'run'\n"
    assert in_context([_ple0605(6)], {"p/__init__.py": computed})[0].severity is Severity.INFO
    assert in_context([_ple0605(3)], {"p/__init__.py": string})[0].severity is Severity.ERROR


ORIGINAL_CLI = """\
import argparse


def parse(args=None):
    parser = argparse.ArgumentParser()
    parser.add_argument("paths", nargs="*")
    return parser.parse_args(args)
"""
WITH_OPTION = ORIGINAL_CLI.replace(
    '    parser.add_argument("paths"', '    parser.add_argument("--quiet", action="store_true")\n    parser.add_argument("paths"'
)


def _change(old: str, new: str) -> Finding:
    return Finding(
        "cli.py", 4, 0, "behaviour-change", "properties", f"parse() changed behaviour: {old} before the patch, {new} after",
        Severity.WARNING, Confidence.HIGH, evidence=(("input", "parse(args=None)"), ("old", old), ("new", new)),
    )  # fmt: skip


def test_a_result_that_gains_a_field_the_patch_names_is_a_feature() -> None:
    gained = _change("Namespace(paths=[])", "Namespace(quiet=False, paths=[])")
    found = in_context([gained], {"cli.py": WITH_OPTION}, {"cli.py": ORIGINAL_CLI})
    assert found[0].severity is Severity.INFO
    assert "feature" in dict(found[0].evidence)["context"]


def test_a_result_whose_old_fields_changed_or_whose_new_field_nothing_names_still_counts() -> None:
    changed = _change("Namespace(paths=[])", "Namespace(quiet=False, paths=None)")
    unnamed = _change("Namespace(paths=[])", "Namespace(verbose=False, paths=[])")
    dict_changed = _change("{'a': 1}", "{'a': 2, 'quiet': True}")
    found = in_context([changed, unnamed, dict_changed], {"cli.py": WITH_OPTION}, {"cli.py": ORIGINAL_CLI})
    assert [f.severity for f in found] == [Severity.WARNING] * 3
    # the same field in a file that already named it before the patch: nothing new spelled out
    same = in_context([_change("Namespace(paths=[])", "Namespace(quiet=False, paths=[])")], {"cli.py": WITH_OPTION}, {"cli.py": WITH_OPTION})
    assert same[0].severity is Severity.WARNING



FINDER = """\
import sys
import types
from importlib.machinery import ModuleSpec


class AliasLoader:
    def find_spec(self, fullname, path, target=None):
        if fullname.startswith("alias."):
            return ModuleSpec(fullname, self)

    def create_module(self, spec):
        return types.ModuleType(spec.name)

    def exec_module(self, module):
        module.__dict__.update(vars(sys.modules["real"]))

    def describe(self):
        return ModuleSpec(self, "alias")


class Note:
    def read(self):
        return ""


def spec_of(note: Note) -> ModuleSpec:
    return ModuleSpec("x", note)
"""


def test_an_own_class_implementing_the_expected_stdlib_class_is_duck_typed() -> None:
    def arg(line: int, n: int, got: str, expected: str) -> Finding:
        message = f'Argument {n} to "ModuleSpec" has incompatible type "{got}"; expected "{expected}"'
        return Finding("alias.py", line, 1, "arg-type", "mypy", message, Severity.ERROR, Confidence.MEDIUM)

    found = in_context(
        [arg(9, 2, "AliasLoader", "Loader | None"), arg(18, 1, "AliasLoader", "str"), arg(27, 2, "Note", "Loader | None")],
        {"alias.py": FINDER},
    )  # fmt: skip
    assert [f.severity for f in found] == [Severity.INFO, Severity.ERROR, Severity.ERROR]
    assert "duck" in dict(found[0].evidence)["context"] or "nominal" in dict(found[0].evidence)["context"]


TOKENS = """\
class Token(tuple):
    def __new__(cls, kind, value, pos):
        obj = tuple.__new__(cls, (kind, value))
        obj.pos = pos
        return obj


def closing(stream):
    tok = stream.next()
    while tok not in [("DELIM", ")"), ("EOF", None)]:
        tok = stream.next()
    return tok.pos


def plain():
    pair = ("a", "b")
    if pair == ("a", "b"):
        return pair.pos
"""


def test_a_tuple_subclass_narrowed_by_comparison_with_tuple_literals_is_explained() -> None:
    def missing(line: int) -> Finding:
        message = '"tuple[str, str]" has no attribute "pos"'
        return Finding("tok.py", line, 1, "attr-defined", "mypy", message, Severity.ERROR, Confidence.HIGH)

    found = in_context([missing(12), missing(18)], {"tok.py": TOKENS})
    assert [f.severity for f in found] == [Severity.INFO, Severity.ERROR]
