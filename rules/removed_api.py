"""removed-api: the patch uses a stdlib API that the project's Python has removed or deprecated.

Models trained on older code reach for ``collections.Mapping``, ``imp``, ``distutils``,
``inspect.getargspec`` or ``locale.format``. The data lives in ``removed_api.toml`` next to this
rule, one entry per API with the Python version that removed it and the "What's New" page that
says so. An API removed at or before the target version is an error; one deprecated by the
target version and scheduled for removal is a warning (the project will meet the removal on a
newer Python). A use of an attribute the file already uses the same way on lines the patch
kept (``unittest.makeSuite`` in a suite that builds itself with it) is shown as INFO, never
weighed: the file meets the removal with or without the patch, which follows the file's own usage. Modules are reported
at the import, attributes where they are used; code written
for another Python is left alone: under a ``sys.version_info`` check (or a module-level flag set
from one), or the fallback of an ``except ImportError``.

Example::

    -from collections.abc import Mapping
    +from collections import Mapping
"""

from __future__ import annotations

import re

import libcst as cst
from libcst.metadata import ParentNodeProvider, PositionProvider

from guard.findings import Confidence, Severity
from guard.resolve import Func, Klass
from guard.resolve.nodes import METADATA, Resolving
from guard.resolve.removals import Removal, removal_for, table
from guard.rulekit import Example, Rule, RuleContext


