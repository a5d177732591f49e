"""End to end through the sandbox: what the property stage does not hold against a patch —
refusals the old version meets too, inputs outside the function's evident domain, example and
documentation scripts — and what it still reports."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from guard.checks.properties import (
    ChangedFunction,
    ModuleVersions,
    PropertyResult,
    is_script_path,
    run_properties,
)


@pytest.fixture
def repo(sandbox_repo: Path) -> Path:
    return sandbox_repo


def run(repo: Path, before: str | None, after: str, *names: str, path: str = "pkg/mod.py",
        new: tuple[str, ...] = ()) -> PropertyResult:
    before = textwrap.dedent(before) if before is not None else None
    after = textwrap.dedent(after)
    if before is not None:
        target = repo / path
        target.parent.mkdir(mode=0o755, parents=True, exist_ok=True)
        target.write_text(before)
        target.chmod(0o644)
    return run_properties(repo, [ModuleVersions(path, before, after)],
                          [ChangedFunction(path, n, n in new) for n in names])


def rules(result: PropertyResult) -> list[tuple[str, str]]:
    return [(f.symbol, f.rule) for f in result.findings]


def test_a_method_that_became_static_is_compared_and_a_shared_refusal_is_not_reported(
    repo: Path,
) -> None:
    """click 8.1.7: ``_check_version`` became a staticmethod; both versions spawn bash."""
    before = '''
        import subprocess

        class Bash:
            def check(self) -> str:
                return subprocess.run(["bash", "-c", "echo"], stdout=subprocess.PIPE).stdout
    '''
    after = before.replace("def check(self)", "@staticmethod\n            def check()")
    assert rules(run(repo, before, after, "Bash.check")) == []
    # the refusal is still reported when only the new version spawns
    quiet = before.replace('subprocess.run(["bash", "-c", "echo"], stdout=subprocess.PIPE).stdout',
                           '"5.1"')
    assert rules(run(repo, quiet, after, "Bash.check")) == [("Bash.check", "sandbox-violation")]


def test_a_method_that_became_static_still_has_its_behaviour_compared(repo: Path) -> None:
    before = '''
        class Limits:
            def clamp(self, n: int) -> int:
                return min(n, 10)
    '''
    after = '''
        class Limits:
            @staticmethod
            def clamp(n: int) -> int:
                return min(n, 11)
    '''
    assert rules(run(repo, before, after, "Limits.clamp")) == [("Limits.clamp",
                                                                "behaviour-change")]


def test_a_refusal_inside_an_unchanged_module_imported_by_a_new_module_is_a_note(
    repo: Path,
) -> None:
    """colorama's demo: ``from colorama import ...`` imports ctypes, whose import the audit
    hooks refuse (ctypes.dlopen). That is the unchanged library's doing."""
    (repo / "pkg" / "native.py").write_text("import ctypes\nVALUE = 1\n")
    (repo / "pkg" / "native.py").chmod(0o644)
    after = '''
        from pkg.native import VALUE

        def show(n: int) -> int:
            return n + VALUE
    '''
    result = run(repo, None, after, "show", path="pkg/tool.py", new=("show",))
    assert rules(result) == []
    assert any("sandbox refuses" in n.message for n in result.notes), result.notes


def test_a_new_module_whose_own_code_is_refused_at_import_is_still_reported(repo: Path) -> None:
    after = '''
        import subprocess

        subprocess.run(["true"])

        def show(n: int) -> int:
            return n
    '''
    result = run(repo, None, after, "show", path="pkg/tool.py", new=("show",))
    assert rules(result) == [("show", "runtime-error")]


def test_an_error_where_the_old_version_crashed_on_the_input_too_is_not_reported(
    repo: Path,
) -> None:
    """pathspec 0.12: on a malformed pattern list both versions fail, differently."""
    before = '''
        def match(patterns: list[tuple[int, str]], name: str) -> bool:
            return any(p.include for p in patterns)
    '''
    after = '''
        def match(patterns: list[tuple[int, str]], name: str) -> bool:
            return any(len(p) + name for p in patterns)
    '''
    assert rules(run(repo, before, after, "match")) == []


def test_a_missing_attribute_on_a_guessed_argument_is_not_a_runtime_error(repo: Path) -> None:
    """attrs 24.1: ``base_attr_map`` (no annotation) was guessed a list; the code uses ``.get``,
    which a mapping has."""
    before = '''
        def is_slot(a_name: str, base_attr_map) -> bool:
            return a_name in base_attr_map and False
    '''
    after = '''
        def is_slot(a_name: str, base_attr_map) -> bool:
            return base_attr_map.get(a_name) is not None and False
    '''
    assert rules(run(repo, before, after, "is_slot")) == []


def test_an_attribute_no_common_type_has_is_still_a_runtime_error(repo: Path) -> None:
    before = '''
        def has(text, part: str) -> bool:
            return part in text
    '''
    after = '''
        def has(text, part: str) -> bool:
            return text.contains(part)
    '''
    assert rules(run(repo, before, after, "has")) == [("has", "runtime-error")]


def test_example_and_documentation_scripts_are_not_executed(repo: Path) -> None:
    assert is_script_path("examples/parser.py") and is_script_path("docs/conf.py")
    assert is_script_path("demos/demo09.py") and is_script_path("pkg/benchmarks/speed.py")
    assert not is_script_path("pkg/mod.py") and not is_script_path("examples.py")
    after = "def bad(n: int) -> int:\n    return missing(n)\n"
    result = run(repo, None, after, "bad", path="examples/tool.py", new=("bad",))
    assert result.findings == ()
    assert any("example" in n.message for n in result.notes)
    assert rules(run(repo, None, after, "bad", path="pkg/tool.py", new=("bad",))) == [
        ("bad", "runtime-error")]


def test_an_undefined_name_is_reported_even_where_the_old_version_crashed(repo: Path) -> None:
    """The old version rejects the input with a TypeError of its own; the new one hits a name
    that exists nowhere: no input can provoke that, so it is the patch's."""
    before = '''
        def width(text: str) -> int:
            return len(text) + None
    '''
    after = '''
        def width(text: str) -> int:
            return len(text) + missing_helper(text)
    '''
    assert rules(run(repo, before, after, "width")) == [("width", "runtime-error")]
