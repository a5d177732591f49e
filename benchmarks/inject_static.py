"""Operators that inject the static hallucination classes into real release diffs.

Six classes of DESIGN.md's table, each an ``@operator`` of benchmarks/injections.py:
``nonexistent-import``, ``nonexistent-attribute``, ``wrong-signature``, ``undefined-name``,
``removed-api`` and ``wrong-return-type``. Each operator picks a site on a line the release changed
and rewrites it the way a fast model writing that change could have got it wrong: a near-miss of a
real name, a keyword the callee does not take, a variable name that nothing defines, the removed
predecessor of a current API, a return that does not match the annotation.

Every "does not exist" is checked against reality, never against a list of names: modules against
the running environment (``importlib.util.find_spec`` in a subprocess), the stdlib and both trees;
attributes and signatures of stdlib modules by introspection in a subprocess (and typeshed, so that
a name a newer Python added is not taken for a hallucination); repo modules and functions by
reading them with ``ast``; removed APIs from typeshed as bundled with mypy. The candidate names come
from generic pools (plural/singular, abbreviations, synonyms, camelCase, common suffixes and keyword
names) applied to the real names at the site.

    cd benchmarks && ../.venv/bin/python inject_static.py [--seeds 0,1,2] [--show 3] [--only six]
"""

from __future__ import annotations

import argparse
import ast
import builtins
import difflib
import functools
import importlib.util
import json
import keyword
import random
import re
import subprocess
import sys
import tempfile
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from injections import OPERATORS, Injection, Target, operator, targets
from release_diffs import RELEASES

# ---------------------------------------------------------------------------------------------
# Text and tree helpers


_LINE_BREAK = re.compile(r"\r\n|\r|\n")


def _lines(text: str) -> list[str]:
    """Lines as the tokenizer counts them (``str.splitlines`` also splits on form feeds)."""
    out: list[str] = []
    pos = 0
    for m in _LINE_BREAK.finditer(text):
        out.append(text[pos : m.end()])
        pos = m.end()
    if pos < len(text):
        out.append(text[pos:])
    return out


def _offset(lines: Sequence[str], lineno: int, col: int) -> int:
    """The character offset of ``ast``'s (line, UTF-8 byte column) in the joined text."""
    before = sum(len(line) for line in lines[: lineno - 1])
    return before + len(lines[lineno - 1].encode("utf-8")[:col].decode("utf-8", errors="replace"))


def _splice(text: str, node: ast.AST, new: str) -> str:
    lines = _lines(text)
    start = _offset(lines, node.lineno, node.col_offset)  # type: ignore[attr-defined]
    end = _offset(lines, node.end_lineno, node.end_col_offset)  # type: ignore[attr-defined]
    return text[:start] + new + text[end:]


def _segment(text: str, node: ast.AST) -> str:
    lines = _lines(text)
    start = _offset(lines, node.lineno, node.col_offset)  # type: ignore[attr-defined]
    end = _offset(lines, node.end_lineno, node.end_col_offset)  # type: ignore[attr-defined]
    return text[start:end]


def _parse(text: str) -> ast.Module | None:
    try:
        return ast.parse(text)
    except (SyntaxError, ValueError):
        return None


@functools.lru_cache(maxsize=256)
def _source(root: Path, rel: str) -> tuple[str, ast.Module] | None:
    path = root / rel
    if not path.is_file():
        return None
    text = path.read_text(encoding="utf-8", errors="replace")
    tree = _parse(text)
    return None if tree is None else (text, tree)


def _files(target: Target, rng: random.Random) -> list[str]:
    """The changed ``.py`` files of the target that parse, in an order drawn from ``rng``."""
    paths = [p for p in sorted(target.changed) if p.endswith(".py") and _source(target.new, p) is not None]
    rng.shuffle(paths)
    return paths


def _single_line(node: ast.AST, changed: frozenset[int]) -> bool:
    lineno = getattr(node, "lineno", None)
    return lineno is not None and lineno == getattr(node, "end_lineno", None) and lineno in changed


def _finish(cls: str, target: Target, path: str, new_text: str, line: int, description: str) -> Injection | None:
    """The injection, when the rewritten file still parses and differs from the release's only
    around ``line``."""
    old_text = target.text(path)
    if new_text == old_text or _parse(new_text) is None:
        return None
    before, after = old_text.splitlines(), new_text.splitlines()
    matcher = difflib.SequenceMatcher(None, before, after, autojunk=False)
    touched = [j for tag, _i1, _i2, j1, j2 in matcher.get_opcodes() if tag != "equal" for j in range(j1, j2 + 2)]
    if touched and (min(touched) < line - 3 or max(touched) > line + 4):
        return None
    return Injection(cls, path, new_text, line, description)


def _own_nodes(fn: ast.AST) -> Iterator[ast.AST]:
    """The nodes of a function's body, not descending into nested functions, classes or lambdas."""
    nested = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)
    stack: list[ast.AST] = [n for n in getattr(fn, "body", []) if not isinstance(n, nested)]
    while stack:
        node = stack.pop()
        yield node
        stack.extend(child for child in ast.iter_child_nodes(node) if not isinstance(child, nested))


def _functions(tree: ast.AST) -> list[ast.FunctionDef | ast.AsyncFunctionDef]:
    return [n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))]


def _annotation_nodes(tree: ast.AST) -> set[int]:
    """ids of every node inside an annotation (not evaluated, or not where the change is)."""
    out: set[int] = set()
    for node in ast.walk(tree):
        anns: list[ast.AST | None] = []
        if isinstance(node, (ast.AnnAssign, ast.arg)):
            anns.append(node.annotation)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            anns.append(node.returns)
        for ann in anns:
            if ann is not None:
                out.update(id(n) for n in ast.walk(ann))
    return out


def _bound_names(tree: ast.AST) -> Counter[str]:
    """Every name bound anywhere in the module (any scope), with how often."""
    out: Counter[str] = Counter()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and not isinstance(node.ctx, ast.Load):
            out[node.id] += 1
        elif isinstance(node, ast.arg):
            out[node.arg] += 1
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            out[node.name] += 1
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            for alias in node.names:
                out[alias.asname or alias.name.split(".")[0]] += 1
        elif isinstance(node, (ast.Global, ast.Nonlocal)):
            out.update(node.names)
        elif (isinstance(node, ast.ExceptHandler) and node.name) or (isinstance(node, (ast.MatchAs, ast.MatchStar)) and node.name):
            out[node.name] += 1
        elif isinstance(node, ast.MatchMapping) and node.rest:
            out[node.rest] += 1
    return out


def _has_star_import(tree: ast.AST) -> bool:
    return any(isinstance(n, ast.ImportFrom) and any(a.name == "*" for a in n.names) for n in ast.walk(tree))


def _dynamic_globals(tree: ast.AST) -> bool:
    return any(
        isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id in {"globals", "locals", "exec", "vars"}
        for n in ast.walk(tree)
    )


def _statement_at(tree: ast.AST, node: ast.AST) -> tuple[ast.stmt, list[ast.stmt]] | None:
    """The innermost statement holding ``node`` and the body list it sits in."""
    best: tuple[ast.stmt, list[ast.stmt]] | None = None
    for parent in ast.walk(tree):
        for field_name in ("body", "orelse", "finalbody", "handlers"):
            body = getattr(parent, field_name, None)
            if not isinstance(body, list):
                continue
            for stmt in body:
                if not isinstance(stmt, ast.stmt):
                    continue
                inside = stmt.lineno <= node.lineno and (stmt.end_lineno or 0) >= node.end_lineno  # type: ignore[attr-defined]
                if inside and any(n is node for n in ast.walk(stmt)) and (best is None or stmt.lineno >= best[0].lineno):
                    best = (stmt, body)
    return best


def _enclosing_function(tree: ast.AST, line: int) -> ast.FunctionDef | ast.AsyncFunctionDef | None:
    best = None
    for fn in _functions(tree):
        if fn.lineno <= line <= (fn.end_lineno or 0) and (best is None or fn.lineno >= best.lineno):
            best = fn
    return best


# ---------------------------------------------------------------------------------------------
# Generic name pools: how a model's name drifts from the real one


