"""How good are the summaries? ROUGE against author-written abstracts, beside two baselines.

Usage:
    python benchmarks/summary_eval/build.py            # once: builds the evaluation sets
    python benchmarks/summary_quality.py [--set dev|heldout|FILE.jsonl] [--words 100]
        [--summarizer bluelabel|llm|file:PATH] [--conn-id ID] [--show N] [--json OUT]

For every document of the set (body text with its abstract removed, see build.py) each system
writes a summary; the first ``--words`` words of it are scored against the abstract with
ROUGE-1/2/L F1 (Google's ``rouge-score``, Porter stemming). Systems, all in the same run:

- ``bluelabel``: ``bluelabel.agents.summarize.summarize`` asked for as many sentences as fill
  the budget (the summary sentences are the best-ranked ones in document order);
- ``lead``: the first sentences of the body (split at . ! ? and blank lines);
- ``centroid``: the sentences closest (TF-IDF cosine) to the document's TF-IDF centroid.
- ``--summarizer llm --conn-id ID``: the digest agent's LLM path (a ``pydanticai`` Airflow
  connection) instead of ``bluelabel``; ``--summarizer file:PATH`` loads ``summarize`` from
  another file (e.g. an older version, to compare before and after).

Junk: every sentence of the product's default digest entry (3 summary sentences, 5 key points)
is checked against the rules printed with the results (JUNK_RULES); the junk share is the
junk sentences over all of them, with examples of what was counted.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import math
import random
import re
import statistics
import sys
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rouge_score import rouge_scorer

HERE = Path(__file__).resolve().parent
DATA = HERE / "summary_eval" / "data"

Summariser = Callable[[dict[str, Any], int], str]


# --- baselines (deliberately simple and independent of the product's code) -----------------

_NAIVE_SPLIT = re.compile(r"(?<=[.!?])\s+|\n\s*\n|\f")
_WORDS = re.compile(r"[a-z]{2,}")
_BASELINE_STOPWORDS = frozenset(
    {
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
        "him",
        "his",
        "how",
        "i",
        "if",
        "in",
        "into",
        "is",
        "it",
        "its",
        "just",
        "me",
        "more",
        "most",
        "my",
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
        "them",
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
    }
)


def naive_sentences(text: str) -> list[str]:
    return [" ".join(s.split()) for s in _NAIVE_SPLIT.split(text) if s and s.strip()]


def take_words(sentences: Sequence[str], budget: int) -> str:
    words: list[str] = []
    for sentence in sentences:
        words.extend(sentence.split())
        if len(words) >= budget:
            break
    return " ".join(words[:budget])


def lead(doc: dict[str, Any], budget: int) -> str:
    return take_words(naive_sentences(doc["body"]), budget)


def centroid(doc: dict[str, Any], budget: int) -> str:
    sentences = [s for s in naive_sentences(doc["body"]) if 5 <= len(s.split()) <= 100]
    bags = [
        Counter(w for w in _WORDS.findall(s.lower()) if w not in _BASELINE_STOPWORDS)
        for s in sentences
    ]
    df: Counter[str] = Counter()
    for bag in bags:
        df.update(bag.keys())
    n = len(bags)
    vectors = [{w: tf * math.log(n / df[w]) for w, tf in bag.items()} for bag in bags]
    middle: Counter[str] = Counter()
    for vector in vectors:
        middle.update(vector)
    middle_norm = math.sqrt(sum(v * v for v in middle.values())) or 1.0

    def cosine(vector: dict[str, float]) -> float:
        norm = math.sqrt(sum(v * v for v in vector.values())) or 1.0
        return sum(v * middle.get(w, 0.0) for w, v in vector.items()) / (norm * middle_norm)

    ranked = sorted(range(n), key=lambda i: (-cosine(vectors[i]), i))
    chosen: list[int] = []
    words = 0
    for i in ranked:
        chosen.append(i)
        words += len(sentences[i].split())
        if words >= budget:
            break
    return take_words([sentences[i] for i in sorted(chosen)], budget)


# --- the systems under test -----------------------------------------------------------------


def product_summariser(summarize: Callable[..., Any]) -> Summariser:
    def run(doc: dict[str, Any], budget: int) -> str:
        text = ""
        for count in range(1, 40):
            text = call(summarize, doc, sentences=count, key_points=0).summary
            if len(text.split()) >= budget:
                break
        return " ".join(text.split()[:budget])

    return run


def call(summarize: Callable[..., Any], doc: dict[str, Any], **options: Any) -> Any:
    """``summarize`` with the document's title and outline when it takes them."""
    try:
        from bluelabel.agents.summarize import OutlineEntry

        outline = [OutlineEntry(level, title, page) for level, title, page in doc["outline"]]
        return summarize(doc["body"], title=doc["title"], outline=outline, **options)
    except (TypeError, ImportError):
        return summarize(doc["body"], **options)


