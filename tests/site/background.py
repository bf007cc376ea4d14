"""Slow site work started as soon as the tests are collected, so it overlaps with other tests.

The site is built once; a few sections are built a second time on their own, in another
process with another hash seed (``REBUILT``: their pages must come out the same). Both
start when collection ends (``tests/conftest.py`` calls :func:`start`) and run while the
reference tests run; each fixture that needs a build waits for it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
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


class BuildFailed(RuntimeError):
    """A build failed; the message ends with its log."""


# Pages built again on their own by the reproducibility test: two with photographs
# (WebP-encoded), a notebook page that prints random tensors. Every page's text output is
# also re-run in a fresh kernel (test_notebooks.py); a second build of every page would cost
# as much CPU as the first.
REBUILT = ("image/opencv.md", "image/pyramids.md", "foundations/tensors.py")


class BackgroundBuild:
    """``mkdocs build --strict`` into a fresh directory, running in the background.

    With ``sections`` (pages or sections), only those are built (``tools.partial_build``),
    with another hash seed than the full build, so that an order that depends on it shows
    up as a difference, and at a lower priority: nothing waits for it but one test.
    """

    def __init__(self, sections: tuple[str, ...] = ()) -> None:
        self.directory = Path(tempfile.mkdtemp(prefix="kb-site-"))
        self.site = self.directory / "site"
        self._log = (self.directory / "build.log").open("w+", encoding="utf-8")
        if sections:
            command = ["-m", "tools.partial_build", *sections, "--site", str(self.site)]
        else:
            command = ["-m", "mkdocs", "build", "--strict", "--site-dir", str(self.site)]
        self._process = subprocess.Popen(
            [sys.executable, *command],
            cwd=ROOT,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            env=os.environ | BUILD_ENV | {"PYTHONHASHSEED": "2" if sections else "1"},
            preexec_fn=(lambda: os.nice(10)) if sections else None,
        )
        self._result: Build | BuildFailed | None = None
        self._lock = threading.Lock()

    def wait(self) -> Build:
        with self._lock:  # the reading thread waits for the build too
            return self._wait()

    def _wait(self) -> Build:
        if self._result is None:
            code = self._process.wait()
            self._log.seek(0)
            log = self._log.read()
            self._log.close()
            self._result = (
                Build(self.site, log)
                if code == 0
                else BuildFailed(f"{self._process.args[1:4]} failed:\n{log[-5000:]}")
            )
        if isinstance(self._result, BuildFailed):
            raise self._result
        return self._result

    def discard(self) -> None:
        if self._process.poll() is None:
            self._process.kill()
            self._process.wait()
        if not self._log.closed:
            self._log.close()
        shutil.rmtree(self.directory, ignore_errors=True)


_STARTED: dict[str, BackgroundBuild] = {}


def start(builds: int) -> None:
    """Start the full build, and with ``builds=2`` the partial rebuild, unless started."""
    for name in ("first", "second")[:builds]:
        if name not in _STARTED:
            _STARTED[name] = BackgroundBuild(REBUILT if name == "second" else ())


def build(name: str) -> Build:
    """The result of a build started by :func:`start` (started now if it was not)."""
    start(1 if name == "first" else 2)
    return _STARTED[name].wait()


_READER: list[threading.Thread] = []


def read_when_built() -> None:
    """Read the site in Chromium (``tests/site/reader.py``) as soon as the first build is done
    (once: later calls do nothing)."""
    if _READER:
        return

    def read() -> None:
        try:
            site = build("first").site
        except BuildFailed:
            return  # the tests that need the build report it
        from tests.site import reader

        reader.start(site)

    _READER.append(threading.Thread(target=read, daemon=True))
    _READER[0].start()


def discard_all() -> None:
    for started in _STARTED.values():
        started.discard()
    _STARTED.clear()
