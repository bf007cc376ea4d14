"""The code a page shows is the code a reader gets: it runs, prints what the page shows, copies.

* Each page's shown blocks, run cell by cell in one namespace in a fresh interpreter (as
  a reader's notebook runs them), print exactly the output the built page shows under them.
* (tests/site/test_notebooks.py runs the standalone form of each page, its notebook.)
* No element id appears twice on a page.
"""

from __future__ import annotations

import collections
import json
import re
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from tests.site import background
from tests.site.conftest import DOCS, Build, built_html, page_sources
from tools.page_code import Fence, fences

RUNNER = Path(__file__).with_name("run_cells.py")
PAGES = [
    p
    for p in page_sources()
    if p.suffix == ".md" and any(f.shown for f in fences(p.read_text(encoding="utf-8")))
]


def shown_cells(source: Path) -> list[Fence]:
    return [f for f in fences(source.read_text(encoding="utf-8")) if f.shown]


def start_run() -> background.BackgroundRun:
    """Run every page's shown blocks, one page after another, in one fresh interpreter."""
    pages = {_ids(p): {"cells": [c.code for c in shown_cells(p)], "track": []} for p in PAGES}
    request = json.dumps({"block_reference": False, "pages": pages})
    return background.run("page-cells", RUNNER, request)


@pytest.fixture(scope="session")
def runs() -> dict[str, dict]:
    return json.loads(start_run().wait())


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


def _normalise(text: str) -> str:
    return "\n".join(line.rstrip() for line in text.strip("\n").splitlines())


def _ids(source: Path) -> str:
    return source.relative_to(DOCS).as_posix()


@pytest.mark.parametrize("source", PAGES, ids=_ids)
def test_blocks_run_as_notebook_cells_and_print_what_the_page_shows(
    runs: dict[str, dict], built: Build, source: Path
) -> None:
    cells = shown_cells(source)
    result = runs[_ids(source)]
    assert result["error"] is None, result["error"]
    shown = page_outputs(built, source)
    assert len(shown) == len(cells), "every shown block is wrapped in a kb-cell on the page"
    for index, (cell, printed, on_page) in enumerate(
        zip(cells, result["outputs"], shown, strict=True)
    ):
        if on_page is None or cell.html_output:
            continue
        assert _normalise(printed) == _normalise(on_page), f"block {index + 1}"


def test_no_element_id_repeats_on_a_page(built: Build) -> None:
    problems = {}
    for page in sorted(built.site.rglob("*.html")):
        ids = re.findall(r'\sid="([^"]+)"', page.read_text(encoding="utf-8"))
        repeated = [i for i, n in collections.Counter(ids).items() if n > 1]
        if repeated:
            problems[str(page.relative_to(built.site))] = repeated[:10]
    assert problems == {}
