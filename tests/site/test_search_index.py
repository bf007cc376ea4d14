"""tools/search_index.py: the hidden Chinese tokens, the search view of a page, the built index."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from latex2mathml.converter import convert

from tests.site.conftest import ROOT, Build
from tools.manifest import load
from tools.search_index import (
    HIDDEN_FIELDS,
    JOINER,
    TERMINAL,
    han_terms,
    linear_math,
    search_view,
    section_of,
)

J, T = JOINER, TERMINAL
HAN_CHARS = st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF)


def test_han_terms_of_one_run_are_the_term_and_its_suffixes() -> None:
    assert han_terms("非极大值抑制") == [
        J.join("非极大值抑制") + T,
        J.join("极大值抑制"),
        J.join("大值抑制"),
        J.join("值抑制"),
        J.join("抑制"),
    ]


def test_han_terms_skip_latin_and_single_characters() -> None:
    # "L2" and "and" are not Han; 熵 alone is too short to be a query the script rewrites.
    assert han_terms("L1/L2正则化 and 熵") == [J.join("正则化") + T, J.join("则化")]
    assert han_terms("no Chinese here") == []
    with pytest.raises(TypeError, match="text must be a str, got int"):
        han_terms(3)  # type: ignore[arg-type]


@given(st.text(HAN_CHARS, min_size=2, max_size=12), st.data())
def test_every_part_of_a_term_is_the_prefix_of_a_token(run: str, data: st.DataObject) -> None:
    """What the site promises: any contiguous part (2+ characters) of a term finds it."""
    start = data.draw(st.integers(0, len(run) - 2))
    stop = data.draw(st.integers(start + 2, len(run)))
    query = J.join(run[start:stop])  # as docs/javascripts/search-han.js sends it
    assert any(token.startswith(query) for token in han_terms(f"prose {run}, more prose"))


@given(st.text(HAN_CHARS, min_size=2, max_size=12))
def test_only_the_whole_term_carries_the_terminal(run: str) -> None:
    tokens = han_terms(run)
    whole = [t for t in tokens if t.endswith(TERMINAL)]
    assert whole == [J.join(run) + T]


def test_the_query_script_writes_terms_as_the_index_does() -> None:
    script = (ROOT / "docs" / "javascripts" / "search-han.js").read_text(encoding="utf-8")
    assert f'JOINER = "\\u{ord(JOINER):04x}"' in script
    # The same Han ranges as tools/search_index.py, so both sides agree on what is Chinese.
    assert "[\\u3400-\\u4dbf\\u4e00-\\u9fff\\uf900-\\ufaff]{2,}" in script


@pytest.mark.parametrize(
    ("tex", "text"),
    [
        (r"x^2", "x<sup>2</sup>"),
        (r"x_{ij}", "x<sub>ij</sub>"),
        (r"\frac{a}{b+1}", "a/(b + 1)"),
        (r"(1-\alpha) g^2", "(1 − α)g<sup>2</sup>"),
        (r"\sqrt{d}", "√d"),
        (
            r"y = \sum_{i=1}^{n} w_i x_i",
            "y = ∑<sub>i = 1</sub><sup>n</sup>w<sub>i</sub>x<sub>i</sub>",
        ),
    ],
)
def test_formulas_become_linear_text(tex: str, text: str) -> None:
    assert linear_math(convert(tex)) == text


def test_malformed_mathml_is_refused() -> None:
    with pytest.raises(ValueError, match="mathml is not well-formed"):
        linear_math("<math><mi>x</math>")


def test_search_view_keeps_prose_and_drops_code_figures_and_pilcrows() -> None:
    page = (
        '<h2 id="gan">GAN<a class="anchor-link" href="#gan">¶</a></h2>'
        "<p>Two networks play.</p>"
        '<div class="highlight"><pre><span></span><code>x = 1</code></pre></div>'
        '<figure class="kb-figure"><svg><text>0.5</text></svg><figcaption>Samples</figcaption>'
        "</figure><table><thead><tr><th>k</th></tr></thead><tbody><tr><td>3</td></tr></tbody>"
        "</table>"
    )
    assert search_view(page) == (
        '<h2 id="gan">GAN</h2><p>Two networks play.</p><div class="highlight"></div>'
        '<figure class="kb-figure"><figcaption>Samples</figcaption></figure>'
        "<table><tbody><tr><td>3</td></tr></tbody></table>"
    )


def test_search_view_puts_each_tab_label_in_its_tab() -> None:
    page = (
        '<div class="tabbed-set"><div class="tabbed-labels"><label for="a">SGD</label>'
        '<label for="b">Adam</label></div><div class="tabbed-content">'
        '<div class="tabbed-block"><p>one</p></div><div class="tabbed-block"><p>two</p></div>'
        "</div></div>"
    )
    assert search_view(page) == (
        '<div class="tabbed-set"><div class="tabbed-content">'
        '<div class="tabbed-block"><p>SGD</p><p>one</p></div>'
        '<div class="tabbed-block"><p>Adam</p><p>two</p></div></div></div>'
    )


def test_section_of_finds_the_heading_above_an_anchor() -> None:
    page = (
        '<h1 id="title">T</h1><a id="intro"></a><h2 id="basics">B</h2><a id="rl"></a>'
        '<h3 id="more">M</h3><p data-id="x">text</p>'
    )
    assert section_of(page, "intro") is None  # the first section has no #id in the index
    assert section_of(page, "rl") == "basics"
    assert section_of(page, "basics") == "basics"
    assert section_of(page, "more") == "more"
    with pytest.raises(ValueError, match="anchor 'x' is not an id"):
        section_of(page, "x")  # data-id is not an id


def _index(built: Build) -> dict:
    return json.loads((built.site / "search" / "search_index.json").read_text(encoding="utf-8"))


def test_the_built_index_holds_no_code_and_no_pilcrow(built: Build) -> None:
    index = _index(built)
    for name in HIDDEN_FIELDS:
        assert name in index["config"]["fields"], name
    for doc in index["docs"]:
        assert "<pre>" not in doc["text"], doc["location"]
        assert "¶" not in doc["title"], doc["location"]


def test_every_topic_section_carries_its_names(built: Build) -> None:
    """Each topic's keywords reach the index, on an entry of the topic's own page."""
    docs = _index(built)["docs"]
    for topic in load():
        url = str(Path(topic.page).with_suffix("")) + "/"
        carried = " ".join(d.get("keywords", "") for d in docs if d["location"].startswith(url))
        for word in topic.keywords:
            assert word in carried, (topic.id, word)


def test_the_index_holds_prose_not_code(built: Build) -> None:
    """Code blocks and standalone copies stay out: 644 KB for 93 topics with them, 740 KB of
    prose now that pages explain more. The index is fetched only when the reader first goes
    to the search field (test_search.py), so its size is paid once per visit, on demand."""
    text = (built.site / "search" / "search_index.json").read_text("utf-8")
    assert len(text.encode()) < 900_000
    assert "def box_iou" not in text and "def nms(" not in text
    # Chinese is written as UTF-8 (3 bytes a character), not as \\uXXXX escapes (6 bytes).
    assert "非极大值抑制" in text


def test_previews_read_formulas_and_tabs_as_text(built: Build) -> None:
    """The activations' tabs keep their labels apart; the adaptive optimisers' formulas read
    in one line."""
    docs = _index(built)["docs"]
    (tabs,) = [d for d in docs if d["location"] == "foundations/activations/#activations"]
    assert "<p>sigmoid</p>" in tabs["text"]
    assert "<p>LeakyReLU and ELU</p>" in tabs["text"]
    (formulas,) = [d for d in docs if d["location"] == "training/optimizers/#adaptive"]
    rmsprop = "v<sub>t</sub> = α v<sub>t − 1</sub> + (1 − α) g<sub>t</sub><sup>2</sup>"
    assert rmsprop in formulas["text"]
