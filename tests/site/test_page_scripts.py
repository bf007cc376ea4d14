"""The code blocks of each page, run in order, work as a script.

Displayed ``python`` blocks are collected from the Markdown source with their snippets
resolved the way ``pymdownx.snippets`` resolves them; blocks that markdown-exec runs at
build time (``exec="on"``) are left out, since the build already runs them.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.site.conftest import DOCS, ROOT, page_sources

FENCE = re.compile(
    r"^(?P<indent>[ \t]*)```python(?P<options>[^\n]*)\n(?P<body>.*?)^(?P=indent)```", re.M | re.S
)
SNIPPET = re.compile(r'^[ \t]*--8<-- "(?P<path>[^":]+)(?::(?P<section>[\w-]+))?"[ \t]*$', re.M)
MARKER = re.compile(r"#\s*--8<--\s*\[(start|end):([\w-]+)\]")


def snippet(path: str, section: str | None) -> str:
    """The text of a snippet section, marker lines removed and dedented (``dedent_subsections``)."""
    text = (ROOT / path).read_text(encoding="utf-8")
    if section is None:
        return text
    match = re.search(
        rf"^[^\n]*#\s*--8<--\s*\[start:{section}\][^\n]*\n(?P<body>.*?)^[^\n]*#\s*--8<--\s*\[end:{section}\]",
        text,
        re.M | re.S,
    )
    assert match, f"{path} has no snippet section {section!r}"
    body = "\n".join(line for line in match["body"].splitlines() if not MARKER.search(line))
    return textwrap.dedent(body)


def page_script(source: Path) -> str:
    blocks = []
    for fence in FENCE.finditer(source.read_text(encoding="utf-8")):
        if re.search(r'\bexec="(?:on|1|true)"', fence["options"]):
            continue
        body = textwrap.dedent(fence["body"])
        blocks.append(SNIPPET.sub(lambda m: snippet(m["path"], m["section"]), body))
    return "\n\n".join(blocks)


PAGES_WITH_CODE = [p for p in page_sources() if p.suffix == ".md" and page_script(p).strip()]


def test_pages_with_code_are_found() -> None:
    assert {p.relative_to(DOCS).as_posix() for p in PAGES_WITH_CODE} >= {
        "detection/iou.md",
        "detection/nms.md",
    }


@pytest.mark.parametrize("source", PAGES_WITH_CODE, ids=lambda p: p.relative_to(DOCS).as_posix())
def test_page_code_runs_as_a_script(source: Path, tmp_path: Path) -> None:
    script = tmp_path / "page.py"
    script.write_text(page_script(source), encoding="utf-8")
    result = subprocess.run(
        [sys.executable, str(script)],
        cwd=tmp_path,
        env=os.environ | {"PYTHONPATH": str(ROOT)},  # this tree's reference package
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]


def test_snippet_resolution_strips_markers() -> None:
    code = snippet("reference/detection/nms.py", "nms")
    assert "def nms(" in code
    assert "--8<--" not in code
    assert "import torch" in snippet("reference/detection/boxes.py", "imports")
