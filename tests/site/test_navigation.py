"""Navigation, home page and glossary: bilingual, one home per page, in reading order."""

from __future__ import annotations

import posixpath
import re
from pathlib import Path

import pytest

from tests.site.conftest import DOCS, Build, built_html, page_sources
from tools.glossary import english_key, glossary, pinyin_key, pinyin_with_tones
from tools.home import CARD_FIGURES, START_HERE, card_figure, h1, local_use, section_cards
from tools.manifest import SECTIONS, Topic, load
from tools.nav import READING_ORDER, build_nav, reading_order

TOPICS = load()
HAN = re.compile(r"[\u4e00-\u9fff]")
# Links that point ahead to a later section on purpose: a pointer to where an idea is used
# or taken further (issue 16's cross-links), not something the page relies on. A new
# forward link must be added here, so that one that the page does rely on is noticed.
FORWARD_POINTERS = {
    # Where an idea reappears in attention, Transformers, GANs or reinforcement learning.
    ("foundations/activations/", "attention/overview/"),
    ("foundations/activations/", "attention/transformer/"),
    ("foundations/gradients/", "attention/transformer/"),
    ("training/normalization/", "attention/transformer/"),  # where LayerNorm sits
    ("training/losses/", "attention/transformer/"),  # ignore_index and BERT's -100 labels
    ("attention/overview/", "generative/gan/"),
    ("attention/overview/", "rl/actor-critic/"),
    ("attention/transformer/", "generative/autoencoder/"),
    ("attention/transformer/", "rl/actor-critic/"),
    ("generative/gan/", "rl/actor-critic/"),
    ("training/losses/", "generative/gan/"),
    ("foundations/gradients/", "generative/autoencoder/"),
    # Foundations pages point to the training pages that take their topic further.
    ("foundations/backprop/", "training/memory/"),
    ("foundations/fitting/", "training/memory/"),
    ("foundations/fitting/", "training/regularization/"),
    ("foundations/gradients/", "training/normalization/"),
    ("foundations/information/", "training/regularization/"),
    ("foundations/faq/", "training/optimizers/"),
    ("foundations/faq/", "cnn/architectures/"),
    # IoU of boxes and of masks; image pyramids and feature pyramids link each other.
    ("detection/iou/", "metrics/segmentation/"),
    ("image/pyramids/", "detection/feature-pyramids/"),
}


def _order() -> list[str]:
    return [page for _, pages in reading_order(TOPICS, DOCS) for page in pages]


def _url(page: str) -> str:
    return str(Path(page).with_suffix("")) + "/"


def test_every_page_has_one_home_in_its_own_section() -> None:
    nav = build_nav(TOPICS, DOCS)
    *nav, api = nav  # the generated API index comes last (tools/api_pages.py)
    assert list(api) == ["API reference · API 索引"]
    listed: list[str] = []
    for entry in nav:
        for value in entry.values():
            listed.extend(value if isinstance(value, list) else [value])
    sources = [s.relative_to(DOCS).as_posix() for s in page_sources()]
    assert sorted(listed) == sorted(sources)  # every page once, nothing twice
    for entry in nav[1:-1]:
        ((label, pages),) = entry.items()
        key = pages[0].split("/", 1)[0]
        english, chinese = SECTIONS[key]
        assert label == f"{english} · {chinese}"
        assert all(page.startswith(f"{key}/") for page in pages), (label, pages)
    assert "training/optimizers.md" not in dict(nav[1].items())["Foundations · 基础"]


def test_the_reading_order_refuses_a_missing_or_doubled_page(tmp_path: Path) -> None:
    order = dict(READING_ORDER)
    order["training"] = tuple(p for p in order["training"] if p != "memory.md")
    with pytest.raises(ValueError, match=r"add \['training/memory.md'\] to READING_ORDER"):
        reading_order(TOPICS, DOCS, order)
    order["training"] = (*READING_ORDER["training"], "losses.md")
    with pytest.raises(ValueError, match=r"lists \['training/losses.md'\] more than once"):
        reading_order(TOPICS, DOCS, order)
    with pytest.raises(ValueError, match="pages that do not exist"):
        reading_order(TOPICS, tmp_path)
    with pytest.raises(ValueError, match=r"unknown sections \['video'\]"):
        reading_order(TOPICS, DOCS, {**READING_ORDER, "video": ("a.md",)})


