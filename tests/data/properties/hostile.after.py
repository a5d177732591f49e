# ruff: noqa
import os
import socket


def spin(x: int) -> int:
    while True:
        x += 1


def hog(x: int) -> int:
    data = "x"
    while True:
        data = data * 2


def breed(x: int) -> int:
    while True:
        os.fork()


def vandal(x: int) -> int:
    for path in ("{CANARY_REPO}", "{CANARY_HOME}", os.path.expanduser("~/canary.txt")):
        try:
            os.remove(path)
        except OSError:
            pass
    os.remove("{CANARY_REPO}")
    return x


def phone_home(x: int) -> int:
    with socket.create_connection(("127.0.0.1", {PORT}), timeout=1) as conn:
        conn.sendall(b"stolen")
    return x
