"""MkDocs hooks: the generated topic map and glossary, page code, server-side math, footer.

* The navigation is built by ``tools/nav.py`` (bilingual labels, one home per page, reading
  order); the search index is tuned for Chinese by ``tools/search_index.py``.
* Markers in the home page and the glossary (``<!-- topic-map -->``, ``<!-- glossary -->`` …)
  are replaced by Markdown built from ``docs/topics.yml`` (``tools/home.py``,
  ``tools/glossary.py``), so the manifest is written once and shown twice.
* Every ``python`` block of a Markdown page runs at build time and shows its output; blocks
  that show reference functions get a standalone copy (:mod:`tools.page_exec`).
* ``pymdownx.arithmatex`` (generic mode) leaves TeX in ``<span class="arithmatex">``; it is
  turned into MathML here, so pages need no math renderer and no CDN.
* Notebook pages from mkdocs-jupyter are cleaned up by :mod:`tools.notebook_html`. Their
  Markdown cells keep TeX as ``$...$`` and ``$$...$$``, which is turned into MathML too
  (outside ``<pre>``, ``<code>``, ``<script>`` and ``<style>``).

The hooks import ``tools`` and ``reference`` from the repository root, which must be on
``sys.path`` (the nox sessions and the tests set ``PYTHONPATH``; ``python -m mkdocs`` run
from the root works too).
"""

from __future__ import annotations

import html
import os
import posixpath
import re
from pathlib import Path

from latex2mathml.converter import convert as latex_to_mathml
from mkdocs.plugins import event_priority
from mkdocs.structure.files import File, Files, set_exclusions

from reference import __version__
from tools import (
    api_pages,
    home,
    kernel_server,
    notebook_export,
    notebook_html,
    notebook_prerun,
    page_exec,
    search_index,
)
from tools.glossary import glossary
from tools.manifest import load
from tools.nav import build_nav

_INLINE = re.compile(r'<span class="arithmatex">\\\((.+?)\\\)</span>', re.S)
_BLOCK = re.compile(r'<div class="arithmatex">\\\[(.+?)\\\]</div>', re.S)
# CSS of the notebook pages, by file name under the site root, written after the build.
_NOTEBOOK_CSS: dict[str, str] = {}
# Each page as a Jupyter notebook, by path under the site root, written after the build.
_NOTEBOOKS: dict[str, object] = {}
_ICONS = Path(__import__("material").__file__).parent / "templates" / ".icons" / "material"
# Never turned into math: code, scripts, styles, and the hidden text a copy button copies.
_VERBATIM = re.compile(
    r'(<(pre|code|script|style)\b.*?</\2>|<div class="clipboard-copy-txt"[^>]*>.*?</div>)', re.S
)
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
    # Material's offline plugin adds a Web Worker shim from a CDN (unpkg) so that search
    # works from disk; use the site's own shim instead: nothing is loaded from another host.
    polyfills = config.extra.get("polyfills", [])
    if any("iframe-worker" in url for url in polyfills):
        config.extra["polyfills"] = [u for u in polyfills if "iframe-worker" not in u]
        config.extra["polyfills"].append("javascripts/file-worker.js")
    global _SEARCH
    _SEARCH = search_index.Collector(load())
    # Notebook pages run in kernels forked from a warm interpreter: a kernel that imports
    # torch anew costs 2.5 CPU-seconds, more than most notebooks take to run.
    jupyter = config.plugins.get("mkdocs-jupyter")
    # They run while this process renders the other pages, which is the longer task: at a
    # lower priority, two kernels share a core and leave this process the other.
    if jupyter is not None and jupyter.config["execute"]:
        jupyter.config["kernel_name"] = kernel_server.shared_kernel(niceness=5)
    return config


def on_startup(command, dirty):
    api_pages.STATE["dirty"] = dirty  # tools' modules outlive the reloads of this hook module


def on_files(files, config):
    # The notebook pages run in the background from now on (tools/notebook_prerun.py).
    jupyter = config.plugins.get("mkdocs-jupyter")
    if jupyter is not None and jupyter.config["execute"]:
        # mkdocs-jupyter's on_files replaced each notebook page with a new File whose
        # inclusion is undefined, which counts as included: a partial build would run every
        # notebook. Work it out from exclude_docs now, as MkDocs does after this event.
        set_exclusions(files, config)
        dirty = api_pages.STATE.get("dirty")
        notebooks = [
            Path(f.abs_src_path)
            for f in files
            if jupyter.should_include(f)
            and f.inclusion.is_included()
            and (not dirty or f.is_modified())
        ]
        notebook_prerun.install()
        notebook_prerun.start(notebooks, jupyter.config["kernel_name"], Path(config.docs_dir))
        # MkDocs renders pages in the order of `files`: the notebook pages last, so that
        # their kernels run while the other pages render.
        files = Files(sorted(files, key=lambda f: Path(f.abs_src_path or "") in notebooks))
    # The API index is generated from the package, never written by hand. A dirty rebuild of
    # `nox -s serve` keeps the pages it already wrote: they only change with reference/.
    # tools/partial_build.py leaves the index out unless asked (extra.api_index).
    if not config.extra.get("api_index", True):
        return files
    for path, content in api_pages.pages(Path(config.docs_dir)).items():
        file = File.generated(config, path, content=content)
        if api_pages.STATE.get("dirty"):
            file.is_modified = lambda file=file: not Path(file.abs_dest_path).exists()
        files.append(file)
    return files


