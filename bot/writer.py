"""Write a knowledge base back to its YAML files: the one place knowledge files are rendered.

``render_knowledge(kb)`` returns each file's full text. ``save_knowledge(directory, kb)`` first
checks the rendered files by loading them back (they must load without a problem, into exactly
``kb``), then replaces each file whose text changed atomically (a temporary file in the same
directory, then a rename), so a reader (the watcher, ``/reload``) sees the old file or the new one,
never half of one. The importers, ``init`` and ``build-knowledge`` all write through here.

Records are written in the order ``knowledge/README.md`` documents: papers newest first, posts
newest day first and a day's posts by sequence. Empty optional keys are left out, except a paper's
``venue`` and its curated ``aliases`` and ``topics``, which stay visible to be filled in.
"""

from __future__ import annotations

import logging
import os
import re
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import yaml

from bot.core import schema
from bot.core.models import Exclusion, KnowledgeBase, Paper, Post, Profile
from bot.core.yamlio import is_https_url
from bot.errors import BotError

log = logging.getLogger(__name__)

_HEADER = (
    "# {kind} of {name}'s knowledge base: see knowledge/README.md for every field.\n"
    "# Rewritten by `python -m bot build-knowledge` and `python -m bot import`, which keep hand\n"
    "# edits (existing non-empty values win) but not comments. Check: `python -m bot validate`.\n"
)
_WIDTH = 84  # PyYAML breaks at the first space past this column: lines stay under ~100
_FOLD_OVER = 80  # strings longer than this are written as folded blocks
_DATE_LIKE_RE = re.compile(r"^\d{4}-\d{2}(?:-\d{2})?$")
_NESTED_ORDERS = {"thread": schema.THREAD_KEYS, "quoted": schema.QUOTED_KEYS}


# --- records -----------------------------------------------------------------------------------


def profile_record(profile: Profile) -> dict[str, Any]:
    """Return the profile as the mapping written to profile.yaml."""
    record: dict[str, Any] = {
        "name": profile.name,
        "handle": profile.handle,
        "url": profile.url,
        "bio": profile.bio,
        "location": profile.location,
        "joined": profile.joined,
        "works": list(profile.works),
    }
    if profile.counts is not None:
        counts = profile.counts
        record["counts"] = {
            key: value
            for key, value in (
                ("captured", counts.captured),
                ("posts", counts.posts),
                ("following", counts.following),
                ("followers", counts.followers),
            )
            if value is not None
        }
    return record


def paper_record(paper: Paper) -> dict[str, Any]:
    """Return a paper as the mapping written to papers.yaml (empty curated lists to fill in)."""
    record: dict[str, Any] = {
        "id": paper.id,
        "title": paper.title,
        "date": paper.date,
        "venue": paper.venue,
        "authors": list(paper.authors),
        "url": paper.url,
        "abstract": paper.abstract,
        "aliases": list(paper.aliases),
        "topics": list(paper.topics),
        "note": paper.note,
        "categories": list(paper.categories),
        "journal_ref": paper.journal_ref,
        "doi": paper.doi,
    }
    keep_empty = ("venue", "aliases", "topics")
    return {k: v for k, v in record.items() if k in keep_empty or v not in ("", [])}


def post_record(post: Post) -> dict[str, Any]:
    """Return a post as the mapping written to posts.yaml (empty optional keys left out)."""
    record: dict[str, Any] = {
        "id": post.id,
        "date": post.date,
        "text": post.text,
        "url": post.url,
        "reply_to": post.reply_to,
        "links": list(post.links),
        "link_title": post.link_title,
        "status_id": post.status_id,
    }
    if post.thread is not None:
        thread: dict[str, Any] = {"id": post.thread.id, "position": post.thread.position}
        if post.thread.total is not None:
            thread["total"] = post.thread.total
        record["thread"] = thread
    if post.quoted is not None:
        q = post.quoted
        quoted = {
            "handle": q.handle,
            "name": q.name,
            "date": q.date,
            "text": q.text,
            "note": q.note,
            "url": q.url,
        }
        record["quoted"] = {k: v for k, v in quoted.items() if v}
    return ordered({k: v for k, v in record.items() if v not in ("", [])}, schema.POST_KEYS)


def exclusion_record(exclusion: Exclusion) -> dict[str, Any]:
    """Return an exclusion as the mapping written to exclude.yaml."""
    record = {"id": exclusion.id, "reason": exclusion.reason}
    return {k: v for k, v in record.items() if v}


def ordered(value: Any, order: tuple[str, ...]) -> Any:
    """Return ``value`` with mapping keys in ``order`` (unknown keys after), nested ones too."""
    if isinstance(value, dict):
        known = [k for k in order if k in value]
        keys = known + [k for k in value if k not in order]
        return {k: ordered(value[k], _NESTED_ORDERS.get(k, ())) for k in keys}
    if isinstance(value, list):
        return [ordered(v, order) for v in value]
    return value


def paper_sort_key(record: Any) -> tuple[str, str]:
    """Sort key of a paper mapping; sorted with reverse=True: newest first, then by id."""
    if not isinstance(record, dict):
        return ("", "")
    return (str(record.get("date", "")), str(record.get("id", "")))


def post_sort_key(record: Any) -> tuple[str, int]:
    """Sort key of a post mapping; sorted with reverse=True: newest day first, then sequence."""
    match = schema.POST_ID_RE.match(str(record.get("id", ""))) if isinstance(record, dict) else None
    if match is None:
        return ("", 0)
    return (match.group(1), -int(match.group(2)))


# --- YAML text ---------------------------------------------------------------------------------


