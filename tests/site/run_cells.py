"""Run pages' code cells as a reader's notebook does: in order, in one namespace per page.

Reads JSON from stdin: ``{"block_reference": bool, "pages": {name: {"cells": [str, ...],
"track": [str, ...]}}}`` and writes JSON to stdout, per page: the text each cell printed,
the first error (cell index and traceback) and which of the ``track`` names (functions or
classes) ran at least once. Each page starts with a fresh namespace and a random torch
seed, so an example that prints random numbers without seeding shows up as a mismatch.
With ``block_reference`` the ``reference`` package cannot be imported, as on the machine
of a reader who copied the standalone blocks.
"""

from __future__ import annotations

import contextlib
import io
import json
import sys
import traceback
import types


def _code_objects(value: object) -> set[types.CodeType]:
    value = getattr(value, "__wrapped__", value)  # functools.cache and friends
    if isinstance(value, types.FunctionType):
        return {value.__code__}
    if isinstance(value, type):
        return {f.__code__ for f in vars(value).values() if isinstance(f, types.FunctionType)}
    return set()


def run_page(cells: list[str], track: list[str]) -> dict[str, object]:
    import torch

    torch.seed()
    namespace: dict[str, object] = {"__name__": "__main__"}
    outputs: list[str] = []
    error = None
    watched: dict[types.CodeType, str] = {}
    called: set[str] = set()

    def profile(frame: types.FrameType, event: str, arg: object) -> None:
        if event == "call" and frame.f_code in watched:
            called.add(watched[frame.f_code])

    for index, cell in enumerate(cells):
        buffer = io.StringIO()
        try:
            # dont_inherit: this file's `from __future__ import annotations` must not leak
            # into the cells, which run as a reader's cells do.
            code = compile(cell, f"<cell {index}>", "exec", dont_inherit=True)
            with contextlib.redirect_stdout(buffer):
                sys.setprofile(profile if watched else None)
                try:
                    exec(code, namespace)
                finally:
                    sys.setprofile(None)
        except BaseException:
            error = {"cell": index, "traceback": traceback.format_exc(limit=-8)}
            outputs.append(buffer.getvalue())
            break
        outputs.append(buffer.getvalue())
        for name in track:
            for code_object in _code_objects(namespace.get(name)):
                watched.setdefault(code_object, name)
    return {"outputs": outputs, "error": error, "called": sorted(called)}


def main() -> None:
    request = json.load(sys.stdin)
    if request["block_reference"]:
        sys.modules["reference"] = None  # type: ignore[assignment]  # import raises ImportError
    results = {name: run_page(p["cells"], p["track"]) for name, p in request["pages"].items()}
    json.dump(results, sys.stdout)


if __name__ == "__main__":
    main()
