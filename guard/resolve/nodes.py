"""Shared by the rules that resolve code against reality: from a libcst node to what it names.

Only expressions whose meaning is certain are resolved: a dotted chain of names bound by imports
or module-level definitions, a literal, a constructor call, or a local bound only to those.
Code under ``hasattr``/``getattr`` tests, ``except AttributeError``/``ImportError`` and version or
platform checks is left alone: it is written for an environment other than the one we see.
"""

from __future__ import annotations

import builtins

import libcst as cst
from libcst.metadata import (
    Assignment,
    ParentNodeProvider,
    PositionProvider,
    QualifiedNameProvider,
    QualifiedNameSource,
    ScopeProvider,
)

from guard.resolve import UNKNOWN, Environment, Klass, Resolved, environment_for
from guard.resolve.signature import CallShape
from guard.rulekit import Rule, children, field_names

METADATA = (QualifiedNameProvider, ParentNodeProvider, ScopeProvider)

_LITERAL_TYPES: dict[type[cst.CSTNode], str] = {
    cst.SimpleString: "str", cst.ConcatenatedString: "str", cst.FormattedString: "str",
    cst.Integer: "int", cst.Float: "float", cst.Imaginary: "complex",
    cst.List: "list", cst.ListComp: "list", cst.Dict: "dict", cst.DictComp: "dict",
    cst.Set: "set", cst.SetComp: "set", cst.Tuple: "tuple",
}  # fmt: skip
# Calling these builtins does not give an instance of the class itself: super() is a proxy to the
# next class in the MRO, type(x) returns x's class.
_NOT_INSTANCES = frozenset({"builtins.super", "builtins.type"})
_GUARD_EXCEPTIONS = frozenset({"AttributeError", "ImportError", "ModuleNotFoundError", "Exception", "BaseException"})


