"""The one search (:mod:`bluelabel.store.search`) on both catalogs: words, filters, paging,
permissions, and a document found the moment it is stored."""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from bluelabel.store import DocumentRecord, KnowledgeStore
from bluelabel.store.catalog import MAX_TEXT_CHARS
from bluelabel.store.records import RunRef
from bluelabel.store.search import Page, facets, search
from bluelabel.store.search_text import match_expression

NOW = datetime(2026, 3, 1, 9, 0, tzinfo=timezone.utc)


def add(store: KnowledgeStore, text: str, *, minutes: int = 0, **fields: object) -> str:
    content_id = hashlib.sha256(text.encode()).hexdigest()[:32]
    record = DocumentRecord(
        content_id=content_id,
        content_type=str(fields.pop("content_type", "text")),
        source=str(fields.pop("source", f"/inbox/{content_id[:6]}.txt")),
        title=fields.pop("title", None),  # type: ignore[arg-type]
        content_length=len(text),
        ingested_at=(NOW + timedelta(minutes=minutes)).isoformat(),
        **fields,  # type: ignore[arg-type]
    )
    store.put(record, text)
    return content_id


class Index:
    """The search of one store's catalog, as the tests ask it."""

    def __init__(self, store: KnowledgeStore) -> None:
        self.store = store

    def search(self, *, tag: str | None = None, **query: Any) -> Page:
        return search(self.store.catalog, tags=[tag] if tag else [], **query)

    def facets(self) -> dict[str, dict[str, int]]:
        return facets(self.store.catalog)


def titles(index: Index, **query: Any) -> list[str]:
    return [h.record.title or "" for h in index.search(**query).hits]


def test_words_match_title_summary_and_text_with_stemming_and_prefix(store: KnowledgeStore) -> None:
    add(store, "Airflow schedules workflows every night. " * 5, title="Scheduling notes")
    add(store, "Kubernetes pods restart when probes fail. " * 5, title="Cluster care")
    add(store, "The inbox takes PDF files and plain text. " * 5, title="Batch ingestion")
    index = Index(store)
    assert titles(index, q="scheduled") == ["Scheduling notes"]  # stemmed
    assert titles(index, q="kuber") == ["Cluster care"]  # the last word is a prefix
    assert titles(index, q="pdf plain") == ["Batch ingestion"]  # every word must match
    assert titles(index, q="pdf kubernetes") == []
    page = index.search(q="probes")
    assert page.total == 1
    assert any(match and "probes" in text for text, match in page.hits[0].snippet)


def test_hostile_words_are_never_fts_syntax(store: KnowledgeStore) -> None:
    add(store, "quoted words and NEAR operators in plain text. " * 3, title="Syntax")
    index = Index(store)
    for words in ('"', "NEAR(", "a OR", "title:x", "*", "')--", "-x ^y"):
        index.search(q=words)  # no syntax error of either database
    assert match_expression('title: "NEAR" x*') == '"title" "NEAR" "x"*'
    assert match_expression("  ,.;  ") is None


def test_filters_and_newest_first_paging(store: KnowledgeStore) -> None:
    for n in range(30):
        add(
            store,
            f"document number {n} about topic {n % 3}. " * 4,
            minutes=n,
            title=f"Doc {n:02d}",
            content_type="pdf" if n % 2 else "text",
            tags=["even"] if n % 2 == 0 else ["odd"],
            source=f"https://example.org/{'news' if n < 10 else 'blog'}/{n}",
        )
    index = Index(store)
    first = index.search(limit=10)
    assert first.total == 30 and [h.record.title for h in first.hits][:2] == ["Doc 29", "Doc 28"]
    second = index.search(limit=10, offset=10)
    assert second.hits[0].record.title == "Doc 19"
    assert index.search(content_type="pdf").total == 15
    past_the_end = index.search(content_type="pdf", offset=20)  # counted all the same
    assert past_the_end.hits == [] and past_the_end.total == 15
    assert index.search(content_type="pdf", offset=10, limit=10).total == 15
    assert index.search(tag="even", content_type="pdf").total == 0
    ranked = index.search(q="topic 2", limit=3)  # words, no filter: snippets from one pass
    assert ranked.total == 10 and all(any(m for _, m in h.snippet) for h in ranked.hits)
    assert index.search(source="/NEWS/").total == 10  # case-insensitive substring
    window = index.search(since=NOW + timedelta(minutes=5), until=NOW + timedelta(minutes=7))
    assert [h.record.title for h in window.hits] == ["Doc 07", "Doc 06", "Doc 05"]
    assert index.facets() == {"types": {"pdf": 15, "text": 15}, "tags": {"even": 15, "odd": 15}}


