"""tls-verify-disabled: certificate verification turned off where bandit does not look.

``verify=False`` makes requests/httpx accept any certificate, so anyone on the path can read and
alter the traffic (and the credentials in it). Models add it to "support self-signed
certificates" or to make an error go away.

bandit's B501 sees only a literal ``verify=False`` on a module-level call (``requests.get(...)``,
``httpx.Client(...)``). This rule resolves what bandit cannot, on changed lines outside test files
(tests of an HTTP client legitimately talk to local servers with throwaway certificates): the call is a
method of a requests/httpx session or client (a local, a parameter annotated with the class, or
``self.session`` assigned one in the class's methods, e.g. ``session or requests.Session()``), or
a requests/httpx function bandit does not list (``requests.request``); the value is ``False``/``0``
or a name whose every binding (in the function, the module, or the repo module it is imported
from; for ``self.attr``, every assignment in the class) is such a constant. ``<session>.verify = False`` is reported too. Names resolve through the
module's imports, so a local class called ``Session`` is not a requests session.

Example::

    -        response = self.session.post(url, data=body)
    +        response = self.session.post(url, data=body, verify=False)
"""

from __future__ import annotations

import libcst as cst
from libcst.metadata import PositionProvider

from guard.findings import Confidence, Severity
from guard.rulekit import Example, Rule, RuleContext

from ._flow import METADATA, Program, View
from ._patch import literal, touches

# Constructors of the clients whose ``verify`` argument is TLS certificate verification.
_CLIENTS = {
    "requests.Session": "requests.Session",
    "requests.session": "requests.Session",
    "requests.sessions.Session": "requests.Session",
    "requests.sessions.session": "requests.Session",
    "httpx.Client": "httpx.Client",
    "httpx.AsyncClient": "httpx.AsyncClient",
}
_CLIENT_MODULES = ("requests", "httpx")
# What bandit's B501 already reports with a literal ``verify=False``.
_BANDIT_HTTP_VERBS = frozenset({"get", "options", "head", "post", "put", "patch", "delete"})
_BANDIT_HTTPX = _BANDIT_HTTP_VERBS | {"request", "stream", "Client", "AsyncClient"}
_MAX_DEPTH = 4


class _Resolver:
    def __init__(self, program: Program) -> None:
        self.program = program

    def client(self, view: View, node: cst.CSTNode, depth: int = 0) -> str | None:
        """The requests/httpx client class every value of ``node`` is an instance of."""
        if depth > _MAX_DEPTH:
            return None
        if isinstance(node, cst.Call):
            name = view.qualified(node.func)
            return _CLIENTS.get(name) if name else None
        if isinstance(node, cst.Await):
            return self.client(view, node.expression, depth + 1)
        if isinstance(node, cst.BooleanOperation) and isinstance(node.operator, cst.Or):
            return self._either(view, node, depth)
        if isinstance(node, cst.Param):
            return self._annotated(view, node.annotation.annotation) if node.annotation else None
        if isinstance(node, cst.AnnAssign):
            return self._annotated(view, node.annotation.annotation)
        if isinstance(node, cst.Name):
            bound = view.bindings(node)
            found = [self.client(view, b, depth + 1) for b in bound or ()]
            return found[0] if found and all(found) and len(set(found)) == 1 else None
        if isinstance(node, cst.Attribute):
            values = view.instance_attribute(node)
            found = [self.client(view, v, depth + 1) for v in values or ()]
            return found[0] if found and all(found) and len(set(found)) == 1 else None
        return None

    def _either(self, view: View, node: cst.BooleanOperation, depth: int) -> str | None:
        """``session or requests.Session()``: a client, when the left side is one too or is an
        unannotated parameter defaulting to None."""
        left, right = node.left, node.right
        right_client = self.client(view, right, depth + 1)
        if right_client is None:
            return None
        if self.client(view, left, depth + 1) == right_client:
            return right_client
        bound = view.bindings(left) if isinstance(left, cst.Name) else None
        if (
            bound
            and len(bound) == 1
            and isinstance(bound[0], cst.Param)
            and bound[0].annotation is None
            and bound[0].default is not None
            and literal(bound[0].default) == (True, None)
        ):
            return right_client
        return None

    def _annotated(self, view: View, annotation: cst.BaseExpression) -> str | None:
        """``requests.Session``, ``Session | None``, ``Optional[Session]``, or the same in a string."""
        if isinstance(annotation, cst.SimpleString):
            text = annotation.evaluated_value
            try:
                parsed = cst.parse_expression(text) if isinstance(text, str) else None
            except cst.ParserSyntaxError:
                return None
            return self._annotated_text(view, annotation, parsed) if parsed is not None else None
        if isinstance(annotation, cst.BinaryOperation) and isinstance(
            annotation.operator, cst.BitOr
        ):
            sides = [annotation.left, annotation.right]
            found = {self._annotated(view, s) for s in sides if not _is_none(s)}
            return found.pop() if len(found) == 1 else None
        if (
            isinstance(annotation, cst.Subscript)
            and view.qualified(annotation.value) == "typing.Optional"
        ):
            index = annotation.slice[0].slice if len(annotation.slice) == 1 else None
            return self._annotated(view, index.value) if isinstance(index, cst.Index) else None
        name = view.qualified(annotation)
        return _CLIENTS.get(name) if name else None

    def _annotated_text(
        self, view: View, anchor: cst.CSTNode, parsed: cst.BaseExpression
    ) -> str | None:
        if isinstance(parsed, cst.BinaryOperation) and isinstance(parsed.operator, cst.BitOr):
            found = {
                self._annotated_text(view, anchor, s)
                for s in (parsed.left, parsed.right)
                if not _is_none(s)
            }
            return found.pop() if len(found) == 1 else None
        dotted = _dotted(parsed)
        name = view.qualified_text(anchor, dotted) if dotted else None
        return _CLIENTS.get(name) if name else None

    def falsy(self, view: View, node: cst.CSTNode, depth: int = 0) -> str | None:
        """How ``node`` is, in every binding, a constant ``False`` or ``0``: its source text."""
        if depth > _MAX_DEPTH:
            return None
        ok, value = literal(node) if isinstance(node, cst.BaseExpression) else (False, None)
        if ok:
            return repr(value) if value is False or (type(value) is int and value == 0) else None
        bound: list[cst.CSTNode] | None = None
        if isinstance(node, cst.Name):
            bound = view.bindings(node)
            if bound and all(isinstance(b, cst.ImportFrom) for b in bound):
                return self._imported(view, node, depth)
        elif isinstance(node, cst.Attribute):
            bound = view.instance_attribute(node)
            if bound is None:
                return self._imported(view, node, depth)
        if not bound or not all(self.falsy(view, b, depth + 1) for b in bound):
            return None
        return f"`{_dotted(node)}` (always {self.falsy(view, bound[0], depth + 1)})"

    def _imported(self, view: View, node: cst.Name | cst.Attribute, depth: int) -> str | None:
        name = view.qualified(node)
        found = self.program.module_binding(name) if name else None
        if found is None or not found[1]:
            return None
        other, bound = found
        values = [self.falsy(other, b, depth + 1) for b in bound]
        return f"`{_dotted(node)}` (always {values[0]})" if all(values) else None


