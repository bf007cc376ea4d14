"""Shared test settings: tolerances per dtype, a deterministic seed, and the test order.

The site tests run last, and the site builds they need start in the background as soon as
collection ends, so that building overlaps with the reference tests.
"""

from __future__ import annotations

import os
import sys

import pytest
import torch
from hypothesis import settings

settings.register_profile("ci", max_examples=60, deadline=None, derandomize=True)
settings.load_profile("ci")

# Tolerances for comparing a reference function with its production counterpart.
TOLERANCES: dict[torch.dtype, dict[str, float]] = {
    torch.float64: {"rtol": 1e-10, "atol": 1e-12},
    torch.float32: {"rtol": 1e-5, "atol": 1e-6},
}


def tol(dtype: torch.dtype) -> dict[str, float]:
    """Keyword tolerances for ``torch.testing.assert_close`` at ``dtype``."""
    return TOLERANCES[dtype]


@pytest.fixture(autouse=True)
def _seed() -> None:
    # The CPU generator only: torch.manual_seed also queues a lazy CUDA seed with a captured
    # stack trace, about 1 ms, which over twelve thousand tests costs ten seconds.
    torch.default_generator.manual_seed(0)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # Stable sort. While the site builds, this thread has little to do, so the build (the
    # start of the longest chain, build then Chromium's reading) gets the cores that its
    # notebook kernels leave: first the site tests that need no build, then those that read
    # the built files (they wait for it). The reference tests then run beside the reading;
    # the executed notebooks, and the tests that wait for the reading or the partial rebuild
    # (at a low priority), come last.
    def order(item: pytest.Item) -> tuple[int, bool]:
        fixtures = set(getattr(item, "fixturenames", ()))
        if not item.nodeid.startswith("tests/site/"):
            return 1, False
        if item.nodeid.startswith("tests/site/test_notebooks.py"):
            return 2, False
        if {"reading", "visits"} & fixtures or "built_again" in item.nodeid:
            return 3, False
        return 0, "built" in fixtures

    items.sort(key=order)


def _start_site_work(build: int, read: bool, notebooks: bool) -> None:
    """Start the slow site work in the background, each part at most once."""
    from tests.site import background

    if build:
        background.start(build)
        if read:
            background.read_when_built()  # Chromium reads the site while other tests run
    if notebooks:
        from tests.site.test_notebooks import start_execution

        start_execution()  # the notebooks run while the site builds


def pytest_sessionstart(session: pytest.Session) -> None:
    # The whole suite (no arguments, no selection): start the build before collection,
    # which takes ten seconds. Other runs start what their tests need after collection.
    option = session.config.option
    whole = session.config.args_source == pytest.Config.ArgsSource.TESTPATHS and not (
        option.keyword
        or option.markexpr
        or option.collectonly
        or getattr(option, "lf", False)
        or os.environ.get("KB_SITE")
    )
    if whole:
        _start_site_work(build=2, read=True, notebooks=True)


def pytest_collection_finish(session: pytest.Session) -> None:
    if session.config.option.collectonly:
        return
    site = [item for item in session.items if item.nodeid.startswith("tests/site/")]
    needs_build = [item for item in site if "built" in getattr(item, "fixturenames", ())]
    building = bool(needs_build) and not os.environ.get("KB_SITE")
    _start_site_work(
        build=(2 if any("built_again" in item.nodeid for item in site) else 1) if building else 0,
        read=any({"reading", "visits"} & set(getattr(item, "fixturenames", ())) for item in site),
        notebooks=any("test_notebooks.py::test_the" in item.nodeid for item in site),
    )


def pytest_sessionfinish(session: pytest.Session) -> None:
    from tests.site import background

    background.discard_all()
    if "tests.site.test_notebooks" in sys.modules:
        sys.modules["tests.site.test_notebooks"].stop_execution()
