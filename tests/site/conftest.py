"""The built site (once per session), served on localhost, and a headless Chromium to read it."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright

from tests.site import background, reader
from tests.site.background import BUILD_ENV, ROOT, Build
from tests.site.reader import CHROMIUM, Reading, Visit
from tools.screenshot import FLAGS
from tools.search_eval import serve

__all__ = ["BUILD_ENV", "DOCS", "ROOT", "Build", "built_html", "page_sources"]

DOCS = ROOT / "docs"


@pytest.fixture(scope="session")
def built() -> Build:
    """The site, built with ``mkdocs build --strict`` (started in the background at collection).

    ``KB_SITE=DIR`` uses an existing build instead (``python -m tools.partial_build``).
    """
    if os.environ.get("KB_SITE"):
        return Build(Path(os.environ["KB_SITE"]), log="")
    try:
        build = background.build("first")
    except background.BuildFailed as error:
        pytest.fail(str(error))
    return build


def page_sources() -> list[Path]:
    """Every Markdown page and jupytext notebook under docs/."""
    return sorted([*DOCS.rglob("*.md"), *DOCS.rglob("*.py")])


def built_html(site: Path, source: Path) -> Path:
    """The HTML file that MkDocs writes for a page source (``use_directory_urls``)."""
    rel = source.relative_to(DOCS).with_suffix("")
    if rel.name == "index":
        return site / rel.parent / "index.html"
    return site / rel / "index.html"


@pytest.fixture(scope="session")
def server(built: Build) -> Iterator[str]:
    """The built site served on a free port of 127.0.0.1."""
    with serve(built.site) as base:
        yield base.rstrip("/")


def _require_chromium() -> None:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium not found at {CHROMIUM}: run `nox -s tests`, which installs it")


@pytest.fixture(scope="session")
def chromium() -> Iterator[Browser]:
    """Debian's Chromium, headless, with a fresh temporary profile."""
    _require_chromium()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture(scope="session")
def browser(chromium: Browser) -> Iterator[BrowserContext]:
    """One browser context (shared cache and storage) for tests that open many pages."""
    context = chromium.new_context(viewport={"width": 1280, "height": 900})
    yield context
    context.close()


@pytest.fixture(scope="session")
def reading(built: Build) -> Reading:
    """Every page visited and every benchmark query typed (``tests/site/reader.py``),
    started in the background when the build was done."""
    _require_chromium()
    return reader.start(built.site).result()


@pytest.fixture(scope="session")
def visits(reading: Reading) -> dict[str, Visit]:
    return reading.visits


@pytest.fixture
def page(browser: BrowserContext) -> Iterator[Page]:
    page = browser.new_page()
    yield page
    page.close()
