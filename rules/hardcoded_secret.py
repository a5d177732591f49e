"""hardcoded-secret: a credential-shaped string literal written into the code.

An API key, token or password committed with a patch leaks with the repository and is used in
every environment, production included. Reported on changed lines outside test files: a string
literal that *looks* random (at least 16 characters, no spaces, letters and digits mixed, high
Shannon entropy, not a path, URL, format string or identifier) assigned to a name, attribute,
dict key, keyword argument or default whose name speaks of a credential (``*_key``, ``*token*``,
``secret``, ``password``, ``auth``, ``credential``), or a ``Bearer``/``Basic`` header value.

A secret-named environment variable read with a literal fallback (``os.environ.get("X_SECRET",
"dev-secret")``, ``os.getenv(...)``, ``environ.setdefault(...)``, ``os.environ.get(...) or "..."``,
resolved through the module's imports) is reported too, whatever the value looks like: when the
variable is missing, production silently runs with a secret anyone can read in the code. The name
must end in a credential word (``*_SECRET``, ``*_TOKEN``, ``*_PASSWORD``, ``SECRET_KEY``,
``API_KEY``; not ``CACHE_KEY`` or ``TOKEN_URL``); an empty string or a placeholder (``<token>``,
``${TOKEN}``) is not a secret. Confidence is high when the fallback looks random, medium otherwise.

Where bandit stands: B105/B106/B107 look at names only (``password``, ``token``, ``secret``, not
``*_key``, dict keys or headers), never at the value, so they fire on ``token = "unused"`` and
miss ``API_KEY = "c4a7..."``; they are LOW severity, which guard keeps as information only. They
never see a fallback passed to ``os.getenv``.

Example::

    +API_KEY = "c4a7e1f09b2d4e6f8a1b3c5d7e9f0a2b"
"""

from __future__ import annotations

import math
import re
from collections import Counter

import libcst as cst
from libcst.metadata import PositionProvider, QualifiedNameProvider, QualifiedNameSource

from guard.findings import Confidence, Severity
from guard.rulekit import Example, Rule

from ._patch import touches

_CREDENTIAL = re.compile(
    r"(^|_)(api_?key|key|secret|token|password|passwd|pwd|passphrase|credentials?|auth|"
    r"access_?key|private_?key|client_?secret|signing_?key|webhook_?secret|dsn)(_|$)",
    re.IGNORECASE,
)
_NOT_CREDENTIAL = re.compile(
    r"(^|_)(header|name|field|env|var|path|file|url|prefix|type|id)$", re.I
)
_SECRET_NAME = re.compile(
    r"(^|_)(secret|token|password|passwd|pwd|passphrase|credentials?|api_?key|"
    r"(secret|access|private|signing|client|hmac|encryption|master)_?key)$",
    re.IGNORECASE,
)
_PLACEHOLDER = re.compile(r"[\s<>{}$]")
_ENV_LOOKUPS = frozenset(
    {"os.environ.get", "os.getenv", "os.environ.setdefault", "os.environb.get", "os.getenvb"}
)
_HEADER = re.compile(r"^(Bearer|Basic|Token)\s+(\S{16,})$")


def _words(name: str) -> str:
    """``apiKey`` and ``API-KEY`` as ``api_key``."""
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])|[-\s.]", "_", name).lower()


def entropy(text: str) -> float:
    """Shannon entropy in bits per character."""
    counts = Counter(text)
    return -sum(n / len(text) * math.log2(n / len(text)) for n in counts.values())


def looks_random(value: str) -> bool:
    """A credential-like value: long, unspaced, mixed letters and digits, high entropy."""
    if len(value) < 16 or len(value) > 200 or re.search(r"[\s{}%<>/\\]|://|\$\(|\.\w+$", value):
        return False
    if not (re.search(r"[A-Za-z]", value) and re.search(r"\d", value)):
        return False
    if re.fullmatch(r"(.)\1+|x+|0+", value, re.I):
        return False
    words = [p for p in re.split(r"[_\-.:]", value) if re.fullmatch(r"[a-z]{3,}", p)]
    if len(words) >= 2:  # made of words (``created_at_desc``): an identifier, not a key
        return False
    return entropy(value) >= 3.0 and len(set(value)) >= 10


