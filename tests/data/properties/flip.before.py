# ruff: noqa
def is_below(x: int, limit: int) -> bool:
    return x < limit
