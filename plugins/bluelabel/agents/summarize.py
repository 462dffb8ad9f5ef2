"""Extractive summaries: deterministic, offline, linear in the text length.

Each sentence is scored by the mean document frequency of its content words (a Luhn-style
score); the best sentences are returned in document order. No n x n similarity matrix, so a
few million characters take well under a second.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

_SENTENCE_END = re.compile(r"(?<=[.!?\u3002\uff01\uff1f])\s+|\n\s*\n|\f")
_WORD = re.compile(r"[^\W\d_]{2,}")
_SPACE = re.compile(r"\s+")

STOPWORDS = frozenset(
    [
        "a",
        "about",
        "above",
        "after",
        "again",
        "against",
        "all",
        "also",
        "am",
        "an",
        "and",
        "any",
        "are",
        "as",
        "at",
        "be",
        "because",
        "been",
        "before",
        "being",
        "below",
        "between",
        "both",
        "but",
        "by",
        "can",
        "could",
        "did",
        "do",
        "does",
        "doing",
        "down",
        "during",
        "each",
        "few",
        "for",
        "from",
        "further",
        "had",
        "has",
        "have",
        "having",
        "he",
        "her",
        "here",
        "hers",
        "herself",
        "him",
        "himself",
        "his",
        "how",
        "i",
        "if",
        "in",
        "into",
        "is",
        "it",
        "its",
        "itself",
        "just",
        "me",
        "more",
        "most",
        "my",
        "myself",
        "no",
        "nor",
        "not",
        "now",
        "of",
        "off",
        "on",
        "once",
        "only",
        "or",
        "other",
        "our",
        "ours",
        "ourselves",
        "out",
        "over",
        "own",
        "same",
        "she",
        "should",
        "so",
        "some",
        "such",
        "than",
        "that",
        "the",
        "their",
        "theirs",
        "them",
        "themselves",
        "then",
        "there",
        "these",
        "they",
        "this",
        "those",
        "through",
        "to",
        "too",
        "under",
        "until",
        "up",
        "very",
        "was",
        "we",
        "were",
        "what",
        "when",
        "where",
        "which",
        "while",
        "who",
        "whom",
        "why",
        "will",
        "with",
        "would",
        "you",
        "your",
        "yours",
        "yourself",
        "yourselves",
        "may",
        "might",
        "must",
        "shall",
        "one",
        "two",
        "new",
        "use",
        "used",
        "using",
        "via",
        "per",
        "etc",
        "however",
        "thus",
        "therefore",
        "within",
        "without",
        "upon",
        "also",
        "page",
        "pages",
    ]
)

#: Sentences longer than this are not chosen (tables and run-on extraction artefacts).
MAX_SENTENCE_CHARS = 400
MIN_SENTENCE_WORDS = 4


@dataclass
class Summary:
    summary: str
    key_points: list[str] = field(default_factory=list)
    keywords: list[str] = field(default_factory=list)
    sentence_count: int = 0


#: Two sentences sharing this share of their content words count as the same point.
NEAR_DUPLICATE = 0.7
_MAX_CANDIDATES = 2000


def _distinct(
    scored: list[tuple[float, int]], words: dict[int, list[str]], wanted: int
) -> list[int]:
    """The best ``wanted`` positions, skipping near-duplicates of ones already picked
    (long documents repeat boilerplate such as page headers)."""
    picked: list[int] = []
    signatures: list[set[str]] = []
    for _, position in scored[:_MAX_CANDIDATES]:
        signature = set(words[position])
        if any(
            len(signature & seen) >= NEAR_DUPLICATE * min(len(signature), len(seen))
            for seen in signatures
        ):
            continue
        picked.append(position)
        signatures.append(signature)
        if len(picked) == wanted:
            break
    return picked


def summarize(text: str, *, sentences: int = 3, key_points: int = 5, keywords: int = 8) -> Summary:
    """Pick the ``sentences`` most representative sentences, plus key points and keywords."""
    frequency = Counter(_WORD.findall(text.lower()))  # one pass in C over the whole text
    for word in STOPWORDS & frequency.keys():
        del frequency[word]
    raw_sentences = [s for s in _SENTENCE_END.split(text) if s and not s.isspace()]
    if not frequency:
        head = " ".join(_SPACE.sub(" ", s).strip() for s in raw_sentences[:sentences])
        return Summary(summary=head[:MAX_SENTENCE_CHARS], sentence_count=len(raw_sentences))

    words_of: dict[int, list[str]] = {}
    scored: list[tuple[float, int]] = []
    seen: set[str] = set()
    count = frequency.__getitem__
    for position, sentence in enumerate(raw_sentences):
        # Only sentences short enough to be chosen are tokenised again.
        if len(sentence) > MAX_SENTENCE_CHARS * 2 or sentence in seen:
            continue
        seen.add(sentence)
        words = _WORD.findall(sentence.lower())
        content = [w for w in words if w in frequency]
        if len(words) < MIN_SENTENCE_WORDS or not content:
            continue
        words_of[position] = content
        scored.append((sum(map(count, content)) / len(content), position))
    # Highest score first; among equals, the earlier sentence (deterministic).
    scored.sort(key=lambda item: (-item[0], item[1]))
    picked = _distinct(scored, words_of, sentences + key_points)

    def clean(position: int) -> str:
        return _SPACE.sub(" ", raw_sentences[position]).strip()

    top_words = [w for w, _ in frequency.most_common(keywords)]
    if not picked:  # only fragments: fall back to the opening
        head = " ".join(clean(p) for p in range(min(sentences, len(raw_sentences))))
        return Summary(
            summary=head[:MAX_SENTENCE_CHARS], keywords=top_words, sentence_count=len(raw_sentences)
        )
    return Summary(
        summary=" ".join(clean(p) for p in sorted(picked[:sentences])),
        key_points=[clean(p) for p in sorted(picked[sentences:])],
        keywords=top_words,
        sentence_count=len(raw_sentences),
    )