def _is_none(node: cst.BaseExpression) -> bool:
    return isinstance(node, cst.Name) and node.value == "None"


def _dotted(node: cst.CSTNode) -> str:
    if isinstance(node, cst.Name):
        return node.value
    if isinstance(node, cst.Attribute):
        base = _dotted(node.value)
        return f"{base}.{node.attr.value}" if base else ""
    return ""


class TlsVerifyDisabled(Rule):
    """TLS certificate verification disabled (``verify=`` a false constant) on a requests/httpx
    session or call that bandit's B501 cannot resolve.

    Why: any certificate is accepted, so the connection can be intercepted and altered.
    """

    ID = "tls-verify-disabled"
    MESSAGE = "TLS certificate verification is disabled"
    SEVERITY = Severity.ERROR
    CONFIDENCE = Confidence.HIGH
    METADATA_DEPENDENCIES = (PositionProvider, *METADATA)

    VALID = (
        Example(
            path="tests/test_client.py",
            before="import requests\n",
            after="import requests\n\n\ndef test_self_signed(url):\n    s = requests.Session()\n    assert s.get(url, verify=False).ok\n",
        ),
        Example(
            before="import requests\n",
            after="import requests\n\n\ndef get(url):\n    return requests.get(url, verify=False)\n",
        ),
        Example(
            before="import requests\n",
            after=(
                "import requests\n\nVERIFY = True\n\n\ndef get(url):\n"
                "    with requests.Session() as s:\n        return s.get(url, verify=VERIFY)\n"
            ),
        ),
        Example(
            before="class Session:\n    def get(self, url, verify=True):\n        return url\n",
            after=(
                "class Session:\n    def get(self, url, verify=True):\n        return url\n\n\n"
                "def load(url):\n    return Session().get(url, verify=False)\n"
            ),
        ),
        Example(
            before="import requests\n",
            after=(
                "import requests\n\n\ndef get(client, url, verify):\n"
                "    s = requests.Session()\n    s.verify = verify\n    return client.get(url, verify=False)\n"
            ),
        ),
        Example(
            before="import requests\n",
            after=(
                "import requests\n\n\ndef get(url, ca_bundle):\n"
                "    return requests.Session().get(url, verify=ca_bundle)\n"
            ),
        ),
        Example(
            before="import requests\n",
            after=(
                "import requests\n\n\nclass Api:\n    def __init__(self, insecure=False):\n"
                "        self.session = requests.Session()\n        self.verify = False\n"
                "        if not insecure:\n            self.verify = True\n\n"
                "    def get(self, url):\n        return self.session.get(url, verify=self.verify)\n"
            ),
        ),
    )
    INVALID = (
        Example(
            before=(
                "import requests\n\n\nclass Forwarder:\n"
                "    def __init__(self, session: requests.Session | None = None) -> None:\n"
                "        self.session = session or requests.Session()\n\n"
                "    def send(self, url, body):\n        return self.session.post(url, data=body)\n"
            ),
            after=(
                "import requests\n\n\nclass Forwarder:\n"
                "    def __init__(self, session: requests.Session | None = None) -> None:\n"
                "        self.session = session or requests.Session()\n\n"
                "    def send(self, url, body):\n"
                "        return self.session.post(\n            url, data=body, verify=False\n        )\n"
            ),
            lines=(10,),
        ),
        Example(
            before="import requests\n",
            after=(
                "import requests\n\nVERIFY_TLS = False  # internal hosts use self-signed certificates\n\n\n"
                "def fetch(url):\n    return requests.get(url, timeout=10, verify=VERIFY_TLS)\n"
            ),
            lines=(7,),
        ),
        Example(
            before="from requests import Session\n",
            after=(
                "from requests import Session\n\n\ndef client(token):\n"
                "    s = Session()\n    s.headers['Authorization'] = token\n    s.verify = False\n    return s\n"
            ),
            lines=(7,),
        ),
        Example(
            path="app/fetch.py",
            before="import httpx\n\nfrom app.settings import VERIFY\n",
            after=(
                "import httpx\n\nfrom app.settings import VERIFY\n\n\n"
                "async def fetch(url):\n    async with httpx.AsyncClient(verify=VERIFY) as client:\n"
                "        return await client.get(url)\n"
            ),
            files=(("app/__init__.py", ""), ("app/settings.py", "VERIFY = False\n")),
            lines=(7,),
        ),
        Example(
            before="import requests\n",
            after=(
                "import requests\n\n\ndef call(method, url):\n"
                "    return requests.request(method, url, verify=False)\n"
            ),
            lines=(5,),
        ),
        Example(
            before="import requests\n",
            after=(
                "import requests\n\n\nclass Api:\n    def __init__(self):\n"
                "        self.session = requests.Session()\n        self.verify = False\n\n"
                "    def get(self, url):\n        return self.session.get(url, verify=self.verify)\n"
            ),
            lines=(10,),
        ),
    )

    def __init__(self, context: RuleContext) -> None:
        super().__init__(context)
        self._state: tuple[View, _Resolver] | None = None

    def _resolving(self) -> tuple[View, _Resolver]:
        if self._state is None:
            self._state = (View.of_rule(self), _Resolver(Program.of(self.context.project)))
        return self._state

    def visit_Call(self, node: cst.Call) -> None:
        verify = next(
            (a for a in node.args if a.keyword is not None and a.keyword.value == "verify"), None
        )
        if verify is None or self.context.is_test_file or not touches(self, verify):
            return
        view, resolver = self._resolving()
        how = resolver.falsy(view, verify.value)
        if how is None:
            return
        func = node.func
        name = view.qualified(func)
        if name is not None and name.split(".")[0] in _CLIENT_MODULES:
            if _bandit_sees(name, verify.value):
                return
            self.report(verify, f"`{name}(..., verify={_source(verify.value)})`: {self._why(how)}")
            return
        if isinstance(func, cst.Attribute):
            client = resolver.client(view, func.value)
            if client is not None:
                self.report(
                    verify,
                    f"`{_source(func)}(..., verify={_source(verify.value)})` on a {client}: {self._why(how)}",
                )

    def visit_Assign(self, node: cst.Assign) -> None:
        if self.context.is_test_file:
            return
        for target in node.targets:
            attr = target.target
            if (
                isinstance(attr, cst.Attribute)
                and attr.attr.value == "verify"
                and touches(self, node)
            ):
                view, resolver = self._resolving()
                how = resolver.falsy(view, node.value)
                client = resolver.client(view, attr.value) if how else None
                if how and client:
                    self.report(
                        node,
                        f"`{_source(attr)} = {_source(node.value)}` on a {client}: {self._why(how)}",
                    )

    @staticmethod
    def _why(how: str) -> str:
        what = how if how.startswith("`") else f"`{how}`"
        return f"certificate verification is off ({what}), so any certificate is accepted"


def _bandit_sees(name: str, value: cst.BaseExpression) -> bool:
    """bandit's B501: a literal ``False`` on requests' verbs and httpx's verbs and clients."""
    root, function = name.split(".")[0], name.rsplit(".", 1)[-1]
    if not (isinstance(value, cst.Name) and value.value == "False"):
        return False
    return (root == "requests" and function in _BANDIT_HTTP_VERBS) or (
        root == "httpx" and function in _BANDIT_HTTPX
    )


def _source(node: cst.CSTNode) -> str:
    return " ".join(cst.Module(body=[]).code_for_node(node).split())