def load_file_summarize(path: str) -> Callable[..., Any]:
    spec = importlib.util.spec_from_file_location("summarize_under_test", path)
    if spec is None or spec.loader is None:
        sys.exit(f"--summarizer file:{path}: not a Python file")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module.summarize  # type: ignore[no-any-return]


def llm_summariser(conn_id: str) -> Summariser:
    from bluelabel.agents.llm import LlmSummarizer

    summariser = LlmSummarizer(conn_id=conn_id, fallback=False)
    summariser.prepare()

    def run(doc: dict[str, Any], budget: int) -> str:
        data, _ = summariser.summarize(
            doc["body"], sentences=max(3, budget // 20), key_points=0, title=doc["title"] or ""
        )
        return " ".join(str(data["summary"]).split()[:budget])

    return run


# --- junk rules ------------------------------------------------------------------------------

_CODE_CHARS = re.compile(r"[\\{}\[\]<>=;#$%^&*_|~@]")
_MACRO = re.compile(r"\\[A-Za-z@]+")
_FRAGMENT_START = re.compile(
    r"^(and|or|but|the|of|to|in|which|that|with|for|is|are|as|by|from|on|at)\b"
)

JUNK_RULES: dict[str, tuple[str, Callable[[str], bool]]] = {
    "toc/index": (
        "dot leaders (4+ dots), 3+ section numbers like 5.9, or 'N title N' entries",
        lambda s: bool(
            re.search(r"(\.\s?){4,}|…{2,}", s)
            or len(re.findall(r"(?<![\w.])\d+\.\d+(?![\w.])", s)) >= 3
            or re.search(r"^\d+(\.\d+)*\s+\S.{0,60}\s\d{1,4}\s+\d+(\.\d+)+\s", s)
        ),
    ),
    "bibliography": (
        "a DOI, '[n] Name', 'pp. N', 'vol. N', 'In Proceedings', or 2+ 'Initial. Surname,'",
        lambda s: bool(
            re.search(r"\bdoi\b|doi\.org|10\.\d{4,}/", s, re.I)
            or re.search(r"\[\d{1,3}\]\s+[A-Z][a-z]+", s)
            or re.search(r"\bpp\.\s?\d|\bvol\.\s?\d|\bIn Proceedings\b", s)
            or len(re.findall(r"\b[A-Z]\.\s[A-Z][a-z]+,", s)) >= 2
        ),
    ),
    "cut URL": (
        "ends in a URL with no host ('https://www.') or starts with a URL's tail",
        lambda s: bool(
            re.search(r"(https?://(www\.)?|\bwww\.)[.,;:]?$", s)
            or re.match(r"^[a-z0-9-]+\.(org|com|net|io|de)/\S*", s)
        ),
    ),
    "code": (
        "2+ TeX macros with braces, '#1', a line number then code, or 15%+ code symbols",
        lambda s: bool(
            (len(_MACRO.findall(s)) >= 2 and "{" in s)
            or "#1" in s
            or re.match(r"^\d{1,5}\s+[\\%{}<@]", s)
            or len(_CODE_CHARS.findall(s)) >= 0.15 * max(1, len(s.replace(" ", "")))
        ),
    ),
    "numbers/table": (
        "40%+ of the tokens are numbers",
        lambda s: (
            sum(bool(re.fullmatch(r"[\d.,:/()%+-]+", t)) for t in s.split())
            >= 0.4 * max(1, len(s.split()))
        ),
    ),
    "fragment": (
        "under 4 words, no closing punctuation, or starts lowercase with a function word",
        lambda s: (
            len(s.split()) < 4
            or not re.search(r"[.!?:;)\"'”’。！？]$", s)
            or bool(_FRAGMENT_START.match(s))
        ),
    ),
    "run-on": ("over 80 words (a table or merged text)", lambda s: len(s.split()) > 80),
    "numbered": (
        "a footnote or section number glued to the front ('1 This is ...', '6.7 The ...')",
        lambda s: bool(re.match(r"^\d{1,3}(?:\.\d{1,3})*\.?\s*[A-Z][a-z]", s)),
    ),
    "toc line": (
        "a table-of-contents entry: ends ' .', or a section number, a title and a page number",
        lambda s: bool(
            re.search(r"[^.\s]\s\.$", s) or re.match(r"^\d+(\.\d+)+\s.*\s\d{1,4}\.?$", s)
        ),
    ),
    "citation": (
        "a citation bracket ('[12]', '[Knu84]', '[?]') or an unresolved '(?)'",
        lambda s: bool(
            re.search(r"\[(?:\d{1,3}(?:[,–-]\s?\d{1,3})*|[A-Z][A-Za-z+]{1,8}\d{2,4}[a-z]?|\?)\]", s)
            or "(?)" in s
        ),
    ),
    "stamp": (
        "a version or typesetting stamp ('This version corresponds to ...', 'typeset on')",
        lambda s: bool(
            re.search(
                r"\b(?:typeset|compiled|generated|printed|processed) on\s+(?:\d|\w+day\b|"
                r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?\s+\d)|"
                r"\bcorresponds to (?:version|v\d)|"
                r"\bthis (?:document|file|manual) corresponds to\b",
                s,
                re.I,
            )
        ),
    ),
    "furniture": (
        "'Page N of M' or a bare page number",
        lambda s: bool(re.search(r"\bpage\s+\d+\s+(of|/)\s+\d+", s, re.I)),
    ),
    "garbled": (
        "replacement or control characters",
        lambda s: bool(re.search(r"[\ufffd\ufffe\x00-\x08\x0b-\x1f]", s)),
    ),
}


