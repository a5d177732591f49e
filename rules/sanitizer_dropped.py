"""sanitizer-dropped: a value the original escaped or stripped now reaches the same use raw.

``os.path.basename(name)`` keeps a file name from climbing out of its directory, ``shlex.quote``
keeps a value one word of a shell command, ``html.escape``/``markupsafe.escape`` keep text from
becoming markup, ``re.escape`` keeps a value a literal in a pattern, ``urllib.parse.quote`` keeps
it one component of a URL. A patch that "simplifies" the line by passing the value itself reads
the same and passes tests written with tame inputs; the input that needed the sanitizer is the
attacker's.

Reported on changed lines outside test files: in a function whose original version passed an
expression through one of those sanitizers (resolved through the module's imports), the patched
version has fewer such calls of it on that expression and uses the bare expression in the same
place: the same keyword of the same callee, the same argument position, the same assignment
target, a return, or an f-string/concatenation that itself sits in such a place (method calls
on the sanitized value, ``basename(p).upper()``, are looked through); or a statement of the
patched version reads exactly as the original's with the sanitizer call replaced by its argument.
Sanitized values are counted per place, so one of two ``basename(cmd)`` dropped counts.

Where bandit stands: it has no check for this.

Example::

    -        base_name = os.path.basename(name).upper()
    +        base_name = name.upper()
"""

from __future__ import annotations

import ast

from guard.findings import Confidence, Severity
from guard.rulekit import Example, Rule

from ._patch import AstFunction, ast_own, ast_qualified, ast_rewritten_functions

# What each sanitizer keeps a value from doing.
_SANITIZERS = {
    "os.path.basename": "naming a path outside its directory",
    "posixpath.basename": "naming a path outside its directory",
    "ntpath.basename": "naming a path outside its directory",
    "shlex.quote": "splitting into shell words and operators",
    "pipes.quote": "splitting into shell words and operators",
    "html.escape": "becoming markup",
    "markupsafe.escape": "becoming markup",
    "jinja2.escape": "becoming markup",
    "xml.sax.saxutils.escape": "becoming markup",
    "xml.sax.saxutils.quoteattr": "becoming markup",
    "re.escape": "being read as pattern syntax",
    "urllib.parse.quote": "changing the URL's structure",
    "urllib.parse.quote_plus": "changing the URL's structure",
    "werkzeug.utils.secure_filename": "naming a path outside its directory",
}


def _parents(fn: AstFunction) -> dict[ast.AST, ast.AST]:
    out: dict[ast.AST, ast.AST] = {}
    for node in ast_own(fn):
        for child in ast.iter_child_nodes(node):
            out[child] = node
    return out


def _use(node: ast.AST, parents: dict[ast.AST, ast.AST]) -> str | None:
    """Where a value goes, in words comparable across versions: ``keyword invalid of
    TMPL.format``, ``argument 0 of open``, ``assigned to base_name``, ``returned``; None when it
    goes somewhere this rule does not compare."""
    parent = parents.get(node)
    # Look through method calls on the value and string building around it.
    while parent is not None and (
        (isinstance(parent, ast.Attribute) and parent.value is node)
        or (isinstance(parent, ast.Call) and parent.func is node)
        or isinstance(parent, ast.FormattedValue | ast.JoinedStr | ast.BinOp)
    ):
        node, parent = parent, parents.get(parent)
    if isinstance(parent, ast.keyword) and parent.arg:
        call = parents.get(parent)
        return f"keyword {parent.arg} of {ast.unparse(call.func)}" if isinstance(call, ast.Call) else None
    if isinstance(parent, ast.Call) and node in parent.args:
        return f"argument {parent.args.index(node)} of {ast.unparse(parent.func)}"
    if isinstance(parent, ast.Assign) and node is parent.value:
        return "assigned to " + ", ".join(ast.unparse(t) for t in parent.targets)
    if isinstance(parent, ast.AnnAssign | ast.AugAssign) and node is parent.value:
        return f"assigned to {ast.unparse(parent.target)}"
    if isinstance(parent, ast.Return):
        return "returned"
    return None


_SIMPLE = (ast.Return, ast.Assign, ast.AugAssign, ast.AnnAssign, ast.Expr)


def _sanitized(fn: AstFunction, imports: dict[str, str]) -> list[tuple[str, str, str | None, str | None]]:
    """Each sanitizer call of the function: (sanitizer, its argument's code, where it goes, and
    the simple statement it sits in as it reads with the call replaced by its argument)."""
    parents = _parents(fn)
    out = []
    for node in ast_own(fn):
        if isinstance(node, ast.Call) and len(node.args) == 1 and not isinstance(node.args[0], ast.Starred):
            name = ast_qualified(node.func, imports)
            if name in _SANITIZERS:
                arg = ast.unparse(node.args[0])
                stmt: ast.AST | None = parents.get(node)
                while stmt is not None and not isinstance(stmt, ast.stmt):
                    stmt = parents.get(stmt)
                bare = ast.unparse(stmt).replace(ast.unparse(node), arg) if isinstance(stmt, _SIMPLE) else None
                out.append((name, arg, _use(node, parents), bare))
    return out


