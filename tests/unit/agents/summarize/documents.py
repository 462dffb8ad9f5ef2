"""Documents generated for the summariser's tests: stored text as the PDF extractor writes
it (visual lines, pages separated by form feeds), with every kind of debris in it."""

from __future__ import annotations

import textwrap

INTRO = (
    "The tidyframes package draws decorative frames around boxes of text in a document. "
    "It defines one environment for the frame and one command that chooses the ornament. "
    "Frames adapt their width to the surrounding paragraph and can break across pages."
)
INTRO_MORE = (
    "Earlier packages needed a separate font for every ornament, which made documents "
    "slow to compile. This package draws its ornaments with rules and a single symbol font."
)
USAGE = (
    "Load the package in the preamble of the document and wrap the framed material in the "
    "frame environment. The optional argument sets the width of the frame, which defaults "
    "to the width of the line. Ornaments are chosen by name from a list of twelve designs."
)
OPTIONS = (
    "The rounded option draws frames with rounded corners instead of square ones. "
    "The shadow option adds a grey shadow below and to the right of every frame. "
    "Options can be combined, and each of them can also be set for a single frame only."
)
WIDTHS = (
    "A frame is as wide as the line unless the optional argument gives another width. "
    "Widths may be given in any unit that the document understands, such as centimetres."
)
ABSTRACT = (
    "This package provides decorative frames for boxes of text, with ornaments chosen by "
    "name. Frames adapt to the width of the paragraph and may break across pages."
)


def wrap(paragraph: str, width: int = 78) -> list[str]:
    return textwrap.wrap(paragraph, width)


def page(number: int, lines: list[str], header: str = "The tidyframes package") -> str:
    """A page with a running header and a page number at the bottom."""
    return "\n".join([header, *lines, str(number)])


def manual(*, with_abstract: bool = True) -> str:
    """A seven-page package manual: title page with abstract and contents, introduction,
    usage, options, a code listing, references and an index."""
    first = ["The tidyframes package", "Ann Example", "2024/01/15"]
    if with_abstract:
        first += ["Abstract", *wrap(ABSTRACT)]
    first += [
        "Contents",
        "1 Introduction 2",
        "2 Usage 3",
        "2.1 Frame widths . . . . . . . . . . . . . . . . . . . . . . 3",
        "3 Options 4",
        "4 Implementation 5",
        "References 6",
        "Index 7",
    ]
    pages = [
        "\n".join(first),
        page(2, ["1 Introduction", *wrap(INTRO), *wrap(INTRO_MORE)]),
        page(3, ["2 Usage", *wrap(USAGE), "2.1 Frame widths", *wrap(WIDTHS)]),
        page(4, ["3 Options", *wrap(OPTIONS)]),
        page(
            5,
            [
                "4 Implementation",
                "The code starts by loading the packages it needs.",
                "1 \\RequirePackage{xkeyval}",
                "2 \\newlength{\\tf@width}",
                "3 \\def\\tf@frame#1{\\fbox{#1}}",
                "4 \\newenvironment{tidyframe}{\\begingroup}{\\endgroup}",
            ],
        ),
        page(
            6,
            [
                "References",
                "[1] D. E. Knuth. The TeXbook. Addison-Wesley, Reading, MA, 1984.",
                "[2] L. Lamport. LaTeX: A Document Preparation System. 2nd ed., 1994.",
                "https://doi.org/10.1145/567752.567774",
            ],
        ),
        page(7, ["Index", "frame, 2, 3, 4", "ornament, 3, 5", "rounded, 4"]),
    ]
    return "\f".join(pages)
