"""The code a page shows is the code a reader gets: it runs, prints what the page shows, copies.

* Each page's shown blocks, run cell by cell in one namespace in a fresh interpreter (as
  a reader's notebook runs them), print exactly the output the built page shows under them.
* The same page with every block that shows reference functions replaced by its standalone
  copy, run where ``reference`` cannot be imported, prints the same; every public function
  a page shows is called by the page's examples, so each standalone copy is checked
  against the package's result.
* No element id appears twice on a page.
"""

from __future__ import annotations

import ast
import collections
import json
import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from tests.site.conftest import BUILD_ENV, DOCS, ROOT, Build, built_html, page_sources
from tools.page_code import Fence, fences
from tools.standalone import standalone

RUNNER = Path(__file__).with_name("run_cells.py")
PAGES = [
    p
    for p in page_sources()
    if p.suffix == ".md" and any(f.shown for f in fences(p.read_text(encoding="utf-8")))
]

# Public functions shown on a page that no example on that page calls yet: a list that
# only shrinks (a test below fails when an entry is called after all).
NOT_YET_CALLED: dict[str, set[str]] = {
    "attention/overview.md": {
        "AdditiveSimilarity",
        "cosine_similarity",
        "hard_attention",
        "local_attention",
    },
    "cnn/conv-variants.md": {"DepthwiseSeparableConv2d"},
    "cnn/convolution.md": {"conv_transpose_output_size"},
    "detection/feature-pyramids.md": {"fpn_level"},
    "detection/iou.md": {"box_area", "complete_box_iou", "distance_box_iou", "generalized_box_iou"},
    "detection/nms.md": {"kl_box_loss"},
    "foundations/activations.md": {
        "elu",
        "elu_derivative",
        "leaky_relu",
        "leaky_relu_derivative",
        "relu",
        "relu_derivative",
        "sigmoid",
        "sigmoid_derivative",
        "tanh",
        "tanh_derivative",
    },
    "foundations/gradients.md": {
        "clip_grad_norm_per_tensor_",
        "clip_grad_value_",
        "layer_gradient_norms",
    },
    "foundations/information.md": {"information_content"},
    "image/filters.md": {"gamma_correct", "median_blur", "min_filter"},
    "image/opencv.md": {"gradient_magnitude"},
    "image/pyramids.md": {"blend"},
    "training/losses.md": {
        "binary_cross_entropy_with_logits",
        "l1_loss",
        "mse_loss",
        "sigmoid_focal_loss",
        "smooth_l1_loss",
    },
    "training/memory.md": {"optimizer_state_bytes"},
    "training/optimizers.md": {"Adadelta", "Adagrad", "Adam", "AdamW", "RMSprop", "SGD"},
    "training/regularization.md": {"DropConnect", "l1_penalty", "l2_penalty", "spatial_dropout"},
    "training/schedules.md": {"cyclic_lr", "exponential_lr", "reduce_lr_on_plateau", "step_lr"},
}


@dataclass
class Cell:
    fence: Fence
    code: str

    @property
    def html_output(self) -> bool:
        return self.fence.executed_at_build and self.fence.options.get("html") in {
            "1",
            "on",
            "true",
        }


def shown_cells(source: Path) -> list[Cell]:
    return [Cell(f, f.code) for f in fences(source.read_text(encoding="utf-8")) if f.shown]


def standalone_cell(cell: Cell) -> str:
    """A cell as a reader who copied the standalone blocks has it.

    Its public functions come from their standalone copy; its imports from ``reference``
    (the shared checks and helpers a readable block leans on) are gone.
    """
    if cell.html_output:
        return ""  # shown plotting code draws with the site's own helper, reference.plotting
    targets = cell.fence.standalone_targets()
    if not targets and not cell.fence.snippets():
        return cell.code
    block = standalone(targets) if targets else None
    defined = {d.name for d in block.definitions} if block else set()
    kept = []
    for node in ast.parse(cell.code).body:
        if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] in {
            "reference",
            "__future__",
        }:
            continue
        names = {getattr(node, "name", None)} | {
            t.id for t in getattr(node, "targets", []) if isinstance(t, ast.Name)
        }
        if names & defined:
            continue
        kept.append(ast.get_source_segment(cell.code, node) or "")
    return (block.text() if block else "") + "\n\n" + "\n\n".join(kept)


