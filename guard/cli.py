"""The command line: parses arguments, calls the API, picks exit codes. Nothing else.

Exit codes: 0 pass, 1 the patch is flagged, 2 usage or input error, 3 internal error.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import sys
import textwrap
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import IO, NoReturn, TypeVar

import click

from guard import api
from guard.config import ConfigError, load_options
from guard.diff import PatchError
from guard.workspace import InputError

EXIT_PASS, EXIT_FAIL, EXIT_INPUT, EXIT_INTERNAL = 0, 1, 2, 3
FORMATS = ("text", "json", "sarif", "github")

F = TypeVar("F", bound=Callable[..., object])


def _fail(message: str, code: int = EXIT_INPUT) -> NoReturn:
    click.echo(f"guard: error: {message}", err=True)
    sys.exit(code)


def _guarded(func: F) -> F:
    """Turn every error into one line on stderr and an exit code; never a traceback."""

    def wrapper(*args: object, **kwargs: object) -> object:
        try:
            return func(*args, **kwargs)
        except (PatchError, InputError, ConfigError) as exc:
            _fail(str(exc))
        except (SystemExit, click.exceptions.Exit, click.ClickException, KeyboardInterrupt):
            raise
        except Exception as exc:  # the last line of defence
            if os.environ.get("GUARD_DEBUG"):
                traceback.print_exc()
            _fail(f"internal error: {type(exc).__name__}: {exc} (set GUARD_DEBUG=1 for details)", EXIT_INTERNAL)

    wrapper.__name__ = func.__name__
    wrapper.__doc__ = func.__doc__
    return wrapper  # type: ignore[return-value]


def entry() -> NoReturn:
    """The ``guard`` program: :func:`main`, then leave without tearing the interpreter down.

    Freeing the modules a finished process imported (libcst, mypy, Hypothesis) takes 0.1-0.2 s,
    a sixth of a cold ``guard check``; mypy leaves its own processes the same way. Exit handlers
    still run first (they stop any mypy daemon or fork server a command started, and run pending
    finalizers), and the output is flushed; only the freeing is skipped.
    """
    try:
        main()
        code: object = 0
    except SystemExit as exc:
        code = exc.code
    if code is None:
        code = 0
    elif not isinstance(code, int):
        click.echo(str(code), err=True)
        code = 1
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()
    os._exit(code)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="guard")
def main() -> None:
    """guard: catch plausible-looking but wrong Python patches before they merge."""


def _read_patch(patch: str) -> str:
    if patch == "-":
        data = sys.stdin.buffer.read()
        where = "standard input"
    else:
        path = Path(patch)
        if not path.is_file():
            raise InputError(f"{patch}: no such patch file")
        data = path.read_bytes()
        where = patch
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(f"{where}: the patch is not UTF-8 (byte {exc.start})") from exc


@main.command()
@click.argument("patch", required=False)
@click.option("--repo", type=click.Path(file_okay=False, path_type=Path), default=Path("."), show_default=True, help="The repository the patch is for.")
@click.option("--base", metavar="REV", help="Without PATCH: check the change since the merge base of REV and HEAD.")
@click.option("--staged", is_flag=True, help="Without PATCH: check the staged change (for pre-commit).")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="text", show_default=True)
@click.option("--threshold", type=click.FloatRange(0, 1), help="Score at or above which the patch fails [default: 0.5, or [tool.guard] threshold].")
@click.option("--disable", multiple=True, metavar="RULE", help="Do not report RULE (repeatable).")
@click.option("--no-exec", is_flag=True, help="Do not run any code from the patch (no property tests).")
@click.option("-v", "--verbose", is_flag=True, help="Text format: also show findings that do not count.")
@_guarded
def check(
    patch: str | None, repo: Path, base: str | None, staged: bool, fmt: str,
    threshold: float | None, disable: tuple[str, ...], no_exec: bool, verbose: bool,
) -> None:  # fmt: skip
    """Check PATCH (a unified diff file, or - for standard input) against the repo.

    Without PATCH, check the repo's working tree against HEAD (or --base/--staged).
    """
    if not repo.is_dir():
        raise InputError(f"{repo}: no such directory")
    configured = load_options(repo)  # a bad [tool.guard] is reported before anything else
    overrides: dict[str, object] = {"threshold": threshold}
    if disable:
        overrides["disable"] = configured.disable | frozenset(disable)
    if no_exec:
        overrides["execute"] = False
    if patch is None:
        diff, before = api.git_diff(repo.resolve(), base, staged)
    else:
        if base or staged:
            raise click.UsageError("--base and --staged cannot be used with PATCH")
        diff, before = _read_patch(patch), None
    if not diff.strip():
        click.echo("guard: nothing to check (empty diff)", err=True)
    report = api.check_patch(diff, repo, before=before, **overrides)
    if fmt == "json":
        from guard.report import json as json_report

        click.echo(json_report.render(report))
    elif fmt == "sarif":
        from guard.report import sarif

        click.echo(sarif.render(report, repo))
    elif fmt == "github":
        from guard.report import github

        click.echo(github.render(report))
    else:
        from guard.report import text

        click.echo(text.render(report, colour=sys.stdout.isatty(), verbose=verbose), color=sys.stdout.isatty())
    sys.exit(EXIT_FAIL if report.failed else EXIT_PASS)


@main.command(name="rules")
@click.option("--all", "show_all", is_flag=True, help="Also list rules that are not in use, and why.")
def rules_command(show_all: bool) -> None:
    """List guard's own rules."""
    from guard.checks import properties
    from guard.rulekit import discover

    active, dropped = discover()
    for rule in active:
        click.echo(f"{rule.ID:<24} {rule.SEVERITY.label:<8} {rule.MESSAGE}")
    if show_all:
        for d in dropped:
            click.echo(f"{d.rule:<24} dropped  {d.reason}")
    click.echo("\nproperty stage (runs the changed code in the sandbox; off with --no-exec):")
    for rule_id, (severity, _) in properties.RULES.items():
        click.echo(f"{rule_id:<24} {severity.label:<8} {properties.MESSAGES[rule_id]}")


