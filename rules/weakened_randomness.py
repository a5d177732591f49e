"""weakened-randomness: a cryptographic random source replaced by the ``random`` module.

``os.urandom``, ``secrets.token_hex`` and ``random.SystemRandom`` read the operating system's
CSPRNG; ``random.randbytes``, ``random.choice`` and friends are a Mersenne Twister whose next
outputs follow from 624 observed ones. A patch that swaps one for the other (for a
"reproducible" value, or because ``random`` reads simpler) makes nonces, tokens, salts and
session ids predictable, and every test still passes.

Reported on changed lines outside test files: a call of the ``random`` module's generator
(``random.random``/``randint``/``randbytes``/``choice``/``getrandbits``/..., or a ``random.Random``
instance made there) in a function whose original version called a CSPRNG (``os.urandom``,
``os.getrandom``, anything of ``secrets``, ``random.SystemRandom``, ``ssl.RAND_bytes``) more often
than the patched version does. Names resolve through the module's imports.

Where bandit stands: B311 reports every call of ``random``, low severity, old or new; guard reports
the downgrade.

Example::

    -        s += os.urandom(8)
    +        s += random.randbytes(8)
"""

from __future__ import annotations

import ast

from guard.findings import Confidence, Severity
from guard.rulekit import Example, Rule

from ._patch import AstFunction, ast_own, ast_qualified, ast_rewritten_functions

_CSPRNG_EXACT = frozenset({"os.urandom", "os.getrandom", "random.SystemRandom", "ssl.RAND_bytes"})
_CSPRNG_MODULES = ("secrets.",)
# The module-level functions of ``random`` that draw from its shared Mersenne Twister.
_PRNG = frozenset(
    {
        "random", "randint", "randrange", "randbytes", "getrandbits", "choice", "choices", "sample",
        "shuffle", "uniform", "triangular", "gauss", "betavariate", "expovariate", "Random",
    }
)  # fmt: skip


def _calls(fn: AstFunction, imports: dict[str, str]) -> list[tuple[str, ast.Call]]:
    return [(ast_qualified(n.func, imports), n) for n in ast_own(fn) if isinstance(n, ast.Call)]


def _csprng(name: str) -> bool:
    return name in _CSPRNG_EXACT or name.startswith(_CSPRNG_MODULES)


def _prng(name: str) -> bool:
    module, _, attr = name.rpartition(".")
    return module == "random" and attr in _PRNG


class WeakenedRandomness(Rule):
    """A function that drew from the OS's CSPRNG now draws (also) from ``random``'s Mersenne Twister.

    Why: the values (nonces, tokens, salts) become predictable to anyone who sees a few of them,
    and no test notices. New code that uses ``random`` without having used a CSPRNG is left to
    bandit's B311; test files are not reported.
    """

    ID = "weakened-randomness"
    MESSAGE = "a cryptographic random source was replaced by the predictable random module"
    SEVERITY = Severity.ERROR
    CONFIDENCE = Confidence.HIGH
    VALID = (
        Example(  # both stay: the random call is for something else (jitter)
            before="import os, random, time\n\ndef nonce():\n    return os.urandom(8)\n",
            after="import os, random, time\n\ndef nonce():\n    time.sleep(random.random() / 100)\n    return os.urandom(8)\n",
        ),
        Example(  # the other way round: a fix
            before="import random\n\ndef token():\n    return random.randbytes(16).hex()\n",
            after="import secrets\n\ndef token():\n    return secrets.token_hex(16)\n",
        ),
        Example(  # a local object called random is not the module
            before="import os\n\ndef salt(rng):\n    return os.urandom(8)\n",
            after="import os\n\ndef salt(random):\n    return random.randbytes(8)\n",
        ),
    )
    INVALID = (
        Example(
            before="import hashlib, os\n\ndef cnonce(s):\n    s += os.urandom(8)\n    return hashlib.sha1(s).hexdigest()\n",
            after="import hashlib, os, random\n\ndef cnonce(s):\n    s += random.randbytes(8)\n    return hashlib.sha1(s).hexdigest()\n",
            lines=(4,),
        ),
        Example(  # from secrets to random, imported by name
            before="import secrets\n\ndef session_id():\n    return secrets.token_urlsafe(32)\n",
            after="from random import choice\n\ndef session_id():\n    return ''.join(choice('abcdef0123456789') for _ in range(32))\n",
            lines=(4,),
        ),
        Example(  # SystemRandom() swapped for Random()
            before="import random\n\ndef shuffle_deck(deck):\n    random.SystemRandom().shuffle(deck)\n",
            after="import random\n\ndef shuffle_deck(deck):\n    random.Random().shuffle(deck)\n",
            lines=(4,),
        ),
    )

    def visit_Module(self, node: object) -> None:
        for fn, old, new_imports, old_imports in ast_rewritten_functions(self):
            was = [name for name, _ in _calls(old, old_imports) if _csprng(name)]
            if not was:
                continue
            calls = _calls(fn, new_imports)
            if len([name for name, _ in calls if _csprng(name)]) >= len(was):
                continue
            for name, call in calls:
                if _prng(name) and call.lineno in self.context.changed_lines:
                    self.report(
                        line=call.lineno,
                        column=call.col_offset + 1,
                        message=f"`{was[0]}` (the OS's CSPRNG) in the original, `{name}` (a predictable Mersenne "
                        "Twister) here: values drawn for security become guessable",
                    )
                    break