def junk_reasons(sentence: str) -> list[str]:
    s = sentence.strip()
    return [name for name, (_, rule) in JUNK_RULES.items() if rule(s)]


def digest_sentences(summarize: Callable[..., Any], doc: dict[str, Any]) -> list[str]:
    result = call(summarize, doc, sentences=3, key_points=5)
    summary = getattr(result, "summary_sentences", None)
    if summary is None:  # an older Summary: split the summary text at sentence ends
        summary = re.split(r"(?<=[.!?])\s+(?=[A-Z])", result.summary)
    return [s for s in [*summary, *result.key_points] if s.strip()]


# --- the run ---------------------------------------------------------------------------------


@dataclass
class Scores:
    r1: list[float] = field(default_factory=list)
    r2: list[float] = field(default_factory=list)
    rl: list[float] = field(default_factory=list)
    seconds: list[float] = field(default_factory=list)

    def mean(self, name: str) -> float:
        values: list[float] = getattr(self, name)
        return statistics.fmean(values) if values else 0.0


def load_set(name: str) -> list[dict[str, Any]]:
    path = Path(name) if name.endswith(".jsonl") else DATA / f"{name}.jsonl"
    if not path.exists():
        sys.exit(f"{path}: no evaluation set; run python benchmarks/summary_eval/build.py")
    # split("\n"), not splitlines(): the JSON text may hold U+2028 and other line separators
    lines = path.read_text(encoding="utf-8").split("\n")
    return [json.loads(line) for line in lines if line.strip()]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--set", default="dev", help="dev, heldout or a .jsonl file")
    parser.add_argument("--words", type=int, default=100, help="the word budget")
    parser.add_argument("--summarizer", default="bluelabel", help="bluelabel | llm | file:PATH")
    parser.add_argument("--conn-id", help="the pydanticai connection for --summarizer llm")
    parser.add_argument("--show", type=int, default=0, help="print N examples")
    parser.add_argument("--json", type=Path, help="write per-document scores here")
    args = parser.parse_args()

    docs = load_set(args.set)
    if args.summarizer == "llm":
        if not args.conn_id:
            sys.exit("--summarizer llm needs --conn-id (an Airflow connection of type pydanticai)")
        system: Summariser = llm_summariser(args.conn_id)
        summarize: Callable[..., Any] | None = None
    else:
        if args.summarizer == "bluelabel":
            from bluelabel.agents.summarize import summarize as product
        elif args.summarizer.startswith("file:"):
            product = load_file_summarize(args.summarizer[5:])
        else:
            sys.exit(f"--summarizer must be bluelabel, llm or file:PATH, got {args.summarizer!r}")
        summarize = product
        system = product_summariser(product)

    systems: dict[str, Summariser] = {args.summarizer: system, "lead": lead, "centroid": centroid}
    scorer = rouge_scorer.RougeScorer(["rouge1", "rouge2", "rougeL"], use_stemmer=True)
    scores = {name: Scores() for name in systems}
    rows: list[dict[str, Any]] = []
    for doc in docs:
        row: dict[str, Any] = {"id": doc["id"]}
        for name, run in systems.items():
            started = time.perf_counter()
            text = run(doc, args.words)
            elapsed = time.perf_counter() - started
            result = scorer.score(doc["abstract"], text)
            s = scores[name]
            s.r1.append(result["rouge1"].fmeasure)
            s.r2.append(result["rouge2"].fmeasure)
            s.rl.append(result["rougeL"].fmeasure)
            s.seconds.append(elapsed)
            row[name] = {"r2": result["rouge2"].fmeasure, "summary": text}
        rows.append(row)

    print(f"{len(docs)} documents from {args.set}, ROUGE F1 at {args.words} words")
    print(f"{'system':<28}{'ROUGE-1':>9}{'ROUGE-2':>9}{'ROUGE-L':>9}{'s/doc':>8}")
    for name, s in scores.items():
        print(
            f"{name:<28}{s.mean('r1'):>9.3f}{s.mean('r2'):>9.3f}{s.mean('rl'):>9.3f}"
            f"{s.mean('seconds'):>8.3f}"
        )
    best = max(scores["lead"].mean("r2"), scores["centroid"].mean("r2"))
    mine = scores[args.summarizer].mean("r2")
    wins = sum(r[args.summarizer]["r2"] > max(r["lead"]["r2"], r["centroid"]["r2"]) for r in rows)
    low, high = bootstrap_ratio(
        scores[args.summarizer].r2, scores["lead"].r2, scores["centroid"].r2
    )
    print(
        f"ROUGE-2 {args.summarizer} / best baseline: {mine / best if best else 0:.2f}x "
        f"(95 % bootstrap interval {low:.2f}x-{high:.2f}x; better than both baselines on "
        f"{wins} of {len(rows)} documents)"
    )

    if summarize is not None:
        report_junk(summarize, docs)
    if args.show:
        for row, doc in list(zip(rows, docs, strict=True))[: args.show]:
            print(f"\n== {doc['id']} ({doc['pages']} pages)\nABSTRACT: {doc['abstract'][:400]}")
            for name in systems:
                print(f"{name.upper()} ({row[name]['r2']:.3f}): {row[name]['summary']}")
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1), encoding="utf-8")


