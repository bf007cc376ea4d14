"""Search as a reader uses it: queries typed into the built site's search box in Chromium.

The query lists are the site's search benchmark (``tests/site/test_search.py`` asserts on
them); ``python -m tools.search_eval --site site`` prints every query with the rank at which
its page comes, the recall, and the bytes the search index costs a page load.
``--shot results.png --query 抑制`` saves a screenshot of the results for one query instead
(``--width``, ``--scheme light|dark``).
"""

from __future__ import annotations

import argparse
import functools
import gzip
import re
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

from playwright.sync_api import Page, sync_playwright

from tools.screenshot import FLAGS, QuietHandler

# (query, page expected among the first three results, what the query is). Terms are
# words of the notes; parts are pieces of longer terms; synonyms are other names for a
# topic (some from the notes, some in common use) that a page may not contain.
CHINESE: list[tuple[str, str, str]] = [
    ("抑制", "detection/nms/", "part"),
    ("极大值抑制", "detection/nms/", "part"),
    ("非极大值抑制", "detection/nms/", "term"),
    ("非最大抑制", "detection/nms/", "synonym"),
    ("批归一化", "training/normalization/", "synonym"),
    ("批标准化", "training/normalization/", "synonym"),
    ("批量归一化", "training/normalization/", "term"),
    ("归一化", "training/normalization/", "part"),
    ("层归一化", "training/normalization/", "term"),
    ("正则化", "training/regularization/", "part"),
    ("权重衰减", "training/regularization/", "synonym"),
    ("随机失活", "training/regularization/", "term"),
    ("丢弃法", "training/regularization/", "synonym"),
    ("随机深度", "training/regularization/", "term"),
    ("空洞卷积", "cnn/conv-variants/", "term"),
    ("膨胀卷积", "cnn/conv-variants/", "synonym"),
    ("反卷积", "cnn/conv-variants/", "term"),
    ("转置卷积", "cnn/conv-variants/", "term"),
    ("深度可分离卷积", "cnn/conv-variants/", "term"),
    ("可分离", "cnn/conv-variants/", "part"),
    ("可变形卷积", "cnn/conv-variants/", "term"),
    ("分组卷积", "cnn/conv-variants/", "term"),
    ("卷积神经网络", "cnn/convolution/", "term"),
    ("卷积核", "cnn/convolution/", "term"),
    ("参数量", "cnn/convolution/", "term"),
    ("感受野", "cnn/receptive-field/", "term"),
    ("池化", "cnn/pooling/", "term"),
    ("最大池化", "cnn/pooling/", "term"),
    ("上采样", "cnn/pooling/", "term"),
    ("双线性插值", "cnn/pooling/", "term"),
    ("全局平均池化", "cnn/architectures/", "term"),
    ("全连接层", "cnn/architectures/", "term"),
    ("残差", "cnn/architectures/", "term"),
    ("特征融合", "cnn/architectures/", "term"),
    ("数据增强", "detection/augmentation/", "part"),
    ("马赛克", "detection/augmentation/", "synonym"),
    ("自注意力", "attention/transformer/", "synonym"),
    ("多头注意力", "attention/transformer/", "term"),
    ("位置编码", "attention/transformer/", "term"),
    ("点积注意力", "attention/transformer/", "part"),
    ("注意力机制", "attention/overview/", "term"),
    ("局部注意力", "attention/overview/", "part"),
    ("相似度", "attention/overview/", "part"),
    ("通道注意力", "attention/cv-modules/", "part"),
    ("坐标注意力", "attention/cv-modules/", "term"),
    ("双重注意力", "attention/cv-modules/", "part"),
    ("挤压激励", "attention/cv-modules/", "synonym"),
    ("序列到序列", "attention/seq2seq/", "term"),
    ("集束搜索", "attention/seq2seq/", "synonym"),
    ("束搜索", "attention/seq2seq/", "synonym"),
    ("教师强制", "attention/seq2seq/", "synonym"),
    ("微调", "foundations/gradients/", "part"),
    ("预训练", "foundations/gradients/", "part"),
    ("迁移学习", "foundations/gradients/", "synonym"),
    ("梯度消失", "foundations/gradients/", "term"),
    ("梯度爆炸", "foundations/gradients/", "term"),
    ("梯度裁剪", "foundations/gradients/", "synonym"),
    ("剪切", "foundations/gradients/", "part"),
    ("反向传播", "foundations/backprop/", "term"),
    ("链式法则", "foundations/backprop/", "term"),
    ("方向导数", "foundations/backprop/", "term"),
    ("激活函数", "foundations/activations/", "term"),
    ("指数函数", "foundations/activations/", "part"),
    ("交叉熵", "foundations/information/", "term"),
    ("信息熵", "foundations/information/", "synonym"),
    ("范数", "foundations/information/", "term"),
    ("张量", "foundations/tensors/", "term"),
    ("拟合", "foundations/fitting/", "part"),
    ("螺旋", "foundations/spiral/", "part"),
    ("梯度下降", "training/optimizers/", "term"),
    ("优化器", "training/optimizers/", "term"),
    ("动量", "training/optimizers/", "term"),
    ("学习率", "training/schedules/", "term"),
    ("余弦退火", "training/schedules/", "synonym"),
    ("损失函数", "training/losses/", "term"),
    ("焦点损失", "training/losses/", "term"),
    ("标签平滑", "training/losses/", "term"),
    ("混合精度", "training/memory/", "term"),
    ("梯度累加", "training/memory/", "term"),
    ("腐蚀", "image/opencv/", "term"),
    ("膨胀", "image/opencv/", "term"),
    ("开运算", "image/opencv/", "synonym"),
    ("闭运算", "image/opencv/", "synonym"),
    ("形态学", "image/opencv/", "term"),
    ("直方图均衡化", "image/opencv/", "term"),
    ("双边滤波", "image/opencv/", "term"),
    ("边缘检测", "image/opencv/", "synonym"),
    ("椒盐噪声", "image/filters/", "synonym"),
    ("高斯滤波", "image/filters/", "term"),
    ("中值滤波", "image/filters/", "term"),
    ("均值滤波", "image/filters/", "term"),
    ("伽马校正", "image/filters/", "term"),
    ("高斯金字塔", "image/pyramids/", "term"),
    ("拉普拉斯金字塔", "image/pyramids/", "term"),
    ("特征金字塔", "detection/feature-pyramids/", "term"),
    ("尺度不变性", "detection/feature-pyramids/", "term"),
    ("空间金字塔池化", "detection/feature-pyramids/", "term"),
    ("金字塔池化", "detection/feature-pyramids/", "part"),
    ("交并比", "detection/iou/", "term"),
    ("锚框", "detection/anchors/", "term"),
    ("先验框", "detection/anchors/", "term"),
    ("难例挖掘", "detection/anchors/", "synonym"),
    ("两阶段", "detection/detectors/", "part"),
    ("区域建议网络", "detection/detectors/", "synonym"),
    ("样本不平衡", "detection/detectors/", "part"),
    ("混淆矩阵", "metrics/precision-recall/", "term"),
    ("精确率", "metrics/precision-recall/", "term"),
    ("准确率", "metrics/precision-recall/", "synonym"),
    ("召回率", "metrics/precision-recall/", "term"),
    ("查全率", "metrics/precision-recall/", "synonym"),
    ("平均精度", "metrics/ap-map/", "term"),
    ("语义分割", "metrics/segmentation/", "term"),
    ("平均交并比", "metrics/segmentation/", "synonym"),
    ("生成对抗网络", "generative/gan/", "term"),
    ("对抗", "generative/gan/", "part"),
    ("判别器", "generative/gan/", "term"),
    ("模式崩溃", "generative/gan/", "synonym"),
    ("模式坍塌", "generative/gan/", "synonym"),
    ("自编码器", "generative/autoencoder/", "term"),
    ("编码器", "generative/autoencoder/", "part"),
    ("异常检测", "generative/autoencoder/", "term"),
    ("自监督学习", "generative/autoencoder/", "term"),
    ("强化学习", "rl/actor-critic/", "term"),
    ("策略梯度", "rl/actor-critic/", "synonym"),
    ("评论家", "rl/actor-critic/", "part"),
    ("演员评论家", "rl/actor-critic/", "synonym"),
    ("逆强化", "rl/actor-critic/", "part"),
]