_SYNONYMS: tuple[tuple[str, ...], ...] = (
    ("get", "fetch", "retrieve"), ("remove", "delete"), ("make", "create", "build"), ("find", "search", "lookup"),
    ("load", "read"), ("dump", "write", "save"), ("parse", "decode"), ("format", "render"), ("add", "append"),
    ("size", "length"), ("items", "entries"), ("check", "validate", "verify"), ("update", "refresh"),
    ("split", "tokenize"), ("join", "concat"), ("copy", "clone"), ("start", "begin"), ("stop", "end"),
    ("name", "label"), ("key", "id"), ("value", "val"), ("index", "idx"), ("result", "res"), ("message", "msg"),
    ("config", "cfg", "conf"), ("argument", "arg"), ("arguments", "args"), ("number", "num"), ("count", "cnt"),
    ("string", "str"), ("text", "txt"), ("directory", "dir"), ("path", "filepath"), ("file", "fname"),
    ("error", "err"), ("exception", "exc"), ("options", "opts"), ("parameters", "params"), ("callback", "cb"),
    ("function", "func"), ("object", "obj"), ("element", "elem"), ("attribute", "attr"), ("source", "src"),
    ("destination", "dest", "dst"), ("previous", "prev"), ("current", "curr"), ("position", "pos"),
    ("temporary", "tmp"), ("buffer", "buf"), ("context", "ctx"), ("request", "req"), ("response", "resp"),
    ("character", "char"), ("line", "row"), ("default", "fallback"), ("max", "maximum"), ("min", "minimum"),
    ("encode", "serialize"), ("normalize", "normalise"), ("initialize", "initialise"), ("is", "has"),
    ("all", "every"), ("data", "payload"), ("output", "out"), ("input", "inp"), ("module", "mod"),
)  # fmt: skip
_VERB_PREFIXES = ("get", "set", "is", "has", "to", "from", "split", "make", "read", "write", "find", "iter", "list")


def _split_words(name: str) -> list[str]:
    core = name.strip("_")
    if "_" in core:
        return [w for w in core.split("_") if w]
    return [w.lower() for w in re.findall(r"[A-Z]+(?![a-z])|[A-Z]?[a-z0-9]+", core)] or [core]


def _plural_toggles(word: str) -> list[str]:
    if len(word) < 3:
        return []
    if word.endswith("ies"):
        return [word[:-3] + "y"]
    if word.endswith("ses") or word.endswith("xes"):
        return [word[:-2]]
    if word.endswith("s") and not word.endswith("ss"):
        return [word[:-1]]
    if word.endswith("y") and word[-2:-1] not in "aeiou":
        return [word[:-1] + "ies"]
    return [word + "s"]


def _synonyms(word: str) -> list[str]:
    out: list[str] = []
    for group in _SYNONYMS:
        if word in group:
            out.extend(w for w in group if w != word)
    return out


def _join_like(name: str, words: list[str]) -> str:
    """``words`` joined in the style of ``name`` (its leading underscores, snake or camel case)."""
    lead = name[: len(name) - len(name.lstrip("_"))]
    core = name.strip("_")
    if len(words) == 1 and "_" not in core:
        word = words[0]
        return lead + (word.upper() if core.isupper() else word.capitalize() if core[:1].isupper() else word)
    if "_" in core or core.islower():
        if "_" not in core and core.islower() and len(words) > 1 and not any("_" in w for w in words):
            return lead + "".join(words)  # isfile-style stays glued
        return lead + "_".join(words)
    if core[:1].isupper():
        return lead + "".join(w[:1].upper() + w[1:] for w in words)
    return lead + words[0] + "".join(w[:1].upper() + w[1:] for w in words[1:])


def _valid(name: str) -> bool:
    return name.isidentifier() and not keyword.iskeyword(name)


def name_variants(name: str, *, callable_name: bool = False) -> list[str]:
    """Plausible wrong spellings of ``name``: the near misses a model writes from memory."""
    words = _split_words(name)
    out: list[str] = []
    if not words or not words[-1]:
        return out
    for alt in _plural_toggles(words[-1]):
        out.append(_join_like(name, [*words[:-1], alt]))
    for i, word in enumerate(words):
        for alt in _synonyms(word):
            out.append(_join_like(name, [*words[:i], alt, *words[i + 1 :]]))
    core = name.strip("_")
    lead = name[: len(name) - len(core)]
    if "_" in core and core.islower():  # snake -> camel
        out.append(lead + words[0] + "".join(w.capitalize() for w in words[1:]))
        out.append(lead + "".join(words))
    elif core.islower() and core.isalpha():  # isfile -> is_file
        for prefix in _VERB_PREFIXES:
            if core.startswith(prefix) and len(core) > len(prefix) + 2:
                out.append(lead + prefix + "_" + core[len(prefix) :])
    elif not core.islower() and not core.isupper() and core[:1].islower():  # camel -> snake
        out.append(lead + "_".join(words))
    if callable_name and words[0] == "get" and len(words) > 1:
        out.append(lead + "_".join(words[1:]))
    if lead == "_" and len(core) > 3:  # a private helper called by its public-looking name
        out.append(core)
    seen: set[str] = set()
    return [v for v in out if v != name and _valid(v) and not (v in seen or seen.add(v))]  # type: ignore[func-returns-value]


def module_variants(part: str) -> list[str]:
    """Near misses of one component of a module path."""
    if part.endswith(("util", "utils", "helpers", "compat")):
        out = [*_plural_toggles(part), part.rstrip("s") + "ities" if part.endswith("utils") else part + "_utils"]
        return [v for v in out if v != part and _valid(v)]
    out = [*_plural_toggles(part), part + "_utils", part + "utils", part + "_compat", part + "lib", part + "_helpers"]
    if "_" in part:
        out.append(part.replace("_", ""))
    return [v for v in out if v != part and _valid(v)]


_Accept = Callable[[str], bool]
Variant = Callable[[Target, str, random.Random], Injection | None]  # one way to inject, on one file
_SUBMODULE_POOL = ("utils", "helpers", "compat", "types", "common", "core", "base", "util", "_utils", "_compat")


# ---------------------------------------------------------------------------------------------
# Reality: the environment, the stdlib, typeshed and the trees

_ENV = {"PYTHONDONTWRITEBYTECODE": "1", "PATH": "/usr/bin:/bin"}
_UNSAFE = {"antigravity", "this", "idlelib", "tkinter", "turtle", "turtledemo", "__hello__", "__phello__"}

_FIND_SPEC = r"""
import importlib.util, json, sys
out = {}
for name in json.loads(sys.stdin.read()):
    try:
        out[name] = importlib.util.find_spec(name) is not None
    except ModuleNotFoundError:
        out[name] = False
    except BaseException:
        out[name] = True
print(json.dumps(out))
"""

_INTROSPECT = r"""
import importlib, inspect, json, sys
name = sys.argv[1]
try:
    mod = importlib.import_module(name)
except BaseException:
    print("null")
    raise SystemExit(0)
names = sorted(set(dir(mod)))
kinds, sigs = {}, {}
for attr in names:
    try:
        obj = getattr(mod, attr)
    except BaseException:
        continue
    kinds[attr] = ("module" if inspect.ismodule(obj) else "class" if inspect.isclass(obj)
                   else "callable" if callable(obj) else "value")
    if callable(obj) and not inspect.ismodule(obj):
        try:
            sig = inspect.signature(obj)
        except BaseException:
            continue
        sigs[attr] = [[p.name, p.kind.name,
                       repr(p.default) if type(p.default) in (bool, int, float, str) else None]
                      for p in sig.parameters.values()]
print(json.dumps({"dir": names, "kinds": kinds, "sigs": sigs}))
"""

_SPEC_CACHE: dict[str, bool] = {}


def _importable(names: Sequence[str]) -> dict[str, bool]:
    """Whether each dotted module name is found by the running environment (in a subprocess)."""
    todo = sorted({n for n in names if n not in _SPEC_CACHE})
    if todo:
        with tempfile.TemporaryDirectory() as cwd:
            proc = subprocess.run(
                [sys.executable, "-I", "-c", _FIND_SPEC], input=json.dumps(todo), capture_output=True,
                text=True, cwd=cwd, env=_ENV, timeout=120, check=False,
            )  # fmt: skip
        try:
            found: dict[str, bool] = json.loads(proc.stdout)
        except json.JSONDecodeError:
            found = dict.fromkeys(todo, True)  # unknown: treat as existing (never claim a miss)
        _SPEC_CACHE.update(found)
    return {n: _SPEC_CACHE.get(n, True) for n in names}


