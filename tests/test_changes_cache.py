"""The parsed originals a session's checks share (guard.changes.parse_original)."""

from __future__ import annotations

import pytest

from guard import changes
from tests.conftest import MakeRepo, diff_after_edit


def test_the_same_original_text_is_parsed_once_and_a_patched_version_never_shared() -> None:
    text = "def f(x):\n    return x + 1\n"
    first = changes.parse_original(text)
    assert changes.parse_original(text) is first
    assert first.module is not None  # its libcst tree, built once and kept with it
    assert changes.parse_source(text) is not first  # patched versions get their own (and prune)


def test_the_kept_originals_are_bounded_by_their_text(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(changes, "ORIGINALS_CHARS", 400)
    monkeypatch.setattr(changes, "_originals", changes.OrderedDict())
    texts = [f"x_{i} = {i}\n" + "# padding\n" * 8 for i in range(6)]  # 88 characters each
    parsed = [changes.parse_original(t) for t in texts]
    assert sum(len(t) for t in changes._originals) <= 400
    assert changes.parse_original(texts[-1]) is parsed[-1]  # the most recent stay
    assert changes.parse_original(texts[0]) is not parsed[0]  # the oldest went first
    big = "y = 1\n" * 30  # more than a quarter of the budget: parsed, not kept
    assert changes.parse_original(big) is not changes.parse_original(big)


def test_warm_up_builds_the_resolution_tables_a_first_check_would(make_repo: MakeRepo) -> None:
    from guard.resolve import locate
    from guard.session import Session

    repo = make_repo({"pkg/__init__.py": "", "pkg/m.py": "import os\n"})
    locate.installed_top_levels.cache_clear()
    with Session(repo, analyzers=frozenset({"rules"})) as session:
        session.warm_up()
        assert locate.installed_top_levels.cache_info().currsize == 1
        misses = locate.installed_top_levels.cache_info().misses
        diff = diff_after_edit(repo, {"pkg/m.py": "import os\nimport nosuchpkg_at_all\n"})
        report = session.check(diff)
        assert any(s.finding.rule == "unresolved-import" for s in report.findings)
        assert locate.installed_top_levels.cache_info().misses == misses  # answered from the warm-up
