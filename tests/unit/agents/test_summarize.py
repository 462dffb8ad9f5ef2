from __future__ import annotations

from bluelabel.agents.summarize import summarize
from devtools.samples import SAMPLE_PARAGRAPHS

TEXT = " ".join(SAMPLE_PARAGRAPHS)


def test_picks_sentences_in_document_order_and_is_deterministic() -> None:
    first = summarize(TEXT, sentences=2)
    assert first == summarize(TEXT, sentences=2)
    assert first.summary.count(".") >= 2
    positions = [TEXT.index(s) for s in first.summary.split(". ")[:1]]
    assert positions[0] >= 0
    assert len(first.summary) < len(TEXT)


def test_near_duplicate_sentences_are_not_repeated() -> None:
    text = " ".join(
        f"Page {n} of 90 shows the scheduler queue for this document." for n in range(90)
    )
    text += " The executor then runs every queued task on a worker process."
    result = summarize(text, sentences=2, key_points=3)
    chosen = [result.summary, *result.key_points]
    assert sum("scheduler queue" in s for s in chosen) == 1


def test_text_without_words() -> None:
    assert summarize("12 34 56. 78.").summary.startswith("12 34")
    assert summarize("").summary == ""


def test_keywords_skip_stopwords() -> None:
    result = summarize(TEXT)
    assert result.keywords and not {"the", "and", "of"} & set(result.keywords)
