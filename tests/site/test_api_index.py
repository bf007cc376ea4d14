"""The API index lists every public callable of the package, each with its documentation."""

from __future__ import annotations

import re

from tests.site.conftest import Build
from tests.site.test_links import parse
from tools.production import production_pairs, public_callables


def test_every_public_callable_is_documented_with_its_signature(built: Build) -> None:
    expected = {
        f"{section}.{name}": f"{obj.__module__}.{obj.__qualname__}"
        for section, name, obj in public_callables()
    }
    index = (built.site / "api" / "index.html").read_text(encoding="utf-8")
    assert f"({len(expected)} in all)" in index
    sections = {key.split(".")[0] for key in expected}
    ids = {s: parse(built.site / "api" / s / "index.html").ids for s in sections}
    for key, path in expected.items():
        section = key.split(".")[0]
        assert path in ids[section], f"{key}: no documentation anchor {path}"
        assert f'href="../{section}/#{path}"' in index or f'href="{section}/#{path}"' in index, key


def test_production_counterparts_are_named(built: Build) -> None:
    index = (built.site / "api" / "index.html").read_text(encoding="utf-8")
    rows = re.findall(r"<tr>(.*?)</tr>", index, re.S)
    for pair in production_pairs():
        row = next(r for r in rows if f"<code>{pair.name}</code></a></td>" in r)
        assert pair.production in row, pair