@dataclass(frozen=True)
class ModuleInfo:
    names: frozenset[str]
    kinds: Mapping[str, str]
    sigs: Mapping[str, Sequence[tuple[str, str, str | None]]]  # name -> [(param, kind, literal default)]


@functools.cache
def stdlib_module(name: str) -> ModuleInfo | None:
    """A stdlib module's names and signatures, introspected in a subprocess."""
    if name.split(".")[0] not in sys.stdlib_module_names or name.split(".")[0] in _UNSAFE:
        return None
    with tempfile.TemporaryDirectory() as cwd:
        proc = subprocess.run(
            [sys.executable, "-I", "-c", _INTROSPECT, name], capture_output=True, text=True, cwd=cwd,
            env=_ENV, timeout=60, check=False,
        )  # fmt: skip
    try:
        data = json.loads(proc.stdout.strip().splitlines()[-1]) if proc.stdout.strip() else None
    except json.JSONDecodeError:
        return None
    if not data:
        return None
    sigs = {k: [(p, kind, default) for p, kind, default in v] for k, v in data["sigs"].items()}
    return ModuleInfo(frozenset(data["dir"]), data["kinds"], sigs)


def _typeshed_root() -> Path | None:
    spec = importlib.util.find_spec("mypy")
    if spec is None or not spec.submodule_search_locations:
        return None
    root = Path(next(iter(spec.submodule_search_locations))) / "typeshed" / "stdlib"
    return root if root.is_dir() else None


TYPESHED = _typeshed_root()


@functools.cache
def stub_text(module: str) -> str:
    if TYPESHED is None:
        return ""
    base = TYPESHED.joinpath(*module.split("."))
    for path in (base.with_suffix(".pyi"), base / "__init__.pyi"):
        if path.is_file():
            return path.read_text(encoding="utf-8")
    return ""


def _in_stub(module: str, word: str) -> bool:
    """Whether typeshed mentions ``word`` in the module's stub at all (a name some Python has)."""
    return re.search(rf"\b{re.escape(word)}\b", stub_text(module)) is not None


def _version_test(test: ast.expr) -> tuple[str, int] | None:
    """``sys.version_info < (3, N)`` -> ("<", N); ``>=`` -> (">=", N)."""
    if not (isinstance(test, ast.Compare) and len(test.ops) == 1 and len(test.comparators) == 1):
        return None
    if ast.unparse(test.left) != "sys.version_info":
        return None
    cmp = test.comparators[0]
    if not (isinstance(cmp, ast.Tuple) and len(cmp.elts) >= 2 and all(isinstance(e, ast.Constant) for e in cmp.elts[:2])):
        return None
    major, minor = (e.value for e in cmp.elts[:2])  # type: ignore[attr-defined]
    if major != 3 or not isinstance(minor, int):
        return None
    if isinstance(test.ops[0], ast.Lt):
        return ("<", minor)
    if isinstance(test.ops[0], ast.GtE):
        return (">=", minor)
    return None


def _stub_defined(stmt: ast.stmt) -> list[str]:
    if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return [stmt.name]
    if isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name):
        return [stmt.target.id]
    if isinstance(stmt, ast.Assign):
        return [t.id for t in stmt.targets if isinstance(t, ast.Name)]
    if isinstance(stmt, (ast.Import, ast.ImportFrom)):
        return [a.asname for a in stmt.names if a.asname]  # re-exports only
    return []


@functools.cache
def stub_availability(module: str) -> Mapping[str, int | None]:
    """Each name the stub defines (``name`` or ``Class.member``) -> the Python 3 minor version that
    removed it (None: still there), from the stub's ``sys.version_info`` branches."""
    tree = _parse(stub_text(module))
    if tree is None:
        return {}
    out: dict[str, int | None] = {}

    def record(name: str, upper: int | None) -> None:
        if name in out and (out[name] is None or upper is None):
            out[name] = None
        else:
            out[name] = upper if name not in out else max(out[name] or 0, upper or 0)

    def walk(body: list[ast.stmt], upper: int | None, prefix: str) -> None:
        for stmt in body:
            if isinstance(stmt, ast.If):
                vt = _version_test(stmt.test)
                if vt and vt[0] == "<":
                    walk(stmt.body, min(upper or 99, vt[1]), prefix)
                    walk(stmt.orelse, upper, prefix)
                elif vt and vt[0] == ">=":
                    walk(stmt.body, upper, prefix)
                    walk(stmt.orelse, min(upper or 99, vt[1]), prefix)
                else:
                    walk(stmt.body, upper, prefix)
                    walk(stmt.orelse, upper, prefix)
                continue
            for name in _stub_defined(stmt):
                record(prefix + name, upper)
            if isinstance(stmt, ast.ClassDef) and not prefix:
                walk(stmt.body, upper, stmt.name + ".")

    walk(tree.body, None, "")
    return out


@functools.cache
def removed_modules() -> Mapping[str, int]:
    """Stdlib modules typeshed's VERSIONS gives an upper bound -> the minor version that removed them."""
    if TYPESHED is None:
        return {}
    out: dict[str, int] = {}
    for raw in (TYPESHED / "VERSIONS").read_text(encoding="utf-8").splitlines():
        line = raw.split("#")[0].strip()
        m = re.fullmatch(r"([\w.]+):\s*3\.\d+-3\.(\d+)", line)
        if m:
            out[m.group(1)] = int(m.group(2)) + 1
    return out


def min_python(tree: Path) -> int | None:
    """The minor version of the oldest Python 3 the project declares (None: undeclared or 2.x)."""
    patterns = (
        ("pyproject.toml", r"requires-python\s*=\s*[\"']([^\"']+)"),
        ("setup.cfg", r"python_requires\s*=\s*([^\n]+)"),
        ("setup.py", r"python_requires\s*=\s*[\"']([^\"']+)"),
    )
    for fname, pattern in patterns:
        path = tree / fname
        if not path.is_file():
            continue
        m = re.search(pattern, path.read_text(encoding="utf-8", errors="replace"))
        if not m:
            continue
        spec = m.group(1)
        lower = re.search(r"(>=|~=|>)\s*(\d+)\.(\d+)", spec)
        if lower is None:
            continue
        major, minor = int(lower.group(2)), int(lower.group(3))
        if major < 3:
            return 0
        return minor + 1 if lower.group(1) == ">" else minor
    return None


@functools.lru_cache(maxsize=64)
def _tree_modules(root: Path) -> frozenset[str]:
    """Every dotted name a module or package of the tree could be imported by (each path suffix)."""
    out: set[str] = set()
    for path in root.rglob("*"):
        rel = path.relative_to(root)
        if path.is_file() and path.suffix in (".py", ".pyi", ".so", ".pyd"):
            parts = [*rel.parts[:-1], rel.name.split(".")[0]]
            if parts[-1] == "__init__":
                parts = parts[:-1]
        elif path.is_dir():
            parts = list(rel.parts)
        else:
            continue
        for i in range(len(parts)):
            out.add(".".join(parts[i:]))
    return frozenset(out)


def missing_modules(target: Target, names: Sequence[str]) -> list[str]:
    """Those of ``names`` that no Python could import here: not stdlib, not in either tree, not
    found by the running environment (nor any of their parents' siblings of the same name)."""
    known = _tree_modules(target.old) | _tree_modules(target.new)
    cands = [n for n in names if n not in known and n not in sys.stdlib_module_names]
    found = _importable(cands)
    return [n for n in cands if not found[n]]


def _resolve_relative(path: str, module: str | None, level: int) -> str | None:
    """The tree-relative path (without suffix) of a relative import's module."""
    parts = Path(path).parent.parts
    if level > len(parts) + 1:
        return None
    base = list(parts[: len(parts) - (level - 1)]) if level > 1 else list(parts)
    return "/".join([*base, *(module.split(".") if module else [])])


def _repo_module_path(target: Target, path: str, module: str | None, level: int) -> str | None:
    """The tree-relative file of an imported repo module (``pkg/mod.py`` or ``pkg/__init__.py``)."""
    stems: list[str] = []
    if level:
        stem = _resolve_relative(path, module, level)
        if stem is not None:
            stems.append(stem)
    elif module:
        slashed = module.replace(".", "/")
        parts = Path(path).parts
        stems.extend("/".join([*parts[:i], slashed]) for i in range(len(parts)))
    for stem in stems:
        for cand in (f"{stem}.py", f"{stem}/__init__.py"):
            if (target.new / cand).is_file():
                return cand
    return None


