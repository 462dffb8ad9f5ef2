"""Sentence splitting that keeps URLs, abbreviations, initials, decimals and versions whole.

A full stop, question or exclamation mark ends a sentence when whitespace and an upper-case
letter, a digit or an opening quote follow it, unless the word it ends is an abbreviation
(e.g., i.e., Fig., et al.), an initial ("D. E. Knuth"), or part of a URL. Decimals and
version numbers ("3.14", "v2.5g") never have whitespace after the point, so they never split.
CJK sentence ends (。！？) split without whitespace.
"""

from __future__ import annotations

import re

#: Abbreviations that never end a sentence (lower case, without the final point).
ABBREVIATIONS = frozenset(
    {
        "e.g",
        "eg",
        "i.e",
        "ie",
        "cf",
        "viz",
        "vs",
        "al",
        "approx",
        "resp",
        "incl",
        "esp",
        "ca",
        "dr",
        "mr",
        "mrs",
        "ms",
        "prof",
        "jr",
        "sr",
        "st",
        "inc",
        "ltd",
        "co",
        "corp",
        "dept",
        "univ",
        "w.r.t",
        "wrt",
        "a.k.a",
        "aka",
        "z.b",
        "d.h",
        "u.a",
        "bzw",
        "vgl",
        "ggf",
        "usw",
        "bspw",
        "s.o",
        "s.u",
        "p.ex",
        "c.-à-d",
        "env",
    }
)
#: Abbreviations that do not end a sentence when a number follows ("Fig. 3", "pp. 12").
NUMBER_ABBREVIATIONS = frozenset(
    {
        "fig",
        "figs",
        "eq",
        "eqs",
        "sec",
        "secs",
        "ch",
        "chap",
        "no",
        "nos",
        "vol",
        "vols",
        "p",
        "pp",
        "art",
        "ref",
        "refs",
        "tab",
        "thm",
        "def",
        "ex",
        "v",
        "ver",
        "nr",
        "abb",
        "s",
    }
)
_CANDIDATE = re.compile(r"[.!?]+[\"'”’)\]]*\s+|[。！？]+[」』）\"'”’]*\s*")
_URLISH = re.compile(r"(?:https?://|www\.|ftp://)\S*$|\S+@\S+\.\S*$", re.IGNORECASE)
_OPENERS = "\"'“‘([¿¡"


def split_sentences(text: str) -> list[str]:
    """The sentences of one paragraph, in order, whitespace-normalised."""
    sentences: list[str] = []
    start = 0
    for match in _CANDIDATE.finditer(text):
        end = match.end()
        if end >= len(text):
            break
        if match.group()[0] in "。！？" or _ends_sentence(text, start, match.start(), end):
            piece = text[start:end].strip()
            if piece:
                sentences.append(piece)
            start = end
    tail = text[start:].strip()
    if tail:
        sentences.append(tail)
    return sentences


def _ends_sentence(text: str, start: int, point: int, after: int) -> bool:
    """Whether the punctuation at ``point`` (whitespace up to ``after``) ends a sentence."""
    following = text[after : after + 2].lstrip(_OPENERS)[:1]
    if not following or not (following.isupper() or following.isdigit()):
        return False
    if text[point] != ".":
        return True
    word_start = text.rfind(" ", start, point) + 1
    word = text[word_start:point].lstrip(_OPENERS)
    if _URLISH.search(text[word_start : point + 1]):
        return not text[point - 4 : point + 1].lower().endswith("www.")
    lower = word.lower()
    if lower in ABBREVIATIONS:
        return False
    if lower in NUMBER_ABBREVIATIONS and following.isdigit():
        return False
    if len(word) == 1 and word.isupper():
        return False  # an initial: "D. E. Knuth"
    return not re.fullmatch(r"(?:[A-Za-z]\.)+[A-Za-z]", word)  # "U.S", "e.g" written out


# --- which sentences may be shown ----------------------------------------------------------