class Resolving:
    """Mixin state for a rule: the environment and the patched file's module name."""

    def __init__(self, rule: Rule) -> None:
        self.rule = rule
        ctx = rule.context
        self.env: Environment = environment_for(ctx.project)
        self.module = self.env.module_name(ctx.path)
        self.is_package = ctx.path.endswith("__init__.py")
        self.changed = ctx.changed_lines
        self._assigned = ctx.project.memo(f"guard.resolve.assigned:{ctx.path}", self._collect_assignments)

    def _collect_assignments(self) -> dict[int, cst.BaseExpression]:
        found: dict[int, cst.BaseExpression] = {}
        after = self.rule.context.after
        if after is not None and after.module is not None:
            _collect_assigned(after.module, found)
        return found

    def on_changed_line(self, node: cst.CSTNode) -> bool:
        """Cheap test first: rules report only on changed lines, so resolve nothing else."""
        pos = self.rule.get_metadata(PositionProvider, node, None)
        return pos is not None and any(line in self.changed for line in range(pos.start.line, pos.end.line + 1))

    def absolute(self, qualified: str) -> str | None:
        """A libcst qualified name as an absolute dotted name; None for function locals."""
        if "<locals>" in qualified:
            return None
        if qualified.startswith("."):
            level = len(qualified) - len(qualified.lstrip("."))
            parts = self.module.split(".")
            base = parts if self.is_package else parts[:-1]
            base = base[: len(base) - (level - 1)] if level > 1 else base
            rest = qualified[level:]
            return ".".join([*base, rest]) if rest else ".".join(base)
        return qualified

    def dotted(self, node: cst.BaseExpression) -> str | None:
        """The absolute name a plain ``a.b.c`` chain refers to, when exactly one."""
        inner: cst.BaseExpression = node
        while isinstance(inner, cst.Attribute):
            inner = inner.value
        if not isinstance(inner, cst.Name):
            return None
        names = self.rule.get_metadata(QualifiedNameProvider, node, set())
        if len(names) != 1:
            return None
        (qn,) = names
        if qn.source == QualifiedNameSource.LOCAL:
            absolute = self.absolute(qn.name)
            return f"{self.module}.{absolute}" if absolute else None
        return self.absolute(qn.name)

    def resolve_expr(self, node: cst.BaseExpression) -> tuple[Resolved, bool]:
        """What ``node`` evaluates to, and whether it is an instance (not the class itself)."""
        literal = _literal_type(node)
        if literal:
            return self.env.resolve(f"builtins.{literal}"), True
        if isinstance(node, cst.Call):
            if isinstance(node.func, cst.Attribute) and node.func.attr.value == "__new__":
                # ``object.__new__(C)``, ``super().__new__(cls)``: an instance of the first argument,
                # whichever class's ``__new__`` is called.
                made = self.resolve_expr(node.args[0].value) if node.args else (UNKNOWN, False)
                if isinstance(made[0], Klass) and not made[1] and made[0].qualname not in _NOT_INSTANCES:
                    return made[0], True
                return UNKNOWN, False
            ctor = self.resolve_expr(node.func)
            if (
                isinstance(ctor[0], Klass)
                and not ctor[1]
                and ctor[0].qualname not in _NOT_INSTANCES
                and self._plain_constructor(ctor[0])
            ):
                return ctor[0], True
            return UNKNOWN, False
        if isinstance(node, cst.Name):
            local = self._local_value(node)
            if local is not None:
                return self.resolve_expr(local)
        name = self.dotted(node) if isinstance(node, cst.Name | cst.Attribute) else None
        if name is None:
            return UNKNOWN, False
        return self.env.resolve(name), False

    def _plain_constructor(self, klass: Klass) -> bool:
        """Calling the class yields an instance of it (no ``__new__`` or metaclass tricks). A
        metaclass that defines ``__call__`` decides what calling the class returns: ``Enum('Missing',
        {'MISSING': 'MISSING'})`` (EnumMeta.__call__) makes a new class, not an Enum instance."""
        if self._metaclass_calls(klass):
            return False
        if klass.info.stub:
            return True
        return not klass.info.metaclass and "__new__" not in klass.info.members

    def _metaclass_calls(self, klass: Klass, depth: int = 0) -> bool:
        """Whether a metaclass of ``klass`` (its own or a base's) overrides ``type.__call__``."""
        if klass.info.metaclass:
            meta = self.env.resolve_in(klass.info.module, klass.info.metaclass)[1]
            if not isinstance(meta, Klass):
                return True
            call = self.env.member(meta, "__call__")
            owner = getattr(call, "owner", None)
            return not (isinstance(owner, Klass) and owner.qualname in {"builtins.type", "builtins.object"})
        if depth > 20:
            return True
        for base in klass.info.bases:
            resolved = self.env.resolve_in(klass.info.module, base)[1] if base is not None else None
            if isinstance(resolved, Klass) and self._metaclass_calls(resolved, depth + 1):
                return True
        return False

    def _local_value(self, node: cst.Name) -> cst.BaseExpression | None:
        """The one kind of value every binding of a function-local name gives it, if all agree."""
        scope = self.rule.get_metadata(ScopeProvider, node, None)
        if scope is None:
            return None
        assignments = scope[node.value]
        values = []
        for a in assignments:
            if not isinstance(a, Assignment):
                return None
            value = self._assigned.get(id(a.node))
            if value is None:
                return None
            values.append(value)
        kinds = {_literal_type(v) or self._ctor_name(v) for v in values}
        if len(kinds) != 1 or None in kinds:
            return None
        return values[0]

    def _ctor_name(self, value: cst.BaseExpression) -> str | None:
        return self.dotted(value.func) if isinstance(value, cst.Call) and isinstance(value.func, cst.Name | cst.Attribute) else None

    def enclosing_class(self, node: cst.CSTNode) -> Klass | None:
        """The top-level class whose method (not a nested function) contains ``node``."""
        current: cst.CSTNode | None = node
        functions = 0
        while current is not None:
            current = self.rule.get_metadata(ParentNodeProvider, current, None)
            if isinstance(current, cst.FunctionDef):
                functions += 1
            if isinstance(current, cst.ClassDef):
                parent = self.rule.get_metadata(ParentNodeProvider, current, None)
                if functions != 1 or not isinstance(parent, cst.Module):
                    return None
                found = self.env.resolve(f"{self.module}.{current.name.value}")
                return found if isinstance(found, Klass) else None
        return None

    def receiver(self, node: cst.BaseExpression) -> tuple[Resolved, bool]:
        """Like :meth:`resolve_expr`, with ``self`` inside a method meaning an instance of its class."""
        if isinstance(node, cst.Name) and node.value == "self":
            klass = self.enclosing_class(node)
            return (klass, True) if klass is not None else (UNKNOWN, False)
        return self.resolve_expr(node)

    def guarded(
        self,
        node: cst.CSTNode,
        type_checking: bool = True,
        raised: type[BaseException] | None = None,
        typeshed_tests: bool = True,
        tests: bool = True,
    ) -> bool:
        """Inside code written for another environment: under a feature or version test (written
        out, or through a module-level flag assigned from one: ``PY_3_14_PLUS = sys.version_info
        >= (3, 14)``), in a ``try`` whose failure is handled, or in the fallback of an ``except
        ImportError`` (it runs only where the preferred import is missing). With ``type_checking``
        False, ``if TYPE_CHECKING:`` is no guard: what it imports must exist for the type checker
        (in the environment or typeshed), so an import there still has to resolve.

        With ``raised``, the error the code would raise if it is wrong (AttributeError for a missing
        attribute, ImportError for a missing module), a block only guards what it can catch:
        ``with pytest.raises(JsonPatchTestFailed):`` does not catch an AttributeError, and a handler
        that ends by re-raising (``except BaseException: cleanup(); raise``) lets an ImportError
        through: the module is required there; and for an ImportError, the handler of a ``try``
        that imports nothing is no fallback (its imports run wherever the body raised). A function
        or class whose decorator tests the environment (``@pytest.mark.skipif(sys.version_info <
        (3, 11))``) runs only where the test allows.

        With ``typeshed_tests`` False, a test of ``sys.version_info`` or ``sys.platform`` alone is
        no guard: typeshed describes every CPython version and platform, so a name its stub spells
        nowhere is missing on all of them (``if sys.platform == "win32": os.environs``). With
        ``tests`` False, no test is a guard (only handlers and expected-error blocks are): a keyword
        a stdlib function's stub spells nowhere is wrong whatever the branch."""
        current: cst.CSTNode | None = node
        while current is not None:
            parent = self.rule.get_metadata(ParentNodeProvider, current, None)
            if tests and isinstance(parent, cst.If | cst.IfExp | cst.While) and self._feature_test(
                parent.test, type_checking, typeshed_tests
            ):
                return True
            if (
                tests
                and isinstance(parent, cst.BooleanOperation)
                and self._feature_test(parent.left, type_checking, typeshed_tests)
            ):
                return True
            if isinstance(parent, cst.ExceptHandler) and current is parent.body and _catches_import_error(parent.type):
                # The fallback of an import that may fail runs only where it failed; a handler of a
                # body that imports nothing itself (``__import__(name)``, a call) runs wherever
                # that code raises, and a module it imports is required there.
                attempt = self.rule.get_metadata(ParentNodeProvider, parent, None)
                if not (raised is not None and issubclass(raised, ImportError)) or (
                    isinstance(attempt, cst.Try) and _imports(attempt.body)
                ):
                    return True
            if isinstance(parent, cst.With) and any(
                _expects_error(item.item) and self._expects(item.item, raised) for item in parent.items
            ):
                return True
            if isinstance(parent, cst.Try) and current is parent.body and any(
                _catches(h.type) and not (raised is not None and issubclass(raised, ImportError) and _reraises(h))
                for h in parent.handlers
            ):
                return True
            if tests and isinstance(parent, cst.FunctionDef | cst.ClassDef) and current is parent.body and any(
                isinstance(d.decorator, cst.Call)
                and any(self._feature_test(a.value, type_checking, typeshed_tests) for a in d.decorator.args)
                for d in parent.decorators
            ):
                return True
            current = parent
        return False


    def _expects(self, call: cst.BaseExpression, raised: type[BaseException] | None) -> bool:
        """Whether ``with call:`` (``pytest.raises(X)``, ``self.assertRaises(X)``) catches
        ``raised``: X is ``raised`` or one of its bases. A builtin X is checked; a class of the
        project or a library is no base of a builtin error; anything unresolved may be."""
        if raised is None or not isinstance(call, cst.Call):
            return True
        func = call.func
        name = func.attr.value if isinstance(func, cst.Attribute) else func.value if isinstance(func, cst.Name) else ""
        if name in {"warns", "assertWarns"}:
            return False  # a warning is expected; an error still fails the test
        first = next((a.value for a in call.args if a.keyword is None or a.keyword.value == "expected_exception"), None)
        if first is None:
            return True
        kinds = [e.value for e in first.elements] if isinstance(first, cst.Tuple) else [first]
        for kind in kinds:
            if not isinstance(kind, cst.Name | cst.Attribute):
                return True
            absolute = self.dotted(kind)
            if absolute is None:
                return True
            if absolute.startswith("builtins.") or "." not in absolute:
                base = getattr(builtins, absolute.rsplit(".", 1)[-1], None)
                if not isinstance(base, type) or issubclass(raised, base):
                    return True
                continue
            found = self.env.resolve(absolute)
            if not isinstance(found, Klass) or found.qualname.startswith("builtins."):
                return True
        return False

    def _feature_test(self, test: cst.BaseExpression, type_checking: bool = True, typeshed_tests: bool = True) -> bool:
        if _is_feature_test(test, type_checking) and (typeshed_tests or not _typeshed_test(test)):
            return True
        flags = self.rule.context.project.memo(f"guard.resolve.flags:{self.rule.context.path}", self._feature_flags)
        return any(isinstance(sub, cst.Name) and sub.value in flags for sub in _walk(test))

    def _feature_flags(self) -> frozenset[str]:
        """Module-level names assigned from a feature or version test in the patched file."""
        after = self.rule.context.after
        module = after.module if after is not None else None
        if module is None:
            return frozenset()
        names: set[str] = set()
        for statement in module.body:
            for small in statement.body if isinstance(statement, cst.SimpleStatementLine) else ():
                if isinstance(small, cst.Assign) and _is_feature_test(small.value):
                    names.update(t.target.value for t in small.targets if isinstance(t.target, cst.Name))
                elif (
                    isinstance(small, cst.AnnAssign)
                    and isinstance(small.target, cst.Name)
                    and small.value is not None
                    and _is_feature_test(small.value)
                ):
                    names.add(small.target.value)
        return frozenset(names)


