"""Warm sessions, `guard serve` (stdin and socket) and `guard batch`."""

from __future__ import annotations

import io
import json
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from click.testing import CliRunner

from guard.cli import main
from guard.serve import Sessions, handle, serve_lines
from guard.session import Session
from tests.conftest import MakeRepo, diff_after_edit

MOD = "import os\n\n\ndef join(a, b):\n    return os.path.join(a, b)\n"
BAD = MOD.replace("os.path.join(a, b)", "os.path.joinpath(a, b)")
FAST = {"execute": False}


def test_session_reuses_tool_results_and_sees_repo_changes(make_repo: MakeRepo) -> None:
    repo = make_repo({"pkg/__init__.py": "", "pkg/m.py": MOD})
    diff = diff_after_edit(repo, {"pkg/m.py": BAD})
    with Session(repo, execute=False) as session:
        first = session.check(diff)
        hits = session.stats()["cache_hits"]
        second = session.check(diff)
        assert session.stats()["cache_hits"] > hits
        assert first.to_json()["findings"] == second.to_json()["findings"]
        fired = sorted({s.finding.rule for s in first.findings})
        (repo / "pyproject.toml").write_text(f'[project]\nname = "d"\n[tool.guard]\ndisable = {fired!r}\n'.replace("'", '"'))
        assert session.check(diff).findings == (), "a changed [tool.guard] is picked up"


def test_handle_never_raises() -> None:
    sessions = Sessions(Path("."))
    assert handle("{not json", sessions)["error"]["kind"] == "input"
    assert handle("[1, 2]", sessions)["error"]["kind"] == "input"
    assert handle('{"id": 3, "op": "nope"}', sessions)["error"]["message"].startswith("unknown op")
    assert handle('{"id": 4}', sessions)["error"]["kind"] == "input"
    assert handle('{"id": 5, "op": "ping"}', sessions) == {"id": 5, "ok": True, "pong": True}


def test_serve_lines_answers_in_order_and_survives_bad_requests(make_repo: MakeRepo) -> None:
    repo = make_repo({"pkg/__init__.py": "", "pkg/m.py": MOD})
    diff = diff_after_edit(repo, {"pkg/m.py": BAD})
    requests = [
        json.dumps({"id": "a", "diff": diff, "options": FAST}),
        "garbage",
        json.dumps({"id": "c", "diff": "--- a/nothere.py\n+++ b/nothere.py\n@@ -1 +1 @@\n-a\n+b\n"}),
        json.dumps({"id": "d", "diff": diff, "repo": str(repo), "options": {**FAST, "threshold": 1}}),
    ]
    out = io.StringIO()
    assert serve_lines(requests, out, Sessions(repo)) == 4
    answers = [json.loads(line) for line in out.getvalue().splitlines()]
    assert [a.get("id") for a in answers] == ["a", None, "c", "d"]
    assert answers[0]["report"]["verdict"] == "fail"
    assert not answers[1]["ok"] and not answers[2]["ok"]
    assert "nothere.py" in answers[2]["error"]["message"]
    assert answers[3]["report"]["verdict"] == "pass"


def _guard_bin() -> str:
    return str(Path(sys.executable).parent / "guard")


def test_serve_process_stops_on_eof_and_on_sigterm(make_repo: MakeRepo) -> None:
    repo = make_repo({"pkg/__init__.py": "", "pkg/m.py": MOD})
    proc = subprocess.run(
        [_guard_bin(), "serve", "--repo", str(repo)], input='{"id": 1, "op": "ping"}\n',
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert proc.returncode == 0 and json.loads(proc.stdout)["pong"]
    server = subprocess.Popen(
        [_guard_bin(), "serve", "--repo", str(repo)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    assert server.stdin and server.stdout
    server.stdin.write('{"id": 2, "op": "ping"}\n')
    server.stdin.flush()
    assert json.loads(server.stdout.readline())["id"] == 2
    server.send_signal(signal.SIGTERM)
    assert server.wait(timeout=30) == 0


def test_serve_over_a_unix_socket(make_repo: MakeRepo, tmp_path: Path) -> None:
    repo = make_repo({"pkg/__init__.py": "", "pkg/m.py": MOD})
    diff = diff_after_edit(repo, {"pkg/m.py": BAD})
    path = tmp_path / "guard.sock"
    server = subprocess.Popen([_guard_bin(), "serve", "--repo", str(repo), "--socket", str(path), "--no-exec"])
    try:
        deadline = time.monotonic() + 30
        while not path.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as client:
            client.connect(str(path))
            stream = client.makefile("rw", encoding="utf-8")
            stream.write(json.dumps({"id": 1, "diff": diff}) + "\n" + '{"id": 2, "op": "ping"}\n')
            stream.flush()
            first, second = json.loads(stream.readline()), json.loads(stream.readline())
        assert first["report"]["verdict"] == "fail" and second["pong"]
    finally:
        server.send_signal(signal.SIGTERM)
        assert server.wait(timeout=30) == 0
    assert not path.exists()


def test_batch_writes_one_line_per_request_in_order(make_repo: MakeRepo, tmp_path: Path) -> None:
    repo = make_repo({"pkg/__init__.py": "", "pkg/m.py": MOD})
    bad, good = diff_after_edit(repo, {"pkg/m.py": BAD}), diff_after_edit(repo, {"pkg/m.py": MOD + "\nX = 1\n"})
    requests = tmp_path / "req.jsonl"
    requests.write_text("".join(json.dumps({"id": i, "diff": d}) + "\n" for i, d in enumerate([bad, good, bad])))
    result = CliRunner().invoke(main, ["batch", str(requests), "--repo", str(repo), "-j", "2", "--no-exec"])
    answers = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    assert [a["id"] for a in answers] == [0, 1, 2]
    assert [a["report"]["verdict"] for a in answers] == ["fail", "pass", "fail"]
    assert result.exit_code == 1
