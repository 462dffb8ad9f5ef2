"""MkDocs hooks (``mkdocs.yml``: ``hooks``): the reference pages generated from the code
(:mod:`devtools.docs_reference`) and the changelog join the site at build time, so no
generated file is kept in ``docs/`` to drift."""

from __future__ import annotations

from pathlib import Path

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.structure.files import File, Files

from devtools.docs_reference import pages

CHANGELOG = Path(__file__).resolve().parents[1] / "CHANGELOG.md"


def on_files(files: Files, config: MkDocsConfig) -> Files:
    for path, content in pages().items():
        files.append(File.generated(config, path, content=content))
    files.append(File.generated(config, "changelog.md", content=CHANGELOG.read_text()))
    return files
