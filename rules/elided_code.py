"""elided-code: the patch leaves a placeholder where code was.

A model that rewrites a long function often abbreviates what it did not mean to change:
``# ... existing code ...``, ``# rest of the function unchanged``, ``...  # (unchanged)``. Applied
as written, the patch deletes that code. Three shapes are reported on changed lines:

* a comment or bare string that reads as an elision marker: an ellipsis with words about
  existing, remaining or omitted code, or a short note that code is unchanged or omitted;
* a function whose original body did real work and whose new body is only ``pass``, ``...``,
  ``raise NotImplementedError`` or a docstring (abstract methods and overloads excepted);
* a bare ``...`` statement added among the real statements of a function body.

Example::

       def parse(rows):
    -      header = rows[0]
    -      return [dict(zip(header, r)) for r in rows[1:]]
    +      header = [h.lstrip("\\ufeff") for h in rows[0]]
    +      # ... rest of the function unchanged ...
"""

from __future__ import annotations

import ast
import re

import libcst as cst

from guard.findings import Confidence, Severity
from guard.rulekit import Example, Rule, RuleContext

from ._patch import before_function, code, dotted, span, statements, touches

_ELLIPSIS = re.compile(r"\.\.\.|…|\[\s*\.\.\s*\]")
# Words saying that code was left out or kept as it was.
_STATE = {
    "unchanged", "omitted", "elided", "unmodified", "untouched", "brevity", "truncated",
    "snipped", "snip", "abbreviated",
}  # fmt: skip
_AS_BEFORE = re.compile(r"\b(same\s+as|as)\s+(before|previously)\b", re.IGNORECASE)
_POINTER = {"existing", "rest", "remaining", "remainder", "original", "previous", "other"}
_FILLER = {
    "the", "of", "a", "an", "is", "are", "as", "above", "below", "here", "same", "before", "goes",
    "go", "remains", "remain",
    "stays", "stay", "kept", "keep", "not", "shown", "for", "to", "from", "all", "it", "this",
    "that", "and", "in", "code", "function", "method", "class", "file", "module", "body",
    "implementation", "logic", "lines", "line", "content", "contents", "check", "checks", "test",
    "tests", "cases", "case", "handling", "branches", "definitions", "methods", "functions",
    "statements", "block", "loop", "validation", "setup", "version", "etc", "like", "with",
}  # fmt: skip
_NOTE = re.compile(
    r"\b(rest|remainder|remaining)\s+of\s+(the\s+)?(\w+\s+){0,2}?"
    r"(is\s+|are\s+|remains?\s+|stays?\s+)?(unchanged|as\s+before|the\s+same|omitted|elided)\b"
    r"|\b(omitted|elided|truncated|abbreviated)\s+for\s+brevity\b"
    r"|\b(code|logic|implementation|body|checks|validation|handling)\s+(is\s+|are\s+)?"
    r"(as\s+before|unchanged|omitted|elided)\b",
    re.IGNORECASE,
)


_CONTINUATION = re.compile(r"\s*(\.\.\.|…)\s*(and|or|but|then|so|while|whereas|which|that)\b", re.IGNORECASE)


def is_elision_marker(text: str) -> bool:
    """Whether a comment or string reads as 'code left out here', by its shape."""
    if _NOTE.search(text):
        return True
    words = re.findall(r"[a-z]+", text.lower())
    if not words or len(words) > 8:
        return False
    strong = _STATE | _POINTER
    # An ellipsis followed by a conjunction continues a sentence of an earlier comment ("# ... and
    # must still exclude the other side"): prose, not a marker.
    if _ELLIPSIS.search(text) and any(w in strong for w in words) and not _CONTINUATION.match(text):
        return True
    short_note = all(w in strong or w in _FILLER for w in words)
    return short_note and (any(w in _STATE for w in words) or bool(_AS_BEFORE.search(text)))


def _is_placeholder(stmt: cst.CSTNode) -> bool:
    if isinstance(stmt, cst.Pass):
        return True
    if isinstance(stmt, cst.Expr):
        return isinstance(stmt.value, cst.Ellipsis | cst.SimpleString | cst.ConcatenatedString)
    if isinstance(stmt, cst.Raise) and stmt.exc is not None:
        return dotted(stmt.exc).rsplit(".", 1)[-1] == "NotImplementedError"
    return False


def _is_bare_placeholder(stmt: cst.CSTNode) -> bool:
    return isinstance(stmt, cst.Pass) or (isinstance(stmt, cst.Expr) and isinstance(stmt.value, cst.Ellipsis))


def _is_stub_only(node: cst.FunctionDef) -> bool:
    return all(_is_placeholder(s) for s in statements(node.body))