def call_shape(call: cst.Call) -> CallShape:
    positional = sum(1 for a in call.args if a.keyword is None and not a.star)
    keywords = tuple(a.keyword.value for a in call.args if a.keyword is not None)
    return CallShape(
        positional, keywords, any(a.star == "*" for a in call.args), any(a.star == "**" for a in call.args)
    )


def _literal_type(node: cst.CSTNode) -> str | None:
    kind = _LITERAL_TYPES.get(type(node))
    if kind == "str" and isinstance(node, cst.SimpleString) and node.prefix.lower().replace("r", "") == "b":
        return "bytes"
    if kind == "str" and isinstance(node, cst.ConcatenatedString):
        return _literal_type(node.left)
    return kind


def _is_feature_test(test: cst.BaseExpression, type_checking: bool = True) -> bool:
    names = {"hasattr", "getattr", "TYPE_CHECKING"} if type_checking else {"hasattr", "getattr"}
    for sub in _walk(test):
        if isinstance(sub, cst.Name) and sub.value in names:
            return True
        if isinstance(sub, cst.Attribute) and sub.attr.value in {
            "version_info", "platform", "implementation", "python_implementation",
        } | ({"TYPE_CHECKING"} if type_checking else set()):  # fmt: skip
            return True
    return False


def _typeshed_test(test: cst.BaseExpression) -> bool:
    """A test of ``sys.version_info`` or ``sys.platform`` only: typeshed's stdlib stubs spell out
    every branch of it. Feature tests (``hasattr``), ``TYPE_CHECKING`` and implementation tests
    (PyPy's modules are not CPython's) are not."""
    nodes = _walk(test)
    environment = False
    for sub in nodes:
        if isinstance(sub, cst.Name) and sub.value in {"hasattr", "getattr", "TYPE_CHECKING"}:
            return False
        if isinstance(sub, cst.Attribute):
            if sub.attr.value in {"implementation", "python_implementation", "TYPE_CHECKING"}:
                return False
            if sub.attr.value in {"version_info", "platform"} and isinstance(sub.value, cst.Name) and sub.value.value == "sys":
                environment = True
    return environment


