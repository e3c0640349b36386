"""``python -m bot build-knowledge``: rebuild the knowledge YAML from raw sources, keeping curation.

The raw documents live in ``<knowledge>/sources/``. The build parses them (``bot.core.sources``),
then merges into the YAML already there, record by record (papers and posts by id):

- a record only in the sources is added;
- for a record in both, every key whose existing value is empty or missing is filled from the
  sources, and every existing non-empty value wins, so curated fields (aliases, topics, note) and
  anything edited by hand are never overwritten;
- a record only in the YAML (added by hand) is kept.

A file is rewritten only when its content changes, so a second run changes nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.core import schema
from bot.core.models import Profile
from bot.core.sources import (
    combine_papers,
    parse_abstracts,
    parse_arxiv_listing,
    parse_papers_meta,
    parse_profile_capture,
)
from bot.core.yamlio import read_yaml
from bot.errors import KnowledgeError, Problem
from bot.writer import (
    ordered,
    paper_record,
    paper_sort_key,
    post_record,
    post_sort_key,
    profile_record,
    render_file,
    write_atomic,
)

log = logging.getLogger(__name__)

SOURCES_DIR = "sources"
X_PROFILE_SOURCE = "x_profile.txt"
LISTING_SOURCE = "arxiv_listing.txt"
META_SOURCE = "papers_meta.tsv"
ABSTRACTS_SOURCE = "abstracts.tsv"


@dataclass(slots=True)
class FileReport:
    """What the build did to one knowledge file."""

    name: str
    records: int = 0
    added: list[str] = field(default_factory=list)
    filled: list[str] = field(default_factory=list)  # "id.key" filled into an existing record
    kept: list[str] = field(default_factory=list)  # "id.key" hand-edited, differs from source
    curated: int = 0  # non-empty values the sources do not provide (aliases, topics, notes...)
    hand_added: list[str] = field(default_factory=list)  # ids only in the YAML
    written: bool = False

    def line(self) -> str:
        """Summarize this file's changes on one line."""
        state = "written" if self.written else "unchanged"
        return (
            f"{self.name}: {state}; {_count(self.records, 'record')}, {len(self.added)} added, "
            f"{_count(len(self.filled), 'field')} filled, {_count(len(self.kept), 'hand edit')} "
            f"and {_count(self.curated, 'curated value')} kept, "
            f"{_count(len(self.hand_added), 'hand-added record')} kept"
        )


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


@dataclass(slots=True)
class BuildReport:
    """What the build did, for the CLI to print."""

    files: list[FileReport]
    excluded: list[str]

    def lines(self) -> list[str]:
        """Return the report as printable lines, details after each file's summary."""
        out: list[str] = []
        for report in self.files:
            out.append(report.line())
            out.extend(f"  added {item}" for item in report.added)
            out.extend(f"  filled {item}" for item in report.filled)
            out.extend(f"  kept hand edit {item} (the source differs)" for item in report.kept)
            out.extend(f"  kept hand-added {item}" for item in report.hand_added)
        out.extend(f"left out {item}" for item in self.excluded)
        return out


def build_knowledge(knowledge_dir: Path, *, display_dir: str | None = None) -> BuildReport:
    """Parse ``<knowledge_dir>/sources/`` and write or merge the three YAML files."""
    shown = display_dir if display_dir is not None else str(knowledge_dir)
    sources = knowledge_dir / SOURCES_DIR
    texts = {
        name: _read_source(sources / name, f"{shown}/{SOURCES_DIR}/{name}")
        for name in (X_PROFILE_SOURCE, LISTING_SOURCE, META_SOURCE, ABSTRACTS_SOURCE)
    }
    problems = [p for value in texts.values() if isinstance(value, Problem) for p in [value]]
    if problems:
        raise KnowledgeError(problems)

    def src(name: str) -> str:
        return f"{shown}/{SOURCES_DIR}/{name}"

    profile, posts = parse_profile_capture(
        str(texts[X_PROFILE_SOURCE]), source=src(X_PROFILE_SOURCE)
    )
    papers, excluded = combine_papers(
        parse_arxiv_listing(str(texts[LISTING_SOURCE]), source=src(LISTING_SOURCE)),
        parse_papers_meta(str(texts[META_SOURCE]), source=src(META_SOURCE)),
        parse_abstracts(str(texts[ABSTRACTS_SOURCE]), source=src(ABSTRACTS_SOURCE)),
        meta_source=src(META_SOURCE),
        abstracts_source=src(ABSTRACTS_SOURCE),
    )
    # Read every existing file before writing any, so a broken file stops the build untouched.
    existing = {
        name: _read_existing(knowledge_dir / name, f"{shown}/{name}")
        for name in (*schema.KNOWLEDGE_FILES, schema.EXCLUDE_FILE)
    }
    problems = [p for value in existing.values() for p in value[1]]
    if problems:
        raise KnowledgeError(problems)
    # Ids in exclude.yaml stay out, as they do on every import.
    kept_out = _excluded_ids(existing[schema.EXCLUDE_FILE][0])
    left_out = [
        f"paper {p.id} ({p.title!r}): listed in {schema.EXCLUDE_FILE}"
        for p in papers
        if p.id in kept_out and p.id not in {row.arxiv_id for row in excluded}
    ]
    papers = [p for p in papers if p.id not in kept_out]

    old_profile = existing[schema.PROFILE_FILE][0]
    old_name = old_profile.get("name") if isinstance(old_profile, dict) else None
    # Whose knowledge base it is, for the files' headers: the merged profile's name.
    owner = old_name if isinstance(old_name, str) and old_name.strip() else profile.name
    reports = [
        _write_profile(knowledge_dir, profile, old_profile, owner=owner),
        _write_list(
            knowledge_dir,
            schema.PAPERS_FILE,
            "papers",
            [paper_record(p) for p in papers],
            existing[schema.PAPERS_FILE][0],
            sort_key=paper_sort_key,
            owner=owner,
        ),
        _write_list(
            knowledge_dir,
            schema.POSTS_FILE,
            "posts",
            [post_record(p) for p in posts],
            existing[schema.POSTS_FILE][0],
            sort_key=post_sort_key,
            owner=owner,
        ),
    ]
    left_out = [
        f"paper {row.index} ({row.arxiv_id}, {row.title!r}): status {row.status!r} in "
        f"{META_SOURCE}, a different person with the same name"
        for row in excluded
    ] + left_out
    return BuildReport(files=reports, excluded=left_out)


