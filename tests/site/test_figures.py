"""Figures and formulas read well on every page.

* In Chromium at 1280 px, every text of every figure is at least 9 CSS px high and lies
  inside its figure (nothing cut off, nothing spilling over the text around it).
* Figure tables align their numbers to the right.
* No page shows raw TeX, and no formula's MathML carries a literal backslash.
* No embedded image is an opaque white canvas, a white slab in dark mode.
"""

from __future__ import annotations

import base64
import io
import re

from PIL import Image
from playwright.sync_api import Browser

from tests.site.conftest import Build
from tests.site.test_reader import site_pages

MIN_TEXT_PX = 9.0

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


def test_figure_text_is_legible_and_inside_its_figure(
    built: Build, server: str, chromium: Browser
) -> None:
    context = chromium.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    problems = {}
    try:
        for path in site_pages(built.site):
            page.goto(f"{server}/{path}", wait_until="load")
            found = page.evaluate(_TEXTS)
            if found:
                problems[path] = [f"{len(found)} texts", *found[:8]]
    finally:
        context.close()
    assert problems == {}


def test_figure_tables_align_numbers_right(built: Build, server: str, chromium: Browser) -> None:
    pages = [
        p for p in site_pages(built.site) if re.search(r"kb-figure[^>]*><table", _html(built, p))
    ]
    context = chromium.new_context()
    page = context.new_page()
    aligned = []
    try:
        for path in pages:
            page.goto(f"{server}/{path}", wait_until="load")
            aligned += page.eval_on_selector_all(
                "figure.kb-figure table td",
                "cells => cells.filter(c => /^[-−+]?[\\d.,]+%?$/.test(c.textContent.trim()))"
                ".map(c => getComputedStyle(c).textAlign)",
            )
    finally:
        context.close()
    assert aligned and set(aligned) == {"right"}


def _html(built: Build, path: str) -> str:
    return (built.site / path / "index.html").read_text(encoding="utf-8")


_VERBATIM = re.compile(r"<(pre|code|script|style|math|svg|textarea)\b.*?</\1>", re.S)
_TEX = re.compile(r"\\[()\[\]]|\$\$|\\(?:frac|mathrm|operatorname|sum|sqrt|left|right|cdot|log)\b")


def test_no_page_shows_raw_tex(built: Build) -> None:
    leaks = {}
    for page in site_pages(built.site):
        text = re.sub(r"<[^>]+>", " ", _VERBATIM.sub(" ", _html(built, page)))
        found = _TEX.findall(text)
        if found:
            leaks[page] = found[:5]
    assert leaks == {}


def test_mathml_has_no_literal_backslash(built: Build) -> None:
    problems = {}
    for page in site_pages(built.site):
        for math in re.findall(r"<math\b.*?</math>", _html(built, page), re.S):
            text = re.sub(r"<[^>]+>", "", math)
            if "\\" in text:
                problems.setdefault(page, []).append(text.strip()[:60])
    assert problems == {}


def _images(html: str) -> list[Image.Image]:
    data = re.findall(r"data:image/(?:png|webp|jpeg);base64,([A-Za-z0-9+/=\s]+)", html)
    return [Image.open(io.BytesIO(base64.b64decode("".join(d.split())))) for d in data]


def test_no_figure_has_an_opaque_white_canvas(built: Build) -> None:
    """An image whose four corners are opaque white is a white slab in dark mode."""
    white = {}
    for page in site_pages(built.site):
        for index, image in enumerate(_images(_html(built, page))):
            rgba = image.convert("RGBA")
            w, h = rgba.size
            corners = [rgba.getpixel(xy) for xy in [(0, 0), (w - 1, 0), (0, h - 1), (w - 1, h - 1)]]
            if all(c == (255, 255, 255, 255) for c in corners):
                white.setdefault(page, []).append(index + 1)
    assert white == {}


def test_the_site_has_figures(built: Build) -> None:
    """The checks above look at something: the site draws dozens of figures."""
    assert sum(_html(built, p).count('class="kb-figure"') for p in site_pages(built.site)) > 60
