"""MkDocs hooks: the generated topic map and glossary, server-side math, version footer.

* The navigation is built from ``docs/topics.yml`` (section order, then manifest order).
* ``<!-- topic-map -->`` and ``<!-- glossary -->`` in a page are replaced by tables built
  from ``docs/topics.yml``, so the manifest is written once and shown twice.
* ``pymdownx.arithmatex`` (generic mode) leaves TeX in ``<span class="arithmatex">``; it is
  turned into MathML here, so pages need no math renderer and no CDN.
* Notebook pages from mkdocs-jupyter carry a MathJax ``<script>`` from a CDN (removed) and
  random cell ids from jupytext (renumbered, so that two builds are identical). Their
  Markdown cells keep TeX as ``$...$`` and ``$$...$$``, which is turned into MathML too
  (outside ``<pre>``, ``<code>``, ``<script>`` and ``<style>``).
"""

from __future__ import annotations

import html
import posixpath
import re
from pathlib import Path

from latex2mathml.converter import convert as latex_to_mathml

# MkDocs puts this file's directory on sys.path while it loads the hook, so the sibling
# module imports as ``manifest``; ``reference`` is the installed package (or PYTHONPATH).
from manifest import SECTIONS, Topic, load

from reference import __version__

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


def _nav(docs_dir: Path) -> list[dict[str, object]]:
    """Home, a section per topic section (existing pages, in manifest order), glossary."""
    nav: list[dict[str, object]] = [{"Home": "index.md"}]
    topics = load()
    for key, (english, _) in SECTIONS.items():
        pages = dict.fromkeys(t.page for t in topics if t.section == key)  # ordered, unique
        present = [page for page in pages if (docs_dir / page).exists()]
        if present:
            nav.append({english: present})
    nav.append({"Glossary": "glossary.md"})
    return nav


def on_config(config):
    # The navigation is derived from the manifest, so adding a page never means editing
    # mkdocs.yml: a page appears once it exists and a topic in docs/topics.yml points to it.
    config.nav = _nav(Path(config.docs_dir))
    config.copyright = (
        f"Every snippet is embedded from the tested package <code>reference</code> "
        f"version {__version__}; every figure was drawn when this site was built."
    )
    config.extra["reference_version"] = __version__
    return config


def _link(topic: Topic, from_page: str) -> str:
    target = posixpath.relpath(topic.page, posixpath.dirname(from_page) or ".")
    return f"[{topic.title}]({target}#{topic.anchor})"


def _topic_map(topics: list[Topic], page: str) -> str:
    done = sum(t.done for t in topics)
    out = [f"**{done} of {len(topics)} topics are written**; the rest are listed as *planned*.\n"]
    for key, (english, chinese) in SECTIONS.items():
        members = [t for t in topics if t.section == key]
        count = sum(t.done for t in members)
        out.append(f"\n### {english} · {chinese} {{#map-{key}}}\n")
        out.append(f"{count} of {len(members)} written.\n")
        out.append("\n| Topic | 中文 | Status |\n|---|---|---|")
        for t in members:
            name = _link(t, page) if t.done else t.title
            status = ":material-check-circle:{ .kb-done } done" if t.done else "planned"
            out.append(f"| {name} | {t.zh} | {status} |")
        out.append("")
    return "\n".join(out)


def _glossary(topics: list[Topic], page: str) -> str:
    out = ["| English | 中文 | Section |", "|---|---|---|"]
    for t in sorted(topics, key=lambda t: t.title.lower()):
        name = _link(t, page) if t.done else f"{t.title} *(planned)*"
        out.append(f"| {name} | {t.zh} | {SECTIONS[t.section][0]} |")
    return "\n".join(out)


def on_page_markdown(markdown, page, config, files):
    if "<!-- topic-map -->" in markdown or "<!-- glossary -->" in markdown:
        topics = load()
        src = page.file.src_uri
        markdown = markdown.replace("<!-- topic-map -->", _topic_map(topics, src))
        markdown = markdown.replace("<!-- glossary -->", _glossary(topics, src))
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
