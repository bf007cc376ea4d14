"""The built site read in Chromium, once, in the background: every page and every query.

Each page is loaded with the browser cache disabled (its load time and the bytes it
transfers), its figures are measured as they first appear (text size and position, the
alignment of numbers in figure tables), then every collapsed block is opened and every
copy button clicked (what each one copies); console errors and requests that fail or
leave the server are recorded throughout. Then every query of the search benchmark is
entered into the search box. ``test_reader.py``, ``test_figures.py`` and
``test_search.py`` judge the results.

The reading starts in a thread of its own, with its own server, Playwright and Chromium,
as soon as the build is done (:func:`start`), so it overlaps with the tests that read
the HTML files; the fixture ``reading`` waits for it.
"""

from __future__ import annotations

import concurrent.futures
import shutil
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from playwright.sync_api import Browser, sync_playwright

from tools.screenshot import FLAGS
from tools.search_eval import CHINESE, FIRST, SearchBox, serve


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
# the button, and return what it copied next to the text of the code it belongs to.
#
# What a Material button copies is read from the copy event its click fires (clipboard.js
# selects the code in a hidden textarea and runs the copy command; the browser copies the
# selection unless a listener replaces it): half the CPU of reading the system clipboard
# back after every click. On each page the first Material button is also read back from
# the clipboard (``viaClipboard``), as are all notebook buttons, which write it directly.
_COPY_ALL = """
async () => {
  const NOTHING = "(nothing was copied)";
  const results = [];
  let copied = NOTHING;
  const onCopy = event => {
    const target = event.target;
    if (event.defaultPrevented) copied = event.clipboardData.getData("text/plain");
    else if (target && typeof target.selectionStart === "number")
      copied = target.value.slice(target.selectionStart, target.selectionEnd);
    else copied = document.getSelection().toString();
  };
  window.addEventListener("copy", onCopy);  // bubbling, so after the page's own listeners
  const fromClipboard = async button => {
    await navigator.clipboard.writeText(NOTHING);
    button.click();
    let text = await navigator.clipboard.readText();
    for (let i = 0; i < 1000 && text === NOTHING; i++) {  // up to 2 s
      await new Promise(r => setTimeout(r, 2));
      text = await navigator.clipboard.readText();
    }
    return text;
  };
  document.querySelectorAll("details").forEach(d => { d.open = true; });
  const buttons = [...document.querySelectorAll("button[data-clipboard-target], clipboard-copy")];
  let checkedClipboard = false;
  for (const button of buttons) {
    let block = button.closest(".tabbed-block");
    while (block) {
      const set = block.closest(".tabbed-set");
      const index = [...block.parentElement.children].indexOf(block);
      set.querySelectorAll(":scope > input")[index].checked = true;
      block = set.parentElement.closest(".tabbed-block");
    }
    let expected;
    let result;
    if (button.tagName === "CLIPBOARD-COPY") {   // a notebook cell
      const cell = button.closest(".jp-Cell");
      expected = cell.querySelector(".jp-InputArea .highlight-ipynb pre").textContent;
      result = {expected, copied: await fromClipboard(button)};
    } else {                                      // a Material code block
      const code = button.closest("pre").querySelector("code").cloneNode(true);
      code.querySelectorAll(".md-annotation").forEach(a => a.remove());
      expected = code.textContent;
      copied = NOTHING;
      if (checkedClipboard) {
        button.click();
        result = {expected, copied};
      } else {
        const viaClipboard = await fromClipboard(button);
        result = {expected, copied, viaClipboard};
        checkedClipboard = true;
      }
    }
    results.push(result);
  }
  window.removeEventListener("copy", onCopy);
  return results;
}
"""


_TIMING = """() => {
  const nav = performance.getEntriesByType("navigation")[0];
  const all = [nav, ...performance.getEntriesByType("resource")];
  return [nav.domContentLoadedEventEnd / 1000, all.reduce((sum, e) => sum + e.transferSize, 0)];
}"""


MIN_TEXT_PX = 9.0
FAST_SECONDS = 1.5  # a page must reach DOMContentLoaded within this

_TEXTS = """() => {
  const out = [];
  document.querySelectorAll("figure.kb-figure svg").forEach((svg, index) => {
    const box = svg.getBoundingClientRect();
    const figure = svg.closest("figure").getBoundingClientRect();
    const view = svg.viewBox.baseVal;
    const scale = view && view.width ? box.width / view.width : 1;
    svg.querySelectorAll("text").forEach(text => {
      const r = text.getBoundingClientRect();
      if (!text.textContent.trim() || r.width === 0) return;
      const size = parseFloat(getComputedStyle(text).fontSize) * scale;
      const outside = r.left < figure.left - 1 || r.right > figure.right + 1
        || r.top < box.top - 4 || r.bottom > box.bottom + 4;
      if (size < MIN_PX || outside)
        out.push(`figure ${index + 1}: "${text.textContent.trim().slice(0, 40)}" `
                 + (outside ? "outside its figure" : `${size.toFixed(1)} px`));
    });
  });
  return out;
}""".replace("MIN_PX", str(MIN_TEXT_PX))


_NUMBER_ALIGNMENT = """() => [...document.querySelectorAll("figure.kb-figure table td")]
  .filter(c => /^[-−+]?[\\d.,]+%?$/.test(c.textContent.trim()))
  .map(c => getComputedStyle(c).textAlign)"""


