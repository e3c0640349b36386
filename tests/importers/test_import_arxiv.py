"""Tests for bot.importers.arxiv: the Atom feed parser, the author query and the merge."""

from __future__ import annotations

import io
import urllib.error
from dataclasses import replace
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from bot.core.knowledge import load_knowledge
from bot.core.models import KnowledgeBase
from bot.errors import BotError, KnowledgeError
from bot.importers import arxiv
from bot.importers.arxiv import author_query_url, fetch_feed, import_feed, parse_feed
from tests.importers.conftest import REAL_FEED, SECOND_FEED

FEED_HEAD = '<?xml version="1.0" encoding="UTF-8"?>\n<feed xmlns="http://www.w3.org/2005/Atom">\n'


def test_entries_keep_id_first_version_date_and_arxiv_fields() -> None:
    """The id drops its version, the date is v1's, categories keep arXiv's only, primary first."""
    papers, skipped = parse_feed(SECOND_FEED.read_bytes(), source="feed.atom")
    assert skipped == []
    by_id = {p.id: p for p in papers}
    assert list(by_id) == ["2413.02002", "2413.01001", "2413.04004", "2413.03003", "2413.05005"]
    tidal = by_id["2413.01001"]  # entry 2413.01001v2, first submitted 2024-01-15
    assert tidal.date == "2024-01-15"
    assert tidal.url == "https://arxiv.org/abs/2413.01001"
    assert tidal.title == "Tidal Attention: Linear-Time Transformers via Wave Decomposition"
    assert tidal.abstract.startswith(
        "We introduce Tidal Attention, an attention mechanism that decomposes the query-key "
        "interaction into a small number of learned waves, so that"
    )
    assert tidal.abstract.endswith("We release code and checkpoints.")
    assert tidal.authors == ("Imogen Example", "Quentin Sample", "Lena Mock")
    assert tidal.categories == ("cs.CL", "cs.LG")  # the ACM class I.2.7 is not a category
    assert tidal.journal_ref == (
        "International Conference on Learning Representations (ICLR), 2025"
    )
    assert tidal.doi == "10.5555/tidal.2025.0001"
    assert (tidal.venue, tidal.aliases, tidal.topics, tidal.note) == ("", (), (), "")
    # 14 authors are cut to the first 8 and "et al.", as the knowledge base's metadata is.
    assert by_id["2413.02002"].authors[-2:] == ("Dmitri Pretend", "et al.")
    assert len(by_id["2413.02002"].authors) == 9
    assert by_id["2413.05005"].categories == ("cond-mat.mtrl-sci",)


def test_real_feed_entries_equal_the_shipped_records(kb: KnowledgeBase) -> None:
    """The feed built from knowledge/ parses back into exactly the shipped papers' fields."""
    shipped = kb
    papers, _ = parse_feed(REAL_FEED.read_bytes(), source="real.atom")
    for paper in papers:
        known = shipped.paper(paper.id)
        if known is None:
            assert paper.id == "2411.01103"  # the namesake's paper, kept out by exclude.yaml
            continue
        fields = ("title", "date", "authors", "url", "abstract")
        assert [getattr(paper, f) for f in fields] == [getattr(known, f) for f in fields]


def test_author_query_url_is_the_documented_api_query() -> None:
    """'Last, First' becomes the phrase au:"First Last", newest first, at most --max."""
    url = author_query_url("Lewis,  Mike", max_results=50)
    parts = urlsplit(url)
    assert (parts.scheme, parts.netloc, parts.path) == ("https", "export.arxiv.org", "/api/query")
    assert parse_qs(parts.query) == {
        "search_query": ['au:"Mike Lewis"'],
        "start": ["0"],
        "max_results": ["50"],
        "sortBy": ["submittedDate"],
        "sortOrder": ["descending"],
    }
    assert "au%3A%22Mike+Lewis%22" in url
    with pytest.raises(BotError, match=r"--max must be in 1\.\.2000, got 0"):
        author_query_url("Lewis, Mike", max_results=0)
    with pytest.raises(BotError, match="--author must be a name"):
        author_query_url(" , ")


def test_fetch_failure_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    """No network: the error says arXiv could not be reached and nothing changed."""

    def refuse(*args: object, **kwargs: object) -> object:
        raise urllib.error.URLError("Name or service not known")

    monkeypatch.setattr(arxiv.urllib.request, "urlopen", refuse)
    with pytest.raises(BotError) as info:
        fetch_feed(author_query_url("Lewis, Mike"))
    assert str(info.value) == (
        "could not reach arXiv (Name or service not known); nothing was changed"
    )


