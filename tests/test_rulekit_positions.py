"""guard's position computation for the rules (rulekit._positions) gives exactly libcst's
PositionProvider ranges, node for node."""

from __future__ import annotations

from pathlib import Path

import libcst as cst
import pytest
from libcst.metadata import MetadataWrapper, PositionProvider

from guard.rulekit import RulesWrapper, _positions

ROOT = Path(__file__).resolve().parent.parent

SOURCES = [
    "",
    "\n",
    "x = 1",
    "x = 1\n",
    "# only a comment",
    "import os\r\nx = os.sep\r\n",
    "a = 1\rb = 2\r",
    "def f(a, *, b=2, **kw):\n\t'''doc\n\tmore'''\n\treturn a + \\\n\t\tb\n",
    "@dec\n@other(1)\nclass C(Base, metaclass=M):\n    x: int = 1\n    # footer comment\n\n# next\ny = 2\n",
    "if a:\n    pass\nelif b:\n    x = (1,\n         2)\nelse:\n    y = [i for i in z if i]\n",
    "try:\n    f()\nexcept (A, B) as e:\n    raise\nfinally:\n    g()\n",
    "with open(p) as f, lock:\n    data = f.read(); n = len(data)\n",
    "async def g():\n    async for x in y:\n        await x\n    return f'{x!r:>{w}}'\n",
    "match p:\n    case [1, *rest] if rest:\n        pass\n    case {'k': v, **kw}:\n        pass\n    case _:\n        pass\n",
    "x = lambda a, /, b: (yield)\ndel x[0], y.z\nglobal q\nassert a, 'm'\n",
    's = """multi\nline\n"""  # trailing\nt = "x" \'y\'\n',
    "for i in range(3):\n    if i:\n        continue\n    else:\n        break\nelse:\n    pass\n\n\n",
    "class A:\n\n    def m(self): return 1\n\n    @property\n    def p(self):\n        pass\n        # indented footer\n",
]


def _same(module: cst.Module) -> None:
    expected = MetadataWrapper(module, unsafe_skip_copy=True).resolve(PositionProvider)
    got = _positions(module)
    assert len(got) == len(expected)
    assert {id(n) for n in got} == {id(n) for n in expected}
    for node, where in expected.items():
        assert got[node] == where


@pytest.mark.parametrize("source", SOURCES)
def test_positions_match_libcst(source: str) -> None:
    _same(cst.parse_module(source))


def test_positions_match_libcst_on_guard_itself() -> None:
    files = [ROOT / "guard" / "rulekit.py", ROOT / "guard" / "diff.py", ROOT / "rules" / "_patch.py"]
    for path in files:
        _same(cst.parse_module(path.read_text(encoding="utf-8")))


def test_wrapper_serves_them_and_rejects_other_nodes() -> None:
    module = cst.parse_module("def f(x):\n    return x + 1\n")
    positions = RulesWrapper(module, unsafe_skip_copy=True).resolve(PositionProvider)
    function = module.body[0]
    assert positions[function].start.line == 1 and positions[function].end.line == 2
    assert positions[function] is positions[function]
    with pytest.raises(KeyError):
        positions[cst.Name("x")]
    assert positions.get(cst.Name("x")) is None