class SanitizerDropped(Rule):
    """A value the original passed through a sanitizer reaches the same place without it.

    Why: the escaping or stripping was the only thing between the input and the path, shell,
    markup or pattern it ends up in; tame test inputs do not notice it is gone. A sanitizer moved
    (the value sanitized once, earlier, under another name), new code, and test files are not
    reported.
    """

    ID = "sanitizer-dropped"
    MESSAGE = "a sanitizer the original applied is gone where the value is used"
    SEVERITY = Severity.ERROR
    CONFIDENCE = Confidence.MEDIUM
    VALID = (
        Example(  # sanitized once, earlier, and the safe value used
            before="import html\n\ndef cell(text):\n    return f'<td>{html.escape(text)}</td>'\n",
            after="import html\n\ndef cell(text):\n    safe = html.escape(text)\n    return f'<td>{safe}</td>'\n",
        ),
        Example(  # the sanitizer stays, the line changed around it
            before="import shlex\n\ndef cmd(path):\n    return 'ls ' + shlex.quote(path)\n",
            after="import shlex\n\ndef cmd(path):\n    return 'ls -l ' + shlex.quote(path)\n",
        ),
        Example(  # a local function called escape is not a sanitizer this rule knows
            before="def escape(s):\n    return s\n\ndef show(s):\n    return escape(s)\n",
            after="def escape(s):\n    return s\n\ndef show(s):\n    return s\n",
        ),
        Example(  # tests
            path="tests/test_paths.py",
            before="import os\n\ndef check(p):\n    return open(os.path.basename(p))\n",
            after="import os\n\ndef check(p):\n    return open(p)\n",
        ),
    )
    INVALID = (
        Example(
            before="import os\n\ndef reserved(name):\n    base = os.path.basename(name).upper()\n    return base in NAMES\n",
            after="import os\n\ndef reserved(name):\n    base = name.upper()\n    return base in NAMES\n",
            lines=(4,),
        ),
        Example(  # a keyword of the same call
            before="import re\n\ndef message(c):\n    return TMPL.format(invalid=re.escape(c), where=1)\n",
            after="import re\n\ndef message(c):\n    return TMPL.format(invalid=c)\n",
            lines=(4,),
        ),
        Example(  # shell quoting gone from an f-string command
            before="import shlex, subprocess\n\ndef run(path):\n    subprocess.run(f'ls {shlex.quote(path)}', shell=True)\n",
            after="import shlex, subprocess\n\ndef run(path):\n    subprocess.run(f'ls -la {path}', shell=True)\n",
            lines=(4,),
        ),
        Example(  # in a boolean expression over two lines: the statement reads as before, minus the sanitizer
            before="import re\n\ndef translate(m):\n    return m.group('set') or (\n        re.escape(m.group(0)).replace('x', '.')\n    )\n",
            after="import re\n\ndef translate(m):\n    return m.group('set') or (\n        m.group(0).replace('x', '.')\n    )\n",
            lines=(5,),
        ),
    )

    def visit_Module(self, node: object) -> None:
        for fn, old, new_imports, old_imports in ast_rewritten_functions(self):
            was = _sanitized(old, old_imports)
            if not was:
                continue
            now = _sanitized(fn, new_imports)
            parents = _parents(fn)
            reported: set[int] = set()
            for name, arg, use, bare_stmt in was:
                key = (name, arg, use)
                if sum(1 for n, a, u, _ in now if (n, a, u) == key) >= sum(1 for n, a, u, _ in was if (n, a, u) == key):
                    continue
                for bare in ast_own(fn):
                    if not isinstance(bare, ast.expr | ast.stmt):
                        continue
                    if isinstance(bare, ast.expr) and use is not None:
                        same = ast.unparse(bare) == arg and _use(bare, parents) == use
                        lines = [bare.lineno]
                    else:  # the whole statement as the original's reads without the sanitizer
                        same = isinstance(bare, _SIMPLE) and bare_stmt is not None and ast.unparse(bare) == bare_stmt
                        lines = list(range(bare.lineno, (bare.end_lineno or bare.lineno) + 1))
                    changed = [n for n in lines if n in self.context.changed_lines and n not in reported]
                    if not same or not changed:
                        continue
                    line = changed[0]
                    reported.add(line)
                    self.report(
                        line=line,
                        column=bare.col_offset + 1 if line == bare.lineno else 1,
                        message=f"the original passed `{arg}` through `{name}` ({use or 'in this statement'}); "
                        f"here it goes there raw, and nothing keeps it from {_SANITIZERS[name]}",
                    )
                    break
