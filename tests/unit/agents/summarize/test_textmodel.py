"""The text model on generated pages: furniture, sections, paragraphs, the read budget."""

from __future__ import annotations

from bluelabel.agents.summarize.textmodel import analysed_pages, build_text_model
from tests.unit.agents.summarize.documents import INTRO, manual, page, wrap

WORDS = ["frames", "ornaments", "corners", "shadows", "widths", "colours", "rules", "margins"]


def prose(model_text: str) -> str:
    """All paragraph text of the model of ``model_text``."""
    return " ".join(b.text for b in build_text_model(model_text).blocks if b.kind == "text")


def test_running_headers_and_page_numbers_are_dropped() -> None:
    body = [wrap(f"This paragraph explains how {w} are drawn around boxes.") for w in WORDS[:6]]
    header = "Running Header Of The Manual"
    text = "\f".join(page(n + 1, lines, header=header) for n, lines in enumerate(body))
    model = build_text_model(text)
    # on the title page the header line is the title: kept once, as a block of its own
    assert [b.text for b in model.blocks if header in b.text] == [header]
    assert model.dropped["furniture"] == 5 + 6  # five more headers, six page numbers
    assert all(not b.text.isdigit() for b in model.blocks)


def test_running_header_with_the_page_number() -> None:
    """Headers that change with the chapter still carry the printed page number."""
    pages = [f"{n + 1} CHAPTER {n // 2} NAME\nThis page is about {w}." for n, w in enumerate(WORDS)]
    pages += [f"Section {n} notes {n + 9}\nMore about {w}." for n, w in enumerate(WORDS)]
    text = prose("\f".join(pages))
    assert "CHAPTER" not in text and "notes" not in text
    assert "This page is about corners." in text


def test_manual_keeps_prose_and_drops_debris() -> None:
    text = prose(manual())
    assert INTRO.split(".")[0] in text
    for debris in ("Frame widths . .", "RequirePackage", "Knuth", "doi.org", "ornament, 3, 5"):
        assert debris not in text, debris


def test_headings_and_their_levels() -> None:
    model = build_text_model(manual())
    headings = [(b.text, b.level) for b in model.blocks if b.kind == "heading"]
    assert ("1 Introduction", 1) in headings
    assert ("2.1 Frame widths", 2) in headings
    assert ("References", 1) in headings


def test_lines_become_paragraphs_with_hyphens_and_urls_whole() -> None:
    text = (
        "The documentation of this well-\n"
        "known package is available at https://www.\n"
        "ctan.org/pkg/tidyframes and explains every option of the frames in detail.\n"
        "A second paragraph starts here."
    )
    joined = prose(text)
    assert "well-known" in joined
    assert "https://www.ctan.org/pkg/tidyframes" in joined


def test_short_lines_end_paragraphs() -> None:
    lines = [
        "A title that stands alone",
        "This paragraph is long enough to fill a line of the page from the left margin",
        "to the right margin, and it goes on for a second line that is just as long as",
        "the first.",
    ]
    blocks = [b.text for b in build_text_model("\n".join(lines)).blocks]
    assert blocks[0] == "A title that stands alone"
    assert blocks[1].startswith("This paragraph") and blocks[1].endswith("the first.")


def test_paragraph_continues_across_a_page_break_mid_sentence() -> None:
    first = wrap("Frames are drawn with rules and ornaments, and the width of each frame follows")
    second = wrap("the width of the paragraph around it, unless the document sets another width.")
    text = "\f".join(page(n + 1, lines) for n, lines in enumerate([first, second, ["End."]] * 2))
    blocks = [b.text for b in build_text_model(text).blocks]
    assert any("frame follows the width of the paragraph" in b for b in blocks)


def test_bibliography_section_is_dropped_to_the_next_heading() -> None:
    text = "\n".join(
        [
            "References",
            "Knuth, Donald E. The TeXbook. Addison-Wesley, 1984.",
            "Lamport, Leslie. LaTeX: A Document Preparation System. 1994.",
            "A Sample files",
            *wrap("The sample files show every frame ornament that this package can draw."),
        ]
    )
    joined = prose(text)
    assert "Knuth" not in joined and "Lamport" not in joined
    assert "sample files show" in joined


def test_long_documents_are_read_within_a_budget() -> None:
    pages = ["x" * 1000] * 5000
    chosen = analysed_pages(pages, budget=100_000)
    assert chosen[:10] == list(range(10))
    assert sum(len(pages[i]) for i in chosen) <= 101_000
    assert chosen[-1] > 4000  # a spread over the whole document, not only its start
    assert analysed_pages(pages[:50], budget=100_000) == list(range(50))


def licence_appendix() -> str:
    return "\n".join(
        [
            "1 Introduction",
            *wrap("The library parses abstract syntax notation and encodes it in binary form."),
            "A.1 GNU Free Documentation License",
            "0. PREAMBLE",
            *wrap("The purpose of the licence clauses is to make a manual free in every sense."),
            "1. APPLICABILITY AND DEFINITIONS",
            *wrap("The clauses apply to any manual or other work that contains such a notice."),
            "Concept Index",
            "abstract syntax, 3, 7",
        ]
    )


def test_licence_clauses_are_skipped_when_the_outline_lists_the_sections() -> None:
    text = licence_appendix()
    outline = [
        ("1 Introduction", 1),
        ("A.1 GNU Free Documentation License", 2),
        ("Concept Index", 1),
    ]
    model = build_text_model(text, outline)
    joined = " ".join(b.text for b in model.blocks if b.kind == "text")
    assert "parses abstract syntax" in joined
    assert "clauses" not in joined and "PREAMBLE" not in joined
    assert [b.text for b in model.blocks if b.kind == "heading"] == [
        "1 Introduction",
        "A.1 GNU Free Documentation License",
        "Concept Index",
    ]
