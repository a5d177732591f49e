"""False alarms the resolution rules raised on real, correct release diffs, reduced to their cause.

Each test is the generic shape of one release's code (click, pyflakes, requests, typing-extensions),
with a hallucinated counterpart that must still be flagged.
"""

from __future__ import annotations

from pathlib import Path

from guard.rules.bad_call_signature import BadCallSignature
from guard.rules.nonexistent_attribute import NonexistentAttribute
from guard.rules.signature_drift import SignatureDrift

from guard.rulekit import Example, check_example

_OVERLOADED = """import typing


@typing.overload
def group(name: typing.Callable[..., object]) -> int: ...
@typing.overload
def group(name: str | None, cls: type, **attrs: object) -> int: ...
@typing.overload
def group(name: None = None, {cls}, **attrs: object) -> int: ...
def group(name=None, cls=None, **attrs):
    return 1
"""


def _lines(rule: type, example: Example, tmp_path: Path) -> list[tuple[str, int]]:
    return sorted((f.path, f.line) for f in check_example(rule, example, tmp_path))


def test_a_changed_overload_breaks_no_call_another_variant_accepts(tmp_path: Path) -> None:
    # click 8.1.6: one @overload of ``group`` made ``cls`` keyword-only and required; ``group()``
    # still fits the implementation (and the other overloads).
    example = Example(
        path="pkg/deco.py",
        before=_OVERLOADED.format(cls="cls: type = ..."),
        after=_OVERLOADED.format(cls="*, cls: type"),
        files=(("pkg/__init__.py", ""), ("pkg/use.py", "from pkg.deco import group\n\ng = group()\nh = group('x', cls=int)\n")),
    )
    assert _lines(SignatureDrift, example, tmp_path) == []


def test_a_call_no_variant_accepts_any_more_is_still_drift(tmp_path: Path) -> None:
    before = _OVERLOADED.format(cls="cls: type = ...")
    after = before.replace("def group(name=None, cls=None, **attrs):", "def group(name=None, *, cls, **attrs):")
    after = after.replace("name: str | None, cls: type,", "name: str | None, *, cls: type,")
    after = after.replace("name: None = None, cls: type = ...,", "name: None = None, *, cls: type,")
    example = Example(
        path="pkg/deco.py",
        before=before,
        after=after,
        files=(("pkg/__init__.py", ""), ("pkg/use.py", "from pkg.deco import group\n\ng = group()\n")),
    )
    assert _lines(SignatureDrift, example, tmp_path) == [("pkg/use.py", 3)]


def test_overloads_are_alternatives_for_bad_call_signature(tmp_path: Path) -> None:
    good = Example(before="x = 1\n", after=_OVERLOADED.format(cls="*, cls: type") + "\n\ng = group()\n")
    assert _lines(BadCallSignature, good, tmp_path / "good") == []
    bad = Example(before="x = 1\n", after=_OVERLOADED.format(cls="*, cls: type") + "\n\ng = group(1, 2, 3)\n")
    assert _lines(BadCallSignature, bad, tmp_path / "bad") == [("pkg/mod.py", 14)]


def test_a_bound_method_of_an_instance_is_not_the_class_function(tmp_path: Path) -> None:
    # pyflakes: ``parse_format_string = string.Formatter().parse`` is bound: one argument fits.
    example = Example(
        before="import string\n\nparse_format_string = string.Formatter().parse\n",
        after="import string\n\nparse_format_string = string.Formatter().parse\n\n\ndef f(s):\n    return tuple(parse_format_string(s))\n",
    )
    assert _lines(BadCallSignature, example, tmp_path / "bound") == []
    # The function taken from the class itself is unbound: the instance is one more argument.
    unbound = Example(
        before="import string\n\nparse = string.Formatter.parse\n",
        after="import string\n\nparse = string.Formatter.parse\n\n\ndef f(s):\n    return tuple(parse(s, 1, 2))\n",
    )
    assert _lines(BadCallSignature, unbound, tmp_path / "unbound") == [("pkg/mod.py", 7)]