@functools.lru_cache(maxsize=512)
def _module_globals(root: Path, rel: str) -> frozenset[str] | None:
    """The names a repo module defines at top level (None: it defines names dynamically)."""
    src = _source(root, rel)
    if src is None:
        return None
    _text, tree = src
    if _has_star_import(tree) or _dynamic_globals(tree):
        return None
    names: set[str] = set()
    stack: list[ast.stmt] = list(tree.body)
    while stack:
        stmt = stack.pop()
        if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(stmt.name)
            continue
        for node in ast.walk(stmt):
            if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
                names.add(node.id)
            elif isinstance(node, (ast.Import, ast.ImportFrom)):
                names.update(a.asname or a.name.split(".")[0] for a in node.names)
            elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                names.add(node.name)
    if "__getattr__" in names:
        return None
    if rel.endswith("__init__.py"):
        pkg = (root / rel).parent
        names.update(p.stem for p in pkg.iterdir() if p.suffix == ".py" or (p.is_dir() and (p / "__init__.py").exists()))
    names.update({"__name__", "__file__", "__doc__", "__all__", "__path__", "__spec__", "__dict__", "__version__"})
    return frozenset(names)


@dataclass(frozen=True)
class Bound:
    """A name bound to a module by an import: the stdlib module's name or the repo module's file."""

    local: str
    stdlib: str | None
    repo: str | None
    node: ast.Import | ast.ImportFrom


def module_bindings(target: Target, path: str, tree: ast.Module) -> dict[str, Bound]:
    """Names bound exactly once in the file, by an import, to a module (stdlib or the repo's)."""
    counts = _bound_names(tree)
    out: dict[str, Bound] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                local = alias.asname or alias.name.split(".")[0]
                full = alias.name if alias.asname else alias.name.split(".")[0]
                if counts[local] != 1:
                    continue
                if full.split(".")[0] in sys.stdlib_module_names:
                    out[local] = Bound(local, full, None, node)
                else:
                    repo = _repo_module_path(target, path, full, 0)
                    if repo:
                        out[local] = Bound(local, None, repo, node)
        elif isinstance(node, ast.ImportFrom):
            for alias in node.names:
                local = alias.asname or alias.name
                if counts[local] != 1 or alias.name == "*":
                    continue
                if node.level == 0 and node.module and node.module.split(".")[0] in sys.stdlib_module_names:
                    parent = stdlib_module(node.module)
                    if parent is not None and parent.kinds.get(alias.name) == "module":
                        out[local] = Bound(local, f"{node.module}.{alias.name}", None, node)
                else:
                    sub = f"{node.module}.{alias.name}" if node.module else alias.name
                    repo = _repo_module_path(target, path, sub, node.level)
                    if repo:
                        out[local] = Bound(local, None, repo, node)
    return out


def module_names(target: Target, bound: Bound) -> tuple[frozenset[str], str | None] | None:
    """What ``bound``'s module defines, and its stdlib name (for typeshed) if it is stdlib."""
    if bound.stdlib:
        info = stdlib_module(bound.stdlib)
        return None if info is None else (info.names, bound.stdlib)
    if bound.repo:
        names = _module_globals(target.new, bound.repo)
        return None if names is None else (names, None)
    return None


def _attr_uses(tree: ast.AST, changed: frozenset[int], locals_: Mapping[str, Bound]) -> list[ast.Attribute]:
    skip = _annotation_nodes(tree)
    return [
        n for n in ast.walk(tree)
        if isinstance(n, ast.Attribute) and isinstance(n.ctx, ast.Load) and isinstance(n.value, ast.Name)
        and n.value.id in locals_ and _single_line(n, changed) and id(n) not in skip
    ]  # fmt: skip


# ---------------------------------------------------------------------------------------------
# nonexistent-import


def _import_candidates(target: Target, path: str, node: ast.ImportFrom | ast.Import) -> list[tuple[str, str]]:
    """(old module text, new module text) rewrites of an import statement's module."""
    out: list[tuple[str, str]] = []
    if isinstance(node, ast.ImportFrom):
        if node.module is None:
            return [("." * node.level, "." * node.level + sub) for sub in _SUBMODULE_POOL]
        parts = node.module.split(".")
        for variant in module_variants(parts[-1]):
            out.append((node.module, ".".join([*parts[:-1], variant])))
        if node.level or parts[0] in sys.stdlib_module_names:
            for sub in _SUBMODULE_POOL[:6]:
                out.append((node.module, f"{node.module}.{sub}"))
        return [(o if not node.level else "." * node.level + o, n if not node.level else "." * node.level + n) for o, n in out]
    for alias in node.names:
        if alias.asname:
            parts = alias.name.split(".")
            out.extend((alias.name, ".".join([*parts[:-1], v])) for v in module_variants(parts[-1]))
    return out


def _absolute(path: str, spec: str) -> tuple[str | None, int]:
    level = len(spec) - len(spec.lstrip("."))
    return (spec[level:] or None), level


def _verify_missing(target: Target, path: str, spec: str) -> bool:
    module, level = _absolute(path, spec)
    if level:
        stem = _resolve_relative(path, module, level)
        if stem is None:
            return False
        for root in (target.old, target.new):
            if (root / f"{stem}.py").exists() or (root / stem).exists() or (root / f"{stem}.pyi").exists():
                return False
        return True
    return module is not None and missing_modules(target, [module]) == [module]


@operator("nonexistent-import")
def import_near_miss(target: Target, rng: random.Random) -> Injection | None:
    """An import the release added or changed, its module rewritten to a plausible sibling that does
    not exist (``from .utils import x`` -> ``from .util import x``, ``from os.path import join`` ->
    ``from os.pathutils import join``); or, on a changed line using ``mod.attr``, a local ``from
    <near miss of mod> import attr`` inserted before the statement and ``attr`` used bare."""
    return _first_variant(target, rng, [_rewrite_changed_import, _local_import_of_attr])


def _rewrite_changed_import(target: Target, path: str, rng: random.Random) -> Injection | None:
    text, tree = _source(target.new, path)  # type: ignore[misc]
    changed = target.changed[path]
    nodes = [n for n in ast.walk(tree) if isinstance(n, (ast.Import, ast.ImportFrom)) and _single_line(n, changed)]
    nodes = [n for n in nodes if not (isinstance(n, ast.ImportFrom) and n.module == "__future__")]
    rng.shuffle(nodes)
    for node in nodes:
        cands = _import_candidates(target, path, node)
        rng.shuffle(cands)
        for old, new in cands[:6]:
            if not _verify_missing(target, path, new):
                continue
            seg = _segment(text, node)
            pattern = rf"(?<![\w.]){re.escape(old)}(?![\w])"
            if isinstance(node, ast.ImportFrom):
                rewritten = re.sub(rf"^from\s+{re.escape(old)}(?=\s)", f"from {new}", seg, count=1)
            else:
                rewritten = re.sub(pattern, new, seg, count=1)
            if rewritten == seg:
                continue
            inj = _finish("nonexistent-import", target, path, _splice(text, node, rewritten), node.lineno,
                          f"import from {new} (no such module; the release imports from {old})")  # fmt: skip
            if inj is not None:
                return inj
    return None


def _local_import_of_attr(target: Target, path: str, rng: random.Random) -> Injection | None:
    text, tree = _source(target.new, path)  # type: ignore[misc]
    changed = target.changed[path]
    binds = module_bindings(target, path, tree)
    uses = _attr_uses(tree, changed, binds)
    counts = _bound_names(tree)
    rng.shuffle(uses)
    for use in uses:
        bound = binds[use.value.id]  # type: ignore[attr-defined]
        names = module_names(target, bound)
        if names is None or use.attr not in names[0] or use.attr.startswith("_") or counts[use.attr]:
            continue
        fn = _enclosing_function(tree, use.lineno)
        if fn is None or any(isinstance(n, ast.Name) and n.id == use.attr for n in ast.walk(fn)):
            continue
        found = _statement_at(fn, use)
        if found is None:
            continue
        stmt, _body = found
        if stmt.lineno not in changed or (isinstance(stmt, (ast.If, ast.For, ast.While, ast.With, ast.Try)) and stmt.lineno != use.lineno):
            continue
        lines = _lines(text)
        first = lines[stmt.lineno - 1]
        indent = first[: len(first) - len(first.lstrip())]
        if len(indent.encode()) != stmt.col_offset:
            continue
        if bound.stdlib:
            parts = bound.stdlib.split(".")
            mods = [".".join([*parts[:-1], v]) for v in module_variants(parts[-1])]
        else:
            spec = _spec_of(bound)
            if spec is None:
                continue
            mods = [spec[: len(spec) - len(spec.split(".")[-1])] + v for v in module_variants(spec.split(".")[-1]) if spec.split(".")[-1]]
        rng.shuffle(mods)
        for mod in mods[:5]:
            if not _verify_missing(target, path, mod):
                continue
            body = _splice(text, use, use.attr)
            blines = _lines(body)
            eol = "\r\n" if first.endswith("\r\n") else "\n"
            blines.insert(stmt.lineno - 1, f"{indent}from {mod} import {use.attr}{eol}")
            inj = _finish("nonexistent-import", target, path, "".join(blines), stmt.lineno,
                          f"from {mod} import {use.attr} (no such module) for {use.value.id}.{use.attr}")  # type: ignore[attr-defined]  # fmt: skip
            if inj is not None:
                return inj
    return None