def _expects_error(expr: cst.BaseExpression) -> bool:
    """``with pytest.raises(...)`` / ``self.assertRaises(...)``: the code inside is meant to fail."""
    func = expr.func if isinstance(expr, cst.Call) else None
    name = func.attr.value if isinstance(func, cst.Attribute) else func.value if isinstance(func, cst.Name) else ""
    return name in {"raises", "assertRaises", "assertRaisesRegex", "warns", "assertWarns"}


def _catches(handler_type: cst.BaseExpression | None) -> bool:
    if handler_type is None:
        return True
    return any(isinstance(n, cst.Name) and n.value in _GUARD_EXCEPTIONS for n in _walk(handler_type))


def _reraises(handler: cst.ExceptHandler) -> bool:
    """Does the handler end by raising (``except BaseException: cleanup(); raise``)? Then the error
    still propagates: the block does not make what fails in it optional."""
    body = handler.body.body if isinstance(handler.body, cst.IndentedBlock) else []
    last = body[-1] if body else None
    small = last.body[-1] if isinstance(last, cst.SimpleStatementLine) and last.body else None
    return isinstance(small, cst.Raise)


def _imports(node: cst.CSTNode) -> bool:
    """Does ``node`` hold an import statement?"""
    return any(isinstance(n, cst.Import | cst.ImportFrom) for n in _walk(node))


