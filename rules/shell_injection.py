"""shell-injection: a command line built by interpolation and run by a shell bandit does not see.

bandit already reports ``shell=True`` and ``os.system``/``os.popen`` with a non-literal command at
HIGH severity (B602, B605), so this rule leaves those to it. It covers the shapes bandit misses or
rates LOW: an explicit shell in an argument list (``["sh", "-c", f"grep {pattern} {path}"]``,
bandit: B603 LOW "check for untrusted input") and ``asyncio.create_subprocess_shell`` /
``loop.subprocess_shell`` (bandit: nothing). Reported on changed lines outside test files (a test
drives its own commands; no untrusted input reaches them) when the command string is
an f-string, ``%`` or ``.format()`` or ``+`` with a non-literal part, unless every interpolated
value is passed through ``shlex.quote``, or unless the patch left every unquoted value as exposed as
it was: before the patch the same function (or module) already passed each of them to a shell, at
least as exposed (bare, or inside a single-quoted part of the template), in one command. argcomplete
3.7.0 shell-quoted the completion prefix in ``"... '!*.{0}' -- {p}".format(x, p=quote(prefix))``; its
``x`` sat in the same single quotes before, and the patch brought no new unquoted value to the shell.
Dropping the ``quote()`` again (the prefix bare where it was single-quoted) is reported.

It also covers ``shell=True`` on a call bandit cannot resolve to ``subprocess`` (bandit: B604,
"possible security issue", LOW confidence), such as a runner injected as a parameter
(``runner: Runner = subprocess.run``) or bound to a local name, when the command (directly or
through the function's variables) is interpolated. When the callee resolves, through the
parameter's default or the name's assignments and the module's imports, to a ``subprocess``
function, confidence is high; an unresolved callee (``self.run(cmd, shell=True)``) is reported at
medium confidence.

Example::

    +    subprocess.run(["sh", "-c", f"less {path}"], check=False)
    +    runner(f"{script} --branch {branch}", shell=True)  # runner=subprocess.run
"""

from __future__ import annotations

import re
import string

import libcst as cst
from libcst.metadata import ParentNodeProvider, PositionProvider

from guard.findings import Confidence, Severity
from guard.rulekit import Example, Rule, RuleContext

from ._flow import METADATA, View
from ._patch import before_function, dotted, literal, touches, walk

_SHELLS = {"sh", "bash", "zsh", "dash", "ksh", "fish", "cmd", "cmd.exe", "powershell", "pwsh"}
_SHELL_FLAGS = {"-c", "/c", "-lc", "-ec", "-command"}
_SHELL_APIS = {"create_subprocess_shell", "subprocess_shell"}
# What bandit's B602 resolves (and rates HIGH with a non-literal command).
_BANDIT_SUBPROCESS = frozenset(
    {
        "subprocess.Popen",
        "subprocess.call",
        "subprocess.check_call",
        "subprocess.check_output",
        "subprocess.run",
    }
)


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


# How exposed an interpolated value is to the shell that parses the command: shell-quoted, inside
# a single-quoted part of the template (a ``'`` in the value still breaks out), or bare.
_QUOTED, _SINGLE, _BARE = 0, 1, 2
_PERCENT = re.compile(r"%(?:\([^)]*\))?[#0\- +]*(?:\*|\d+)?(?:\.(?:\*|\d+))?[hlL]?([diouxXeEfFgGcrsa%])")

Segment = tuple[str, "cst.BaseExpression | str"]
"""("text", literal text) or ("value", the interpolated expression)."""


