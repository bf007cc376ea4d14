"""What the built page shows under each of its blocks, and the ids on a page.

``page_outputs`` reads the output boxes of a built page; tests/site/test_notebooks.py runs
each page's notebook (its shown blocks in standalone form, in a fresh kernel) and compares
what each cell prints with them. No element id appears twice on a page.
"""

from __future__ import annotations

import collections
import re
from pathlib import Path

from bs4 import BeautifulSoup

from tests.site.conftest import Build, built_html
from tools.page_code import Fence, fences


def shown_cells(source: Path) -> list[Fence]:
    return [f for f in fences(source.read_text(encoding="utf-8")) if f.shown]


def page_outputs(built: Build, source: Path) -> list[str | None]:
    """What the built page shows under each shown block: its printed text, or None for HTML."""
    soup = BeautifulSoup(built_html(built.site, source).read_text(encoding="utf-8"), "html.parser")
    out: list[str | None] = []
    for cell in soup.select("div.kb-cell"):
        result = cell.select_one(":scope > div.result code")
        if cell.select_one(".tabbed-set"):
            out.append(None)
        else:
            out.append(result.get_text() if result else "")
    return out


def test_no_element_id_repeats_on_a_page(built: Build) -> None:
    problems = {}
    for page in sorted(built.site.rglob("*.html")):
        ids = re.findall(r'\sid="([^"]+)"', page.read_text(encoding="utf-8"))
        repeated = [i for i, n in collections.Counter(ids).items() if n > 1]
        if repeated:
            problems[str(page.relative_to(built.site))] = repeated[:10]
    assert problems == {}
