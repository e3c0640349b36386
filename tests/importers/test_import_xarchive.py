"""Tests for bot.importers.xarchive: tweets.js parsing, cleaning, threads, quotes and matching."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from bot.core.knowledge import load_knowledge
from bot.core.models import KnowledgeBase, Post, Thread
from bot.errors import KnowledgeError
from bot.importers.xarchive import (
    Tweet,
    archive_files,
    import_tweets,
    parse_tweets_js,
    read_account,
)
from tests.importers.conftest import SECOND_ARCHIVE

TWEETS_JS = SECOND_ARCHIVE / "data" / "tweets.js"
STATUS = "https://x.com/imogen_example/status/"


def _tweets() -> dict[str, Tweet]:
    return {t.id[-3:]: t for t in parse_tweets_js(TWEETS_JS.read_text(), source="tweets.js")}


def test_archive_files_and_owner() -> None:
    """The folder, its data/ folder or the file itself all find tweets.js and account.js."""
    data = SECOND_ARCHIVE / "data"
    for path in (SECOND_ARCHIVE, data, TWEETS_JS):
        assert archive_files(path) == ([TWEETS_JS], data / "account.js")
    account = (data / "account.js").read_text()
    assert read_account(account, source="account.js") == "imogen_example"


def test_text_is_the_owners_words_with_real_links() -> None:
    """Entities decoded, t.co replaced by its URL, media and quote links, reply handles and the
    thread marker removed."""
    t = _tweets()
    opening = t["101"]
    assert opening.text == (
        "New paper! Tidal Attention makes transformer layers linear in sequence length by "
        "splitting attention into a few learned waves. https://arxiv.org/abs/2413.01001"
    )
    assert opening.links == ("https://arxiv.org/abs/2413.01001",)
    assert opening.date == "2024-01-17"
    reply = t["104"]
    assert reply.text.startswith("Thanks! The waves are learned per head")
    assert reply.text.endswith("with many heads & long inputs.")
    assert (reply.reply_to_id, reply.reply_to_user) == (
        "1111111111111111090",
        "quentin_sample",
    )
    assert t["105"].retweet is True
    quote = t["106"]
    assert quote.text.endswith("big gains. https://arxiv.org/abs/2413.02002")
    assert (quote.quoted_user, quote.quoted_id) == (
        "lena_mock",
        "1111111111111111050",
    )
    assert t["108"].text.endswith("trillion tokens. https://arxiv.org/abs/2413.04004")
    assert t["109"].text == ""
    assert t["103"].links == ("http://example.org/tidal-attention",)


def test_import_builds_posts_threads_and_quotes(second_dir: Path) -> None:
    """Own posts only, real status URLs and ids, a self-reply thread, both kinds of quotes."""
    kb = load_knowledge(second_dir)
    tweets = parse_tweets_js(TWEETS_JS.read_text(), source="tweets.js")
    result = import_tweets(kb, tweets, source="tweets.js")
    report = result.report
    assert (report.read, report.count("added")) == (9, 7)
    assert report.skipped == [
        "post 1111111111111111109: no text of its own (only media or links)",
        "post 1111111111111111105: a repost (RT @lena_mock: Our reading group covers Tidal "
        "Attention this week. Br…)",
    ]
    posts = {p.status_id: p for p in result.kb.posts}
    thread = [posts[f"111111111111111110{n}"] for n in (1, 2, 3)]
    assert [p.id for p in thread] == ["2024-01-17-1", "2024-01-17-2", "2024-01-17-3"]
    assert [p.thread for p in thread] == [
        Thread("2024-01-17-1111111111111111101", n, 3) for n in (1, 2, 3)
    ]
    assert [p.reply_to for p in thread] == ["", "@imogen_example", "@imogen_example"]
    assert thread[0].url == STATUS + "1111111111111111101"
    other = posts["1111111111111111106"].quoted
    assert other is not None
    assert (other.handle, other.text, other.url) == (
        "@lena_mock",
        "",
        "https://x.com/lena_mock/status/1111111111111111050",
    )
    assert other.note == "the quoted post's text is not in the X archive"
    own = posts["1111111111111111107"].quoted
    assert own is not None
    assert (own.handle, own.name, own.date, own.text) == (
        "@imogen_example",
        "Imogen Example",
        "2024-01-17",
        thread[0].text,
    )
    assert posts["1111111111111111104"].reply_to == "@quentin_sample"
    assert posts["1111111111111111104"].thread is None


def test_reposts_only_when_asked(second_dir: Path) -> None:
    """--include-retweets keeps the repost with the archive's text."""
    kb = load_knowledge(second_dir)
    tweets = parse_tweets_js(TWEETS_JS.read_text(), source="tweets.js")
    result = import_tweets(kb, tweets, source="t", include_retweets=True)
    texts = [p.text for p in result.kb.posts]
    assert any(text.startswith("RT @lena_mock: Our reading group") for text in texts)


def _with_posts(kb: KnowledgeBase, *posts: Post) -> KnowledgeBase:
    return replace(kb, posts=(*kb.posts, *posts))