def _segments(node: cst.BaseExpression) -> list[Segment] | None:
    """The command string as literal text and interpolated values in order; None for a shape this
    cannot follow (a template that is not a literal, ``%`` with a mapping)."""
    if isinstance(node, cst.FormattedString):
        out: list[Segment] = []
        for part in node.parts:
            if isinstance(part, cst.FormattedStringText):
                out.append(("text", part.value))
            elif isinstance(part, cst.FormattedStringExpression):
                out.append(("value", part.expression))
        return out
    ok, value = literal(node)
    if ok:
        return [("text", value)] if isinstance(value, str) else None
    if isinstance(node, cst.BinaryOperation) and isinstance(node.operator, cst.Add):
        left, right = _segments(node.left), _segments(node.right)
        return None if left is None or right is None else left + right
    if isinstance(node, cst.BinaryOperation) and isinstance(node.operator, cst.Modulo):
        ok, template = literal(node.left)
        if not ok or not isinstance(template, str):
            return None
        values = [e.value for e in node.right.elements] if isinstance(node.right, cst.Tuple) else [node.right]
        out, at, i = [], 0, 0
        for spec in _PERCENT.finditer(template):
            out.append(("text", template[at:spec.start()]))
            at = spec.end()
            if spec[1] == "%":
                out.append(("text", "%"))
                continue
            if "(" in spec[0] or i >= len(values):
                return None
            out.append(("value", values[i]))
            i += 1
        return [*out, ("text", template[at:])]
    if isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute) and node.func.attr.value == "format":
        ok, template = literal(node.func.value)
        if not ok or not isinstance(template, str):
            return None
        positional = [a.value for a in node.args if a.keyword is None and not a.star]
        named = {a.keyword.value: a.value for a in node.args if a.keyword is not None}
        out, auto = [], 0
        try:
            fields = list(string.Formatter().parse(template))
        except ValueError:
            return None
        for text, field, _, _ in fields:
            out.append(("text", text))
            if field is None:
                continue
            head = re.split(r"[.\[]", field, maxsplit=1)[0]
            if head == "":
                head, auto = str(auto), auto + 1
            found = positional[int(head)] if head.isdigit() and int(head) < len(positional) else named.get(head)
            if found is None:
                return None
            out.append(("value", found))
        return out
    return None


def exposures(node: cst.BaseExpression) -> dict[str, int] | None:
    """Each interpolated value of a command string (its source) with how exposed it is to the shell
    (the most exposed of its uses); literal values are left out. None when the shape is unknown."""
    segments = _segments(node)
    if segments is None:
        return None
    out: dict[str, int] = {}
    single = double = False
    for kind, item in segments:
        if kind == "text":
            assert isinstance(item, str)
            escaped = False
            for char in item:
                if escaped:
                    escaped = False
                elif char == "\\" and not single:
                    escaped = True
                elif char == "'" and not double:
                    single = not single
                elif char == '"' and not single:
                    double = not double
            continue
        assert isinstance(item, cst.BaseExpression)
        if literal(item)[0] or (isinstance(item, cst.BinaryOperation) and not interpolated(item)):
            continue
        level = _QUOTED if _quoted(item) else _SINGLE if single else _BARE
        text = " ".join(cst.Module(body=[]).code_for_node(item).split())
        out[text] = max(out.get(text, _QUOTED), level)
    return out


