# ruff: noqa
def spin(x: int) -> int:
    return x


def hog(x: int) -> int:
    return x


def breed(x: int) -> int:
    return x


def vandal(x: int) -> int:
    return x


def phone_home(x: int) -> int:
    return x