def _catches_import_error(handler_type: cst.BaseExpression | None) -> bool:
    """``except ImportError`` / ``ModuleNotFoundError``, alone or in a tuple."""
    return handler_type is not None and any(
        isinstance(n, cst.Name) and n.value in {"ImportError", "ModuleNotFoundError"} for n in _walk(handler_type)
    )


def _walk(node: cst.CSTNode) -> list[cst.CSTNode]:
    out = [node]
    for child in children(node):
        out.extend(_walk(child))
    return out


def _collect_assigned(module: cst.Module, out: dict[int, cst.BaseExpression]) -> None:
    """The value of every assignment to a plain name (``x = v``, ``x: T = v``), by the name node's
    id. Only statements are walked: an assignment is a statement, and no expression holds one (a
    lambda's body is an expression)."""
    stack: list[cst.CSTNode] = [module]
    while stack:
        node = stack.pop()
        if isinstance(node, cst.Assign):
            for target in node.targets:
                if isinstance(target.target, cst.Name):
                    out[id(target.target)] = node.value
            continue  # holds expressions only
        if isinstance(node, cst.AnnAssign):
            if isinstance(node.target, cst.Name) and node.value is not None:
                out[id(node.target)] = node.value
            continue
        for name in field_names(type(node)):
            value = getattr(node, name)
            if isinstance(value, cst.CSTNode):
                if not isinstance(value, cst.BaseExpression):
                    stack.append(value)
            elif isinstance(value, tuple | list):
                stack.extend(v for v in value if isinstance(v, cst.CSTNode) and not isinstance(v, cst.BaseExpression))
