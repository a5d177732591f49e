"""widened-permissions: a file mode the original chose, widened to let others write.

``mode=0o644`` on a lock file, ``os.chmod(path, 0o600)`` on a key, ``os.makedirs(d, 0o700)`` for a
private cache: the authors picked who may read and write. A patch that "fixes a permission error"
by making the mode ``0o777`` or ``0o666`` lets every local user replace the file or plant one (a
lock another process trusts, a config that is then loaded, a key). Nothing fails: the tests run as
the owner.

Reported on changed lines outside test files: an integer mode at the same place as in the
original version of the function (a parameter's default named ``mode``/``*_mode``/``perm*``; a
``mode=`` keyword of a call; the mode argument of ``os.chmod``/``os.fchmod``/``os.lchmod``,
``os.open``, ``os.mkdir``/``os.makedirs``, ``os.mknod``; the first argument of a ``.chmod``/
``.mkdir``/``.touch`` method, as ``pathlib`` has) that now grants permission bits the original did
not, among them write for group or others (high), or read/execute for them only (medium).

Where bandit stands: B103 reports a literal world-writable mode passed to ``os.chmod``, not a
parameter's default, ``os.open``, ``os.makedirs`` or ``Path.chmod``, nor whether it was narrower.

Example::

    -        mode: int = 0o644,
    +        mode: int = 0o777,
"""

from __future__ import annotations

import ast
import re

from guard.findings import Confidence, Severity
from guard.rulekit import Example, Rule

from ._patch import AstFunction, ast_own, ast_qualified, ast_rewritten_functions

# Where the mode is among the positional arguments of the os functions that take one.
_MODE_ARG = {
    "os.chmod": 1, "os.lchmod": 1, "os.fchmod": 1, "os.open": 2, "os.mkdir": 1, "os.makedirs": 1,
    "os.mknod": 1,
}  # fmt: skip
_METHODS = frozenset({"chmod", "mkdir", "touch", "lchmod"})
_MODE_PARAM = re.compile(r"^(mode|\w+_mode|perm\w*|umask)$")
_OTHERS_WRITE = 0o022
_OTHERS = 0o077


def _mode(node: ast.expr | None) -> int | None:
    if isinstance(node, ast.Constant) and type(node.value) is int and 0 <= node.value <= 0o7777:
        return node.value
    return None


def _modes(fn: AstFunction, imports: dict[str, str]) -> dict[str, list[tuple[int, ast.Constant]]]:
    """Each integer mode of the function, by where it sits: ``param mode``, ``os.chmod#1``,
    ``.mkdir#0``, ``open(mode=)``; several at one place are kept in order."""
    out: dict[str, list[tuple[int, ast.Constant]]] = {}
    args = fn.args
    positional = [*args.posonlyargs, *args.args]
    pairs = [*zip(positional[len(positional) - len(args.defaults) :], args.defaults, strict=True)]
    pairs += [(a, d) for a, d in zip(args.kwonlyargs, args.kw_defaults, strict=True) if d is not None]
    for param, default in pairs:
        mode = _mode(default)
        if _MODE_PARAM.match(param.arg) and mode is not None and isinstance(default, ast.Constant):
            out.setdefault(f"param {param.arg}", []).append((mode, default))
    for node in ast_own(fn):
        if not isinstance(node, ast.Call):
            continue
        name = ast_qualified(node.func, imports)
        callee = name or (f".{node.func.attr}" if isinstance(node.func, ast.Attribute) else "")
        for kw in node.keywords:
            mode = _mode(kw.value)
            if kw.arg == "mode" and mode is not None and isinstance(kw.value, ast.Constant):
                out.setdefault(f"{callee}(mode=)", []).append((mode, kw.value))
        index = _MODE_ARG.get(name)
        if index is None and not name and isinstance(node.func, ast.Attribute) and node.func.attr in _METHODS:
            index = 0
        if index is not None and len(node.args) > index:
            value, mode = node.args[index], _mode(node.args[index])
            if mode is not None and isinstance(value, ast.Constant):
                out.setdefault(f"{callee}#{index}", []).append((mode, value))
    return out