def _spec_of(bound: Bound) -> str | None:
    """The module a repo binding imports, as its import statement spells it (``.compat``)."""
    node = bound.node
    if isinstance(node, ast.ImportFrom):
        for alias in node.names:
            if (alias.asname or alias.name) == bound.local:
                base = "." * node.level + (node.module or "")
                sep = "" if base.endswith(".") or not base else "."
                return base + sep + alias.name
        return None
    for alias in node.names:
        if (alias.asname or alias.name.split(".")[0]) == bound.local:
            return alias.name if alias.asname else alias.name.split(".")[0]
    return None


# ---------------------------------------------------------------------------------------------
# nonexistent-attribute

_STR_METHOD_DRIFT: tuple[tuple[str, str], ...] = (
    ("startswith", "starts_with"), ("startswith", "startsWith"), ("endswith", "ends_with"), ("endswith", "endsWith"),
    ("strip", "trim"), ("lstrip", "trim_start"), ("rstrip", "trim_end"), ("lower", "to_lower"), ("lower", "toLowerCase"),
    ("upper", "to_upper"), ("upper", "toUpperCase"), ("replace", "replace_all"), ("replace", "replaceAll"),
    ("format", "formatted"), ("find", "index_of"), ("find", "indexOf"),
    ("splitlines", "lines"), ("isdigit", "is_digit"), ("isspace", "is_space"), ("count", "count_of"),
    ("encode", "to_bytes"), ("zfill", "pad_left"), ("ljust", "pad_right"), ("rjust", "pad_left"),
    ("partition", "split_once"), ("removeprefix", "strip_prefix"), ("removesuffix", "strip_suffix"),
)  # fmt: skip


@operator("nonexistent-attribute")
def attribute_near_miss(target: Target, rng: random.Random) -> Injection | None:
    """On a changed line, ``mod.attr`` of an imported module (stdlib introspected in a subprocess,
    repo module read with ``ast``) -> a near miss the module does not define; or a method of a str
    literal (or ``str(...)``) -> the name another language gives it (``.startsWith``, ``.trim``)."""
    return _first_variant(target, rng, [_module_attr, _str_method])


def _first_variant(target: Target, rng: random.Random, variants: list[Variant]) -> Injection | None:
    """The first injection a variant makes, trying the variants in random order on each file."""
    rng.shuffle(variants)
    for path in _files(target, rng):
        for variant in variants:
            inj = variant(target, path, rng)
            if inj is not None:
                return inj
    return None


def _module_attr(target: Target, path: str, rng: random.Random) -> Injection | None:
    text, tree = _source(target.new, path)  # type: ignore[misc]
    changed = target.changed[path]
    binds = module_bindings(target, path, tree)
    uses = _attr_uses(tree, changed, binds)
    rng.shuffle(uses)
    for use in uses:
        bound = binds[use.value.id]  # type: ignore[attr-defined]
        names = module_names(target, bound)
        if names is None or use.attr not in names[0] or use.attr.startswith("__"):
            continue
        defined, stdlib = names
        cands = name_variants(use.attr, callable_name=True)
        rng.shuffle(cands)
        for cand in cands:
            if cand in defined or (stdlib and (_in_stub(stdlib, cand) or not _verify_missing(target, path, f"{stdlib}.{cand}"))):
                continue
            if not stdlib and bound.repo and bound.repo.endswith("__init__.py"):
                sub = Path(bound.repo).parent / cand
                if (target.new / f"{sub}.py").exists() or (target.new / sub).exists():
                    continue
            name = use.value.id  # type: ignore[attr-defined]
            inj = _finish("nonexistent-attribute", target, path, _splice(text, use, f"{name}.{cand}"), use.lineno,
                          f"{name}.{cand} for {name}.{use.attr} ({stdlib or bound.repo} has no {cand})")  # fmt: skip
            if inj is not None:
                return inj
    return None


def _str_method(target: Target, path: str, rng: random.Random) -> Injection | None:
    text, tree = _source(target.new, path)  # type: ignore[misc]
    changed = target.changed[path]
    sites = [
        n for n in ast.walk(tree)
        if isinstance(n, ast.Attribute) and _single_line(n, changed) and (
            (isinstance(n.value, ast.Constant) and isinstance(n.value.value, str)) or isinstance(n.value, ast.JoinedStr)
            or (isinstance(n.value, ast.Call) and isinstance(n.value.func, ast.Name) and n.value.func.id == "str"
                and "str" not in _bound_names(tree)))
    ]  # fmt: skip
    rng.shuffle(sites)
    for site in sites:
        cands = [new for old, new in _STR_METHOD_DRIFT if old == site.attr and not hasattr(str, new)]
        if not cands:
            continue
        cand = rng.choice(cands)
        value = _segment(text, site.value)
        if "\n" in value:
            continue
        inj = _finish("nonexistent-attribute", target, path, _splice(text, site, f"{value}.{cand}"), site.lineno,
                      f"str.{cand} for str.{site.attr} (str has no {cand})")  # fmt: skip
        if inj is not None:
            return inj
    return None


# ---------------------------------------------------------------------------------------------
# wrong-signature

_KEYWORD_POOL: tuple[tuple[str, str], ...] = (
    ("strict", "True"), ("encoding", '"utf-8"'), ("timeout", "None"), ("default", "None"), ("check", "True"),
    ("recursive", "True"), ("reverse", "True"), ("ignore_case", "True"), ("case_sensitive", "False"),
    ("sort_keys", "True"), ("exist_ok", "True"), ("errors", '"strict"'), ("verbose", "False"), ("copy", "False"),
    ("raise_on_error", "False"), ("allow_none", "True"), ("validate", "True"), ("inplace", "False"),
    ("safe", "True"), ("quiet", "True"), ("cache", "True"), ("skip_missing", "True"), ("unique", "True"),
)  # fmt: skip


@dataclass(frozen=True)
class Signature:
    params: frozenset[str]  # every parameter name (any kind)
    keywords: frozenset[str]  # those a keyword argument can bind
    origin: str  # where the signature was read
    defaults: Mapping[str, str]  # keyword parameter -> its default, when a plain literal


def _builtin_signature(name: str) -> Signature | None:
    import inspect

    obj = getattr(builtins, name, None)
    if obj is None or not callable(obj) or (isinstance(obj, type) and issubclass(obj, BaseException)):
        return None
    try:
        sig = inspect.signature(obj)
    except (TypeError, ValueError):
        return None
    params = [
        (p.name, p.kind.name, repr(p.default) if type(p.default) in (bool, int, float, str) else None)
        for p in sig.parameters.values()
    ]
    return _signature(params, f"builtins.{name}")


def _signature(params: Sequence[tuple[str, str, str | None]], origin: str, *, drop_self: bool = False) -> Signature | None:
    if any(kind == "VAR_KEYWORD" for _, kind, _d in params):
        return None
    ps = list(params)[1:] if drop_self else list(params)
    names = frozenset(p for p, _k, _d in ps)
    keywords = frozenset(p for p, kind, _d in ps if kind in ("POSITIONAL_OR_KEYWORD", "KEYWORD_ONLY"))
    defaults = {p: d for p, _k, d in ps if p in keywords and d is not None}
    return Signature(names, keywords, origin, defaults)


