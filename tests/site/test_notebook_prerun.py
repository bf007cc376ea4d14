"""A notebook page shows what its download prints: the build runs the download, not the page.

``tools/notebook_prerun.py`` runs a jupytext page's notebook as a reader downloads it (the
package's functions as standalone copies, ``reference`` not importable) and gives the
page's cells its outputs. Checked here on a page of four cells, run in a forked kernel.
"""

from __future__ import annotations

from pathlib import Path

import jupytext
import nbformat
import pytest
from mkdocs.config import load_config
from mkdocs.structure.files import get_files
from nbclient.exceptions import CellExecutionError
from nbconvert.preprocessors import ExecutePreprocessor

from tools import notebook_prerun
from tools.kernel_server import shared_kernel
from tools.partial_build import DOCS, partial_config

_PAGE = """\
# %% [markdown]
# # A page

# %%
from reference.foundations.activations import relu

print(relu.__module__, relu(__import__("torch").tensor([-1.0, 2.0])).tolist())

# %%
6 * 7

# %%
print("one", flush=True)  # sent at once: a second output, unless they are merged
__import__("time").sleep(0.3)
print("two")
"""


def _render(docs: Path, text: str) -> nbformat.NotebookNode:
    """Run the page ``text`` as the build does: its download in the background, then
    nbconvert's execution step as mkdocs-jupyter calls it."""
    path = docs / "section" / "page.py"
    path.parent.mkdir(parents=True)
    path.write_text(text, encoding="utf-8")
    notebook_prerun.install()
    notebook_prerun.start([path], shared_kernel(niceness=10), docs)
    page = jupytext.read(path)
    ExecutePreprocessor(kernel_name="no-such-kernel").preprocess(page, {})
    return page


def test_the_page_shows_the_outputs_of_its_download(tmp_path: Path) -> None:
    page = _render(tmp_path, _PAGE)
    first, second, third = (c for c in page.cells if c.cell_type == "code")
    # the page imports relu from the package; what ran was its standalone copy
    assert first.source.startswith("from reference.foundations.activations import relu")
    assert first.outputs[0]["text"] == "__main__ [0.0, 2.0]\n"
    # numbered as if the page had run alone: the setup cell before it does not count
    assert (first.execution_count, second.execution_count) == (1, 2)
    assert second.outputs[0]["data"]["text/plain"] == "42"
    assert second.outputs[0]["execution_count"] == 2
    # one output per stream, however the kernel happened to send the printing
    assert [(o["name"], o["text"]) for o in third.outputs] == [("stdout", "one\ntwo\n")]


def test_a_download_that_needs_the_package_fails_the_build(tmp_path: Path) -> None:
    with pytest.raises(CellExecutionError, match="ModuleNotFoundError"):
        _render(tmp_path, _PAGE.replace("6 * 7", '__import__("reference")'))


def test_a_setup_that_lets_the_package_in_is_refused() -> None:
    download = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("intro")])
    with pytest.raises(ValueError, match="setup must run WITHOUT_PACKAGE"):
        notebook_prerun.run_download(download, "no-such-kernel", setup="import torch")


def test_a_partial_build_runs_only_the_notebook_pages_it_builds(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """``tools/partial_build.py`` leaves pages out with ``exclude_docs``; the notebook pages
    it leaves out must not run (a one-page rebuild trained every model of the site)."""
    started: list[Path] = []
    monkeypatch.setattr(notebook_prerun, "start", lambda paths, kernel, docs: started.extend(paths))
    notebooks = sorted(DOCS.rglob("*.py"))
    assert DOCS / "foundations" / "tensors.py" in notebooks and len(notebooks) >= 5
    with partial_config(["foundations/tensors.py", "generative"]) as config_file:
        config = load_config(str(config_file))
        config.plugins.on_files(get_files(config), config=config)
    assert sorted(started) == [DOCS / "foundations" / "tensors.py", DOCS / "generative" / "gan.py"]
