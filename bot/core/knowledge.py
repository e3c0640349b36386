"""Load and validate a knowledge directory into an immutable ``KnowledgeBase``.

``load_knowledge(dir)`` reads ``profile.yaml``, ``papers.yaml`` and ``posts.yaml`` (and any
``papers/*.yaml`` and ``posts/*.yaml``, one record at a time) and the optional ``synonyms.yaml``
and ``exclude.yaml`` with the strict reader (``bot.core.yamlio``), checks every rule of the schema
(``bot.core.schema``), and either returns typed, frozen records or raises ``KnowledgeError``
carrying every problem of every file, each printed as ``path:line:col: what is wrong``.
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from bot.core import schema
from bot.core.models import (
    Exclusion,
    KnowledgeBase,
    Paper,
    Post,
    Profile,
    ProfileCounts,
    QuotedPost,
    Thread,
)
from bot.core.sanitize import quoted as quote
from bot.core.yamlio import (
    Checker,
    FieldLimits,
    Mark,
    MarkedDict,
    MarkedList,
    describe,
    did_you_mean,
    has_whitespace,
    is_https_url,
    read_yaml,
    read_yaml_list,
)
from bot.errors import KnowledgeError, Problem

_R = TypeVar("_R")
_LIMITS = FieldLimits(
    lengths=schema.MAX_LENGTH,
    items=schema.MAX_ITEMS,
    default_length=schema.DEFAULT_MAX_LENGTH,
    default_items=schema.DEFAULT_MAX_ITEMS,
)
_LABEL_ID_LIMIT = 40  # longer ids are certainly wrong (and reported): name the record by index


@dataclass(frozen=True, slots=True)
class KnowledgeSummary:
    """Counts and dates of a loaded knowledge base; ``str()`` is the line ``validate`` prints."""

    papers: int
    posts: int
    profile: int
    topics: int
    newest_paper: str | None
    newest_post: str | None

    def __str__(self) -> str:
        return (
            f"knowledge OK: {self.profile} profile, {self.papers} papers, {self.posts} posts, "
            f"{self.topics} topics; newest paper {self.newest_paper or 'none'}, "
            f"newest post {self.newest_post or 'none'}"
        )


def summarize(kb: KnowledgeBase) -> KnowledgeSummary:
    """Count what ``kb`` holds and find its newest paper and post dates."""
    return KnowledgeSummary(
        papers=len(kb.papers),
        posts=len(kb.posts),
        profile=1,
        topics=len(kb.topics),
        # Sorted newest first once, when the knowledge base was made: no scan here.
        newest_paper=next((p.date for p in kb.papers_newest_first()), None),
        newest_post=next((p.date for p in kb.posts_newest_first()), None),
    )


def load_knowledge(
    directory: Path,
    *,
    display_dir: str | None = None,
    max_bytes: int = schema.MAX_FILE_BYTES,
    max_total_bytes: int = schema.MAX_KNOWLEDGE_BYTES,
) -> KnowledgeBase:
    """Load and validate ``directory``; raise ``KnowledgeError`` listing every problem found.

    Papers come from ``papers.yaml`` and every ``papers/*.yaml`` (in name order), posts likewise;
    ids are unique across all of them. ``display_dir`` is how problems name the directory
    (default: ``str(directory)``, i.e. the path as the user gave it). ``max_bytes`` caps each
    papers or posts file, ``max_total_bytes`` all the files together.
    """
    shown = display_dir if display_dir is not None else str(directory)
    if not directory.is_dir():
        what = "is not a directory" if directory.exists() else "knowledge directory not found"
        raise KnowledgeError([Problem(shown, None, None, what)])
    papers_files = knowledge_files(directory, schema.PAPERS_FILE, schema.PAPERS_DIR)
    posts_files = knowledge_files(directory, schema.POSTS_FILE, schema.POSTS_DIR)
    optional_files = [directory / schema.SYNONYMS_FILE, directory / schema.EXCLUDE_FILE]
    files = [directory / schema.PROFILE_FILE, *papers_files, *posts_files, *optional_files]
    total = sum(_size(path) for path in files)
    if total > max_total_bytes:
        message = f"knowledge files total {total} bytes, limit {max_total_bytes}"
        raise KnowledgeError([Problem(shown, None, None, message)])
    problems: list[Problem] = []
    ids: dict[str, tuple[str, Mark]] = {}  # id -> (file shown, mark) of its first use
    strings = _Strings()

    def display(path: Path) -> str:
        return f"{shown.rstrip('/')}/{path.relative_to(directory).as_posix()}"

    path_shown = display(directory / schema.PROFILE_FILE)
    data, found = read_yaml(
        directory / schema.PROFILE_FILE,
        display_path=path_shown,
        max_bytes=schema.MAX_PROFILE_BYTES,
        inside=directory,
    )
    problems.extend(found)
    check = Checker(path_shown, limits=_LIMITS)
    profile = None
    if data is not None:
        profile = _profile(data, check)
    elif not found:
        check.problem(None, "file is empty: expected the profile's fields")
    problems.extend(check.problems)

    def records(paths: list[Path], key: str, build: Callable[..., _R | None]) -> list[_R]:
        result: list[_R] = []
        for path in paths:
            check = Checker(display(path), limits=_LIMITS)
            result += _records(
                path,
                check,
                key=key,
                build=build,
                ids=ids,
                strings=strings,
                max_bytes=max_bytes,
                inside=directory,
            )
            problems.extend(check.problems)
        return result

    papers = records(papers_files, "papers", _paper)
    posts = records(posts_files, "posts", _post)

    def optional(name: str) -> tuple[Any, Checker] | None:
        path = directory / name
        if not path.exists():  # optional: no file, nothing to read
            return None
        data, found = read_yaml(
            path, display_path=display(path), max_bytes=max_bytes, inside=directory
        )
        problems.extend(found)
        return None if found else (data, Checker(display(path), limits=_LIMITS))

    synonyms: tuple[tuple[str, ...], ...] = ()
    read = optional(schema.SYNONYMS_FILE)
    if read is not None:
        data, check = read
        synonyms = _synonyms(data, check)
        problems.extend(check.problems)

    excluded: list[Exclusion] = []
    read = optional(schema.EXCLUDE_FILE)
    if read is not None:
        data, check = read
        excluded = _exclusions(data, check, ids=ids)
        problems.extend(check.problems)

    if problems or profile is None:
        # File by file in reading order, then top to bottom, so editors can walk them.
        order = {display(path): n for n, path in enumerate(files)}
        problems.sort(key=lambda p: (order.get(p.path, -1), p.line or 0, p.col or 0))
        raise KnowledgeError(problems)
    return KnowledgeBase(
        profile=profile,
        papers=tuple(papers),
        posts=tuple(posts),
        synonyms=synonyms,
        excluded=tuple(excluded),
    )


def knowledge_files(directory: Path, name: str, folder: str) -> list[Path]:
    """The files one kind of record is read from: ``name``, then ``folder/*.yaml`` by name.

    When there are none, ``name`` alone, so that its absence is what gets reported.
    """
    found = [directory / name] if (directory / name).exists() else []
    if (directory / folder).is_dir():
        more = (directory / folder).glob("*.yaml")
        found += sorted(p for p in more if not p.name.startswith(".") and p.is_file())
    return found or [directory / name]


def _size(path: Path) -> int:
    """The file's size; 0 when it cannot be read (reading it will report why)."""
    try:
        return path.stat().st_size if path.is_file() else 0
    except OSError:
        return 0


class _Strings(dict[str, str]):
    """One copy of each repeated string (author names, venues): 100k papers share a few."""

    def one(self, value: str) -> str:
        return self.setdefault(value, value)

    def all(self, values: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(self.setdefault(v, v) for v in values)


def _records(
    path: Path,
    check: Checker,
    *,
    key: str,
    build: Callable[[MarkedDict, Checker, int, _Strings], _R | None],
    ids: dict[str, tuple[str, Mark]],
    strings: _Strings,
    max_bytes: int,
    inside: Path,
) -> list[_R]:
    """Read one file of records, checking each as it is read (its marked data is then dropped).

    ``inside`` is the knowledge folder: a file resolving outside it is refused unread."""
    result: list[_R] = []

    indexes = itertools.count()

    def on_item(value: Any, mark: Mark) -> None:
        index = next(indexes)
        record = check.mapping(value, mark, where=f"{key}[{index}]")
        if record is None:
            return
        item = build(record, check, index, strings)
        record_id = record.get("id")
        if isinstance(record_id, str) and record_id:
            first = ids.get(record_id)
            if first is not None:
                where, at = first
                check.problem(
                    record.value_marks["id"],
                    f"duplicate id {quote(record_id)} (first used at {where}:{at.line}:{at.col})",
                )
                item = None
            else:
                ids[record_id] = (check.path, record.value_marks["id"])
        if item is not None:
            result.append(item)

    data, found = read_yaml_list(
        path, key=key, on_item=on_item, display_path=check.path, max_bytes=max_bytes, inside=inside
    )
    check.problems.extend(found)
    if data is None:
        if not found:
            check.problem(None, f"file is empty: expected a top-level '{key}' list")
        return result
    top = check.mapping(data, Mark(1, 1), where="the file")
    if top is None:
        return result
    check.keys(top, allowed=(key,), required=(key,))
    if key in top:
        check.sequence(top[key], top.value_marks[key], where=key)
    return result


# --- field checks shared by the record kinds ---------------------------------------------------


def _record_label(kind: str, raw_id: Any, index: int) -> str:
    """How messages name a record: by its id, or by position when the id is missing or absurd."""
    if isinstance(raw_id, str) and raw_id and len(raw_id) <= _LABEL_ID_LIMIT:
        return f"{kind} {raw_id}"
    return f"{kind}s[{index}]"


def _date(
    m: MarkedDict, key: str, check: Checker, *, where: str, month_ok: bool, required: bool = True
) -> str | None:
    value = check.string(m, key, where=where, required=required)
    if value is None:
        return None
    if schema.DAY_RE.match(value) and _is_day(value):
        return value
    if month_ok and schema.MONTH_RE.match(value) and 1 <= int(value[5:]) <= 12:
        return value
    wanted = "YYYY-MM-DD or YYYY-MM" if month_ok else "YYYY-MM-DD"
    check.problem(m.value_marks[key], f"{where}: {key} must be {wanted}, got {quote(value)}")
    return None


def _is_day(value: str) -> bool:
    """Whether a YYYY-MM-DD string is a real calendar day (strptime is 10x slower)."""
    try:
        dt.date(int(value[:4]), int(value[5:7]), int(value[8:]))
    except ValueError:
        return False
    return True


def _month(
    m: MarkedDict, key: str, check: Checker, *, where: str, allow_empty: bool = False
) -> str | None:
    value = check.string(m, key, where=where, allow_empty=allow_empty)
    if value is None:
        return None
    if (allow_empty and value == "") or (
        schema.MONTH_RE.match(value) and 1 <= int(value[5:]) <= 12
    ):
        return value
    wanted = "YYYY-MM or ''" if allow_empty else "YYYY-MM"
    check.problem(m.value_marks[key], f"{where}: {key} must be {wanted}, got {quote(value)}")
    return None


def _handle(
    m: MarkedDict, key: str, check: Checker, *, where: str, required: bool = True
) -> str | None:
    value = check.string(m, key, where=where, required=required)
    if value is not None and not schema.HANDLE_RE.match(value):
        check.problem(
            m.value_marks[key],
            f"{where}: {key} must be an X handle like '@name', got {quote(value)}",
        )
        return None
    return value


def _optional_text(m: MarkedDict, key: str, check: Checker, *, where: str) -> str:
    """Return an optional string: missing or "" means unknown; other types are problems."""
    return check.string(m, key, where=where, required=False, allow_empty=True) or ""


def _strings(
    m: MarkedDict, key: str, check: Checker, *, where: str, required: bool
) -> tuple[str, ...]:
    return tuple(check.string_list(m, key, where=where, required=required) or ())


# --- profile -----------------------------------------------------------------------------------


def _profile(data: Any, check: Checker) -> Profile | None:
    m = check.mapping(data, Mark(1, 1), where="profile")
    if m is None:
        return None
    where = "profile"
    check.keys(m, allowed=schema.PROFILE_KEYS, required=schema.PROFILE_REQUIRED, where=where)
    before = len(check.problems)
    name = check.string(m, "name", where=where)
    handle = _handle(m, "handle", check, where=where)
    url = check.url(m, "url", where=where)
    # A profile scaffolded by `init` knows only the name and handle: the rest may stay empty.
    bio = check.string(m, "bio", where=where, allow_empty=True)
    location = check.string(m, "location", where=where, allow_empty=True)
    joined = _month(m, "joined", check, where=where, allow_empty=True)
    works = _strings(m, "works", check, where=where, required=True)
    counts = _counts(m, check, where=where) if "counts" in m else None
    if (
        len(check.problems) > before
        or name is None
        or handle is None
        or url is None
        or bio is None
        or location is None
        or joined is None
    ):
        return None
    return Profile(
        name=name,
        handle=handle,
        url=url,
        bio=bio,
        location=location,
        joined=joined,
        works=works,
        counts=counts,
    )


def _counts(m: MarkedDict, check: Checker, *, where: str) -> ProfileCounts | None:
    where = f"{where}.counts"
    counts = check.mapping(m["counts"], m.value_marks["counts"], where=where)
    if counts is None:
        return None
    check.keys(counts, allowed=schema.COUNTS_KEYS, required=schema.COUNTS_REQUIRED, where=where)
    captured = check.string(counts, "captured", where=where)
    if captured is not None and not (
        schema.YEAR_RE.match(captured)
        or schema.MONTH_RE.match(captured)
        or schema.DAY_RE.match(captured)
    ):
        check.problem(
            counts.value_marks["captured"],
            f"{where}: captured must be YYYY, YYYY-MM or YYYY-MM-DD, got {quote(captured)}",
        )
        captured = None
    values = {
        key: check.integer(
            counts, key, where=where, required=False, minimum=0, maximum=schema.MAX_COUNT
        )
        for key in ("posts", "following", "followers")
    }
    if captured is None:
        return None
    return ProfileCounts(captured=captured, **values)


# --- synonyms ----------------------------------------------------------------------------------


def _synonyms(data: Any, check: Checker) -> tuple[tuple[str, ...], ...]:
    """The groups of synonyms.yaml: each 2+ distinct terms; a term in two groups is a problem."""
    if data is None:
        check.problem(None, "file is empty: expected a top-level 'synonyms' list")
        return ()
    top = check.mapping(data, Mark(1, 1), where="the file")
    if top is None:
        return ()
    check.keys(top, allowed=("synonyms",), required=("synonyms",))
    groups = (
        check.sequence(top["synonyms"], top.value_marks["synonyms"], where="synonyms")
        if "synonyms" in top
        else None
    )
    if groups is None:
        return ()
    if len(groups) > schema.SYNONYM_GROUPS_MAX:
        check.problem(
            groups.mark, f"synonyms: at most {schema.SYNONYM_GROUPS_MAX} groups, got {len(groups)}"
        )
        return ()
    seen: dict[str, Mark] = {}
    result: list[tuple[str, ...]] = []
    for i, group in enumerate(groups):
        where = f"synonyms[{i}]"
        items = check.sequence(group, groups.item_marks[i], where=where)
        if items is None:
            continue
        terms: list[str] = []
        for j, term in enumerate(items):
            mark = items.item_marks[j]
            if not isinstance(term, str) or not term.strip():
                shown = describe(term, items.raw_items[j])
                check.problem(mark, f"{where}[{j}] must be a non-empty string, got {shown}")
                continue
            if len(term) > schema.SYNONYM_TERM_MAX_CHARS:
                check.problem(
                    mark, f"{where}[{j}] is longer than {schema.SYNONYM_TERM_MAX_CHARS} characters"
                )
                continue
            key = " ".join(term.casefold().split())
            if key in seen:
                first = seen[key]
                check.problem(
                    mark, f"{where}[{j}]: {quote(term)} is already in a group (line {first.line})"
                )
                continue
            seen[key] = mark
            terms.append(term)
        if len(items) < 2 or len(items) > schema.SYNONYM_GROUP_MAX:
            check.problem(
                items.mark,
                f"{where} must list 2 to {schema.SYNONYM_GROUP_MAX} terms, got {len(items)}",
            )
        elif len(terms) >= 2:
            result.append(tuple(terms))
    return tuple(result)


# --- papers ------------------------------------------------------------------------------------


def _paper(m: MarkedDict, check: Checker, index: int, strings: _Strings) -> Paper | None:
    raw_id = m.get("id")
    where = _record_label("paper", raw_id, index)
    check.keys(m, allowed=schema.PAPER_KEYS, required=schema.PAPER_REQUIRED, where=where)
    before = len(check.problems)
    paper_id = check.string(m, "id", where=where)
    if paper_id is not None and not schema.ARXIV_ID_RE.match(paper_id):
        check.problem(
            m.value_marks["id"],
            f"{where}: id must be an arXiv id like '2305.07185', got {quote(paper_id)}",
        )
        paper_id = None
    title = check.string(m, "title", where=where)
    date = _date(m, "date", check, where=where, month_ok=True)
    venue = _optional_text(m, "venue", check, where=where)
    authors = _strings(m, "authors", check, where=where, required=True)
    if "authors" in m and isinstance(m["authors"], list) and not m["authors"]:
        check.problem(m.value_marks["authors"], f"{where}: authors must not be empty")
    url = check.url(m, "url", where=where)
    if url is not None and paper_id is not None and url != schema.ARXIV_URL_PREFIX + paper_id:
        check.problem(
            m.value_marks["url"],
            f"{where}: url must be {schema.ARXIV_URL_PREFIX + paper_id!r}, got {quote(url)}",
        )
    abstract = check.string(m, "abstract", where=where)
    aliases = _strings(m, "aliases", check, where=where, required=False)
    topics = _topics(m, check, where=where)
    note = _optional_text(m, "note", check, where=where)
    categories = _patterned_strings(
        m, "categories", check, where=where, pattern=schema.CATEGORY_RE, shape="like 'cs.CL'"
    )
    journal_ref = _optional_text(m, "journal_ref", check, where=where)
    doi = _optional_text(m, "doi", check, where=where)
    if doi and not schema.DOI_RE.match(doi):
        check.problem(
            m.value_marks["doi"], f"{where}: doi must look like '10.1234/abc', got {quote(doi)}"
        )
    if (
        len(check.problems) > before
        or paper_id is None
        or title is None
        or date is None
        or url is None
        or abstract is None
    ):
        return None
    return Paper(
        id=paper_id,
        title=title,
        date=strings.one(date),
        venue=strings.one(venue),
        authors=strings.all(authors),
        url=url,
        abstract=abstract,
        aliases=aliases,
        topics=strings.all(topics),
        note=note,
        categories=categories,
        journal_ref=journal_ref,
        doi=doi,
    )


def _topics(m: MarkedDict, check: Checker, *, where: str) -> tuple[str, ...]:
    check.string_list(m, "topics", where=where, required=False)  # reports non-strings
    good = []
    for topic, mark in _string_items(m, "topics"):
        if topic in schema.TOPICS:
            good.append(topic)
            continue
        hint = did_you_mean(topic, schema.TOPICS) or " (see TOPICS in bot/core/schema.py)"
        check.problem(mark, f"{where}: unknown topic {quote(topic)}{hint}")
    return tuple(good)


def _patterned_strings(
    m: MarkedDict, key: str, check: Checker, *, where: str, pattern: re.Pattern[str], shape: str
) -> tuple[str, ...]:
    """An optional list of strings that must each match ``pattern``; bad items are problems."""
    check.string_list(m, key, where=where, required=False)  # reports non-strings
    good = []
    for item, mark in _string_items(m, key):
        if pattern.match(item):
            good.append(item)
        else:
            check.problem(mark, f"{where}: {key} must hold values {shape}, got {quote(item)}")
    return tuple(good)


def _string_items(m: MarkedDict, key: str) -> list[tuple[str, Mark]]:
    """Return the non-empty strings of the list at ``key`` with their marks (others: skipped)."""
    items = m.get(key)
    if not isinstance(items, MarkedList):
        return []
    return [
        (item, items.item_marks[i])
        for i, item in enumerate(items)
        if isinstance(item, str) and item.strip()
    ]


# --- posts -------------------------------------------------------------------------------------


def _post(m: MarkedDict, check: Checker, index: int, strings: _Strings) -> Post | None:
    raw_id = m.get("id")
    where = _record_label("post", raw_id, index)
    check.keys(m, allowed=schema.POST_KEYS, required=schema.POST_REQUIRED, where=where)
    before = len(check.problems)
    post_id = check.string(m, "id", where=where)
    date = _date(m, "date", check, where=where, month_ok=False)
    if post_id is not None:
        match = schema.POST_ID_RE.match(post_id)
        if match is None:
            check.problem(
                m.value_marks["id"],
                f"{where}: id must be '<date>-<n>' like '2022-11-22-1', got {quote(post_id)}",
            )
        elif date is not None and match.group(1) != date:
            check.problem(
                m.value_marks["id"], f"{where}: id must start with the post's date {date!r}"
            )
    text = check.string(m, "text", where=where)
    url = check.url(m, "url", where=where)
    reply_to = _handle(m, "reply_to", check, where=where, required=False) or ""
    thread = _thread(m, check, where=where)
    quoted = _quoted(m, check, where=where)
    links = _links(m, check, where=where)
    link_title = _optional_text(m, "link_title", check, where=where)
    status_id = _optional_text(m, "status_id", check, where=where)
    if status_id and not schema.STATUS_ID_RE.match(status_id):
        check.problem(
            m.value_marks["status_id"],
            f"{where}: status_id must be X's numeric post id, got {quote(status_id)}",
        )
    elif status_id and url is not None and not url.endswith(f"/status/{status_id}"):
        check.problem(
            m.value_marks["url"], f"{where}: url must be the status URL of post {status_id}"
        )
    if (
        len(check.problems) > before
        or post_id is None
        or date is None
        or text is None
        or url is None
    ):
        return None
    return Post(
        id=post_id,
        date=strings.one(date),
        text=text,
        url=strings.one(url),
        reply_to=strings.one(reply_to),
        thread=thread,
        quoted=quoted,
        links=links,
        link_title=link_title,
        status_id=status_id,
    )


def _thread(m: MarkedDict, check: Checker, *, where: str) -> Thread | None:
    if m.get("thread") is None:
        return None
    t = check.mapping(m["thread"], m.value_marks["thread"], where=f"{where}: thread")
    if t is None:
        return None
    label = f"{where}: thread"
    check.keys(t, allowed=schema.THREAD_KEYS, required=schema.THREAD_REQUIRED, where=label)
    thread_id = check.string(t, "id", where=label)
    position = check.integer(t, "position", where=label, minimum=1)
    total = check.integer(t, "total", where=label, required=False, minimum=1)
    if position is not None and total is not None and position > total:
        check.problem(
            t.value_marks["position"], f"{label}: position {position} is past the total {total}"
        )
        return None
    if thread_id is None or position is None:
        return None
    return Thread(id=thread_id, position=position, total=total)


def _quoted(m: MarkedDict, check: Checker, *, where: str) -> QuotedPost | None:
    if m.get("quoted") is None:
        return None
    label = f"{where}: quoted"
    q = check.mapping(m["quoted"], m.value_marks["quoted"], where=label)
    if q is None:
        return None
    # An unavailable quoted post has only a note saying why; otherwise handle and text are needed.
    required = () if q.get("note") else ("handle", "text")
    check.keys(q, allowed=schema.QUOTED_KEYS, required=required, where=label)
    handle = _handle(q, "handle", check, where=label, required=False) or ""
    name = _optional_text(q, "name", check, where=label)
    date = _date(q, "date", check, where=label, month_ok=False, required=False) or ""
    text = _optional_text(q, "text", check, where=label)
    note = _optional_text(q, "note", check, where=label)
    url = check.url(q, "url", where=label, required=False) or ""
    if not note and not (handle and text):
        return None  # the missing keys were reported above
    return QuotedPost(handle=handle, name=name, date=date, text=text, note=note, url=url)


def _links(m: MarkedDict, check: Checker, *, where: str) -> tuple[str, ...]:
    """Links as displayed (often without scheme, maybe cut with "…") or as expanded by X (http or
    https, as the archive gives them): never shown as links, so http is no risk here."""
    check.string_list(m, "links", where=where, required=False)  # reports non-strings
    good = []
    for link, mark in _string_items(m, "links"):
        web = is_https_url(link) or is_https_url(link.replace("http://", "https://", 1))
        if has_whitespace(link) or ("://" in link and not web):
            check.problem(
                mark,
                f"{where}: a link must be as displayed (no spaces) or an http(s):// URL, "
                f"got {quote(link)}",
            )
            continue
        good.append(link)
    return tuple(good)


# --- exclude.yaml ------------------------------------------------------------------------------


def _exclusions(data: Any, check: Checker, *, ids: dict[str, tuple[str, Mark]]) -> list[Exclusion]:
    """The ids importers must never add; one that is also a paper or a post is a problem."""
    if data is None:
        return []  # an empty file excludes nothing
    top = check.mapping(data, Mark(1, 1), where="the file")
    if top is None:
        return []
    check.keys(top, allowed=("exclude",), required=("exclude",))
    result: list[Exclusion] = []
    seen: set[str] = set()
    for i, m in enumerate(check.list_of_mappings(top, "exclude") or ()):
        where = f"exclude[{i}]"
        check.keys(m, allowed=schema.EXCLUDE_KEYS, required=("id",), where=where)
        excluded_id = check.string(m, "id", where=where)
        reason = _optional_text(m, "reason", check, where=where)
        if excluded_id is None:
            continue
        mark = m.value_marks["id"]
        if not schema.ARXIV_ID_RE.match(excluded_id):
            check.problem(
                mark, f"{where}: id must be an arXiv id like '2305.07185', got {quote(excluded_id)}"
            )
        elif excluded_id in seen:
            check.problem(mark, f"{where}: {quote(excluded_id)} is excluded twice")
        elif excluded_id in ids:
            path, first = ids[excluded_id]
            check.problem(
                mark,
                f"{where}: {quote(excluded_id)} is excluded but is also a record at "
                f"{path}:{first.line}:{first.col}; remove it from one of them",
            )
        else:
            seen.add(excluded_id)
            result.append(Exclusion(id=excluded_id, reason=reason))
    return result


def topic_counts(kb: KnowledgeBase) -> Counter[str]:
    """Count papers per topic (for the README and /about)."""
    return Counter(t for p in kb.papers for t in p.topics)
