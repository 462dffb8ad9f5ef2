"""The line rules, each on lines like the ones real PDFs give."""

from __future__ import annotations

import pytest

from bluelabel.agents.summarize.lines import (
    heading_of,
    is_code,
    is_footnote,
    is_index_line,
    is_page_number,
    is_reference_line,
    is_table_debris,
    is_toc_line,
    joins_tight,
)


@pytest.mark.parametrize(
    "line",
    [
        "2.1 Frame widths . . . . . . . . . . . . . . . 3",
        "3.2 Producing the documentation .................. 12",
        "26 5.9 The concatenation function, c(), with arrays 27",
        "1 Introduction 2",
        "A.1 Lists 14",
        "List of figures…… iv",
    ],
)
def test_table_of_contents_lines(line: str) -> None:
    assert is_toc_line(line)


@pytest.mark.parametrize(
    "line",
    [
        "1 Introduction",
        "The frame is drawn in 2 passes and ends after 3",  # prose ending with a number
        "Version 2.5 was released in 2021 with 4 new options for the frames.",
    ],
)
def test_prose_and_headings_are_not_toc_lines(line: str) -> None:
    assert not is_toc_line(line)


def test_index_and_reference_entries() -> None:
    assert is_index_line("frame, 2, 3, 17")
    assert is_index_line("\\caption package 3, 5-7, 12")
    assert not is_index_line("In 2021, 3 new options were added.")
    assert is_reference_line("[4] David A. Smith. ACM 54, 2, Article 5 (April 2007), 50 pages.")
    assert is_reference_line("[Knu84] D. E. Knuth. The TeXbook.")
    assert not is_reference_line("[H]ere floats are placed where they are defined.")


@pytest.mark.parametrize(
    "line",
    [
        "114 \\gdef\\@LRT@getCommaFieldDelimited#1,{\\@LRT@field{#1}}",
        "\\newcommand{\\IfNextToken}[3]{%",
        "<*package>",
        "if (x[i] == y) { return z; }",
        "\\sffamily\\bfseries\\unit{m} m",
    ],
)
def test_code_lines(line: str) -> None:
    assert is_code(line)


@pytest.mark.parametrize(
    "line",
    [
        "The \\pause command and the \\item command work on every slide of a frame.",
        "Use the optional argument to set the width of the frame in centimetres.",
    ],
)
def test_prose_mentioning_a_macro_is_not_code(line: str) -> None:
    assert not is_code(line)


def test_table_debris_and_footnotes() -> None:
    assert is_table_debris("1 2 3 4 5 6")
    assert is_table_debris("a a b b c c d d")
    assert is_table_debris("12.5 % 3.1 4.7 0.2")
    assert is_table_debris("∑ ∫ ≤ ≥ ∞ × ±")
    assert not is_table_debris("The frame has 4 corners and 2 sides.")
    assert is_footnote("∗This document corresponds to hep-text v1.1.")
    assert is_footnote("1This is a footnote glued to its number.")
    assert not is_footnote("1 Introduction")


def test_page_numbers() -> None:
    for line in ("12", "- 12 -", "Page 3 of 9", "iv", "page 7"):
        assert is_page_number(line), line
    assert not is_page_number("12 monkeys")


def test_heading_rules() -> None:
    assert heading_of("3 Options", {}) == ("3 Options", 1)
    assert heading_of("Appendix A: Sample files", {}) is not None
    assert heading_of("Zusammenfassung", {}) is not None
    assert heading_of("Part of the code is shown here", {}) is None
    assert heading_of("1 \\RequirePackage{xkeyval}", {}) is None
    assert heading_of("Frame ornaments", {"frameornaments": 2}) == ("Frame ornaments", 2)


def test_wrapped_words_and_urls_join_tight() -> None:
    assert joins_tight("this well-", "known package")
    assert joins_tight("see https://www.", "ctan.org/pkg/caption")
    assert not joins_tight("see https://www.", "The next sentence")
    assert not joins_tight("a plain line", "and the next")
