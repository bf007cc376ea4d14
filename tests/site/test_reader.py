"""The site as a reader uses it in Chromium: copy buttons, page weight and speed, reading from disk.

* Every copy button on every page (Markdown and notebook pages, standalone copies in
  collapsed blocks and code in inactive tabs included) puts exactly the code of its own
  block on the clipboard.
* Every page's HTML is at most 1 MiB; a cold load transfers at most 2 MiB and reaches
  DOMContentLoaded within 1.5 s (the best of three cold loads, so that a busy machine does
  not decide the result).
* A copy of the site opened from disk (file://) finds pages with its search box, through
  the Web Worker stand-in that offline builds load.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page

from tests.site.conftest import Build

MIB = 1024 * 1024


def site_pages(site: Path) -> list[str]:
    """URL paths of every page of the built site (``detection/iou/``; ``""`` for home)."""
    pages = []
    for html in sorted(site.rglob("index.html")):
        rel = html.parent.relative_to(site).as_posix()
        if rel.startswith(("assets", "search")):
            continue
        pages.append("" if rel == "." else rel + "/")
    return pages


# Make the block of every copy button visible (open collapsed blocks, select its tab), click
# the button, and return the clipboard next to the text of the code the button belongs to.
_COPY_ALL = """
async () => {
  const results = [];
  document.querySelectorAll("details").forEach(d => { d.open = true; });
  const buttons = [...document.querySelectorAll("button.md-clipboard, clipboard-copy")];
  for (const button of buttons) {
    let block = button.closest(".tabbed-block");
    while (block) {
      const set = block.closest(".tabbed-set");
      const index = [...block.parentElement.children].indexOf(block);
      set.querySelectorAll(":scope > input")[index].checked = true;
      block = set.parentElement.closest(".tabbed-block");
    }
    let expected;
    if (button.tagName === "CLIPBOARD-COPY") {   // a notebook cell
      const cell = button.closest(".jp-Cell");
      expected = cell.querySelector(".jp-InputArea .highlight-ipynb pre").textContent;
    } else {                                      // a Material code block
      const code = button.closest("pre").querySelector("code").cloneNode(true);
      code.querySelectorAll(".md-annotation").forEach(a => a.remove());
      expected = code.textContent;
    }
    await navigator.clipboard.writeText("(nothing was copied)");
    button.scrollIntoView();
    button.click();
    await new Promise(r => setTimeout(r, 30));
    results.push({expected, copied: await navigator.clipboard.readText()});
  }
  return results;
}
"""


def _lines(text: str) -> list[str]:
    return [line.rstrip() for line in text.strip("\n").splitlines()]


@pytest.fixture(scope="module")
def clipboard_page(chromium: Browser, server: str) -> Page:
    context = chromium.new_context(permissions=["clipboard-read", "clipboard-write"])
    page = context.new_page()
    page.goto(server + "/")
    yield page
    context.close()


def test_every_copy_button_copies_its_own_code(
    built: Build, server: str, clipboard_page: Page
) -> None:
    problems = []
    counts = {"buttons": 0, "notebook": 0}
    for path in site_pages(built.site):
        clipboard_page.goto(f"{server}/{path}", wait_until="load")
        results = clipboard_page.evaluate(_COPY_ALL)
        counts["buttons"] += len(results)
        counts["notebook"] += clipboard_page.locator("clipboard-copy").count()
        for index, result in enumerate(results):
            if _lines(result["copied"]) != _lines(result["expected"]):
                problems.append(f"/{path} button {index + 1}: {result['copied'][:80]!r}")
    assert problems == []
    assert counts["buttons"] > 300 and counts["notebook"] >= 40, counts


def test_every_page_is_at_most_1_mib(built: Build) -> None:
    sizes = {p: (built.site / p / "index.html").stat().st_size for p in site_pages(built.site)}
    assert {p: s for p, s in sizes.items() if s > MIB} == {}


def _cold_load(chromium: Browser, url: str) -> tuple[float, int]:
    """(DOMContentLoaded in seconds, bytes transferred) of one load with an empty cache."""
    context = chromium.new_context()
    try:
        page = context.new_page()
        page.goto(url, wait_until="networkidle")
        return page.evaluate(
            """() => {
              const nav = performance.getEntriesByType("navigation")[0];
              const all = [nav, ...performance.getEntriesByType("resource")];
              return [nav.domContentLoadedEventEnd / 1000,
                      all.reduce((sum, e) => sum + (e.transferSize || e.encodedBodySize), 0)];
            }"""
        )
    finally:
        context.close()


def test_every_page_loads_light_and_fast(built: Build, server: str, chromium: Browser) -> None:
    slow, heavy = {}, {}
    for path in site_pages(built.site):
        loads = [_cold_load(chromium, f"{server}/{path}") for _ in range(3)]
        best = min(seconds for seconds, _ in loads)
        transferred = max(size for _, size in loads)
        if best > 1.5:
            slow[path] = round(best, 2)
        if transferred > 2 * MIB:
            heavy[path] = transferred
    assert slow == {} and heavy == {}


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
        page.locator("label.md-search__icon, .md-search__input").first.click()
        page.locator("input.md-search__input").press_sequentially("抑制", delay=50)
        results = page.locator(".md-search-result__item a")
        results.first.wait_for(timeout=15_000)
        hrefs = [results.nth(i).get_attribute("href") or "" for i in range(results.count())]
    finally:
        context.close()
    assert errors == []
    assert any("detection/nms" in href for href in hrefs[:3]), hrefs
