"""Pure parsers of the raw documents the knowledge base is built from (no file I/O here).

- the X profile capture (``x_profile.txt``): the profile and his posts;
- the arXiv author listing (``arxiv_listing.txt``): titles and truncated abstracts, in order;
- ``papers_meta.tsv``: id, date, venue, authors and status per listing position;
- ``abstracts.tsv``: the full abstract per listing position.

Every parser takes the document's text plus the name to show in errors, and raises
``KnowledgeError`` listing every problem as ``name:line: what is wrong``.
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from bot.core.models import Paper, Post, Profile, ProfileCounts, QuotedPost, Thread
from bot.core.schema import ARXIV_ID_RE, ARXIV_URL_PREFIX, DAY_RE, MONTH_RE
from bot.errors import KnowledgeError, Problem

_T = TypeVar("_T")

# --- X profile capture -------------------------------------------------------------------------

_POST_START = "• user avatar"
_AVATAR = "user avatar"
_IMAGE = "Image"
_CHROME_END = "Advertisement"
_POST_DATE_FORMAT = "%b %d, %Y"  # "Nov 22, 2022"
_VIEWS_RE = re.compile(r"^\d[\d,.]*[KMB]?$")  # "63K": a view count, page chrome
_SITE_RE = re.compile(r"^(?:[a-z0-9-]+\.)+[a-z]{2,}$")  # "ai.meta.com": a link card's site line
_JOINED_RE = re.compile(r"^Joined (\w+ \d{4})$")
_REPLY_RE = re.compile(r"^Replying to (@\w+)")
_GONE_RE = re.compile(r"^This Post is from an account that no longer exists\b")
_GONE_NOTE = "the quoted post is from an account that no longer exists; its text is not available"
# "1/5", "(1/6)" or "1/" (no total) at the very end of the text marks a thread position.
THREAD_MARKER_RE = re.compile(r"\s*(?:\((\d+)/(\d+)\)|(\d+)/(\d*))$")
# A link as X displays it: optional scheme, a domain, then a path (often cut short with "…").
_LINK_RE = re.compile(r"(?:https?://)?(?:[A-Za-z0-9-]+\.)+[A-Za-z]{2,}/\S*")
_BIO_WORKS_RE = re.compile(r"things like (.+?)\.?$")


@dataclass(frozen=True, slots=True)
class _Line:
    number: int  # 1-based line number in the capture
    text: str  # stripped


@dataclass(slots=True)
class _RawPost:
    first_line: int
    date: str
    text: str
    reply_to: str
    position: int | None
    total: int | None
    quoted: QuotedPost | None
    links: tuple[str, ...]
    link_title: str


def parse_profile_capture(text: str, *, source: str) -> tuple[Profile, list[Post]]:
    """Parse the X profile capture into the profile and his posts (ids derived, chrome dropped)."""
    lines = [_Line(n, raw.strip()) for n, raw in enumerate(text.splitlines(), start=1)]
    problems: list[Problem] = []
    profile = _parse_profile_header(lines, source=source, problems=problems)
    raw_posts = []
    for block in _post_blocks(lines):
        post = _collect(problems, lambda b=block: _parse_post(b, source=source))
        if post is not None:
            raw_posts.append(post)
    if problems or profile is None:
        raise KnowledgeError(problems)
    return profile, _number_posts(raw_posts, url=profile.url)


def _collect(problems: list[Problem], parse: Callable[[], _T]) -> _T | None:
    try:
        return parse()
    except KnowledgeError as exc:
        problems.extend(exc.problems)
        return None


def _parse_profile_header(
    lines: list[_Line], *, source: str, problems: list[Problem]
) -> Profile | None:
    start = next((i for i, ln in enumerate(lines) if ln.text == _AVATAR), None)
    if start is None or start + 2 >= len(lines):
        problems.append(Problem(source, None, None, "no profile header ('user avatar') found"))
        return None
    name, handle = lines[start + 1], lines[start + 2]
    if not handle.text.startswith("@"):
        problems.append(
            Problem(source, handle.number, None, f"expected the handle, got {handle.text!r}")
        )
        return None
    joined_at, joined_match = next(
        (
            (i, m)
            for i in range(start + 3, len(lines))
            if (m := _JOINED_RE.match(lines[i].text)) is not None
        ),
        (None, None),
    )
    if joined_at is None or joined_match is None:
        problems.append(
            Problem(source, handle.number, None, "no 'Joined <Month> <Year>' line after handle")
        )
        return None
    between = [ln.text for ln in lines[start + 3 : joined_at] if ln.text]
    if not between:
        problems.append(Problem(source, handle.number + 1, None, "no bio after the handle"))
        return None
    # The capture shows the bio, then the location when one is set.
    bio = between[0]
    location = " ".join(between[1:])
    joined_text = joined_match.group(1)
    try:
        joined = dt.datetime.strptime(joined_text, "%B %Y").strftime("%Y-%m")
    except ValueError:
        problems.append(
            Problem(source, lines[joined_at].number, None, f"bad join date {joined_text!r}")
        )
        return None
    works_match = _BIO_WORKS_RE.search(bio)
    # "things like the Cicero Diplomacy bot, BART, ... & Deal Or No Deal." -> the named works.
    works = (
        tuple(
            w.strip().removeprefix("the ")
            for w in re.split(r",\s*|\s+&\s+", works_match.group(1))
            if w.strip()
        )
        if works_match
        else ()
    )
    return Profile(
        name=name.text,
        handle=handle.text,
        url=f"https://x.com/{handle.text.removeprefix('@')}",
        bio=bio,
        location=location,
        joined=joined,
        works=works,
        counts=_parse_counts(_header_lines(lines, start)),
    )


_POST_COUNT_RE = re.compile(r"^([\d,]+) posts?$")
_NUMBER_RE = re.compile(r"^[\d,]+$")
_COPYRIGHT_RE = re.compile(r"© (\d{4}) X Corp")


def _parse_counts(header: list[_Line]) -> ProfileCounts | None:
    """The counts the page showed ("277 posts", "252" / "Following", "8,406" / "Followers"),
    dated by the page's copyright year: the capture carries no other date, so without that
    year the counts are left out rather than given an invented date."""
    captured = next((m.group(1) for ln in header if (m := _COPYRIGHT_RE.search(ln.text))), None)
    texts = [ln.text for ln in header if ln.text]
    posts = next((_number(m.group(1)) for t in texts if (m := _POST_COUNT_RE.match(t))), None)
    labelled = {
        label.lower(): _number(value)
        for value, label in itertools.pairwise(texts)
        if _NUMBER_RE.match(value) and label in ("Following", "Followers")
    }
    if captured is None:
        return None
    return ProfileCounts(
        captured=captured,
        posts=posts,
        following=labelled.get("following"),
        followers=labelled.get("followers"),
    )


def _header_lines(lines: list[_Line], start: int) -> list[_Line]:
    """The page's lines before its first post (the profile header and the page chrome)."""
    end = next(
        (i for i in range(start + 1, len(lines)) if lines[i].text == _POST_START), len(lines)
    )
    return lines[:end]


