"""The catalog behind /paper and /papers: the same answers whether it scores every name (small
knowledge) or only the candidates its word tables pick (large knowledge)."""

from __future__ import annotations

import pytest

from bot.core import catalog
from bot.core.catalog import Catalog
from bot.core.models import KnowledgeBase
from tests.helpers import make_paper


@pytest.fixture(params=["every name", "candidates"])
def shipped(request: pytest.FixtureRequest, kb: KnowledgeBase) -> Catalog:
    """The shipped papers' catalog, scoring every name or, as past EXHAUSTIVE_NAMES, candidates."""
    if request.param == "candidates":
        patch = pytest.MonkeyPatch()
        patch.setattr(catalog, "EXHAUSTIVE_NAMES", 0)
        request.addfinalizer(patch.undo)
    return Catalog.build(kb.papers_newest_first())


@pytest.mark.parametrize(
    ("typed", "first"),
    [
        ("ALiBi", "2108.12409"),  # an exact alias
        ("efficient streeming language models", "2309.17453"),  # a misspelt title
        ("strreaming", "2309.17453"),
        ("atention sink", "2309.17453"),
        ("streaming", "2309.17453"),  # a word of a long title
        ("Lima less is more", "2305.11206"),
        ("effic", "2407.21770"),  # a word still being typed: the newest such title
        ("efficient streaming language models with attention", "2309.17453"),  # past KEY_BYTES
    ],
)
def test_find_first(typed: str, first: str, shipped: Catalog) -> None:
    """What is typed finds the paper it names first."""
    assert shipped.find(typed, limit=5)[0].id == first


@pytest.mark.parametrize("typed", ["weather", "xyzzy pizza", "pizza"])
def test_find_nothing_for_unrelated_words(typed: str, shipped: Catalog) -> None:
    """Unrelated words find nothing rather than random papers."""
    assert shipped.find(typed) == []


def test_word_starts_newest_first(shipped: Catalog, kb: KnowledgeBase) -> None:
    """Every paper with a title or alias word starting with the query, newest first."""
    newest = kb.papers_newest_first()
    for typed in ("m", "mu", "language mod", "language models with"):
        wanted = [
            p.id
            for p in newest
            if any(
                catalog.fold(n).startswith(typed) or f" {typed}" in catalog.fold(n)
                for n in (p.title, *p.aliases)
            )
        ]
        found = [p.id for p in shipped.find(typed, limit=len(newest))]
        assert found[: len(wanted)] == wanted, typed


@pytest.mark.parametrize(
    ("text", "paper_id"),
    [
        ("kNN-LM", "1911.00172"),
        ("attension sinks", "2309.17453"),
        ("trusting your evidence", "2305.14739"),
        ("byte latent transformr", "2412.09871"),
        ("megabyt", "2305.07185"),
    ],
)
def test_resolve(text: str, paper_id: str, shipped: Catalog) -> None:
    """An alias, a title's start or a near-whole name resolves to its paper."""
    paper = shipped.resolve(text)
    assert paper is not None and paper.id == paper_id


@pytest.mark.parametrize("text", ["", "ba", "model", "language model", "streaming", "xyzzy"])
def test_resolve_refuses(text: str, shipped: Catalog) -> None:
    """A short prefix or a word found inside some title names no paper."""
    assert shipped.resolve(text) is None


def test_matching_names(shipped: Catalog) -> None:
    """/papers' word filter: titles holding the words nearly as written."""
    found = {shipped.papers[r].id for r in shipped.matching_names("nearest neighbor")}
    assert found == {"2010.00710", "1911.00172"}
    assert shipped.matching_names("pizza seattle") == set()


def test_years_topics_and_ranks(shipped: Catalog, kb: KnowledgeBase) -> None:
    """Year and topic tables list ranks newest first; rank() finds every paper's place."""
    ranks = shipped.filter(year=2021, topic="long-context")
    assert ranks is not None
    assert [shipped.papers[r].id for r in ranks] == ["2108.12409"]
    assert shipped.filter() is None
    assert shipped.filter(year=1990) is not None and shipped.filter(year=1990).size == 0
    assert all(shipped.rank(p) == i for i, p in enumerate(kb.papers_newest_first()))
    assert shipped.rank(make_paper(0, id="2999.99999")) is None


def test_empty_query_and_limits(shipped: Catalog, kb: KnowledgeBase) -> None:
    """An empty query lists the newest papers; a limit of 0 lists none."""
    assert shipped.find("  ", limit=3) == list(kb.papers_newest_first()[:3])
    assert shipped.find("BART", limit=0) == []


def test_many_papers_stay_newest_first() -> None:
    """With more matches than the limit, the newest word-start matches are kept, in order."""
    papers = [
        make_paper(n, id=f"2101.{n:05d}", title=f"Sparse model number {n}", date="2021-01-05")
        for n in range(400)
    ]
    ordered = sorted(papers, key=lambda p: (p.date, p.id), reverse=True)
    built = Catalog.build(ordered)
    assert [p.id for p in built.find("spa", limit=25)] == [p.id for p in ordered[:25]]
    assert [p.id for p in built.find("sparse mod", limit=25)] == [p.id for p in ordered[:25]]
    long = "sparse model number 1"  # longer than KEY_BYTES: every match is checked in full
    wanted = [p.id for p in ordered if p.title.lower().startswith(long)]
    assert [p.id for p in built.find(long, limit=len(wanted))] == wanted