@pytest.mark.parametrize("source", page_sources(), ids=lambda p: p.relative_to(DOCS).as_posix())
def test_every_page_title_is_english_and_chinese(source: Path) -> None:
    title = h1(source)
    english, _, chinese = title.partition(" · ")
    assert english and HAN.search(chinese) and not HAN.search(english), title


def test_next_links_walk_the_reading_order(built: Build) -> None:
    """Following "Next" from the home page visits every page once, in reading order."""
    api = ["api/", *(f"api/{key}/" for key in SECTIONS)]  # the generated API index, last
    expected = ["", *(_url(p) for p in _order()), "glossary/", *api]
    seen, url = [""], ""
    while True:
        html = (built.site / url / "index.html").read_text(encoding="utf-8")
        match = re.search(r'<a href="([^"]+)" class="md-footer__link md-footer__link--next"', html)
        if not match:
            break
        url = posixpath.normpath(posixpath.join(url, match.group(1))) + "/"
        url = "" if url == "./" else url
        seen.append(url)
    assert seen == expected


def test_no_page_relies_on_a_later_section(built: Build) -> None:
    order = [_url(p) for p in _order()]
    position = {url: i for i, url in enumerate(order)}
    late = []
    for url in order:
        html = (built.site / url / "index.html").read_text(encoding="utf-8")
        article = re.search(
            r'<article class="md-content__inner md-typeset">(.*?)</article>', html, re.S
        )
        for href in set(re.findall(r'href="([^"#:]+)(?:#[^"]*)?"', article.group(1))):
            target = posixpath.normpath(posixpath.join(url, href)) + "/"
            forward = position.get(target, -1) > position[url]
            if forward and target.split("/")[0] != url.split("/")[0]:
                late.append((url, target))
    assert set(late) <= FORWARD_POINTERS, late


def test_sidebar_shows_bilingual_sections(built: Build) -> None:
    html = (built.site / "foundations" / "backprop" / "index.html").read_text(encoding="utf-8")
    for english, chinese in SECTIONS.values():
        assert f"{english} · {chinese}" in html


# Home page


def test_local_use_prints_the_real_clone_command_or_no_placeholder() -> None:
    text = local_use("https://github.com/someone/deep-learning-tested.git")
    assert (
        "git clone https://github.com/someone/deep-learning-tested.git && cd deep-learning-tested"
        in text
    )
    assert "nox -s serve" in text and "nox -s tests" in text
    text = local_use("")
    assert "git clone" not in text and "<" not in text and "nox -s serve" in text


def test_home_page_is_for_a_newcomer(built: Build) -> None:
    html = built_html(built.site, DOCS / "index.md").read_text(encoding="utf-8")
    article = re.search(
        r'<article class="md-content__inner md-typeset">(.*?)</article>', html, re.S
    )
    text = re.sub(r"<[^>]+>", " ", article.group(1))
    assert "companion to five Chinese deep-learning study notes" in text
    assert "planned" not in text.lower() and "<this repository>" not in html
    assert 'class="md-sidebar md-sidebar--primary"' in html and "md-nav__link" in html
    # The start path links its pages in order, before the cards and the map.
    start = html.index('id="start-here"')
    links = [html.index(f'href="{_url(page)}"', start) for page, _ in START_HERE]
    assert links == sorted(links) and links[-1] < html.index('id="sections"')
    # Use it locally comes after the topic map.
    assert html.index('id="topic-map"') < html.index('id="use-it-locally"')