@dataclass
class Visit:
    seconds: float  # DOMContentLoaded, best of up to three cold loads
    transferred: int  # bytes, with the browser cache disabled
    figure_text_problems: list[str]  # figure texts under MIN_TEXT_PX or outside the figure
    number_alignment: list[str]  # text-align of every number cell of a figure table
    copies: list[dict[str, str]]  # per copy button: the code shown and what it copied
    notebook_buttons: int
    heading: str  # the text of the first h1
    # Console errors and uncaught exceptions, and requests that failed or went to another
    # host, from the load to the end of the visit (the copy buttons clicked included).
    errors: list[str]
    bad_requests: list[str]


def visit_every_page(chromium: Browser, server: str, site: Path) -> dict[str, Visit]:
    """Every page, loaded as by a first-time reader (no cache), measured, then every copy
    button clicked. A page slower than FAST_SECONDS is loaded again after all the others,
    up to three loads in all, so that a moment when the machine was busy does not decide
    the result."""
    # Reduced motion: Material's "Copied to clipboard" toast and transitions skip their
    # animation, a quarter of Chromium's CPU time over seven hundred clicks.
    context = chromium.new_context(
        viewport={"width": 1280, "height": 900},
        permissions=["clipboard-read", "clipboard-write"],
        reduced_motion="reduce",
    )
    page = context.new_page()
    cdp = context.new_cdp_session(page)
    cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
    errors: list[str] = []
    bad_requests: list[str] = []
    host = urlsplit(server).netloc
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    # A request that the next page's load cancels (Chromium's favicon fetch, for one) is
    # "aborted": not a failure of the page.
    page.on(
        "requestfailed",
        lambda req: (
            None
            if req.failure == "net::ERR_ABORTED"
            else bad_requests.append(f"failed ({req.failure}): {req.url}")
        ),
    )
    page.on(
        "request",
        lambda req: (
            None
            if urlsplit(req.url).scheme in {"data", "blob"} or urlsplit(req.url).netloc == host
            else bad_requests.append(f"other host: {req.url}")
        ),
    )

    def load(path: str) -> tuple[float, int]:
        # With the HTTP cache disabled, a page loaded in the same tab still took the
        # stylesheets and scripts from the renderer's memory cache (0 bytes transferred);
        # clearing the browser's caches makes every load a first visit.
        cdp.send("Network.clearBrowserCache")
        page.goto(f"{server}/{path}", wait_until="load")
        seconds, transferred = page.evaluate(_TIMING)
        return seconds, transferred

    out = {}
    try:
        for path in site_pages(site):
            errors.clear()
            bad_requests.clear()
            seconds, transferred = load(path)
            out[path] = Visit(
                seconds=seconds,
                transferred=transferred,
                figure_text_problems=page.evaluate(_TEXTS),
                number_alignment=page.evaluate(_NUMBER_ALIGNMENT),
                copies=page.evaluate(_COPY_ALL),
                notebook_buttons=page.locator("clipboard-copy").count(),
                heading=page.locator("h1").first.inner_text(),
                errors=list(errors),
                bad_requests=list(bad_requests),
            )
        for path, visit in out.items():
            for _ in range(2):
                if visit.seconds <= FAST_SECONDS:
                    break
                seconds, transferred = load(path)
                visit.seconds = min(visit.seconds, seconds)
                visit.transferred = max(visit.transferred, transferred)
    finally:
        context.close()
    return out


# Typed into the search box after the visits: the benchmark, and queries that tests of
# test_search.py look at more closely.
EXTRA_QUERIES = ("非极大值抑制", "mode collapse", "模式崩溃", "beam search")


@dataclass
class Results:
    pages: list[str]  # result pages, best first, as paths from the site root
    titles: list[str]  # every title in the result list (pages and their sections)


@dataclass
class Reading:
    visits: dict[str, Visit]  # by page path ("detection/iou/"; "" for home)
    searches: dict[str, Results]  # by query


def search_all(chromium: Browser, server: str, queries: list[str]) -> dict[str, Results]:
    """Enter each query into the search box of the home page at once (as an input method
    commits a phrase: one search per query, half the time of typing each key, with the same
    results; ``test_search.py`` types some key by key); collect the results."""
    context = chromium.new_context(viewport={"width": 1280, "height": 900}, reduced_motion="reduce")
    try:
        box = SearchBox(context.new_page())
        box.open(server + "/")
        out = {}
        for query in queries:
            box.fill(query)
            out[query] = Results(box.pages(), box.titles())
    finally:
        context.close()
    return out


CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


def read_site(site: Path) -> Reading:
    """Serve ``site`` on a free port and read it in a headless Chromium of its own."""
    queries = [q for q, _, _ in CHINESE] + [q for q, _ in FIRST] + list(EXTRA_QUERIES)
    with serve(site) as base, sync_playwright() as playwright:
        server = base.rstrip("/")
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS, headless=True)
        try:
            visits = visit_every_page(chromium, server, site)
            searches = search_all(chromium, server, list(dict.fromkeys(queries)))
        finally:
            chromium.close()
    return Reading(visits, searches)


_READING: list[concurrent.futures.Future[Reading]] = []


def start(site: Path) -> concurrent.futures.Future[Reading]:
    """Start reading ``site`` in a background thread (once); the future gives the reading."""
    if not _READING:
        pool = concurrent.futures.ThreadPoolExecutor(max_workers=1)
        _READING.append(pool.submit(read_site, site))
        pool.shutdown(wait=False)
    return _READING[0]
