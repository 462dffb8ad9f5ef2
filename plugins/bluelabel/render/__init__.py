"""One renderer for everything a person reads: digests, the periodic digest, the report.

Content is built as a :class:`~bluelabel.render.page.Page` of blocks, then rendered by
:func:`~bluelabel.render.markdown.render_markdown` or :func:`~bluelabel.render.html.render_html`.
"""

from __future__ import annotations

from bluelabel.render.html import render_html
from bluelabel.render.markdown import render_markdown
from bluelabel.render.page import Page

__all__ = ["Page", "render_html", "render_markdown"]
