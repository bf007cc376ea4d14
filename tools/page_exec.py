"""Every code block a page shows runs at build time, shows its real output, and can be copied whole.

``rewrite(markdown, page)`` turns each ``python`` fence of a Markdown page into what the
reader gets:

* a plain block runs with markdown-exec in one session per page, in page order (as in a
  notebook), and shows the code with whatever it printed in a result box below it;
* a block that shows public functions of ``reference/`` is followed by a collapsed
  **standalone copy**: the functions with every helper and import they need
  (:mod:`tools.standalone`), which runs in a fresh Python without the package;
* a block followed by ``<!-- annotate -->`` and a list whose items start with a code
  fragment in backticks gets Material code annotations: a numbered marker on the first
  line (after the previous marker) that contains the fragment, the fragment removed from
  the item;
* markdown-exec blocks that show their source join the page's session; hidden figure
  blocks keep a namespace of their own, so shown code never depends on hidden code.
"""

from __future__ import annotations

import html as html_module
import re
import textwrap

from tools.page_code import Fence, fences
from tools.standalone import standalone_source

# Right after a fence: "<!-- annotate -->" and an ordered list whose items start with a
# code fragment in backticks (the line to mark) and an optional separator.
_ANNOTATIONS = re.compile(
    r"\n*<!-- annotate -->\n+((?:\d+\.[ \t]+`[^`\n]+`[^\n]*\n(?:[ \t]+[^\n]*\n|\n(?=[ \t]))*)+)"
)
_ANNOTATION_ITEM = re.compile(
    r"^[ \t]*\d+\.[ \t]+`(?P<fragment>[^`\n]+)`[ \t]*(?:[—:-][ \t]*)?", re.M
)
_EMPTY_RESULT = re.compile(
    r'<div class="result">\s*<div class="language-text highlight"><pre><span></span><code>'
    r"(?:<span[^>]*>)?(?:<a [^>]*></a>)?\s*(?:</span>)?</code></pre></div>\s*</div>\n?"
)
# Line ids that pymdownx.highlight numbers per Markdown conversion; markdown-exec converts
# each block separately, so the numbers repeat on a page.
_PRE = re.compile(r"<pre\b.*?</pre>", re.S)
_FAILED_BLOCK = re.compile(r"<pre\b(?:(?!</pre>).)*&lt;code block: (?:(?!</pre>).)*</pre>", re.S)
_LINE_ID = re.compile(r"\b(__span|__codelineno)-\d+-(\d+)")
# markdown-exec's ids count the blocks of the whole build: a page's ids would depend on the
# pages built before it.
_EXEC_ID = re.compile(r"\bexec-(\d+)--")


_RNG_SAVE = '```python exec="on" session="kb-rng"\nimport torch\nstate = torch.get_rng_state()\n```'
_RNG_RESTORE = '```python exec="on" session="kb-rng"\ntorch.set_rng_state(state)\n```'


class PageCodeError(ValueError):
    """A page's code blocks cannot be turned into what the reader gets."""


def session_name(page: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "-", page.removesuffix(".md")).strip("-")


def _options(options: dict[str, str]) -> str:
    return " ".join(f'{key}="{value}"' for key, value in options.items())


def _fence(code: str, options: dict[str, str]) -> str:
    return f"```python {_options(options)}".rstrip() + f"\n{code.rstrip()}\n```"


def _annotate(code: str, items: str, where: str) -> tuple[str, str]:
    """Put Material annotation markers into ``code`` for each item of the list ``items``."""
    lines = code.rstrip("\n").split("\n")
    matches = list(_ANNOTATION_ITEM.finditer(items))
    bodies = [
        items[m.end() : nxt.start() if nxt else len(items)].strip("\n")
        for m, nxt in zip(matches, [*matches[1:], None], strict=True)
    ]
    line = 0
    out_items = []
    for number, (match, body) in enumerate(zip(matches, bodies, strict=True), start=1):
        fragment = match["fragment"]
        line = next((i for i in range(line, len(lines)) if fragment in lines[i]), -1)
        if line < 0:
            raise PageCodeError(
                f"{where}: annotation {number}: no line after the previous marker has `{fragment}`"
            )
        # A marker inside an existing comment keeps that comment; "!" would replace it.
        comment = lines[line].find("#", lines[line].find(fragment) + len(fragment))
        lines[line] += f" ({number})" if comment >= 0 else f"  # ({number})!"
        line += 1
        out_items.append(f"{number}. {body}")
    return "\n".join(lines) + "\n", "\n".join(out_items) + "\n"


