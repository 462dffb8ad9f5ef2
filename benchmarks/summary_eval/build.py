"""Build the summary evaluation sets from real PDFs that carry their own abstract.

Usage:
    apt-get install -y --no-install-recommends texlive-latex-extra-doc texlive-humanities-doc \
        texlive-latex-recommended-doc texlive-pictures-doc texlive-science-doc \
        texlive-publishers-doc texlive-metapost-doc
    python benchmarks/summary_eval/build.py [--out DIR] [--limit N]

Each Debian documentation package is a pool of PDFs (LaTeX package manuals, papers, class
guides). A PDF qualifies when one of its first three pages has an abstract: a line "Abstract"
(or "Summary") followed by the abstract's text, or a line starting "Abstract." / "Abstract:".
The abstract ends at the first heading, "Contents", "Keywords", footnote or page end. The body
is extracted the way the product extracts it (``extract_pdf_text``: PDFium, pages joined by
form feeds), the abstract is REMOVED from the body and kept as the reference summary.

The dev set and the held-out set come from different Debian packages (``DEV_PACKAGES``,
``HELDOUT_PACKAGES``), so no LaTeX package is in both. One PDF per LaTeX package (the one
named after it first), English only (the ROUGE tokenizer is ASCII), abstracts of 25-400
words, bodies of at least 400 words, no placeholder text, no abstract seen twice. Documents
are drawn in a fixed pseudo-random order (SHA-1 of the path), so a run gives the same sets.

Writes ``dev.jsonl``, ``heldout.jsonl`` and any ``--extra-set`` (one document a line: id,
package, path, pages, title, outline, abstract, body) to ``benchmarks/summary_eval/data/``
(gitignored).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import subprocess
import sys
import tempfile
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from bluelabel.agents.files import check_regular_file
from bluelabel.agents.pdf import extract_pdf_text
from bluelabel.agents.pdf.outline import outline_from_pdfium
from bluelabel.errors import BluelabelError

HERE = Path(__file__).resolve().parent
DEFAULT_OUT = HERE / "data"
DEV_PACKAGES = ("texlive-latex-extra-doc", "texlive-humanities-doc")
HELDOUT_PACKAGES = (
    "texlive-latex-recommended-doc",
    "texlive-pictures-doc",
    "texlive-science-doc",
    "texlive-publishers-doc",
    "texlive-metapost-doc",
)
TEXLIVE_DOC = "/usr/share/doc/texlive-doc/"
#: A second genre, papers with an abstract: the vignettes of R packages, most of them
#: Journal of Statistical Software articles. The packages are fetched with ``apt-get
#: download`` and unpacked with ``dpkg -x`` under ``data/debs/`` (R itself is not
#: installed). The two halves (split once by the parity of SHA-1's first byte of the name)
#: share no package. Up to ``PAPERS_PER_PACKAGE`` papers per R package, all its PDFs tried.
PAPER_DEV_PACKAGES = tuple(
    f"r-cran-{name}"
    for name in (
        "aer",
        "ape",
        "bradleyterry2",
        "brobdingnag",
        "coin",
        "elliptic",
        "erm",
        "expint",
        "expm",
        "flexmix",
        "formula",
        "glmnet",
        "gnm",
        "gstat",
        "hypergeo",
        "ipred",
        "kernlab",
        "ks",
        "lme4",
        "lmtest",
        "maxlik",
        "mcmc",
        "mvtnorm",
        "ordinal",
        "party",
        "psychotools",
        "quantreg",
        "rcpp",
        "rmpfr",
        "rrcov",
        "runit",
        "sampling",
        "spacetime",
        "sparsem",
        "strucchange",
        "surveillance",
        "survey",
        "systemfit",
        "tsp",
        "vcd",
        "xts",
    )
)
PAPER_HELDOUT_PACKAGES = tuple(
    f"r-cran-{name}"
    for name in (
        "actuar",
        "bms",
        "clue",
        "desolve",
        "geepack",
        "gsl",
        "huge",
        "laeken",
        "magic",
        "maxstat",
        "mi",
        "multcomp",
        "numderiv",
        "partykit",
        "pscl",
        "psychotree",
        "rcpparmadillo",
        "rcppeigen",
        "rgenoud",
        "robustbase",
        "rprotobuf",
        "sandwich",
        "seriation",
        "sn",
        "sp",
        "spam",
        "tm",
        "tmvtnorm",
        "zoo",
    )
)
PAPERS_PER_PACKAGE = 3
MAX_PAGES = 400
ABSTRACT_WORDS = (25, 400)
MIN_BODY_WORDS = 400

_HEADING_LINE = re.compile(r"^\s*(abstract|summary)\s*[.:]?\s*$", re.IGNORECASE)
_INLINE = re.compile(r"^\s*(abstract|summary)\s*[.:\u2014\u2013-]\s*(\S.*)$", re.IGNORECASE)
#: Lines that end an abstract: headings, the table of contents, keywords, footnotes.
_STOP = re.compile(
    r"""^\s*(
        (?i:(table\s+of\s+)?contents\b | keywords?\b | key\s*words\b | index\s+terms\b)
      | (?i:(introduction|overview|preface|motivation|license|licence|copyright|acknowledg\w*
            |r\u00e9sum\u00e9|zusammenfassung|resumen|sommario|riassunto)[.:]?\s*$)
      | (\d+(\.\d+)*|[IVX]+|[A-Z])\.?\s+[A-Z][^.]{0,70}$
      | (part|chapter)\s+[\dIVX]+\b
      | [\u2217*\u2020\u2021\u00a7\u00b6]
      | \d+[A-Z][a-z]
      | \d+\s*$
    )""",
    re.VERBOSE,
)
_PLACEHOLDER = re.compile(r"lorem ipsum|dolor sit amet|\bblindtext\b|\bdummy text\b", re.I)
_ENGLISH = frozenset(
    {
        "the",
        "of",
        "and",
        "to",
        "in",
        "is",
        "a",
        "that",
        "for",
        "it",
        "as",
        "with",
        "by",
        "this",
        "on",
        "are",
        "be",
        "can",
        "which",
        "an",
        "from",
        "or",
    }
)
_WORD = re.compile(r"[A-Za-z]+")


@dataclass(frozen=True)
class Found:
    abstract: str
    body: str


def find_abstract(text: str) -> Found | None:
    """The abstract of the first three pages and the text without it, or None."""
    pages = text.split("\f")
    head = "\f".join(pages[:3])
    lines = head.split("\n")
    offsets = []
    position = 0
    for line in lines:
        offsets.append(position)
        position += len(line) + 1
    for number, line in enumerate(lines):
        inline = _INLINE.match(line)
        if _HEADING_LINE.match(line):
            first = number + 1
            taken: list[str] = []
        elif inline:
            first = number + 1
            taken = [inline.group(2)]
        else:
            continue
        end = first
        while end < len(lines):
            candidate = lines[end]
            if "\f" in candidate and taken:
                before, _ = candidate.split("\f", 1)
                if before.strip():
                    taken.append(before)
                break
            if not candidate.strip():
                if taken:
                    break
            elif _STOP.match(candidate) and taken:
                break
            else:
                taken.append(candidate)
            end += 1
        abstract = re.sub(r"\s+", " ", " ".join(taken)).strip()
        words = len(abstract.split())
        if not ABSTRACT_WORDS[0] <= words <= ABSTRACT_WORDS[1]:
            continue
        start_char = offsets[number]
        end_char = offsets[end] if end < len(lines) else len(head)
        if end < len(lines) and "\f" in lines[end]:
            end_char = offsets[end] + lines[end].index("\f")
        body = text[:start_char] + text[end_char:]
        return Found(abstract=abstract, body=body)
    return None


def is_english(text: str) -> bool:
    words = [w.lower() for w in _WORD.findall(text)]
    return bool(words) and sum(w in _ENGLISH for w in words) / len(words) >= 0.15


def package_pdfs(package: str) -> list[Path]:
    try:
        listing = subprocess.run(
            ["dpkg", "-L", package], check=True, capture_output=True, text=True
        ).stdout
    except (OSError, subprocess.CalledProcessError):
        sys.exit(
            f"{package} is not installed: apt-get install -y --no-install-recommends {package}"
        )
    return sorted(Path(p) for p in listing.splitlines() if p.endswith(".pdf"))


def fetched_pdfs(package: str, debs: Path) -> list[Path]:
    """The PDFs of ``package`` fetched with ``apt-get download`` and unpacked under ``debs``
    (once: a second build reuses them)."""
    root = debs / "root" / package
    if not root.is_dir():
        debs.mkdir(parents=True, exist_ok=True)
        try:
            subprocess.run(
                ["apt-get", "download", "-q", package],
                cwd=debs,
                check=True,
                capture_output=True,
                text=True,
            )
        except (OSError, subprocess.CalledProcessError) as exc:
            detail = getattr(exc, "stderr", "") or str(exc)
            sys.exit(f"apt-get download {package} failed (run apt-get update first?): {detail}")
        (deb,) = sorted(debs.glob(f"{package}_*.deb"))
        scratch = root.with_suffix(".partial")
        scratch.parent.mkdir(exist_ok=True)
        subprocess.run(["dpkg", "-x", str(deb), str(scratch)], check=True)
        scratch.rename(root)
        deb.unlink()
    return sorted(p for p in root.rglob("*.pdf") if "/doc/" in str(p))


def group_of(path: Path) -> str:
    """The LaTeX package a PDF documents (texlive-doc/<area>/<package>/...), or the Debian
    package a fetched PDF came in (debs/root/<package>/...)."""
    text = str(path)
    if "/debs/root/" in text:
        return text.split("/debs/root/", 1)[1].split("/", 1)[0]
    if text.startswith(TEXLIVE_DOC):
        parts = text[len(TEXLIVE_DOC) :].split("/")
        return "/".join(parts[:2])
    return str(path.parent)


def ordered_groups(pdfs: Iterable[Path]) -> list[tuple[str, list[Path]]]:
    groups: dict[str, list[Path]] = {}
    for pdf in pdfs:
        groups.setdefault(group_of(pdf), []).append(pdf)
    for group, members in groups.items():
        name = group.rsplit("/", 1)[-1]
        # The manual named after the package first, then the others in path order.
        members.sort(key=lambda p: (p.stem != name, not p.stem.startswith(name), str(p)))
    return sorted(groups.items(), key=lambda item: hashlib.sha1(item[0].encode()).hexdigest())


def document(pdf: Path, package: str, scratch: Path) -> tuple[dict[str, object] | None, str]:
    import pypdfium2 as pdfium

    try:
        handle = pdfium.PdfDocument(str(pdf))
    except pdfium.PdfiumError:
        return None, "unreadable"
    try:
        pages = len(handle)
        if pages > MAX_PAGES:
            return None, "too long"
        outline = outline_from_pdfium(handle)
        title = (handle.get_metadata_dict(skip_empty=True) or {}).get("Title")
    finally:
        handle.close()
    out = scratch / "text.txt"
    try:
        extract_pdf_text(check_regular_file(pdf), out, workers=1)
    except BluelabelError:
        return None, "extraction failed"
    text = out.read_text(encoding="utf-8")
    found = find_abstract(text)
    if found is None:
        return None, "no abstract"
    if _PLACEHOLDER.search(found.abstract):
        return None, "placeholder"
    if not is_english(found.abstract) or not is_english(found.body[:20000]):
        return None, "not English"
    if len(found.body.split()) < MIN_BODY_WORDS:
        return None, "short body"
    return {
        "id": group_of(pdf),
        "package": package,
        "path": str(pdf),
        "pages": pages,
        "title": title or None,
        "outline": [[e.level, e.title, e.page] for e in outline],
        "abstract": found.abstract,
        "body": found.body,
    }, "ok"


def build(
    packages: Iterable[str],
    limit: int,
    scratch: Path,
    *,
    debs: Path | None = None,
    per_group: int = 1,
) -> tuple[list[dict[str, object]], Counter[str]]:
    """``per_group`` documents at most per LaTeX (or R) package; ``debs``: fetch the
    packages there instead of reading installed ones."""
    docs: list[dict[str, object]] = []
    reasons: Counter[str] = Counter()
    seen_abstracts: set[str] = set()
    groups: list[tuple[str, str, list[Path]]] = []
    for package in packages:
        pdfs = package_pdfs(package) if debs is None else fetched_pdfs(package, debs)
        groups.extend((package, g, members) for g, members in ordered_groups(pdfs))
    groups.sort(key=lambda item: hashlib.sha1(item[1].encode()).hexdigest())
    for package, _, members in groups:
        if len(docs) >= limit:
            break
        taken = 0
        for pdf in members if debs is not None else members[:4]:
            doc, reason = document(pdf, package, scratch)
            reasons[reason] += 1
            if doc is None:
                continue
            key = re.sub(r"\W+", "", str(doc["abstract"]).lower())[:200]
            if key in seen_abstracts:
                reasons["duplicate abstract"] += 1
                continue
            seen_abstracts.add(key)
            docs.append(doc)
            taken += 1
            if taken >= per_group or len(docs) >= limit:
                break
    return docs, reasons


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--limit", type=int, default=80, help="documents per set")
    parser.add_argument("--dev-packages", nargs="+", default=list(DEV_PACKAGES))
    parser.add_argument("--heldout-packages", nargs="+", default=list(HELDOUT_PACKAGES))
    parser.add_argument(
        "--extra-set",
        action="append",
        default=[],
        metavar="NAME=PKG[,PKG...]",
        help="also build NAME.jsonl from these packages (e.g. a second dev set)",
    )
    parser.add_argument(
        "--papers",
        action="store_true",
        help="build papers-dev.jsonl and papers-heldout.jsonl (R packages' vignettes, "
        "fetched with apt-get download) instead of the manuals' sets",
    )
    args = parser.parse_args()
    if args.papers:
        build_papers(args.out, args.limit)
        return
    sets = [("dev", args.dev_packages), ("heldout", args.heldout_packages)]
    for spec in args.extra_set:
        name, _, packages = spec.partition("=")
        if not name.isidentifier() or not packages:
            sys.exit(f"--extra-set {spec!r}: expected NAME=PKG[,PKG...]")
        sets.append((name, packages.split(",")))
    for name, packages in sets[:1] + sets[2:]:
        if set(packages) & set(args.heldout_packages):
            sys.exit(f"{name}: a package cannot be in both a tuning set and the held-out set")
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="summary-eval-") as scratch:
        for name, packages in sets:
            docs, reasons = build(packages, args.limit, Path(scratch))
            target = args.out / f"{name}.jsonl"
            report(target, docs, reasons, packages)


def build_papers(out: Path, limit: int) -> None:
    out.mkdir(parents=True, exist_ok=True)
    sets = (("papers-dev", PAPER_DEV_PACKAGES), ("papers-heldout", PAPER_HELDOUT_PACKAGES))
    with tempfile.TemporaryDirectory(prefix="summary-eval-") as scratch:
        for name, packages in sets:
            docs, reasons = build(
                packages, limit, Path(scratch), debs=out / "debs", per_group=PAPERS_PER_PACKAGE
            )
            target = out / f"{name}.jsonl"
            report(target, docs, reasons, packages)


def report(
    target: Path, docs: list[dict[str, object]], reasons: Counter[str], packages: Iterable[str]
) -> None:
    with target.open("w", encoding="utf-8") as sink:
        for doc in docs:
            sink.write(json.dumps(doc, ensure_ascii=False) + "\n")
    tried = ", ".join(f"{k}: {v}" for k, v in reasons.most_common())
    print(f"{target}: {len(docs)} documents from {len(list(packages))} packages ({tried})")


if __name__ == "__main__":
    main()