def bootstrap_ratio(
    mine: Sequence[float],
    lead_r2: Sequence[float],
    centroid_r2: Sequence[float],
    rounds: int = 2000,
) -> tuple[float, float]:
    """A 95 % interval of mean(mine) / max(mean(lead), mean(centroid)) over documents drawn
    with replacement (seeded: the same set gives the same interval)."""
    rng = random.Random(0)
    n = len(mine)
    ratios = []
    for _ in range(rounds if n else 0):
        picks = [rng.randrange(n) for _ in range(n)]
        best = max(sum(lead_r2[i] for i in picks), sum(centroid_r2[i] for i in picks))
        ratios.append(sum(mine[i] for i in picks) / best if best else 0.0)
    ratios.sort()
    if not ratios:
        return 0.0, 0.0
    return ratios[int(0.025 * len(ratios))], ratios[int(0.975 * len(ratios)) - 1]


def report_junk(summarize: Callable[..., Any], docs: list[dict[str, Any]]) -> None:
    examples: dict[str, list[str]] = {}
    total = junk = 0
    for doc in docs:
        for sentence in digest_sentences(summarize, doc):
            total += 1
            reasons = junk_reasons(sentence)
            if reasons:
                junk += 1
                for reason in reasons:
                    examples.setdefault(reason, []).append(f"[{doc['id']}] {sentence[:160]}")
    share = 100 * junk / total if total else 0.0
    print(f"junk: {junk} of {total} summary and key-point sentences ({share:.1f} %)")
    print("rules (a sentence is junk when any applies):")
    for name, (text, _) in JUNK_RULES.items():
        found = examples.get(name, [])
        print(f"  {name:<14} {text}: {len(found)}")
        for example in found[:3]:
            print(f"      e.g. {example}")


if __name__ == "__main__":
    main()
