"""test-tampering and a revised expectation: a check dropped from one test while another test the
patch adds or changes checks the same object anew (a default changed on purpose) is not a lost
check; the same drop with nothing re-checking the object still is."""

from __future__ import annotations

from pathlib import Path

from guard.rules.tampered_tests import TamperedTests

from guard.rulekit import Example, check_example

BEFORE = """\
import unittest

from shop import Cart


class TestCart(unittest.TestCase):
    def test_totals(self):
        cart = Cart.empty(currency="EUR")
        self.assertEqual(cart.total(), 0)
        self.assertEqual(cart.discount, 0.0)
"""

KEPT = BEFORE.replace("        self.assertEqual(cart.discount, 0.0)\n", "")
RECHECKED = KEPT + """
    def test_no_discount_by_default(self):
        basket = Cart.empty(currency="EUR")
        self.assertEqual(basket.discount, None)
"""
OTHER_OBJECT = KEPT + """
    def test_discount_of_a_full_cart(self):
        basket = Cart.full(currency="EUR")
        self.assertEqual(basket.discount, None)
"""


def _lost(tmp_path: Path, after: str) -> list[str]:
    example = Example(path="tests/test_cart.py", before=BEFORE, after=after)
    return [f.message for f in check_example(TamperedTests, example, tmp_path) if f.rule == TamperedTests.ID]


def test_a_check_revised_in_another_test_of_the_same_object_is_not_lost(tmp_path: Path) -> None:
    assert _lost(tmp_path, RECHECKED) == []


def test_a_check_dropped_while_a_new_test_looks_at_another_object_is_lost(tmp_path: Path) -> None:
    assert any("lost 1 of its 2 checks" in m for m in _lost(tmp_path, OTHER_OBJECT))