def _excluded_ids(data: Any) -> set[str]:
    """The ids listed in exclude.yaml's raw data (``validate`` checks the file's shape)."""
    items = data.get("exclude") if isinstance(data, dict) else None
    return {
        item["id"]
        for item in items or ()
        if isinstance(item, dict) and isinstance(item.get("id"), str)
    }


def _read_source(path: Path, shown: str) -> str | Problem:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return Problem(shown, None, None, "source file not found")
    except (OSError, UnicodeDecodeError) as exc:
        return Problem(shown, None, None, f"cannot read source file: {exc}")


def _read_existing(path: Path, shown: str) -> tuple[Any, list[Problem]]:
    if not path.exists():
        return None, []
    return read_yaml(path, display_path=shown, max_bytes=schema.MAX_FILE_BYTES)


# --- merge -----------------------------------------------------------------------------------


def _is_empty(value: Any) -> bool:
    return value is None or value == "" or value == [] or value == {}


def _plain(value: Any) -> Any:
    """Strip the marks from read_yaml's data so it dumps as plain YAML."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def merge_value(existing: Any, fresh: Any, path: str, report: FileReport) -> Any:
    """Merge one value: existing non-empty values win; empty or missing ones are filled."""
    if _is_empty(existing):
        if not _is_empty(fresh):
            report.filled.append(path)
        return fresh
    if isinstance(existing, dict) and isinstance(fresh, dict):
        merged = {
            k: merge_value(existing.get(k), v, f"{path}.{k}", report) for k, v in fresh.items()
        }
        merged.update({k: v for k, v in existing.items() if k not in merged})
        return merged
    if _is_empty(fresh):
        report.curated += 1
    elif existing != fresh:
        report.kept.append(path)
    return existing


def _merge_records(
    fresh: list[dict[str, Any]], existing: list[Any], report: FileReport
) -> list[Any]:
    by_id = {r["id"]: r for r in existing if isinstance(r, dict) and isinstance(r.get("id"), str)}
    fresh_ids = {r["id"] for r in fresh}
    merged: list[Any] = []
    for record in fresh:
        old = by_id.get(record["id"])
        if old is None:
            report.added.append(record["id"])
            merged.append(record)
        else:
            merged.append(merge_value(old, record, record["id"], report))
    for record in existing:
        record_id = record.get("id") if isinstance(record, dict) else None
        if record_id not in fresh_ids:
            report.hand_added.append(str(record_id))
            merged.append(record)
    return merged


def _write_profile(
    knowledge_dir: Path, profile: Profile, existing: Any, *, owner: str
) -> FileReport:
    report = FileReport(name=schema.PROFILE_FILE, records=1)
    fresh = profile_record(profile)
    if existing is None:
        report.added.append("profile")
        merged = fresh
    else:
        merged = merge_value(_plain(existing), fresh, "profile", report)
    merged = ordered(merged, schema.PROFILE_KEYS)
    text = render_file("Profile", merged, name=owner)
    report.written = write_atomic(knowledge_dir / schema.PROFILE_FILE, text)
    return report


def _write_list(
    knowledge_dir: Path,
    name: str,
    key: str,
    fresh: list[dict[str, Any]],
    existing: Any,
    *,
    sort_key: Callable[[Any], tuple[str, Any]],
    owner: str,
) -> FileReport:
    report = FileReport(name=name)
    old_records: list[Any] = []
    if isinstance(existing, dict) and isinstance(existing.get(key), list):
        old_records = _plain(existing[key])
    elif existing is not None:
        raise KnowledgeError(
            [Problem(str(knowledge_dir / name), None, None, f"expected a top-level '{key}' list")]
        )
    merged = _merge_records(fresh, old_records, report)
    merged.sort(key=sort_key, reverse=True)
    order = schema.PAPER_KEYS if key == "papers" else schema.POST_KEYS
    report.records = len(merged)
    data = {key: [ordered(r, order) for r in merged]}
    text = render_file(key.capitalize(), data, name=owner)
    report.written = write_atomic(knowledge_dir / name, text)
    return report
