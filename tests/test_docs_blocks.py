"""Every Python block of README.md and docs/*.md runs as it stands, alone, in an empty
folder: a block that needs data makes it (the toy corpus, a file it writes)."""

import glob
import os
import re

import pytest

ROOT = os.path.join(os.path.dirname(__file__), os.pardir)
DOCS = [os.path.join(ROOT, "README.md")] + sorted(glob.glob(os.path.join(ROOT, "docs", "*.md")))
FENCE = re.compile(r"^```python\n(.*?)^```", re.S | re.M)


def blocks():
    found = []
    for path in DOCS:
        text = open(path, encoding="utf-8").read()
        for match in FENCE.finditer(text):
            line = text.count("\n", 0, match.start()) + 2
            found.append(pytest.param(match.group(1), id=f"{os.path.basename(path)}:{line}"))
    return found


def test_the_docs_have_blocks_to_run():
    assert len(blocks()) >= 8


@pytest.mark.parametrize("code", blocks())
def test_block_runs_alone(code, tmp_path, monkeypatch, request):
    monkeypatch.chdir(tmp_path)
    name = request.node.callspec.id
    exec(compile(code, name, "exec"), {"__name__": "__docs__"})
