"""MkDocs hooks: the generated topic map and glossary, server-side math, version footer.

* The navigation is built by ``tools/nav.py`` (bilingual labels, one home per page, reading
  order); the search index is tuned for Chinese by ``tools/search_index.py``.
* Markers in the home page and the glossary (``<!-- topic-map -->``, ``<!-- glossary -->`` …)
  are replaced by Markdown built from ``docs/topics.yml`` (``tools/home.py``,
  ``tools/glossary.py``), so the manifest is written once and shown twice.
* ``pymdownx.arithmatex`` (generic mode) leaves TeX in ``<span class="arithmatex">``; it is
  turned into MathML here, so pages need no math renderer and no CDN.
* Notebook pages from mkdocs-jupyter carry a MathJax ``<script>`` from a CDN (removed) and
  random cell ids from jupytext (renumbered, so that two builds are identical). Their
  Markdown cells keep TeX as ``$...$`` and ``$$...$$``, which is turned into MathML too
  (outside ``<pre>``, ``<code>``, ``<script>`` and ``<style>``).
"""

from __future__ import annotations

import html
import re
import sys
from pathlib import Path

from latex2mathml.converter import convert as latex_to_mathml
from mkdocs.plugins import event_priority

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from reference import __version__
from tools import home, search_index
from tools.glossary import glossary
from tools.manifest import load
from tools.nav import build_nav

_INLINE = re.compile(r'<span class="arithmatex">\\\((.+?)\\\)</span>', re.S)
_BLOCK = re.compile(r'<div class="arithmatex">\\\[(.+?)\\\]</div>', re.S)
_CELL_ID = re.compile(r'id="cell-id=[0-9a-f]+"')
_NOTEBOOK_MATHJAX = re.compile(
    r"<!-- Load mathjax -->.*?<!-- End of mathjax configuration -->", re.S
)
_VERBATIM = re.compile(r"(<(pre|code|script|style)\b.*?</\2>)", re.S)
_DOLLAR_BLOCK = re.compile(r"\$\$([^$]+?)\$\$")
# $...$ as Markdown math does it: no space just inside the dollars, no digit or word
# character just outside, so "$5 and $6" stays text.
_DOLLAR_INLINE = re.compile(r"(?<![\\$\w])\$(?=\S)([^$<]+?)(?<=\S)\$(?![\w$])")


def on_config(config):
    # The navigation is derived from the manifest and tools/nav.py's reading order, so
    # adding a page never means editing mkdocs.yml.
    config.nav = build_nav(load(), Path(config.docs_dir))
    config.copyright = (
        f"Every snippet is embedded from the tested package <code>reference</code> "
        f"version {__version__}; every figure was drawn when this site was built."
    )
    config.extra["reference_version"] = __version__
    global _SEARCH
    _SEARCH = search_index.Collector(load())
    return config


_SEARCH: search_index.Collector | None = None


@event_priority(50)  # before the search plugin, which strips data-search-exclude from the page
def on_page_context(context, page, config, nav):
    if page.is_homepage:  # every page is rendered by now: copy the cards' figures
        rendered = {p.file.src_uri: p.content for p in nav.pages}
        page.content = home.insert_figures(page.content, rendered)
    _SEARCH.collect(page)
    return context


def on_post_build(config):
    _SEARCH.write(config.site_dir)  # before the offline plugin (priority -100) copies the index


def on_page_markdown(markdown, page, config, files):
    if page.file.src_uri in {"index.md", "glossary.md"}:
        topics, src, docs = load(), page.file.src_uri, Path(config.docs_dir)
        markdown = markdown.replace("<!-- start-here -->", home.start_here(docs, src))
        markdown = markdown.replace("<!-- section-cards -->", home.section_cards(topics, docs, src))
        markdown = markdown.replace("<!-- topic-map -->", home.topic_map(topics, src))
        markdown = markdown.replace("<!-- local-use -->", home.local_use(config.repo_url))
        markdown = markdown.replace("<!-- glossary -->", glossary(topics, src))
    return markdown


def _mathml(tex: str, display: str) -> str:
    return latex_to_mathml(html.unescape(tex).strip(), display=display)


def _notebook_math(html_text: str) -> str:
    """TeX between dollars in a notebook's rendered Markdown, as MathML."""
    parts = _VERBATIM.split(html_text)
    out = []
    # split() with two groups yields: text, whole verbatim element, its tag name, text, ...
    for i in range(0, len(parts), 3):
        text = _DOLLAR_BLOCK.sub(lambda m: _mathml(m.group(1), "block"), parts[i])
        out.append(_DOLLAR_INLINE.sub(lambda m: _mathml(m.group(1), "inline"), text))
        if i + 1 < len(parts):
            out.append(parts[i + 1])
    return "".join(out)


def on_page_content(html_text, page, config, files):
    html_text = _BLOCK.sub(lambda m: _mathml(m.group(1), "block"), html_text)
    html_text = _INLINE.sub(lambda m: _mathml(m.group(1), "inline"), html_text)
    if page.file.src_uri.endswith(".py"):  # an executed notebook
        html_text = _NOTEBOOK_MATHJAX.sub("", html_text)
        html_text = _notebook_math(html_text)
        # jupytext gives cells random ids; number them so that builds are reproducible.
        counter = iter(range(1, 10_000))
        html_text = _CELL_ID.sub(lambda m: f'id="cell-{next(counter)}"', html_text)
    return html_text
