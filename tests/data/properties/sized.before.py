# ruff: noqa
def keep(x: int) -> int:
    return x