def _def_signature(fn: ast.FunctionDef | ast.AsyncFunctionDef, origin: str, *, method: bool) -> Signature | None:
    if fn.args.kwarg is not None or (fn.decorator_list and not all(
        isinstance(d, ast.Name) and d.id in {"staticmethod", "classmethod"} for d in fn.decorator_list
    )):
        return None
    positional = [*fn.args.posonlyargs, *fn.args.args]
    defaults: list[ast.expr | None] = [None] * (len(positional) - len(fn.args.defaults)) + list(fn.args.defaults)
    params = [(a.arg, "POSITIONAL_ONLY", _literal(d)) for a, d in zip(fn.args.posonlyargs, defaults, strict=False)]
    params += [(a.arg, "POSITIONAL_OR_KEYWORD", _literal(d))
               for a, d in zip(fn.args.args, defaults[len(fn.args.posonlyargs):], strict=False)]  # fmt: skip
    params += [(a.arg, "KEYWORD_ONLY", _literal(d)) for a, d in zip(fn.args.kwonlyargs, fn.args.kw_defaults, strict=False)]
    if fn.args.vararg:
        params.append((fn.args.vararg.arg, "VAR_POSITIONAL", None))
    static = any(isinstance(d, ast.Name) and d.id == "staticmethod" for d in fn.decorator_list)
    return _signature(params, origin, drop_self=method and not static)


def _literal(node: ast.expr | None) -> str | None:
    if isinstance(node, ast.Constant) and type(node.value) in (bool, int, float, str):
        return repr(node.value)
    return None


def _callee_signature(target: Target, path: str, tree: ast.Module, call: ast.Call,
                      binds: Mapping[str, Bound], counts: Counter[str]) -> Signature | None:  # fmt: skip
    func = call.func
    if isinstance(func, ast.Name):
        if counts[func.id] == 0 and hasattr(builtins, func.id):
            return _builtin_signature(func.id)
        defs = [n for n in tree.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)) and n.name == func.id]
        if len(defs) == 1 and counts[func.id] == 1:
            return _def_signature(defs[0], f"{path}:{defs[0].lineno}", method=False)
        return None
    if not isinstance(func, ast.Attribute) or not isinstance(func.value, ast.Name):
        return None
    owner = func.value.id
    if owner in binds:
        bound = binds[owner]
        if bound.stdlib:
            info = stdlib_module(bound.stdlib)
            if info is None or func.attr not in info.sigs or info.kinds.get(func.attr) == "class":
                return None
            return _signature(info.sigs[func.attr], f"{bound.stdlib}.{func.attr}")
        if bound.repo:
            src = _source(target.new, bound.repo)
            if src is None or _module_globals(target.new, bound.repo) is None:
                return None
            defs = [n for n in src[1].body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)) and n.name == func.attr]
            if len(defs) == 1 and _bound_names(src[1])[func.attr] == 1:
                return _def_signature(defs[0], f"{bound.repo}:{defs[0].lineno}", method=False)
        return None
    if owner == "self":
        for cls in (n for n in ast.walk(tree) if isinstance(n, ast.ClassDef)):
            if not (cls.lineno <= call.lineno <= (cls.end_lineno or 0)) or (cls.bases and not all(
                isinstance(b, ast.Name) and b.id == "object" for b in cls.bases
            )):
                continue
            defs = [n for n in cls.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)) and n.name == func.attr]
            if len(defs) == 1 and not _subclassed(tree, cls.name):
                return _def_signature(defs[0], f"{path}:{defs[0].lineno}", method=True)
    return None


def _subclassed(tree: ast.Module, name: str) -> bool:
    return any(
        isinstance(n, ast.ClassDef) and any(isinstance(b, ast.Name) and b.id == name for b in n.bases)
        for n in ast.walk(tree)
    )


@operator("wrong-signature")
def keyword_not_accepted(target: Target, rng: random.Random) -> Injection | None:
    """A call on a changed line to a function whose signature is known for real (a builtin, a stdlib
    function introspected in a subprocess, a function or method of the repo read with ``ast``) and
    takes no ``**kwargs``: one of its keyword arguments renamed to a near miss it does not accept
    (``reverse=`` -> ``reversed=``), or a plausible keyword it does not take added."""
    for path in _files(target, rng):
        text, tree = _source(target.new, path)  # type: ignore[misc]
        changed = target.changed[path]
        binds = module_bindings(target, path, tree)
        counts = _bound_names(tree)
        calls = [n for n in ast.walk(tree) if isinstance(n, ast.Call) and _single_line(n, changed)]
        rng.shuffle(calls)
        for call in calls:
            if any(k.arg is None for k in call.keywords) or any(isinstance(a, ast.Starred) for a in call.args):
                continue
            sig = _callee_signature(target, path, tree, call, binds, counts)
            if sig is None:
                continue
            stub = sig.origin.rsplit(".", 1)[0] if not sig.origin.startswith(("builtins", path)) and ":" not in sig.origin else "builtins" if sig.origin.startswith("builtins") else ""

            def accepted(word: str, sig: Signature = sig, stub: str = stub) -> bool:
                return word in sig.params or (bool(stub) and _in_stub(stub, word))

            inj = _rename_keyword(target, path, text, call, sig, accepted, rng) if call.keywords and rng.random() < 0.7 else None
            inj = inj or _add_keyword(target, path, text, call, sig, accepted, rng)
            if inj is not None:
                return inj
    return None


def _callee_text(call: ast.Call) -> str:
    return ast.unparse(call.func)


def _rename_keyword(target: Target, path: str, text: str, call: ast.Call, sig: Signature, accepted: _Accept,
                    rng: random.Random) -> Injection | None:  # fmt: skip
    kws = [k for k in call.keywords if k.arg]
    rng.shuffle(kws)
    for kw in kws:
        assert kw.arg is not None
        cands = [c for c in name_variants(kw.arg) if not accepted(c)]
        if not cands:
            continue
        cand = rng.choice(cands)
        seg = _segment(text, kw)
        rewritten = re.sub(rf"^{re.escape(kw.arg)}(?=\s*=)", cand, seg)
        if rewritten == seg:
            continue
        inj = _finish("wrong-signature", target, path, _splice(text, kw, rewritten), kw.lineno,
                      f"{_callee_text(call)}({cand}=...) for {kw.arg}= ({sig.origin} takes no {cand})")  # fmt: skip
        if inj is not None:
            return inj
    return None


def _add_keyword(target: Target, path: str, text: str, call: ast.Call, sig: Signature, accepted: _Accept,
                 rng: random.Random) -> Injection | None:  # fmt: skip
    passed = {k.arg for k in call.keywords}
    pool: list[tuple[str, str]] = []
    for p, default in sorted(sig.defaults.items()):  # a half-remembered option of its own, set
        if p in passed or p.startswith("_"):
            continue
        value = {"True": "False", "False": "True"}.get(default, default)
        if value in ("''", '""', "0"):
            continue
        pool.extend((v, value) for v in name_variants(p) if not accepted(v))
    # a generic option only for a callee that takes options at all (not ``isinstance(x, int, strict=True)``)
    generic = [(k, v) for k, v in _KEYWORD_POOL if not accepted(k)] if len(sig.keywords) >= 2 else []
    rng.shuffle(pool)
    rng.shuffle(generic)
    cands = (pool[:1] if pool and rng.random() < 0.7 else []) + generic[:1]
    if not cands or call.end_lineno != call.lineno:
        return None
    kw, value = cands[0]
    seg = _segment(text, call)
    if not seg.endswith(")"):
        return None
    inner = seg[len(_segment(text, call.func)) :].strip()
    sep = "" if inner in ("()", "( )") else ", "
    trailing = seg[:-1].rstrip().endswith(",")
    rewritten = seg[:-1].rstrip() + ("" if trailing else sep) + (" " if trailing else "") + f"{kw}={value})"
    return _finish("wrong-signature", target, path, _splice(text, call, rewritten), call.lineno,
                   f"{_callee_text(call)}(..., {kw}={value}) ({sig.origin} takes no {kw})")  # fmt: skip


# ---------------------------------------------------------------------------------------------
# undefined-name

_MODULE_DUNDERS = {"__file__", "__name__", "__doc__", "__spec__", "__loader__", "__package__", "__builtins__",
                   "__path__", "__annotations__", "__debug__", "__dict__", "__class__", "__qualname__", "__module__"}  # fmt: skip


