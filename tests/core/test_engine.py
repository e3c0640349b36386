"""The Engine contract the adapters use: ask, find_papers, filter_papers, related_posts."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.core.engine import Engine, load_engine
from bot.errors import KnowledgeError


def test_ask_cites_the_bart_paper_first(engine: Engine) -> None:
    """The issue's acceptance question: "What is BART?" cites the BART paper first."""
    answer = engine.ask("What is BART?")
    assert not answer.declined
    assert answer.citations[0].id == "1910.13461"


def test_find_papers_puts_an_exact_alias_first(engine: Engine) -> None:
    """Autocomplete: an alias typed exactly comes first."""
    assert engine.find_papers("ALiBi", limit=3)[0].id == "2108.12409"


def test_find_papers_tolerates_typos_in_titles(engine: Engine) -> None:
    """Autocomplete: a misspelt title still finds the paper."""
    assert engine.find_papers("efficient streeming language models", limit=1)[0].id == "2309.17453"


@pytest.mark.parametrize("query", ["weather", "xyzzy pizza", "pizza"])
def test_find_papers_offers_nothing_for_unrelated_words(query: str, engine: Engine) -> None:
    """Autocomplete stays empty rather than offering papers that do not match at all."""
    assert engine.find_papers(query) == []


def test_find_papers_scores_each_name_on_its_own(engine: Engine) -> None:
    """A word of a long title ranks that title first ("streaming" -> the attention-sinks paper)."""
    assert engine.find_papers("streaming", limit=1)[0].id == "2309.17453"
    assert engine.find_papers("Lima less is more", limit=1)[0].id == "2305.11206"


@pytest.mark.parametrize(
    ("text", "paper_id"),
    [
        ("2305.07185", "2305.07185"),  # an arXiv id, as autocomplete sends it
        ("kNN-LM", "1911.00172"),  # an exact alias
        ("attension sinks", "2309.17453"),  # a misspelt alias
        ("trusting your evidence", "2305.14739"),  # the start of a title
        ("byte latent transformr", "2412.09871"),  # a misspelt whole title
    ],
)
def test_resolve_paper_accepts_values_that_name_a_paper(
    text: str, paper_id: str, engine: Engine
) -> None:
    """/paper's re-check: an id, an alias, a title's start or a near-whole name resolve."""
    paper = engine.resolve_paper(text)
    assert paper is not None and paper.id == paper_id


@pytest.mark.parametrize("text", ["", "ba", "model", "language model", "streaming", "xyzzy"])
def test_resolve_paper_refuses_values_that_only_resemble_a_title(text: str, engine: Engine) -> None:
    """A short prefix or a word found inside some title does not name a paper."""
    assert engine.resolve_paper(text) is None


def test_find_papers_empty_query_gives_newest(engine: Engine) -> None:
    """An empty query lists the newest papers, up to the limit."""
    papers = engine.find_papers("  ", limit=3)
    assert [p.id for p in papers] == [p.id for p in engine.kb.papers_newest_first()[:3]]
    assert engine.find_papers("BART", limit=0) == []


def test_filter_papers_by_year_and_topic(engine: Engine) -> None:
    """Filters combine, newest first."""
    papers = engine.filter_papers(year=2021, topic="long-context")
    assert [p.id for p in papers] == ["2108.12409"]
    assert all(p.year == 2023 for p in engine.filter_papers(year=2023))


def test_filter_papers_by_query(engine: Engine) -> None:
    """A query keeps papers matching it by title, alias or confident text match, newest first."""
    papers = engine.filter_papers(query="nearest neighbor")
    assert {"2010.00710", "1911.00172"} <= {p.id for p in papers}
    assert [p.date for p in papers] == sorted((p.date for p in papers), reverse=True)
    assert [p.id for p in engine.filter_papers(year=2019, query="nearest neighbor")] == [
        "1911.00172"
    ]
    assert engine.filter_papers(query="pizza in Seattle") == []


def test_related_posts_name_the_paper(engine: Engine) -> None:
    """His posts that name a paper's alias, oldest first; none for a paper he never posted about."""
    bart = engine.kb.paper("1910.13461")
    megabyte = engine.kb.paper("2305.07185")
    lima = engine.kb.paper("2305.11206")
    assert bart is not None and megabyte is not None and lima is not None
    assert [p.id for p in engine.related_posts(bart)] == ["2019-10-31-1", "2020-03-24-1"]
    assert [p.id for p in engine.related_posts(megabyte)] == ["2023-05-15-1"]
    assert engine.related_posts(lima) == []


def test_load_engine_reports_bad_knowledge(tmp_path: Path) -> None:
    """A missing knowledge directory raises KnowledgeError, not a traceback-worthy error."""
    with pytest.raises(KnowledgeError):
        load_engine(tmp_path / "missing")


def test_engine_builds_on_the_tiny_knowledge(tiny_knowledge_dir: Path) -> None:
    """A three-paper knowledge base indexes and answers alias and profile questions."""
    engine = load_engine(tiny_knowledge_dir)
    assert engine.ask("What is kNN-LM?").citations[0].id == "1911.00172"
    assert engine.ask("where is he based?").text == "Location: Seattle [1]"
    assert engine.ask("weather in Paris").declined