def test_captured_post_gains_its_real_url_and_keeps_its_edits(second_dir: Path) -> None:
    """A post captured without an id is found by date and text; it gains its status URL and id,
    keeps its own text and hand-named thread, which its thread's other posts join."""
    kb = load_knowledge(second_dir)
    captured = Post(
        id="2024-01-17-1",
        date="2024-01-17",
        text="New paper! Tidal Attention makes transformer layers linear in sequence length by "
        "splitting attention into a few learned waves. arxiv.org/abs/2413.01001",
        url="https://x.com/imogen_example",
        thread=Thread("2024-01-17-tidal", 1, 3),
        links=("arxiv.org/abs/2413.01001",),
    )
    tweets = parse_tweets_js(TWEETS_JS.read_text(), source="tweets.js")
    result = import_tweets(_with_posts(kb, captured), tweets, source="t")
    [change] = [c for c in result.report.changes if c.id == "2024-01-17-1"]
    assert change.status == "changed"
    assert change.filled == ("status_id", "url")
    assert change.kept == ("text", "links")
    assert change.note == "post 1111111111111111101, matched by date and text"
    post = result.kb.post("2024-01-17-1")
    assert post is not None
    assert (post.url, post.status_id) == (STATUS + "1111111111111111101", "1111111111111111101")
    assert post.text == captured.text and post.thread == captured.thread
    rest = [p for p in result.kb.posts if p.thread and p.id != post.id]
    assert {(p.id, p.thread.id, p.thread.position) for p in rest if p.thread} == {
        ("2024-01-17-2", "2024-01-17-tidal", 2),
        ("2024-01-17-3", "2024-01-17-tidal", 3),
    }
    # A second run finds every post by its id and changes nothing.
    again = import_tweets(result.kb, tweets, source="t")
    assert not again.report.changed_anything
    assert {p.id: p for p in again.kb.posts} == {p.id: p for p in result.kb.posts}


def test_two_matching_captured_posts_are_ambiguous(second_dir: Path) -> None:
    """Two captured posts that both fit are reported; the archive post is not imported."""
    kb = load_knowledge(second_dir)
    text = "Code and checkpoints: example.org/tidal-attention"
    twins = [
        Post(id=f"2024-01-17-{n}", date="2024-01-17", text=text, url="https://x.com/imogen_example")
        for n in (1, 2)
    ]
    tweets = parse_tweets_js(TWEETS_JS.read_text(), source="tweets.js")
    result = import_tweets(_with_posts(kb, *twins), tweets, source="t")
    assert result.report.ambiguous == [
        "post 1111111111111111103: its date and text match posts 2024-01-17-1, 2024-01-17-2; "
        "not imported (set status_id on the right one by hand)"
    ]
    assert "1111111111111111103" not in {p.status_id for p in result.kb.posts}
    assert [p.text for p in result.kb.posts if p.id in ("2024-01-17-1", "2024-01-17-2")] == [
        text,
        text,
    ]


def _record(**changes: object) -> str:
    record = {
        "id_str": "1111111111111111201",
        "full_text": "A post",
        "created_at": "Wed Oct 10 20:19:24 +0000 2018",
        "entities": {"urls": []},
        "display_text_range": ["0", "6"],
    } | changes
    body = json.dumps([{"tweet": record}], indent=2, separators=(",", " : "))
    return "window.YTD.tweets.part0 = " + body


def test_bad_records_name_their_line_and_record() -> None:
    """A date X never writes is reported at the record's id_str line."""
    with pytest.raises(KnowledgeError) as info:
        parse_tweets_js(_record(created_at="2018-10-10"), source="tweets.js")
    assert str(info.value) == (
        "tweets.js:4: record 1 (id 1111111111111111201): created_at '2018-10-10' is not like "
        "'Wed Oct 10 20:19:24 +0000 2018'"
    )


def test_broken_json_and_missing_assignment_name_line_and_column() -> None:
    """JSON errors point into the file itself, counting the assignment on line 1."""
    with pytest.raises(KnowledgeError) as info:
        parse_tweets_js(
            'window.YTD.tweets.part0 = [ {"tweet" : { "id_str" : 1, } } ]', source="t.js"
        )
    assert (
        str(info.value)
        == "t.js:1:56: invalid JSON: Expecting property name enclosed in double quotes"
    )
    with pytest.raises(KnowledgeError, match=r"t\.js:1:1: expected 'window\.YTD\.tweets"):
        parse_tweets_js("[]", source="t.js")


def test_api_style_quote_permalink_is_understood() -> None:
    """A record carrying quoted_status_permalink (API form) quotes that post."""
    text = _record(
        full_text="Worth reading https://t.co/q1",
        quoted_status_id_str="1111111111111111300",
        quoted_status_permalink={
            "url": "https://t.co/q1",
            "expanded": "https://twitter.com/lena_mock/status/1111111111111111300",
            "display": "twitter.com/lena_mock/s…",
        },
    )
    [tweet] = parse_tweets_js(text, source="t.js")
    assert (tweet.text, tweet.quoted_user, tweet.quoted_id) == (
        "Worth reading",
        "lena_mock",
        "1111111111111111300",
    )