def _number(text: str) -> int:
    return int(text.replace(",", ""))


def _post_blocks(lines: list[_Line]) -> list[list[_Line]]:
    blocks: list[list[_Line]] = []
    current: list[_Line] | None = None
    for line in lines:
        if line.text == _POST_START:
            current = [line]
            blocks.append(current)
        elif line.text == _CHROME_END:
            current = None  # page chrome after the last post
        elif current is not None and line.text:
            current.append(line)
    return blocks


def _parse_date(line: _Line | None, *, source: str, after: _Line, what: str) -> str:
    if line is None:
        raise KnowledgeError(
            [Problem(source, after.number, None, f"{what}: missing date after the handle")]
        )
    try:
        return dt.datetime.strptime(line.text, _POST_DATE_FORMAT).date().isoformat()
    except ValueError:
        message = f"{what}: expected a date like 'Nov 22, 2022' after the handle, got {line.text!r}"
        raise KnowledgeError([Problem(source, line.number, None, message)]) from None


def _is_trailer(line: _Line) -> bool:
    """Return True for a line that ends a post's text (image, views, quote, link card)."""
    return (
        line.text in (_IMAGE, _AVATAR)
        or bool(_VIEWS_RE.match(line.text))
        or bool(_GONE_RE.match(line.text))
        or bool(_SITE_RE.match(line.text))
    )


