"""Merge imported records into a knowledge base without losing curation, and report the diff.

The rule is the build's: an existing non-empty value wins. An importer names the fields its source
provides; for each, an empty existing value is filled and a different non-empty one is kept and
reported ("kept title: the source differs"). Curated fields (``aliases``, ``topics``, ``note``) are
never among them, so they are never overwritten.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Literal, TypeVar

from bot.core.models import KnowledgeBase, Paper, Post

Status = Literal["added", "changed", "unchanged"]
RecordKind = Literal["paper", "post"]

# What arXiv gives for a paper: everything but the venue and the curated fields.
ARXIV_FIELDS = ("title", "date", "authors", "url", "abstract", "categories", "journal_ref", "doi")
LABEL_CHARS = 70  # a diff line shows this much of a title or a post's text

_R = TypeVar("_R", Paper, Post)


@dataclass(frozen=True, slots=True)
class RecordChange:
    """What an import did to one record: added, changed (fields filled) or unchanged."""

    kind: RecordKind
    id: str
    label: str  # the title, or the start of a post's text
    status: Status
    filled: tuple[str, ...] = ()  # fields the source filled in (or a placeholder it replaced)
    kept: tuple[str, ...] = ()  # fields whose existing value was kept though the source differs
    note: str = ""  # how the record was matched, when that is worth saying (BibTeX, X archive)


@dataclass(slots=True)
class ImportReport:
    """Everything an import read, changed and left out, for the CLI to print."""

    source: str  # what was read, e.g. "arXiv feed feed.atom"
    kind: RecordKind  # what the source holds: papers or posts
    read: int  # records read from the source
    changes: list[RecordChange] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # left out, each saying why
    ambiguous: list[str] = field(default_factory=list)  # matches reported instead of guessed
    unmatched: list[str] = field(default_factory=list)  # records that found nothing to update
    written: list[str] = field(default_factory=list)  # files written; empty on a dry run

    def count(self, status: Status) -> int:
        """How many records have ``status``."""
        return sum(1 for c in self.changes if c.status == status)

    @property
    def changed_anything(self) -> bool:
        return any(c.status != "unchanged" for c in self.changes)


@dataclass(frozen=True, slots=True)
class ImportResult:
    """The merged knowledge base and the report of how it differs from the one imported into."""

    kb: KnowledgeBase
    report: ImportReport


def is_empty(value: object) -> bool:
    """Whether a field holds nothing: None, "", or an empty tuple."""
    return value is None or value == "" or value == ()


def merge_fields(
    existing: _R, fresh: _R, fields: Iterable[str]
) -> tuple[_R, tuple[str, ...], tuple[str, ...]]:
    """Fill ``existing``'s empty ``fields`` from ``fresh``; return it, the filled and kept names."""
    updates: dict[str, object] = {}
    filled: list[str] = []
    kept: list[str] = []
    for name in fields:
        new, old = getattr(fresh, name), getattr(existing, name)
        if is_empty(new) or new == old:
            continue
        if is_empty(old):
            updates[name] = new
            filled.append(name)
        else:
            kept.append(name)
    merged = dataclasses.replace(existing, **updates) if updates else existing
    return merged, tuple(filled), tuple(kept)


def label(text: str) -> str:
    """A record's text cut to one diff line."""
    text = " ".join(text.split())
    return text if len(text) <= LABEL_CHARS else text[: LABEL_CHARS - 1].rstrip() + "…"


def change(
    kind: RecordKind,
    record: Paper | Post,
    filled: Sequence[str],
    kept: Sequence[str],
    *,
    note: str = "",
) -> RecordChange:
    """The change record of an existing record after a merge."""
    text = record.title if isinstance(record, Paper) else record.text
    status: Status = "changed" if filled else "unchanged"
    return RecordChange(kind, record.id, label(text), status, tuple(filled), tuple(kept), note)


def merge_papers(
    kb: KnowledgeBase, fresh: Sequence[Paper], *, fields: Sequence[str], source: str
) -> ImportResult:
    """Add new papers and fill existing ones from ``fresh``; ids in ``kb.excluded`` stay out."""
    report = ImportReport(source=source, kind="paper", read=len(fresh))
    excluded = {e.id: e for e in kb.excluded}
    papers = {p.id: p for p in kb.papers}
    seen: set[str] = set()
    for paper in fresh:
        if paper.id in seen:
            report.skipped.append(f"paper {paper.id}: listed twice in the source; first kept")
            continue
        seen.add(paper.id)
        if paper.id in excluded:
            why = excluded[paper.id].reason or "no reason given"
            report.skipped.append(
                f"paper {paper.id} ({label(paper.title)}): in exclude.yaml ({why})"
            )
            continue
        old = papers.get(paper.id)
        if old is None:
            papers[paper.id] = paper
            report.changes.append(RecordChange("paper", paper.id, label(paper.title), "added"))
            continue
        merged, filled, kept = merge_fields(old, paper, fields)
        papers[paper.id] = merged
        report.changes.append(change("paper", merged, filled, kept))
    return ImportResult(with_records(kb, papers=papers.values()), report)


def with_records(
    kb: KnowledgeBase, *, papers: Iterable[Paper] | None = None, posts: Iterable[Post] | None = None
) -> KnowledgeBase:
    """A copy of ``kb`` with its papers or posts replaced (synonyms and exclusions kept)."""
    return dataclasses.replace(
        kb,
        papers=tuple(papers) if papers is not None else kb.papers,
        posts=tuple(posts) if posts is not None else kb.posts,
    )
