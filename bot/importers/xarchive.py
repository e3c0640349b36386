"""Import posts from the ``data/tweets.js`` of X's "download your data" archive.

``tweets.js`` is JavaScript: ``window.YTD.tweets.part0 = [{"tweet": {...}}, ...]`` (big archives
add ``tweets-part1.js`` ...). Each post keeps its real id (``status_id``) and status URL. Its text
is the owner's own words: HTML entities decoded, ``t.co`` links replaced by the URLs they stand
for (kept in ``links`` too), media links and the quoted post's link removed, the leading
``@handles`` of a reply and a trailing thread marker ("2/5") dropped. Reposts ("RT @...") are left
out unless asked for. Threads are rebuilt from ``in_reply_to_status_id`` between the owner's own
posts; a quoted post keeps its author and URL (its text only when it is the owner's, in the
archive). A post already in the knowledge base is found by its id, or, if it was captured without
one, by its date (within a day) and its text (rapidfuzz), and gains its real URL and id.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import html
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rapidfuzz import fuzz, utils

from bot.core import schema
from bot.core.models import KnowledgeBase, Post, QuotedPost, Thread
from bot.core.sources import THREAD_MARKER_RE
from bot.core.text import URL_RE
from bot.errors import KnowledgeError, Problem
from bot.importers.merge import (
    ImportReport,
    ImportResult,
    RecordChange,
    change,
    label,
    merge_fields,
    with_records,
)

STATUS_URL = "https://x.com/{user}/status/{id}"
CREATED_AT_FORMAT = "%a %b %d %H:%M:%S %z %Y"  # "Wed Oct 10 20:19:24 +0000 2018"
MATCH_CUTOFF = 90.0  # rapidfuzz ratio between a captured post's text and the archive's ...
MATCH_MARGIN = 3.0  # ... and a second post this close makes the match ambiguous
MATCH_DAYS = 1  # a capture shows the viewer's local date: allow a day either way
UNAVAILABLE = "the quoted post's text is not in the X archive"
# What the archive gives for a post; a captured post gains what it lacks, its own values win.
POST_FIELDS = ("text", "reply_to", "thread", "links", "status_id")

_ASSIGNMENT_RE = re.compile(r"^\s*window\.YTD\.tweets?\.part\d+\s*=\s*")
_ACCOUNT_RE = re.compile(r"^\s*window\.YTD\.account\.part\d+\s*=\s*")
_STATUS_URL_RE = re.compile(
    r"^https?://(?:www\.|mobile\.)?(?:twitter|x)\.com/(\w+)/status(?:es)?/(\d+)", re.IGNORECASE
)
_LEADING_MENTIONS_RE = re.compile(r"^(?:@\w+\s*)+")
# A thread marker ("1/3", "(2/5)", "1/") ends the text, or stands before the trailing t.co links.
_MARKER_BEFORE_LINKS_RE = re.compile(r"\s+(?:\(\d+/\d+\)|\d+/\d*)(?=(?:\s+https://t\.co/\w+)*\s*$)")


@dataclass(frozen=True, slots=True)
class Tweet:
    """One record of tweets.js, checked and cleaned."""

    id: str
    created: dt.datetime  # UTC
    text: str  # the owner's own words, cleaned (see the module docstring)
    reply_to_id: str  # the post it replies to, "" if none
    reply_to_user: str  # that post's author's handle without "@", "" if none
    links: tuple[str, ...]  # expanded URLs, the quoted post's excluded
    quoted_id: str  # the quoted post's id, "" if none
    quoted_user: str  # its author's handle without "@" ("" if unknown)
    retweet: bool

    @property
    def date(self) -> str:
        return self.created.date().isoformat()


# --- reading the archive ---------------------------------------------------------------------


def archive_files(path: Path) -> tuple[list[Path], Path | None]:
    """The tweets files at ``path`` (an archive folder, its ``data/`` folder, or one ``.js`` file)
    and the ``account.js`` beside them, if any."""
    if path.is_file():
        account = path.parent / "account.js"
        return [path], account if account.is_file() else None
    data = path / "data" if (path / "data").is_dir() else path
    parts = sorted(data.glob("tweets-part*.js"), key=lambda p: _part_number(p.name))
    files = [f for f in [data / "tweets.js", *parts] if f.is_file()]
    account = data / "account.js"
    return files, account if account.is_file() else None


def _part_number(name: str) -> int:
    digits = re.sub(r"\D", "", name)
    return int(digits) if digits else 0


def _json_body(text: str, *, source: str, prefix_re: re.Pattern[str], what: str) -> Any:
    """The JSON after ``window.YTD.<what>.partN =``; errors point at the file's line and column."""
    text = text.removeprefix("\ufeff")
    match = prefix_re.match(text)
    if match is None:
        raise KnowledgeError(
            [Problem(source, 1, 1, f"expected 'window.YTD.{what}.part0 = [' at the start")]
        )
    prefix = match.group(0)
    body = text[len(prefix) :].rstrip().removesuffix(";")
    try:
        return json.loads(body)
    except json.JSONDecodeError as exc:
        line = exc.lineno + prefix.count("\n")
        col = exc.colno + (len(prefix) - prefix.rfind("\n") - 1 if exc.lineno == 1 else 0)
        raise KnowledgeError([Problem(source, line, col, f"invalid JSON: {exc.msg}")]) from None


