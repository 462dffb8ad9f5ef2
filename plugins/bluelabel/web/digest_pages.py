"""How a digest file is served: the page shown (HTML as it is, markdown rendered, JSON as
text), the headers that keep it inert, and the name it downloads under."""

from __future__ import annotations

import html
import re
from urllib.parse import quote

#: Digest pages may style themselves and show inline images; nothing else (no scripts).
DIGEST_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; img-src data:",
    "X-Content-Type-Options": "nosniff",
}
#: How a digest file that is not HTML is shown: markdown rendered, JSON as it is.
_PAGE_STYLE = (
    "body{font:15px/1.55 system-ui,sans-serif;margin:1.5rem auto;max-width:56rem;"
    "padding:0 1.5rem;color:#1f2937}pre{white-space:pre-wrap;word-wrap:break-word}"
    "table{border-collapse:collapse}th,td{border:1px solid #d1d5db;padding:.3rem .6rem}"
    "@media (prefers-color-scheme:dark){body{background:#111827;color:#e5e7eb}"
    "th,td{border-color:#374151}a{color:#93c5fd}}"
)


def render_markdown_page(text: str) -> str:
    """A markdown digest as HTML (CommonMark and tables; raw HTML in it stays text, and
    ``javascript:`` links are not made links)."""
    from markdown_it import MarkdownIt

    return str(MarkdownIt("js-default").render(text))


def as_html(text: str, fmt: str, title: str) -> str:
    """A digest file as a page: HTML as it is, markdown rendered, JSON as preformatted text."""
    if fmt == "html":
        return text
    body = render_markdown_page(text) if fmt == "markdown" else f"<pre>{html.escape(text)}</pre>"
    return (
        f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
        f"<style>{_PAGE_STYLE}</style></head><body>{body}</body></html>"
    )


#: ``format`` query values of the download, -> (file format, media type, suffix)
DOWNLOADS = {
    "md": ("markdown", "text/markdown; charset=utf-8", "md"),
    "html": ("html", "text/html; charset=utf-8", "html"),
    "json": ("json", "application/json", "json"),
}


def attachment(filename: str) -> str:
    """A ``Content-Disposition`` for ``filename``: an ASCII fallback with anything unsafe
    replaced, and the exact name in RFC 5987 form."""
    fallback = re.sub(r"[^A-Za-z0-9._-]+", "_", filename).strip("._") or "digest"
    return f"attachment; filename=\"{fallback[:150]}\"; filename*=UTF-8''{quote(filename[:150])}"
