# ruff: noqa
from collections.abc import Callable


def encode_pair(x: int) -> str:
    return str(abs(x))


def decode_pair(s: str) -> int:
    return int(s)


def clean_level(x: int) -> int:
    return min(max(x - 1, 0), 10)


def apply(cb: Callable[[int], int], x: int) -> int:
    return cb(x)


def fresh(n: int) -> int:
    if n > 3:
        return undefined_helper(n)
    return n
