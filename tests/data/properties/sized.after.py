# ruff: noqa
def keep(x: int) -> int:
    return x


def pad(text: str, width: int) -> str:
    return " " * width + text
