# ruff: noqa
import time


def _busy(seconds: float) -> None:
    end = time.process_time() + seconds
    while time.process_time() < end:
        pass


def slow_a(x: int) -> int:
    _busy(0.004)
    return x


def slow_b(x: int) -> int:
    _busy(0.004)
    return x


def slow_c(x: int) -> int:
    _busy(0.004)
    return x


def is_below(x: int, limit: int) -> bool:
    return x < limit
