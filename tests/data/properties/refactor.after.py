# ruff: noqa
from dataclasses import dataclass


def _is_even(value: int) -> bool:
    return value % 2 == 0


def squares_of_evens(numbers: list[int]) -> list[int]:
    return [v * v for v in numbers if _is_even(v)]


def count_words(text: str) -> dict[str, int]:
    tally: dict[str, int] = {}
    for token in text.split():
        tally[token] = tally.get(token, 0) + 1
    return tally


def normalize_spaces(text: str) -> str:
    words = text.split()
    return " ".join(words)


@dataclass
class Basket:
    prices: list[int]

    def total(self, discount: int = 0) -> int:
        return sum(self.prices) - discount
