"""swallowed-error: a new broad ``except`` that throws the error away.

``except Exception: pass`` (or bare ``except:``, ``except BaseException``, ``contextlib.suppress(
Exception)``) around real logic turns every failure, including the typos and wrong attributes of a
hallucinated patch, into silently wrong results. Reported when the patch adds or changes the
handler and its body only discards the error: ``pass``, ``...``, ``continue``, ``break``, ``return``,
``return None``, or returning or assigning a literal or a default built from literals (``return Config()``,
``key = None``). A
narrow handler (``except KeyError: pass``), one that logs, records or re-raises, and best-effort
cleanup (``close()``, ``unlink()`` and the like in the ``try``) are fine.

bandit's B110/B112 see only ``pass`` and ``continue``, at low severity; this rule also sees the
returns, ``...`` and ``suppress``, and only reports handlers the patch wrote.

A handler that carries a linter's blind-except suppression (``# noqa: BLE001``, ``# pylint:
disable=broad-exception-caught``) in a file whose original version already acknowledged a blind
except the same way is not reported: the project lints for broad handlers and reviews each one, and
the patch follows that practice rather than hiding an error the project's linter would have shown.

Example::

         for tx in transactions:
    -        out.append(convert(tx, rates))
    +        try:
    +            out.append(convert(tx, rates))
    +        except Exception:
    +            continue
"""

from __future__ import annotations

import re

import libcst as cst

from guard.findings import Confidence, Severity
from guard.rulekit import Example, Rule, RuleContext

from ._patch import code, dotted, literal, span, statements, touches, walk

_BROAD = {"Exception", "BaseException", "builtins.Exception", "builtins.BaseException"}
# Calls that are commonly allowed to fail silently: releasing resources at the end of their life.
_CLEANUP = {
    "close", "unlink", "remove", "rmdir", "rmtree", "kill", "terminate", "cancel", "shutdown",
    "release", "disconnect", "cleanup", "stop", "join", "wait", "flush", "__del__", "__exit__",
}  # fmt: skip


# A linter's code for a broad or bare ``except`` (flake8-blind-except, pycodestyle, flake8-bandit's
# try-except-pass/continue, pylint), named in a suppression comment.
_ACKNOWLEDGED = re.compile(
    r"#\s*(?:noqa\s*:\s*(?P<noqa>[A-Z0-9, ]+)|pylint\s*:\s*disable\s*=\s*(?P<pylint>[\w, -]+))"
)
_BLIND_EXCEPT_CODES = frozenset({
    "BLE001", "BLE", "E722", "S110", "S112", "broad-except", "broad-exception-caught", "bare-except",
    "W0702", "W0703", "W0718",
})  # fmt: skip


def acknowledged(line: str) -> frozenset[str]:
    """The blind-except codes a suppression comment on ``line`` names."""
    codes: set[str] = set()
    for m in _ACKNOWLEDGED.finditer(line):
        named = m["noqa"] or m["pylint"] or ""
        codes.update(c.strip() for c in named.split(","))
    return frozenset(codes & _BLIND_EXCEPT_CODES)


def _is_broad(kind: cst.BaseExpression | None) -> bool:
    if kind is None:
        return True
    if isinstance(kind, cst.Tuple):
        return any(_is_broad(e.value) for e in kind.elements)
    return dotted(kind) in _BROAD


def _constant(expr: cst.BaseExpression) -> bool:
    """A literal, or a value built from literals only (``Config()``, ``Decimal("0")``)."""
    if literal(expr)[0]:
        return True
    return (
        isinstance(expr, cst.Call)
        and bool(dotted(expr.func))
        and all(literal(a.value)[0] and not a.star for a in expr.args)
    )


