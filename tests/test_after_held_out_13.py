"""test-tampering and checks respelled in their idiomatic form: ``assertEqual(x, True)`` as
``assertTrue(x)``, ``assertEqual(x.__class__, C)`` as ``assertIsInstance(x, C)`` (waitress 3.0.2
rewrote a hundred such checks; read after HELD_OUT_13's run). A check loosened to something
weaker than its own form is still reported."""

from __future__ import annotations

from tests.conftest import MakeRepo, rule_messages

CODE = "class Conn:\n    def __init__(self):\n        self.closed = False\n        self.count = 2\n"
TEST = (
    "import unittest\n\nfrom pkg.conn import Conn\n\n\n"
    "class TestConn(unittest.TestCase):\n"
    "    def test_open(self):\n        c = Conn()\n"
    "        self.assertEqual(c.closed, False)\n        self.assertEqual(c.__class__, Conn)\n"
    "        self.assertEqual(c.count, 2)\n"
)


def _tampering(make_repo: MakeRepo, test: str) -> list[str]:
    repo = make_repo({"pkg/__init__.py": "", "pkg/conn.py": CODE, "tests/test_conn.py": TEST})
    return rule_messages(repo, {"tests/test_conn.py": test}, "test-tampering")


def test_the_idiomatic_spelling_of_the_same_check_is_not_loosening(make_repo: MakeRepo) -> None:
    restyled = TEST.replace("self.assertEqual(c.closed, False)", "self.assertFalse(c.closed)").replace(
        "self.assertEqual(c.__class__, Conn)", "self.assertIsInstance(c, Conn)"
    )
    assert _tampering(make_repo, restyled) == []


def test_an_exact_value_check_made_a_truth_check_is_still_loosened(make_repo: MakeRepo) -> None:
    loosened = TEST.replace("self.assertEqual(c.count, 2)", "self.assertTrue(c.count)")
    found = _tampering(make_repo, loosened)
    assert any("loosened" in m and "c.count" in m for m in found), found


def test_a_private_stdlib_name_typeshed_leaves_out_is_not_made_up(make_repo: MakeRepo) -> None:
    """dill 0.3.9 calls ``threading._make_thread_handle`` (Python 3.13): typeshed leaves private
    names out by policy, and this interpreter's stdlib is one version's, so the name cannot be
    judged made up (read after HELD_OUT_13's run). A public made-up name still is."""
    repo = make_repo({"pkg/__init__.py": "", "pkg/t.py": "import threading\n\n\ndef handle(x):\n    return x\n"})

    def attribute_findings(body: str) -> list[str]:
        after = f"import threading\n\n\ndef handle(x):\n    return {body}\n"
        return rule_messages(repo, {"pkg/t.py": after}, "nonexistent-attribute")

    assert attribute_findings("threading._make_thread_handle(x)") == []
    assert attribute_findings("threading.make_thread_handle(x)")
