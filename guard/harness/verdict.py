"""Deciding what a pair of outcomes (old, new) means for the patch."""

from __future__ import annotations

import re
import traceback

from guard.harness.compare import Outcome, same

HALLUCINATION = (NameError, AttributeError, ImportError, TypeError)
"""Exceptions that, raised from the patched code itself, mean it uses something that is not there
(UnboundLocalError and ModuleNotFoundError are subclasses)."""
RESOURCE = (MemoryError, RecursionError)
IDEMPOTENT_NAME = re.compile(
    r"normali[sz]e|canonical|clean|strip|saniti[sz]e|slugify|dedupe?|simplify|tidy|trim"
)
ROUND_TRIPS = (
    ("encode", "decode"), ("serialize", "deserialize"), ("serialise", "deserialise"),
    ("dumps", "loads"), ("to_", "from_"), ("pack", "unpack"), ("compress", "decompress"),
    ("encrypt", "decrypt"), ("escape", "unescape"), ("quote", "unquote"),
    ("marshal", "unmarshal"),
)


def raised_in_patched_code(exc: BaseException, filename: str, source: str, strict: bool) -> bool:
    """Whether ``exc`` comes from the patched file's own code, not from a deliberate ``raise``.

    ``strict``: the very innermost frame must be in the patched file (for new functions, where
    a library rejecting a generated value proves nothing)."""
    frames = traceback.extract_tb(exc.__traceback__)
    own = [f for f in frames if f.filename == filename]
    if not own or (strict and frames[-1].filename != filename):
        return False
    return not _line(source, own[-1].lineno).startswith("raise")


def raised_on_purpose(exc: BaseException, filename: str, source: str) -> bool:
    """Whether the innermost frame of ``exc`` is a ``raise`` statement of the patched file: a
    limit the code enforces (tomli's ``raise RecursionError("... nested more than the allowed
    1000 levels")``), not a resource it ran out of."""
    frames = traceback.extract_tb(exc.__traceback__)
    return bool(frames) and frames[-1].filename == filename and _line(source, frames[-1].lineno).startswith("raise")


def _line(source: str, lineno: int | None) -> str:
    """Line ``lineno`` (1-based) of ``source``, stripped; empty when out of range."""
    lines = source.splitlines()
    return lines[lineno - 1].strip() if lineno and 0 < lineno <= len(lines) else ""


def classify(
    old: Outcome | None, new: Outcome, filename: str, source: str
) -> str | None:
    """The rule the new outcome breaks, if any. ``old`` is None for a new function."""
    if new.kind == "violation":
        return None if old is not None and old.kind == "violation" else "sandbox-violation"
    if new.kind == "timeout":
        return None if old is not None and old.kind == "timeout" else "timeout"
    if old is not None and old.kind in ("timeout", "violation"):
        return None
    if new.kind == "raise":
        assert new.exc is not None
        if old is not None and old.shape() == new.shape():
            return None
        if isinstance(new.exc, RESOURCE) and not raised_on_purpose(new.exc, filename, source):
            return "resource-exhausted"
        if isinstance(new.exc, HALLUCINATION) and raised_in_patched_code(
            new.exc, filename, source, strict=old is None
        ):
            return "runtime-error"
        return None if old is None else "behaviour-change"
    if old is None:
        return None
    return None if same(old.shape(), new.shape()) else "behaviour-change"


def round_trip_partner(name: str) -> tuple[str, str] | None:
    """(encoder, decoder) names for a function named like one half of a pair."""
    for enc, dec in ROUND_TRIPS:
        if dec in name:
            return name.replace(dec, enc, 1), name
        if enc in name:
            return name, name.replace(enc, dec, 1)
    return None