def _parse_post(block: list[_Line], *, source: str) -> _RawPost:
    start = block[0]
    what = f"post at line {start.number}"
    if len(block) < 3 or not block[2].text.startswith("@"):
        raise KnowledgeError(
            [Problem(source, start.number, None, f"{what}: expected display name, then handle")]
        )
    handle = block[2]
    date = _parse_date(block[3] if len(block) > 3 else None, source=source, after=handle, what=what)
    i = 4
    reply_to = ""
    if i < len(block) and (m := _REPLY_RE.match(block[i].text)):
        reply_to = m.group(1)
        i += 1
    text_lines: list[str] = []
    while i < len(block) and not _is_trailer(block[i]):
        text_lines.append(block[i].text)
        i += 1
    if not text_lines:
        raise KnowledgeError([Problem(source, start.number, None, f"{what}: no text")])
    post_text = "\n".join(text_lines)
    position = total = None
    if m := THREAD_MARKER_RE.search(post_text):
        position = int(m.group(1) or m.group(3))
        total_text = m.group(2) or m.group(4)
        total = int(total_text) if total_text else None
        post_text = post_text[: m.start()].rstrip()
    links = [_clean_link(found) for found in _LINK_RE.findall(post_text)]
    quoted: QuotedPost | None = None
    link_title = ""
    while i < len(block):
        line = block[i]
        if line.text == _IMAGE or _VIEWS_RE.match(line.text):
            i += 1  # images and view counts carry no text
        elif _GONE_RE.match(line.text):
            quoted = QuotedPost(handle="", name="", date="", text="", note=_GONE_NOTE)
            i += 1
        elif line.text == _AVATAR:
            quoted, i = _parse_quote(block, i, source=source, what=what)
        elif _SITE_RE.match(line.text):
            # A link card: site, title, then (optionally) the page's summary, which is not his.
            links.append(line.text)
            if i + 1 < len(block) and not _is_trailer(block[i + 1]):
                link_title = block[i + 1].text
                i += 1
            if i + 1 < len(block) and not _is_trailer(block[i + 1]):
                i += 1
            i += 1
        else:
            raise KnowledgeError(
                [Problem(source, line.number, None, f"{what}: unexpected line {line.text!r}")]
            )
    return _RawPost(
        first_line=start.number,
        date=date,
        text=post_text,
        reply_to=reply_to,
        position=position,
        total=total,
        quoted=quoted,
        links=tuple(links),
        link_title=link_title,
    )


def _parse_quote(block: list[_Line], i: int, *, source: str, what: str) -> tuple[QuotedPost, int]:
    avatar = block[i]
    if i + 2 >= len(block) or not block[i + 2].text.startswith("@"):
        raise KnowledgeError(
            [Problem(source, avatar.number, None, f"{what}: quoted post lacks name and handle")]
        )
    name, handle = block[i + 1], block[i + 2]
    date = _parse_date(
        block[i + 3] if i + 3 < len(block) else None,
        source=source,
        after=handle,
        what=f"{what}: quoted post",
    )
    i += 4
    text_lines: list[str] = []
    while i < len(block) and not _is_trailer(block[i]):
        text_lines.append(block[i].text)
        i += 1
    if not text_lines:
        raise KnowledgeError(
            [Problem(source, avatar.number, None, f"{what}: quoted post has no text")]
        )
    quoted = QuotedPost(handle=handle.text, name=name.text, date=date, text="\n".join(text_lines))
    return quoted, i


def _clean_link(link: str) -> str:
    return link.rstrip(".,;:!?)")


def _number_posts(raw_posts: list[_RawPost], *, url: str) -> list[Post]:
    """Give each post its id ``<date>-<n>``: thread posts by position first, then capture order."""
    by_date: dict[str, list[tuple[int, _RawPost]]] = {}
    for order, raw in enumerate(raw_posts):
        by_date.setdefault(raw.date, []).append((order, raw))
    posts: list[Post] = []
    for date, group in by_date.items():
        group.sort(key=lambda item: (item[1].position is None, item[1].position or 0, item[0]))
        thread_keys = sorted(
            {raw.total or 0 for _, raw in group if raw.position is not None}
        )  # one thread per distinct total on a day
        for seq, (_, raw) in enumerate(group, start=1):
            thread = None
            if raw.position is not None:
                suffix = (
                    "" if len(thread_keys) == 1 else f"-{thread_keys.index(raw.total or 0) + 1}"
                )
                thread = Thread(id=f"{date}-thread{suffix}", position=raw.position, total=raw.total)
            posts.append(
                Post(
                    id=f"{date}-{seq}",
                    date=date,
                    text=raw.text,
                    url=url,
                    reply_to=raw.reply_to,
                    thread=thread,
                    quoted=raw.quoted,
                    links=raw.links,
                    link_title=raw.link_title,
                )
            )
    return posts


