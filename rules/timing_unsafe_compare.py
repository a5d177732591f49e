"""timing-unsafe-compare: a MAC or keyed digest compared with ``==`` / ``!=``.

String and bytes equality stops at the first differing byte, so the time a signature check takes
tells an attacker how many leading bytes of a forged signature are right; byte by byte, they can
find a valid one. Signatures must be compared with ``hmac.compare_digest`` (or
``secrets.compare_digest``). A patch that "simplifies" the check to ``!=`` reads fine and passes
every test.

Reported on changed lines outside test files: an ``==``/``!=`` whose operand is, by resolving the
code, a digest of a keyed hash and whose other operand is not a literal. A keyed digest is
``hmac.new(...)``/``hmac.HMAC(...)`` followed by ``.digest()``/``.hexdigest()``, ``hmac.digest(...)``,
or ``hashlib.blake2b/blake2s(..., key=...)``; names resolve through the module's imports (``from
hmac import new`` counts, a local ``new`` does not). The value is followed through the function's
variables, string building (``prefix + digest``, f-strings, ``.encode()``, base64/hex encoding) and
the return values of functions of the same module or of other modules of the repository, so
``if compute_signature(secret, body) != header`` is found when ``compute_signature`` returns an
HMAC. A plain hash (``hashlib.sha256(...)``) counts, at medium confidence, only when what it hashes
names a secret (``secret``, ``*_token``, ``password``, ...): a home-made MAC.

Where bandit stands: it has no check for this.

Example::

    -    if not hmac.compare_digest(expected, header):
    +    if compute_signature(secret, body) != header:
"""

from __future__ import annotations

import ast
import hashlib
from collections.abc import Callable
from dataclasses import dataclass

import libcst as cst
from libcst.metadata import PositionProvider

from guard.changes import ParsedSource
from guard.findings import Confidence, Severity
from guard.rulekit import Example, Rule, RuleContext

from ._flow import METADATA, Program, View, returns
from ._patch import literal, walk
from .hardcoded_secret import secret_name

_KEYED_OBJECTS = frozenset({"hmac.new", "hmac.HMAC"})
_KEYED_DIGESTS = frozenset({"hmac.digest"})
_HASHES = frozenset(f"hashlib.{name}" for name in hashlib.algorithms_guaranteed) | {"hashlib.new"}
_ENCODERS = frozenset(
    {
        "base64.b64encode", "base64.urlsafe_b64encode", "base64.standard_b64encode",
        "base64.b32encode", "base64.b16encode", "binascii.hexlify", "binascii.b2a_hex",
        "binascii.b2a_base64", "builtins.str", "builtins.bytes",
    }
)  # fmt: skip
_PRESERVING_METHODS = frozenset(
    {"encode", "decode", "hex", "lower", "upper", "strip", "rstrip", "lstrip"}
)
_MAX_DEPTH = 4


@dataclass(frozen=True)
class Digest:
    how: str
    """What was resolved, for the message: ``hmac.new(...).hexdigest() in compute_signature``."""
    keyed: bool


Follow = Callable[[View, cst.BaseExpression, int], "Digest | None"]