class Runs:
    """Both runs of every page, each in one fresh interpreter, started in the background."""

    def __init__(self) -> None:
        self._procs = {
            mode: subprocess.Popen(
                [sys.executable, str(RUNNER)],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                cwd=ROOT,
                env=os.environ | BUILD_ENV | {"MPLBACKEND": "Agg"},
            )
            for mode in ("package", "standalone")
        }
        self._requests = {
            "package": {
                "block_reference": False,
                "pages": {
                    _ids(p): {"cells": [c.code for c in shown_cells(p)], "track": []} for p in PAGES
                },
            },
            "standalone": {
                "block_reference": True,
                "pages": {
                    _ids(p): {
                        "cells": [standalone_cell(c) for c in shown_cells(p)],
                        "track": _shown_public(p),
                    }
                    for p in PAGES
                },
            },
        }
        self._results: dict[str, dict] = {}

    def result(self, mode: str, page: str) -> dict:
        if mode not in self._results:
            out, err = self._procs[mode].communicate(json.dumps(self._requests[mode]), timeout=1200)
            assert self._procs[mode].returncode == 0, err[-3000:]
            self._results[mode] = json.loads(out)
        return self._results[mode][page]


@pytest.fixture(scope="session")
def runs() -> Runs:
    return Runs()


def page_outputs(built: Build, source: Path) -> list[str | None]:
    """What the built page shows under each shown block: its printed text, or None for HTML."""
    soup = BeautifulSoup(built_html(built.site, source).read_text(encoding="utf-8"), "html.parser")
    out: list[str | None] = []
    for cell in soup.select("div.kb-cell"):
        result = cell.select_one(":scope > div.result code")
        if cell.select_one(".tabbed-set"):
            out.append(None)
        else:
            out.append(result.get_text() if result else "")
    return out


def _normalise(text: str) -> str:
    return "\n".join(line.rstrip() for line in text.strip("\n").splitlines())


def _ids(source: Path) -> str:
    return source.relative_to(DOCS).as_posix()


@pytest.mark.parametrize("source", PAGES, ids=_ids)
def test_blocks_run_as_notebook_cells_and_print_what_the_page_shows(
    runs: Runs, built: Build, source: Path
) -> None:
    cells = shown_cells(source)
    result = runs.result("package", _ids(source))
    assert result["error"] is None, result["error"]
    shown = page_outputs(built, source)
    assert len(shown) == len(cells), "every shown block is wrapped in a kb-cell on the page"
    for index, (cell, printed, on_page) in enumerate(
        zip(cells, result["outputs"], shown, strict=True)
    ):
        if on_page is None or cell.html_output:
            continue
        assert _normalise(printed) == _normalise(on_page), f"block {index + 1}"


def _shown_public(source: Path) -> list[str]:
    return sorted({name for c in shown_cells(source) for _, name in c.fence.shown_public()})


PAGES_WITH_FUNCTIONS = [p for p in PAGES if _shown_public(p)]


@pytest.mark.parametrize("source", PAGES_WITH_FUNCTIONS, ids=_ids)
def test_standalone_copies_give_the_package_result(runs: Runs, built: Build, source: Path) -> None:
    cells = shown_cells(source)
    targets = _shown_public(source)
    result = runs.result("standalone", _ids(source))
    assert result["error"] is None, result["error"]
    shown = page_outputs(built, source)
    for index, (cell, printed, on_page) in enumerate(
        zip(cells, result["outputs"], shown, strict=True)
    ):
        if on_page is None or cell.html_output:
            continue
        assert _normalise(printed) == _normalise(on_page), f"block {index + 1}"
    gaps = NOT_YET_CALLED.get(_ids(source), set())
    missing = set(targets) - set(result["called"]) - gaps
    assert not missing, f"shown but never called by an example on the page: {sorted(missing)}"
    assert not gaps & set(result["called"]), "called now: remove it from NOT_YET_CALLED"


def test_no_element_id_repeats_on_a_page(built: Build) -> None:
    problems = {}
    for page in sorted(built.site.rglob("*.html")):
        ids = re.findall(r'\sid="([^"]+)"', page.read_text(encoding="utf-8"))
        repeated = [i for i, n in collections.Counter(ids).items() if n > 1]
        if repeated:
            problems[str(page.relative_to(built.site))] = repeated[:10]
    assert problems == {}