def _defined_with_a_body(tree: ast.Module | None) -> frozenset[str]:
    """Module-level functions (in any ``if``/``try`` branch) the patched file also defines with
    real statements: read from the whole file, as the rules' tree leaves unchanged bodies out."""
    names: set[str] = set()

    def walk(body: list[ast.stmt]) -> None:
        for node in body:
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                if any(not _ast_placeholder(s) for s in node.body):
                    names.add(node.name)
            elif isinstance(node, ast.If | ast.Try | ast.With):
                for field in ("body", "orelse", "finalbody"):
                    walk(getattr(node, field, []))
                for handler in getattr(node, "handlers", []):
                    walk(handler.body)

    walk(tree.body if tree is not None else [])
    return frozenset(names)


def _ast_placeholder(stmt: ast.stmt) -> bool:
    """``_is_placeholder`` for an ``ast`` statement."""
    if isinstance(stmt, ast.Pass) or (isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant)):
        return True
    if isinstance(stmt, ast.Raise) and stmt.exc is not None:
        exc = stmt.exc.func if isinstance(stmt.exc, ast.Call) else stmt.exc
        name = exc.attr if isinstance(exc, ast.Attribute) else getattr(exc, "id", "")
        return name == "NotImplementedError"
    return False


_STUB_DECORATORS = {"abstractmethod", "overload", "abstractproperty", "abstractclassmethod"}