class _Resolver:
    """Follows an expression to a keyed digest, across variables, returns and modules."""

    def __init__(self, program: Program) -> None:
        self.program = program
        self.active: set[int] = set()

    def digest(self, view: View, node: cst.CSTNode, depth: int = 0) -> Digest | None:
        if depth > _MAX_DEPTH or id(node) in self.active:
            return None
        self.active.add(id(node))
        try:
            return self._digest(view, node, depth)
        finally:
            self.active.discard(id(node))

    def _digest(self, view: View, node: cst.CSTNode, depth: int) -> Digest | None:
        if isinstance(node, cst.Call):
            return self._call(view, node, depth)
        if isinstance(node, cst.BinaryOperation) and isinstance(
            node.operator, cst.Add | cst.Modulo
        ):
            return self.digest(view, node.left, depth) or self.digest(view, node.right, depth)
        if isinstance(node, cst.FormattedString):
            for part in node.parts:
                if isinstance(part, cst.FormattedStringExpression):
                    inner = self.digest(view, part.expression, depth)
                    if inner:
                        return inner
            return None
        if isinstance(node, cst.Name):
            bound = view.bindings(node)
            if not bound or any(
                isinstance(b, cst.Param | cst.FunctionDef | cst.ClassDef) for b in bound
            ):
                return None
            each = [self.digest(view, b, depth + 1) for b in bound]
            return each[0] if all(each) else None
        return None

    def _call(self, view: View, node: cst.Call, depth: int) -> Digest | None:
        func = node.func
        name = view.qualified(func)
        if name in _KEYED_DIGESTS:
            return Digest(f"{name}(...)", keyed=True)
        if name in _ENCODERS and node.args:
            return self.digest(view, node.args[0].value, depth)
        if isinstance(func, cst.Attribute):
            method = func.attr.value
            if method in ("digest", "hexdigest"):
                found = self._hash_object(view, func.value, depth)
                return Digest(f"{found.how}.{method}()", found.keyed) if found else None
            if method in _PRESERVING_METHODS:
                return self.digest(view, func.value, depth)
            if method == "format" and isinstance(
                func.value, cst.SimpleString | cst.ConcatenatedString
            ):
                for arg in node.args:
                    found = self.digest(view, arg.value, depth)
                    if found:
                        return found
                return None
        return self._returned(view, func, depth, self.digest)

    def _hash_object(self, view: View, node: cst.BaseExpression, depth: int) -> Digest | None:
        if isinstance(node, cst.Call):
            name = view.qualified(node.func)
            if name in _KEYED_OBJECTS:
                return Digest(f"{name}(...)", keyed=True)
            if name in _HASHES:
                if any(a.keyword is not None and a.keyword.value == "key" for a in node.args):
                    return Digest(f"{name}(key=...)", keyed=True)
                if any(_names_secret(a.value) for a in node.args):
                    return Digest(f"{name}(<secret>...)", keyed=False)
                return None
            return self._returned(view, node.func, depth, self._hash_object)
        if isinstance(node, cst.Name):
            bound = view.bindings(node)
            calls = [b for b in bound or () if isinstance(b, cst.Call)]
            if not bound or len(calls) != len(bound):
                return None
            found = [self._hash_object(view, b, depth + 1) for b in calls]
            if all(found):
                return found[0]
            if all(f is None or not f.keyed for f in found) and self._secret_updates(view, node):
                hashes = [
                    b
                    for b in bound
                    if isinstance(b, cst.Call) and view.qualified(b.func) in _HASHES
                ]
                if len(hashes) == len(bound):
                    return Digest(
                        f"{view.qualified(hashes[0].func)}(...).update(<secret>)", keyed=False
                    )
        return None

    def _secret_updates(self, view: View, node: cst.Name) -> bool:
        """``h.update(<something naming a secret>)`` in the function that binds ``h``."""
        function = view.enclosing_function(node)
        if function is None:
            return False
        for sub in walk(function.body):
            if (
                isinstance(sub, cst.Call)
                and isinstance(sub.func, cst.Attribute)
                and sub.func.attr.value == "update"
                and isinstance(sub.func.value, cst.Name)
                and sub.func.value.value == node.value
                and any(_names_secret(a.value) for a in sub.args)
            ):
                return True
        return False

    def _returned(
        self, view: View, func: cst.BaseExpression, depth: int, follow: Follow
    ) -> Digest | None:
        """A call of a function of this module or the repo that returns (what ``follow`` finds:)
        a digest or a hash object."""
        target: tuple[View, cst.FunctionDef] | None = None
        if isinstance(func, cst.Name):
            bound = view.bindings(func)
            if bound and len(bound) == 1 and isinstance(bound[0], cst.FunctionDef):
                target = (view, bound[0])
        if target is None:
            name = view.qualified(func)
            found = self.program.module_binding(name) if name else None
            if (
                found is not None
                and len(found[1]) == 1
                and isinstance(found[1][0], cst.FunctionDef)
            ):
                target = (found[0], found[1][0])
        if target is None:
            return None
        callee_view, function = target
        values = [
            r.value for r in returns(function) if r.value is not None and not _is_none(r.value)
        ]
        if not values:
            return None
        found_all = [follow(callee_view, v, depth + 1) for v in values]
        if not all(found_all):
            return None
        first = found_all[0]
        assert first is not None
        return Digest(f"{first.how} in {function.name.value}()", first.keyed)


def _is_none(node: cst.BaseExpression) -> bool:
    return isinstance(node, cst.Name) and node.value == "None"


def _names_secret(node: cst.BaseExpression) -> bool:
    for sub in walk(node):
        if isinstance(sub, cst.Name) and secret_name(sub.value):
            return True
        if isinstance(sub, cst.Attribute) and secret_name(sub.attr.value):
            return True
    return False


