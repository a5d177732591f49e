"""False alarms traced on real release diffs, each reduced to the code that caused it."""

from __future__ import annotations

from pathlib import Path

from guard.rules.bad_call_signature import BadCallSignature

from guard.resolve import Environment, Func
from guard.rulekit import Example, check_example


def _lines(rule: type, example: Example, tmp_path: Path) -> list[tuple[str, int]]:
    return sorted((f.path, f.line) for f in check_example(rule, example, tmp_path))


def test_object_comes_last_in_the_mro_after_every_base(tmp_path: Path) -> None:
    # ThreadingHTTPServer(ThreadingMixIn, HTTPServer): the mixin has no __init__ and no bases,
    # and object.__init__ must not shadow HTTPServer's (pyjwt 2.14.0's tests).
    env = Environment(tmp_path, (3, 10))
    init = env.resolve("http.server.ThreadingHTTPServer.__init__")
    assert isinstance(init, Func) and init.owner is not None
    assert init.owner.qualname == "socketserver.TCPServer"
    example = Example(
        path="tests/test_client.py",
        before="import threading\n",
        after=(
            "from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer\n\n\n"
            "def serve():\n    return ThreadingHTTPServer(('127.0.0.1', 0), BaseHTTPRequestHandler)\n"
        ),
    )
    assert _lines(BadCallSignature, example, tmp_path / "a") == []


def test_a_repo_mixin_without_init_does_not_hide_the_next_base(tmp_path: Path) -> None:
    # bidict 0.24.0: class _OrderedBidictKeysView(ProxiedSetView, KeysView[KT])
    example = Example(
        before=(
            "class Proxied:\n    def size(self):\n        return 0\n\n\n"
            "class Base:\n    def __init__(self, mapping):\n        self.mapping = mapping\n"
        ),
        after=(
            "class Proxied:\n    def size(self):\n        return 0\n\n\n"
            "class Base:\n    def __init__(self, mapping):\n        self.mapping = mapping\n\n\n"
            "class View(Proxied, Base):\n    pass\n\n\ndef keys(d):\n    return View(d)\n"
        ),
    )
    assert _lines(BadCallSignature, example, tmp_path / "b") == []
    wrong = Example(
        before=example.before,
        after=example.after.replace("View(d)", "View(d, 1)"),
    )
    assert _lines(BadCallSignature, wrong, tmp_path / "c") == [("pkg/mod.py", 16)]
