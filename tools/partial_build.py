"""Build only some pages of the site, fast, while writing them.

Usage: python -m tools.partial_build [--site DIR] PAGE_OR_SECTION ...

``PAGE_OR_SECTION`` is a page under docs/ (``detection/iou.md``), a section
(``detection``) or ``api`` (the API index, left out otherwise). The other pages are left
out, so links to them are reported (the build is not strict) and the navigation lists only
what was built. The full, strict build is ``nox -s docs``. The site tests can check a
partial build: ``KB_SITE=DIR pytest tests/site -k detection`` uses the site in DIR instead
of building one.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"


def excluded(keep: list[str]) -> list[str]:
    """Every page source under docs/ that none of ``keep`` names, as paths under docs/.

    The home page and the glossary go too: they draw on every page.
    """
    pages = sorted(
        p.relative_to(DOCS).as_posix() for p in [*DOCS.rglob("*.md"), *DOCS.rglob("*.py")]
    )

    def covers(k: str, page: str) -> bool:
        return page == k or page.startswith(k.rstrip("/") + "/")

    unknown = [k for k in keep if k != "api" and not any(covers(k, p) for p in pages)]
    if unknown:
        raise SystemExit(f"no page or section {unknown[0]!r} under docs/")
    return [p for p in pages if not any(covers(k, p) for k in keep)]


@contextmanager
def partial_config(keep: list[str]) -> Iterator[Path]:
    """A config file beside mkdocs.yml (its relative paths hold) that builds only ``keep``;
    removed on exit."""
    skip = excluded(keep)
    config = ROOT / f".partial-{os.getpid()}.yml"
    lines = ["INHERIT: mkdocs.yml", "exclude_docs: |", "  topics.yml", *(f"  /{p}" for p in skip)]
    # The API index documents the whole package: 10 of the 14 s a one-page build takes.
    lines += [] if "api" in keep else ["extra:", "  api_index: false"]
    config.write_text("\n".join(lines) + "\n", encoding="utf-8")
    try:
        yield config
    finally:
        config.unlink()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("keep", nargs="+")
    parser.add_argument("--site", type=Path, default=Path(tempfile.gettempdir()) / "kb-partial")
    args = parser.parse_args()
    env = os.environ | {
        "NO_MKDOCS_2_WARNING": "1",
        "PYTHONPATH": str(ROOT),
        "OMP_NUM_THREADS": "1",
        "MKL_NUM_THREADS": "1",
    }
    with partial_config(args.keep) as config:
        command = [sys.executable, "-m", "mkdocs", "build", "-q", "-f", str(config)]
        result = subprocess.run([*command, "--site-dir", str(args.site)], cwd=ROOT, env=env)
    print(f"built {args.site}")
    sys.exit(result.returncode)


if __name__ == "__main__":
    main()