# (query, the page that must come first): the rankings the issue reported as wrong, and
# common English names of topics.
FIRST: list[tuple[str, str]] = [
    ("注意力", "attention/overview/"),
    ("卷积", "cnn/convolution/"),
    ("损失函数", "training/losses/"),
    ("batchnorm", "training/normalization/"),
    ("learning rate", "training/schedules/"),
    ("intersection over union", "detection/iou/"),
    ("non-maximum suppression", "detection/nms/"),
    ("nms", "detection/nms/"),
    ("giou", "detection/iou/"),
    ("beam search", "attention/seq2seq/"),
    ("dropout", "training/regularization/"),
    ("receptive field", "cnn/receptive-field/"),
    ("focal loss", "training/losses/"),
    ("self-attention", "attention/transformer/"),
    ("mode collapse", "generative/gan/"),
    ("policy gradient", "rl/actor-critic/"),
    ("histogram equalisation", "image/opencv/"),
    ("transposed convolution", "cnn/conv-variants/"),
]

# Counts the queries Material's page sends to its search worker and the results it gets back,
# and keeps the last query sent (without the zero-width non-joiners that search-han.js puts
# between Chinese characters), so that a test reads the result list only once the answer to
# the query in the box is in: Material sends a query some time after the last keystroke,
# and until then the list shows the answer to the previous one.
COUNT_MESSAGES = """
(() => {
  window.__kbSent = 0
  window.__kbAnswered = 0
  window.__kbQuery = null
  const Native = window.Worker
  window.Worker = class extends Native {
    constructor(...args) {
      super(...args)
      this.addEventListener("message", ev => {
        if (ev.data && ev.data.type === 3) window.__kbAnswered += 1
      })
    }
    postMessage(message, ...rest) {
      if (message && message.type === 2) {
        window.__kbSent += 1
        window.__kbQuery = String(message.data).replace(/\u200c/g, "")
      }
      return super.postMessage(message, ...rest)
    }
  }
})()
"""


