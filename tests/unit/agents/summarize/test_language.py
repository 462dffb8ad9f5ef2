"""Language detection, stopwords and CJK terms."""

from __future__ import annotations

from bluelabel.agents.summarize.language import detect_language, stem, stopwords, terms


def test_detects_the_language_from_stopwords() -> None:
    assert (
        detect_language("The frame is drawn around the text and it is as wide as the line.") == "en"
    )
    assert (
        detect_language("Der Rahmen wird um den Text gezeichnet und ist so breit wie die Zeile.")
        == "de"
    )
    assert (
        detect_language("Le cadre est dessiné autour du texte et il est aussi large que la ligne.")
        == "fr"
    )
    assert detect_language("这个宏包在文档中绘制装饰性的边框。") == "zh"
    assert detect_language("このパッケージは文書に飾り枠を描きます。") == "ja"
    assert detect_language("12 34 56") == "en"


def test_stopwords_of_the_language_and_english() -> None:
    german = stopwords("de")
    assert {"und", "der", "the", "and", "page"} <= german
    assert "caption" not in stopwords("en")  # a topic in technical documents


def test_terms_drop_stopwords_and_stem() -> None:
    assert terms("The captions of the Figures are set in bold type.", stopwords("en")) == [
        "caption",
        "set",
        "bold",
        "type",
    ]
    assert stem("libraries") == "library" and stem("class") == "class"


def test_cjk_runs_become_bigrams_never_cut_characters() -> None:
    bigrams = terms("装饰边框", frozenset())
    assert bigrams == ["装饰", "饰边", "边框"]
    assert all(len(t) == 2 for t in bigrams)
    assert terms("框", frozenset()) == ["框"]
    assert terms("Frames 装饰 mixed", frozenset()) == ["frame", "装饰", "mixed"]