@operator("undefined-name")
def undefined_near_name(target: Target, rng: random.Random) -> Injection | None:
    """Inside a function, on a changed line, one use of a local, parameter or module-level name
    replaced by a near name (plural/singular, abbreviation, synonym, the public name of a private
    helper) that nothing defines: not the function, its enclosing scopes, the module (no star
    imports, no ``globals()``), nor builtins."""
    visible = set(dir(builtins)) | _MODULE_DUNDERS
    for path in _files(target, rng):
        text, tree = _source(target.new, path)  # type: ignore[misc]
        if _has_star_import(tree) or _dynamic_globals(tree):
            continue
        changed = target.changed[path]
        bound = _bound_names(tree)
        attrs = {n.attr for n in ast.walk(tree) if isinstance(n, ast.Attribute)}
        skip = _annotation_nodes(tree)
        sites: list[ast.Name] = []
        for fn in _functions(tree):
            for node in _own_nodes(fn):
                if (isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load) and node.lineno in changed
                        and id(node) not in skip and node.id in bound and len(node.id) >= 3 and node.id != "self"
                        and node.id != "cls"):  # fmt: skip
                    sites.append(node)
        rng.shuffle(sites)
        for site in sites:
            cands = [
                c for c in name_variants(site.id, callable_name=False)
                if c not in bound and c not in visible and c not in attrs and not c.startswith("__")
            ]  # fmt: skip
            if not cands:
                continue
            cand = rng.choice(cands)
            inj = _finish("undefined-name", target, path, _splice(text, site, cand), site.lineno,
                          f"{cand} for {site.id} (nothing defines {cand})")  # fmt: skip
            if inj is not None:
                return inj
    return None


# ---------------------------------------------------------------------------------------------
# removed-api


def _similar(a: str, b: str) -> bool:
    """Names close enough that one reads as the other's old spelling (getargspec/getfullargspec,
    assertEquals/assertEqual, imp/importlib)."""
    na, nb = a.lower().replace("_", ""), b.lower().replace("_", "")
    if na == nb or ("not" in na) != ("not" in nb):
        return False
    short, long_ = sorted((na, nb), key=len)
    if long_.startswith(short) and ((len(short) >= 3 and len(a) <= 4) or len(short) >= 8):
        return True
    return difflib.SequenceMatcher(None, na, nb).ratio() >= 0.8


def _removed_by(target: Target) -> int:
    """The newest Python minor whose removals count: a project declares the oldest Python it
    supports, and supports the newer ones too, so an API removed in any Python typeshed knows breaks
    it on some supported version (``assertEquals`` in a project for 3.8+ fails on 3.12)."""
    del target
    return 99


@operator("removed-api")
def removed_predecessor(target: Target, rng: random.Random) -> Injection | None:
    """On a changed line, a current stdlib API rewritten to a predecessor typeshed (bundled with mypy)
    says is gone in some Python the project supports (any removal typeshed records; see
    ``_removed_by``): ``mod.current`` -> ``mod.removed`` where the module's stub defines
    both with similar names (``inspect.getfullargspec`` -> ``inspect.getargspec``), ``self.method``
    of a stdlib base class likewise (``assertEqual`` -> ``assertEquals``), or ``mod.name`` ->
    ``old.name`` with ``import old`` added, where ``old`` is a removed stdlib module whose stub
    defines ``name`` (``importlib.reload`` -> ``imp.reload``)."""
    limit = _removed_by(target)
    gone = {m: v for m, v in removed_modules().items() if v <= limit}
    for path in _files(target, rng):
        text, tree = _source(target.new, path)  # type: ignore[misc]
        changed = target.changed[path]
        binds = {k: b for k, b in module_bindings(target, path, tree).items() if b.stdlib}
        counts = _bound_names(tree)
        sites: list[tuple[ast.Attribute, str, str | None, int]] = []  # (use, replacement, module to import, removed in)
        for use in _attr_uses(tree, changed, binds):
            local = use.value.id  # type: ignore[attr-defined]
            module = binds[local].stdlib
            assert module is not None
            avail = stub_availability(module)
            if use.attr in avail and avail[use.attr] is None:
                for name, removed in avail.items():
                    if removed is not None and removed <= limit and "." not in name and _similar(name, use.attr):
                        sites.append((use, f"{local}.{name}", None, removed))
            for old, removed in gone.items():
                if "." in old or old == module or use.attr.startswith("_") or counts[old]:
                    continue
                if stub_availability(old).get(use.attr, 0) is None and _similar(old, module.split(".")[0]):
                    sites.append((use, f"{old}.{use.attr}", old, removed))
        sites.extend(_removed_methods(tree, changed, limit))
        rng.shuffle(sites)
        for use, replacement, module_to_import, removed in sites:
            new_text, line = _splice(text, use, replacement), use.lineno
            if module_to_import:
                inserted = _insert_before(new_text, tree, use, changed, f"import {module_to_import}")
                if inserted is None:
                    continue
                new_text, line = inserted
            declared = min_python(target.new)
            supports = f"the project supports 3.{declared}+" if declared else "no declared minimum Python"
            desc = f"{replacement} for {_segment(text, use)} (removed in Python 3.{removed}; {supports})"
            inj = _finish("removed-api", target, path, new_text, line, desc)
            if inj is not None:
                return inj
    return None


def _stub_family(module: str) -> list[str]:
    """A stub module and, for a package, its submodules (where its re-exported classes live)."""
    out = [module]
    if TYPESHED is not None:
        pkg = TYPESHED.joinpath(*module.split("."))
        if pkg.is_dir():
            out += [f"{module}.{p.stem}" for p in sorted(pkg.glob("*.pyi")) if p.stem != "__init__"]
    return out


def _insert_before(text: str, tree: ast.Module, node: ast.AST, changed: frozenset[int], statement: str) -> tuple[str, int] | None:
    """``statement`` inserted as a line of its own before the (changed) statement holding ``node``,
    at its indentation: a local import where the change needs it. ``text`` may differ from the
    tree's source on ``node``'s line only."""
    found = _statement_at(tree, node)
    if found is None:
        return None
    stmt, _body = found
    if stmt.lineno not in changed or stmt.lineno != getattr(node, "lineno", None):
        return None
    lines = _lines(text)
    first = lines[stmt.lineno - 1]
    indent = first[: len(first) - len(first.lstrip())]
    if len(indent.encode()) != stmt.col_offset or not first.strip():
        return None
    eol = "\r\n" if first.endswith("\r\n") else "\n"
    lines.insert(stmt.lineno - 1, f"{indent}{statement}{eol}")
    return "".join(lines), stmt.lineno


def _removed_methods(tree: ast.Module, changed: frozenset[int], limit: int) -> list[tuple[ast.Attribute, str, str | None, int]]:
    """``self.current(...)`` in a class deriving from a stdlib class whose stub has a removed
    similar method (``unittest.TestCase.assertEqual`` -> ``assertEquals``)."""
    out: list[tuple[ast.Attribute, str, str | None, int]] = []
    imports: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module in sys.stdlib_module_names:
            for a in node.names:
                imports[a.asname or a.name] = f"{node.module}.{a.name}"
        elif isinstance(node, ast.Import):
            for a in node.names:
                if a.name.split(".")[0] in sys.stdlib_module_names:
                    imports[a.asname or a.name] = a.name
    for cls in (n for n in ast.walk(tree) if isinstance(n, ast.ClassDef)):
        for base in cls.bases:
            dotted = ast.unparse(base)
            head, _, rest = dotted.partition(".")
            full = f"{imports[head]}.{rest}" if head in imports and rest else imports.get(head)
            if not full or "." not in full:
                continue
            module, clsname = full.rsplit(".", 1)
            avail: dict[str, int | None] = {}
            for stub in _stub_family(module):
                avail.update(stub_availability(stub))
            for node in ast.walk(cls):
                if not (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "self"
                        and _single_line(node, changed) and avail.get(f"{clsname}.{node.attr}", 0) is None):  # fmt: skip
                    continue
                for name, removed in avail.items():
                    if (name.startswith(clsname + ".") and removed is not None and removed <= limit
                            and _similar(name.split(".", 1)[1], node.attr)):  # fmt: skip
                        out.append((node, f"self.{name.split('.', 1)[1]}", None, removed))
    return out


# ---------------------------------------------------------------------------------------------
# wrong-return-type