def read_account(text: str, *, source: str) -> str:
    """The archive owner's username from ``account.js`` ("" when the file does not say)."""
    data = _json_body(text, source=source, prefix_re=_ACCOUNT_RE, what="account")
    if isinstance(data, list) and data and isinstance(data[0], dict):
        account = data[0].get("account")
        if isinstance(account, dict) and isinstance(account.get("username"), str):
            return str(account["username"])
    return ""


def parse_tweets_js(text: str, *, source: str) -> list[Tweet]:
    """Parse one tweets.js file; raise ``KnowledgeError`` naming the line and record of every
    problem (a record is located by its ``id_str``)."""
    data = _json_body(text, source=source, prefix_re=_ASSIGNMENT_RE, what="tweets")
    if not isinstance(data, list):
        raise KnowledgeError([Problem(source, 1, None, "expected a list of posts")])
    problems: list[Problem] = []
    tweets: list[Tweet] = []
    for number, item in enumerate(data, start=1):
        record = item.get("tweet", item) if isinstance(item, dict) else None
        if not isinstance(record, dict):
            problems.append(Problem(source, None, None, f"record {number}: not a post object"))
            continue
        tweet = _tweet(record, number=number, text=text, source=source, problems=problems)
        if tweet is not None:
            tweets.append(tweet)
    if problems:
        raise KnowledgeError(problems)
    return tweets


def _tweet(
    record: dict[str, Any], *, number: int, text: str, source: str, problems: list[Problem]
) -> Tweet | None:
    status_id = record.get("id_str", record.get("id"))
    status_id = str(status_id) if isinstance(status_id, str | int) else ""
    line = _line_of(text, status_id) if status_id else None
    where = f"record {number}" + (f" (id {status_id})" if status_id else "")

    def problem(message: str) -> None:
        problems.append(Problem(source, line, None, f"{where}: {message}"))

    if not schema.STATUS_ID_RE.match(status_id):
        problem("no numeric 'id_str'")
        return None
    full_text = record.get("full_text", record.get("text"))
    if not isinstance(full_text, str):
        problem("no 'full_text'")
        return None
    created_raw = record.get("created_at")
    try:
        created = dt.datetime.strptime(str(created_raw), CREATED_AT_FORMAT).astimezone(dt.UTC)
    except ValueError:
        problem(f"created_at {created_raw!r} is not like 'Wed Oct 10 20:19:24 +0000 2018'")
        return None
    entities = record.get("entities") if isinstance(record.get("entities"), dict) else {}
    quoted_url = _quoted_url(record, entities)
    text_out, links = _clean_text(record, full_text, entities, quoted_url)
    quoted = _STATUS_URL_RE.match(quoted_url) if quoted_url else None
    reply_to_id = record.get("in_reply_to_status_id_str") or ""
    reply_to_user = record.get("in_reply_to_screen_name") or ""
    return Tweet(
        id=status_id,
        created=created,
        text=text_out,
        reply_to_id=str(reply_to_id),
        reply_to_user=str(reply_to_user),
        links=links,
        quoted_id=quoted.group(2) if quoted else str(record.get("quoted_status_id_str") or ""),
        quoted_user=quoted.group(1) if quoted and quoted.group(1).lower() != "i" else "",
        retweet=full_text.startswith("RT @") or "retweeted_status" in record,
    )