_CANONICAL = re.compile(r'<link rel="canonical" href="[^"]*">\s*')


def on_post_page(output, page, config):
    # Without SITE_URL, site_url is only a local default: no page claims it as canonical.
    if not os.environ.get("SITE_URL"):
        output = _CANONICAL.sub("", output)
    return output


_SEARCH: search_index.Collector | None = None


@event_priority(50)  # before the search plugin, which strips data-search-exclude from the page
def on_page_context(context, page, config, nav):
    if page.is_homepage:  # every page is rendered by now: copy the cards' figures
        rendered = {p.file.src_uri: p.content for p in nav.pages}
        page.content = home.insert_figures(page.content, rendered)
    _SEARCH.collect(page)
    return context


def _download_link(page) -> str:
    name = posixpath.basename(notebook_export.notebook_name(page.file.dest_uri))
    icon = (_ICONS / "notebook-outline.svg").read_text(encoding="utf-8")
    return (
        f'<a href="{name}" download class="md-content__button md-icon kb-notebook" '
        f'title="Download this page as a Jupyter notebook (runs without the package)">{icon}</a>'
    )


def on_page_markdown(markdown, page, config, files):
    src = page.file.src_uri
    if src not in {"index.md", "glossary.md"} and not src.startswith("api/"):
        target = notebook_export.notebook_name(page.file.dest_uri)
        notebook = notebook_export.page_notebook(Path(config.docs_dir), src, config.site_url)
        _NOTEBOOKS[target] = notebook
    if src.endswith(".md") and "```python" in markdown:
        markdown = page_exec.rewrite(markdown, src)
    if page.file.src_uri in {"index.md", "glossary.md"}:
        topics, src, docs = load(), page.file.src_uri, Path(config.docs_dir)
        markdown = markdown.replace("<!-- start-here -->", home.start_here(docs, src))
        markdown = markdown.replace("<!-- section-cards -->", home.section_cards(topics, docs, src))
        markdown = markdown.replace("<!-- topic-map -->", home.topic_map(topics, src))
        markdown = markdown.replace("<!-- local-use -->", home.local_use(config.repo_url))
        markdown = markdown.replace("<!-- glossary -->", glossary(topics, src))
    return markdown


# latex2mathml keeps the backslash of an escaped character inside \text{} ("output\_padding").
_TEXT_ESCAPE = re.compile(r"\\([_%&#$])")
# ... and sets a function name flush against its argument ("logp"): add TeX's thin space.
_FUNCTION_NAME = re.compile(
    r"(<mi>(?:log|ln|exp|max|min|sin|cos|tan|tanh|arctan|det|arg|sup|inf|lim|softmax)</mi>)"
    r"(?=<(?:mi|mn|msub|msup|msubsup|mrow|mfrac)\b)"
)


def _mathml(tex: str, display: str) -> str:
    tex = html.unescape(tex).strip()
    tex = re.sub(r"\\text\{[^{}]*\}", lambda m: _TEXT_ESCAPE.sub(r"\1", m.group(0)), tex)
    mathml = latex_to_mathml(tex, display=display)
    return _FUNCTION_NAME.sub(r'\1<mspace width="0.1667em"></mspace>', mathml)


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
    if notebook_export.notebook_name(page.file.dest_uri) in _NOTEBOOKS:
        html_text = _download_link(page) + html_text
    if page.file.src_uri.endswith(".py"):  # an executed notebook
        root = posixpath.relpath(".", page.url or ".")
        html_text, css = notebook_html.process(html_text, root)
        _NOTEBOOK_CSS[notebook_html.stylesheet_name(css)] = css
        html_text = _notebook_math(html_text)
    else:
        html_text = page_exec.finish_html(html_text, page.file.src_uri)
    return html_text


def on_post_build(config):
    _SEARCH.write(config.site_dir)  # before the offline plugin (priority -100) copies the index
    for name, notebook in _NOTEBOOKS.items():
        notebook_export.write(notebook, Path(config.site_dir) / name)
    for name, css in _NOTEBOOK_CSS.items():
        target = Path(config.site_dir) / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(css, encoding="utf-8")
