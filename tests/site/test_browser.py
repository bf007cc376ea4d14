"""The built site in headless Chromium: pages render, nothing leaves localhost, search works.

Every page is checked during the one visit of the background reading (``reader.py``)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import BrowserContext, Page

from tests.site.reader import Visit
from tools.search_eval import SearchBox


def test_every_page_renders_without_errors(visits: dict[str, Visit]) -> None:
    """From its load to the last copy button clicked: no console error or uncaught
    exception, no request that failed or went to another host."""
    assert {path: v.errors for path, v in visits.items() if v.errors} == {}
    assert {path: v.bad_requests for path, v in visits.items() if v.bad_requests} == {}


@pytest.mark.parametrize(
    ("path", "heading"),
    [
        ("", "Deep learning, tested"),
        ("detection/nms/", "Non-maximum suppression"),
        ("detection/iou/", "IoU and its generalisations"),
        ("foundations/tensors/", "PyTorch tensor basics"),
    ],
)
def test_page_shows_its_heading(visits: dict[str, Visit], path: str, heading: str) -> None:
    assert heading in visits[path].heading


def test_figures_and_math_are_visible(server: str, page: Page) -> None:
    page.goto(server + "/detection/iou/", wait_until="networkidle")
    figure = page.locator("figure.kb-figure svg").first
    assert figure.is_visible()
    assert figure.bounding_box()["height"] > 100
    math = page.locator("math[display=block]").first
    assert math.is_visible() and math.bounding_box()["width"] > 100


@pytest.fixture(scope="module")
def box(server: str, browser: BrowserContext) -> Iterator[SearchBox]:
    """The search box of the home page, opened once for every search below."""
    search = SearchBox(browser.new_page())
    search.open(server + "/")
    yield search
    search.page.close()


@pytest.mark.parametrize(
    ("query", "page_path"),
    [
        ("非极大值抑制", "detection/nms/"),
        ("non-maximum suppression", "detection/nms/"),
        ("nms", "detection/nms/"),
        ("交并比", "detection/iou/"),
        ("giou", "detection/iou/"),
        ("张量基础", "foundations/tensors/"),
    ],
)
def test_search_finds_a_page_by_english_or_chinese_term(
    box: SearchBox, query: str, page_path: str
) -> None:
    """The whole query committed at once (as by an input method), then one key press."""
    box.fill(query)
    pages = box.pages()
    assert pages[:1] == [page_path], pages