_SIMPLE = {"int", "str", "bool", "float", "bytes"}
_CONTAINERS = {"list", "List", "dict", "Dict", "set", "Set", "tuple", "Tuple", "frozenset", "FrozenSet"}
_ABSTRACT = {"Sequence", "Mapping", "MutableMapping", "MutableSequence", "Iterable", "Collection", "Callable",
             "Type", "type", "Self", "Pattern", "Match", "Path", "OrderedDict", "DefaultDict", "Counter"}  # fmt: skip


def _return_kind(ann: ast.expr | None, classes: frozenset[str] = frozenset()) -> str | None:
    """The head of a return annotation that None cannot satisfy (``list`` for ``list[int]``,
    a class the module defines), lower-cased for builtins; None for anything else."""
    if isinstance(ann, ast.Attribute) and ann.attr in _ABSTRACT | _CONTAINERS:
        return ann.attr
    if isinstance(ann, ast.Name):
        if ann.id in _SIMPLE or ann.id in _CONTAINERS:
            return ann.id.lower()
        if ann.id in _ABSTRACT or ann.id in classes:
            return ann.id
        return None
    if isinstance(ann, ast.Subscript):
        return _return_kind(ann.value, classes)
    if isinstance(ann, ast.BinOp) and isinstance(ann.op, ast.BitOr):
        left, right = _return_kind(ann.left, classes), _return_kind(ann.right, classes)
        return f"{left} | {right}" if left and right else None
    if isinstance(ann, ast.Constant) and isinstance(ann.value, str):
        inner = _parse(ann.value)
        if inner and len(inner.body) == 1 and isinstance(inner.body[0], ast.Expr):
            return _return_kind(inner.body[0].value, classes)
    return None


@operator("wrong-return-type")
def wrong_return(target: Target, rng: random.Random) -> Injection | None:
    """In a function annotated ``-> int``/``str``/``bool``/``bytes``/``list[...]``/``dict[...]``...
    that the release changed, a return on a changed line made to return the wrong type the way a
    model slips: the final ``return x`` dropped, an early ``return x`` made a bare ``return``, a
    list comprehension returned as a generator, ``sep.join(parts)`` returned as ``parts``,
    ``len(xs) > 0`` as ``len(xs)``, ``len(xs)`` as ``xs``, ``b.decode()`` as ``b``."""
    for path in _files(target, rng):
        if path.endswith(".pyi"):
            continue
        text, tree = _source(target.new, path)  # type: ignore[misc]
        changed = target.changed[path]
        sites: list[tuple[ast.FunctionDef | ast.AsyncFunctionDef, ast.Return, str]] = []
        counts = _bound_names(tree)
        classes = frozenset(n.name for n in tree.body if isinstance(n, ast.ClassDef) and counts[n.name] == 1)
        for fn in _functions(tree):
            kind = _return_kind(fn.returns, classes)
            if kind is None or any(
                isinstance(d, (ast.Name, ast.Attribute)) and ast.unparse(d).split(".")[-1] in {"overload", "abstractmethod"}
                for d in fn.decorator_list
            ):
                continue
            own = list(_own_nodes(fn))
            if any(isinstance(n, (ast.Yield, ast.YieldFrom)) for n in own):
                continue
            for node in own:
                if isinstance(node, ast.Return) and node.value is not None and _single_line(node, changed):
                    sites.append((fn, node, kind))
        rng.shuffle(sites)
        for fn, ret, kind in sites:
            inj = _mutate_return(target, path, text, fn, ret, kind, rng)
            if inj is not None:
                return inj
    return None


def _mutate_return(target: Target, path: str, text: str, fn: ast.FunctionDef | ast.AsyncFunctionDef,
                   ret: ast.Return, kind: str, rng: random.Random) -> Injection | None:  # fmt: skip
    value = ret.value
    assert value is not None
    options: list[tuple[str, str]] = []  # (new return statement or "" to drop it, description)
    is_last = fn.body[-1] is ret
    ann = ast.unparse(fn.returns) if fn.returns is not None else kind
    src = _segment(text, value)
    if is_last and len(fn.body) >= 2 and not isinstance(fn.body[-2], (ast.Return, ast.Raise, ast.Expr)):
        options.append(("", f"final `return {src}` dropped from {fn.name} (-> {ann}; falls off the end: None)"))
    if not is_last:
        options.append(("return", f"bare `return` for `return {src}` in {fn.name} (-> {ann})"))
    if kind == "list" and isinstance(value, ast.ListComp):
        options.append((f"return ({src[1:-1]})", f"generator returned from {fn.name} (-> {ann})"))
    if kind == "str" and isinstance(value, ast.Call) and isinstance(value.func, ast.Attribute):
        if value.func.attr == "join" and isinstance(value.func.value, ast.Constant) and len(value.args) == 1:
            arg = value.args[0]
            if isinstance(arg, (ast.Name, ast.List, ast.ListComp, ast.Attribute)):
                options.append((f"return {_segment(text, arg)}", f"the parts, not joined, returned from {fn.name} (-> {ann})"))
        if value.func.attr == "decode" and not isinstance(value.func.value, ast.Constant):
            options.append((f"return {_segment(text, value.func.value)}", f"bytes returned undecoded from {fn.name} (-> {ann})"))
    if kind == "bytes" and isinstance(value, ast.Call) and isinstance(value.func, ast.Attribute) and value.func.attr == "encode":
        options.append((f"return {_segment(text, value.func.value)}", f"str returned unencoded from {fn.name} (-> {ann})"))
    if kind == "bool" and isinstance(value, ast.Compare) and len(value.ops) == 1:
        left, right = value.left, value.comparators[0]
        if (isinstance(left, ast.Call) and isinstance(left.func, ast.Name) and left.func.id == "len"
                and isinstance(right, ast.Constant) and right.value in (0, 1)
                and isinstance(value.ops[0], (ast.Gt, ast.NotEq, ast.GtE))):  # fmt: skip
            options.append((f"return {_segment(text, left)}", f"len(...) returned for a truth value from {fn.name} (-> {ann})"))
    if kind == "int" and isinstance(value, ast.Call) and isinstance(value.func, ast.Name) and value.func.id == "len" and len(value.args) == 1:
        options.append((f"return {_segment(text, value.args[0])}", f"the collection returned for its length from {fn.name} (-> {ann})"))
    if not options:
        return None
    new, desc = rng.choice(options)
    if new:
        return _finish("wrong-return-type", target, path, _splice(text, ret, new), ret.lineno, desc)
    lines = _lines(text)
    del lines[ret.lineno - 1]
    return _finish("wrong-return-type", target, path, "".join(lines), max(1, ret.lineno - 1), desc)


# ---------------------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", default="0,1,2")
    parser.add_argument("--show", type=int, default=3, help="injected hunks to print per class")
    parser.add_argument("--only", default="", help="comma-separated package names")
    args = parser.parse_args()
    only = {n for n in args.only.split(",") if n}
    seeds = [int(s) for s in args.seeds.split(",") if s]
    releases = {n: v for n, v in RELEASES.items() if not only or n in only}
    mine = ("nonexistent-import", "nonexistent-attribute", "wrong-signature", "undefined-name", "removed-api",
            "wrong-return-type")  # fmt: skip
    hits: dict[str, Counter[int]] = {c: Counter() for c in mine}
    samples: dict[str, list[tuple[Target, Injection]]] = {c: [] for c in mine}
    total = 0
    for target in targets(releases):
        total += 1
        for cls in mine:
            for seed in seeds:
                for op in OPERATORS.get(cls, []):
                    if op.__module__ != __name__:
                        continue
                    rng = random.Random(f"{seed}:{cls}:{target.key}")
                    inj = op(target, rng)
                    if inj is not None:
                        hits[cls][seed] += 1
                        samples[cls].append((target, inj))
    print(f"{total} targets, seeds {seeds}")
    for cls in mine:
        per_seed = " ".join(f"{hits[cls][s]:3d}" for s in seeds)
        print(f"{cls:24} targets with an injection per seed: {per_seed}")
    pick = random.Random(0)
    for cls in mine:
        print(f"\n==================== {cls}")
        for target, inj in pick.sample(samples[cls], min(args.show, len(samples[cls]))):
            print(f"--- {target.key}  {inj.path}:{inj.line}  {inj.description}")
            diff = difflib.unified_diff(target.text(inj.path).splitlines(), inj.text.splitlines(), lineterm="", n=2)
            print("\n".join(list(diff)[2:]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