def _credential_name(name: str) -> bool:
    words = _words(name)
    return bool(_CREDENTIAL.search(words)) and not _NOT_CREDENTIAL.search(words)


def secret_name(name: str) -> bool:
    """A name that denotes a secret itself, whatever its value: it *ends* in a credential word
    (``WEBHOOK_SECRET``, ``db_password``, ``apiToken``, ``SECRET_KEY``), and not in a bare ``key``
    (``cache_key``), ``auth`` or ``dsn``, which name secrets only sometimes."""
    return bool(_SECRET_NAME.search(_words(name)))


def _string(node: cst.BaseExpression) -> str | None:
    if isinstance(node, cst.SimpleString):
        value = node.evaluated_value
        return value if isinstance(value, str) else None
    return None


def _target_name(node: cst.BaseExpression) -> str:
    if isinstance(node, cst.Name):
        return node.value
    if isinstance(node, cst.Attribute):
        return node.attr.value
    if isinstance(node, cst.Subscript) and len(node.slice) == 1:
        index = node.slice[0].slice
        if isinstance(index, cst.Index):
            return _string(index.value) or ""
    return ""


class HardcodedSecret(Rule):
    """A random-looking string literal assigned to a credential-named target, or a literal
    ``Bearer`` token.

    Why: the secret leaks with the code and is used in every environment. Values are measured
    (length, character classes, entropy), so names alone (``token = "unused"``) do not fire.
    """

    ID = "hardcoded-secret"
    MESSAGE = "a credential is hard-coded"
    SEVERITY = Severity.ERROR
    CONFIDENCE = Confidence.HIGH
    METADATA_DEPENDENCIES = (PositionProvider, QualifiedNameProvider)

    VALID = (
        Example(before="import os\n", after='import os\n\nAPI_KEY = os.environ["RATES_API_KEY"]\n'),
        Example(
            before="",
            after='CACHE_KEY = "user:{id}:profile"\nTOKEN_HEADER = "X-Monitoring-Token1234"\n',
        ),
        Example(before="", after='password = "changeme"\nsecret_name = "prod/db/password"\n'),
        Example(
            path="tests/test_auth.py",
            before="",
            after='def test_sign():\n    assert sign("k", secret="c4a7e1f09b2d4e6f8a1b3c5d7e9f0a2b")\n',
        ),
        Example(
            before="",
            after='SORT_KEY = "2f1c0d9e_created_at_desc"\nDIGEST = "9f86d081884c7d659a2feaa0c55ad015"\n',
        ),
        Example(
            before="import os\n",
            after=(
                'import os\n\nTOKEN = os.getenv("API_TOKEN", "")\nCACHE = os.environ.get("CACHE_KEY", "default")\n'
                'URL = os.getenv("TOKEN_URL", "https://auth.test/token")\n'
                'PW = os.environ.get("DB_PASSWORD", "<set DB_PASSWORD>")\n'
            ),
        ),
        Example(
            before="def getenv(name, default):\n    return default\n",
            after=(
                "def getenv(name, default):\n    return default\n\n\n"
                'SECRET = getenv("WEBHOOK_SECRET", "dev-secret")\n'
            ),
        ),
    )
    INVALID = (
        Example(
            before="BASE = 'https://x.test'\n",
            after="BASE = 'https://x.test'\nAPI_KEY = \"c4a7e1f09b2d4e6f8a1b3c5d7e9f0a2b\"\n",
            lines=(2,),
        ),
        Example(
            before="def client(s):\n    return s\n",
            after='def client(s):\n    s.headers["Authorization"] = "Bearer 7Fq2LmZ9xT4vR8sK1pW3nB6c"\n    return s\n',
            lines=(2,),
        ),
        Example(
            before="CONFIG = {}\n",
            after='CONFIG = {\n    "webhook_secret": "whsec_4f9d2c7e81b34a6f9e0d5c2b7a1e8f36",\n}\n',
            lines=(2,),
        ),
        Example(
            before="def connect(c):\n    return c.login()\n",
            after='def connect(c, apiKey="mon_7c1e0b9a5d2f4e83b6a9"):\n    return c.login(auth_token=apiKey)\n',
            lines=(1,),
        ),
        Example(
            before="class C:\n    def __init__(self):\n        self.url = None\n",
            after='class C:\n    def __init__(self):\n        self.url = None\n        self.client_secret = "Zk3q9Vb7Lm2Xc8Rt5Wn1"\n',
            lines=(4,),
        ),
        Example(
            before="import os\n",
            after='import os\n\nSECRET = os.environ.get("WEBHOOK_SECRET", "dev-secret").encode()\n',
            lines=(3,),
        ),
        Example(
            before="from os import getenv\n",
            after=(
                "from os import getenv\n\n\ndef dsn():\n"
                '    password = getenv("DB_PASSWORD", default="postgres")\n    return f"postgres://app:{password}@db/app"\n'
            ),
            lines=(5,),
        ),
        Example(
            before="import os\n",
            after='import os\n\nTOKEN = (\n    os.environ.get("MONITORING_TOKEN")\n    or "local-probe-token"\n)\n',
            lines=(5,),
        ),
        Example(
            before="from os import environ\n",
            after='from os import environ\n\nenviron.setdefault("SECRET_KEY", "django-insecure-k3j4h5g6f7d8s9a0")\n',
            lines=(3,),
        ),
    )

    def _check(self, name: str, value: cst.BaseExpression) -> None:
        text = _string(value)
        if text is None or self.context.is_test_file or not touches(self, value):
            return
        header = _HEADER.match(text)
        if header and looks_random(header[2]):
            self.report(value, f"a {header[1]} credential is hard-coded in a string literal")
        elif _credential_name(name) and looks_random(text):
            self.report(
                value,
                f"`{name}` is set to a hard-coded credential ({len(text)} random-looking characters)",
            )

    def visit_Assign(self, node: cst.Assign) -> None:
        for target in node.targets:
            self._check(_target_name(target.target), node.value)

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        if node.value is not None:
            self._check(_target_name(node.target), node.value)

    def visit_DictElement(self, node: cst.DictElement) -> None:
        self._check(_string(node.key) or _target_name(node.key), node.value)

    def visit_Arg(self, node: cst.Arg) -> None:
        self._check(node.keyword.value if node.keyword else "", node.value)

    def visit_Param(self, node: cst.Param) -> None:
        if node.default is not None:
            self._check(node.name.value, node.default)

    def visit_Call(self, node: cst.Call) -> None:
        lookup = self._env_lookup(node)
        if lookup is None:
            return
        variable, default = lookup
        if default is not None:
            self._fallback(variable, default)

    def visit_BooleanOperation(self, node: cst.BooleanOperation) -> None:
        if isinstance(node.operator, cst.Or) and isinstance(node.left, cst.Call):
            lookup = self._env_lookup(node.left)
            if lookup is not None and (lookup[1] is None or not _string(lookup[1])):
                self._fallback(lookup[0], node.right)

    def _env_lookup(self, node: cst.Call) -> tuple[str, cst.BaseExpression | None] | None:
        """For ``os.environ.get(NAME[, default])`` and the like: NAME and the default."""
        if self.context.is_test_file or not node.args or not touches(self, node):
            return None
        names = self.get_metadata(QualifiedNameProvider, node.func, set())
        if len(names) != 1:
            return None
        (name,) = names
        if name.source is not QualifiedNameSource.IMPORT or name.name not in _ENV_LOOKUPS:
            return None
        variable = _string(node.args[0].value) if node.args[0].keyword is None else None
        if variable is None:
            return None
        rest = node.args[1:]
        default = next(
            (a.value for a in rest if a.keyword is not None and a.keyword.value == "default"), None
        )
        positional = [a.value for a in rest if a.keyword is None and not a.star]
        return variable, positional[0] if positional else default

    def _fallback(self, variable: str, value: cst.BaseExpression) -> None:
        text = _string(value)
        if (
            not text
            or _PLACEHOLDER.search(text)
            or not secret_name(variable)
            or not touches(self, value)
        ):
            return
        random = looks_random(text)
        self.report(
            value,
            f"`{variable}` falls back to a hard-coded secret when the environment "
            "does not set it: production runs with it whenever the variable is missing",
            confidence=Confidence.HIGH if random else Confidence.MEDIUM,
        )