class ElidedCode(Rule):
    """An elision marker (``# ... existing code ...``) or a real body replaced by a stub.

    Why: applied as written, the placeholder deletes the code it stands for; the patch reads well
    and silently drops behaviour. Docstrings, abstract methods, overloads and ``...`` bodies that
    were stubs before are not reported.
    """

    ID = "elided-code"
    MESSAGE = "the patch leaves a placeholder where code was"
    SEVERITY = Severity.ERROR
    CONFIDENCE = Confidence.HIGH

    VALID = (
        Example(  # a sentence continued from the comment above, not a marker
            before="CASES = [\n    ('2.3.7', '>=2.3.7', True),\n]\n",
            after="CASES = [\n    # inclusive operators include the boundary\n    ('2.3.7', '>=2.3.7', True),\n"
            "    # ... and must still exclude the other side\n    ('2.3.7', '>=2.3.8', False),\n]\n",
        ),
        Example(  # a placeholder whose comment says why nothing happens, not what is missing
            before="def close(h):\n    h.close()\n",
            after="def close(h):\n    try:\n        h.close()\n    except OSError:\n        pass  # already closed by the other side\n",
        ),
        Example(  # the other platform's variant of a definition: a documented no-op
            before="import sys\n\n\ndef show(s):\n    print(s)\n",
            after="import sys\n\nif sys.platform == 'win32':\n\n    def _init(s):\n        enable_vt(s)\n\nelse:\n\n"
            "    def _init(s):\n        \"\"\"Nothing to do here.\"\"\"\n\n\ndef show(s):\n    _init(s)\n    print(s)\n",
        ),
        Example(
            before="def f(x):\n    return x + 1\n",
            after="def f(x):\n    # Keep the existing keys unchanged; only add new ones.\n    return x + 1\n",
        ),
        Example(
            before="from typing import Protocol\n",
            after=(
                "from typing import Protocol, overload\n\n\nclass Reader(Protocol):\n"
                "    def read(self, n: int) -> bytes: ...\n\n\n@overload\ndef g(x: int) -> int: ...\n"
            ),
        ),
        Example(
            before="def load(path):\n    return open(path).read()\n",
            after=(
                'def load(path):\n    """Read the file; existing code calls this... unchanged API."""\n'
                "    return open(path).read()\n"
            ),
        ),
        Example(
            before="import abc\n\n\nclass Base(abc.ABC):\n    def run(self):\n        return 1\n",
            after=(
                "import abc\n\n\nclass Base(abc.ABC):\n    @abc.abstractmethod\n    def run(self):\n"
                "        raise NotImplementedError\n"
            ),
        ),
        Example(
            before="def todo():\n    pass\n",
            after='def todo():\n    """Not written yet."""\n    raise NotImplementedError\n',
        ),
        Example(
            before="def f(rows):\n    for r in rows:\n        yield r\n",
            after="def f(rows):\n    # Rows:\n    #   header\n    #   ... (more rows, same as before) ...\n    #   footer\n    for r in rows:\n"
            "        if not r:\n            break\n        yield r\n",
        ),
        Example(  # a test's local double, passed along; another test calls its own `receive`
            before="import asyncio\n",
            after=(
                "import asyncio\n\n\ndef test_echo():\n    async def receive():\n        return {'type': 'x'}\n\n"
                "    assert asyncio.run(receive())['type'] == 'x'\n\n\ndef test_hints():\n"
                "    async def receive():\n        raise NotImplementedError\n\n    run(app, receive)\n"
            ),
            path="tests/test_app.py",
        ),
    )
    INVALID = (
        Example(  # a local stub its own function calls: the code it was to hold is missing
            before="def total(rows):\n    return sum(rows)\n",
            after=(
                "def total(rows):\n    def clean(r):\n        raise NotImplementedError\n\n"
                "    return sum(clean(r) for r in rows)\n"
            ),
            lines=(3,),
        ),
        Example(
            before="def f(rows):\n    rows = list(rows)\n    rows.sort()\n    return rows\n",
            after="def f(rows):\n    rows = [r.strip() for r in rows]\n    # ... existing code ...\n",
            lines=(3,),
        ),
        Example(
            before="def f(x):\n    y = x * 2\n    return y + 1\n",
            after="def f(x):\n    y = x * 3\n    # rest of the function unchanged\n",
            lines=(3,),
        ),
        Example(
            before="class C:\n    def clear(self):\n        self._data.clear()\n        self.hits = 0\n",
            after="class C:\n    def clear(self):\n        ...  # (unchanged)\n",
            lines=(3,),
        ),
        Example(  # a placeholder statement pointing at the code it replaced
            before="def expo(n):\n    while True:\n        yield n\n        n *= 2\n",
            after="def expo(n: int):\n    while True:\n        pass  # existing implementation\n",
            lines=(3,),
        ),
        Example(  # a trailing marker between comment lines is still a marker
            before="def w(s):\n    for c in s:\n        # narrow\n        n = f(c)\n        # wide\n        g(n)\n",
            after="def w(s: str):\n    for c in s:\n        # narrow\n        ...  # unchanged\n        # wide\n        g(1)\n",
            lines=(4,),
        ),
        Example(
            before="def g(a):\n    return sorted(a)\n",
            after="def g(a):\n    pass  # TODO: implement\n",
            lines=(2,),
        ),
        Example(
            before="def h(a):\n    if a:\n        return 1\n    return 2\n",
            after='def h(a):\n    """Pick."""\n    raise NotImplementedError("implementation omitted")\n',
            lines=(3,),
        ),
        Example(
            before="def k(a):\n    a.append(1)\n    a.sort()\n    return a\n",
            after="def k(a):\n    a.append(2)\n    ...\n    return a\n",
            lines=(3,),
        ),
        Example(
            before="def v(d):\n    check_a(d)\n    check_b(d)\n",
            after='def v(d):\n    check_c(d)\n    """... remaining validation as before ..."""\n',
            lines=(3,),
        ),
    )

    def __init__(self, context: RuleContext) -> None:
        super().__init__(context)
        self._docstrings: set[int] = set()
        self._reported: set[int] = set()
        self._new_stubs: list[tuple[str, str, int]] = []
        self._called: set[tuple[str, str]] = set()
        # The classes ("class", or "protocol" for a Protocol or ABC) and functions the visit is in,
        # innermost last: a stub defined inside a function is a local of it, called only from within it.
        self._within: list[tuple[str, int]] = []
        self._lines = context.after.text.splitlines() if context.after else []

    def _report_once(self, node: cst.CSTNode, message: str) -> None:
        line = span(self, node).start
        if line not in self._reported and touches(self, node):
            self._reported.add(line)
            self.report(node, message)

    def _note_docstring(self, body: cst.BaseSuite | cst.Module) -> None:
        first = body.body[0] if isinstance(body, cst.Module | cst.IndentedBlock) and body.body else None
        if isinstance(first, cst.SimpleStatementLine) and first.body:
            self._docstrings.add(id(first.body[0]))

    def visit_Module(self, node: cst.Module) -> None:
        self._note_docstring(node)

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        self._note_docstring(node.body)
        bases = {dotted(b.value).rsplit(".", 1)[-1] for b in node.bases}
        self._within.append(("protocol" if bases & {"Protocol", "ABC"} else "class", id(node)))

    def leave_ClassDef(self, original_node: cst.ClassDef) -> None:
        self._within.pop()

    def leave_FunctionDef(self, original_node: cst.FunctionDef) -> None:
        self._within.pop()

    def _in_prose(self, node: cst.Comment) -> bool:
        """A comment line between two comment lines is documentation (a diagram, a paragraph);
        a comment after code on its line is not part of any paragraph."""
        line = span(self, node).start
        if 0 < line <= len(self._lines) and not self._lines[line - 1].lstrip().startswith("#"):
            return False
        around = [self._lines[i].lstrip() for i in (line - 2, line) if 0 <= i < len(self._lines)]
        return len(around) == 2 and all(text.startswith("#") for text in around)

    def visit_Comment(self, node: cst.Comment) -> None:
        if is_elision_marker(node.value.lstrip("#")) and not self._in_prose(node):
            self._report_once(node, f"elision marker `{node.value.strip()}`: the code it stands for is deleted")

    def visit_SimpleStatementLine(self, node: cst.SimpleStatementLine) -> None:
        """``pass  # existing implementation``: a placeholder statement whose comment points at
        code that is not there (words about existing or remaining code and nothing else)."""
        comment = node.trailing_whitespace.comment
        if comment is None or len(node.body) != 1 or not _is_bare_placeholder(node.body[0]):
            return
        words = re.findall(r"[a-z]+", comment.value.lower())
        pointing = {w for w in words if w in _STATE or (w in _POINTER and w != "other")}
        if words and pointing and all(w in _STATE or w in _POINTER or w in _FILLER for w in words):
            self._report_once(node, f"`{code(node.body[0]).strip()}  {comment.value}` stands for code that is not there: the code it stands for is deleted")

    def visit_Expr(self, node: cst.Expr) -> None:
        value = node.value
        if id(node) in self._docstrings or not isinstance(value, cst.SimpleString):
            return
        text = value.evaluated_value
        if isinstance(text, str) and is_elision_marker(text):
            self._report_once(node, "a string used as an elision marker: the code it stands for is deleted")

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        enclosing = self._within[-1] if self._within else None
        self._within.append(("function", id(node)))
        self._note_docstring(node.body)
        names = {dotted(d.decorator).rsplit(".", 1)[-1] for d in node.decorators}
        stub = names & _STUB_DECORATORS or self.context.path.endswith(".pyi")
        if stub or not touches(self, node):
            return
        old = before_function(self, node)
        scope = next((kind for kind, _ in reversed(self._within[:-1]) if kind != "function"), "module")
        if enclosing is not None and enclosing[0] == "function":
            # A test's local double (`async def receive(): raise NotImplementedError`, passed
            # along and never meant to be called): only a call from the same function counts.
            scope = f"local {enclosing[1]}"
        if old is None and _is_stub_only(node) and scope != "protocol":
            anchor = _anchor(node)
            if touches(self, anchor):  # positions are gone by finish(): keep the line now
                self._new_stubs.append((scope, node.name.value, span(self, anchor).start))
        elif old is not None and _is_stub_only(node) and not _is_stub_only(old):
            self._report_once(_anchor(node), f"the body of `{node.name.value}` was replaced by a stub")
        elif not _is_stub_only(node) and isinstance(node.body, cst.IndentedBlock):
            for line in node.body.body:
                if isinstance(line, cst.SimpleStatementLine) and _is_ellipsis(line):
                    self._report_once(
                        _anchor(line), "a bare `...` among real statements stands for elided code"
                    )

    def visit_Call(self, node: cst.Call) -> None:
        name = dotted(node.func).split(".")
        if len(name) == 1 and touches(self, node):
            self._called.add(("module", name[0]))
            self._called.update((f"local {ident}", name[0]) for kind, ident in self._within if kind == "function")
        elif len(name) == 2 and name[0] in ("self", "cls") and touches(self, node):
            self._called.add(("class", name[1]))

    def finish(self) -> None:
        """A new stub that changed code now calls: the moved code did not arrive."""
        real = _defined_with_a_body(self.context.after.tree if self.context.after else None)
        for scope, name, line in self._new_stubs:
            if scope == "module" and name in real:
                continue  # one variant of a definition made per platform or version: a no-op here
            if (scope, name) in self._called and line not in self._reported:
                self._reported.add(line)
                self.report(line=line, message=f"changed code now calls `{name}`, a new stub with no body")


