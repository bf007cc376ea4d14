"""Screenshots of built pages in headless Chromium, light and dark, cut into viewable slices.

Usage: python -m tools.screenshot [--site site] [--out /tmp/shots] [--width 390] PAGE ...
where PAGE is a path such as ``detection/nms/`` (``""`` for the home page); ``--width``
sets the viewport width (1280 by default, 390 for a phone) and goes into the file names.
"""

from __future__ import annotations

import argparse
import functools
import tempfile
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from PIL import Image
from playwright.sync_api import sync_playwright

FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


class QuietHandler(SimpleHTTPRequestHandler):
    """Serves files without logging every request."""

    def log_message(self, *args: object) -> None:
        pass


def _shoot(page, base: str, path: str, scheme: str, out: Path, height: int, width: int) -> None:
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(base + path, wait_until="networkidle")
    name = (path.strip("/").replace("/", "_") or "home") + f"_{width}"
    full = out / f"{name}_{scheme}.png"
    page.screenshot(path=str(full), full_page=True)
    image = Image.open(full)
    for i, top in enumerate(range(0, image.height, height)):
        image.crop((0, top, image.width, min(top + height, image.height))).save(
            out / f"{name}_{scheme}_{i}.png"
        )
        print(out / f"{name}_{scheme}_{i}.png")
    for error in errors:
        print(f"console error on {path} ({scheme}): {error}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("pages", nargs="+")
    parser.add_argument("--site", type=Path, default=Path("site"))
    parser.add_argument("--out", type=Path, default=Path(tempfile.gettempdir()) / "shots")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--slice", type=int, default=1800, help="height of each PNG slice")
    parser.add_argument("--width", type=int, default=1280, help="viewport width in CSS pixels")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    handler = functools.partial(QuietHandler, directory=str(args.site))
    httpd = ThreadingHTTPServer(("127.0.0.1", args.port), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{httpd.server_address[1]}/"
    with sync_playwright() as p:
        for scheme in ("light", "dark"):
            # A fresh profile per scheme: Material remembers the palette in localStorage.
            with tempfile.TemporaryDirectory() as profile:
                context = p.chromium.launch_persistent_context(
                    profile,
                    executable_path="/usr/bin/chromium",
                    args=FLAGS,
                    headless=True,
                    viewport={"width": args.width, "height": 900},
                    color_scheme=scheme,
                )
                page = context.new_page()
                for path in args.pages:
                    _shoot(page, base, path, scheme, args.out, args.slice, args.width)
                context.close()
    httpd.shutdown()


if __name__ == "__main__":
    main()
