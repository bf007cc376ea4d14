"""The notebook pages run in the background while the build renders the other pages.

mkdocs-jupyter executes a notebook page when it renders it, and the build waits, idle,
for the kernel: about 45 s of a build. :func:`start` executes every notebook page that
will be rendered, two kernels at a time, as soon as the build knows its files;
:func:`install` makes nbconvert's execution step, when mkdocs-jupyter reaches the page,
take the finished run of the same cells instead of running them again. The run is the
one nbconvert would have made: same kernel, same working directory, errors not allowed;
an error in a cell fails the build when the page is rendered, as before.
"""

from __future__ import annotations

import concurrent.futures
from pathlib import Path

import jupytext
import nbformat
from nbclient import NotebookClient
from nbconvert.preprocessors import ExecutePreprocessor

from tools.kernel_server import wait_for_shared_kernel

_RUNS: dict[tuple[str, ...], concurrent.futures.Future[nbformat.NotebookNode]] = {}
_POOL = concurrent.futures.ThreadPoolExecutor(max_workers=2)


def _cells(notebook: nbformat.NotebookNode) -> tuple[str, ...]:
    return tuple(cell.source for cell in notebook.cells)


def _run(notebook: nbformat.NotebookNode, kernel: str, cwd: Path) -> nbformat.NotebookNode:
    wait_for_shared_kernel()
    client = NotebookClient(
        notebook,
        kernel_name=kernel,
        allow_errors=False,
        store_widget_state=True,
        resources={"metadata": {"path": str(cwd)}},
    )
    client.execute()
    return notebook


def start(paths: list[Path], kernel: str, cwd: Path) -> None:
    """Execute the jupytext notebooks ``paths`` in the background, the largest first."""
    for path in sorted(paths, key=lambda p: p.stat().st_size, reverse=True):
        notebook = jupytext.read(path)
        key = _cells(notebook)
        if key not in _RUNS:
            _RUNS[key] = _POOL.submit(_run, notebook, kernel, cwd)


def install() -> None:
    """Let nbconvert's ExecutePreprocessor use a background run of the same cells."""
    if getattr(ExecutePreprocessor.preprocess, "kb_prerun", False):
        return
    execute = ExecutePreprocessor.preprocess

    def preprocess(self, nb, resources=None, km=None):  # type: ignore[no-untyped-def]
        run = _RUNS.pop(_cells(nb), None)
        if run is None:
            return execute(self, nb, resources, km)
        done = run.result()  # a failed cell raises here, as it would have in nbconvert
        nb.cells, nb.metadata = done.cells, done.metadata
        return nb, resources if resources is not None else {}

    preprocess.kb_prerun = True  # type: ignore[attr-defined]
    ExecutePreprocessor.preprocess = preprocess  # type: ignore[method-assign]
