"""The strict build succeeds, is reproducible, and every build-time block really ran."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.site import background
from tests.site.conftest import DOCS, Build, built_html, page_sources

EXEC_BLOCK = re.compile(r'^[ \t]*```python[^\n]*\bexec="(?:on|1|true)"', re.M)
TIMING_FIGURE = re.compile(rb"<figure[^>]*\bdata-kb-timing\b.*?</figure>", re.S)


ARTICLE = re.compile(rb"<article\b.*?</article>", re.S)


def _reproducible_part(path: Path) -> bytes:
    """What a page's own build determines: its article (the navigation lists the pages that
    were built), without its timing figures, the only output measured at build time; other
    files whole."""
    data = path.read_bytes()
    if path.suffix == ".html":
        data = b"".join(ARTICLE.findall(data))
    return TIMING_FIGURE.sub(b"", data)


def test_strict_build_has_no_warnings(built: Build) -> None:
    warnings = re.findall(r"^WARNING\s+-.*$", built.log, re.M)
    assert warnings == []


def test_pages_built_again_alone_are_identical(built: Build) -> None:
    """background.REBUILT's pages, built on their own with another hash seed."""
    try:
        second = background.build("second")
    except background.BuildFailed as error:
        pytest.fail(str(error))
    for page in background.REBUILT:
        folder = Path(page).with_suffix("")  # detection/iou.md is written to detection/iou/
        names = sorted(p.relative_to(built.site) for p in (built.site / folder).rglob("*"))
        assert names, page
        assert names == sorted(
            p.relative_to(second.site) for p in (second.site / folder).rglob("*")
        )
        for name in names:
            if (built.site / name).is_file():
                assert _reproducible_part(built.site / name) == _reproducible_part(
                    second.site / name
                ), name


@pytest.mark.parametrize("source", [p for p in page_sources() if p.suffix == ".md"], ids=str)
def test_every_exec_block_produced_its_output(built: Build, source: Path) -> None:
    """markdown-exec only logs a failure; here each block must leave its marked output."""
    expected = len(EXEC_BLOCK.findall(source.read_text(encoding="utf-8")))
    html = built_html(built.site, source).read_text(encoding="utf-8")
    assert html.count("data-kb-exec") == expected
    assert "markdown-exec" not in html or "Traceback" not in html


@pytest.mark.parametrize("source", [p for p in page_sources() if p.suffix == ".py"], ids=str)
def test_every_notebook_cell_ran(built: Build, source: Path) -> None:
    """Each code cell of an executed notebook has an execution count and printed output."""
    text = source.read_text(encoding="utf-8")
    code_cells = [c for c in text.split("# %%")[1:] if not c.startswith(" [markdown]")]
    html = built_html(built.site, source).read_text(encoding="utf-8")
    counts = re.findall(r"In(?:\s|&nbsp;)\[(\d+)\]:", html)
    assert [int(c) for c in counts] == list(range(1, len(code_cells) + 1))
    outputs = re.findall(
        r'<div[^>]*class="[^"]*jp-OutputArea-output[^"]*"[^>]*data-mime-type', html
    )
    assert len(outputs) >= len(code_cells)  # every cell printed or displayed something
    assert not re.search(r'<div[^>]*data-mime-type="application/vnd.jupyter.(stderr|error)"', html)


def test_page_sources_exist() -> None:
    assert (DOCS / "index.md").exists()
    assert len(page_sources()) >= 4


def test_timing_figures_are_marked_and_left_out_of_search(built: Build) -> None:
    """A measured figure changes from build to build: search must not index its numbers."""
    index = (built.site / "search" / "search_index.json").read_text(encoding="utf-8")
    timing = [
        figure.decode()
        for page in built.site.rglob("*.html")
        for figure in TIMING_FIGURE.findall(page.read_bytes())
    ]
    assert timing, "the filters page draws a timing figure"
    for figure in timing:
        assert "data-search-exclude" in figure
        measured = re.findall(r"\d[\d,.]* ms\b", figure)  # the filters page's annotations
        assert measured, "the timing figure shows its run times"
        assert not [text for text in measured if text in index]