def _is_ellipsis(line: cst.SimpleStatementLine) -> bool:
    return any(isinstance(s, cst.Expr) and isinstance(s.value, cst.Ellipsis) for s in line.body)


def _anchor(node: cst.FunctionDef | cst.SimpleStatementLine) -> cst.CSTNode:
    """Where to report a placeholder: the comment just above it if there is one (the two form one
    elision), else its first non-docstring statement."""
    if isinstance(node, cst.FunctionDef):
        if not isinstance(node.body, cst.IndentedBlock):
            return node.body
        lines = [ln for ln in node.body.body if not _is_docstring_line(ln)] or list(node.body.body)
        node = lines[0] if isinstance(lines[0], cst.SimpleStatementLine) else node
        if isinstance(node, cst.FunctionDef):
            return node.body
    comments = [ln.comment for ln in node.leading_lines if ln.comment is not None]
    return comments[-1] if comments else node


def _is_docstring_line(line: cst.BaseStatement) -> bool:
    return isinstance(line, cst.SimpleStatementLine) and all(_is_docstring(s) for s in line.body)


def _is_docstring(stmt: cst.CSTNode) -> bool:
    return isinstance(stmt, cst.Expr) and isinstance(stmt.value, cst.SimpleString | cst.ConcatenatedString)
