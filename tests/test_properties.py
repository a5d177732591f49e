"""The properties stage end to end: fixture pairs in tests/data/properties, real sandbox."""

from __future__ import annotations

import os
import shutil
import socket
import tempfile
import threading
import time
import typing
from pathlib import Path

import pytest

from guard.checks.properties import (
    STAGE_WALL_SLACK,
    ChangedFunction,
    ModuleVersions,
    PropertyBudget,
    PropertyResult,
    def_line,
    run_properties,
)
from guard.sandbox import ForkServer

DATA = Path(__file__).parent / "data" / "properties"


@pytest.fixture
def repo(sandbox_repo: Path) -> Path:
    shutil.copy(DATA / "helpers.py", sandbox_repo / "pkg" / "helpers.py")
    (sandbox_repo / "pkg" / "helpers.py").chmod(0o644)
    return sandbox_repo


def fixture(case: str, **fill: object) -> tuple[str, str]:
    def load(name: str) -> str:
        text = (DATA / f"{case}.{name}.py").read_text()
        for key, value in fill.items():
            text = text.replace("{" + key + "}", str(value))
        return text

    return load("before"), load("after")


def check(repo: Path, case: str, names: list[str], *, new: tuple[str, ...] = (),
          budget: PropertyBudget | None = None, server: ForkServer | None = None,
          **fill: object) -> PropertyResult:
    before, after = fixture(case, **fill)
    (repo / "pkg" / "mod.py").write_text(before)  # the checkout holds the old version
    modules = [ModuleVersions("pkg/mod.py", before, after)]
    functions = [ChangedFunction("pkg/mod.py", n, n in new) for n in names]
    return run_properties(repo, modules, functions, budget or PropertyBudget(), server)


def rules(result: PropertyResult) -> set[tuple[str, str]]:
    return {(f.symbol, f.rule) for f in result.findings}


def test_flipped_comparison_is_caught_with_shrunk_counterexample(repo: Path) -> None:
    result = check(repo, "flip", ["is_below"])
    [finding] = result.findings
    assert (finding.rule, finding.symbol, finding.line) == ("behaviour-change", "is_below", 3)
    assert "False" in finding.message and "True" in finding.message
    evidence = finding.evidence_dict()
    assert evidence["old"] == "False" and evidence["new"] == "True"
    assert evidence["input"] == "is_below(x=0, limit=0)"


def test_same_patch_gives_same_findings(repo: Path) -> None:
    first = check(repo, "flip", ["is_below"])
    second = check(repo, "flip", ["is_below"])
    assert [(f, f.evidence) for f in first.findings] == [(f, f.evidence) for f in second.findings]


def test_missing_helper_reached_only_on_some_inputs_is_a_runtime_error(repo: Path) -> None:
    result = check(repo, "dynamic", ["transform", "scaled"])
    assert rules(result) == {("transform", "runtime-error"), ("scaled", "runtime-error")}
    by_symbol = {f.symbol: f for f in result.findings}
    assert "AttributeError" in by_symbol["transform"].evidence_dict()["new"]
    assert by_symbol["transform"].evidence_dict()["input"] == "transform(x=101)"
    assert "AttributeError" in by_symbol["scaled"].evidence_dict()["new"]
    after = fixture("dynamic")[1].splitlines()
    assert after[by_symbol["transform"].line - 1].startswith("def transform(")


@pytest.mark.parametrize("run", range(3))
def test_behaviour_preserving_refactor_is_quiet(repo: Path, run: int) -> None:
    names = ["squares_of_evens", "count_words", "normalize_spaces", "Basket.total"]
    result = check(repo, "refactor", names)
    assert result.findings == ()
    assert not [n for n in result.notes if "untested" in n.message]


@pytest.mark.slow
def test_behaviour_preserving_refactor_is_quiet_across_20_runs(repo: Path) -> None:
    names = ["squares_of_evens", "count_words", "normalize_spaces", "Basket.total"]
    for _ in range(20):
        assert check(repo, "refactor", names).findings == ()