# --- arXiv listing and the two TSVs ------------------------------------------------------------

_LISTING_HEADER_LINES = 6
_LISTING_COUNT_RE = re.compile(r"^(\d+) papers on arXiv$")
_SNIPPET_END = "..."
META_COLUMNS = ("index", "title", "arxiv_id", "date", "venue", "authors", "status")
ABSTRACT_COLUMNS = ("index", "arxiv_id", "abstract", "source", "status")
DIFFERENT_AUTHOR = "different-author"


@dataclass(frozen=True, slots=True)
class ListingEntry:
    """One paper of the arXiv listing: its 1-based position, title and truncated abstract."""

    index: int
    title: str
    snippet: str  # the abstract cut at ~200 characters, without the trailing "..."
    line: int


@dataclass(frozen=True, slots=True)
class MetaRow:
    """One row of papers_meta.tsv."""

    index: int
    title: str
    arxiv_id: str
    date: str
    venue: str
    authors: tuple[str, ...]
    status: str
    line: int


@dataclass(frozen=True, slots=True)
class AbstractRow:
    """One row of abstracts.tsv."""

    index: int
    arxiv_id: str
    abstract: str
    line: int


def parse_arxiv_listing(text: str, *, source: str) -> list[ListingEntry]:
    """Parse the listing: 6 header lines, then a title line and an abstract line per paper."""
    lines = text.splitlines()
    problems: list[Problem] = []
    claimed = None
    if len(lines) >= 2 and (m := _LISTING_COUNT_RE.match(lines[1].strip())):
        claimed = int(m.group(1))
    else:
        problems.append(Problem(source, 2, None, "expected '<n> papers on arXiv'"))
    body = [
        (n, ln.strip())
        for n, ln in enumerate(lines, start=1)
        if n > _LISTING_HEADER_LINES and ln.strip()
    ]
    if len(body) % 2:
        problems.append(
            Problem(source, body[-1][0], None, "a title without its abstract line at the end")
        )
    entries: list[ListingEntry] = []
    for k in range(0, len(body) - 1, 2):
        (title_line, title), (snippet_line, snippet) = body[k], body[k + 1]
        if not snippet.endswith(_SNIPPET_END):
            problems.append(
                Problem(source, snippet_line, None, "expected a truncated abstract ending '...'")
            )
        entries.append(
            ListingEntry(
                index=len(entries) + 1,
                title=title,
                snippet=snippet.removesuffix(_SNIPPET_END).rstrip(),
                line=title_line,
            )
        )
    if claimed is not None and not problems and claimed != len(entries):
        problems.append(
            Problem(source, 2, None, f"header says {claimed} papers, found {len(entries)}")
        )
    if problems:
        raise KnowledgeError(problems)
    return entries


def _tsv_rows(
    text: str, *, source: str, columns: tuple[str, ...], problems: list[Problem]
) -> list[tuple[int, list[str]]]:
    lines = text.splitlines()
    if not lines or tuple(lines[0].split("\t")) != columns:
        header = "\t".join(columns)
        problems.append(Problem(source, 1, None, f"expected the header {header!r}"))
        return []
    rows = []
    for n, line in enumerate(lines[1:], start=2):
        if not line.strip():
            continue
        cells = line.split("\t")
        if len(cells) != len(columns):
            problems.append(
                Problem(source, n, None, f"expected {len(columns)} columns, got {len(cells)}")
            )
            continue
        rows.append((n, [c.strip() for c in cells]))
    return rows


def _index(cell: str, *, source: str, line: int, problems: list[Problem]) -> int | None:
    if cell.isdigit() and int(cell) > 0:
        return int(cell)
    problems.append(Problem(source, line, None, f"index must be a positive integer, got {cell!r}"))
    return None


