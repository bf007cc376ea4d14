"""Internal links and anchors resolve, and no page loads anything from another host."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

from tests.site.conftest import Build

# Attributes through which a page *loads* something (a plain <a href> to another site is fine).
LOADING = {
    ("script", "src"),
    ("link", "href"),
    ("img", "src"),
    ("iframe", "src"),
    ("source", "src"),
    ("video", "src"),
    ("audio", "src"),
    ("embed", "src"),
    ("object", "data"),
    ("image", "href"),
}


class _Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.ids: set[str] = set()
        self.links: list[str] = []
        self.loads: list[tuple[str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k: v for k, v in attrs if v is not None}
        for key in ("id", "name"):
            if key in values:
                self.ids.add(values[key])
        if tag == "a" and "href" in values:
            self.links.append(values["href"])
        for attr in ("src", "href", "data"):
            if (tag, attr) in LOADING and attr in values:
                if not (tag == "link" and values.get("rel") in {"canonical"}):
                    self.loads.append((tag, values[attr]))


def parse(path: Path) -> _Page:
    page = _Page()
    page.feed(path.read_text(encoding="utf-8"))
    return page


def html_files(site: Path) -> list[Path]:
    return sorted(site.rglob("*.html"))


def test_internal_links_and_anchors_resolve(built: Build) -> None:
    pages = {path: parse(path) for path in html_files(built.site)}
    problems = []
    for path, page in pages.items():
        for href in page.links:
            parts = urlsplit(href)
            if parts.scheme or parts.netloc or href.startswith(("mailto:", "javascript:")):
                continue
            if parts.path.startswith("/"):  # 404.html links from the site root
                target = built.site / unquote(parts.path).lstrip("/")
            else:
                target = (path.parent / unquote(parts.path)).resolve() if parts.path else path
            target = target.resolve()
            if target.is_dir():
                target = target / "index.html"
            if not target.exists():
                problems.append(f"{path.relative_to(built.site)}: broken link {href}")
                continue
            if parts.fragment and target.suffix == ".html":
                ids = pages[target].ids if target in pages else parse(target).ids
                if unquote(parts.fragment) not in ids:
                    problems.append(f"{path.relative_to(built.site)}: missing anchor {href}")
    assert problems == []


def test_no_page_loads_from_another_host(built: Build) -> None:
    problems, stylesheets = [], set()
    for path in html_files(built.site):
        for tag, url in parse(path).loads:
            parts = urlsplit(url)
            if parts.scheme in {"http", "https"} or url.startswith("//"):
                problems.append(f"{path.relative_to(built.site)}: <{tag}> loads {url}")
            elif tag == "link" and parts.path.endswith(".css"):
                base = built.site if parts.path.startswith("/") else path.parent
                stylesheets.add((base / unquote(parts.path).lstrip("/")).resolve())
    assert stylesheets, "no stylesheet found: the parser is broken"
    for css in stylesheets:  # the stylesheets pages use may not pull in fonts or CSS from a CDN
        text = css.read_text(encoding="utf-8")
        for url in re.findall(r"""(?:url\(|@import)\s*['"]?((?:https?:)?//[^'")\s]+)""", text):
            problems.append(f"{css.relative_to(built.site.resolve())}: {url}")
    assert problems == []


def test_math_is_mathml_not_tex(built: Build) -> None:
    iou = (built.site / "detection" / "iou" / "index.html").read_text(encoding="utf-8")
    assert iou.count("<math") >= 5
    assert 'class="arithmatex"' not in iou


def test_notebook_math_is_mathml_not_tex(built: Build) -> None:
    """Notebook Markdown keeps TeX between dollars; the hook turns it into MathML too."""
    page = (built.site / "rl" / "actor-critic" / "index.html").read_text(encoding="utf-8")
    assert page.count('<math xmlns="http://www.w3.org/1998/Math/MathML" display="block"') >= 2
    assert "\\nabla" not in page and "$$" not in page
