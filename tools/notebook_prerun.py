"""The notebook pages run in the background, once, as the notebooks readers download.

mkdocs-jupyter executes a notebook page when it renders it, and the build waits, idle,
for the kernel. :func:`start` runs every notebook page that will be rendered, two kernels
at a time, as soon as the build knows its files; :func:`install` makes nbconvert's
execution step, when mkdocs-jupyter reaches the page, take the outputs of that run instead
of running the cells again.

What runs is the page's download (:func:`tools.notebook_export.page_notebook`): the
page's cells with each import from ``reference`` replaced by the standalone copy of what
it imports, in a fresh kernel where ``reference`` cannot be imported, in an empty folder,
as on the machine of a reader who only downloaded it. Each cell gives the page's cell,
which imports the same code from the package, its outputs: so the page shows what the
download prints, and a page whose download fails (a cell that raises, a helper missing
from a standalone copy) fails the build. These pages train models; they run once per
build, and the notebook test (``tests/site/test_notebooks.py``) does not run them again.
"""

from __future__ import annotations

import concurrent.futures
import copy
import logging
import shutil
import tempfile
import time
from pathlib import Path

# Imported here, in the build's main thread: jupyter_client imports it when a runner thread
# looks up the kernel, and matplotlib, drawing a figure in the main thread meanwhile, found
# it half-initialised ("partially initialized module 'IPython'", a failed partial build).
import IPython  # noqa: F401
import jupytext
import nbformat
from nbclient import NotebookClient
from nbconvert.preprocessors import ExecutePreprocessor

from tools.kernel_server import wait_for_shared_kernel
from tools.notebook_export import page_notebook

# Run before a download's cells, in place of its introduction (a Markdown cell): an import
# of ``reference`` fails, as it does on a reader's machine.
WITHOUT_PACKAGE = '__import__("sys").modules["reference"] = None'

log = logging.getLogger("mkdocs.hooks.notebooks")  # shown in the build's log

_RUNS: dict[tuple[str, ...], concurrent.futures.Future[nbformat.NotebookNode]] = {}
_POOL = concurrent.futures.ThreadPoolExecutor(max_workers=2)


def _cells(notebook: nbformat.NotebookNode) -> tuple[str, ...]:
    return tuple(cell.source for cell in notebook.cells)


def run_download(
    download: nbformat.NotebookNode, kernel: str, setup: str = WITHOUT_PACKAGE
) -> nbformat.NotebookNode:
    """Execute ``download`` (a page's notebook) in a fresh kernel in an empty folder, with
    ``setup`` (which must include :data:`WITHOUT_PACKAGE`) run first.

    Returns the executed notebook; its first cell is ``setup`` instead of the introduction.
    A cell that raises raises ``nbclient.exceptions.CellExecutionError``.
    """
    if WITHOUT_PACKAGE not in setup:
        raise ValueError(f"setup must run WITHOUT_PACKAGE ({WITHOUT_PACKAGE!r}), got {setup!r}")
    wait_for_shared_kernel()  # a loaded machine may take over a minute to start the server
    run = copy.deepcopy(download)
    run.cells[0] = nbformat.v4.new_code_cell(setup)
    folder = tempfile.mkdtemp(prefix="kb-notebook-")
    try:
        NotebookClient(
            run,
            kernel_name=kernel,
            allow_errors=False,
            store_widget_state=True,
            # One output per stream per cell: how the kernel chunks a cell's printing
            # depends on the machine's load, and the page must not.
            coalesce_streams=True,
            resources={"metadata": {"path": folder}},
        ).execute()
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return run


def _run_page(download: nbformat.NotebookNode, kernel: str, page: str) -> nbformat.NotebookNode:
    began = time.monotonic()
    run = run_download(download, kernel)
    log.info("Ran the notebook of %s without the package (%.1f s)", page, time.monotonic() - began)
    return run


def start(paths: list[Path], kernel: str, docs: Path) -> None:
    """Run the downloads of the jupytext pages ``paths`` (under ``docs``) in the background,
    the largest first."""
    for path in sorted(paths, key=lambda p: p.stat().st_size, reverse=True):
        key = _cells(jupytext.read(path))
        if key not in _RUNS:
            page = path.relative_to(docs).as_posix()
            download = page_notebook(docs, page, "/")
            _RUNS[key] = _POOL.submit(_run_page, download, kernel, page)


def _page_outputs(page: nbformat.NotebookNode, run: nbformat.NotebookNode) -> None:
    """Give each code cell of ``page`` the outputs of its cell in ``run`` (one cell later),
    numbered as if the page had run alone (the setup cell took execution count 1)."""
    for cell, ran in zip(page.cells, run.cells[1:], strict=True):
        if cell.cell_type != "code":
            continue
        cell.outputs = ran.outputs
        cell.execution_count = ran.execution_count - 1
        for output in cell.outputs:
            if output.get("execution_count") is not None:
                output.execution_count -= 1
    for key in ("language_info", "widgets"):
        if key in run.metadata:
            page.metadata[key] = run.metadata[key]


def install() -> None:
    """Let nbconvert's ExecutePreprocessor take the outputs of a background run of the page."""
    if getattr(ExecutePreprocessor.preprocess, "kb_prerun", False):
        return
    execute = ExecutePreprocessor.preprocess

    def preprocess(self, nb, resources=None, km=None):  # type: ignore[no-untyped-def]
        run = _RUNS.pop(_cells(nb), None)
        if run is None:
            return execute(self, nb, resources, km)
        _page_outputs(nb, run.result())  # a failed cell raises here, and fails the build
        return nb, resources if resources is not None else {}

    preprocess.kb_prerun = True  # type: ignore[attr-defined]
    ExecutePreprocessor.preprocess = preprocess  # type: ignore[method-assign]
