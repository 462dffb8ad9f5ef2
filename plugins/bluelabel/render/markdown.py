"""Any :class:`~bluelabel.render.page.Page` as Markdown that carries no markup but its own.

Every text of a page (a document's title, metadata, summary; a run's title) is untrusted and
plain: each is put on one line (a title with a newline cannot forge a heading) and every
character CommonMark or GitHub gives meaning to is backslash-escaped, so no HTML, link, image,
code span, emphasis, table cell or block (heading, list, quote) comes from a document. Only
the renderer writes markup: the headings, lists, tables and emphasis of the page's structure.
"""

from __future__ import annotations

import re

from bluelabel.render.page import Block, Bullets, Facts, Page, Paragraph, Section, Table

#: What makes markup anywhere in a line: raw HTML and autolinks (``<`` before a letter, ``/``,
#: ``!`` or ``?``), entities (``&``), links and images (``[``), code (backquote), emphasis,
#: strikethrough and fences (``*``, ``~``, ``_`` unless inside a word), table cells (``|``),
#: headings (``#``), attribute lists (``{``), and the escape character itself.
_INLINE = re.compile(r"[\\`*{}\[\]#|~&]|<(?=[A-Za-z/!?])|(?<![^\W_])_|_(?![^\W_])")
#: What makes a block when it starts a line (or a list item): a list, a quote, a rule.
_LINE_START = re.compile(r"^([-+>]|\d+[.)])")
_WHITESPACE = re.compile(r"\s+")


def plain(value: object, *, starts_block: bool = False) -> str:
    """``value`` as one line of literal Markdown text: no markup, no line break.
    ``starts_block``: it begins a paragraph or a list item, where ``- `` or ``1. `` is a list."""
    line = _WHITESPACE.sub(" ", str(value)).strip()
    line = _INLINE.sub(lambda m: "\\" + m[0], "".join(c for c in line if c.isprintable()))
    if not starts_block:
        return line
    return _LINE_START.sub(lambda m: m[0][:-1] + "\\" + m[0][-1], line)


def _block(block: Block, lines: list[str]) -> None:
    if isinstance(block, Paragraph):
        body = plain(block.text, starts_block=not block.muted)
        lines += [f"_{body}_" if block.muted else body, ""]
    elif isinstance(block, Bullets):
        if block.title:
            lines += [f"**{plain(block.title)}**", ""]
        marks = (f"{n}." for n in range(1, len(block.items) + 1)) if block.numbered else None
        lines += [
            f"{next(marks) if marks else '-'} {plain(item, starts_block=True)}"
            for item in block.items
        ] + [""]
    elif isinstance(block, Facts):
        lines += [f"- **{plain(label)}:** {plain(value)}" for label, value in block.pairs] + [""]
    elif isinstance(block, Table):
        if block.caption:
            lines += [f"**{plain(block.caption)}**", ""]
        if not block.rows:
            lines += [f"_{plain(block.empty)}_", ""]
            return
        align = ["---:" if i in block.numeric else "---" for i in range(len(block.header))]
        lines.append("| " + " | ".join(plain(h) for h in block.header) + " |")
        lines.append("|" + "|".join(align) + "|")
        lines += ["| " + " | ".join(plain(c) for c in row) + " |" for row in block.rows]
        lines.append("")
    elif isinstance(block, Section):
        lines += [f"{'#' * max(2, block.level)} {plain(block.heading)}", ""]
        for child in block.blocks:
            _block(child, lines)


def render_markdown(page: Page) -> str:
    lines = [f"# {plain(page.title)}", ""]
    if page.subtitle:
        lines += [f"_{plain(page.subtitle)}_", ""]
    for block in page.blocks:
        _block(block, lines)
    if page.footer:
        lines += ["---", "", f"_{plain(page.footer)}_", ""]
    return "\n".join(lines).rstrip() + "\n"
