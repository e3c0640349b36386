"""Import papers from the arXiv API's Atom feed (a saved file, stdin, or an author query).

The feed is parsed with feedparser. Per entry we keep the id (without its version: the entry of
``1910.13461v2`` is paper ``1910.13461``), the first version's date (``<published>``), the title,
the full abstract (arXiv's hard line wraps joined), the authors, the categories (primary first),
the journal reference and the DOI. Author lists longer than 12 are cut to the first 8 and
``et al.``, as the knowledge base does. Ids in ``exclude.yaml`` stay out (``merge_papers``).
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
import urllib.error
import urllib.parse
import urllib.request
import xml.etree.ElementTree as ET
from typing import Any

import feedparser

from bot.core import schema
from bot.core.models import KnowledgeBase, Paper
from bot.errors import BotError, KnowledgeError, Problem
from bot.importers.merge import ARXIV_FIELDS, ImportResult, merge_papers

API_URL = "https://export.arxiv.org/api/query"
DEFAULT_MAX_RESULTS = 100
MAX_RESULTS = 2000  # arXiv's limit for one request
FETCH_TIMEOUT = 60.0  # seconds; the API is slow for large queries
USER_AGENT = "research-qa-bot arXiv importer (+https://info.arxiv.org/help/api/)"
MAX_AUTHORS = 12  # longer author lists are cut ...
KEPT_AUTHORS = 8  # ... to this many, then "et al.", as in the knowledge base's metadata

_ID_RE = re.compile(r"arxiv\.org/abs/(?P<id>[^\s?#]+?)(?:v(?P<version>\d+))?$")
_ERROR_ID = "/api/errors"  # arXiv reports a bad query as an entry whose id points here


def author_query_url(author: str, *, max_results: int = DEFAULT_MAX_RESULTS) -> str:
    """The API query for an author's papers, newest first.

    "Lewis, Mike" (arXiv's listing form) and "Mike Lewis" both become the phrase
    ``au:"Mike Lewis"``.
    """
    name = " ".join(author.split())
    if "," in name:
        last, _, first = name.partition(",")
        name = f"{first.strip()} {last.strip()}".strip()
    if not name or '"' in name:
        raise BotError(f"--author must be a name like 'Lewis, Mike', got {author!r}")
    if not 1 <= max_results <= MAX_RESULTS:
        raise BotError(f"--max must be in 1..{MAX_RESULTS}, got {max_results}")
    query = {
        "search_query": f'au:"{name}"',
        "start": "0",
        "max_results": str(max_results),
        "sortBy": "submittedDate",
        "sortOrder": "descending",
    }
    return f"{API_URL}?{urllib.parse.urlencode(query)}"


def fetch_feed(url: str, *, timeout: float = FETCH_TIMEOUT) -> bytes:
    """Download one API response; a network failure is a ``BotError`` saying what failed."""
    request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            data: bytes = response.read()
    except urllib.error.HTTPError as exc:
        raise BotError(f"arXiv answered {exc.code} {exc.reason} for {url}") from exc
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise BotError(f"could not reach arXiv ({reason}); nothing was changed") from exc
    if data.strip().startswith(b"Rate exceeded"):  # arXiv's throttling answer: 200, plain text
        raise BotError("arXiv is rate-limiting requests; wait a minute and try again")
    return data


def parse_feed(data: bytes, *, source: str) -> tuple[list[Paper], list[str]]:
    """Parse an arXiv API Atom feed into papers and the entries skipped (with why).

    Raises ``KnowledgeError`` naming ``source`` and the line (malformed XML) or the entry (a
    missing or bad field) of every problem; nothing is returned half-parsed.
    """
    _check_well_formed(data, source)
    feed = feedparser.parse(data)
    if feed.get("version", "") != "atom10":
        raise KnowledgeError([Problem(source, None, None, "not an Atom feed from the arXiv API")])
    problems: list[Problem] = []
    papers: list[Paper] = []
    skipped: list[str] = []
    for number, entry in enumerate(feed.entries, start=1):
        where = f"entry {number}"
        raw_id = str(entry.get("id", ""))
        if _ERROR_ID in raw_id:
            message = " ".join(str(entry.get("summary", "")).split()) or "an error"
            problems.append(Problem(source, None, None, f"arXiv reported an error: {message}"))
            continue
        match = _ID_RE.search(raw_id)
        if match is None:
            problems.append(Problem(source, None, None, f"{where}: no arXiv id in {raw_id!r}"))
            continue
        paper_id = match.group("id")
        where = f"{where} ({paper_id})"
        if not schema.ARXIV_ID_RE.match(paper_id):
            skipped.append(f"paper {paper_id}: old-style arXiv ids are not supported")
            continue
        paper = _paper(entry, paper_id, where=where, source=source, problems=problems)
        if paper is not None:
            papers.append(paper)
    if problems:
        raise KnowledgeError(problems)
    return papers, skipped


def import_feed(kb: KnowledgeBase, data: bytes, *, source: str) -> ImportResult:
    """Parse a feed and merge its papers into ``kb`` (nothing is written here)."""
    papers, skipped = parse_feed(data, source=source)
    result = merge_papers(kb, papers, fields=ARXIV_FIELDS, source=f"arXiv feed {source}")
    result.report.read += len(skipped)
    result.report.skipped[:0] = skipped
    return result


def _paper(
    entry: Any, paper_id: str, *, where: str, source: str, problems: list[Problem]
) -> Paper | None:
    def missing(what: str) -> None:
        problems.append(Problem(source, None, None, f"{where}: no {what}"))

    title = " ".join(str(entry.get("title", "")).split())
    abstract = " ".join(str(entry.get("summary", "")).split())
    authors = [" ".join(str(a.get("name", "")).split()) for a in entry.get("authors", ())]
    authors = [a for a in authors if a]
    published = entry.get("published_parsed")
    before = len(problems)
    if not title:
        missing("<title>")
    if not abstract:
        missing("<summary> (abstract)")
    if not authors:
        missing("<author>")
    if published is None:
        missing("<published> date")
    if len(problems) > before:
        return None
    date = dt.datetime.fromtimestamp(calendar.timegm(published), tz=dt.UTC).date().isoformat()
    if len(authors) > MAX_AUTHORS:
        authors = [*authors[:KEPT_AUTHORS], "et al."]
    return Paper(
        id=paper_id,
        title=title,
        date=date,
        venue="",
        authors=tuple(authors),
        url=schema.ARXIV_URL_PREFIX + paper_id,
        abstract=abstract,
        categories=_categories(entry),
        journal_ref=" ".join(str(entry.get("arxiv_journal_ref", "")).split()),
        doi=_doi(str(entry.get("arxiv_doi", ""))),
    )


def _categories(entry: Any) -> tuple[str, ...]:
    """arXiv categories, primary first; ACM and MSC classes ("I.2.7", "68T50") are dropped."""
    primary = (entry.get("arxiv_primary_category") or {}).get("term", "")
    terms = [primary, *(tag.get("term", "") for tag in entry.get("tags", ()))]
    return tuple(dict.fromkeys(t for t in terms if t and schema.CATEGORY_RE.match(t)))


def _doi(text: str) -> str:
    """The first DOI of arXiv's DOI field (it may list several, separated by spaces)."""
    return next((d for d in text.split() if schema.DOI_RE.match(d)), "")


def _check_well_formed(data: bytes, source: str) -> None:
    """Raise ``KnowledgeError`` at the line and column where ``data`` stops being XML.

    feedparser recovers from broken XML silently; the standard library's parser says where.
    It resolves no external entity, and its expat guards against entity expansion attacks.
    """
    try:
        ET.fromstring(data)
    except ET.ParseError as exc:
        line, col = exc.position
        message = str(exc).split(":", 1)[0]
        raise KnowledgeError(
            [Problem(source, line, col + 1, f"not well-formed XML: {message}")]
        ) from None
