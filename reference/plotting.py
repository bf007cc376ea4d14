"""One small plotting helper for every page: a shared style and figure-to-HTML output.

Figures are inline SVG. Text, axes and ticks are drawn in a sentinel colour that is then
replaced by ``currentColor`` (and grid lines by Material's faint foreground variable), so
one SVG reads well in both the light and the dark theme. Output is deterministic: a
fixed ``svg.hashsalt`` and no date in the metadata, so two builds give identical pages.

Figures are ``matplotlib.figure.Figure`` objects made without ``pyplot``: no backend is
chosen or switched (a notebook's inline backend stays as it is), and no figure is kept
in pyplot's registry.
"""

from __future__ import annotations

import base64
import hashlib
import io
import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import matplotlib as mpl
import numpy as np
from cycler import cycler
from matplotlib.figure import Figure
from PIL.Image import Image as PILImage

__all__ = ["COLORS", "INK", "figure", "figure_html", "image_html", "table_html"]

# Mid-tone colours that keep their contrast on white and on Material's slate background.
COLORS = ["#3b82f6", "#f97316", "#10b981", "#e11d48", "#8b5cf6", "#eab308", "#06b6d4", "#64748b"]
INK = "#010203"  # becomes currentColor
_GRID = "#020304"  # becomes Material's faint foreground colour

_STYLE: dict[str, object] = {
    "axes.prop_cycle": cycler(color=COLORS),
    "axes.edgecolor": INK,
    "axes.labelcolor": INK,
    "axes.facecolor": "none",
    "axes.grid": True,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "figure.facecolor": "none",
    "grid.color": _GRID,
    "grid.linewidth": 0.6,
    "legend.frameon": False,
    "text.color": INK,
    "xtick.color": INK,
    "ytick.color": INK,
    "font.size": 10,
    "font.family": "sans-serif",
    "svg.fonttype": "none",  # real text: selectable, searchable, in the page's font
    "svg.hashsalt": "deep-learning-tested",
    "image.cmap": "viridis",
}


@contextmanager
def figure(
    nrows: int = 1, ncols: int = 1, *, figsize: tuple[float, float] | None = None, **kwargs: Any
) -> Iterator[tuple[Figure, Any]]:
    """A figure and its axes under the site style, as ``plt.subplots`` returns them.

    Args:
        nrows: rows of axes.
        ncols: columns of axes.
        figsize: ``(width, height)`` in inches.
        **kwargs: passed on to ``Figure.subplots`` (``sharey``, ``subplot_kw`` ...).

    Yields:
        (Figure, Axes or array of Axes): draw, then pass the figure to :func:`figure_html`.
    """
    with _style():
        fig = Figure(figsize=figsize, layout="constrained")
        yield fig, fig.subplots(nrows, ncols, **kwargs)


@contextmanager
def _style() -> Iterator[None]:
    with mpl.rc_context(_STYLE):  # type: ignore[arg-type]
        yield


# A scatter of more points than this is drawn as an image inside the SVG: thousands of
# vector markers make a page slow to lay out and heavy to download.
RASTER_POINTS = 500


def _svg(fig: Figure) -> str:
    for ax in fig.axes:
        for collection in ax.collections:
            if np.shape(collection.get_offsets())[0] > RASTER_POINTS:
                collection.set_rasterized(True)
    buffer = io.StringIO()
    # dpi sets the resolution of images and rasterized parts: at 100, one pixel per CSS
    # pixel of the figure at its natural size.
    with _style():  # the SVG writer reads svg.fonttype and svg.hashsalt when saving
        fig.savefig(
            buffer,
            format="svg",
            dpi=100,
            bbox_inches="tight",  # cropped to what is drawn, with a margin for the browser's
            pad_inches=0.06,  # font, which may be a little wider than matplotlib measured
            metadata={"Date": None, "Creator": None},
        )
    svg = buffer.getvalue()
    svg = svg[svg.index("<svg") :]  # drop the XML prolog and doctype: this is inline HTML
    svg = svg.replace(INK, "currentColor").replace(_GRID, "var(--md-default-fg-color--lightest)")
    return _unique_ids(_EMBEDDED_PNG.sub(_as_webp, svg))


