"""Sentence splitting and the rules for which sentences may be shown."""

from __future__ import annotations

import pytest

from bluelabel.agents.summarize.sentences import (
    lowercase_start_allowed,
    split_sentences,
    why_not_prose,
    word_count,
)


@pytest.mark.parametrize(
    "text",
    [
        "The manual is at https://www.ctan.org/pkg/caption. It explains every option.",
        "Frames use rules, e.g. lines and ornaments. They also use fonts.",
        "Captions, i.e. the labels of floats, are set in small type. Fonts can change.",
        "See Fig. 3 for an example. It shows a frame.",
        "Knuth et al. describe the algorithm. It breaks lines into paragraphs.",
        "The value is 3.14 and the version is v2.5.1 now. A new release follows.",
        "D. E. Knuth wrote TeX in 1978. It is still in use.",
        "Write to tex@example.org. Questions are welcome.",
    ],
)
def test_two_sentences_stay_two(text: str) -> None:
    first, second = split_sentences(text)
    assert first + " " + second == text


def test_url_abbreviation_and_number_are_kept_whole() -> None:
    sentences = split_sentences(
        "The manual is at https://www.ctan.org/pkg/caption. It explains every option."
    )
    assert sentences[0].endswith("https://www.ctan.org/pkg/caption.")
    assert split_sentences("Version 2.5 is out. Version 3 is planned.")[0] == "Version 2.5 is out."
    assert len(split_sentences("Pages pp. 12 to 14 show it. The next one too.")) == 2


def test_sentence_end_needs_a_capital_or_digit_after_it() -> None:
    assert split_sentences("It ends with etc. and goes on in lower case.") == [
        "It ends with etc. and goes on in lower case."
    ]
    assert split_sentences("Is it done? Yes! It is.") == ["Is it done?", "Yes!", "It is."]


def test_cjk_sentences() -> None:
    text = "这个宏包绘制装饰框。框的宽度随段落变化！可以跨页吗？可以。"
    assert split_sentences(text) == [
        "这个宏包绘制装饰框。",
        "框的宽度随段落变化！",
        "可以跨页吗？",
        "可以。",
    ]
    assert "".join(split_sentences(text)) == text  # never a character lost or cut
    assert word_count("这个宏包绘制装饰框") == 4


@pytest.mark.parametrize(
    ("sentence", "reason"),
    [
        ("Too short.", "too short"),
        ("This sentence has no end and goes on without any punctuation at all", "unfinished"),
        ("and then the frame is drawn around the box of text.", "fragment"),
        ("! pdfTeX error (setup): the version cannot be changed after output.", "fragment"),
        ("The IngestionAgent that reads and extracts content from PDF files 2.", "fragment"),
        ("The agent pipeline consists of multiple components working together: 1.", "fragment"),
        ("See https://doi.org/10.1145/567752.567774 for the paper on it.", "bibliography"),
        ("[4] David A. Smith wrote about the design of frames in 2007.", "bibliography"),
        ("The figures on page 3 of 9 show the frames in their final form.", "furniture"),
        ("The documentation of the article template is available at https://www.", "furniture"),
        (
            "Permission is granted to copy, distribute and/or modify this document freely.",
            "licence",
        ),
        (
            "This work may be distributed and/or modified under the conditions of the LPPL.",
            "licence",
        ),
        ("The values are 1 2 3 4 5 6 and 7 in this table of the results.", "numbers"),
        ("Use \\def\\x#1{\\fbox{#1}} to set \\x{a} in a frame of its own here.", "code"),
        ("The text \ufffd cannot be read from this page of the document.", "garbled"),
        (" ".join(["word"] * 70) + ".", "too long"),
    ],
)
def test_why_not_prose(sentence: str, reason: str) -> None:
    assert why_not_prose(sentence) == reason


@pytest.mark.parametrize(
    "sentence",
    [
        "The caption package offers customization of captions in floating environments.",
        "The \\pause command hides what follows it until the next slide of a frame.",
        "Frames adapt their width (see Section 2.1) to the surrounding paragraph.",
        "这个宏包可以在文档中绘制各种装饰性的边框和花纹。",
    ],
)
def test_prose_sentences_pass(sentence: str) -> None:
    assert why_not_prose(sentence) is None


def test_lowercase_start_only_for_names() -> None:
    names = frozenset({"powerdot", "class"})
    assert lowercase_start_allowed("powerdot is a presentation class for LaTeX.", names)
    assert lowercase_start_allowed("pdf14 changes the PDF version back to 1.4.", names)
    assert not lowercase_start_allowed("properly setting the declared version here.", names)
    assert lowercase_start_allowed("Properly set, the version is declared.", names)