def _line_of(text: str, status_id: str) -> int | None:
    """The line of the record's ``"id_str" : "<id>"`` (its own, not a reply's pointer to it)."""
    found = re.search(rf'"id_str"\s*:\s*"{re.escape(status_id)}"', text)
    return text.count("\n", 0, found.start()) + 1 if found else None


def _urls(entities: dict[str, Any]) -> list[dict[str, Any]]:
    urls = entities.get("urls")
    return [u for u in urls if isinstance(u, dict)] if isinstance(urls, list) else []


def _quoted_url(record: dict[str, Any], entities: dict[str, Any]) -> str:
    """The quoted post's URL: the permalink X gives, else a status link ending the text."""
    permalink = record.get("quoted_status_permalink")
    if isinstance(permalink, dict) and isinstance(permalink.get("expanded"), str):
        return str(permalink["expanded"])
    if record.get("quoted_status_id_str"):
        return STATUS_URL.format(user="i", id=record["quoted_status_id_str"])
    full_text = str(record.get("full_text", "")).rstrip()
    for url in reversed(_urls(entities)):
        expanded = str(url.get("expanded_url") or "")
        if _STATUS_URL_RE.match(expanded) and full_text.endswith(str(url.get("url"))):
            return expanded
    return ""


def _clean_text(
    record: dict[str, Any], full_text: str, entities: dict[str, Any], quoted_url: str
) -> tuple[str, tuple[str, ...]]:
    text = _MARKER_BEFORE_LINKS_RE.sub("", html.unescape(full_text), count=1)
    links: list[str] = []
    for url in _urls(entities):
        short, expanded = str(url.get("url") or ""), str(url.get("expanded_url") or "")
        if not short:
            continue
        if expanded and expanded == quoted_url:
            text = text.replace(short, " ")
        else:
            text = text.replace(short, expanded or str(url.get("display_url") or short))
            if expanded and expanded not in links:
                links.append(expanded)
    permalink = record.get("quoted_status_permalink")
    if isinstance(permalink, dict) and permalink.get("url"):
        text = text.replace(str(permalink["url"]), " ")
    extended = record.get("extended_entities")
    media_source = extended if isinstance(extended, dict) else entities
    media = media_source.get("media") if isinstance(media_source.get("media"), list) else []
    for item in media:
        if isinstance(item, dict) and item.get("url"):
            text = text.replace(str(item["url"]), " ")
    start = _display_start(record)
    if start > 0:
        text = _LEADING_MENTIONS_RE.sub("", text.lstrip(), count=1)
    return " ".join(text.split()), tuple(links)


def _display_start(record: dict[str, Any]) -> int:
    span = record.get("display_text_range")
    if isinstance(span, list) and span:
        try:
            return int(span[0])
        except (TypeError, ValueError):
            return 0
    return 0


# --- merging ---------------------------------------------------------------------------------


