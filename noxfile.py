"""Sessions for the knowledge base: `nox` runs lint, tests and docs.

Every session uses one shared virtualenv (`.nox/shared`): torch alone is several GB,
so building it once per session would waste minutes and disk.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

import nox

ROOT = Path(__file__).parent
VENV = ROOT / ".nox" / "shared"
BIN = VENV / ("Scripts" if sys.platform == "win32" else "bin")
STAMP = VENV / "installed.sha256"
# The browser tests drive Debian's Chromium and need CJK fonts to lay out Chinese text.
SYSTEM_PACKAGES = ("chromium", "fonts-noto-cjk")
APT_COMMAND = "apt-get install -y --no-install-recommends " + " ".join(SYSTEM_PACKAGES)

nox.options.sessions = ["lint", "tests", "docs"]
nox.options.default_venv_backend = "none"


def _install(session: nox.Session) -> None:
    """Create the shared virtualenv and install the package with every extra, once per pyproject."""
    digest = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    if STAMP.exists() and STAMP.read_text() == digest:
        session.log("shared virtualenv is up to date")
        return
    if not (BIN / "python").exists():
        session.run(sys.executable, "-m", "venv", str(VENV))
    pip = [str(BIN / "python"), "-m", "pip", "--disable-pip-version-check", "install"]
    session.run(*pip, "--upgrade", "pip")
    session.run(*pip, "-e", ".[test,docs,lint]")
    STAMP.write_text(digest)


def _missing_system_packages() -> list[str]:
    missing = [] if shutil.which("chromium") else ["chromium"]
    fonts = subprocess.run(["fc-list"], capture_output=True, text=True, check=False).stdout
    if "Noto Sans CJK" not in fonts:
        missing.append("fonts-noto-cjk")
    return missing


def _system_setup(session: nox.Session) -> None:
    """Install Chromium and the CJK fonts with apt-get when possible, else stop with the command."""
    try:
        missing = _missing_system_packages()
    except FileNotFoundError:  # no fontconfig at all: the fonts package brings it
        missing = list(SYSTEM_PACKAGES)
    if not missing:
        return
    if shutil.which("apt-get") and hasattr(os, "geteuid") and os.geteuid() == 0:
        env = {"DEBIAN_FRONTEND": "noninteractive"}
        session.run("apt-get", "update", "-qq", external=True, env=env)
        session.run(*APT_COMMAND.split(), "-qq", external=True, env=env)
        return
    session.error(
        f"the browser tests need {', '.join(missing)}; install them first, e.g.\n"
        f"    sudo {APT_COMMAND}\n"
        "(Debian or Ubuntu), then run `nox -s tests` again."
    )


# The site's examples and the tests run many tiny tensor operations, for which torch's
# thread pool costs more than it gains (several times slower on 2 busy cores); one thread
# also makes the printed numbers independent of the machine's core count.
ONE_THREAD = {"OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


def _run(
    session: nox.Session,
    program: str,
    *args: str,
    threads: bool = False,
    env: dict[str, str] | None = None,
) -> None:
    """Run a program of the shared virtualenv, with that virtualenv first on PATH.

    ``threads=False`` limits torch to one thread (see ONE_THREAD).
    """
    env = (env or {}) | {
        "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
        "VIRTUAL_ENV": str(VENV),
        "PYTHONPATH": str(ROOT),  # the MkDocs hooks import tools/ and reference/ from here
        "NO_MKDOCS_2_WARNING": "1",  # Material's end-of-life banner, not a build problem
    }
    env |= {} if threads else ONE_THREAD
    session.run(str(BIN / program), *args, external=True, env=env)


@nox.session
def lint(session: nox.Session) -> None:
    """Check style and common mistakes with ruff, and the types of reference/ with mypy."""
    _install(session)
    _run(session, "ruff", "check", ".")
    _run(
        session,
        "ruff",
        "format",
        "--check",
        "reference",
        "tests",
        "tools",
        "benchmarks",
        "noxfile.py",
    )
    _run(session, "mypy")  # files and settings: [tool.mypy] in pyproject.toml


@nox.session
def tests(session: nox.Session) -> None:
    """Run the reference tests and the site tests (which build the site)."""
    _system_setup(session)
    _install(session)
    _run(session, "pytest", *session.posargs)


@nox.session
def docs(session: nox.Session) -> None:
    """Build the site into site/ with every example executed, failing on any warning."""
    _install(session)
    _run(session, "mkdocs", "build", "--strict", *session.posargs)


@nox.session
def dist(session: nox.Session) -> None:
    """Build a copy of the site that works from disk (search included) as dist/*.zip."""
    _install(session)
    out = ROOT / "dist"
    site = out / "site"
    shutil.rmtree(out, ignore_errors=True)
    _run(session, "mkdocs", "build", "--strict", "--site-dir", str(site), env={"OFFLINE": "true"})
    archive = shutil.make_archive(str(out / "deep-learning-tested"), "zip", site)
    session.log(f"wrote {archive}: unzip it and open index.html in a browser")


@nox.session
def serve(session: nox.Session) -> None:
    """Build the site and serve it at http://127.0.0.1:8000; an edited page is rebuilt alone."""
    _install(session)
    # --dirty: after the first full build, a save rebuilds only the pages that changed, in
    # seconds, instead of every page and notebook (restart after editing reference/). Not
    # --strict: MkDocs warns about every dirty build. `nox -s docs` is the strict build.
    _run(session, "mkdocs", "serve", "--dirty", "-a", "127.0.0.1:8000", *session.posargs)


@nox.session
def bench(session: nox.Session) -> None:
    """Time the reference code against the production ops; print a table, write bench.json."""
    _install(session)
    _run(session, "python", "-m", "benchmarks", *session.posargs, threads=True)
