"""The site as a reader uses it in Chromium: copy buttons, page weight and speed, reading from disk.

* Every copy button on every page (Markdown and notebook pages, standalone copies in
  collapsed blocks and code in inactive tabs included) puts exactly the code of its own
  block on the clipboard.
* Every page's HTML is at most 1 MiB; a cold load transfers at most 2 MiB and reaches
  DOMContentLoaded within 1.5 s (with the browser cache disabled; the best of up to three
  loads, so that a busy machine does not decide the result).
* A copy of the site opened from disk (file://) finds pages with its search box, through
  the Web Worker stand-in that offline builds load.
"""

from __future__ import annotations

import re
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Browser

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
  const buttons = [...document.querySelectorAll("button[data-clipboard-target], clipboard-copy")];
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
    let copied = "(nothing was copied)";
    for (let i = 0; i < 100 && copied === "(nothing was copied)"; i++) {  // up to 2 s
      await new Promise(r => setTimeout(r, 20));
      copied = await navigator.clipboard.readText();
    }
    results.push({expected, copied});
  }
  return results;
}
"""


def _lines(text: str) -> list[str]:
    return [line.rstrip() for line in text.strip("\n").splitlines()]


_TIMING = """() => {
  const nav = performance.getEntriesByType("navigation")[0];
  const all = [nav, ...performance.getEntriesByType("resource")];
  return [nav.domContentLoadedEventEnd / 1000, all.reduce((sum, e) => sum + e.transferSize, 0)];
}"""


@dataclass
class Visit:
    seconds: float  # DOMContentLoaded, best of up to three cold loads
    transferred: int  # bytes, with the browser cache disabled
    copies: list[dict[str, str]]  # per copy button: the code shown and what it copied
    notebook_buttons: int


@pytest.fixture(scope="module")
def visits(chromium: Browser, server: str, built: Build) -> dict[str, Visit]:
    """Every page, loaded as by a first-time reader (no cache), then every copy button clicked."""
    context = chromium.new_context(permissions=["clipboard-read", "clipboard-write"])
    page = context.new_page()
    context.new_cdp_session(page).send("Network.setCacheDisabled", {"cacheDisabled": True})
    out = {}
    try:
        for path in site_pages(built.site):
            loads = []
            while len(loads) < 3 and (not loads or min(s for s, _ in loads) > 1.5):
                page.goto(f"{server}/{path}", wait_until="networkidle")
                loads.append(page.evaluate(_TIMING))
            copies = page.evaluate(_COPY_ALL)
            buttons = page.locator("clipboard-copy").count()
            out[path] = Visit(min(s for s, _ in loads), max(b for _, b in loads), copies, buttons)
    finally:
        context.close()
    return out


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


def test_every_page_is_at_most_1_mib(built: Build) -> None:
    sizes = {p: (built.site / p / "index.html").stat().st_size for p in site_pages(built.site)}
    assert {p: s for p, s in sizes.items() if s > MIB} == {}


def test_every_page_loads_light_and_fast(visits: dict[str, Visit]) -> None:
    assert {p: round(v.seconds, 2) for p, v in visits.items() if v.seconds > 1.5} == {}
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
