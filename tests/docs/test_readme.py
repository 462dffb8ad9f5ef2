"""The README is the project's front page: at most 12,000 bytes (the docs site holds the rest),
and every relative link and image in it leads to a file of the repository, and every
``#anchor`` into a Markdown page to one of its headings."""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

import pytest

from tests.conftest import REPO

README = REPO / "README.md"
#: The front-page budget (issue 24: "README <= 12,000 bytes").
MAX_BYTES = 12_000

#: ``[text](target)`` and ``![alt](target)``, the target up to a space or the closing bracket.
LINK = re.compile(r"!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
FENCE = re.compile(r"^(```|~~~).*?^\1", re.M | re.S)


def links(markdown: str) -> list[str]:
    """Every link target outside code blocks and inline code."""
    prose = re.sub(r"`[^`\n]*`", "", FENCE.sub("", markdown))
    return LINK.findall(prose)


def slug(heading: str) -> str:
    """The anchor Python-Markdown's ``toc`` (MkDocs, and near enough GitHub) gives a heading."""
    text = re.sub(r"`([^`]*)`", r"\1", heading)  # inline code keeps its text
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", text)  # a link keeps its text
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    text = re.sub(r"[^\w\s-]", "", text).strip().lower()
    return re.sub(r"[-\s]+", "-", text)


def anchors(page: Path) -> set[str]:
    text = FENCE.sub("", page.read_text(encoding="utf-8"))
    return {slug(h) for h in re.findall(r"^#{1,6}\s+(.+?)\s*#*\s*$", text, re.M)}


def test_the_readme_is_a_front_page_of_at_most_12000_bytes() -> None:
    size = len(README.read_bytes())
    assert size <= MAX_BYTES, f"README.md is {size:,} bytes; move sections into docs/"


def test_every_relative_link_of_the_readme_resolves() -> None:
    found = links(README.read_text(encoding="utf-8"))
    relative = [t for t in found if not re.match(r"[a-z][a-z0-9+.-]*:", t)]
    assert len(relative) >= 10  # the front page links into the docs
    broken = []
    for target in relative:
        path, _, anchor = target.partition("#")
        file = (README.parent / path).resolve() if path else README
        if not file.is_relative_to(REPO) or not file.exists():
            broken.append(f"{target}: no such file")
        elif anchor and file.suffix == ".md" and anchor not in anchors(file):
            broken.append(f"{target}: no heading #{anchor} in {file.relative_to(REPO)}")
    assert broken == []


def test_the_readme_shows_the_ui_and_its_images_are_small() -> None:
    images = [t for t in links(README.read_text(encoding="utf-8")) if t.endswith(".png")]
    assert images, "the README shows no screenshot of the UI views"
    for target in images:
        size = (README.parent / target).stat().st_size
        assert size <= 150_000, f"{target} is {size:,} bytes"


@pytest.mark.parametrize(
    ("heading", "anchor"),
    [
        ("Airflow and Python versions", "airflow-and-python-versions"),
        ("`make cluster`: the same deployment as local processes",
         "make-cluster-the-same-deployment-as-local-processes"),
        ("Metrics, tags and Prometheus", "metrics-tags-and-prometheus"),
    ],
)  # fmt: skip
def test_anchors_are_made_as_the_docs_site_makes_them(heading: str, anchor: str) -> None:
    assert slug(heading) == anchor


def test_a_broken_link_is_found() -> None:
    text = "See [x](docs/nowhere.md), `[y](in/code.md)` and [z](https://example.org/a)."
    assert links(text) == ["docs/nowhere.md", "https://example.org/a"]


def test_every_committed_image_is_shown_somewhere() -> None:
    """No screenshot is kept that no page shows (binary files in git are forever)."""
    pages = [README, *(REPO / "docs").rglob("*.md")]
    shown = " ".join(page.read_text(encoding="utf-8") for page in pages)
    images = sorted((REPO / "docs" / "images").glob("*.png"))
    assert images
    assert [i.name for i in images if f"images/{i.name}" not in shown] == []