MIN_WORDS = 6
MAX_WORDS = 60
MAX_CHARS = 420
_CJK_CHAR = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uac00-\ud7af]")
_END = re.compile(r"[.!?。！？][\"'”’)\]」』）]*$")
_FRAGMENT_START = re.compile(
    r"^(?:and|or|but|nor|the|a|an|of|to|in|into|which|that|with|for|is|are|was|were|as|by|"
    r"from|on|at|then|so|also|than|its|their|this|these|it|be|been|not|if|when|where|while)\b"
)
_BIBLIOGRAPHY = re.compile(
    r"\bdoi\b|doi\.org|\b10\.\d{4,}/|\[\d{1,3}\]\s+[A-Z][a-z]+|\bpp\.\s?\d|\bvol\.\s?\d|"
    r"\bIn Proc(?:eedings|\.)|\bISBN\b|\bISSN\b|\barXiv:",
    re.IGNORECASE,
)
#: Licence boilerplate: says nothing about what a document is about.
_LEGAL = re.compile(
    r"permission is granted to (?:copy|make|use)|\bGNU (?:Free Documentation|(?:Lesser |Library )?"
    r"General Public) License|without any warranty|all rights reserved|copyright\s*(?:\(c\)|©)|"
    r"this (?:program|library|work|file) is free software|LaTeX Project Public License|"
    r"\bunder the terms of the\b|may be distributed and/or modified",
    re.IGNORECASE,
)
_LICENCE_TERMS = re.compile(r"\bthis License\b|\bInvariant Sections\b|\bCover Texts\b")
_AUTHOR_LIST = re.compile(r"\b[A-Z]\.\s?(?:[A-Z]\.\s?)?[A-Z][a-z]+,")
_PAGE_OF = re.compile(r"\bpage\s+\d+\s+(?:of|/)\s+\d+", re.IGNORECASE)
_GARBLED = re.compile(r"[\ufffd\ufffe\uffff\x00-\x08\x0b-\x1f\ue000-\uf8ff]")
_DIGIT = re.compile(r"\d")
_NUMERIC = re.compile(r"^[\d.,:;/()%+\-–−]+$")
_CUT_URL = re.compile(r"(?:https?://(?:www\.)?|\bwww\.)[.,;:]?$")
_CODE_SYMBOL = re.compile(r"[\\{}\[\]<>=;#$%^&|~@_]")
_MACRO = re.compile(r"\\[A-Za-z@]+")
#: "... working together: 1." -- an inline list's next item number, not a sentence end
_LIST_NUMBER_END = re.compile(r"(?:^|\s|:)\(?\d{1,2}[.)]$")
_NUMBERED_LINE = re.compile(r"^\d{1,5}\s+[\\%{}<>@#\[]")  # a listing line with its number
#: A footnote mark or section number glued to the front: "1 This is the first author
#: footnote.", "2.1 Packages required ...", "86 Lorem ipsum".
_NUMBER_GLUED = re.compile(r"^\d{1,3}(?:\.\d{1,3})*\.?\s*(?:[A-Z][a-z]|[AI]\s)")
#: A figure or table caption: "Figure 2: Count time series of ...".
_CAPTION = re.compile(r"^(?:Figure|Fig\.|Table|Listing|Algorithm)\s+\d+(?:\.\d+)*\s*[.:]")
#: A table-of-contents entry whose leaders were lost: "The alignment of the watermark ."
_TOC_END = re.compile(r"[^.\s]\s\.$")
#: A citation the typesetter could not resolve: "(?)", "[?]".
_UNRESOLVED = re.compile(r"\(\?\)|\[\?\]")
_CITE_KEY = r"(?:\d{1,3}(?:\s?[,–-]\s?\d{1,3})*|[A-Z][A-Za-z+]{1,8}\d{2,4}[a-z]?)"
_CITE_KEYS = rf"\[{_CITE_KEY}(?:,\s?{_CITE_KEY})*\](?:,\s?\[{_CITE_KEY}(?:,\s?{_CITE_KEY})*\])*"
#: A citation bracket after a word: " [9]", " [2, 4]", " [3-5]", " [Knu84]", " ([Hob89],
#: [Hob92])": the sentence reads as well without it.
CITATION = re.compile(rf"\s?\({_CITE_KEYS}\)|\s?{_CITE_KEYS}")
#: ... unless the citation is a word of the sentence: "see [3]", "described in [Knu84]".
_CITED_AS_WORD = re.compile(
    rf"\b(?:see|in|by|from|of|and|or|cf\.|e\.g\.,?|i\.e\.,?)\s+\(?{_CITE_KEYS}", re.IGNORECASE
)


def without_citations(sentence: str) -> str | None:
    """``sentence`` without its citation brackets, or None when a citation is a word of it
    (the sentence would not read without it)."""
    if "[" not in sentence:
        return sentence
    if _CITED_AS_WORD.search(sentence):
        return None
    return CITATION.sub("", sentence)


#: What says when or how the file was made, not what it is about: "This version corresponds
#: to ... and was typeset on ...", "Keywords: ...".
_STAMP = re.compile(
    r"\b(?:typeset|compiled|generated|printed|processed) on\s+(?:\d|\w+day\b|(?:jan|feb|mar|apr|"
    r"may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?\s+\d)|\bcorresponds to (?:version|v\d|release)|"
    r"\bthis (?:document|file|manual|version) corresponds to\b|^(?:key ?words|index terms|"
    r"(?:ams|jel|acm) (?:subject )?classification)\b",
    re.IGNORECASE,
)