_MIXIN = """class RedirectMixin:
    def resolve_redirects(self, resp):
        return self.{call}(resp)
"""


def test_a_mixin_may_call_what_a_subclass_elsewhere_in_the_repo_defines(tmp_path: Path) -> None:
    # requests: SessionRedirectMixin.resolve_redirects calls self.send, which Session defines.
    files = (
        ("pkg/__init__.py", ""),
        ("pkg/sessions.py", "from pkg.mixins import RedirectMixin\n\n\nclass Session(RedirectMixin):\n    def send(self, r):\n        return r\n"),
    )
    good = Example(path="pkg/mixins.py", before=_MIXIN.format(call="get"), after=_MIXIN.format(call="send"), files=files)
    assert _lines(NonexistentAttribute, good, tmp_path / "good") == []
    bad = Example(path="pkg/mixins.py", before=_MIXIN.format(call="get"), after=_MIXIN.format(call="sned"), files=files)
    assert _lines(NonexistentAttribute, bad, tmp_path / "bad") == [("pkg/mixins.py", 3)]


def test_a_name_the_stub_leaves_out_but_the_stdlib_binds_exists(tmp_path: Path) -> None:
    # typing-extensions: ``typing.EXCLUDED_ATTRIBUTES`` is in typing.py, not in typeshed's stub.
    ok = Example(before="import typing\n", after="import typing\n\nx = typing.EXCLUDED_ATTRIBUTES\n")
    assert _lines(NonexistentAttribute, ok, tmp_path / "ok") == []
    # A name of a later Python than the target (3.10) is still missing: the stub places it there.
    for i, name in enumerate(("EXCLUDED_ATTRIBUTESS", "override", "Self")):
        bad = Example(before="import typing\n", after=f"import typing\n\nx = typing.{name}\n")
        assert _lines(NonexistentAttribute, bad, tmp_path / f"bad{i}") == [("pkg/mod.py", 3)]


_REGISTER = """import collections.abc


class A(collections.abc.Generator):
    pass


class C:
    pass


{call}
"""


def test_a_protocol_class_has_its_metaclass_methods_bound(tmp_path: Path) -> None:
    # typing-extensions' tests: ``A.register(C)`` on a subclass of Generator (ABCMeta via Protocol).
    ok = Example(before=_REGISTER.format(call=""), after=_REGISTER.format(call="A.register(C)"))
    assert _lines(NonexistentAttribute, ok, tmp_path / "ok-attr") == []
    assert _lines(BadCallSignature, ok, tmp_path / "ok-call") == []
    wrong = Example(before=_REGISTER.format(call=""), after=_REGISTER.format(call="A.register(C, C)"))
    assert _lines(BadCallSignature, wrong, tmp_path / "bad-call") == [("pkg/mod.py", 12)]
    missing = Example(before=_REGISTER.format(call=""), after=_REGISTER.format(call="A.enroll(C)"))
    assert _lines(NonexistentAttribute, missing, tmp_path / "bad-attr") == [("pkg/mod.py", 12)]


def test_a_stub_that_never_spells_a_name_is_not_summarised_per_version() -> None:
    # A made-up attribute of builtins: no version of builtins.pyi can bind a word it never spells,
    # so the per-version summaries (about a second for builtins.pyi) are skipped.
    from guard.resolve import environment
    from guard.resolve.environment import Environment, Module

    env = Environment(Path("."), (3, 10))
    stub = env._stdlib_stub(Module("builtins"))
    assert stub is not None
    assert environment._mentions(stub[0], "print") and not environment._mentions(stub[0], "prnit_all")
    environment._summary_from_file.cache_clear()
    assert env.added_later(Module("builtins"), "prnit_all") is None
    assert not env.stub_leaves_out(Module("builtins"), "prnit_all")
    assert environment._summary_from_file.cache_info().currsize <= 1  # the source's, at most
