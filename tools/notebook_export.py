"""Every page as a Jupyter notebook that runs without the ``reference`` package.

A Markdown page becomes: its prose as Markdown cells (Material-only syntax turned into
plain Markdown, TeX between dollars, links to the site) and each block of code it shows as
a code cell, with the reference functions it shows or imports written out by their
standalone copy (:mod:`tools.standalone`). Figures drawn by hidden code are left out: they
are on the page. A jupytext notebook page keeps its cells, with the same treatment of its
imports from ``reference``. The first cell says where the notebook comes from and which
packages it needs.
"""

from __future__ import annotations

import ast
import posixpath
import re
import sys
from pathlib import Path

import jupytext
import nbformat

from tools.page_code import fences, imported_from_reference, standalone_version

# Top-level modules the code may import, and the PyPI package that provides each.
PACKAGES = {
    "torch": "torch",
    "torchvision": "torchvision",
    "numpy": "numpy",
    "matplotlib": "matplotlib",
    "cv2": "opencv-python",
    "scipy": "scipy",
    "skimage": "scikit-image",
    "pycocotools": "pycocotools",
    "torchmetrics": "torchmetrics",
    "PIL": "pillow",
    "IPython": "ipython",
    "cycler": "cycler",
}

_ADMONITION = re.compile(
    r'^(?P<indent>[ \t]*)(?:!!!|\?\?\?\+?)[ \t]+\w+(?:[ \t]+"(?P<title>[^"]*)")?[ \t]*$'
)
_TAB = re.compile(r'^(?P<indent>[ \t]*)===\+?[ \t]+"(?P<title>[^"]*)"[ \t]*$')
_HEADING_ATTRS = re.compile(r"^(#{1,6} .*?)[ \t]*\{[^}\n]*\}[ \t]*$", re.M)
_HTML_BLOCK_LINE = re.compile(r"^[ \t]*</?div\b[^>]*>[ \t]*$", re.M)
_COMMENT = re.compile(r"<!--.*?-->", re.S)
_LINK = re.compile(r"\]\((?P<target>[^)\s]+\.md)(?P<anchor>#[^)\s]*)?\)")


def _plain_markdown(text: str, page: str, site_url: str) -> str:
    """Material's admonitions, tabs, attribute lists and TeX delimiters as Jupyter Markdown."""
    text = _COMMENT.sub("", text)
    text = _HTML_BLOCK_LINE.sub("", text)
    text = _HEADING_ATTRS.sub(r"\1", text)
    out: list[str] = []
    # Inside an admonition or a tab, the body is indented by four spaces; in Jupyter that
    # would be a code block. Dedent it; an admonition's body becomes a block quote.
    body_indent: str | None = None
    quote = ""
    for line in text.split("\n"):
        if body_indent is not None and line.strip() and not line.startswith(body_indent):
            body_indent, quote = None, ""
        if match := _ADMONITION.match(line):
            body_indent, quote = match["indent"] + "    ", "> "
            out.append(f"> **{match['title']}**" if match["title"] else ">")
        elif match := _TAB.match(line):
            body_indent, quote = match["indent"] + "    ", ""
            out.append(f"**{match['title']}**")
        else:
            if body_indent is not None and line.startswith(body_indent):
                line = line[len(body_indent) :]
            out.append(f"{quote}{line}".rstrip() if quote else line)
    text = "\n".join(out)
    text = re.sub(r"\\\((.+?)\\\)", lambda m: f"${m[1].strip()}$", text, flags=re.S)
    text = re.sub(r"\\\[(.+?)\\\]", lambda m: f"$${m[1].strip()}$$", text, flags=re.S)

    def link(match: re.Match[str]) -> str:
        target = posixpath.normpath(posixpath.join(posixpath.dirname(page), match["target"]))
        url = site_url.rstrip("/") + "/" + target.removesuffix(".md").removesuffix("index") + "/"
        return f"]({url.replace('//', '/').replace(':/', '://')}{match['anchor'] or ''})"

    text = _LINK.sub(link, text)
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def _requirements(cells: list[str]) -> list[str]:
    needed = set()
    for code in cells:
        for node in ast.walk(ast.parse(code)):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                names = [node.module]
            for name in names:
                top = name.split(".")[0]
                if top in PACKAGES:
                    needed.add(PACKAGES[top])
                elif top not in sys.stdlib_module_names:
                    raise ValueError(
                        f"no PyPI package known for module {top!r}: add it to PACKAGES"
                    )
    return sorted(needed)


