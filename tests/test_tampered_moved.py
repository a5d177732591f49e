"""test-tampering and a test moved to another file: deleted from one test file and added, under
the same name, to another test file of the same patch (httpx 0.28.0 moved a test from
tests/test_utils.py to tests/models/test_headers.py). Deleted with nothing added elsewhere, it is
still reported."""

from __future__ import annotations

from tests.conftest import MakeRepo, rule_messages

CODE = "def links(value):\n    return {} if not value else {'next': value}\n"
UTILS = (
    "from pkg.links import links\n\n\n"
    "def test_links_empty():\n    assert links('') == {}\n\n\n"
    "def test_links_next():\n    assert links('a') == {'next': 'a'}\n"
)
KEPT = "from pkg.links import links\n\n\ndef test_links_next():\n    assert links('a') == {'next': 'a'}\n"
HEADERS = "from pkg.links import links\n\n\ndef test_links_empty():\n    assert links('') == {}\n"


def _tampering(make_repo: MakeRepo, edits: dict[str, str | None]) -> list[str]:
    repo = make_repo({"pkg/__init__.py": "", "pkg/links.py": CODE, "tests/test_utils.py": UTILS})
    return rule_messages(repo, edits, "test-tampering")


def test_a_test_moved_to_another_file_is_not_deleted(make_repo: MakeRepo) -> None:
    assert _tampering(make_repo, {"tests/test_utils.py": KEPT, "tests/models/test_headers.py": HEADERS}) == []


def test_a_test_deleted_with_nothing_added_elsewhere_is_reported(make_repo: MakeRepo) -> None:
    found = _tampering(make_repo, {"tests/test_utils.py": KEPT})
    assert any("`test_links_empty` is deleted" in m for m in found), found


TRAVERSAL = (
    "import pytest\n\nfrom pkg.links import links\n\n\n"
    "def test_rejects_parent():\n"
    "    with pytest.raises(ValueError, match='outside: ../x'):\n        links('../x')\n"
    "    with pytest.raises(ValueError, match='outside: /../x'):\n        links('/../x')\n"
)
FOLDED = (
    "import pytest\n\nfrom pkg.links import links\n\n\n"
    "@pytest.mark.parametrize('uri', ['../x', '/../x', '//../x'])\n"
    "def test_rejects_parent(uri):\n    with pytest.raises(ValueError, match='outside: ' + uri):\n        links(uri)\n"
)


def _tampered_traversal(make_repo: MakeRepo, after: str) -> list[str]:
    repo = make_repo({"pkg/__init__.py": "", "pkg/links.py": CODE, "tests/test_utils.py": TRAVERSAL})
    return rule_messages(repo, {"tests/test_utils.py": after}, "test-tampering")


def test_checks_folded_into_parameters_of_the_test_are_not_lost(make_repo: MakeRepo) -> None:
    """mako 1.4.2: a test's cases, one check each, became parameters of one check."""
    assert _tampered_traversal(make_repo, FOLDED) == []


def test_a_parametrized_test_that_drops_a_case_still_loses_it(make_repo: MakeRepo) -> None:
    dropped = FOLDED.replace("['../x', '/../x', '//../x']", "['../x', '//../x']")
    found = _tampered_traversal(make_repo, dropped)
    assert any("lost 1 of its 2 checks" in m for m in found), found