def parse_papers_meta(text: str, *, source: str) -> list[MetaRow]:
    """Parse papers_meta.tsv, checking ids, dates and authors."""
    problems: list[Problem] = []
    result: list[MetaRow] = []
    for n, cells in _tsv_rows(text, source=source, columns=META_COLUMNS, problems=problems):
        index_cell, title, arxiv_id, date, venue, authors, status = cells
        index = _index(index_cell, source=source, line=n, problems=problems)
        if not ARXIV_ID_RE.match(arxiv_id):
            problems.append(Problem(source, n, None, f"bad arXiv id {arxiv_id!r}"))
        if not (DAY_RE.match(date) or MONTH_RE.match(date)):
            problems.append(
                Problem(source, n, None, f"date must be YYYY-MM-DD or YYYY-MM, got {date!r}")
            )
        names = tuple(a.strip() for a in authors.split(";") if a.strip())
        if not title or not names:
            problems.append(Problem(source, n, None, "title and authors must not be empty"))
        if index is not None:
            result.append(MetaRow(index, title, arxiv_id, date, venue, names, status, n))
    if problems:
        raise KnowledgeError(problems)
    return result


def parse_abstracts(text: str, *, source: str) -> list[AbstractRow]:
    """Parse abstracts.tsv (the full abstract of each of his papers)."""
    problems: list[Problem] = []
    result: list[AbstractRow] = []
    for n, cells in _tsv_rows(text, source=source, columns=ABSTRACT_COLUMNS, problems=problems):
        index = _index(cells[0], source=source, line=n, problems=problems)
        if not cells[2]:
            problems.append(Problem(source, n, None, "empty abstract"))
        if index is not None:
            result.append(AbstractRow(index, cells[1], cells[2], n))
    if problems:
        raise KnowledgeError(problems)
    return result


def _normalize_space(text: str) -> str:
    return " ".join(text.split())


def combine_papers(
    listing: list[ListingEntry],
    meta: list[MetaRow],
    abstracts: list[AbstractRow],
    *,
    meta_source: str,
    abstracts_source: str,
) -> tuple[list[Paper], list[MetaRow]]:
    """Join the three paper sources by listing position; return his papers and the excluded rows.

    A row whose status is ``different-author`` is someone else with his name: it is excluded.
    The listing's truncated abstract must be the start of the full abstract (a cross-check).
    """
    problems: list[Problem] = []
    by_index = {e.index: e for e in listing}
    abstract_by_index = {a.index: a for a in abstracts}
    papers: list[Paper] = []
    excluded: list[MetaRow] = []
    for row in meta:
        entry = by_index.get(row.index)
        if entry is None:
            problems.append(Problem(meta_source, row.line, None, f"no listing paper {row.index}"))
            continue
        if _normalize_space(entry.title) != _normalize_space(row.title):
            problems.append(
                Problem(meta_source, row.line, None, f"title differs from listing: {entry.title!r}")
            )
        if row.status == DIFFERENT_AUTHOR:
            excluded.append(row)
            continue
        found = abstract_by_index.get(row.index)
        if found is None:
            problems.append(
                Problem(abstracts_source, None, None, f"no abstract for paper {row.index}")
            )
            continue
        if found.arxiv_id != row.arxiv_id:
            problems.append(
                Problem(
                    abstracts_source,
                    found.line,
                    None,
                    f"arXiv id {found.arxiv_id!r} differs from papers_meta's {row.arxiv_id!r}",
                )
            )
        if not _normalize_space(found.abstract).startswith(_normalize_space(entry.snippet)):
            problems.append(
                Problem(
                    abstracts_source,
                    found.line,
                    None,
                    f"abstract of paper {row.index} does not start with the listing's text",
                )
            )
        papers.append(
            Paper(
                id=row.arxiv_id,
                title=row.title,
                date=row.date,
                venue=row.venue,
                authors=row.authors,
                url=f"{ARXIV_URL_PREFIX}{row.arxiv_id}",
                abstract=found.abstract,
            )
        )
    listed = {row.index for row in meta}
    for entry in listing:
        if entry.index not in listed:
            problems.append(
                Problem(meta_source, None, None, f"no metadata for listing paper {entry.index}")
            )
    if problems:
        raise KnowledgeError(problems)
    return papers, excluded