def _intro(title: str, url: str, code: list[str]) -> str:
    packages = " ".join(_requirements(code))
    return (
        f"> This notebook is the page [{title}]({url}) of *Deep learning, tested*, generated "
        "when the site was built: its prose and every block of code it shows, in order. The "
        "functions of the site's `reference` package come with every helper and import they "
        "need, so the notebook runs without the package; figures drawn by the site are on "
        "the page." + (f" It needs `pip install {packages}`." if packages else "")
    )


def markdown_page(source: str, page: str, title: str, site_url: str) -> nbformat.NotebookNode:
    """A Markdown page (``page`` its path under docs/) as a notebook."""
    cells: list[nbformat.NotebookNode] = []
    code: list[str] = []
    position = 0
    shown = 0
    for fence in fences(source):
        prose = _plain_markdown(source[position : fence.start], page, site_url)
        position = fence.end
        if prose:
            cells.append(nbformat.v4.new_markdown_cell(prose))
        if not fence.shown:
            continue
        shown += 1
        text = fence.standalone_code().strip()
        if text:
            code.append(text)
            cells.append(nbformat.v4.new_code_cell(text, metadata={"kb": {"block": shown}}))
    prose = _plain_markdown(source[position:], page, site_url)
    if prose:
        cells.append(nbformat.v4.new_markdown_cell(prose))
    return _notebook(cells, title, _page_url(page, site_url), code)


def jupytext_page(path: Path, page: str, title: str, site_url: str) -> nbformat.NotebookNode:
    """A jupytext notebook page, its imports from ``reference`` replaced by standalone copies."""
    notebook = jupytext.read(path)
    cells: list[nbformat.NotebookNode] = []
    code: list[str] = []
    for cell in notebook.cells:
        if cell.cell_type == "code":
            targets = imported_from_reference(cell.source)
            text = standalone_version(cell.source, targets).strip() if targets else cell.source
            code.append(text)
            cells.append(nbformat.v4.new_code_cell(text))
        else:
            cells.append(nbformat.v4.new_markdown_cell(cell.source))
    return _notebook(cells, title, _page_url(page, site_url), code)


_H1 = re.compile(r"^# (.+?)(?:\s*\{[^}]*\})?\s*$", re.M)


def page_notebook(docs: Path, page: str, site_url: str) -> nbformat.NotebookNode:
    """The notebook of the page ``page`` (its path under ``docs``), by the kind of page."""
    path = docs / page
    text = path.read_text(encoding="utf-8")
    # A jupytext page's Markdown lines start with "# ".
    heading = _H1.search(re.sub(r"^# ", "", text, flags=re.M) if page.endswith(".py") else text)
    title = heading.group(1) if heading else path.stem
    if page.endswith(".py"):
        return jupytext_page(path, page, title, site_url)
    return markdown_page(text, page, title, site_url)


def _page_url(page: str, site_url: str) -> str:
    return site_url.rstrip("/") + "/" + page.rsplit(".", 1)[0].removesuffix("index") + "/"


def _notebook(
    cells: list[nbformat.NotebookNode], title: str, url: str, code: list[str]
) -> nbformat.NotebookNode:
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_markdown_cell(_intro(title, url, code)), *cells]
    notebook.metadata = {
        "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
        "language_info": {"name": "python"},
    }
    for index, cell in enumerate(notebook.cells):
        cell["id"] = f"cell-{index}"  # stable ids: two builds write the same file
    nbformat.validate(notebook)
    return notebook


def write(notebook: nbformat.NotebookNode, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(nbformat.writes(notebook) + "\n", encoding="utf-8")


def notebook_name(dest_uri: str) -> str:
    """The notebook's path beside its page: ``detection/iou/index.html`` → ``…/iou/iou.ipynb``."""
    directory, name = posixpath.split(dest_uri)
    stem = posixpath.basename(directory) if name == "index.html" else name.removesuffix(".html")
    return posixpath.join(directory, (stem or "home") + ".ipynb")
