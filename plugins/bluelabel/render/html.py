"""Any :class:`~bluelabel.render.page.Page` as a standalone HTML page: inline CSS, readable
type, light and dark (the reader's setting), prints well; every value escaped."""

from __future__ import annotations

import html
import re

from bluelabel.render.page import Block, Bullets, Facts, Page, Paragraph, Section, Table

STYLE = """
:root{color-scheme:light dark;--fg:#1f2933;--muted:#52606d;--bg:#ffffff;--panel:#f5f7fa;
--line:#d9e2ec;--accent:#017cee;--accent-soft:#e6f2fe}
@media (prefers-color-scheme:dark){:root{--fg:#e4e7eb;--muted:#9aa5b1;--bg:#111418;
--panel:#1b2027;--line:#323f4b;--accent:#5aa9f7;--accent-soft:#15283d}}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--fg);font:16px/1.6 system-ui,-apple-system,
"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;-webkit-font-smoothing:antialiased}
main{max-width:50rem;margin:0 auto;padding:2.5rem 1.5rem 4rem}
h1{font-size:1.9rem;line-height:1.25;margin:0 0 .35rem}
h2{font-size:1.35rem;line-height:1.3;margin:2.4rem 0 .6rem;padding-top:1.2rem;
border-top:1px solid var(--line)}
h3{font-size:1.1rem;margin:1.6rem 0 .4rem}
h4{font-size:1rem;margin:1.2rem 0 .3rem}
p{margin:.5rem 0 .9rem}
.subtitle,.muted{color:var(--muted)}
.subtitle{margin:0 0 1.5rem;font-size:.95rem}
ul,ol{margin:.3rem 0 1rem;padding-left:1.4rem}
li{margin:.25rem 0}
.list-title{font-weight:600;margin:1rem 0 .2rem}
dl.facts{display:grid;grid-template-columns:max-content 1fr;gap:.15rem 1rem;margin:.6rem 0 1rem;
padding:.7rem 1rem;background:var(--panel);border-radius:8px;font-size:.92rem}
dl.facts dt{color:var(--muted)}
dl.facts dd{margin:0;overflow-wrap:anywhere}
table{border-collapse:collapse;width:100%;margin:.6rem 0 1.2rem;font-size:.92rem}
caption{text-align:left;font-weight:600;padding:.3rem 0}
th,td{padding:.45rem .6rem;border-bottom:1px solid var(--line);text-align:left;
vertical-align:top}
th{background:var(--panel);font-weight:600}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
a{color:var(--accent)}
section.item{margin:0}
footer{margin-top:3rem;color:var(--muted);font-size:.85rem;border-top:1px solid var(--line);
padding-top:1rem}
@media print{:root{--fg:#000;--muted:#444;--bg:#fff;--panel:#f3f3f3;--line:#bbb}
main{max-width:none;padding:0}h2{break-after:avoid}section.item,table{break-inside:avoid}
a{color:inherit;text-decoration:none}}
"""

_URL = re.compile(r"https?://[^\s<>\"')]+")


def _text(value: str) -> str:
    """Escaped text with bare http(s) URLs as links."""
    out, last = [], 0
    for match in _URL.finditer(value):
        out.append(html.escape(value[last : match.start()]))
        url = match.group(0).rstrip(".,;:")
        out.append(f'<a href="{html.escape(url, quote=True)}">{html.escape(url)}</a>')
        last = match.start() + len(url)
    out.append(html.escape(value[last:]))
    return "".join(out)


def _block(block: Block, out: list[str]) -> None:
    e = html.escape
    if isinstance(block, Paragraph):
        muted = ' class="muted"' if block.muted else ""
        out.append(f"<p{muted}>{_text(block.text)}</p>")
    elif isinstance(block, Bullets):
        if block.title:
            out.append(f'<p class="list-title">{e(block.title)}</p>')
        tag = "ol" if block.numbered else "ul"
        out.append(f"<{tag}>" + "".join(f"<li>{_text(i)}</li>" for i in block.items) + f"</{tag}>")
    elif isinstance(block, Facts):
        rows = "".join(f"<dt>{e(k)}</dt><dd>{_text(v)}</dd>" for k, v in block.pairs)
        out.append(f'<dl class="facts">{rows}</dl>')
    elif isinstance(block, Table):
        if not block.rows:
            if block.caption:
                out.append(f'<p class="list-title">{e(block.caption)}</p>')
            out.append(f'<p class="muted">{e(block.empty)}</p>')
            return
        caption = f"<caption>{e(block.caption)}</caption>" if block.caption else ""

        def cls(i: int) -> str:
            return ' class="num"' if i in block.numeric else ""

        head = "".join(f"<th{cls(i)}>{e(h)}</th>" for i, h in enumerate(block.header))
        body = "".join(
            "<tr>" + "".join(f"<td{cls(i)}>{_text(c)}</td>" for i, c in enumerate(row)) + "</tr>"
            for row in block.rows
        )
        out.append(f"<table>{caption}<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>")
    elif isinstance(block, Section):
        level = min(max(block.level, 2), 6)
        anchor = f' id="{e(block.anchor, quote=True)}"' if block.anchor else ""
        out.append(f'<section class="item"{anchor}><h{level}>{e(block.heading)}</h{level}>')
        for child in block.blocks:
            _block(child, out)
        out.append("</section>")


def render_html(page: Page) -> str:
    out = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{html.escape(page.title)}</title>",
        f"<style>{STYLE}</style></head><body><main>",
        f"<h1>{html.escape(page.title)}</h1>",
    ]
    if page.subtitle:
        out.append(f'<p class="subtitle">{_text(page.subtitle)}</p>')
    for block in page.blocks:
        _block(block, out)
    if page.footer:
        out.append(f"<footer>{_text(page.footer)}</footer>")
    out.append("</main></body></html>")
    return "\n".join(out) + "\n"
