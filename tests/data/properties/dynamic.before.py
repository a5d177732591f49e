# ruff: noqa
from pkg import helpers


def transform(x: int) -> int:
    if x > 100:
        return helpers.double(x)
    return x


def scaled(x: int, kind: str = "double") -> int:
    if x < -50:
        return helpers.double(x)
    return x