_EMBEDDED_PNG = re.compile(r"data:image/png;base64,([A-Za-z0-9+/=\s]+)")


def _as_webp(match: re.Match[str]) -> str:
    """An image that matplotlib embedded as PNG, as WebP (see ``_webp``)."""
    from PIL import Image

    image = Image.open(io.BytesIO(base64.b64decode("".join(match[1].split()))))
    return "data:image/webp;base64," + base64.b64encode(_webp(image)).decode("ascii")


def _webp(image: PILImage) -> bytes:
    """A PIL image as WebP: lossy (quality 90) where that halves it, else lossless.

    Photographs and smooth images shrink five- to tenfold at quality 90, which keeps noise
    and edges visible; flat images (masks, labels) stay lossless.
    """
    lossy, lossless = io.BytesIO(), io.BytesIO()
    image.save(lossy, format="WEBP", method=4, quality=90)
    image.save(lossless, format="WEBP", method=4, lossless=True)
    small = lossy if 2 * lossy.tell() < lossless.tell() else lossless
    return small.getvalue()


_SVG_ID = re.compile(r'\bid="([^"]+)"')


def _unique_ids(svg: str) -> str:
    """Prefix every id of an SVG (and the references to it) with a hash of the SVG.

    matplotlib numbers ids from ``figure_1`` in every figure, and ids must be unique on a
    page that shows several figures inline; the hash keeps the output reproducible. An
    image drawn twice in one figure gets the same id twice: later copies are numbered.
    """
    prefix = "f" + hashlib.sha1(svg.encode()).hexdigest()[:8] + "-"
    ids = set(_SVG_ID.findall(svg))
    if not ids:
        return svg
    names = "|".join(re.escape(i) for i in sorted(ids, key=len, reverse=True))
    svg = re.sub(rf"#({names})(?=[\"')])", lambda m: f"#{prefix}{m[1]}", svg)
    seen: dict[str, int] = {}

    def rename(match: re.Match[str]) -> str:
        seen[match[1]] = seen.get(match[1], 0) + 1
        suffix = f"-{seen[match[1]]}" if seen[match[1]] > 1 else ""
        return f'id="{prefix}{match[1]}{suffix}"'

    return re.sub(rf'\bid="({names})"', rename, svg)


def figure_html(fig: Figure, caption: str = "", timing: bool = False) -> str:
    """A figure as inline SVG in a ``<figure>``: ``print`` it in a ``markdown-exec`` block.

    Args:
        fig: the figure.
        caption: the text under it.
        timing: marks a figure of measured run times, the one output that differs from
            build to build: it is left out of the search index, and the reproducibility
            test skips it.

    Returns:
        The HTML.
    """
    return _wrap(_svg(fig), caption, " data-kb-timing data-search-exclude" if timing else "")


def image_html(image: np.ndarray, caption: str = "", width: int | None = None) -> str:
    """A uint8 image as an embedded WebP in a ``<figure>``.

    Args:
        image (ndarray[H, W] or ndarray[H, W, 3]): grey or RGB, uint8.
        caption: the text under it (also the ``alt`` text).
        width: displayed width in CSS pixels; the image's own by default.

    Returns:
        The HTML.
    """
    from PIL import Image

    data = base64.b64encode(_webp(Image.fromarray(np.asarray(image)))).decode("ascii")
    size = f' width="{width}"' if width else ""
    return _wrap(f'<img alt="{caption}" src="data:image/webp;base64,{data}"{size}>', caption)


def table_html(header: Sequence[str], rows: Sequence[Sequence[object]], caption: str = "") -> str:
    """A small HTML table (numbers right-aligned) in a ``<figure>``.

    Args:
        header: the column titles.
        rows: the cells, row by row.
        caption: the text under it.

    Returns:
        The HTML.
    """
    head = "".join(f"<th>{h}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{cell}</td>" for cell in row) + "</tr>" for row in rows)
    return _wrap(f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>", caption)


def _wrap(content: str, caption: str, attributes: str = "") -> str:
    # data-kb-exec marks output that a build-time block produced; a site test counts them.
    cap = f"<figcaption>{caption}</figcaption>" if caption else ""
    return f'<figure class="kb-figure" data-kb-exec{attributes}>{content}{cap}</figure>'
