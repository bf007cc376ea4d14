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

from tests.site.conftest import Build
from tests.site.reader import Visit, site_pages


def test_figure_text_is_legible_and_inside_its_figure(visits: dict[str, Visit]) -> None:
    problems = {
        path: [f"{len(v.figure_text_problems)} texts", *v.figure_text_problems[:8]]
        for path, v in visits.items()
        if v.figure_text_problems
    }
    assert problems == {}


def test_figure_tables_align_numbers_right(visits: dict[str, Visit]) -> None:
    aligned = [a for v in visits.values() for a in v.number_alignment]
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
