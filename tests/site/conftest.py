"""Build the site once per test session (strict) and share the result."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
# As `nox -s docs` builds: this tree's packages, torch on one thread (see noxfile.py).
BUILD_ENV = {
    "NO_MKDOCS_2_WARNING": "1",
    "PYTHONPATH": str(ROOT),
    "OMP_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
}


@dataclass(frozen=True)
class Build:
    site: Path
    log: str


def build_site(site_dir: Path) -> Build:
    """Run ``mkdocs build --strict`` into ``site_dir``; fail the test with the log if it fails."""
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(site_dir)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        # PYTHONPATH: notebooks' kernels must import this tree's reference package.
        env=os.environ | BUILD_ENV,
    )
    log = result.stdout + result.stderr
    if result.returncode != 0:
        pytest.fail(f"mkdocs build --strict failed:\n{log[-5000:]}")
    return Build(site_dir, log)


@pytest.fixture(scope="session")
def built(tmp_path_factory: pytest.TempPathFactory) -> Build:
    return build_site(tmp_path_factory.mktemp("site"))


def page_sources() -> list[Path]:
    """Every Markdown page and jupytext notebook under docs/."""
    return sorted([*DOCS.rglob("*.md"), *DOCS.rglob("*.py")])


def built_html(site: Path, source: Path) -> Path:
    """The HTML file that MkDocs writes for a page source (``use_directory_urls``)."""
    rel = source.relative_to(DOCS).with_suffix("")
    if rel.name == "index":
        return site / rel.parent / "index.html"
    return site / rel / "index.html"