def test_source_filter_is_a_literal_case_insensitive_substring(
    store: KnowledgeStore,
) -> None:
    sources = {
        "percent": "https://example.org/reports/100%",
        "thousand": "https://example.org/reports/1000",
        "underscore": "https://Example.org/a_b/x",
        "letter": "https://example.org/axb/x",
        "backslash": "C:\\inbox\\scan.pdf",
    }
    for n, (title, source) in enumerate(sources.items()):
        add(store, f"text {n}", minutes=n, title=title, source=source)
    index = Index(store)
    assert titles(index, source="100%") == ["percent"]
    assert titles(index, source="a_b") == ["underscore"]
    assert titles(index, source="inbox\\scan") == ["backslash"]
    assert titles(index, source="EXAMPLE.ORG/REPORTS") == ["thousand", "percent"]
    assert index.search(source="example.org").total == 4
    assert index.search(source="%").total == 1 and index.search(source="_").total == 1
    assert titles(index, source="ample.org/a") == ["letter", "underscore"]  # parts of words


def test_a_document_is_found_once_stored_and_reindex_rebuilds(store: KnowledgeStore) -> None:
    from bluelabel.store.reindex import reindex

    index = Index(store)
    assert index.search().total == 0  # an empty store
    first = add(store, "first document text here. " * 3, title="First")
    assert titles(index, q="first") == ["First"]  # no sync: the put wrote the row
    add(store, "second document text here. " * 3, title="Second", minutes=1)
    assert titles(index) == ["Second", "First"]
    # A row whose record is gone, a record without its row: reindex mends both.
    store.catalog.remove(first)
    (Path(store.location) / "objects" / first[:2] / f"{first}.json").rename(
        Path(store.location) / "set-aside.json"
    )
    third = add(store, "third document text here. " * 3, title="Third", minutes=2)
    store.catalog.remove(third)
    assert titles(index) == ["Second"]
    assert reindex(store, batch=1) == (2, 1, 0)
    assert titles(index) == ["Third", "Second"]


def test_only_runs_of_readable_dags_show_a_document(store: KnowledgeStore) -> None:
    cli = add(store, "ingested from a shell. " * 3, title="From the CLI")
    mine = add(store, "ingested by my dag. " * 3, title="Mine", minutes=1)
    both = add(store, "ingested by both dags. " * 3, title="Both", minutes=2)
    store.note_ingest(mine, RunRef("mine", "run-1", "ingest"))
    store.note_ingest(both, RunRef("mine", "run-2", "ingest", try_number=2))
    store.note_ingest(both, RunRef("other", "run-1", "ingest"))
    index = Index(store)
    assert titles(index, dag_ids=None) == ["Both", "Mine", "From the CLI"]  # every DAG
    assert titles(index, dag_ids=frozenset({"mine"})) == ["Both", "Mine"]
    assert titles(index, q="ingested", dag_ids=frozenset({"other"})) == ["Both"]
    assert titles(index, dag_ids=frozenset()) == []
    assert facets(store.catalog, frozenset({"other"}))["types"] == {"text": 1}
    assert [p["dag_id"] for p in store.provenance(both)] == ["mine", "other"]
    assert store.provenance(cli) == []