def test_throttling_is_said_plainly(monkeypatch: pytest.MonkeyPatch) -> None:
    """arXiv's plain-text 'Rate exceeded.' (HTTP 200) is not parsed as a broken feed."""

    class Response(io.BytesIO):
        def __enter__(self) -> Response:
            return self

        def __exit__(self, *args: object) -> None:
            self.close()

    monkeypatch.setattr(
        arxiv.urllib.request, "urlopen", lambda *a, **k: Response(b"Rate exceeded.\n")
    )
    with pytest.raises(BotError, match="arXiv is rate-limiting requests; wait a minute"):
        fetch_feed(author_query_url("Lewis, Mike"))


def test_malformed_xml_names_line_and_column() -> None:
    """A feed that is not well-formed XML is reported where it breaks."""
    data = (FEED_HEAD + "  <entry>\n    <title>A & B</title>\n  </entry>\n</feed>\n").encode()
    with pytest.raises(KnowledgeError) as info:
        parse_feed(data, source="bad.atom")
    assert str(info.value) == "bad.atom:4:15: not well-formed XML: not well-formed (invalid token)"


def test_entry_problems_name_the_entry() -> None:
    """Missing fields are reported per entry, every one of them, and nothing is returned."""
    data = (
        FEED_HEAD
        + "  <entry>\n    <id>http://arxiv.org/abs/2413.01001v2</id>\n"
        + "    <title>Tidal Attention</title>\n  </entry>\n"
        + "  <entry>\n    <id>http://example.org/not-arxiv</id>\n  </entry>\n</feed>\n"
    ).encode()
    with pytest.raises(KnowledgeError) as info:
        parse_feed(data, source="f.atom")
    assert [str(p) for p in info.value.problems] == [
        "f.atom: entry 1 (2413.01001): no <summary> (abstract)",
        "f.atom: entry 1 (2413.01001): no <author>",
        "f.atom: entry 1 (2413.01001): no <published> date",
        "f.atom: entry 2: no arXiv id in 'http://example.org/not-arxiv'",
    ]


def test_arxiv_error_entry_and_other_feeds_are_refused() -> None:
    """arXiv's error entry (HTTP 200) and an RSS feed are errors, not zero papers."""
    error = (
        FEED_HEAD
        + "  <entry>\n    <id>http://arxiv.org/api/errors#incorrect_id_format_for_1234</id>\n"
        + "    <title>Error</title>\n    <summary>incorrect id format for 1234</summary>\n"
        + "  </entry>\n</feed>\n"
    ).encode()
    with pytest.raises(KnowledgeError, match="arXiv reported an error: incorrect id format"):
        parse_feed(error, source="e.atom")
    rss = b'<?xml version="1.0"?><rss version="2.0"><channel><title>x</title></channel></rss>'
    with pytest.raises(KnowledgeError, match=r"e\.rss: not an Atom feed from the arXiv API"):
        parse_feed(rss, source="e.rss")


def test_old_style_ids_are_skipped_with_a_reason() -> None:
    """The knowledge schema holds new-style ids only: an old-style entry is skipped, said why."""
    data = SECOND_FEED.read_text().replace("2413.03003v1", "cs/0301001v1", 1).encode()
    papers, skipped = parse_feed(data, source="f.atom")
    assert "2413.03003" not in {p.id for p in papers}
    assert skipped == ["paper cs/0301001: old-style arXiv ids are not supported"]


def test_merge_adds_new_keeps_curation_and_respects_exclude(real_copy: Path) -> None:
    """New papers are added; existing ones keep aliases, topics, notes and hand edits."""
    kb = load_knowledge(real_copy)
    # A knowledge base from before two of the papers, with BART's title edited by hand.
    bart = kb.paper("1910.13461")
    assert bart is not None
    edited = KnowledgeBase(
        profile=kb.profile,
        papers=tuple(
            p if p.id != bart.id else replace(p, title="BART (hand-edited)")
            for p in kb.papers
            if p.id not in ("2605.01188", "2305.07185")
        ),
        posts=kb.posts,
        excluded=kb.excluded,
    )
    result = import_feed(edited, REAL_FEED.read_bytes(), source="real.atom")
    report = result.report
    assert [(c.id, c.status) for c in report.changes] == [
        ("2605.01188", "added"),
        ("2305.07185", "added"),
        ("2208.07339", "unchanged"),
        ("2108.12409", "unchanged"),
        ("1910.13461", "unchanged"),
    ]
    assert report.changes[-1].kept == ("title",)
    assert report.skipped == [
        "paper 2411.01103 (Can Loyalty to Creators Dilute Loyalty to Promoted Products? "
        "Examinin…): in exclude.yaml (a marketing paper by a namesake (papers_meta.tsv: "
        "different-author))"
    ]
    merged = result.kb.paper("1910.13461")
    assert merged is not None
    assert merged.title == "BART (hand-edited)"
    assert (merged.aliases, merged.topics) == (bart.aliases, bart.topics)
    added = result.kb.paper("2305.07185")
    assert added is not None and (added.aliases, added.topics) == ((), ())
    assert result.kb.paper("2411.01103") is None
