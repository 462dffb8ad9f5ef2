"""Extractive summaries: deterministic, offline, bounded time on any length of text.

``summarize`` reads a stored document's text (PDF pages separated by form feeds) through a
text model that keeps only prose (``textmodel``), finds its title, sections and outline
(``structure``), splits sentences without cutting URLs, abbreviations or numbers
(``sentences``) and ranks them by TF-IDF centroid similarity with structural priors and MMR
redundancy control (``scoring``). The abstract or introduction, when there is one, is where
the summary comes from first; key points are spread across sections.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

from bluelabel.agents.pdf.outline import OutlineEntry, outline_from_pdfium
from bluelabel.agents.summarize.language import detect_language, stem, stopwords, terms
from bluelabel.agents.summarize.lines import normal_title
from bluelabel.agents.summarize.scoring import Candidate, rank, select
from bluelabel.agents.summarize.sections import section_name
from bluelabel.agents.summarize.sentences import (
    describes_document,
    lowercase_start_allowed,
    split_sentences,
    why_not_prose,
    without_citations,
    word_count,
)
from bluelabel.agents.summarize.structure import (
    Section,
    detect_title,
    sections_of,
    what_inside,
)
from bluelabel.agents.summarize.textmodel import TextModel, build_text_model

__all__ = ["OutlineEntry", "Summary", "outline_from_pdfium", "summarize"]

#: A summary is filled with sentences up to about this many words (the digest's budget).
SUMMARY_WORDS = 100
#: The one-line gist is cut (on a word boundary) to this many characters.
GIST_CHARS = 200
#: Sentences considered when a document is huge (the opening and a spread of the rest).
MAX_CANDIDATES = 6_000
_FALLBACK_CHARS = 400
_SENTENCE_END = re.compile(r"[.!?。！？](?=\s|$)")
_KEYWORD = re.compile(r"[^\W\d_]{3,}")


@dataclass
class Summary:
    """What a digest shows of one document."""

    summary: str
    key_points: list[str] = field(default_factory=list)
    keywords: list[str] = field(default_factory=list)
    #: sentences in the whole text (sentence ends counted, so also for sampled documents)
    sentence_count: int = 0
    #: one line for batch and periodic digests
    gist: str = ""
    #: the top-level sections of a long document; empty for a short one
    what_inside: list[str] = field(default_factory=list)
    #: the detected title (metadata, first heading or first line)
    title: str | None = None
    #: the summary's sentences, in document order (``summary`` is them joined)
    summary_sentences: list[str] = field(default_factory=list)
    #: the heading of the section the summary's best sentence comes from, when known
    summary_section: str | None = None
    #: ISO 639-1 code of the language the stopwords were chosen for
    language: str = "en"
    #: why there is no summary, when the text has no sentence to show (only a title, page
    #: furniture, lists...): said instead of inventing one
    note: str | None = None


def summarize(
    text: str,
    *,
    sentences: int = 3,
    key_points: int = 5,
    keywords: int = 8,
    title: str | None = None,
    outline: Sequence[OutlineEntry] = (),
    words: int = SUMMARY_WORDS,
) -> Summary:
    """The ``sentences`` best sentences of ``text`` (in document order; more, up to twice as
    many, while the summary is short of about ``words`` words; 0: exactly ``sentences``),
    ``key_points`` more from across its sections, its ``keywords``, a one-line gist, its
    title and, for a long document, "What's inside". ``title`` is the metadata title if any;
    ``outline`` the PDF bookmarks. The same input always gives the same summary."""
    counts = {
        "sentences": sentences,
        "key_points": key_points,
        "keywords": keywords,
        "words": words,
    }
    for name, value in counts.items():
        if value < 0:
            raise ValueError(f"summarize: {name} must be 0 or more, got {value}")
    model = build_text_model(text, [(e.title, e.level + 1) for e in outline])
    sections = sections_of(model)
    language = detect_language(" ".join(b.text for b in model.blocks[:200]))
    stop = stopwords(language)
    detected_title = detect_title(title, model)
    names = _names(detected_title, model, outline)
    candidates = _candidates(sections, stop, names)
    text_words = len(text.split()) if len(text) < 2_000_000 else len(text) // 6
    inside = what_inside(outline, model, text_words, detected_title)
    count = len(_SENTENCE_END.findall(text))
    if not candidates:
        fallback = _fallback(model, detected_title)
        note = None if fallback else no_prose_note(model, detected_title)
        return Summary(
            summary=fallback,
            keywords=_keywords(model, sections, stop, keywords),
            sentence_count=count,
            gist=_gist(fallback or note or ""),
            what_inside=inside,
            title=detected_title,
            summary_sentences=[fallback] if fallback else [],
            language=language,
            note=note,
        )
    ranking = rank(candidates, Counter(terms(detected_title or "", stop)))
    # An author's abstract is the summary the document already has: its sentences first.
    abstract = [i for i, c in enumerate(candidates) if c.role == "abstract"]
    wanted = sentences * 2 if words else sentences
    picked = select(candidates, ranking, wanted, among=abstract) if abstract else []
    # a short abstract is filled up from the rest only to ``sentences``, not to ``words``
    rest = (sentences if abstract else wanted) - len(picked)
    picked += select(candidates, ranking, rest, exclude=picked)
    picked = _within_words(picked, candidates, sentences, words)
    points = select(candidates, ranking, key_points, exclude=picked, spread_sections=True)
    chosen = [candidates[i].text for i in sorted(picked)]
    best = candidates[picked[0]] if picked else None
    return Summary(
        summary=" ".join(chosen),
        key_points=[candidates[i].text for i in sorted(points)],
        keywords=_keywords(model, sections, stop, keywords),
        sentence_count=count,
        gist=_gist(_gist_sentence([candidates[i].text for i in picked], detected_title)),
        what_inside=inside,
        title=detected_title,
        summary_sentences=chosen,
        summary_section=sections[best.section].title if best else None,
        language=language,
    )


def _within_words(
    picked: list[int], candidates: Sequence[Candidate], sentences: int, words: int
) -> list[int]:
    """The first ``sentences`` picks, and the next ones while the summary is short of
    ``words`` words (a next pick that would run far past them ends it)."""
    kept = picked[:sentences]
    total = sum(word_count(candidates[i].text) for i in kept)
    for index in picked[sentences:]:
        length = word_count(candidates[index].text)
        if total >= 0.85 * words or total + length > 1.25 * words:
            break
        kept.append(index)
        total += length
    return kept


def _names(title: str | None, model: TextModel, outline: Sequence[OutlineEntry]) -> frozenset[str]:
    """The names a sentence may start with in lower case ("powerdot is a class"): words
    written in lower case in the title, the headings or the short lines of the title page
    (a name keeps its case where other words are capitalised)."""
    short = [line for line in model.first_lines if len(line.split()) <= 8]
    texts = [title or "", *short, *(e.title for e in outline)]
    texts.extend(b.text for b in model.blocks if b.kind == "heading")
    return frozenset(w for text in texts for w in re.findall(r"[^\W_]+", text) if w[:1].islower())


def _candidates(
    sections: Sequence[Section], stop: frozenset[str], names: frozenset[str]
) -> list[Candidate]:
    candidates: list[Candidate] = []
    seen: set[str] = set()
    for number, section in enumerate(sections):
        rank_in_section = 0
        for block in section.blocks:
            for sentence in split_sentences(block.text):
                cleaned = without_citations(sentence)  # "... the xspace package [10]."
                if cleaned is None:
                    continue
                sentence = cleaned
                if sentence in seen or why_not_prose(sentence):
                    continue
                if not lowercase_start_allowed(sentence, names):
                    continue
                seen.add(sentence)
                bag = Counter(terms(sentence, stop))
                if not bag:
                    continue
                candidates.append(
                    Candidate(
                        text=sentence,
                        order=len(candidates),
                        section=number,
                        role=section.role,
                        rank_in_section=rank_in_section,
                        front=section.front,
                        terms=bag,
                        describes=describes_document(sentence),
                    )
                )
                rank_in_section += 1
                if len(candidates) >= MAX_CANDIDATES:
                    return candidates
    return candidates


def _keywords(
    model: TextModel, sections: Sequence[Section], stop: frozenset[str], wanted: int
) -> list[str]:
    """The most frequent content words of the prose (headings count double), shown in
    their most frequent form."""
    if wanted <= 0:
        return []
    words: Counter[str] = Counter()
    for block in model.blocks:
        if block.kind == "heading" and section_name(block.text):
            continue  # "Abstract", "Introduction": names of the parts, not of the topic
        found = _KEYWORD.findall(block.text.lower())
        words.update(found * 2 if block.kind == "heading" else found)
    counts: Counter[str] = Counter()
    forms: dict[str, Counter[str]] = {}
    for word, n in words.items():
        if word in stop:
            continue
        key = stem(word)
        counts[key] += n
        forms.setdefault(key, Counter())[word] += n
    ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    return [forms[key].most_common(1)[0][0] for key, _ in ranked[:wanted]]


def _gist(sentence: str) -> str:
    if len(sentence) <= GIST_CHARS:
        return sentence
    cut = sentence.rfind(" ", 0, GIST_CHARS - 1)
    return sentence[: cut if cut > GIST_CHARS // 2 else GIST_CHARS - 1].rstrip(",;:") + "…"


def _gist_sentence(picked: Sequence[str], title: str | None) -> str:
    """The best summary sentence that does not merely repeat the title."""
    for sentence in picked:
        if not repeats(sentence, title):
            return sentence
    return picked[0] if picked else ""


def repeats(text: str, title: str | None) -> bool:
    """Whether ``text`` starts by saying ``title`` again (case, numbering and punctuation
    aside)."""
    key = normal_title(title or "")
    return bool(key) and normal_title(text).startswith(key)


def _fallback(model: TextModel, title: str | None) -> str:
    """No prose sentence at all: the first paragraph that reads as text (a short note
    without a full stop), never the title, a list item or a line cut from a table."""
    for block in model.blocks:
        text = block.text.strip()
        if block.kind != "text" or repeats(text, title) or len(text.split()) < 3:
            continue
        if text[:1].isupper() or (not text[:1].isalpha() and not text[:1].isdigit()):
            return text[:_FALLBACK_CHARS].strip()
    return ""


_NOT_PROSE = (
    ("furniture", "running headers"),
    ("toc", "a table of contents"),
    ("index", "an index"),
    ("references", "a bibliography"),
    ("code", "code"),
    ("table", "tables"),
)


def no_prose_note(model: TextModel, title: str | None) -> str:
    """What the text holds instead of sentences, said in one sentence."""
    parts = ["a title"] if title else []
    parts += [name for reason, name in _NOT_PROSE if model.dropped[reason]]
    if any(b.kind == "text" and not repeats(b.text, title) for b in model.blocks):
        parts.append("list items")
    if not parts:
        return "The text is empty: there is nothing to summarise."
    if parts == ["a title"]:
        return "The text is only a title: there is nothing more to summarise."
    listed = ", ".join(parts[:-1]) + (" and " if len(parts) > 1 else "") + parts[-1]
    return f"The text holds no sentences to summarise, only {listed}."