class WidenedPermissions(Rule):
    """A file or directory mode the original set is widened so that group or others may write.

    Why: the patch makes a permission error go away and passes every test (tests run as the
    owner), but any local user can now replace or plant the file. A mode that was already that
    wide, a new mode with no original to compare with, and test files are not reported.
    """

    ID = "widened-permissions"
    MESSAGE = "a file mode the original chose now lets group or others write"
    SEVERITY = Severity.ERROR
    CONFIDENCE = Confidence.HIGH
    VALID = (
        Example(  # narrowed
            before="import os\n\ndef save(path):\n    os.chmod(path, 0o644)\n",
            after="import os\n\ndef save(path):\n    os.chmod(path, 0o600)\n",
        ),
        Example(  # a new function: nothing to compare with (bandit's B103 speaks for os.chmod)
            before="import os\n",
            after="import os\n\ndef share(path):\n    os.makedirs(path, 0o777, exist_ok=True)\n",
        ),
        Example(  # the same width, written differently
            before="def lock(path, mode=0o666):\n    return open_lock(path, mode)\n",
            after="def lock(path, timeout=-1, mode=0o666):\n    return open_lock(path, mode, timeout)\n",
        ),
        Example(  # test files set up whatever they need
            path="tests/test_lock.py",
            before="import os\n\ndef test_lock(tmp_path):\n    os.chmod(tmp_path, 0o700)\n",
            after="import os\n\ndef test_lock(tmp_path):\n    os.chmod(tmp_path, 0o777)\n",
        ),
    )
    INVALID = (
        Example(  # a parameter's default
            before="class Lock:\n    def __init__(self, path, mode: int = 0o644):\n        self.mode = mode\n",
            after="class Lock:\n    def __init__(self, path, mode: int = 0o777):\n        self.mode = mode\n",
            lines=(2,),
        ),
        Example(  # os.open's mode
            before="import os\n\ndef create(path):\n    return os.open(path, os.O_CREAT | os.O_WRONLY, 0o600)\n",
            after="import os\n\ndef create(path):\n    return os.open(path, os.O_CREAT | os.O_WRONLY | os.O_TRUNC, 0o666)\n",
            lines=(4,),
        ),
        Example(  # pathlib's mkdir, by keyword
            before="def cache_dir(root):\n    d = root / 'cache'\n    d.mkdir(mode=0o700, exist_ok=True)\n    return d\n",
            after="def cache_dir(root):\n    d = root / 'cache'\n    d.mkdir(mode=0o777, parents=True, exist_ok=True)\n    return d\n",
            lines=(3,),
        ),
    )

    def visit_Module(self, node: object) -> None:
        for fn, old, new_imports, old_imports in ast_rewritten_functions(self):
            before = _modes(old, old_imports)
            for where, values in _modes(fn, new_imports).items():
                olds = before.get(where)
                if not olds:
                    continue
                for index, (now, value) in enumerate(values):
                    if value.lineno not in self.context.changed_lines:
                        continue
                    was = olds[min(index, len(olds) - 1)][0]
                    added = now & ~was & _OTHERS
                    if not added:
                        continue
                    sure = Confidence.HIGH if added & _OTHERS_WRITE else Confidence.MEDIUM
                    self.report(
                        line=value.lineno,
                        column=value.col_offset + 1,
                        message=f"mode {oct(was)} of the original became {oct(now)} ({where.strip()}): "
                        f"it now lets {_who(added)}",
                        confidence=sure,
                    )


def _who(bits: int) -> str:
    parts = []
    for mask, who in ((0o070, "group"), (0o007, "others")):
        rights = "".join(c for c, b in (("r", 0o444), ("w", 0o222), ("x", 0o111)) if bits & mask & b)
        if rights:
            parts.append(f"{who} {rights}")
    return " and ".join(parts)