def test_long_text_is_searchable_up_to_the_cap(store: KnowledgeStore) -> None:
    filler = "lorem ipsum dolor sit amet. " * (MAX_TEXT_CHARS // 28 + 10)
    add(store, "openingword starts it. " + filler + " closingword ends it.", title="Long")
    index = Index(store)
    assert titles(index, q="openingword") == ["Long"]
    assert titles(index, q="closingword") == []  # beyond MAX_TEXT_CHARS


def test_title_matches_rank_first_and_broad_words_list_newest_first(
    store: KnowledgeStore, monkeypatch: object
) -> None:

    from bluelabel.store import search as search_module

    body = "Quays, cranes and tugboats fill this harbour text. " * 20
    add(store, body + "A lighthouse, once.", title="Harbour notes")
    add(store, "Nothing here but harbour words. " * 3, title="Lighthouse keeping", minutes=1)
    add(store, body + "Another lighthouse mention.", title="Coastline", minutes=2)
    for n in range(6):  # documents without the word: it is rare, as words people search are
        add(store, f"Filler document {n} about tides and moorings. " * 3, minutes=3 + n)
    index = Index(store)
    assert titles(index, q="lighthouse")[0] == "Lighthouse keeping"
    assert isinstance(monkeypatch, pytest.MonkeyPatch)
    monkeypatch.setattr(search_module, "RANKED_MATCHES", 1)
    assert titles(index, q="lighthouse") == ["Coastline", "Lighthouse keeping", "Harbour notes"]
    page = index.search(q="lighthouse", content_type="text", limit=2)
    assert page.total == 3 and [h.record.title for h in page.hits] == [
        "Coastline",
        "Lighthouse keeping",
    ]


def test_postgresql_counts_a_broad_query_up_to_the_cap(
    store: KnowledgeStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bluelabel.store import search as search_module

    for n in range(4):
        add(store, f"Every note mentions the harbour, this is note {n}. " * 3, minutes=n)
    monkeypatch.setattr(search_module, "TOTAL_CAP", 2)
    page = Index(store).search(q="harbour")
    assert len(page.hits) == 4
    if store.catalog.dialect == "postgresql":
        assert (page.total, page.more) == (2, True)  # "2+": counting all costs, tells nothing
    else:
        assert (page.total, page.more) == (4, False)
    assert Index(store).search().total == 4 and not Index(store).search().more


def test_postgresql_does_not_count_what_its_planner_expects_by_the_thousand(
    store: KnowledgeStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bluelabel.store import search as search_module

    add(store, "A harbour note about cranes, cranes and cranes. " * 3, title="Cranes", minutes=0)
    add(store, "Another harbour note, newer and plainer. " * 3, title="Plain", minutes=1)
    monkeypatch.setattr(search_module, "ESTIMATE_CAP", 1)  # every estimate is "too many"
    page = Index(store).search(q="harbour", limit=1)
    if store.catalog.dialect == "postgresql":
        assert (page.total, page.more) == (search_module.TOTAL_CAP, True)
        assert [h.record.title for h in page.hits] == ["Plain"]  # newest first
    else:
        assert (page.total, page.more) == (2, False)
    # none match after all: counted, and the last word tried as a prefix
    assert Index(store).search(q="harbo").total == 2
    assert Index(store).search(q="nowhereword").total == 0


def test_the_snippet_is_the_passage_of_the_match(store: KnowledgeStore) -> None:
    filler = "Tides and moorings fill this line of text. " * 120  # past the headline window
    add(store, filler + "The lighthouse keeper wrote this. " + filler, title="Far")
    add(store, "To concatenate " + filler + "a cat sat on the quay. " + filler, title="Inside")
    add(store, "Only moorings here. " * 40, title="Lighthouse log", minutes=1)
    index = Index(store)

    def marked(q: str, title: str) -> list[str]:
        (hit,) = [h for h in index.search(q=q).hits if h.record.title == title]
        return [text.lower() for text, match in hit.snippet if match]

    assert marked("lighthouse", "Far") == ["lighthouse"]
    assert marked("lighthouse", "Lighthouse log") == ["lighthouse"]  # the title's
    assert marked("cat", "Inside") == ["cat"]  # not "concatenate", whose stem is elsewhere
    assert marked("lighthouse keeper", "Far") == ["lighthouse", "keeper"]
    # several words: the passage near the first place one occurs, with those it holds
    add(store, "A keeper of records. " + filler + "The tide keeper saw the ferry. ", title="Later")
    assert marked("keeper records", "Later") == ["keeper", "records"]
    assert "keeper" in marked("ferry keeper", "Later")  # PostgreSQL: only it (FTS5: both)
    # in the summary only (not the body): the summary's passage
    summarised = add(store, "Plain words about moorings. " * 10, title="Summarised")
    store.catalog.set_summary(summarised, "The lighthouse, in short.")
    assert marked("lighthouse", "Summarised") == ["lighthouse"]
