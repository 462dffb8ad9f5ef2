"""Section roles from headings, in several languages."""

from __future__ import annotations

import pytest

from bluelabel.agents.summarize.sections import section_name


@pytest.mark.parametrize(
    ("heading", "role"),
    [
        ("Abstract", "abstract"),
        ("ABSTRACT", "abstract"),
        ("Zusammenfassung", "abstract"),
        ("摘要", "abstract"),
        ("1 Introduction", "introduction"),
        ("1.1 Overview:", "introduction"),
        ("Einleitung", "introduction"),
        ("Table of Contents", "contents"),
        ("Inhaltsverzeichnis", "contents"),
        ("References", "references"),
        ("Bibliographie", "references"),
        ("Change History", "index"),
        ("Appendix A GNU Free Documentation License", "index"),
        ("Chapter 2: Introduction", "introduction"),
        ("A.1 GNU Free Documentation License", "index"),
        ("Function and Data Index", "index"),
        ("A GNU Free Documentation License", "index"),
        ("A Implementation", "implementation"),
        ("3 Options", None),
        ("An introduction to the frames of this package and many other things", None),
    ],
)
def test_section_roles(heading: str, role: str | None) -> None:
    assert section_name(heading) == role