def _standalone_block(targets: list[tuple[str, str]]) -> str:
    public = [name for _, name in targets if not name.startswith("_")] or [targets[0][1]]
    names = ", ".join(f"`{name}`" for name in public)
    code = standalone_source(targets)
    lines = len(code.strip().splitlines())
    title = f"Standalone copy of {names}: {lines} lines with imports and helpers, no package needed"
    # Plain text, not highlighted: a copy to take, three times lighter on the page.
    body = textwrap.indent(f"```text\n{code.rstrip()}\n```", "    ")
    return (
        '<div class="kb-standalone" data-search-exclude="" markdown>\n\n'
        f'??? standalone "{title}"\n\n{body}\n\n</div>'
    )


def _cell(markdown: str) -> str:
    # The wrapper lets tests find each shown block with its output in the built page.
    return f'<div class="kb-cell" markdown>\n\n{markdown}\n\n</div>'


def rewrite(markdown: str, page: str) -> str:
    """The page's Markdown with its python fences turned into run, shown and copyable blocks."""
    session = session_name(page)
    out: list[str] = []
    pos = 0
    for number, fence in enumerate(fences(markdown), start=1):
        out.append(markdown[pos : fence.start])
        pos = fence.end
        where = f"{page}, python block {number}"
        if fence.executed_at_build and not fence.shown:  # a figure drawn by hidden code
            # Hidden code must not change the random numbers that the shown code draws.
            text = "\n\n".join([_RNG_SAVE, _fence(fence.body, fence.options), _RNG_RESTORE])
        elif fence.executed_at_build:  # a figure whose plotting code is shown in a tab
            text = _cell(_fence(fence.body, {**fence.options, "session": session}))
        else:
            run = {"exec": "on", "session": session, "id": f"{session}-{number}"}
            annotations = _ANNOTATIONS.match(markdown, pos) if not fence.indent else None
            if annotations:
                shown, items = _annotate(fence.code, annotations.group(1), where)
                pos = annotations.end()
                text = f"{_fence(fence.code, run)}\n\n{_fence(shown, fence.options)}\n\n{items}"
            else:
                display = {"source": "block", "result": "text"}
                text = _fence(fence.code, run | display | fence.options)
            text = _cell(text)
            try:
                targets = fence.standalone_targets()
                if targets:
                    text += "\n\n" + _standalone_block(targets)
            except (ValueError, LookupError) as error:
                raise PageCodeError(f"{where}: {error}") from error
        out.append(textwrap.indent(text, fence.indent) if fence.indent else text)
    out.append(markdown[pos:])
    # Free the session's namespace once the page is done; the next build starts empty.
    out.append(f'\n\n```python exec="on" session="{session}"\nglobals().clear()\n```\n')
    return "".join(out)


def finish_html(html: str, page: str) -> str:
    """Fail on a block that raised; drop empty result boxes; number ids within the page.

    markdown-exec renders the traceback of a block that raised instead of its output and
    only logs the failure, so the build would pass with the error on the page.
    """
    failure = _FAILED_BLOCK.search(html)
    if failure:
        text = html_module.unescape(re.sub(r"<[^>]+>", "", failure.group(0)))
        raise PageCodeError(f"{page}: a code block raised during the build:\n{text}")
    html = _EMPTY_RESULT.sub("", html)
    blocks = iter(range(100_000))

    def renumber(pre: re.Match[str]) -> str:
        block = next(blocks)
        return _LINE_ID.sub(lambda m: f"{m[1]}-{block}-{m[2]}", pre.group(0))

    html = _PRE.sub(renumber, html)
    exec_ids: dict[str, int] = {}
    return _EXEC_ID.sub(lambda m: f"exec-{exec_ids.setdefault(m[1], len(exec_ids) + 1)}--", html)


__all__ = ["Fence", "PageCodeError", "finish_html", "rewrite", "session_name"]
