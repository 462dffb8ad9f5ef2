"""Terms for scoring: the document's language, its stopwords, and CJK text in bigrams.

Stopwords come from ``stopwordsiso`` (stopwords-iso, 58 languages). The language is the one
whose stopwords are most frequent in a sample of the text; English stopwords are always added,
since technical documents in any language quote English. Chinese and Japanese have no spaces
between words, so runs of CJK characters become overlapping character bigrams, which match
the way words repeat without needing a dictionary; nothing is ever cut inside a character.
"""

from __future__ import annotations

import re
from collections import Counter
from functools import lru_cache

#: Words of document furniture that carry no topic (on top of the language's stopwords).
_FURNITURE_WORDS = frozenset(
    {
        "page",
        "pages",
        "figure",
        "figures",
        "fig",
        "table",
        "tables",
        "section",
        "sections",
        "chapter",
        "chapters",
        "appendix",
        "see",
        "also",
        "et",
        "al",
        "etc",
        "ie",
        "eg",
        "vs",
        "cf",
        "http",
        "https",
        "www",
        "com",
        "org",
    }
)
#: Words stopwords-iso lists for English that are topics in technical documents.
_ENGLISH_CONTENT = frozenset(
    {
        "caption",
        "computer",
        "information",
        "problem",
        "problems",
        "invention",
        "members",
        "numbers",
        "homepage",
        "microsoft",
        "netscape",
        "research",
    }
)
_CJK_RANGES = (
    "\u3040-\u30ff"  # hiragana, katakana
    "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"  # CJK ideographs
    "\uac00-\ud7af"  # hangul syllables
)
_TOKEN = re.compile(rf"[{_CJK_RANGES}]+|[^\W\d_]{{2,}}")
_CJK = re.compile(rf"[{_CJK_RANGES}]")
_SAMPLE_CHARS = 20_000


@lru_cache(maxsize=1)
def _all_stopwords() -> dict[str, frozenset[str]]:
    import stopwordsiso

    return {lang: frozenset(stopwordsiso.stopwords(lang)) for lang in sorted(stopwordsiso.langs())}


def detect_language(text: str) -> str:
    """ISO 639-1 code of the language whose stopwords are most frequent in ``text``'s start
    ("en" when nothing matches); "zh"/"ja"/"ko" when CJK characters dominate."""
    sample = text[:_SAMPLE_CHARS]
    cjk = len(_CJK.findall(sample))
    if cjk > 0.2 * max(1, len(sample.replace(" ", ""))):
        kana = len(re.findall(r"[\u3040-\u30ff]", sample))
        hangul = len(re.findall(r"[\uac00-\ud7af]", sample))
        return "ja" if kana > 0.1 * cjk else "ko" if hangul > 0.5 * cjk else "zh"
    hits: Counter[str] = Counter()
    languages_of = _languages_of()
    for word, n in Counter(re.findall(r"[^\W\d_]+", sample.lower())).items():
        for lang in languages_of.get(word, ()):
            hits[lang] += n
    if not hits:
        return "en"
    # most hits; among equals the first code in alphabetical order (deterministic)
    return min(hits, key=lambda lang: (-hits[lang], lang))


@lru_cache(maxsize=1)
def _languages_of() -> dict[str, tuple[str, ...]]:
    """Each stopword and the languages that list it."""
    index: dict[str, list[str]] = {}
    for lang, stop in _all_stopwords().items():
        for word in stop:
            index.setdefault(word, []).append(lang)
    return {word: tuple(langs) for word, langs in index.items()}


def preload() -> None:
    """Build the stopword tables now (~25 ms the first time a process detects a language): a
    worker that calls this before forking hands them to every task process."""
    _languages_of()
    stopwords("en")


@lru_cache(maxsize=16)
def stopwords(lang: str) -> frozenset[str]:
    """The stopwords used for ``lang``: its own, English's, and document furniture words."""
    table = _all_stopwords()
    words = table.get(lang, frozenset()) | table.get("en", frozenset())
    return (words - _ENGLISH_CONTENT) | _FURNITURE_WORDS


def terms(text: str, stop: frozenset[str]) -> list[str]:
    """The content terms of ``text``: lower-case words not in ``stop``, lightly stemmed,
    and CJK runs as character bigrams."""
    out: list[str] = []
    for token in _TOKEN.findall(text.lower()):
        if _CJK.match(token):
            if len(token) == 1:
                out.append(token)
            else:
                out.extend(token[i : i + 2] for i in range(len(token) - 1))
        elif token not in stop:
            out.append(stem(token))
    return [t for t in out if t not in stop]


def stem(word: str) -> str:
    """A light plural/verb-ending stemmer: enough to match "captions" with "caption"."""
    if len(word) > 4:
        if word.endswith("ies"):
            return word[:-3] + "y"
        if word.endswith("s") and not word.endswith(("ss", "us", "is")):
            return word[:-1]
    if len(word) > 6:
        for suffix in ("ing", "ed"):
            if word.endswith(suffix):
                return word[: -len(suffix)]
    return word
