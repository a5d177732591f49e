"""bad-call-signature: the patch calls a real function with keywords it does not take, or with
more (or fewer) positional arguments than it can accept.

The callee must resolve: a stdlib function or class (typeshed, for the target Python), a
third-party one (its installed source, typed or not), or the repo's own (as the patch leaves it).
Overloads count as alternatives; ``*args``/``**kwargs`` accept anything, except that ``**kwargs``
handed on verbatim to another resolvable callable is followed one level (``json.dumps(**kw)``
forwards to ``JSONEncoder``, which takes no ``sort``). Decorated functions are checked only when
every decorator is known to keep the signature (``staticmethod``, ``classmethod``,
``functools.cache``/``lru_cache``, ``abstractmethod``, ``overload``); dataclasses and classes with
metaclasses are skipped, since their constructors are generated.

Example::

    -    return sorted(items, reverse=True)
    +    return sorted(items, reversed=True)
"""

from __future__ import annotations

import libcst as cst
from libcst.metadata import PositionProvider

from guard.findings import Confidence, Severity
from guard.resolve import Func, Klass, Module
from guard.resolve.calls import check_call
from guard.resolve.nodes import METADATA, Resolving, call_shape
from guard.rulekit import Example, Rule, RuleContext


class BadCallSignature(Rule):
    """A call whose arguments cannot bind to the resolved callee's parameters.

    Why: ``json.dumps(x, sort=True)``, ``sorted(xs, reversed=True)`` and a helper called with the
    wrong arity look right and raise ``TypeError`` on first use.
    """

    ID = "bad-call-signature"
    MESSAGE = "the call does not fit the callee's signature"
    SEVERITY = Severity.ERROR
    CONFIDENCE = Confidence.HIGH
    METADATA_DEPENDENCIES = (PositionProvider, *METADATA)

    VALID = (
        Example(
            before="def rank(xs):\n    return list(enumerate(xs))\n",
            after="def rank(xs):\n    return list(enumerate(xs, start=1)) + list(zip(xs, xs, strict=True))\n",
        ),
        Example(  # methods of `object` called through the class, not its constructor
            before="class T:\n    pass\n",
            after="class T:\n    @classmethod\n    def make(cls):\n        t = object.__new__(cls)\n        return object.__repr__(t)\n",
        ),
        Example(  # a keyword of newer Pythons, under the version test that selects them
            before="import shutil\nimport sys\n",
            after="import shutil\nimport sys\n\nif sys.version_info >= (3, 12):\n    shutil.rmtree('d', onexc=print)\n",
        ),
        Example(before="import json\n", after="import json\n\ns = json.dumps({}, sort_keys=True, indent=2)\n"),
        Example(before="x = 1\n", after="xs = sorted([3, 1], key=abs, reverse=True)\n"),
        Example(
            before="import functools\n",
            after="import functools\n\n\ndef deco(f):\n    @functools.wraps(f)\n    def inner(*a, **k):\n        return f(*a, **k)\n    return inner\n\n\n@deco\ndef g(a):\n    return a\n\n\ng(1, 2, 3, extra=4)\n",
        ),
        Example(
            before="import json\n",
            after="import json\n\n\nclass Enc(json.JSONEncoder):\n    pass\n\n\ns = json.dumps({}, cls=Enc, custom=1)\n",
        ),
        Example(
            before="def f(a, b=1):\n    return a + b\n",
            after="def f(a, b=1, *, c=0):\n    return a + b + c\n\n\ny = f(1, c=2)\n",
        ),
        Example(
            before="x = 1\n",
            after="from dataclasses import dataclass\n\n\n@dataclass\nclass P:\n    x: int\n\n\np = P(x=1)\n",
        ),
        Example(before="x = 1\n", after="args = (1, 2)\nv = divmod(*args)\nd = dict(a=1, b=2)\n"),
        Example(  # calling an instance calls its class's __call__, not its constructor
            before="class Printer:\n    def __init__(self, file=None):\n        self.file = file\n\n"
            "    def __call__(self, logger, name, event):\n        return event\n",
            after="class Printer:\n    def __init__(self, file=None):\n        self.file = file\n\n"
            "    def __call__(self, logger, name, event):\n        return event\n\n\n"
            "def test_print():\n    p = Printer(file=None)\n    assert p(None, None, {}) == {}\n",
        ),
    )
    INVALID = (
        Example(  # a builtin class typeshed marks @disjoint_base: its constructor is still __new__'s
            before="def rank(xs):\n    return list(enumerate(xs))\n",
            after="def rank(xs):\n    return list(enumerate(xs, case_sensitive=False))\n",
            lines=(2,),
        ),
        Example(  # the repo's own helper: the platform test does not change its signature
            path="tests/test_release.py",
            before="import sys\n\nimport pytest\n\nIS_LINUX = sys.platform.startswith('linux')\n\n\n"
            "@pytest.mark.skipif(not IS_LINUX, reason='linux only')\nclass TestRelease:\n"
            "    def _outcome(self, want, name=''):\n        return want, name\n\n"
            "    def test_alt(self):\n        self._outcome({}, 'alt')\n",
            after="import sys\n\nimport pytest\n\nIS_LINUX = sys.platform.startswith('linux')\n\n\n"
            "@pytest.mark.skipif(not IS_LINUX, reason='linux only')\nclass TestRelease:\n"
            "    def _outcome(self, want, name=''):\n        return want, name\n\n"
            "    def test_alt(self):\n        self._outcome({}, 'alt', suffix='release')\n",
            lines=(14,),
        ),
        Example(  # a feature test about another name: no Python's re.compile takes sort_keys
            before="import re\n\n_FULLMATCH = getattr(re, 'fullmatch', None)\n",
            after="import re\n\n_FULLMATCH = getattr(re, 'fullmatch', None)\n\nif _FULLMATCH:\n    match = re.fullmatch\n"
            "else:\n    match = re.compile('a+', 0, sort_keys=True).match\n",
            lines=(8,),
        ),
        Example(
            before="class Printer:\n    def __call__(self, event):\n        return event\n",
            after="class Printer:\n    def __call__(self, event):\n        return event\n\n\n"
            "def show():\n    p = Printer()\n    return p(None, {})\n",
            lines=(8,),
        ),
        Example(
            before="import json\n\n\ndef dump(x):\n    return json.dumps(x, sort_keys=True)\n",
            after="import json\n\n\ndef dump(x):\n    return json.dumps(x, sort=True)\n",
            lines=(5,),
        ),
        Example(before="x = [3, 1]\n", after="x = [3, 1]\ny = sorted(x, reversed=True)\n", lines=(2,)),
        Example(
            before="def area(w, h):\n    return w * h\n",
            after="def area(w, h):\n    return w * h\n\n\nprint(area(1, 2, 3))\n",
            lines=(5,),
        ),
        Example(before="import os\n", after="import os\n\np = os.path.exists('a', 'b')\n", lines=(3,)),
        Example(
            before="x = 1\n",
            after="from collections import OrderedDict\n\nd = OrderedDict()\nd.move_to_end('k', first=True)\n",
            lines=(4,),
        ),
        Example(
            before="class A:\n    def f(self, x):\n        return x\n",
            after="class A:\n    def f(self, x):\n        return x\n\n    def g(self):\n        return self.f(1, 2)\n",
            lines=(6,),
        ),
        Example(
            before="x = 1\n",
            after="import helper\n\nhelper.run(retries=3)\n",
            lines=(3,),
            files=(("helper.py", "def run(times=1):\n    return times\n"),),
        ),
        Example(
            before="import textwrap\n",
            after="import textwrap\n\ns = textwrap.fill(\n    'text',\n    width=10,\n    break_long=False,\n)\n",
            lines=(6,),
        ),
    )

    def __init__(self, context: RuleContext) -> None:
        super().__init__(context)
        self.r = Resolving(self)

    def _in_repo(self, target: Func | Klass) -> bool:
        """A callee the repo defines: an environment test does not change its signature (distro's
        tests call a helper of their own class under ``@pytest.mark.skipif(not IS_LINUX)``)."""
        return self.r.env.where(_module_of(target)) == "repo"

    def _spelled_nowhere(self, target: Func | Klass, keyword: str | None) -> bool:
        """A keyword the stdlib callee's typeshed stub spells under no version and no platform."""
        if keyword is None:
            return False
        stub = target.stub if isinstance(target, Func) else target.info.stub
        return stub and self.r.env.stub_never_spells(Module(_module_of(target)), keyword)

    def visit_Call(self, node: cst.Call) -> None:
        if not self.r.on_changed_line(node):
            return
        guarded = self.r.guarded(node, raised=TypeError)
        if guarded and self.r.guarded(node, raised=TypeError, tests=False):
            return
        callee = node.func
        instance = False
        if isinstance(callee, cst.Attribute):
            owner, instance = self.r.receiver(callee.value)
            target = self.r.env.attribute(owner, callee.attr.value) if instance else self.r.resolve_expr(callee)[0]
        else:
            target, called_instance = self.r.resolve_expr(callee)
            if called_instance:  # `p = Printer(...); p(a, b)` calls Printer.__call__, bound
                if not isinstance(target, Klass):
                    return
                target, instance = self.r.env.attribute(target, "__call__"), True
        if not isinstance(target, Func | Klass):
            return
        if isinstance(callee, cst.Attribute) and isinstance(target, Klass) and target.qualname.rsplit(".", 1)[-1] != callee.attr.value:
            # `object.__new__(cls)`, `int.from_bytes(b, signed=False)` taken for the class itself:
            # what is called is a method of it, not its constructor.
            return
        bad = check_call(self.r.env, target, call_shape(node), via_instance=instance)
        if bad is not None and guarded and not (self._spelled_nowhere(target, bad.keyword) or self._in_repo(target)):
            return  # under an environment test: only a keyword no CPython takes, or a repo callee
        if bad is not None:
            name = cst.Module([]).code_for_node(callee)
            at = next((a for a in node.args if a.keyword is not None and a.keyword.value == bad.keyword), node)
            self.report(at, bad.message(name))


def _module_of(target: Func | Klass) -> str:
    return target.module if isinstance(target, Func) else target.info.module
