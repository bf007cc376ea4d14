"""Kernels forked from tools/kernel_server.py are as fresh as kernels started anew.

The notebook tests and the build rely on it: each kernel is a process of its own, with an
empty namespace (torch is loaded but not imported into it), its own random seeds, the
working directory and environment it was started with, and no ``reference`` beyond what
``PYTHONPATH`` gives.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from tools.kernel_server import KernelServer, shared_kernel, wait_for_shared_kernel

_PROBE = """\
import json, os, random, sys
import numpy
names = sorted(k for k in globals() if not k.startswith("_"))
print(json.dumps({
    "pid": os.getpid(),
    "names": names,
    "cwd": os.getcwd(),
    "marker": os.environ.get("KB_KERNEL_TEST"),
    "torch_loaded": "torch" in sys.modules,
    "random": random.random(),
    "numpy": float(numpy.random.rand()),
}))
"""


def _probe(folder: Path, marker: str, monkeypatch: pytest.MonkeyPatch) -> dict:
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_code_cell(_PROBE)]
    monkeypatch.setenv("KB_KERNEL_TEST", marker)  # the launcher passes on its environment
    kernel = shared_kernel(niceness=10)
    wait_for_shared_kernel()
    NotebookClient(notebook, kernel_name=kernel, resources={"metadata": {"path": folder}}).execute()
    return json.loads(notebook.cells[0].outputs[0]["text"])


def test_each_kernel_is_a_fresh_process(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    first = _probe(tmp_path, "one", monkeypatch)
    second = _probe(Path("/"), "two", monkeypatch)
    assert len({first["pid"], second["pid"], os.getpid()}) == 3
    # torch is preloaded by the server, yet the namespace holds only what the cell imported
    assert first["torch_loaded"]
    ipython = {"In", "Out", "exit", "quit", "get_ipython", "open"}
    assert set(first["names"]) - ipython == {"json", "os", "random", "sys", "numpy"}
    assert (first["cwd"], second["cwd"]) == (str(tmp_path), "/")
    assert (first["marker"], second["marker"]) == ("one", "two")
    assert first["random"] != second["random"]
    assert first["numpy"] != second["numpy"]


def test_the_server_builds_the_font_cache_before_it_accepts_kernels(tmp_path: Path) -> None:
    """On a new machine, a kernel's first ``import matplotlib`` builds the font cache and,
    when that takes over 5 s, warns on stderr: a stray output in the page's notebook (it
    happened on a fresh CI machine). The server has built the cache before any kernel runs."""
    from matplotlib.font_manager import FontManager

    server = KernelServer(env={**os.environ, "MPLCONFIGDIR": str(tmp_path)}, niceness=5)
    try:
        server.wait()
        assert (tmp_path / f"fontlist-v{FontManager.__version__}.json").is_file()
    finally:
        server.close()


def test_a_server_that_cannot_start_says_why(tmp_path: Path) -> None:
    (tmp_path / "torch.py").write_text('raise ImportError("broken on purpose")\n')
    path = os.pathsep.join([str(tmp_path), os.environ.get("PYTHONPATH", "")])
    server = KernelServer(env={**os.environ, "PYTHONPATH": path}, niceness=5)
    try:
        with pytest.raises(RuntimeError, match="exited: ImportError: broken on purpose"):
            server.wait()
    finally:
        server.close()


def test_kernels_keep_no_input_history(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """IPython saves each cell to one SQLite file per profile, from a thread. Kernels that
    run at once share that file, and on a loaded run the thread printed "The history saving
    thread hit an unexpected error" into a cell's output (seen in a full test run). The
    kernels keep no history, so nothing writes that file."""
    monkeypatch.setenv("IPYTHONDIR", str(tmp_path / "ipython"))
    for marker in ("one", "two"):
        _probe(tmp_path, marker, monkeypatch)
    assert not list(tmp_path.rglob("history.sqlite"))
