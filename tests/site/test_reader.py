"""The site as a reader uses it in Chromium: copy buttons, page weight and speed, reading from disk.

* Every copy button on every page (Markdown and notebook pages, standalone copies in
  collapsed blocks and code in inactive tabs included) copies exactly the code of its own
  block (read from the copy event; on each page one Material button and every notebook
  button are also read back from the system clipboard).
* Every page's HTML is at most 1 MiB; a cold load transfers at most 2 MiB (everything
  loaded before the load event) and reaches DOMContentLoaded within 1.5 s (with the
  browser cache disabled; a slower page is loaded again after the others, up to three
  loads in all, so that a moment when the machine was busy does not decide the result).

The pages are visited once for this module and test_figures.py (``tests/site/reader.py``).
* A copy of the site opened from disk (file://) finds pages with its search box, through
  the Web Worker stand-in that offline builds load.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from playwright.sync_api import Browser

from tests.site.conftest import Build
from tests.site.reader import FAST_SECONDS, Visit, site_pages

MIB = 1024 * 1024


def _lines(text: str) -> list[str]:
    return [line.rstrip() for line in text.strip("\n").splitlines()]


def test_every_copy_button_copies_its_own_code(visits: dict[str, Visit]) -> None:
    problems = [
        f"/{path} button {index + 1}: {copy['copied'][:80]!r}"
        for path, visit in visits.items()
        for index, copy in enumerate(visit.copies)
        if _lines(copy["copied"]) != _lines(copy["expected"])
    ]
    assert problems == []
    buttons = sum(len(v.copies) for v in visits.values())
    notebook = sum(v.notebook_buttons for v in visits.values())
    assert buttons > 300 and notebook >= 40, (buttons, notebook)


def test_what_a_copy_event_carries_reaches_the_clipboard(visits: dict[str, Visit]) -> None:
    """The reader takes what a Material button copied from the copy event; on every page
    with such a button, the first one is also read back from the system clipboard."""
    checked = {
        path: [c for c in visit.copies if "viaClipboard" in c] for path, visit in visits.items()
    }
    material = {p for p, v in visits.items() if len(v.copies) > v.notebook_buttons}
    assert {p for p, c in checked.items() if len(c) == 1} == material
    assert [
        (path, c[0]["viaClipboard"][:80])
        for path, c in checked.items()
        if c and _lines(c[0]["viaClipboard"]) != _lines(c[0]["copied"])
    ] == []


def test_every_page_is_at_most_1_mib(built: Build) -> None:
    sizes = {p: (built.site / p / "index.html").stat().st_size for p in site_pages(built.site)}
    assert {p: s for p, s in sizes.items() if s > MIB} == {}


def test_every_page_loads_light_and_fast(visits: dict[str, Visit]) -> None:
    assert {p: round(v.seconds, 2) for p, v in visits.items() if v.seconds > FAST_SECONDS} == {}
    assert {p: v.transferred for p, v in visits.items() if v.transferred > 2 * MIB} == {}


def test_search_works_from_disk(built: Build, tmp_path: Path, chromium: Browser) -> None:
    """What `nox -s dist` adds to a build, applied to this build: an inlined index, the shim."""
    site = shutil.copytree(built.site, tmp_path / "site")
    index = (site / "search" / "search_index.json").read_text(encoding="utf-8")
    (site / "search" / "search_index.js").write_text(f"var __index = {index}", encoding="utf-8")
    page_file = site / "detection" / "iou" / "index.html"
    html = page_file.read_text(encoding="utf-8")
    shim = '<script src="../../javascripts/file-worker.js"></script>'
    html = re.sub(r"(<script src=\"[^\"]*bundle[^\"]*\"></script>)", shim + r"\1", html, count=1)
    page_file.write_text(html, encoding="utf-8")
    context = chromium.new_context()
    try:
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.goto(page_file.as_uri())
        page.keyboard.press("/")  # Material's shortcut: opens the search box
        for char in "抑制":  # as an input method commits it, then the committing key's key-up
            page.keyboard.type(char)
            page.keyboard.press("Shift")
        results = page.locator(".md-search-result__item a")
        results.first.wait_for(timeout=15_000)
        hrefs = [results.nth(i).get_attribute("href") or "" for i in range(results.count())]
    finally:
        context.close()
    assert errors == []
    assert any("detection/nms" in href for href in hrefs[:3]), hrefs
