# ruff: noqa
import sys

from pkg import helpers


def transform(x: int) -> int:
    if x > 100:
        return getattr(helpers, "tri" + "ple")(x)
    return x


def scaled(x: int, kind: str = "double") -> int:
    if x < -50:
        return getattr(sys.modules[__name__], "_scale_" + kind)(x)
    return x
