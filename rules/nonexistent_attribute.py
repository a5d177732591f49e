"""nonexistent-attribute: the patch uses an attribute, method or name that its owner does not have.

Resolved against reality: typeshed's stubs for the stdlib and builtin types (for the target
Python version), the installed package's own source for third-party code (following ``__all__``,
re-exports and star-imports), and the repo as the patch leaves it. Covers ``mod.attr`` for
imported modules (aliases included), ``from mod import name`` when ``mod`` exists (a missing
*module* is ``unresolved-import``'s), methods of literals and of locals bound only to literals or
constructor calls, and ``self.method()``/``Class.attr`` on the repo's own classes. Whenever a
module or class could grow names at run time (module ``__getattr__``, ``globals()`` writes, an
unreadable base class or metaclass) the rule stays quiet, as it does inside ``hasattr`` tests,
``except AttributeError`` blocks and version checks — except for a stdlib name that typeshed's
stub spells under no version and no platform (``if sys.platform == "win32": os.environs``).

Example::

    -    return os.path.join(root, name)
    +    return os.path.joinpath(root, name)
"""

from __future__ import annotations

import libcst as cst
from libcst.metadata import ParentNodeProvider, PositionProvider

from guard.findings import Confidence, Severity
from guard.resolve import Klass, Missing, Module
from guard.resolve.nodes import METADATA, Resolving
from guard.resolve.removals import removal_for
from guard.rulekit import Example, Rule, RuleContext


