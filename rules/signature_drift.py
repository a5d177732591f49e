"""signature-drift: the patch changes a function's parameters and leaves callers that no longer fit.

For every function (or method, or class ``__init__``) whose parameters differ between the original
and the patched file, every call site in the repo that the patch did not touch is checked: a call
that bound to the old parameters and cannot bind to the new ones is reported where it stands, in
whatever file. Call sites are matched by resolving the callee in the caller's module (imports,
aliases and ``module.function`` included; ``self.method()`` inside the same class), so a call of
another function with the same name is never confused with this one. The repo's call sites are
indexed once per check and cached by file content across checks.

Example::

    -def format_money(amount, currency="EUR"):
    +def format_money(amount, currency, *, symbol=False):
     ...
     print(format_money(total))          # in ledger/cli.py, untouched: now a TypeError
"""

from __future__ import annotations

import ast
from functools import lru_cache

from libcst.metadata import PositionProvider

from guard.changes import Definition
from guard.findings import Confidence, Severity
from guard.resolve import Func, Klass, environment_for
from guard.resolve.calls import signatures
from guard.resolve.callsites import Site, index
from guard.resolve.nodes import METADATA, Resolving
from guard.resolve.signature import Signature, from_ast, problem
from guard.rulekit import Example, Rule, RuleContext


class SignatureDrift(Rule):
    """A changed signature that call sites elsewhere in the repo, left untouched, no longer fit.

    Why: the patch looks complete in its own hunk; the breakage is in a file it never opened.
    """

    ID = "signature-drift"
    MESSAGE = "a call site no longer fits the changed signature"
    SEVERITY = Severity.ERROR
    CONFIDENCE = Confidence.HIGH
    METADATA_DEPENDENCIES = (PositionProvider, *METADATA)

    VALID = (
        Example(
            before="def f(a, b):\n    return a + b\n\n\nx = f(1, 2)\n",
            after="def f(a, b, c=0):\n    return a + b + c\n\n\nx = f(1, 2)\n",
        ),
        Example(
            before="def f(a, b):\n    return a + b\n\n\nx = f(1, 2)\n",
            after="def f(a, c):\n    return a + c\n\n\nx = f(1, 2)\n",
        ),
        Example(
            before="def f(a):\n    return a\n\n\ndef g():\n    return f(1)\n",
            after="def f(a, b):\n    return a + b\n\n\ndef g():\n    return f(1, 2)\n",
        ),
        Example(
            before="def f(a):\n    return a\n",
            after="def f(a, b):\n    return a + b\n",
            files=(("other.py", "def f(x):\n    return x\n\n\ny = f(1)\n"),),
        ),
        Example(
            before="def f(a, b):\n    return a\n\n\nclass C:\n    def f(self, a):\n        return a\n\n    def g(self):\n        return self.f(1)\n",
            after="def f(a, b, c):\n    return a\n\n\nclass C:\n    def f(self, a):\n        return a\n\n    def g(self):\n        return self.f(1)\n",
        ),
    )
    INVALID = (
        Example(
            before="def f(a, b=1):\n    return a + b\n\n\nx = f(1)\ny = f(1, b=2)\n",
            after="def f(a, b):\n    return a + b\n\n\nx = f(1)\ny = f(1, b=2)\n",
            lines=(5,),
        ),
        Example(
            before="def make_key(args, kwargs, typed=False):\n    return args\n\n\nk = make_key((), {}, True)\n",
            after="def make_key(args, kwargs, *, typed=False):\n    return args\n\n\nk = make_key((), {}, True)\n",
            lines=(5,),
        ),
        Example(
            before="class C:\n    def f(self, a, verbose=False):\n        return a\n\n    def g(self):\n        return self.f(1, verbose=True)\n",
            after="class C:\n    def f(self, a):\n        return a\n\n    def g(self):\n        return self.f(1, verbose=True)\n",
            lines=(6,),
        ),
        Example(
            before="class P:\n    def __init__(self, x):\n        self.x = x\n\n\np = P(1)\n",
            after="class P:\n    def __init__(self, x, y):\n        self.x = x + y\n\n\np = P(1)\n",
            lines=(6,),
        ),
    )

    def __init__(self, context: RuleContext) -> None:
        super().__init__(context)
        self.r = Resolving(self)

    def finish(self) -> None:
        ctx = self.context
        if ctx.before is None or ctx.after is None:
            return
        old_defs = {d.qualname: d for d in ctx.before.definitions if d.kind == "function"}
        for d in ctx.changes.changed_definitions:
            old = old_defs.get(d.qualname)
            if d.kind != "function" or old is None or "<locals>" in d.qualname:
                continue
            before, after = _signature(ctx.before.text, old), _signature(ctx.after.text, d)
            if before is None or after is None or before == after:
                continue
            self._check_sites(d, before, after)

    def _check_sites(self, d: Definition, before: Signature, after: Signature) -> None:
        env = self.r.env
        parts = d.qualname.split(".")
        target = env.resolve(f"{self.r.module}.{d.qualname}")
        if not isinstance(target, Func) or signatures(env, target, via_instance=False) is None:
            return  # decorated beyond what we can follow
        if len(parts) == 1:
            wanted, name, bound = f"{self.r.module}.{parts[0]}", parts[0], False
        elif len(parts) == 2 and parts[1] == "__init__":
            wanted, name, bound = f"{self.r.module}.{parts[0]}", parts[0], True
        elif len(parts) == 2:
            wanted, name, bound = f"self:{parts[0]}", parts[1], True
        else:
            return
        if "staticmethod" in target.info.decorators:
            bound = False
        old, new = (before.bound(), after.bound()) if bound else (before, after)
        sites = self.context.project.memo("signature-drift.callsites", self._index)
        for site in sites.get(name, []):
            if not self._refers(site, wanted) or self._changed(site):
                continue
            reason = problem(new, site.shape)
            if reason is not None and problem(old, site.shape) is None:
                self.report(
                    message=f"{site.callee}() {reason}: '{d.qualname}' changed its parameters to {after.describe()}",
                    path=site.path,
                    line=site.line,
                    column=site.column,
                    anywhere=True,
                )

    def _index(self) -> dict[str, list[Site]]:
        return index(self.context.project.repo, dict(environment_for(self.context.project).overlay))

    def _refers(self, site: Site, wanted: str) -> bool:
        if wanted.startswith("self:"):
            return site.path == self.context.path and site.callee.startswith("self.") and site.cls == wanted[5:]
        absolute, resolved = self.r.env.resolve_in(site.module, site.callee)
        return absolute == wanted or (isinstance(resolved, Func | Klass) and _qualname(resolved) == wanted)

    def _changed(self, site: Site) -> bool:
        changes = self.context.project.files.get(site.path)
        return changes is not None and site.line in changes.changed_lines


def _qualname(resolved: Func | Klass) -> str:
    return resolved.qualname


def _signature(text: str, d: Definition) -> Signature | None:
    return _signatures_by_line(text).get(d.line)


@lru_cache(maxsize=64)
def _signatures_by_line(text: str) -> dict[int, Signature]:
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError):
        return {}
    return {
        node.lineno: from_ast(node)
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
    }