class RemovedApi(Rule):
    """A standard-library module, function or method removed (or deprecated for removal) as of
    the target Python version, with the version that removes it and the replacement.

    Why: such code imports fine on the model's mental Python and fails on the project's.
    """

    ID = "removed-api"
    MESSAGE = "the API is removed in the target Python version"
    SEVERITY = Severity.ERROR
    CONFIDENCE = Confidence.HIGH
    METADATA_DEPENDENCIES = (PositionProvider, *METADATA)

    VALID = (
        Example(before="x = 1\n", after="from collections.abc import Mapping\n"),
        Example(before="x = 1\n", after="import importlib\n\nm = importlib.import_module('json')\n"),
        Example(
            before="x = 1\n",
            after="import sys\n\nif sys.version_info < (3, 12):\n    import imp\n",
        ),
        Example(
            before="x = 1\n",
            after="try:\n    from collections.abc import Mapping\nexcept ImportError:\n    from collections import Mapping\n",
        ),
        Example(
            before="import sys\n",
            after="import sys\n\nPY2 = sys.version_info[0] == 2\n\nif PY2:\n    import imp\n",
        ),
        Example(before="x = 1\n", after="import inspect\n\nsig = inspect.signature(len)\n"),
        Example(before="import imp\n", after="import imp\n\nx = 1\n"),
    )
    INVALID = (
        Example(before="x = 1\n", after="x = 1\nfrom collections import Mapping\n", lines=(2,)),
        Example(
            before="import collections\n",
            after="import collections\n\nok = isinstance({}, collections.MutableMapping)\n",
            lines=(3,),
        ),
        Example(
            before="import inspect\n",
            after="import inspect\n\n\ndef f(fn):\n    return inspect.getargspec(fn)\n",
            lines=(5,),
        ),
        Example(before="x = 1\n", after="import imp\nfrom distutils.util import strtobool\n", lines=(1, 2)),
        Example(
            before="x = 1\n",
            after="try:\n    x = int('1')\nexcept ValueError:\n    from collections import Mapping\n",
            lines=(4,),
        ),
        Example(
            before="import locale\n",
            after="import locale\n\ns = locale.format('%d', 1234, grouping=True)\n",
            lines=(3,),
        ),
        Example(
            before="import threading\n",
            after="import threading\n\nt = threading.Thread(target=print)\nt.isAlive()\n",
            lines=(4,),
        ),
        Example(
            path="tests/test_x.py",
            before="import unittest\n",
            after="import unittest\n\n\nclass T(unittest.TestCase):\n    def test_a(self):\n        self.assertEquals(1, 1)\n",
            lines=(6,),
        ),
        Example(  # the file already uses it on a kept line: shown as INFO (see the tests)
            before="import collections\n\n\ndef f(x):\n    return isinstance(x, collections.Mapping)\n",
            after="import collections\n\n\ndef f(x):\n    return isinstance(x, collections.Mapping)\n\n\n"
            "def g(x):\n    return isinstance(x, collections.Mapping)\n",
            lines=(9,),
        ),
    )

    def __init__(self, context: RuleContext) -> None:
        super().__init__(context)
        self.r = Resolving(self)
        self.target = context.project.target_version

    def _flag(self, node: cst.CSTNode, entry: Removal, written: str = "") -> None:
        gone = entry.gone_by(self.target)
        if written and self._kept_use(written):
            # The file meets the removal with or without the patch: shown, never weighed.
            self.report(
                node,
                f"{entry.describe(self.target)}; the file already uses `{written}` on lines the patch kept",
                severity=Severity.INFO,
                confidence=Confidence.LOW,
            )
            return
        self.report(
            node,
            entry.describe(self.target),
            severity=Severity.ERROR if gone else Severity.WARNING,
            confidence=Confidence.HIGH if gone else Confidence.MEDIUM,
        )

    def _kept_use(self, written: str) -> bool:
        """Does a line of the original file that uses ``written`` (an attribute as the code spells
        it) stand unchanged in the patched file?"""
        before, after = self.context.before, self.context.after
        if before is None or after is None:
            return False
        use = re.compile(rf"(?<![\w.]){re.escape(written)}(?!\w)")
        kept = {line.strip() for line in after.text.splitlines()}
        return any(use.search(line) and line.strip() in kept for line in before.text.splitlines())

    def visit_Import(self, node: cst.Import) -> None:
        if not self.r.on_changed_line(node):
            return
        if self.r.guarded(node):
            return
        for alias in node.names:
            entry = removal_for(_name(alias.name), self.target)
            if entry is not None:
                self._flag(alias, entry)

    def visit_ImportFrom(self, node: cst.ImportFrom) -> None:
        if not self.r.on_changed_line(node):
            return
        if node.relative or node.module is None or self.r.guarded(node):
            return
        base = _name(node.module)
        entry = removal_for(base, self.target)
        if entry is not None:
            self._flag(node, entry)
            return
        if isinstance(node.names, cst.ImportStar):
            return
        for alias in node.names:
            entry = removal_for(f"{base}.{_name(alias.name)}", self.target)
            if entry is not None:
                self._flag(alias, entry)

    def visit_Attribute(self, node: cst.Attribute) -> None:
        if not self.r.on_changed_line(node):
            return
        parent = self.get_metadata(ParentNodeProvider, node, None)
        if isinstance(parent, cst.Import | cst.ImportFrom | cst.ImportAlias | cst.Attribute) or self.r.guarded(node):
            return
        dotted = self.r.dotted(node)
        entry = removal_for(dotted, self.target) if dotted else None
        if entry is None:
            entry = self._member_removal(node)
        if entry is not None and entry.kind == "attribute":
            self._flag(node, entry, _name(node))

    def _member_removal(self, node: cst.Attribute) -> Removal | None:
        """A removed method reached through an instance: ``t.isAlive()`` on a Thread."""
        owner, _ = self.r.receiver(node.value)
        if not isinstance(owner, Klass):
            return None
        found = self.r.env.member(owner, node.attr.value)
        defining = found.owner.qualname if isinstance(found, Func) and found.owner else owner.qualname
        for key, entry in table().items():
            head, _, attr = key.rpartition(".")
            if attr == node.attr.value and entry.kind == "attribute":
                klass = self.r.env.resolve(head)
                if isinstance(klass, Klass) and klass.qualname in {defining, owner.qualname}:
                    return removal_for(key, self.target)
        return None


def _name(node: cst.BaseExpression) -> str:
    if isinstance(node, cst.Name):
        return node.value
    if isinstance(node, cst.Attribute):
        return f"{_name(node.value)}.{node.attr.value}"
    return ""