def test_new_function_is_fuzzed_for_crashes_and_function_parameters_get_pure_functions(repo: Path) -> None:
    """``apply(cb: Callable[[int], int], x)`` was "untested: no safe strategy for Callable"; a
    pure function returning a drawn int now stands in for ``cb`` (a bare ``Callable``, whose
    arguments and result are unknown, stays untested: test_harness_strategies)."""
    result = check(repo, "misc", ["encode_pair", "clean_level", "apply", "fresh"],
                   new=("apply", "fresh"))
    found = rules(result)
    assert ("fresh", "runtime-error") in found
    assert ("encode_pair", "round-trip") in found
    assert ("clean_level", "idempotence") in found
    assert not any("apply" in n.message and "untested" in n.message for n in result.notes)
    assert not any(f.symbol == "apply" for f in result.findings)


class Listener:
    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen()
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.accepted = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            self.accepted += 1
            conn.close()

    def close(self) -> None:
        self._stop.set()
        self._thread.join()
        self.sock.close()


def test_hostile_code_is_contained(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert_hostile_code_contained(repo, monkeypatch)


def assert_hostile_code_contained(repo: Path, monkeypatch: pytest.MonkeyPatch,
                                  server: ForkServer | None = None) -> None:
    """Hang, memory bomb, fork bomb, vandalism and a connection, in fresh children or forked by
    ``server``: all contained, and no process of the sandbox outlives the check (the zygote's own
    processes excepted)."""
    home = Path(tempfile.mkdtemp(prefix="guard-home-"))
    monkeypatch.setenv("HOME", str(home))
    canaries = [repo / "canary.txt", home / "canary.txt"]
    for canary in canaries:
        canary.write_text("alive")
    resident = _descendants(os.getpid()) if server is not None else set()
    listener = Listener()
    # Room for each function to reach its own limit while other tests load the machine: the
    # memory hog must meet RLIMIT_AS, not the per-function clock (Hypothesis's set-up counts too).
    budget = PropertyBudget(per_function_s=2.5, stage_s=12.5)
    start = time.monotonic()
    try:
        result = check(repo, "hostile", ["spin", "hog", "breed", "vandal", "phone_home"],
                       budget=budget, server=server, CANARY_REPO=canaries[0],
                       CANARY_HOME=canaries[1], PORT=listener.port)
    finally:
        listener.close()
    elapsed = time.monotonic() - start
    assert all(c.read_text() == "alive" for c in canaries)
    assert listener.accepted == 0
    assert rules(result) == {
        ("spin", "timeout"), ("hog", "resource-exhausted"), ("breed", "sandbox-violation"),
        ("vandal", "sandbox-violation"), ("phone_home", "sandbox-violation"),
    }
    # the child is killed at the stage budget plus its start-up margin; then the teardown
    assert elapsed < budget.stage_s + 4.0
    assert _descendants(os.getpid()) <= resident, "no process of the sandbox outlives the check"
    shutil.rmtree(home, ignore_errors=True)


def _descendants(pid: int) -> set[int]:
    """Live descendants of ``pid`` (other test workers' processes are not ours to count)."""
    parents: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            parents[int(entry)] = int(stat.rsplit(")", 1)[1].split()[1])
    found: set[int] = set()
    frontier = {pid}
    while frontier:
        frontier = {child for child, parent in parents.items() if parent in frontier} - found
        found |= frontier
    return found


def test_interpreter_exit_is_a_finding_and_the_rest_still_runs(repo: Path) -> None:
    result = check(repo, "crash", ["leave", "clamp"])
    assert rules(result) == {("leave", "sandbox-violation"), ("clamp", "behaviour-change")}


def test_stage_budget_leaves_explicit_notes(repo: Path) -> None:
    # A call's limit counts the time it ran, not the time it stood queued behind other processes
    # (runtime._Alarm): spin's 0.5 s fits before the child's hard end even on a busy machine.
    budget = PropertyBudget(per_function_s=0.5, stage_s=0.5)
    result = check(repo, "hostile", ["spin", "hog"], budget=budget,
                   CANARY_REPO="/nonexistent", CANARY_HOME="/nonexistent", PORT=9)
    assert ("spin", "timeout") in rules(result)
    assert any("budget" in n.message and n.symbol == "hog" for n in result.notes)
    # The budget is CPU time; on a busy machine the wall time may stretch to STAGE_WALL_SLACK
    # times it (plus the child's start), never further.
    assert result.elapsed_s < STAGE_WALL_SLACK * budget.stage_s + 2.5


def test_every_function_is_searched_before_any_gets_the_full_search(repo: Path) -> None:
    # Three slow functions would use the stage's time at the full example count (1.5 s of CPU
    # each) before the flip in the fourth was reached; a first pass of QUICK_EXAMPLES each
    # (0.2 s) reaches it. The new function, with no old version to compare against, comes last.
    budget = PropertyBudget(per_function_s=1.0, stage_s=4.0)
    result = check(repo, "many", ["added", "slow_a", "slow_b", "slow_c", "is_below"], new=("added",),
                   budget=budget)
    assert rules(result) == {("is_below", "behaviour-change")}
    assert not any("untested" in n.message and n.symbol == "is_below" for n in result.notes)


def test_the_quick_pass_runs_only_where_full_searches_would_not_fit() -> None:
    from guard.harness.session import needs_quick_pass

    budget = {"per_function_s": 1.0, "max_examples": 200}
    # One or two functions: each full search (at most 1.5 s of CPU) fits in the 5 s left.
    assert not needs_quick_pass(1, budget, 5.0)
    assert not needs_quick_pass(3, budget, 5.0)
    # Four would not: every function gets its quick pass first.
    assert needs_quick_pass(4, budget, 5.0)
    # A test run that used most of the stage leaves room for one full search only.
    assert needs_quick_pass(2, budget, 2.0)
    # A search no bigger than the quick pass has no quick pass.
    assert not needs_quick_pass(10, {"per_function_s": 1.0, "max_examples": 20}, 5.0)


def test_a_new_function_asked_for_a_huge_size_is_not_a_resource_finding(repo: Path) -> None:
    # pad(width=45137944) fills memory as asked; with no old version to compare, that is what
    # the width asks for, not a bug of the code.
    result = check(repo, "sized", ["pad"], new=("pad",))
    assert rules(result) == set()
    assert any("integer of" in n.message and n.symbol == "pad" for n in result.notes)


def test_def_line_follows_qualname() -> None:
    source = "x = 1\nclass A:\n    @staticmethod\n    def f():\n        pass\ndef f():\n    pass\n"
    assert def_line(source, "A.f") == 4
    assert def_line(source, "f") == 6
    assert def_line(source, "missing") == 1


BACKOFF = '''\
def expo(base: float = 2, factor: float = 1, max_value: float | None = None):
    """Delays for exponential backoff: factor * base ** n, capped at max_value."""
    n = 0
    while True:
        delay = factor * base ** n
        if max_value is None or delay < max_value:
            yield delay
            n += 1
        else:
            yield max_value
'''


def _run_pair(repo: Path, before: str, after: str, name: str) -> PropertyResult:
    (repo / "pkg" / "mod.py").write_text(before)
    return run_properties(repo, [ModuleVersions("pkg/mod.py", before, after)],
                          [ChangedFunction("pkg/mod.py", name, False)])


def test_a_changed_default_of_a_generator_is_seen_in_what_it_yields(repo: Path) -> None:
    """backoff's ``expo``: the generator object compares by identity, and a changed default is
    seen only by calls that leave the parameter out. What it yields is compared, and defaulted
    parameters are left out some of the time."""
    changed = BACKOFF.replace("factor: float = 1", "factor: float = 2")
    result = _run_pair(repo, BACKOFF, changed, "expo")
    found = [f for f in result.findings if f.rule == "behaviour-change"]
    assert found, result.notes
    assert "generator yielding" in found[0].message
    assert "factor" not in dict(found[0].evidence)["input"]
    assert _run_pair(repo, BACKOFF, BACKOFF.replace("delay = factor", "delay = 1 * factor"),
                     "expo").findings == ()


HEADERS = """\
def quote_header_value(blob, allow_token=True):
    return '"' + str(blob) + '"'


def unquote_header_value(value: str) -> str:
    if value[:1] == value[-1:] == '"':
        value = value[1:-1]
    return value
"""


def test_a_decoder_whose_encoder_takes_what_cannot_be_generated_is_still_searched(repo: Path) -> None:
    """werkzeug's unquote_header_value: its encoder takes a value there is no strategy for (an
    annotation that does not resolve, here none and a name that says nothing); the round trip is left out with a note instead of crashing the child (which was
    reported as the decoder crashing the interpreter)."""
    flipped = HEADERS.replace("    return value\n", "    return value.lower()\n")
    result = _run_pair(repo, HEADERS, flipped, "unquote_header_value")
    assert {f.rule for f in result.findings} == {"behaviour-change"}, result.findings
    assert any("round trip through quote_header_value not searched" in n.message for n in result.notes)
    assert _run_pair(repo, HEADERS, HEADERS, "unquote_header_value").findings == ()


def test_unicode_tables_are_seeded_into_the_child_and_new_ones_kept(
    repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Hypothesis tabulates Unicode before drawing text (~1 s a table, on every cold check
    without this): the tables are kept outside the box and seeded into each child's Hypothesis
    home. The seeded UTF-8 table here is deliberately ASCII-only; Hypothesis rewrites a table it
    loaded, so finding it ASCII-only after the run shows the child read the seed and did not
    tabulate again."""
    import gzip
    import json
    import unicodedata

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    kept = tmp_path / "cache" / "guard" / "hypothesis-unicode" / unicodedata.unidata_version
    kept.mkdir(parents=True)
    ascii_only = [[[0, 127]], []]
    (kept / "codec-v2-utf-8.json.gz").write_bytes(gzip.compress(json.dumps(ascii_only).encode()))
    before = "def shout(s: str) -> str:\n    return s.upper()\n"
    after = "def shout(s: str) -> str:\n    return s.upper() + ''\n"
    (repo / "pkg" / "mod.py").write_text(before)

    from guard.checks import properties

    real_keep, read = properties._keep_unicode_cache, []

    def keep(box: object) -> None:
        made = box.root / ".hypothesis" / "unicode_data" / unicodedata.unidata_version  # type: ignore[attr-defined]
        read.append(json.loads(gzip.decompress((made / "codec-v2-utf-8.json.gz").read_bytes())))
        real_keep(box)  # type: ignore[arg-type]

    monkeypatch.setattr(properties, "_keep_unicode_cache", keep)
    run_properties(repo, [ModuleVersions("pkg/mod.py", before, after)],
                   [ChangedFunction("pkg/mod.py", "shout", False)], PropertyBudget())
    assert read == [ascii_only]
    assert (kept / "charmap.json.gz").is_file(), "the table the child made was not kept"


@pytest.mark.slow
def test_a_busy_machine_searches_as_much_as_an_idle_one(repo: Path) -> None:
    """The stage's budget is CPU time: with other processes holding the CPUs, the search still
    reaches every function's full pass (a wall-clock budget ran out partway on a busy machine,
    and the same patch got different findings)."""
    import multiprocessing

    body = ("def _busy(seconds):\n    end = time.process_time() + seconds\n"
            "    while time.process_time() < end:\n        pass\n\n\n")
    names = ["slow_a", "slow_b", "slow_c"]
    before = "import time\n\n\n" + body + "".join(
        f"def {n}(x: int) -> int:\n    _busy(0.002)\n    return x\n\n\n" for n in names)
    after = before.replace("return x\n", "return x + 0\n")
    (repo / "pkg" / "mod.py").write_text(before)
    modules = [ModuleVersions("pkg/mod.py", before, after)]
    functions = [ChangedFunction("pkg/mod.py", n, False) for n in names]
    budget = PropertyBudget(per_function_s=1.0, stage_s=4.0)

    def short(result: PropertyResult) -> list[str]:
        return sorted(n.message for n in result.notes if "examples only" in n.message
                      or "budget used up" in n.message)

    idle = run_properties(repo, modules, functions, budget)
    hogs = [multiprocessing.Process(target=_spin) for _ in range(3)]
    for hog in hogs:
        hog.start()
    try:
        busy = run_properties(repo, modules, functions, budget)
        assert all(hog.is_alive() for hog in hogs)  # they held the CPUs throughout
    finally:
        for hog in hogs:
            hog.terminate()
    assert short(idle) == [] and short(busy) == []


def _spin() -> None:
    while True:
        pass


def test_a_timeout_where_the_old_version_was_slow_too_is_not_a_hang(repo: Path) -> None:
    """Own time near the limit both ways: which version crosses it is chance, run to run. A new
    version that hangs where the old one was quick is still a hang."""
    busy = ("import time\n\n\ndef _busy(seconds):\n    end = time.process_time() + seconds\n"
            "    while time.process_time() < end:\n        pass\n\n\n")
    before = busy + ("def slow(x: int) -> int:\n    _busy(0.25)\n    return x\n\n\n"
                     "def quick(x: int) -> int:\n    return x\n")
    after = busy + ("def slow(x: int) -> int:\n    _busy(0.6)\n    return x\n\n\n"
                    "def quick(x: int) -> int:\n    _busy(0.6)\n    return x\n")
    (repo / "pkg" / "mod.py").write_text(before)
    result = run_properties(repo, [ModuleVersions("pkg/mod.py", before, after)],
                            [ChangedFunction("pkg/mod.py", n, False) for n in ("slow", "quick")],
                            PropertyBudget(per_function_s=0.4, stage_s=4.0))
    assert rules(result) == {("quick", "timeout")}
    assert any("both are slow there" in n.message and n.symbol == "slow" for n in result.notes)


def test_code_reading_its_own_source_reads_the_version_it_runs_in(repo: Path) -> None:
    """Both versions carry the repo file's name, and the disk holds the old one: a decorator that
    reads the function's source (typeguard's @typechecked re-compiles it) must see the new text in
    the new version."""
    template = ("import inspect\n\n\ndef echo(f):\n    src = inspect.getsource(f)\n\n"
                "    def g(x: int) -> str:\n        return src\n\n    return g\n\n\n"
                "@echo\ndef shown(x: int) -> int:\n    return {body}\n")
    before, after = template.format(body="x"), template.format(body="x + 0")
    (repo / "pkg" / "mod.py").write_text(before)
    result = run_properties(repo, [ModuleVersions("pkg/mod.py", before, after)],
                            [ChangedFunction("pkg/mod.py", "shown", False)], PropertyBudget())
    [finding] = result.findings
    assert finding.rule == "behaviour-change" and "x + 0" in finding.message


def test_a_refusal_the_stdlib_commits_for_a_new_feature_is_a_note(repo: Path) -> None:
    """Where the old version rejected the input, a new version that asks the stdlib about the
    machine (platform.processor() runs `uname -p`) is a new feature, not a violation of the patch's
    own making; the same input running a command itself still is."""
    before = ("def describe(kind: str) -> str:\n    if kind != 'name':\n"
              "        raise KeyError(kind)\n    return 'guard'\n\n\n"
              "def run(kind: str) -> str:\n    if kind != 'name':\n"
              "        raise KeyError(kind)\n    return 'guard'\n")
    after = ("import platform\nimport subprocess\n\n\n"
             "def describe(kind: str) -> str:\n    if kind == 'name':\n        return 'guard'\n"
             "    return platform.processor()\n\n\n"
             "def run(kind: str) -> str:\n    if kind == 'name':\n        return 'guard'\n"
             "    return str(subprocess.run(['uname', '-p']))\n")
    (repo / "pkg" / "mod.py").write_text(before)
    result = run_properties(repo, [ModuleVersions("pkg/mod.py", before, after)],
                            [ChangedFunction("pkg/mod.py", n, False) for n in ("describe", "run")],
                            PropertyBudget())
    # platform caches what it learnt, so describe's later calls return: that is a change of
    # behaviour on inputs the old version rejected, and it may be reported as one.
    assert ("run", "sandbox-violation") in rules(result)
    assert ("describe", "sandbox-violation") not in rules(result)
    assert any("committed by the stdlib" in n.message and n.symbol == "describe" for n in result.notes)


PARSE_NUMBER = '''from typing import Any, Callable


def parse_number(src: str, pos: int, parse_float: Callable[[str], Any]) -> tuple[int, Any]:
    end = pos
    while end < len(src) and src[end] in "0123456789.":
        end += 1
    return end, parse_float(src[pos:end])
'''


def test_a_function_typed_parameter_gets_a_pure_function_and_the_change_is_seen(repo: Path) -> None:
    """tomli's internal parsers take ``parse_float: Callable[[str], Any]``: no value could be made
    for it and the function went untested. A function returning a drawn value stands in for it,
    the same for old and new code: an off-by-one in the loop is found, a rewrite that keeps the
    behaviour is not."""
    flipped = PARSE_NUMBER.replace("end < len(src)", "end <= len(src)")
    result = _run_pair(repo, PARSE_NUMBER, flipped, "parse_number")
    found = [f for f in result.findings if f.rule in ("behaviour-change", "runtime-error")]
    assert found, result.notes
    assert "returns(" in found[0].message
    same = PARSE_NUMBER.replace('src[end] in "0123456789."', 'src[end] in ".0123456789"')
    quiet = _run_pair(repo, PARSE_NUMBER, same, "parse_number")
    assert not quiet.findings, quiet.findings
    assert not any("untested" in n.message for n in quiet.notes)


NESTED = '''MAX_NESTING = 1000


def depth_of(text: str, nest_lvl: int) -> int:
    if nest_lvl > MAX_NESTING:
        raise RecursionError("nested more than the allowed 1000 levels")
    return nest_lvl + len(text)


def runaway(n: int) -> int:
    return runaway(n + 1)
'''


def test_a_limit_the_code_raises_on_purpose_is_not_resource_exhaustion(repo: Path) -> None:
    """tomli 2.2.1's parsers ``raise RecursionError("... nested more than the allowed 1000
    levels")``: a limit they enforce, hit by a generated ``nest_lvl`` of 35388; it was reported
    as resource exhaustion on a clean release diff. Recursion that runs out of stack still is."""
    (repo / "pkg" / "mod.py").write_text("")
    result = run_properties(repo, [ModuleVersions("pkg/mod.py", "", NESTED)],
                            [ChangedFunction("pkg/mod.py", "depth_of", True),
                             ChangedFunction("pkg/mod.py", "runaway", True)])
    assert ("runaway", "resource-exhausted") in rules(result)
    assert not [f for f in result.findings if f.symbol == "depth_of"], result.findings


CONVERTORS = '''\
import typing

T = typing.TypeVar("T")


class Convertor(typing.Generic[T]):
    def to_string(self, value: T) -> str:
        raise NotImplementedError()


class IntegerConvertor(Convertor[int]):
    def to_string(self, value: int) -> str:
        return str(value)


def replace_params(path: str, convertors: dict[str, Convertor[typing.Any]], params: dict[str, str]) -> str:
    if not params:
        return path
    for key, value in params.items():
        path = path.replace("{" + key + "}", convertors[key].to_string(value))
    return path

'''


def test_a_repo_class_taken_with_type_arguments_is_built_and_unbuildable_elements_leave_containers_empty(
    repo: Path,
) -> None:
    """starlette's ``replace_params(path, dict[str, Convertor[Any]], dict[str, str])``: the
    generic repo class is built as the class, so a dropped ``not`` is found (it went untested:
    "could not resolve Convertor[Any] to a strategy"); an unchanged function is still clean."""
    dropped = CONVERTORS.replace("    if not params:", "    if params:")
    result = _run_pair(repo, CONVERTORS, dropped, "replace_params")
    assert ("replace_params", "behaviour-change") in rules(result), result.notes
    assert not any("could not generate" in str(n) for n in result.notes), result.notes
    same = CONVERTORS.replace("    return path\n", "    return str(path)\n", 1)
    assert _run_pair(repo, CONVERTORS, same, "replace_params").findings == ()


@pytest.mark.filterwarnings("ignore::hypothesis.errors.NonInteractiveExampleWarning")
def test_a_container_of_what_cannot_be_built_is_drawn_empty() -> None:
    from guard.harness.strategies import Context, NoStrategy, from_annotation

    ctx = Context(local=frozenset({__name__.split(".")[0]}))
    with pytest.raises(NoStrategy):
        from_annotation(typing.Awaitable[None], ctx)
    empty = from_annotation(list[typing.Awaitable[None]], ctx)
    assert {repr(empty.example()) for _ in range(5)} == {"[]"}
    assert "empty containers" in ctx.loose
    assert from_annotation(dict[str, typing.Awaitable[None]], ctx).example() == {}
