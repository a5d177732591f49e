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

from libcst.metadata import PositionProvider

from guard.changes import Definition, ParsedSource
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
        Example(
            before="import typing\n\n\n@typing.overload\ndef g(name: None = None, cls: type = ..., **kw: object) -> int: ...\n@typing.overload\ndef g(name: str) -> int: ...\ndef g(name=None, cls=None, **kw):\n    return 1\n\n\nx = g()\n",
            after="import typing\n\n\n@typing.overload\ndef g(name: None = None, *, cls: type, **kw: object) -> int: ...\n@typing.overload\ndef g(name: str) -> int: ...\ndef g(name=None, cls=None, **kw):\n    return 1\n\n\nx = g()\n",
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
        old_defs = _variants(ctx.before.definitions)
        new_defs = _variants(ctx.after.definitions)
        seen: set[str] = set()
        for d in ctx.changes.changed_definitions:
            if d.kind != "function" or d.qualname not in old_defs or d.qualname in seen:
                continue
            if "<locals>" in d.qualname:
                continue
            seen.add(d.qualname)
            # Every variant counts: ``@overload``s and the implementation, or a rebinding in a
            # version branch. A call that one of them accepts still binds.
            before = [self._signatures("before").get(o.line) for o in old_defs[d.qualname]]
            after = [self._signatures("after").get(n.line) for n in new_defs.get(d.qualname, [d])]
            if None in before or None in after or before == after:
                continue
            self._check_sites(
                d, [s for s in before if s is not None], [s for s in after if s is not None]
            )

    def _signatures(self, state: str) -> dict[int, Signature]:
        source: ParsedSource | None = getattr(self.context, state)
        return self.context.project.memo(
            f"signature-drift.signatures:{state}:{self.context.path}", lambda: _signatures_by_line(source)
        )

    def _check_sites(self, d: Definition, before: list[Signature], after: list[Signature]) -> None:
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
        old = [s.bound() for s in before] if bound else before
        new = [s.bound() for s in after] if bound else after
        sites = self.context.project.memo("signature-drift.callsites", self._index)
        for site in sites.get(name, []):
            if not self._refers(site, wanted) or self._changed(site):
                continue
            reasons = [problem(sig, site.shape) for sig in new]
            if None in reasons or all(problem(sig, site.shape) is not None for sig in old):
                continue
            self.report(
                message=f"{site.callee}() {reasons[-1]}: '{d.qualname}' changed its parameters to {after[-1].describe()}",
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


def _variants(definitions: list[Definition]) -> dict[str, list[Definition]]:
    """Functions by qualified name; several for ``@overload``s or a definition per branch."""
    out: dict[str, list[Definition]] = {}
    for d in definitions:
        if d.kind == "function":
            out.setdefault(d.qualname, []).append(d)
    return out


def _signatures_by_line(source: ParsedSource | None) -> dict[int, Signature]:
    """By line, the signatures of the version's functions, from its ``ast`` tree (parsed once for
    every stage; None when the text does not parse: no signatures)."""
    if source is None or source.tree is None:
        return {}
    return {
        node.lineno: from_ast(node)
        for node in ast.walk(source.tree)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
    }