class _Dumper(yaml.SafeDumper):
    """Block-style YAML with indented lists and long strings folded for reading."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        super().increase_indent(flow, False)


def _represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.Node:
    if _DATE_LIKE_RE.match(value):  # "2019-09" loads as a string, but quoting says "not a date"
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style="'")
    if len(value) > _FOLD_OVER and "\n" not in value and value == value.strip():
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=">")
    if "\n" in value:
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style="|")
    return dumper.represent_scalar("tag:yaml.org,2002:str", value)


_Dumper.add_representer(str, _represent_str)


def dump_yaml(data: Any) -> str:
    """Return ``data`` as readable block YAML; strings YAML would misread are quoted."""
    return yaml.dump(
        data,
        Dumper=_Dumper,
        sort_keys=False,
        allow_unicode=True,
        default_flow_style=False,
        width=_WIDTH,
    )


def render_file(kind: str, data: Any, *, name: str) -> str:
    """Return the full text of one knowledge file: header comment naming whose it is, the YAML."""
    return _HEADER.format(kind=kind, name=name) + dump_yaml(data)


def render_knowledge(kb: KnowledgeBase, *, with_exclude: bool = False) -> dict[str, str]:
    """Return the text of each knowledge file of ``kb`` by file name.

    ``exclude.yaml`` is rendered when ``kb`` excludes something or ``with_exclude`` is set (the
    file exists and must be kept, even empty).
    """
    name = kb.profile.name
    papers = sorted((paper_record(p) for p in kb.papers), key=paper_sort_key, reverse=True)
    posts = sorted((post_record(p) for p in kb.posts), key=post_sort_key, reverse=True)
    texts = {
        schema.PROFILE_FILE: render_file("Profile", profile_record(kb.profile), name=name),
        schema.PAPERS_FILE: render_file("Papers", {"papers": papers}, name=name),
        schema.POSTS_FILE: render_file("Posts", {"posts": posts}, name=name),
    }
    if kb.excluded or with_exclude:
        excluded = [exclusion_record(e) for e in sorted(kb.excluded, key=lambda e: e.id)]
        texts[schema.EXCLUDE_FILE] = render_file("Exclusions", {"exclude": excluded}, name=name)
    return texts


# --- saving ------------------------------------------------------------------------------------


def write_atomic(path: Path, text: str) -> bool:
    """Replace ``path`` with ``text`` via a temporary file and a rename; False if unchanged."""
    if not _differs(path, text):
        return False
    # The temporary file starts with "." so the knowledge watcher ignores it.
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        if path.exists():
            os.chmod(tmp, path.stat().st_mode & 0o777)
        else:
            os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    log.info("wrote %s", path)
    return True


def save_knowledge(
    directory: Path,
    kb: KnowledgeBase,
    *,
    display_dir: str | None = None,
    dry_run: bool = False,
    with_exclude: bool = False,
) -> list[str]:
    """Validate ``kb`` as files, then write those whose text changes; return their names.

    Nothing is written unless every rendered file loads back without a problem into exactly
    ``kb`` (``KnowledgeError`` otherwise, paths shown under ``display_dir``). With ``dry_run``,
    return the names that would be written and write nothing. ``exclude.yaml`` is written when
    ``kb`` excludes something, when it exists already, or when ``with_exclude`` asks for it.
    """
    from bot.core.knowledge import load_knowledge

    with_exclude = with_exclude or (directory / schema.EXCLUDE_FILE).exists()
    texts = render_knowledge(kb, with_exclude=with_exclude)
    shown = display_dir if display_dir is not None else str(directory)
    with tempfile.TemporaryDirectory(prefix="knowledge-check-") as tmp:
        for name, text in texts.items():
            (Path(tmp) / name).write_text(text, encoding="utf-8")
        loaded = load_knowledge(Path(tmp), display_dir=shown)
    if not _same_records(loaded, kb):
        # A bug of ours, not bad input: never write what would not read back the same.
        raise BotError("internal error: the rendered knowledge does not load back the same")
    if dry_run:
        return [name for name, text in texts.items() if _differs(directory / name, text)]
    return [name for name, text in texts.items() if write_atomic(directory / name, text)]


def _differs(path: Path, text: str) -> bool:
    try:
        return path.read_text(encoding="utf-8") != text
    except FileNotFoundError:
        return True


def _same_records(a: KnowledgeBase, b: KnowledgeBase) -> bool:
    def by_id(records: Iterable[Paper | Post | Exclusion]) -> dict[str, object]:
        return {r.id: r for r in records}

    return (
        a.profile == b.profile
        and by_id(a.papers) == by_id(b.papers)
        and by_id(a.posts) == by_id(b.posts)
        and by_id(a.excluded) == by_id(b.excluded)
    )


def init_knowledge(
    directory: Path, *, name: str, handle: str, url: str | None = None
) -> KnowledgeBase:
    """Create an empty, valid knowledge folder for one researcher; never touch a non-empty one.

    ``handle`` may be given with or without its "@"; ``url`` defaults to the X profile's.
    """
    name = " ".join(name.split())
    handle = "@" + handle.strip().removeprefix("@")
    url = url or f"https://x.com/{handle[1:]}"
    if not name:
        raise BotError("--name must not be empty")
    if not schema.HANDLE_RE.match(handle):
        raise BotError(f"--handle must be an X handle like '@name', got {handle!r}")
    if not is_https_url(url):
        raise BotError(f"--url must be an https:// URL, got {url!r}")
    if directory.exists() and (not directory.is_dir() or any(directory.iterdir())):
        raise BotError(f"{directory} exists and is not empty: init only creates a new folder")
    profile = Profile(name=name, handle=handle, url=url, bio="", location="", joined="", works=())
    kb = KnowledgeBase(profile=profile, papers=(), posts=())
    directory.mkdir(parents=True, exist_ok=True)
    save_knowledge(directory, kb, with_exclude=True)
    return kb