def _commands(scope: cst.CSTNode) -> list[cst.BaseExpression]:
    """The command strings a scope hands to a shell: ``[<shell>, "-c", <command>]`` and the first
    argument of the asyncio shell APIs."""
    found: list[cst.BaseExpression] = []
    for node in walk(scope):
        if isinstance(node, cst.List | cst.Tuple):
            command = _shell_command(node)
            if command is not None:
                found.append(command)
        elif isinstance(node, cst.Call) and node.args and dotted(node.func).rsplit(".", 1)[-1] in _SHELL_APIS:
            found.append(node.args[0].value)
    return found


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
    METADATA_DEPENDENCIES = (PositionProvider, *METADATA)

    VALID = (
        Example(
            path="tests/test_cli.py",
            before="import subprocess\n",
            after="import subprocess\n\n\ndef test_grep(tmp_path):\n    subprocess.run(['sh', '-c', f'grep x {tmp_path}'], check=True)\n",
        ),
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
        Example(
            before="import subprocess\n",
            after=(
                "import subprocess\nfrom subprocess import run as sh\n\n\n"
                "def build(target, runner=subprocess.run):\n    command = 'make all'\n"
                "    runner(command, shell=True)\n    sh(f'make {target}', shell=True)\n"
            ),
        ),
        Example(
            before="import shlex\n",
            after=(
                "import shlex\n\n\ndef show(ctx, path):\n"
                "    ctx.run(f'less {shlex.quote(path)}', shell=True)\n"
            ),
        ),
        Example(  # argcomplete 3.7.0: the prefix now shell-quoted, the suffix single-quoted as before
            before=(
                "import subprocess\n\n\ndef files(suffix, prefix):\n"
                "    return subprocess.check_output(\n"
                "        ['bash', '-c', \"compgen -A file -X '!*.{0}' -- '{p}'\".format(suffix, p=prefix)])\n"
            ),
            after=(
                "import subprocess\nfrom shlex import quote\n\n\ndef files(suffix, prefix):\n"
                "    return subprocess.check_output(\n"
                "        ['bash', '-c', \"compgen -A file -X '!*.{0}' -- {p}\".format(suffix, p=quote(prefix))])\n"
            ),
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
        Example(
            before=(
                "import subprocess\nfrom collections.abc import Callable\n\n"
                "Runner = Callable[..., subprocess.CompletedProcess]\n\n\n"
                "def deploy(script, branch, *, runner: Runner = subprocess.run):\n"
                "    return runner([script, '--branch', branch], check=False)\n"
            ),
            after=(
                "import subprocess\nfrom collections.abc import Callable\n\n"
                "Runner = Callable[..., subprocess.CompletedProcess]\n\n\n"
                "def deploy(script, branch, *, runner: Runner = subprocess.run):\n"
                "    command = f'{script} --branch {branch}'\n"
                "    return runner(\n        command,\n        shell=True,\n        check=False,\n    )\n"
            ),
            lines=(11,),
        ),
        Example(
            before="import subprocess\n",
            after=(
                "import subprocess\n\ncheck = subprocess.check_output\n\n\n"
                "def branch_log(branch):\n    return check('git log ' + branch, shell=True)\n"
            ),
            lines=(7,),
        ),
        Example(
            before="class Deployer:\n    pass\n",
            after=(
                "class Deployer:\n    def pull(self, branch):\n"
                "        return self.execute('git pull origin {}'.format(branch), shell=True)\n"
            ),
            lines=(3,),
        ),
        Example(  # the prefix bare where it was single-quoted: more exposed than before the patch
            before=(
                "import subprocess\n\n\ndef files(suffix, prefix):\n"
                "    return subprocess.check_output(\n"
                "        ['bash', '-c', \"compgen -A file -X '!*.{0}' -- '{p}'\".format(suffix, p=prefix)])\n"
            ),
            after=(
                "import subprocess\n\n\ndef files(suffix, prefix):\n"
                "    return subprocess.check_output(\n"
                "        ['bash', '-c', \"compgen -A file -X '!*.{0}' -- {p}\".format(suffix, p=prefix)])\n"
            ),
            lines=(6,),
        ),
        Example(  # a value the old command did not pass to the shell
            before=(
                "import subprocess\n\n\ndef grep(pattern):\n"
                "    return subprocess.run(['sh', '-c', f'grep {pattern} notes.txt'])\n"
            ),
            after=(
                "import subprocess\n\n\ndef grep(pattern, path):\n"
                "    return subprocess.run(['sh', '-c', f'grep {pattern} {path}'])\n"
            ),
            lines=(5,),
        ),
    )

    def __init__(self, context: RuleContext) -> None:
        super().__init__(context)
        self._view: View | None = None

    def visit_Call(self, node: cst.Call) -> None:
        if self.context.is_test_file:
            return
        self._shell_true(node)
        name = dotted(node.func).rsplit(".", 1)[-1]
        if (
            name in _SHELL_APIS
            and node.args
            and interpolated(node.args[0].value)
            and touches(self, node)
            and not self._as_before(node, node.args[0].value)
        ):
            self.report(node, f"`{name}` runs an interpolated command line through the shell")

    def visit_List(self, node: cst.List) -> None:
        self._argv(node)

    def visit_Tuple(self, node: cst.Tuple) -> None:
        self._argv(node)

    def _argv(self, node: cst.List | cst.Tuple) -> None:
        command = _shell_command(node) if not self.context.is_test_file else None
        if (
            command is not None
            and interpolated(command)
            and touches(self, node)
            and not self._as_before(node, command)
        ):
            self.report(node, "an interpolated command line is passed to a shell's -c")

    def _as_before(self, node: cst.CSTNode, command: cst.BaseExpression) -> bool:
        """Whether the original version of the enclosing function (or module) already passed each
        value this command leaves unquoted to a shell, at least as exposed, in one command."""
        now = exposures(command)
        if now is None:
            return False
        exposed = {value: level for value, level in now.items() if level > _QUOTED}
        scope: cst.CSTNode | None = None
        parent = self.get_metadata(ParentNodeProvider, node, None)
        while parent is not None and not isinstance(parent, cst.FunctionDef):
            parent = self.get_metadata(ParentNodeProvider, parent, None)
        if isinstance(parent, cst.FunctionDef):
            scope = before_function(self, parent)
        elif self.context.before is not None:
            scope = self.context.before.module
        if scope is None:
            return False
        for old in _commands(scope):
            then = exposures(old)
            if then is not None and all(then.get(value, -1) >= level for value, level in exposed.items()):
                return True
        return False

    def _shell_true(self, node: cst.Call) -> None:
        """``shell=True`` with an interpolated command, on a callee bandit does not resolve."""
        shell = next(
            (a for a in node.args if a.keyword is not None and a.keyword.value == "shell"), None
        )
        if (
            shell is None
            or literal(shell.value) not in ((True, True), (True, 1))
            or not touches(self, shell)
        ):
            return
        command = next(
            (
                a.value
                for a in node.args
                if (a.keyword is None and not a.star) or (a.keyword and a.keyword.value == "args")
            ),
            None,
        )
        if command is None:
            return
        if self._view is None:
            self._view = View.of_rule(self)
        view = self._view
        if view.qualified(node.func) in _BANDIT_SUBPROCESS or not self._interpolated(view, command):
            return
        callee = _source(node.func)
        target = self._subprocess_target(view, node.func)
        if target is not None:
            self.report(
                shell,
                f"`{callee}` is `{target}`: it runs an interpolated command line through the shell "
                "(shell=True), where a value can carry `;` or `$( )`",
            )
        else:
            self.report(
                shell,
                f"`{callee}(..., shell=True)` gets an interpolated command line: a value in it can "
                "carry `;` or `$( )`",
                confidence=Confidence.MEDIUM,
            )

    def _interpolated(self, view: View, command: cst.BaseExpression) -> bool:
        if isinstance(command, cst.Name):
            bound = view.bindings(command)
            return bool(bound) and any(
                isinstance(b, cst.BaseExpression) and interpolated(b) for b in bound or ()
            )
        return interpolated(command)

    def _subprocess_target(self, view: View, func: cst.BaseExpression) -> str | None:
        """What every binding of the callee name is, when always the same ``subprocess`` function:
        a parameter's default, an assignment, ``functools.partial(subprocess.run, ...)``."""
        if not isinstance(func, cst.Name):
            return None
        bindings = view.bindings(func)
        if not bindings:
            return None
        found: set[str | None] = set()
        for bound in bindings:
            value = bound.default if isinstance(bound, cst.Param) else bound
            if (
                isinstance(value, cst.Call)
                and view.qualified(value.func) == "functools.partial"
                and value.args
            ):
                value = value.args[0].value
            name = view.qualified(value) if isinstance(value, cst.BaseExpression) else None
            found.add(name if name is not None and name.startswith("subprocess.") else None)
        return found.pop() if len(found) == 1 else None


def _source(node: cst.CSTNode) -> str:
    return " ".join(cst.Module(body=[]).code_for_node(node).split())