@main.command()
@click.argument("rule")
def explain(rule: str) -> None:
    """Print the documentation of RULE."""
    from guard.checks import properties
    from guard.rulekit import discover

    active, _ = discover()
    for r in active:
        if rule == r.ID:
            click.echo(f"{r.ID} ({r.SEVERITY.label}, confidence {r.CONFIDENCE.label})\n")
            click.echo(r.doc())
            return
    if rule in properties.RULES:
        severity, confidence = properties.RULES[rule]
        click.echo(f"{rule} ({severity.label}, confidence {confidence.label}; property stage)\n")
        click.echo(textwrap.fill(properties.rule_docs().get(rule, ""), 100))
        return
    _fail(f"no rule {rule!r}; `guard rules` lists them")


@main.command()
@click.option("--repo", type=click.Path(file_okay=False, path_type=Path), default=Path("."), show_default=True, help="Repository for requests that name none.")
@click.option("--socket", "socket_path", type=click.Path(dir_okay=False, path_type=Path), help="Listen on this Unix socket instead of stdin/stdout.")
@click.option("--no-exec", is_flag=True, help="Never run code from patches.")
def serve(repo: Path, socket_path: Path | None, no_exec: bool) -> None:
    """Answer check requests as JSON lines (see the README's protocol) until EOF or SIGTERM."""
    from guard import serve as server

    overrides = {"execute": False} if no_exec else {}
    sessions = server.Sessions(repo, **overrides)
    with contextlib.suppress(Exception):  # a bad --repo is reported with the first request
        sessions.get(None).warm_up(wait=False)
    try:
        if socket_path is not None:
            click.echo(f"guard: listening on {socket_path}", err=True)
            server.serve_socket(socket_path, sessions)
        else:
            server.serve_lines(server.stdin_lines(), sys.stdout, sessions)
    finally:
        sessions.close()


@main.command(name="batch")
@click.argument("requests", type=click.File("r", encoding="utf-8"))
@click.option("--repo", type=click.Path(file_okay=False, path_type=Path), default=Path("."), show_default=True, help="Repository for requests that name none.")
@click.option("-j", "--jobs", type=click.IntRange(1), default=os.cpu_count() or 1, show_default="all cores", help="Worker processes.")
@click.option("-o", "--output", type=click.File("w", encoding="utf-8"), default="-", help="Where to write the JSON lines.")
@click.option("--no-exec", is_flag=True, help="Never run code from patches.")
def batch_command(requests: IO[str], repo: Path, jobs: int, output: IO[str], no_exec: bool) -> None:
    """Check every request of REQUESTS (JSON lines, as for `guard serve`) with all cores.

    Writes one response line per request, in order; exits 1 if any patch failed, 2 if any request
    was unusable.
    """
    import json

    from guard import serve as server

    lines = [line for line in requests if line.strip()]
    overrides = {"execute": False} if no_exec else {}
    worst = EXIT_PASS
    with click.progressbar(length=len(lines), label="checking", file=sys.stderr) as bar:
        for response in server.batch(lines, repo, jobs, overrides):
            output.write(json.dumps(response) + "\n")
            output.flush()
            bar.update(1)
            if not response["ok"]:
                worst = EXIT_INPUT
            elif response["report"]["verdict"] == "fail" and worst == EXIT_PASS:
                worst = EXIT_FAIL
    sys.exit(worst)
