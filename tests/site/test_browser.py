"""The built site in headless Chromium: pages render, nothing leaves localhost, search works."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import BrowserContext, Page

from tools.search_eval import SearchBox


def visit(page: Page, url: str) -> tuple[list[str], list[str]]:
    """Open ``url``; return (console and page errors, requests to other hosts or that failed)."""
    errors: list[str] = []
    bad_requests: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("requestfailed", lambda req: bad_requests.append(f"failed: {req.url}"))
    host = urlsplit(url).netloc
    page.on(
        "request",
        lambda req: (
            None
            if urlsplit(req.url).scheme in {"data", "blob"} or urlsplit(req.url).netloc == host
            else bad_requests.append(f"other host: {req.url}")
        ),
    )
    page.goto(url, wait_until="networkidle")
    return errors, bad_requests


@pytest.mark.parametrize(
    ("path", "heading"),
    [
        ("/", "Deep learning, tested"),
        ("/detection/nms/", "Non-maximum suppression"),
        ("/detection/iou/", "IoU and its generalisations"),
        ("/foundations/tensors/", "PyTorch tensor basics"),
    ],
)
def test_page_renders_without_errors(server: str, page: Page, path: str, heading: str) -> None:
    errors, bad_requests = visit(page, server + path)
    assert errors == []
    assert bad_requests == []
    assert heading in page.locator("h1").first.inner_text()


def test_figures_and_math_are_visible(server: str, page: Page) -> None:
    visit(page, server + "/detection/iou/")
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
