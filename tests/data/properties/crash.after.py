# ruff: noqa
import os


def leave(x: int) -> int:
    os._exit(3)


def clamp(x: int, high: int) -> int:
    return max(x, high)
