"""Import venues and DOIs from a BibTeX file into the papers already in the knowledge base.

Parsed with bibtexparser v2 (LaTeX decoded: ``{\\"u}`` is ``ü``, braces dropped). Each entry is
matched to one paper: by arXiv id (``eprint``, a ``CoRR abs/…`` or ``arXiv:…`` journal, an arXiv
URL or DOI), then by DOI, then by a fuzzy title (rapidfuzz). A title close to two papers is
reported as ambiguous rather than guessed. A *published* entry (``@inproceedings``, ``@article``
and the like, not an arXiv preprint) fills a paper's missing ``venue`` (its booktitle or journal,
with the year: ``ACL`` + ``2020`` is ``ACL 2020``) and missing ``doi``; existing values win.
BibTeX never adds papers: import them from arXiv first.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, replace
from typing import Any

import bibtexparser
from bibtexparser import middlewares
from bibtexparser.model import DuplicateBlockKeyBlock, Entry
from rapidfuzz import fuzz, process, utils

from bot.core import schema
from bot.core.models import KnowledgeBase, Paper
from bot.errors import KnowledgeError, Problem
from bot.importers.merge import (
    ImportReport,
    ImportResult,
    change,
    label,
    merge_fields,
    with_records,
)

BIBTEX_FIELDS = ("venue", "doi")  # what a published entry may fill in
TITLE_CUTOFF = 88.0  # rapidfuzz ratio of processed titles for a title match ...
AMBIGUOUS_MARGIN = 3.0  # ... and a second paper this close to the best makes it ambiguous
PUBLISHED_TYPES = frozenset({"article", "inproceedings", "conference", "incollection", "inbook"})

_ARXIV_IN_TEXT = re.compile(
    r"(?:arxiv[:\s.]*|abs/|arxiv\.org/(?:abs|pdf)/|10\.48550/arxiv\.)(\d{4}\.\d{4,5})(?:v\d+)?",
    re.IGNORECASE,
)
_BARE_ID = re.compile(r"^(\d{4}\.\d{4,5})(?:v\d+)?$")
_PREPRINT_VENUE = re.compile(r"\b(arxiv|corr|preprint)\b", re.IGNORECASE)
_YEAR = re.compile(r"\b(19|20)\d{2}\b")


@dataclass(frozen=True, slots=True)
class BibEntry:
    """What a BibTeX entry says that the knowledge base can use."""

    key: str
    line: int  # 1-based line of the entry's start
    title: str
    arxiv_id: str  # "" when the entry names none
    doi: str  # a publisher DOI ("" for none or an arXiv DOI)
    venue: str  # "ACL 2020"; "" unless the entry is published


def parse_bibtex(text: str, *, source: str) -> list[BibEntry]:
    """Parse BibTeX text; raise ``KnowledgeError`` with the line of every block that fails."""
    # bibtexparser logs each syntax error as a warning; we report them ourselves, with the line.
    logger = logging.getLogger("bibtexparser")
    level = logger.level
    logger.setLevel(logging.CRITICAL)
    try:
        library = bibtexparser.parse_string(
            text, append_middleware=[middlewares.LatexDecodingMiddleware()]
        )
    finally:
        logger.setLevel(level)
    problems = [
        Problem(
            source,
            block.start_line + 1,
            None,
            f"duplicate entry key {block.key!r}"
            if isinstance(block, DuplicateBlockKeyBlock)
            else f"cannot parse this entry: {_first_line(block.error)}",
        )
        for block in library.failed_blocks
    ]
    if problems:
        raise KnowledgeError(problems)
    return [_entry(e) for e in library.entries]


def _first_line(error: Exception) -> str:
    return str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__


def _field(entry: Entry, name: str) -> str:
    found = next((f for f in entry.fields if f.key.lower() == name), None)
    value: Any = found.value if found is not None else ""
    return " ".join(str(value).replace("{", "").replace("}", "").split())


def _entry(entry: Entry) -> BibEntry:
    journal = _field(entry, "journal")
    venue = _field(entry, "booktitle") or journal
    year = _field(entry, "year")
    published = (
        entry.entry_type.lower() in PUBLISHED_TYPES
        and bool(venue)
        and not _PREPRINT_VENUE.search(venue)
    )
    if published and year and not _YEAR.search(venue):
        venue = f"{venue} {year}"
    doi = _field(entry, "doi")
    return BibEntry(
        key=entry.key,
        line=entry.start_line + 1,
        title=_field(entry, "title"),
        arxiv_id=_arxiv_id(entry, journal),
        doi=doi if schema.DOI_RE.match(doi) and not doi.lower().startswith("10.48550/") else "",
        venue=venue if published else "",
    )


def _arxiv_id(entry: Entry, journal: str) -> str:
    eprint = _field(entry, "eprint")
    if bare := _BARE_ID.match(eprint):
        return bare.group(1)
    for text in (
        eprint,
        journal,
        _field(entry, "volume"),
        _field(entry, "url"),
        _field(entry, "doi"),
    ):
        if found := _ARXIV_IN_TEXT.search(text):
            return found.group(1)
    return ""


def import_bibtex(kb: KnowledgeBase, entries: list[BibEntry], *, source: str) -> ImportResult:
    """Match each entry to one paper and fill its missing venue and DOI (nothing written here)."""
    report = ImportReport(source=f"BibTeX file {source}", kind="paper", read=len(entries))
    papers = {p.id: p for p in kb.papers}
    by_doi = {p.doi.lower(): p.id for p in kb.papers if p.doi}
    titles = {p.id: _fold(p.title) for p in kb.papers}
    excluded = {e.id for e in kb.excluded}
    done: dict[str, str] = {}  # paper id -> key of the entry that updated it
    for entry in entries:
        where = f"@{entry.key} (line {entry.line})"
        paper_id, why, ambiguous = _match(entry, papers, by_doi, titles, excluded)
        if paper_id is None:
            (report.ambiguous if ambiguous else report.unmatched).append(f"{where}: {why}")
            continue
        if paper_id in done:
            report.ambiguous.append(
                f"{where}: matches paper {paper_id} ({why}), already updated from "
                f"@{done[paper_id]}; not used"
            )
            continue
        done[paper_id] = entry.key
        old = papers[paper_id]
        fresh = replace(old, venue=entry.venue, doi=entry.doi)
        merged, filled, kept = merge_fields(old, fresh, BIBTEX_FIELDS)
        papers[paper_id] = merged
        # How it matched is worth reviewing unless the entry names the paper's arXiv id.
        note = "" if why == "arXiv id" else f"{where}, matched by {why}"
        report.changes.append(change("paper", merged, filled, kept, note=note))
    return ImportResult(with_records(kb, papers=papers.values()), report)


def _match(
    entry: BibEntry,
    papers: dict[str, Paper],
    by_doi: dict[str, str],
    titles: dict[str, str],
    excluded: set[str],
) -> tuple[str | None, str, bool]:
    """The id of the paper ``entry`` is and how it was matched, or None, why, and whether the
    match was ambiguous."""
    if entry.arxiv_id:
        if entry.arxiv_id in papers:
            return entry.arxiv_id, "arXiv id", False
        if entry.arxiv_id in excluded:
            return None, f"arXiv id {entry.arxiv_id} is in exclude.yaml", False
        why = f"arXiv id {entry.arxiv_id} is not in the knowledge base (import it first)"
        return None, why, False
    if entry.doi and entry.doi.lower() in by_doi:
        return by_doi[entry.doi.lower()], "DOI", False
    if not entry.title:
        return None, "no arXiv id, known DOI or title to match", False
    hits = process.extract(
        _fold(entry.title), titles, scorer=fuzz.ratio, score_cutoff=TITLE_CUTOFF, limit=3
    )
    if not hits:
        return None, f"no paper with a title like {label(entry.title)!r}", False
    best = hits[0][1]
    close = [h for h in hits if h[1] >= best - AMBIGUOUS_MARGIN]
    if len(close) > 1:
        ids = ", ".join(f"{key} ({score:.0f})" for _, score, key in close)
        return None, f"the title matches papers {ids}; add its arXiv id or DOI", True
    return hits[0][2], f"title ({best:.0f})", False


def _fold(title: str) -> str:
    return " ".join(utils.default_process(title).split())