def _discards(stmt: cst.CSTNode) -> str | None:
    """How a handler statement discards the error, or None if it does not."""
    if isinstance(stmt, cst.Pass | cst.Continue | cst.Break):
        return type(stmt).__name__.lower()
    if isinstance(stmt, cst.Expr) and isinstance(stmt.value, cst.Ellipsis | cst.SimpleString):
        return "..."
    if isinstance(stmt, cst.Return):
        if stmt.value is None:
            return "return"
        return "return a fallback value" if _constant(stmt.value) else None
    if isinstance(stmt, cst.Assign | cst.AnnAssign) and stmt.value is not None:
        # A True/False flag records that something failed; any other constant replaces the result.
        flag = isinstance(literal(stmt.value)[1], bool)
        return "a fallback value" if _constant(stmt.value) and not flag else None
    return None


def _is_cleanup(body: cst.BaseSuite) -> bool:
    calls = [s for s in statements(body) if isinstance(s, cst.Expr) and isinstance(s.value, cst.Call)]
    return bool(calls) and len(calls) == len(statements(body)) and all(
        dotted(c.value).rsplit(".", 1)[-1] in _CLEANUP for c in calls
    )


class SwallowedError(Rule):
    """A broad ``except`` (bare, ``Exception``, ``BaseException``) whose body discards the error.

    Why: it hides every failure of the code it wraps, including the patch's own mistakes, and turns
    them into wrong results. Narrow handlers, logging, re-raising and cleanup are not reported.
    """

    ID = "swallowed-error"
    MESSAGE = "a broad except discards the error"
    SEVERITY = Severity.ERROR
    CONFIDENCE = Confidence.HIGH

    VALID = (
        Example(  # a test provokes the failure, then checks what it left behind
            path="tests/test_retry.py",
            before="def test_stops():\n    r = Retrying(stop=3)\n    assert r.attempts == 0\n",
            after="import contextlib\n\n\ndef test_stops():\n    r = Retrying(stop=3)\n"
            "    with contextlib.suppress(Exception):\n        r(fail)\n    assert r.attempts == 3\n",
        ),
        Example(
            before="def get(d, k):\n    return d[k]\n",
            after="def get(d, k):\n    try:\n        return d[k]\n    except KeyError:\n        return None\n",
        ),
        Example(
            before="def run(job):\n    job()\n",
            after=(
                "import logging\n\nlog = logging.getLogger(__name__)\n\n\ndef run(job):\n    try:\n"
                "        job()\n    except Exception:\n        log.exception('job failed')\n"
            ),
        ),
        Example(
            before="import os\n\n\ndef drop(p):\n    os.unlink(p)\n",
            after=(
                "import contextlib\nimport os\n\n\ndef drop(p):\n"
                "    with contextlib.suppress(FileNotFoundError):\n        os.unlink(p)\n"
            ),
        ),
        Example(
            before="def stop(conn):\n    conn.close()\n",
            after="def stop(conn):\n    try:\n        conn.close()\n    except Exception:\n        pass\n",
        ),
        Example(
            before="def f(x):\n    try:\n        return g(x)\n    except Exception:\n        pass\n",
            after="def f(x):\n    try:\n        return g(x) + 1\n    except Exception:\n        pass\n",
        ),
        Example(
            before="def f(x):\n    return g(x)\n",
            after="def f(x):\n    try:\n        return g(x)\n    except Exception as exc:\n"
            "        raise ValueError(x) from exc\n",
        ),
        Example(
            before="class Job:\n    def run(self):\n        self.step()\n",
            after=(
                "class Job:\n    def run(self):\n        try:\n            self.step()\n        except Exception:\n"
                "            self.failed = True\n"
            ),
        ),
        Example(  # a yes/no probe of the environment answers no when it cannot ask
            before="import os\n",
            after=(
                "import os\n\n\ndef bsd():\n    try:\n        return os.uname().sysname.lower() in ('freebsd', 'netbsd')\n"
                "    except Exception:\n        return False\n"
            ),
        ),
        Example(  # the project lints for blind excepts and acknowledges each; the patch follows suit
            before=(
                "def a():\n    try:\n        return load()\n    except Exception:  # noqa: BLE001\n"
                "        return None\n"
            ),
            after=(
                "def a():\n    try:\n        return load()\n    except Exception:  # noqa: BLE001\n"
                "        return None\n\n\ndef b():\n    try:\n        return fetch()\n"
                "    except Exception:  # noqa: BLE001\n        return None\n"
            ),
        ),
    )
    INVALID = (
        Example(  # a suppression the original file never used is no project practice
            before="def b():\n    return fetch()\n",
            after="def b():\n    try:\n        return fetch()\n    except Exception:  # noqa: BLE001\n        pass\n",
            lines=(4,),
        ),
        Example(  # in a test, swallowing the block's own assertion weakens the test
            path="tests/test_retry.py",
            before="def test_stops():\n    assert run() == 3\n",
            after="def test_stops():\n    try:\n        assert run() == 3\n    except Exception:\n        pass\n",
            lines=(4,),
        ),
        Example(  # the try does work besides answering: its failure is hidden behind False
            before="def save(db, row):\n    db.insert(row)\n    return True\n",
            after="def save(db, row):\n    try:\n        db.insert(row)\n        return True\n    except Exception:\n"
            "        return False\n",
            lines=(5,),
        ),
        Example(
            before="def fire(cb, k):\n    cb(k)\n",
            after="def fire(cb, k):\n    try:\n        cb(k)\n    except Exception:\n        pass\n",
            lines=(4,),
        ),
        Example(
            before="def conv(items):\n    return [f(i) for i in items]\n",
            after=(
                "def conv(items):\n    out = []\n    for i in items:\n        try:\n            out.append(f(i))\n"
                "        except Exception:\n            continue\n    return out\n"
            ),
            lines=(6,),
        ),
        Example(
            before="def load(p):\n    return Config.read(p)\n",
            after="def load(p):\n    try:\n        return Config.read(p)\n    except:\n        return Config()\n",
            lines=(4,),
        ),
        Example(
            before="def n(s):\n    return int(s)\n",
            after="def n(s):\n    try:\n        return int(s)\n    except (ValueError, BaseException):\n"
            "        return -1\n",
            lines=(4,),
        ),
        Example(
            before="import contextlib\n\n\ndef w(p, t):\n    p.write_text(t)\n",
            after=(
                "import contextlib\n\n\ndef w(p, t):\n    with contextlib.suppress(Exception):\n"
                "        p.write_text(t)\n"
            ),
            lines=(5,),
        ),
        Example(
            before="def f(x):\n    try:\n        return g(x)\n    except Exception:\n        raise\n",
            after="def f(x):\n    try:\n        return g(x)\n    except Exception:\n        ...\n",
            lines=(4,),
        ),
        Example(
            before="def rate(t, a, b):\n    return t[b] / t[a]\n",
            after=(
                "from decimal import Decimal\n\n\ndef rate(t, a, b):\n    try:\n        return t[b] / t[a]\n"
                "    except Exception:\n        return Decimal('0')\n"
            ),
            lines=(7,),
        ),
        Example(
            before="def call(f, a):\n    key = make_key(a)\n    return f(key)\n",
            after=(
                "def call(f, a):\n    try:\n        key = make_key(a)\n    except Exception:\n"
                "        key = None\n    return f(key)\n"
            ),
            lines=(4,),
        ),
    )

    def __init__(self, context: RuleContext) -> None:
        super().__init__(context)
        self._tries: dict[int, cst.Try] = {}

    def visit_ExceptHandler(self, node: cst.ExceptHandler) -> None:
        if not _is_broad(node.type) or not touches(self, node):
            return
        found = [_discards(s) for s in statements(node.body)]
        ways = [w for w in found if w is not None]
        if not ways or len(ways) < len(found):
            return
        try_node = self._tries.get(id(node))
        if try_node is not None and _is_cleanup(try_node.body):
            return
        if self.context.is_test_file and try_node is not None and not _has_check(try_node.body):
            return  # a test provoking a failure for its side effects, checked afterwards
        if self._project_acknowledges(node):
            return
        if try_node is not None and _predicate_probe(try_node.body, node.body):
            return
        kind = "bare except" if node.type is None else f"except {dotted(node.type) or '(...)'}"
        how = next((w for w in ways if w != "..."), "...")
        broad = node.type is None or "BaseException" in code(node.type)
        returns_value = "fallback" in how
        self.report(
            node,
            f"{kind}: {how} discards every error raised in the try block",
            anywhere=True,  # the handler is new or changed, though maybe not its first line
            severity=Severity.WARNING if returns_value and not broad else None,
            confidence=Confidence.MEDIUM if returns_value and not broad else None,
        )

    def _project_acknowledges(self, node: cst.ExceptHandler) -> bool:
        """Whether the handler's line suppresses a blind-except lint that the file's original
        version already suppressed somewhere: the project's reviewed practice, kept by the patch."""
        after, before = self.context.after, self.context.before
        if after is None or before is None:
            return False
        lines = after.text.splitlines()
        first = span(self, node)[0]
        here = acknowledged(lines[first - 1]) if 0 < first <= len(lines) else frozenset()
        return bool(here) and any(here & acknowledged(old) for old in before.text.splitlines())

    def visit_With(self, node: cst.With) -> None:
        for item in node.items:
            call = item.item
            if (
                isinstance(call, cst.Call)
                and dotted(call).rsplit(".", 1)[-1] == "suppress"
                and any(_is_broad(a.value) for a in call.args)
                and touches(self, item)
                and (not self.context.is_test_file or _has_check(node.body))
            ):
                self.report(item, "suppress(Exception) discards every error raised in the block")

    def visit_Try(self, node: cst.Try) -> None:
        self._tries.update((id(h), node) for h in node.handlers)


