"""docs/topics.yml covers every topic of topics.md, and each `done` entry is really on the site."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from tests.site.conftest import DOCS, Build, built_html, page_sources
from tools.manifest import load

# The notes hold 93 topics; docs/topics.yml is their inventory. Topics may be added, never lost.
INVENTORY_SIZE = 93
TOPICS = load()
DONE = [t for t in TOPICS if t.done]


class _Ids(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.ids: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.ids.update(v for k, v in attrs if k == "id" and v)


def ids_of(path: Path) -> set[str]:
    parser = _Ids()
    parser.feed(path.read_text(encoding="utf-8"))
    return parser.ids


def visible_text(path: Path) -> str:
    html = path.read_text(encoding="utf-8")
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    return re.sub(r"<[^>]+>", " ", html)


def test_the_inventory_keeps_every_topic() -> None:
    """The manifest is the inventory: ids unique (the loader refuses duplicates), none dropped."""
    ids = [t.id for t in TOPICS]
    assert len(ids) == len(set(ids))
    assert len(ids) >= INVENTORY_SIZE
    assert all(re.fullmatch(r"[a-z]+\.[a-z0-9-]+", i) for i in ids), ids


def test_every_entry_is_complete() -> None:
    for topic in TOPICS:
        assert topic.title and topic.zh and topic.page and topic.anchor, topic
        assert re.search(r"[\u3400-\u9fff]", topic.zh), f"{topic.id}: zh has no Chinese: {topic.zh}"
        assert topic.page.endswith((".md", ".py")), topic
        # Other names for search and the glossary: at least one Chinese and one English.
        assert any(re.search(r"[\u3400-\u9fff]", w) for w in topic.keywords), topic.id
        assert any(not re.search(r"[\u3400-\u9fff]", w) for w in topic.keywords), topic.id


@pytest.mark.parametrize("topic", DONE, ids=lambda t: t.id)
def test_done_topic_is_on_its_page(built: Build, topic) -> None:
    source = DOCS / topic.page
    assert source.exists(), f"{topic.id}: {topic.page} does not exist"
    page = built_html(built.site, source)
    assert topic.anchor in ids_of(page), f"{topic.id}: no id={topic.anchor!r} on {topic.page}"
    assert topic.zh in visible_text(page), (
        f"{topic.id}: {topic.zh!r} does not appear on {topic.page}"
    )


def test_no_placeholder_pages() -> None:
    """Every page other than the home page and glossary hosts at least one done topic."""
    hosting = {t.page for t in DONE}
    for source in page_sources():
        rel = source.relative_to(DOCS).as_posix()
        if rel not in {"index.md", "glossary.md"}:
            assert rel in hosting, f"{rel} covers no topic marked done"


def test_home_page_and_glossary_list_every_topic(built: Build) -> None:
    home = visible_text(built.site / "index.html")
    glossary = visible_text(built.site / "glossary" / "index.html")
    for topic in TOPICS:
        assert topic.zh in home and topic.zh in glossary, topic.id
        for word in topic.keywords:  # the glossary shows every other name
            assert word in glossary, (topic.id, word)
    # Every topic is written: no "planned" wording anywhere a reader looks for the map.
    assert all(t.done for t in TOPICS)
    assert "planned" not in home.lower() and "planned" not in glossary.lower()


def test_loader_rejects_malformed_entries(tmp_path: Path) -> None:
    entry = "  - {id: detection.nms, title: NMS, zh: 非极大值抑制, page: p.md, "
    entry += "anchor: nms, status: %s}\n"
    bad = tmp_path / "topics.yml"
    bad.write_text("topics:\n" + entry % "finished", encoding="utf-8")
    with pytest.raises(ValueError, match="status 'finished', not one of"):
        load(bad)
    bad.write_text("topics:\n" + (entry % "done") * 2, encoding="utf-8")
    with pytest.raises(ValueError, match="duplicate topic ids"):
        load(bad)
    bad.write_text("topics:\n" + entry % "done, colour: red", encoding="utf-8")
    with pytest.raises(ValueError, match=r"unknown fields \['colour'\]"):
        load(bad)


@pytest.mark.parametrize(
    ("keywords", "error", "message"),
    [
        ("抑制", TypeError, "keywords must be a list of strings, got str"),
        ("[抑制, '']", ValueError, "keywords must be non-empty strings, got ''"),
        ("[抑制, 3]", ValueError, "keywords must be non-empty strings, got 3"),
        ("[NMS box, nms box]", ValueError, "keyword 'nms box' is listed twice"),
        ("[非极大值抑制]", ValueError, "keyword '非极大值抑制' repeats the title or zh"),
        ("[' NMS']", ValueError, "keyword ' NMS' has surrounding spaces"),
    ],
)
def test_loader_rejects_malformed_keywords(
    tmp_path: Path, keywords: str, error: type[Exception], message: str
) -> None:
    bad = tmp_path / "topics.yml"
    bad.write_text(
        "topics:\n  - {id: detection.nms, title: Non-maximum suppression, zh: 非极大值抑制, "
        f"page: p.md, anchor: nms, status: done, keywords: {keywords}}}\n",
        encoding="utf-8",
    )
    with pytest.raises(error, match=re.escape(message)):
        load(bad)


def test_loader_keeps_keywords_in_order(tmp_path: Path) -> None:
    good = tmp_path / "topics.yml"
    good.write_text(
        "topics:\n  - {id: detection.nms, title: NMS, zh: 非极大值抑制, page: p.md, "
        "anchor: nms, status: done, keywords: [非最大抑制, non-maximum suppression]}\n",
        encoding="utf-8",
    )
    (topic,) = load(good)
    assert topic.keywords == ("非最大抑制", "non-maximum suppression")
