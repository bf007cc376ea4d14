"""Each page's "download as notebook" runs in a fresh Jupyter kernel without the package.

Each Markdown page's notebook is executed with nbclient in a fresh kernel, in an empty
folder, where ``reference`` cannot be imported, as on the machine of a reader who only
downloaded it. Every code cell must print exactly what the page shows under the same
block: the standalone copies of the package's functions give the package's result. Every
public function a page shows must be called by one of the page's examples, so that this
comparison covers it.

A notebook page (jupytext ``.py``) is not run here: the build ran its download in the same
way to render it (:mod:`tools.notebook_prerun`), so the page shows what the download
prints, and a download that fails fails the build. The test checks that the build says so.

The notebooks are generated from the page sources as the build generates them, and run
while the site builds; each test first checks that the notebook the build wrote beside the
page has the same code. Kernels are forked from a server that has imported torch
(:mod:`tools.kernel_server`): each is still a new process with an empty namespace.
"""

from __future__ import annotations

import concurrent.futures
import json
import os
from pathlib import Path

import nbformat
import pytest

from tests.site.conftest import BUILD_ENV, DOCS, Build, built_html, page_sources
from tests.site.test_page_code import page_outputs, shown_cells
from tools.kernel_server import shared_kernel
from tools.notebook_export import notebook_name, page_notebook
from tools.notebook_prerun import WITHOUT_PACKAGE, run_download

PAGES = [
    p for p in page_sources() if p.relative_to(DOCS).as_posix() not in {"index.md", "glossary.md"}
]

# Run first in every notebook (in place of its introduction): no `reference`, a random
# torch seed (an example that prints random numbers without seeding shows up as a
# mismatch), and a record of the functions defined in the notebook that run; no name is
# bound but `_kb_…`, so a notebook that forgets an import still fails.
_SETUP = f"""\
__import__("torch").seed()
{WITHOUT_PACKAGE}
_kb_called = set()
def _kb_profile(frame, event, arg):
    if event == "call" and frame.f_globals.get("__name__") == "__main__":
        _kb_called.add(frame.f_code.co_qualname)
__import__("sys").setprofile(_kb_profile)
"""
_REPORT = '__import__("sys").setprofile(None)\nprint(__import__("json").dumps(sorted(_kb_called)))'


def _ids(source: Path) -> str:
    return source.relative_to(DOCS).as_posix()


def _notebook_path(built: Build, source: Path) -> Path:
    html = built_html(built.site, source).relative_to(built.site).as_posix()
    return built.site / notebook_name(html)


def _execute(notebook: nbformat.NotebookNode, kernel: str) -> nbformat.NotebookNode:
    notebook.cells.append(nbformat.v4.new_code_cell(_REPORT))
    return run_download(notebook, kernel, setup=_SETUP)


_EXECUTION: dict[str, concurrent.futures.Future[nbformat.NotebookNode]] = {}
_POOL = concurrent.futures.ThreadPoolExecutor(max_workers=2)


def start_execution() -> None:
    """Execute every page's notebook, two kernels at a time, in the background."""
    if _EXECUTION:
        return
    os.environ.update(BUILD_ENV)  # kernels inherit it: torch on one thread, as in the build
    kernel = shared_kernel(niceness=10)  # the build comes first
    for source in PAGES:
        if source.suffix != ".md":  # the build runs the notebook pages' downloads
            continue
        notebook = page_notebook(DOCS, _ids(source), "http://127.0.0.1:8000/")
        _EXECUTION[_ids(source)] = _POOL.submit(_execute, notebook, kernel)


def stop_execution() -> None:
    """Drop the notebooks not started yet (a session that ends early does not wait for them)."""
    _POOL.shutdown(wait=False, cancel_futures=True)


@pytest.fixture(scope="session")
def executed() -> dict[str, concurrent.futures.Future[nbformat.NotebookNode]]:
    start_execution()
    return _EXECUTION


def _code(notebook: nbformat.NotebookNode) -> list[str]:
    return [cell.source for cell in notebook.cells if cell.cell_type == "code"]


def _stdout(cell: nbformat.NotebookNode) -> str:
    return "".join(
        o.get("text", "") for o in cell.outputs if o.output_type == "stream" and o.name == "stdout"
    )


def _normalise(text: str) -> str:
    return "\n".join(line.rstrip() for line in text.strip("\n").splitlines())


@pytest.mark.parametrize("source", PAGES, ids=_ids)
def test_every_page_links_its_notebook(built: Build, source: Path) -> None:
    path = _notebook_path(built, source)
    notebook = nbformat.read(path, as_version=4)
    nbformat.validate(notebook)
    assert "runs without the package" in " ".join(notebook.cells[0].source.split())
    html = built_html(built.site, source).read_text(encoding="utf-8")
    assert f'href="{path.name}" download' in html
    if source.suffix == ".md":
        blocks = [f for f in shown_cells(source) if not f.html_output]
        code = [c for c in notebook.cells if c.cell_type == "code"]
        assert len(code) == len(blocks)


@pytest.mark.parametrize("source", PAGES, ids=_ids)
def test_the_notebook_runs_without_the_package_and_prints_what_the_page_shows(
    built: Build, executed: dict, source: Path
) -> None:
    downloaded = nbformat.read(_notebook_path(built, source), as_version=4)
    if source.suffix != ".md":  # run by the build, which rendered the page from its outputs
        generated = page_notebook(DOCS, _ids(source), "http://127.0.0.1:8000/")
        assert _code(generated) == _code(downloaded), "the build wrote another notebook"
        if built.log:  # not with KB_SITE, a build made elsewhere
            assert f"Ran the notebook of {_ids(source)} without the package" in built.log
        return
    result = executed[_ids(source)].result(timeout=1800)
    assert _code(result)[1:-1] == _code(downloaded), "the build wrote another notebook"
    called = set(json.loads(_stdout(result.cells[-1])))
    shown = page_outputs(built, source)
    assert len(shown) == len(shown_cells(source)), "every shown block is a kb-cell on the page"
    for cell in result.cells[1:-1]:
        block = cell.get("metadata", {}).get("kb", {}).get("block")
        if cell.cell_type != "code" or block is None or shown[block - 1] is None:
            continue
        assert _normalise(_stdout(cell)) == _normalise(shown[block - 1]), f"block {block}"
    public = {name for fence in shown_cells(source) for _, name in fence.shown_public()}
    ran = {
        name for name in public if name in called or any(q.startswith(name + ".") for q in called)
    }
    assert public <= ran, f"shown but never called by an example: {sorted(public - ran)}"