def import_tweets(
    kb: KnowledgeBase, tweets: list[Tweet], *, source: str, include_retweets: bool = False
) -> ImportResult:
    """Merge the owner's posts of ``tweets`` into ``kb`` (nothing is written here)."""
    report = ImportReport(source=f"X archive {source}", kind="post", read=len(tweets))
    owner = kb.profile.handle.lstrip("@")
    by_id: dict[str, Tweet] = {}
    for tweet in sorted(tweets, key=lambda t: (t.created, int(t.id))):
        if tweet.retweet and not include_retweets:
            report.skipped.append(f"post {tweet.id}: a repost ({label(tweet.text)})")
        elif not tweet.text:
            report.skipped.append(f"post {tweet.id}: no text of its own (only media or links)")
        elif tweet.id not in by_id:
            by_id[tweet.id] = tweet
    posts = {p.id: p for p in kb.posts}
    matched, ambiguous = _match_existing(kb, list(by_id.values()), report)
    by_id = {i: t for i, t in by_id.items() if i not in ambiguous}
    ids = _new_ids(by_id.values(), matched, posts)
    threads = _threads(by_id, owner, matched, posts)
    for tweet in by_id.values():
        fresh = _post(tweet, post_id=ids[tweet.id], owner=owner, kb=kb, by_id=by_id)
        fresh = dataclasses.replace(fresh, thread=threads.get(tweet.id))
        existing_id = matched.get(tweet.id)
        if existing_id is None:
            posts[fresh.id] = fresh
            report.changes.append(RecordChange("post", fresh.id, label(fresh.text), "added"))
            continue
        old = posts[existing_id]
        merged, filled, kept = _merge_post(old, fresh, profile_url=kb.profile.url)
        posts[existing_id] = merged
        # A match by date and text is worth reviewing; one by id is not.
        note = "" if old.status_id else f"post {tweet.id}, matched by date and text"
        report.changes.append(change("post", merged, filled, kept, note=note))
    return ImportResult(with_records(kb, posts=posts.values()), report)


def _fold(text: str) -> str:
    """A post's text for comparison: links and a thread marker removed, case and spaces folded."""
    text = THREAD_MARKER_RE.sub("", URL_RE.sub(" ", text))
    return " ".join(utils.default_process(text).split())


def _match_existing(
    kb: KnowledgeBase, tweets: list[Tweet], report: ImportReport
) -> tuple[dict[str, str], set[str]]:
    """Archive id -> id of the existing post it is (by status id, else by date and text), and
    the archive ids whose match is ambiguous (reported, not imported)."""
    matched: dict[str, str] = {}
    ambiguous: set[str] = set()
    by_status = {p.status_id: p.id for p in kb.posts if p.status_id}
    uncaptured = [p for p in kb.posts if not p.status_id]
    folded = {p.id: _fold(p.text) for p in uncaptured}
    taken: set[str] = set()
    for tweet in tweets:
        if tweet.id in by_status:
            matched[tweet.id] = by_status[tweet.id]
            continue
        day = dt.date.fromisoformat(tweet.date)
        text = _fold(tweet.text)
        scored = sorted(
            (
                (fuzz.ratio(text, folded[p.id]), p.id)
                for p in uncaptured
                if abs((dt.date.fromisoformat(p.date) - day).days) <= MATCH_DAYS
            ),
            reverse=True,
        )
        scored = [(score, pid) for score, pid in scored if score >= MATCH_CUTOFF]
        if not scored:
            continue
        close = [pid for score, pid in scored if score >= scored[0][0] - MATCH_MARGIN]
        if len(close) > 1 or scored[0][1] in taken:
            others = ", ".join(sorted(close))
            report.ambiguous.append(
                f"post {tweet.id}: its date and text match posts {others}; not imported "
                "(set status_id on the right one by hand)"
            )
            ambiguous.add(tweet.id)
            continue
        matched[tweet.id] = scored[0][1]
        taken.add(scored[0][1])
    return matched, ambiguous


