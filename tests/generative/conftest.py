"""Tiny networks train faster on one thread: with two, the threads' hand-offs cost more
than the arithmetic, and on a busy machine ten times more."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import torch


@pytest.fixture(autouse=True)
def _one_thread() -> Iterator[None]:
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)
