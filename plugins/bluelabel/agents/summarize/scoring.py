"""Sentence ranking: TF-IDF centroid similarity with structural priors, MMR selection.

The score of a sentence is its cosine similarity to the document's TF-IDF centroid (Radev et
al.'s centroid summariser; IDF over the document's sentences, the centroid cut to its
``CENTROID_TERMS`` heaviest terms), raised for sentences in the sections that say what a
document is (abstract, introduction, conclusion), near the start of their section and of the
document, and for sentences that describe the document itself ("This package provides ...").
Sentences are then picked by maximal marginal relevance (Carbonell & Goldstein): each pick
maximises ``LAMBDA * score - (1 - LAMBDA) * similarity to the sentences already picked``, so
a summary does not say the same thing twice. Everything is deterministic: ties go to the
earlier sentence.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

from bluelabel.agents.summarize.sections import Role

CENTROID_TERMS = 100
#: Only this many best-scored sentences are considered by MMR (bounds its quadratic cost).
MMR_POOL = 300
LAMBDA = 0.7
ROLE_BOOST: dict[Role | None, float] = {
    "abstract": 6.0,
    "introduction": 1.8,
    "conclusion": 3.0,
    "implementation": -0.5,
}
FRONT_MATTER_BOOST = -0.3
#: Boost for the first sentences of a section, falling off with the rank in the section.
SECTION_LEAD_BOOST = 0.3
#: Boost for the opening sentences of the document, falling off with their order.
DOCUMENT_LEAD_BOOST = 3.0
DOCUMENT_LEAD_SCALE = 8.0
#: Weight of a sentence's similarity to the title (Edmundson's title words).
TITLE_WEIGHT = 0.5
#: Boost for a sentence that says what the document is ("This package provides ...", "In
#: this paper we describe ..."): the sentence a person writing a summary starts from.
DESCRIBES_BOOST = 1.0
#: ... when it is among the document's first sentences or in its introduction or conclusion
#: (later, "this package" is more often a detail of use than what the document is).
DESCRIBES_WITHIN = 10
_DESCRIBING_ROLES: frozenset[Role | None] = frozenset({"abstract", "introduction", "conclusion"})
#: A key point from a section already used is worth this much less, per use.
SECTION_REPEAT_FACTOR = 0.6


@dataclass
class Candidate:
    """A sentence that may be shown, with where it stands in the document."""

    text: str
    order: int  # among candidates, in document order
    section: int  # index of its section
    role: Role | None
    rank_in_section: int
    front: bool = False
    terms: Counter[str] = field(default_factory=Counter)
    #: the sentence says what the document is ("This package provides ...")
    describes: bool = False


@dataclass
class Ranking:
    scores: list[float]
    vectors: list[dict[str, float]]


def rank(candidates: Sequence[Candidate], title_terms: Counter[str] | None = None) -> Ranking:
    """Score every candidate (see module docstring); ``title_terms`` are the title's."""
    n = len(candidates)
    df: Counter[str] = Counter()
    for c in candidates:
        df.update(c.terms.keys())
    idf = {t: math.log((1 + n) / (1 + d)) + 1.0 for t, d in df.items()}
    vectors = [_unit({t: tf * idf[t] for t, tf in c.terms.items()}) for c in candidates]
    total: dict[str, float] = {}
    for c in candidates:
        for t, tf in c.terms.items():
            total[t] = total.get(t, 0.0) + tf * idf[t]
    # equal weights: the term met first in the document goes first (a stable sort)
    heaviest = sorted(total.items(), key=lambda item: -item[1])[:CENTROID_TERMS]
    centroid = _unit(dict(heaviest))
    title = _unit({t: idf.get(t, 1.0) for t in (title_terms or {})})
    scores = []
    for c, vector in zip(candidates, vectors, strict=True):
        similarity = _dot(vector, centroid) + TITLE_WEIGHT * _dot(vector, title)
        boost = ROLE_BOOST.get(c.role, 0.0) + (FRONT_MATTER_BOOST if c.front else 0.0)
        boost += SECTION_LEAD_BOOST / (1 + c.rank_in_section)
        boost += DOCUMENT_LEAD_BOOST * math.exp(-c.order / DOCUMENT_LEAD_SCALE)
        if c.describes and (c.order < DESCRIBES_WITHIN or c.role in _DESCRIBING_ROLES):
            boost += DESCRIBES_BOOST
        scores.append(similarity * max(0.1, 1.0 + boost))
    return Ranking(scores, vectors)


def select(
    candidates: Sequence[Candidate],
    ranking: Ranking,
    wanted: int,
    *,
    exclude: Sequence[int] = (),
    among: Sequence[int] | None = None,
    spread_sections: bool = False,
) -> list[int]:
    """Indexes of ``wanted`` candidates picked by MMR, in the order picked, from ``among``
    (default: all). Candidates in ``exclude`` count as already picked (for redundancy) but
    are not returned; ``spread_sections`` discounts candidates from sections already used."""
    if wanted <= 0:
        return []
    eligible = range(len(candidates)) if among is None else among
    excluded = set(exclude)
    pool = sorted(eligible, key=lambda i: (-ranking.scores[i], i))[:MMR_POOL]
    pool = [i for i in pool if i not in excluded]
    top = max((ranking.scores[i] for i in pool), default=0.0) or 1.0
    picked: list[int] = []
    chosen_vectors = [ranking.vectors[i] for i in exclude]
    used_sections: Counter[int] = Counter(candidates[i].section for i in exclude)
    # the redundancy of a candidate is its highest similarity to anything chosen so far
    redundancy = {
        i: max((_dot(ranking.vectors[i], v) for v in chosen_vectors), default=0.0) for i in pool
    }
    while pool and len(picked) < wanted:

        def value(i: int) -> float:
            relevance = ranking.scores[i] / top
            if spread_sections:
                relevance *= SECTION_REPEAT_FACTOR ** used_sections[candidates[i].section]
            return LAMBDA * relevance - (1 - LAMBDA) * redundancy[i]

        best = max(pool, key=lambda i: (value(i), -i))
        picked.append(best)
        pool.remove(best)
        used_sections[candidates[best].section] += 1
        vector = ranking.vectors[best]
        for i in pool:
            redundancy[i] = max(redundancy[i], _dot(ranking.vectors[i], vector))
    return picked


def _unit(vector: dict[str, float]) -> dict[str, float]:
    norm = math.sqrt(sum(w * w for w in vector.values()))
    return {t: w / norm for t, w in vector.items()} if norm else {}


def _dot(a: dict[str, float], b: dict[str, float]) -> float:
    if len(a) > len(b):
        a, b = b, a
    return sum(w * b.get(t, 0.0) for t, w in a.items())
