"""Any :class:`~bluelabel.render.page.Page` as Markdown."""

from __future__ import annotations

from bluelabel.render.page import Block, Bullets, Facts, Page, Paragraph, Section, Table


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _block(block: Block, lines: list[str]) -> None:
    if isinstance(block, Paragraph):
        lines += [f"_{block.text}_" if block.muted else block.text, ""]
    elif isinstance(block, Bullets):
        if block.title:
            lines += [f"**{block.title}**", ""]
        marks = (f"{n}." for n in range(1, len(block.items) + 1)) if block.numbered else None
        lines += [f"{next(marks) if marks else '-'} {item}" for item in block.items] + [""]
    elif isinstance(block, Facts):
        lines += [f"- **{label}:** {value}" for label, value in block.pairs] + [""]
    elif isinstance(block, Table):
        if block.caption:
            lines += [f"**{block.caption}**", ""]
        if not block.rows:
            lines += [f"_{block.empty}_", ""]
            return
        align = ["---:" if i in block.numeric else "---" for i in range(len(block.header))]
        lines.append("| " + " | ".join(_cell(h) for h in block.header) + " |")
        lines.append("|" + "|".join(align) + "|")
        lines += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in block.rows]
        lines.append("")
    elif isinstance(block, Section):
        lines += [f"{'#' * block.level} {block.heading}", ""]
        for child in block.blocks:
            _block(child, lines)


def render_markdown(page: Page) -> str:
    lines = [f"# {page.title}", ""]
    if page.subtitle:
        lines += [f"_{page.subtitle}_", ""]
    for block in page.blocks:
        _block(block, lines)
    if page.footer:
        lines += ["---", "", f"_{page.footer}_", ""]
    return "\n".join(lines).rstrip() + "\n"
