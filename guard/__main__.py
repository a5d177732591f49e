"""``python -m guard``: the same program as the ``guard`` command."""

from guard.cli import entry

if __name__ == "__main__":
    entry()