_BIBLIOGRAPHY_HINTS = ("doi", "10.", "[", "pp.", "vol.", "proc", "isbn", "issn", "arxiv")
_STAMP_HINTS = (" on ", "corresponds", "key", "index terms", "classification")
_LEGAL_HINTS = (
    "permission",
    "licen",
    "warranty",
    "rights reserved",
    "copyright",
    "free software",
    "under the terms",
    "distributed and",
    "invariant",
    "cover texts",
)


def _has(text: str, hints: tuple[str, ...]) -> bool:
    return any(hint in text for hint in hints)


def word_count(sentence: str) -> int:
    """Words, counting two CJK characters as one word (CJK has no spaces)."""
    cjk = len(_CJK_CHAR.findall(sentence))
    return len(_CJK_CHAR.sub(" ", sentence).split()) + cjk // 2


def why_not_prose(sentence: str) -> str | None:
    """Why ``sentence`` may not be shown as a summary sentence or key point, or None."""
    words = word_count(sentence)
    if words < MIN_WORDS:
        return "too short"
    if words > MAX_WORDS or len(sentence) > MAX_CHARS:
        return "too long"
    if not _END.search(sentence):
        return "unfinished"
    if _FRAGMENT_START.match(sentence) or _LIST_NUMBER_END.search(sentence[-8:]):
        return "fragment"
    if _NUMBER_GLUED.match(sentence):
        return "numbered"
    if _CAPTION.match(sentence):
        return "caption"
    if _TOC_END.search(sentence[-4:]):
        return "toc"
    if "?" in sentence and _UNRESOLVED.search(sentence):
        return "citation"
    if _GARBLED.search(sentence):
        return "garbled"
    lower = sentence.lower()
    # cheap substring tests first: each pattern runs only where its words occur
    if _has(lower, _BIBLIOGRAPHY_HINTS) and _BIBLIOGRAPHY.search(sentence):
        return "bibliography"
    if sentence.count(",") >= 2 and len(_AUTHOR_LIST.findall(sentence)) >= 2:
        return "bibliography"
    if ("page" in lower and _PAGE_OF.search(sentence)) or (
        "www" in lower and _CUT_URL.search(sentence)
    ):
        return "furniture"
    if _has(lower, _LEGAL_HINTS) and (_LEGAL.search(sentence) or _LICENCE_TERMS.search(sentence)):
        return "licence"
    if _has(lower, _STAMP_HINTS) and _STAMP.search(sentence):
        return "stamp"
    tokens = sentence.split()
    if _DIGIT.search(sentence) and sum(bool(_NUMERIC.match(t)) for t in tokens) >= 0.3 * len(
        tokens
    ):
        return "numbers"
    symbols = len(_CODE_SYMBOL.findall(sentence))
    macros = len(_MACRO.findall(sentence))
    if symbols >= 0.08 * len(sentence.replace(" ", "")) or macros >= 3 or "#1" in sentence:
        return "code"
    if (macros >= 2 and "{" in sentence) or _NUMBERED_LINE.match(sentence):
        return "code"
    if not (sentence[0].isalnum() or sentence[0] in _OPENERS):
        return "fragment"  # "! pdfTeX error", "), and ..."
    return None


def lowercase_start_allowed(sentence: str, names: frozenset[str]) -> bool:
    """A sentence may start in lower case only with a name ("powerdot is a class"): one of
    ``names`` (as written there), or a word with a digit or symbol in it ("pdf14",
    "units.sty")."""
    first = sentence.split(maxsplit=1)[0].strip(",:;")
    if not first[:1].islower():
        return True
    return first in names or not first.isalpha()


_DESCRIBES = re.compile(
    r"\b(?:this|the present|our) (?:paper|article|package|document|documentation|manual|"
    r"vignette|note|report|guide|tutorial|class|library|bundle|module|software|tool|program|"
    r"thesis|text)\b|\b(?:we|I) (?:present|describe|introduce|propose|discuss|provide|explain|"
    r"review|develop|implement|give an?)\b|\b(?:package|class|bundle|library)\s+(?:\S+\s+)?"
    r"(?:provides|implements|offers|defines|contains|allows|extends|adds|is)\b|"
    r"\bis an? (?:\w+ )?(?:package|class|library|bundle|tool|program)\b",
    re.IGNORECASE,
)


def describes_document(sentence: str) -> bool:
    """Whether ``sentence`` opens by saying what the document (or its package) is or does:
    "This package provides ...", "In this paper we describe ...", "The foo class is ..."."""
    return bool(_DESCRIBES.search(sentence[:80]))
