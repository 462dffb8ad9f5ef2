"""Section names that say what a section is for, in the languages documents are written in.

A heading's role decides how its section is treated: an abstract or introduction is where a
summary is looked for first; a table of contents, bibliography, index or change history is
not prose and is dropped.
"""

from __future__ import annotations

import re
from typing import Literal

Role = Literal[
    "abstract", "introduction", "conclusion", "contents", "references", "index", "implementation"
]

_NAMES: dict[Role, tuple[str, ...]] = {
    "abstract": (
        "abstract",
        "summary",
        "executive summary",
        "synopsis",
        "tl;dr",
        "zusammenfassung",
        "kurzfassung",
        "résumé",
        "resume",
        "resumen",
        "resumo",
        "sommario",
        "riassunto",
        "samenvatting",
        "sammanfattning",
        "sammendrag",
        "resumé",
        "streszczenie",
        "аннотация",
        "реферат",
        "摘要",
        "要旨",
        "概要",
        "内容提要",
        "초록",
        "요약",
    ),
    "introduction": (
        "introduction",
        "overview",
        "preface",
        "foreword",
        "motivation",
        "background",
        "purpose",
        "description",
        "about",
        "about this document",
        "about this package",
        "getting started",
        "what is it",
        "einleitung",
        "einführung",
        "vorwort",
        "überblick",
        "présentation",
        "avant-propos",
        "introducción",
        "introduzione",
        "introdução",
        "inleiding",
        "wstęp",
        "введение",
        "はじめに",
        "序論",
        "序章",
        "简介",
        "引言",
        "概述",
        "前言",
        "서론",
        "소개",
    ),
    "conclusion": (
        "conclusion",
        "conclusions",
        "concluding remarks",
        "summary and conclusions",
        "summary and conclusion",
        "summary and outlook",
        "summary and discussion",
        "summary and future work",
        "conclusion and outlook",
        "conclusions and outlook",
        "conclusions and future work",
        "conclusion and future work",
        "discussion",
        "discussion and conclusions",
        "final remarks",
        "closing remarks",
        "outlook",
        "fazit",
        "schlussfolgerungen",
        "résultats",
        "conclusiones",
        "結論",
        "结论",
        "결론",
    ),
    "contents": (
        "contents",
        "table of contents",
        "list of figures",
        "list of tables",
        "list of listings",
        "inhalt",
        "inhaltsverzeichnis",
        "table des matières",
        "sommaire",
        "índice",
        "indice",
        "contenido",
        "inhoud",
        "spis treści",
        "содержание",
        "目次",
        "目录",
        "目錄",
        "차례",
        "목차",
    ),
    "references": (
        "references",
        "bibliography",
        "literature",
        "literature cited",
        "works cited",
        "further reading",
        "literatur",
        "literaturverzeichnis",
        "bibliographie",
        "références",
        "referencias",
        "bibliografía",
        "bibliografia",
        "referências",
        "literatuur",
        "список литературы",
        "参考文献",
        "參考文獻",
        "참고문헌",
    ),
    "index": (
        "index",
        "general index",
        "index of commands",
        "command index",
        "change history",
        "changes",
        "version history",
        "revision history",
        "history",
        "changelog",
        "acknowledgements",
        "acknowledgments",
        "acknowledgement",
        "acknowledgment",
        "danksagung",
        "license",
        "licence",
        "licensing",
        "copying",
        "copying this manual",
        "copying information",
        "copyright",
        "legal notice",
        "gnu free documentation license",
        "gnu general public license",
        "remerciements",
        "register",
        "stichwortverzeichnis",
        "索引",
        "致谢",
    ),
    "implementation": ("implementation", "the implementation", "the code", "code", "source code"),
}
_ROLE_OF = {name: role for role, names in _NAMES.items() for name in names}
_NUMBERING = re.compile(
    r"^(?:(?i:appendix|chapter|part)\s+(?:\d{1,3}|[IVX]{1,5}|[A-Z])[.:]?\s+"
    r"|(?:\d{1,2}(?:\.\d{1,2})*|[A-Z](?:\.\d{1,2})*|[IVX]{1,5})\.?\s+)(?=\S)"
)

TOC_SECTIONS: frozenset[str] = frozenset({"contents"})
REFERENCE_SECTIONS: frozenset[str] = frozenset({"references"})
DROPPED_SECTIONS: frozenset[str] = frozenset({"index"})
#: Sections a summary is drawn from first, best first.
PREFERRED_SECTIONS: tuple[Role, ...] = ("abstract", "introduction")


def section_name(heading: str) -> Role | None:
    """The role of a section from its heading ("2 Introduction" -> "introduction")."""
    text = _NUMBERING.sub("", heading.strip())
    text = text.strip(" :.-–—").lower()
    if len(text) > 40:
        return None
    if text.endswith(" index"):  # "Concept Index", "Function and Data Index"
        return "index"
    return _ROLE_OF.get(text)