class SearchBox:
    """Material's search box on an open page, driven key by key."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.box = page.locator("input.md-search__input")

    def open(self, url: str) -> None:
        """Load ``url`` and wait until the search worker has its index."""
        self.page.add_init_script(COUNT_MESSAGES)
        self.page.goto(url, wait_until="networkidle")
        self.page.keyboard.press("/")  # Material's shortcut: opens search on any screen width
        self.box.wait_for(state="visible")

    def _settle(self, value: str) -> None:
        self.page.wait_for_function(
            """value => document.querySelector("input.md-search__input").value === value
                && window.__kbQuery === value && window.__kbAnswered === window.__kbSent""",
            arg=value,
            timeout=15_000,
        )
        # Material renders the answer in the next animation frame.
        self.page.evaluate("() => new Promise(r => requestAnimationFrame(() => r()))")

    def type(self, query: str) -> None:
        """Clear the box, then type ``query`` one key at a time.

        Latin keys send key-up events as a keyboard does; a Chinese character arrives as an
        input event (as an input method commits it), followed by the key-up of the key that
        committed it, on which Material searches.
        """
        self.box.focus()
        self.page.keyboard.press("Control+A")
        self.page.keyboard.press("Backspace")
        for latin, chinese in re.findall(r"([\x00-\x7f]*)([^\x00-\x7f]*)", query):
            self.page.keyboard.type(latin)  # one key event sequence per character
            for char in chinese:  # typed as an input method commits it: an input event,
                self.page.keyboard.type(char)
                self.page.keyboard.press("Shift")  # then the key-up of the committing key
        self._settle(query)

    def fill(self, query: str) -> None:
        """Put ``query`` into the box at once, as an input method commits a phrase, then
        press End (Material searches on key-up)."""
        self.box.focus()
        self.box.fill(query)
        self.box.press("End")
        self._settle(query)

    def pages(self) -> list[str]:
        """The result pages, best first, as paths from the site root (``detection/nms/``)."""
        hrefs = self.page.eval_on_selector_all(
            ".md-search-result__item > .md-search-result__link:first-child",
            "links => links.map(a => a.href)",
        )
        return [urlsplit(href).path.lstrip("/") for href in hrefs]

    def titles(self) -> list[str]:
        """Every title shown in the result list (pages and their sections)."""
        return self.page.eval_on_selector_all(
            ".md-search-result__article h1, .md-search-result__article h2",
            "titles => titles.map(t => t.textContent)",
        )

    def rank(self, query: str, page: str) -> int | None:
        """The 1-based rank of ``page`` among the results for ``query``, or ``None``."""
        self.type(query)
        pages = self.pages()
        return pages.index(page) + 1 if page in pages else None


def index_bytes(site: Path) -> tuple[int, int]:
    """Size of ``search/search_index.json``, which a page load fetches: raw and gzipped."""
    data = (site / "search" / "search_index.json").read_bytes()
    return len(data), len(gzip.compress(data, 9))


@contextmanager
def serve(site: Path) -> Iterator[str]:
    """Serve ``site`` on a free local port; yield its base URL."""
    handler = functools.partial(QuietHandler, directory=str(site))
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}/"
    finally:
        httpd.shutdown()


def _shoot(box: SearchBox, query: str, path: Path) -> None:
    box.type(query)
    box.page.screenshot(path=str(path))
    print(path, box.pages()[:5])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--site", type=Path, default=Path("site"))
    parser.add_argument("--shot", type=Path, help="save a screenshot of one query's results")
    parser.add_argument("--query", default="抑制")
    parser.add_argument("--width", type=int, default=1280)
    parser.add_argument("--scheme", choices=("light", "dark"), default="light")
    args = parser.parse_args()
    with serve(args.site) as base, sync_playwright() as p, tempfile.TemporaryDirectory() as tmp:
        context = p.chromium.launch_persistent_context(
            tmp,
            executable_path="/usr/bin/chromium",
            args=FLAGS,
            headless=True,
            viewport={"width": args.width, "height": 900},
            color_scheme=args.scheme,
        )
        box = SearchBox(context.new_page())
        box.open(base)
        if args.shot:
            _shoot(box, args.query, args.shot)
            context.close()
            return
        print("| query | kind | page | rank |\n|---|---|---|---|")
        found = first = 0
        for query, page, kind in CHINESE:
            rank = box.rank(query, page)
            found += rank is not None and rank <= 3
            first += rank == 1
            print(f"| {query} | {kind} | {page} | {rank or '–'} |")
        print(f"\nChinese: {found}/{len(CHINESE)} in the top three, {first} first\n")
        print("| query | first result | expected |\n|---|---|---|")
        right = 0
        for query, page in FIRST:
            box.type(query)
            got = (box.pages() or ["–"])[0]
            right += got == page
            print(f"| {query} | {got} | {page} |")
        print(f"\nFirst result right: {right}/{len(FIRST)}")
        context.close()
    raw, packed = index_bytes(args.site)
    print(f"search_index.json: {raw:,} bytes, {packed:,} gzipped")


if __name__ == "__main__":
    main()
