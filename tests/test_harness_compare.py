"""Comparing old and new results across the two worlds of the property harness."""

from __future__ import annotations

import types
from typing import Any

from guard.harness.compare import canon, differences, same, stable_repr

SOURCE = '''
class Key:
    def __init__(self, *parts):
        self.parts = list(parts)

    def __eq__(self, other):
        return isinstance(other, Key) and self.parts == other.parts

    def __hash__(self):
        return hash(tuple(self.parts))


class Item:
    def __init__(self, value):
        self.value = value
'''


def _world() -> Any:
    module = types.ModuleType("pkg.items")
    exec(SOURCE, module.__dict__)
    return module


def test_instances_of_the_two_worlds_copies_of_a_class_compare_by_state() -> None:
    old, new = _world(), _world()
    assert old.Key is not new.Key and old.Key("a") != new.Key("a")  # the class's own __eq__ says no
    assert same(canon([old.Key("a", "b")]), canon([new.Key("a", "b")]))
    assert not same(canon([old.Key("a", "b")]), canon([new.Key("a", "c")]))
    assert differences(canon({"k": old.Key("a")}), canon({"k": new.Key("z")}))


def test_objects_with_default_reprs_are_ordered_without_their_addresses() -> None:
    old, new = _world(), _world()
    assert "at 0x" in repr(old.Item(1)) and stable_repr(old.Item(1)) == stable_repr(new.Item(1))
    olds = {old.Key(old.Item(n)) for n in range(6)}
    news = {new.Key(new.Item(n)) for n in range(6)}
    assert same(canon(olds), canon(news))


def test_an_iterator_is_compared_by_what_it_yields_like_a_generator() -> None:
    from guard.harness.compare import drain

    def gen(items: list[int]) -> Any:
        yield from items

    # Returning iter(items) or zip(...) instead of yielding the same items is a refactor...
    assert same(canon(drain(gen([1, 2]))), canon(drain(iter([1, 2]))))
    assert same(canon(drain(gen([1, 2]))), canon(drain(x for x in (1, 2))))
    assert same(canon(drain(zip([1], [2], strict=True))), canon(drain(gen([(1, 2)]))))  # type: ignore[list-item]
    # ... while an iterator that yields other items (or as many, then fails) changed.
    assert not same(canon(drain(map(abs, [-1, 2]))), canon(drain(iter([-1, 2]))))
    assert not same(canon(drain(iter([1]))), canon(drain(gen([1, 2]))))
    assert "iterator yielding 1, 2" in repr(drain(iter([1, 2])))
    # A file is read for its contents, not drained.
    import io

    buffer = io.StringIO("a\nb\n")
    assert drain(buffer) is buffer


def test_shown_values_carry_no_memory_address() -> None:
    from guard.harness.compare import show

    old = _world()
    assert "0x" not in show(old.Item(1)) and "0x" not in show([object()])
