# ruff: noqa
from dataclasses import dataclass


def squares_of_evens(numbers: list[int]) -> list[int]:
    result = []
    for n in numbers:
        if n % 2 == 0:
            result.append(n * n)
    return result


def count_words(text: str) -> dict[str, int]:
    counts: dict[str, int] = {}
    for word in text.split():
        counts[word] = counts.get(word, 0) + 1
    return counts


def normalize_spaces(text: str) -> str:
    return " ".join(text.split())


@dataclass
class Basket:
    prices: list[int]

    def total(self, discount: int = 0) -> int:
        total = 0
        for p in self.prices:
            total += p
        return total - discount