class NonexistentAttribute(Rule):
    """An attribute, method or imported name that does not exist on the object it is taken from.

    Why: ``os.path.joinpath``, ``"x".contains``, ``date.now`` read naturally and fail at run time.
    The owner must resolve completely (stdlib stub, installed source, or repo code) before
    anything is reported; names removed from the stdlib are left to ``removed-api``.
    """

    ID = "nonexistent-attribute"
    MESSAGE = "the attribute does not exist"
    SEVERITY = Severity.ERROR
    CONFIDENCE = Confidence.HIGH
    METADATA_DEPENDENCIES = (PositionProvider, *METADATA)

    VALID = (
        Example(before="import os\n", after="import os\n\np = os.path.join('a', 'b')\n"),
        Example(
            before="x = 1\n",
            after="import os\n\nif hasattr(os, 'getcwdu'):\n    cwd = os.getcwdu()\n",
        ),
        Example(
            before="x = 1\n",
            after="import json\n\ndef f(s):\n    s = json.loads(s)\n    return s.contains('a')\n",
        ),
        Example(
            before="x = 1\n",
            after="from pkg import extra\n\nv = extra.anything\n",
            files=(("pkg/__init__.py", "def __getattr__(name):\n    return name\n"), ("pkg/other.py", "")),
        ),
        Example(
            before="class A:\n    def f(self):\n        return 1\n",
            after="class A:\n    def f(self):\n        return self.g()\n\n    def g(self):\n        return 2\n",
        ),
        Example(
            before="x = 1\n",
            after="import sys\n\nif sys.version_info >= (3, 12):\n    from itertools import batched\n",
        ),
        Example(  # written for another interpreter, behind a test of which one runs
            before="x = 1\n",
            after="import sys\n\nOLD = sys.implementation.name == 'pypy' and sys.pypy_version_info < (7, 3)\n",
        ),
        Example(
            before="x = 1\n",
            after="import mod_b\n\nv = getattr(mod_b, 'dynamic', None)\nw = mod_b.helper\n",
            files=(("mod_b.py", "from os.path import *\nfrom json import dumps as helper\n"),),
        ),
        Example(
            before="class A(Base):\n    pass\n",
            after="class A(Base):\n    def f(self):\n        return self.unknown_in_base()\n",
        ),
        Example(  # object.__new__(B) makes a B, not an object
            path="tests/test_pickle.py",
            before="x = 1\n",
            after="class B:\n    def __init__(self):\n        self.name = 1\n\n\ndef test_x():\n"
            "    logger = object.__new__(B)\n    assert logger.name is None\n",
        ),
        Example(
            before="class Mixin:\n    def run(self):\n        return 1\n\n\nclass Session(Mixin):\n    def send(self):\n        return 2\n",
            after="class Mixin:\n    def run(self):\n        return self.send()\n\n\nclass Session(Mixin):\n    def send(self):\n        return 2\n",
        ),
        Example(  # the subclass gets readline from the repo's own class decorator, which setattr()s it
            before="def delegate(*names):\n    def build(cls):\n        for n in names:\n"
            "            setattr(cls, n, lambda self: n)\n        return cls\n    return build\n\n\n"
            "class Base:\n    pass\n\n\n@delegate('readline')\nclass Wrapper(Base):\n    pass\n",
            after="def delegate(*names):\n    def build(cls):\n        for n in names:\n"
            "            setattr(cls, n, lambda self: n)\n        return cls\n    return build\n\n\n"
            "class Base:\n    def next_line(self):\n        return self.readline()\n\n\n"
            "@delegate('readline')\nclass Wrapper(Base):\n    pass\n",
        ),
        Example(  # Windows-only and version-only names, under the test that selects them
            before="import os\nimport sys\n",
            after="import os\nimport sys\n\nif sys.platform == 'win32':\n    os.startfile('a.txt')\n"
            "if sys.version_info >= (3, 13):\n    from os import process_cpu_count\n",
        ),
        Example(  # PyPy's gc is not CPython's: an implementation test stays a guard
            before="import gc\nimport platform\n",
            after="import gc\nimport platform\n\nif platform.python_implementation() == 'PyPy':\n    gc.dump_rpy_heap(1)\n",
        ),
    )
    INVALID = (
        Example(
            before="import os\n\n\ndef f(a, b):\n    return os.path.join(a, b)\n",
            after="import os\n\n\ndef f(a, b):\n    return os.path.joinpath(a, b)\n",
            lines=(5,),
        ),
        Example(before="x = 1\n", after="x = 1\nok = 'abc'.contains('a')\n", lines=(2,)),
        Example(
            before="def f():\n    return []\n",
            after="def f():\n    items = []\n    items.push(1)\n    return items\n",
            lines=(3,),
        ),
        Example(
            before="import datetime as dt\n",
            after="import datetime as dt\n\ntoday = dt.date.now()\n",
            lines=(3,),
        ),
        Example(before="x = 1\n", after="from json import dumps, loadz\n", lines=(1,)),
        Example(
            before="class A:\n    def f(self):\n        return 1\n",
            after="class A:\n    def f(self):\n        return self.g()\n",
            lines=(3,),
        ),
        Example(
            before="x = 1\n",
            after="import helpers\n\nv = helpers.make()\n",
            lines=(3,),
            files=(("helpers.py", "def build():\n    return 1\n"),),
        ),
        Example(  # real, but newer than the project's oldest Python: reported weakly, as too new
            before="x = 1\n",
            after="import itertools\nfrom concurrent import interpreters\n\npairs = itertools.batched([1, 2, 3, 4], 2)\n",
            lines=(2, 4),
            files=(("pyproject.toml", '[project]\nname = "p"\nrequires-python = ">=3.10"\n'),),
        ),
        Example(  # a stdlib class decorator adds no method a call could name
            before="from dataclasses import dataclass\n\n\n@dataclass\nclass Point:\n    x: int = 0\n",
            after="from dataclasses import dataclass\n\n\n@dataclass\nclass Point:\n    x: int = 0\n\n\n"
            "def shift(p: Point):\n    return Point().moved(1)\n",
            lines=(10,),
        ),
        Example(  # ... and a B has no `nmae`
            before="x = 1\n",
            after="class B:\n    def __init__(self):\n        self.name = 1\n\n    def close(self):\n        pass\n\n\n"
            "def make():\n    b = object.__new__(B)\n    b.clsoe()\n",
            lines=(11,),
        ),
        Example(  # a name typeshed spells under no platform and no version
            before="import os\nimport sys\n",
            after="import os\nimport sys\n\nif sys.platform == 'win32' and not os.environs.get('USER'):\n    pass\n",
            lines=(4,),
        ),
        Example(
            before="from collections import OrderedDict\n",
            after="from collections import OrderedDict\n\nd = OrderedDict()\nd.move_to_front('k')\n",
            lines=(4,),
        ),
    )

    def __init__(self, context: RuleContext) -> None:
        super().__init__(context)
        self.r = Resolving(self)

    def visit_ImportFrom(self, node: cst.ImportFrom) -> None:
        if not self.r.on_changed_line(node):
            return
        if isinstance(node.names, cst.ImportStar):
            return
        guarded = self.r.guarded(node, raised=ImportError)
        if guarded and self.r.guarded(node, raised=ImportError, typeshed_tests=False):
            return
        base = self.r.absolute("." * len(node.relative) + (_dotted_name(node.module) or ""))
        if not base or not isinstance(self.r.env.resolve(base), Module):
            return
        for alias in node.names:
            name = alias.name.value if isinstance(alias.name, cst.Name) else None
            if name is None or removal_for(f"{base}.{name}", self.context.project.target_version):
                continue
            if guarded and not self.r.env.stub_never_spells(Module(base), name):
                continue  # under a version or platform test: only a name no CPython has
            found = self.r.env.attribute(Module(base), name)
            if (
                isinstance(found, Missing)
                and not self.r.env.stub_leaves_out(Module(base), name)
                and not self._too_new(alias, Module(base), name, f"module '{base}'")
            ):
                self.report(alias, f"module '{base}' has no attribute or submodule '{name}'{found.suggestion()}")

    def visit_Attribute(self, node: cst.Attribute) -> None:
        if not self.r.on_changed_line(node):
            return
        parent = self.get_metadata(ParentNodeProvider, node, None)
        if isinstance(parent, cst.ImportFrom | cst.Import | cst.ImportAlias):
            return
        if isinstance(parent, cst.AssignTarget | cst.AugAssign | cst.Del):
            return
        guarded = self.r.guarded(node, raised=AttributeError)
        if guarded and self.r.guarded(node, raised=AttributeError, typeshed_tests=False):
            return
        attr = node.attr.value
        owner, instance = self.r.receiver(node.value)
        if isinstance(node.value, cst.Name) and node.value.value == "self" and (
            not isinstance(parent, cst.Call) or parent.func is not node
        ):
            return  # instance attributes may be set from anywhere; methods may not
        if not isinstance(owner, Module | Klass):
            return
        dotted = self.r.dotted(node)
        if dotted and removal_for(dotted, self.context.project.target_version):
            return
        found = self.r.env.attribute(owner, attr)
        if guarded and not (isinstance(found, Missing) and self.r.env.stub_never_spells(owner, attr)):
            return  # under a version or platform test: only a name no CPython has
        if (
            isinstance(found, Missing)
            and isinstance(owner, Klass)
            and isinstance(node.value, cst.Name)
            and node.value.value == "self"
            and self.r.env.provided_by_subclass(owner, attr)
        ):
            return  # a mixin's or abstract base's call of what its subclasses define
        what = _describe(owner, instance)
        if (
            isinstance(found, Missing)
            and not self.r.env.stub_leaves_out(owner, attr)
            and not self._too_new(node, owner, attr, what)
        ):
            self.report(node, f"{what} has no attribute '{attr}'{found.suggestion()}")

    def _too_new(self, node: cst.CSTNode, owner: Module | Klass, name: str, what: str) -> bool:
        """Report, weakly, a stdlib name that exists only in Pythons newer than the project's
        oldest: real (not a hallucination), but the code breaks on the older Pythons it claims."""
        since = self.r.env.added_later(owner, name)
        if since is None:
            return False
        target = self.context.project.target_version
        self.report(
            node,
            f"{what} has '{name}' only from Python {since[0]}.{since[1]} on; the project supports "
            f"{target[0]}.{target[1]}, where it is missing",
            severity=Severity.WARNING,
            confidence=Confidence.LOW,
        )
        return True


def _describe(owner: Module | Klass, instance: bool) -> str:
    if isinstance(owner, Module):
        return f"module '{owner.name}'"
    kind = "object" if instance else "class"
    return f"'{owner.info.name}' {kind}"


def _dotted_name(node: cst.Attribute | cst.Name | None) -> str | None:
    if node is None:
        return None
    if isinstance(node, cst.Name):
        return node.value
    base = _dotted_name(node.value) if isinstance(node.value, cst.Attribute | cst.Name) else None
    return f"{base}.{node.attr.value}" if base else None