def _new_ids(
    tweets: Iterable[Tweet], matched: dict[str, str], posts: dict[str, Post]
) -> dict[str, str]:
    """Knowledge ids ``<date>-<n>`` for the posts new to ``posts``, in order of creation."""
    used: dict[str, int] = {}
    for post_id in posts:
        match = schema.POST_ID_RE.match(post_id)
        if match:
            used[match.group(1)] = max(used.get(match.group(1), 0), int(match.group(2)))
    ids: dict[str, str] = {}
    for tweet in tweets:  # already in order of creation
        if tweet.id in matched:
            ids[tweet.id] = matched[tweet.id]
            continue
        n = used.get(tweet.date, 0) + 1
        used[tweet.date] = n
        ids[tweet.id] = f"{tweet.date}-{n}"
    return ids


def _threads(
    by_id: dict[str, Tweet], owner: str, matched: dict[str, str], posts: dict[str, Post]
) -> dict[str, Thread]:
    """Threads of the owner's replies to their own posts: archive id -> its place in one."""

    def parent(tweet: Tweet) -> Tweet | None:
        if tweet.reply_to_user.lower() != owner.lower():
            return None
        return by_id.get(tweet.reply_to_id)

    groups: dict[str, list[Tweet]] = {}
    for tweet in by_id.values():
        root, seen = tweet, {tweet.id}
        while (up := parent(root)) is not None and up.id not in seen:
            root = up
            seen.add(up.id)
        groups.setdefault(root.id, []).append(tweet)
    threads: dict[str, Thread] = {}
    for root_id, members in groups.items():
        if len(members) < 2:
            continue
        members.sort(key=lambda t: (t.created, int(t.id)))
        # A thread already named by hand (a captured post's) keeps its name.
        named = [
            existing.thread.id
            for t in members
            if (existing := posts.get(matched.get(t.id, ""))) is not None and existing.thread
        ]
        thread_id = named[0] if named else f"{by_id[root_id].date}-{root_id}"
        for position, tweet in enumerate(members, start=1):
            threads[tweet.id] = Thread(id=thread_id, position=position, total=len(members))
    return threads


def _post(
    tweet: Tweet, *, post_id: str, owner: str, kb: KnowledgeBase, by_id: dict[str, Tweet]
) -> Post:
    quoted: QuotedPost | None = None
    if tweet.quoted_id:
        url = STATUS_URL.format(user=tweet.quoted_user or "i", id=tweet.quoted_id)
        own = by_id.get(tweet.quoted_id)
        if own is not None and tweet.quoted_user.lower() == owner.lower():
            quoted = QuotedPost(
                handle="@" + owner, name=kb.profile.name, date=own.date, text=own.text, url=url
            )
        else:
            handle = f"@{tweet.quoted_user}" if tweet.quoted_user else ""
            quoted = QuotedPost(handle=handle, name="", date="", text="", note=UNAVAILABLE, url=url)
    return Post(
        id=post_id,
        date=tweet.date,
        text=tweet.text,
        url=STATUS_URL.format(user=owner, id=tweet.id),
        reply_to=f"@{tweet.reply_to_user}" if tweet.reply_to_user else "",
        quoted=quoted,
        links=tweet.links,
        status_id=tweet.id,
    )


def _merge_post(
    old: Post, fresh: Post, *, profile_url: str
) -> tuple[Post, tuple[str, ...], tuple[str, ...]]:
    """Fill ``old`` from ``fresh``; its placeholder URL (the profile's) becomes the status URL,
    and a quoted post it already describes only gains the quoted post's URL."""
    merged, filled, kept = merge_fields(old, fresh, POST_FIELDS)
    updates: dict[str, Any] = {}
    extra: list[str] = []
    if merged.url != fresh.url:
        if merged.url == profile_url or "/status/" not in merged.url:
            updates["url"] = fresh.url
            extra.append("url")
        else:
            kept = (*kept, "url")
    if fresh.quoted is not None:
        if merged.quoted is None:
            updates["quoted"] = fresh.quoted
            extra.append("quoted")
        elif not merged.quoted.url and fresh.quoted.url:
            updates["quoted"] = dataclasses.replace(merged.quoted, url=fresh.quoted.url)
            extra.append("quoted.url")
    if updates:
        merged = dataclasses.replace(merged, **updates)
    return merged, (*filled, *extra), kept
