"""shell-injection: a command line built by interpolation and run by a shell bandit does not see.

bandit already reports ``shell=True`` and ``os.system``/``os.popen`` with a non-literal command at
HIGH severity (B602, B605), so this rule leaves those to it. It covers the shapes bandit misses or
rates LOW: an explicit shell in an argument list (``["sh", "-c", f"grep {pattern} {path}"]``,
bandit: B603 LOW "check for untrusted input") and ``asyncio.create_subprocess_shell`` /
``loop.subprocess_shell`` (bandit: nothing). Reported on changed lines when the command string is
an f-string, ``%`` or ``.format()`` or ``+`` with a non-literal part, unless every interpolated
value is passed through ``shlex.quote``.

Example::

    +    subprocess.run(["sh", "-c", f"less {path}"], check=False)
"""

from __future__ import annotations

import libcst as cst

from guard.findings import Confidence, Severity
from guard.rulekit import Example, Rule

from ._patch import dotted, literal, touches

_SHELLS = {"sh", "bash", "zsh", "dash", "ksh", "fish", "cmd", "cmd.exe", "powershell", "pwsh"}
_SHELL_FLAGS = {"-c", "/c", "-lc", "-ec", "-command"}
_SHELL_APIS = {"create_subprocess_shell", "subprocess_shell"}


def _quoted(node: cst.BaseExpression) -> bool:
    return isinstance(node, cst.Call) and dotted(node.func) in (
        "shlex.quote",
        "quote",
        "shlex.join",
    )


def interpolated(node: cst.BaseExpression) -> bool:
    """Whether a string is built from values that are not literals, none of them shell-quoted."""
    parts: list[cst.BaseExpression] = []
    if isinstance(node, cst.FormattedString):
        parts = [p.expression for p in node.parts if isinstance(p, cst.FormattedStringExpression)]
    elif isinstance(node, cst.BinaryOperation) and isinstance(node.operator, cst.Add | cst.Modulo):
        parts = [node.left, node.right]
    elif (
        isinstance(node, cst.Call)
        and isinstance(node.func, cst.Attribute)
        and node.func.attr.value == "format"
    ):
        parts = [a.value for a in node.args]
    return any(
        not literal(p)[0]
        and not _quoted(p)
        and (not isinstance(p, cst.BinaryOperation) or interpolated(p))
        for p in parts
    )


def _shell_command(args: cst.BaseExpression) -> cst.BaseExpression | None:
    """In ``[<shell>, "-c", <command>, ...]``, the command."""
    if not isinstance(args, cst.List | cst.Tuple) or len(args.elements) < 3:
        return None
    head = [literal(e.value) for e in args.elements[:2]]
    if not all(ok and isinstance(v, str) for ok, v in head):
        return None
    shell, flag = (str(v) for _, v in head)
    if shell.rsplit("/", 1)[-1].lower() in _SHELLS and flag.lower() in _SHELL_FLAGS:
        return args.elements[2].value
    return None


class ShellInjection(Rule):
    """An interpolated command run through an explicit shell argv or an asyncio shell API.

    Why: any value in the string (a file name, a branch, a setting) can carry ``;`` or ``$( )``.
    bandit's B602/B605 already cover ``shell=True`` and ``os.system``; this covers what they miss.
    """

    ID = "shell-injection"
    MESSAGE = "an interpolated command line runs through a shell"
    SEVERITY = Severity.ERROR
    CONFIDENCE = Confidence.HIGH

    VALID = (
        Example(
            before="import subprocess\n",
            after="import subprocess\n\n\ndef grep(p):\n    return subprocess.run(['grep', '-n', p, 'f.txt'])\n",
        ),
        Example(
            before="import subprocess\n",
            after=(
                "import shlex\nimport subprocess\n\n\ndef view(p):\n"
                "    return subprocess.run(['sh', '-c', f'less {shlex.quote(p)}'])\n"
            ),
        ),
        Example(
            before="import asyncio\n",
            after="import asyncio\n\n\nasync def ls():\n    return await asyncio.create_subprocess_shell('ls -l')\n",
        ),
        Example(
            before="import subprocess\n",
            after="import subprocess\n\n\ndef run(p):\n    return subprocess.run(f'less {p}', shell=True)\n",
        ),
    )
    INVALID = (
        Example(
            before="import subprocess\n",
            after="import subprocess\n\n\ndef view(p):\n    return subprocess.run(['sh', '-c', f'less {p}'])\n",
            lines=(5,),
        ),
        Example(
            before="import asyncio\n",
            after=(
                "import asyncio\n\n\nasync def pull(branch):\n"
                "    return await asyncio.create_subprocess_shell('git pull origin ' + branch)\n"
            ),
            lines=(5,),
        ),
        Example(
            before="import subprocess\n",
            after=(
                "import subprocess\n\n\ndef find(root, name):\n"
                "    cmd = ['/bin/bash', '-c', 'find {} -name {}'.format(root, name)]\n"
                "    return subprocess.check_output(cmd)\n"
            ),
            lines=(5,),
        ),
        Example(
            before="import subprocess\n",
            after="import subprocess\n\n\ndef tail(n, p):\n    subprocess.Popen(('sh', '-c', 'tail -n %d %s' % (n, p)))\n",
            lines=(5,),
        ),
    )

    def visit_Call(self, node: cst.Call) -> None:
        name = dotted(node.func).rsplit(".", 1)[-1]
        if (
            name in _SHELL_APIS
            and node.args
            and interpolated(node.args[0].value)
            and touches(self, node)
        ):
            self.report(node, f"`{name}` runs an interpolated command line through the shell")

    def visit_List(self, node: cst.List) -> None:
        self._argv(node)

    def visit_Tuple(self, node: cst.Tuple) -> None:
        self._argv(node)

    def _argv(self, node: cst.List | cst.Tuple) -> None:
        command = _shell_command(node)
        if command is not None and interpolated(command) and touches(self, node):
            self.report(node, "an interpolated command line is passed to a shell's -c")