_PREDICATES = frozenset({"isinstance", "issubclass", "hasattr", "callable", "bool", "startswith", "endswith"})


def _truth_valued(expr: cst.BaseExpression) -> bool:
    """An expression whose value is a bool: a comparison, ``not``, ``and``/``or`` of such, a bool
    literal, or a predicate call (``isinstance``, ``hasattr``, ``str.startswith``)."""
    if isinstance(expr, cst.Comparison):
        return True
    if isinstance(expr, cst.UnaryOperation) and isinstance(expr.operator, cst.Not):
        return True
    if isinstance(expr, cst.BooleanOperation):
        return _truth_valued(expr.left) and _truth_valued(expr.right)
    if isinstance(expr, cst.Name) and expr.value in {"True", "False"}:
        return True
    return isinstance(expr, cst.Call) and dotted(expr.func).rsplit(".", 1)[-1] in _PREDICATES


def _predicate_probe(body: cst.BaseSuite, handler: cst.BaseSuite) -> bool:
    """``try: return os.uname().sysname.lower() in (...)`` / ``except Exception: return False``:
    a yes/no question about the environment whose answer, when it cannot be asked, is no. The
    try block only computes the answer (each of its statements returns a truth value), so there
    is no other work whose failure the handler hides; the fallback is a legitimate answer of the
    same type, not a stand-in for a lost result (shellingham 1.5.2)."""
    fallback = [s for s in statements(handler)]
    if len(fallback) != 1 or not isinstance(fallback[0], cst.Return) or fallback[0].value is None:
        return False
    if not isinstance(literal(fallback[0].value)[1], bool):
        return False
    tried = statements(body)
    return bool(tried) and all(
        isinstance(s, cst.Return) and s.value is not None and _truth_valued(s.value) for s in tried
    )


def _has_check(body: cst.CSTNode) -> bool:
    """Whether ``body`` checks something (``assert``, ``self.assert*``, ``pytest.fail``): in a test,
    swallowing every error of such a block swallows the failed check too (AssertionError is an
    Exception). Without one, the block only provokes what the test checks afterwards."""
    for node in walk(body):
        if isinstance(node, cst.Assert):
            return True
        if isinstance(node, cst.Call):
            name = dotted(node).rsplit(".", 1)[-1]
            if name.startswith(("assert", "fail")):
                return True
    return False
