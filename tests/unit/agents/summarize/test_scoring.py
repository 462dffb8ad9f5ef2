"""Ranking and MMR selection."""

from __future__ import annotations

from collections import Counter

from bluelabel.agents.summarize.scoring import Candidate, rank, select


def candidate(order: int, text: str, section: int = 0, role: str | None = None) -> Candidate:
    return Candidate(
        text=text,
        order=order,
        section=section,
        role=role,  # type: ignore[arg-type]
        rank_in_section=order,
        terms=Counter(text.lower().split()),
    )


def test_mmr_does_not_pick_the_same_point_twice() -> None:
    candidates = [
        candidate(0, "frames draw ornaments around text boxes"),
        candidate(1, "frames draw ornaments around text boxes quickly"),
        candidate(2, "colours of frames follow the document theme"),
    ]
    picked = select(candidates, rank(candidates), 2)
    assert sorted(picked) == [0, 2]


def test_abstract_and_introduction_are_preferred() -> None:
    body = [candidate(i, "frames draw ornaments around text boxes in columns") for i in range(20)]
    abstract = candidate(20, "frames draw ornaments around boxes", section=1, role="abstract")
    candidates = [*body, abstract]
    assert select(candidates, rank(candidates), 1) == [20]


def test_title_words_raise_a_sentence() -> None:
    candidates = [
        candidate(0, "widths follow the paragraph"),
        candidate(1, "ornaments come from fonts"),
    ]
    title = Counter(["ornaments"])
    ranking = rank(candidates, title)
    assert ranking.scores[1] > rank(candidates).scores[1]


def test_key_points_spread_over_sections() -> None:
    candidates = [
        candidate(i, f"frames ornaments topic{i} shared words", section=0) for i in range(5)
    ]
    candidates.append(candidate(5, "colours theme palette differ", section=1))
    points = select(candidates, rank(candidates), 2, exclude=[0], spread_sections=True)
    assert 0 not in points and 5 in points


def test_selection_is_deterministic_with_ties() -> None:
    candidates = [candidate(i, "same words every time") for i in range(10)]
    assert select(candidates, rank(candidates), 3) == select(candidates, rank(candidates), 3)
    assert select(candidates, rank(candidates), 1) == [0]
    assert select(candidates, rank(candidates), 0) == []
