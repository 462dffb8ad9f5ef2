"""Title, sections and "What's inside"."""

from __future__ import annotations

from bluelabel.agents.pdf.outline import OutlineEntry
from bluelabel.agents.summarize.structure import (
    detect_title,
    sections_of,
    usable_title,
    what_inside,
)
from bluelabel.agents.summarize.textmodel import build_text_model
from tests.unit.agents.summarize.documents import manual


def test_title_metadata_first_then_heading_then_first_line() -> None:
    model = build_text_model(manual())
    assert detect_title("Decorative frames for LaTeX", model) == "Decorative frames for LaTeX"
    assert detect_title(None, model) == "The tidyframes package"
    for placeholder in ("Untitled", "tidyframes.dvi", "Microsoft Word - draft.docx", "  "):
        assert detect_title(placeholder, model) == "The tidyframes package"
    markdown = build_text_model("# Release notes\n\nThe release fixes two bugs in the frames.")
    assert detect_title(None, markdown) == "Release notes"


def test_title_skips_dates_versions_and_contacts() -> None:
    text = "2024-01-15\nv1.2\nann@example.org\nA Guide to Frames\nThe guide explains frames."
    assert detect_title(None, build_text_model(text)) == "A Guide to Frames"


def test_title_on_two_lines() -> None:
    text = "Formatting meeting minutes\nwith the meetingmins class\nBrian Example\n"
    title = detect_title(None, build_text_model(text))
    assert title == "Formatting meeting minutes with the meetingmins class"


def test_usable_title_is_bounded() -> None:
    assert usable_title("x" * 1000) is not None and len(usable_title("x" * 1000) or "") <= 200
    assert usable_title("\x00\x01") is None


def test_sections_carry_their_roles() -> None:
    sections = sections_of(build_text_model(manual()))
    roles = {s.title: s.role for s in sections}
    assert roles["Abstract"] == "abstract"
    assert roles["1 Introduction"] == "introduction"
    assert roles["4 Implementation"] == "implementation"
    assert sections[0].front and sections[0].title is None  # title, author and date


def test_what_inside_from_the_outline() -> None:
    model = build_text_model(manual())
    outline = [
        OutlineEntry(0, "Contents", 0),
        OutlineEntry(0, "1 Introduction", 1),
        OutlineEntry(1, "1.1 History", 1),
        OutlineEntry(0, "2 Usage", 2),
        OutlineEntry(0, "\\tf@frame", 4),  # a macro bookmark of a dtx manual
        OutlineEntry(0, "3 Options", 3),
        OutlineEntry(0, "References", 5),
    ]
    assert what_inside(outline, model, 5000, "The tidyframes package") == [
        "Introduction",
        "Usage",
        "Options",
    ]


def test_what_inside_from_headings_and_not_for_short_documents() -> None:
    model = build_text_model(manual())
    assert what_inside([], model, 5000, None) == [
        "Introduction",
        "Usage",
        "Options",
        "Implementation",
    ]
    short = build_text_model("1 Introduction\nA short note.\n2 Usage\nUse it.\n3 End\nDone.")
    assert what_inside([], short, 10, None) == []


def test_what_inside_descends_from_a_single_root() -> None:
    model = build_text_model(manual())
    outline = [OutlineEntry(0, "Manual", 0)] + [
        OutlineEntry(1, name, n) for n, name in enumerate(["Setup", "Frames", "Colours"])
    ]
    assert what_inside(outline, model, 5000, None) == ["Setup", "Frames", "Colours"]


def test_what_inside_from_headings_stops_at_the_back_matter() -> None:
    lines = ["Copyright", "Permission is granted to copy this manual.", "Table of Contents"]
    for number, name in enumerate(["Introduction", "Parsing", "Encoding"], 1):
        lines += [f"{number} {name}", f"The {name.lower()} chapter explains {name.lower()}."]
    lines += [
        "A.1 GNU Free Documentation License",
        "0. PREAMBLE",
        "The licence.",
        "1. TERMS",
        "More.",
    ]
    model = build_text_model("\n".join(lines))
    assert what_inside([], model, 5000, None) == ["Introduction", "Parsing", "Encoding"]


def test_a_digit_that_ends_a_title_word_is_kept() -> None:
    from bluelabel.agents.summarize.structure import detect_title
    from bluelabel.agents.summarize.textmodel import build_text_model

    model = build_text_model(
        "Libtasn1\nAbstract Syntax Notation One library\n\fThis manual is for GNU Libtasn1.", []
    )
    assert detect_title(None, model) == "Libtasn1"
    model = build_text_model(
        "A Study of Scheduling 2\n\fScheduling is hard, as the study shows.", []
    )
    assert detect_title(None, model) == "A Study of Scheduling"  # a footnote mark
