"""Post-processing of the HTML that mkdocs-jupyter renders for a notebook page.

* The ~580 KB of JupyterLab CSS that every notebook page inlines goes into one stylesheet
  file, linked from each notebook page, so the browser caches it once.
* The template's MathJax and Mermaid loaders (scripts that would import from a CDN) go.
* jupytext gives cells random ids: they are numbered ``nb-cell-N``, so two builds are
  identical, and the numbers do not collide with the ``cell-N`` ids of the hidden elements
  whose text the copy buttons copy.
* Consecutive chunks of printed text in one output area are merged: how the kernel splits
  a cell's stdout into messages depends on timing, which made builds differ.
"""

from __future__ import annotations

import hashlib
import re

_WRAPPER = '<div class="jupyter-wrapper">'
_STYLE = re.compile(r"<style[^>]*>(.*?)</style>", re.S)
_CDN_SCRIPTS = (
    re.compile(r"<!-- Load mathjax -->.*?<!-- End of mathjax configuration -->", re.S),
    re.compile(r'<script type="module">(?:(?!</script>).)*mermaid.*?</script>', re.S),
)
_CELL_ID = re.compile(r'id="cell-id=[0-9a-f]+"')
_STREAM_HEAD = (
    '<div class="jp-OutputArea-child">\n<div class="jp-OutputPrompt jp-OutputArea-prompt"></div>\n'
    '<div class="jp-RenderedText jp-OutputArea-output" data-mime-type="text/plain" tabindex="0">\n'
)
_STREAM = re.escape(_STREAM_HEAD) + r"<pre>((?:(?!</pre>).)*)</pre>\s*</div>\s*</div>"
_STREAM_RUN = re.compile(rf"(?:{_STREAM}\s*){{2,}}", re.S)
_STREAM_ONE = re.compile(_STREAM, re.S)


def stylesheet_name(css: str) -> str:
    return f"assets/stylesheets/jupyter.{hashlib.sha256(css.encode()).hexdigest()[:10]}.css"


def _merge_streams(html: str) -> str:
    """Merge each run of adjacent printed-text outputs into one ``<pre>``."""

    def merge(run: re.Match[str]) -> str:
        text = "".join(m.group(1) for m in _STREAM_ONE.finditer(run.group(0)))
        return f"{_STREAM_HEAD}<pre>{text}</pre>\n</div>\n</div>\n"

    return _STREAM_RUN.sub(merge, html)


def process(html: str, root: str) -> tuple[str, str]:
    """The notebook page's HTML cleaned up, and the CSS it links to (``root``: path to the site).

    Returns ``(html, css)``; the caller writes ``css`` to ``root/stylesheet_name(css)``.
    """
    head, wrapper, body = html.partition(_WRAPPER)
    if not wrapper:
        raise ValueError("not a notebook page rendered by mkdocs-jupyter")
    css = "\n".join(m.group(1).strip() for m in _STYLE.finditer(head))
    head = _STYLE.sub("", head)
    for pattern in _CDN_SCRIPTS:
        head = pattern.sub("", head)
    link = f'<link rel="stylesheet" href="{root}/{stylesheet_name(css)}">'
    counter = iter(range(1, 100_000))
    body = _CELL_ID.sub(lambda m: f'id="nb-cell-{next(counter)}"', body)
    return link + head + wrapper + _merge_streams(body), css