def test_each_section_card_has_its_chinese_name_pages_and_a_figure(built: Build) -> None:
    html = built_html(built.site, DOCS / "index.md").read_text(encoding="utf-8")
    cards = re.search(r'<div class="grid cards kb-sections">(.*?)</div>\s*<h2', html, re.S).group(1)
    items = re.findall(r"<li>\s*<p><strong>(.*?)</ul>", cards, re.S)
    assert len(items) == len(SECTIONS) == len(CARD_FIGURES)
    for item, (key, (english, chinese)) in zip(items, SECTIONS.items(), strict=True):
        assert f"{english} · {chinese}" in item
        assert '<figure class="kb-card-figure"><svg role="img"' in item, key
        for page in READING_ORDER[key]:
            assert f'href="{_url(f"{key}/{page}")}"' in item, (key, page)
    ids = re.findall(r'\bid="([^"]+)"', html)
    assert len(ids) == len(set(ids)), sorted({i for i in ids if ids.count(i) > 1})[:5]


def test_section_cards_fail_on_a_figure_that_is_gone() -> None:
    page = (
        '<figure class="kb-figure"><svg id="a"></svg>'
        "<figcaption>Something else</figcaption></figure>"
    )
    with pytest.raises(ValueError, match="no SVG figure captioned 'Loss'"):
        card_figure(page, "Loss", "training")
    shown = card_figure(page.replace("Something else", "Loss curves"), "Loss", "training")
    assert 'id="card-training-a"' in shown and 'aria-label="Loss curves"' in shown
    assert "KB-CARD-FIGURE-training" in section_cards(TOPICS, DOCS)


# Glossary


def test_pinyin_sorting_and_tones() -> None:
    terms = ["批量归一化", "卷积", "锚框", "池化"]
    assert sorted(terms, key=pinyin_key) == [
        "池化",
        "卷积",
        "锚框",
        "批量归一化",
    ]  # chí juǎn máo pī
    assert pinyin_with_tones("批量归一化") == "pī liàng guī yī huà"
    assert pinyin_with_tones("残差, ResNet50") == "cán chā, ResNet50"
    assert pinyin_with_tones("梯度消失/爆炸") == "tī dù xiāo shī/bào zhà"
    assert english_key("1×1 convolution") < english_key("Activation functions")
    with pytest.raises(ValueError, match="term must be a non-empty string"):
        pinyin_key(" ")


def test_glossary_lists_every_topic_both_ways() -> None:
    text = glossary(TOPICS, "glossary.md")
    english, pinyin = text.split("## By pinyin")
    for topic in TOPICS:
        assert f"[{topic.title}]({topic.page}#{topic.anchor})" in english, topic.id
        assert f"[{topic.zh}]({topic.page}#{topic.anchor})" in pinyin, topic.id
        assert SECTIONS[topic.section][1] in pinyin
    rows = re.findall(r"^\| \[([^\]]+)\]", pinyin, re.M)
    zh_of = {t.zh: t for t in TOPICS}
    assert [pinyin_key(r) for r in rows] == sorted(pinyin_key(r) for r in rows)
    assert set(rows) == set(zh_of)
    rows = re.findall(r"^\| \[([^\]]+)\]", english, re.M)
    assert [english_key(r) for r in rows] == sorted(english_key(r) for r in rows)


def _topic(**fields: object) -> Topic:
    base = {
        "id": "training.x",
        "title": "X",
        "zh": "乙",
        "page": "p.md",
        "anchor": "x",
        "status": "done",
    }
    return Topic(**(base | fields))  # type: ignore[arg-type]


def test_glossary_groups_under_letters_with_chinese_synonyms_in_the_pinyin_list() -> None:
    topics = [
        _topic(
            id="training.a",
            title="Batch normalisation",
            zh="批量归一化",
            keywords=("批标准化", "BN"),
        ),
        _topic(id="training.b", title="Anchors", zh="锚框", anchor="b"),
    ]
    text = glossary(topics, "glossary.md")
    english, pinyin = text.split("## By pinyin")
    assert (
        english.index("### A {#en-a}") < english.index("[Anchors]") < english.index("### B {#en-b}")
    )
    assert "| BN |" in english and "批标准化" not in english
    assert pinyin.index("### M {#zh-m") < pinyin.index("[锚框]") < pinyin.index("### P {#zh-p")
    assert "| 批标准化 |" in pinyin and "| mǎo kuāng |" not in pinyin  # 锚 is máo
    assert "| máo kuāng |" in pinyin
