# ruff: noqa
def encode_pair(x: int) -> str:
    return str(x)


def decode_pair(s: str) -> int:
    return int(s)


def clean_level(x: int) -> int:
    return min(max(x, 0), 10)