class TimingUnsafeCompare(Rule):
    """A signature (an HMAC or keyed digest, found by resolving the code) compared with ``==``
    or ``!=`` instead of ``hmac.compare_digest``.

    Why: equality returns at the first differing byte, so its timing leaks how much of a forged
    signature is right. bandit has no check for this.
    """

    ID = "timing-unsafe-compare"
    MESSAGE = "a signature is compared with == / != instead of hmac.compare_digest"
    SEVERITY = Severity.ERROR
    CONFIDENCE = Confidence.HIGH
    METADATA_DEPENDENCIES = (PositionProvider, *METADATA)

    VALID = (
        Example(  # the constant-time comparison stays; a plain check of the length is added
            before="import hmac\n\n\ndef unpad(clear):\n    if not hmac.compare_digest(clear[:2], b'01'):\n"
            "        raise ValueError('bad')\n    return clear[2:]\n",
            after="import hmac\n\n\ndef unpad(clear):\n    if len(clear) == 2:\n        return b''\n"
            "    if not hmac.compare_digest(clear[:2], b'01'):\n        raise ValueError('bad')\n    return clear[2:]\n",
        ),
        Example(
            before="import hmac\n",
            after=(
                "import hashlib\nimport hmac\n\n\ndef ok(key, body, sig):\n"
                "    expected = hmac.new(key, body, hashlib.sha256).hexdigest()\n"
                "    return hmac.compare_digest(expected, sig)\n"
            ),
        ),
        Example(
            before="import hashlib\n",
            after=(
                "import hashlib\n\n\ndef same_file(data, checksum):\n"
                "    return hashlib.sha256(data).hexdigest() == checksum\n"
            ),
        ),
        Example(
            before="import hashlib\n",
            after=(
                "import hashlib\n\n\ndef new(key, body):\n    return hashlib.sha256(body)\n\n\n"
                "def check(key, body, sig):\n    return new(key, body).hexdigest() == sig\n"
            ),
        ),
        Example(
            before="import hmac\n",
            after=(
                "import hashlib\nimport hmac\n\n\ndef empty(key, body):\n"
                "    return hmac.new(key, body, hashlib.sha256).hexdigest() == ''\n"
            ),
        ),
        Example(
            path="tests/test_sign.py",
            before="import hmac\n",
            after=(
                "import hashlib\nimport hmac\n\n\ndef test_sign():\n"
                "    assert hmac.new(b'k', b'x', hashlib.sha256).hexdigest() == EXPECTED\n"
            ),
        ),
    )
    INVALID = (
        Example(  # a constant-time comparison the original made, of a padding marker (rsa's decrypt)
            before="from hmac import compare_digest\n\n\ndef unpad(clear):\n"
            "    if not compare_digest(clear[:2], b'\\x00\\x02'):\n        raise ValueError('bad padding')\n"
            "    return clear[2:]\n",
            after="from hmac import compare_digest\n\n\ndef unpad(clear):\n"
            "    if clear[:2] != b'\\x00\\x02':\n        raise ValueError('bad padding')\n"
            "    return clear[2:]\n",
            lines=(5,),
        ),
        Example(
            before=(
                "import hashlib\nimport hmac\n\n\ndef sign(key, body):\n"
                "    mac = hmac.new(key, body, hashlib.sha256)\n    return 'sha256=' + mac.hexdigest()\n\n\n"
                "def verify(key, body, header):\n    return hmac.compare_digest(sign(key, body), header)\n"
            ),
            after=(
                "import hashlib\nimport hmac\n\n\ndef sign(key, body):\n"
                "    mac = hmac.new(key, body, hashlib.sha256)\n    return 'sha256=' + mac.hexdigest()\n\n\n"
                "def verify(key, body, header):\n    return sign(key, body) == header\n"
            ),
            lines=(11,),
        ),
        Example(
            before="from hmac import new\n",
            after=(
                "from hmac import new\n\n\ndef check(secret, payload, signature):\n"
                "    expected = new(secret, payload, 'sha1').digest()\n"
                "    if expected != signature:\n        raise ValueError('bad signature')\n"
            ),
            lines=(6,),
        ),
        Example(
            before="import base64\nimport hmac\n",
            after=(
                "import base64\nimport hmac\n\n\ndef valid(key, body, sig):\n"
                "    digest = hmac.digest(key, body, 'sha256')\n"
                "    return base64.b64encode(digest).decode() == sig\n"
            ),
            lines=(7,),
        ),
        Example(
            path="pkg/views.py",
            before="from pkg.signing import sign\n",
            after=(
                "from pkg.signing import sign\n\n\ndef accept(request, secret):\n"
                "    return request.headers['X-Sig'] == sign(secret, request.body)\n"
            ),
            files=(
                ("pkg/__init__.py", ""),
                (
                    "pkg/signing.py",
                    "import hashlib\nimport hmac\n\n\ndef sign(key, body):\n"
                    "    return hmac.new(key, body, hashlib.sha256).hexdigest()\n",
                ),
            ),
            lines=(5,),
        ),
        Example(
            before="import hashlib\n",
            after=(
                "import hashlib\n\n\ndef check(api_secret, body, sig):\n"
                "    return hashlib.sha256(api_secret + body).hexdigest() != sig\n"
            ),
            lines=(5,),
        ),
    )

    def __init__(self, context: RuleContext) -> None:
        super().__init__(context)
        self._view: View | None = None
        self._resolver: _Resolver | None = None

    def visit_Comparison(self, node: cst.Comparison) -> None:
        if self.context.is_test_file or not any(
            isinstance(c.operator, cst.Equal | cst.NotEqual) for c in node.comparisons
        ):
            return
        pos = self.get_metadata(PositionProvider, node)
        if not any(
            line in self.context.changed_lines for line in range(pos.start.line, pos.end.line + 1)
        ):
            return
        if self._view is None or self._resolver is None:
            self._view = View.of_rule(self)
            self._resolver = _Resolver(Program.of(self.context.project))
        left = node.left
        for comparison in node.comparisons:
            right = comparison.comparator
            if isinstance(comparison.operator, cst.Equal | cst.NotEqual):
                op = "==" if isinstance(comparison.operator, cst.Equal) else "!="
                if _operands(left, right) in self._constant_time_before():
                    self.report(
                        node,
                        f"`{op}` replaces the constant-time compare_digest the original made of the same "
                        "values: its authors chose a comparison that does not leak timing",
                        confidence=Confidence.HIGH,
                        severity=Severity.ERROR,
                        evidence=(("before", "compare_digest of the same operands"),),
                    )
                    return
                for side, other in ((left, right), (right, left)):
                    if literal(other)[0]:
                        continue
                    found = self._resolver.digest(self._view, side)
                    if found is not None:
                        op = "==" if isinstance(comparison.operator, cst.Equal) else "!="
                        self._report(node, op, found)
                        return
            left = right

    def _constant_time_before(self) -> frozenset[frozenset[str]]:
        """The operand pairs of the ``compare_digest`` calls the file made before the patch (as
        normalised source), less those the patched file still makes: a pair it now compares
        with ``==`` lost its constant-time comparison."""
        return self.context.project.memo(
            f"timing-unsafe-compare.before:{self.context.path}",
            lambda: _digest_pairs(self.context.before) - _digest_pairs(self.context.after),
        )

    def _report(self, node: cst.Comparison, op: str, found: Digest) -> None:
        what = "an HMAC/keyed digest" if found.keyed else "a hash over a secret"
        self.report(
            node,
            f"`{op}` compares {what} ({found.how}) in variable time; use hmac.compare_digest",
            confidence=Confidence.HIGH if found.keyed else Confidence.MEDIUM,
            severity=Severity.ERROR if found.keyed else Severity.WARNING,
            evidence=(("digest", found.how),),
        )


def _operands(left: cst.BaseExpression, right: cst.BaseExpression) -> frozenset[str]:
    code = cst.Module([]).code_for_node
    return frozenset((_normal(code(left)), _normal(code(right))))


def _normal(source: str) -> str:
    try:
        return ast.unparse(ast.parse(source.strip(), mode="eval"))
    except SyntaxError:
        return source.strip()


def _digest_pairs(parsed: ParsedSource | None) -> frozenset[frozenset[str]]:
    """Operand pairs of ``compare_digest(a, b)`` calls (``hmac.``/``secrets.`` or imported)."""
    if parsed is None or parsed.tree is None:
        return frozenset()
    pairs = set()
    for node in ast.walk(parsed.tree):
        if (
            isinstance(node, ast.Call)
            and len(node.args) == 2
            and (
                (isinstance(node.func, ast.Attribute) and node.func.attr == "compare_digest")
                or (isinstance(node.func, ast.Name) and node.func.id == "compare_digest")
            )
        ):
            pairs.add(frozenset((ast.unparse(node.args[0]), ast.unparse(node.args[1]))))
    return frozenset(pairs)
