"""Extractive answers: faithful to their sources, the right sentences, lists and declines."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.core.answer import COVERS, paper_text, profile_text
from bot.core.engine import Engine
from bot.core.models import Answer, KnowledgeBase

EVAL_DIR = Path(__file__).resolve().parents[2] / "eval"


def _source_text(kb: KnowledgeBase, kind: str, doc_id: str) -> str:
    """The rendered text a citation points to."""
    if kind == "paper":
        paper = kb.paper(doc_id)
        assert paper is not None
        return paper_text(paper)
    if kind == "post":
        post = kb.post(doc_id)
        assert post is not None
        return post.text
    return profile_text(kb.profile)


def _all_eval_questions() -> list[str]:
    questions = []
    for name in ("questions.yaml", "holdout.yaml"):
        questions += [q["q"] for q in yaml.safe_load((EVAL_DIR / name).read_text())]
    return questions


def _assert_well_formed(answer: Answer) -> None:
    if answer.declined:
        assert answer.citations == () and answer.statements == ()
        return
    assert answer.citations
    for statement in answer.statements:
        assert 1 <= statement.citation <= len(answer.citations)
        assert f"{statement.text} [{statement.citation}]" in answer.text


def test_every_statement_occurs_in_its_cited_source(engine: Engine) -> None:
    """Faithfulness: each answer sentence of every eval question is copied from its source."""
    checked = 0
    for question in _all_eval_questions():
        answer = engine.ask(question)
        _assert_well_formed(answer)
        for statement in answer.statements:
            cited = answer.citations[statement.citation - 1]
            assert statement.text in _source_text(engine.kb, cited.kind, cited.id), question
            checked += 1
    assert checked > 150


def test_extractive_answers_cite_at_most_three_sources(engine: Engine) -> None:
    """A text answer cites at most three sources, best first."""
    answer = engine.ask("retrieval augmented language models")
    assert 1 <= len(answer.citations) <= 3
    scores = [c.score for c in answer.citations]
    assert scores == sorted(scores, reverse=True)


def test_how_many_question_quotes_the_sentence_with_the_number(engine: Engine) -> None:
    """A how-many question gets the sentence holding the number, not the abstract's opening."""
    answer = engine.ask("how many tokens were the Lory models trained on?")
    assert answer.citations[0].id == "2405.03133"
    assert (
        "We pre-train a series of Lory models on 150B tokens from scratch, with up to 32 experts "
        "and 30B (1.5B active) parameters." in [s.text for s in answer.statements]
    )


def test_how_much_question_finds_a_worded_quantity(engine: Engine) -> None:
    """ "By half" counts as a quantity; the words naming the paper do not pick the sentence."""
    answer = engine.ask("how much memory does LLM.int8() save?")
    assert answer.statements[0].text.startswith(
        "We develop a procedure for Int8 matrix multiplication"
    )
    assert "by half" in answer.statements[0].text


def test_latex_is_rendered_in_answers(engine: Engine) -> None:
    """ "$k$NN" in an abstract is shown as "kNN"."""
    answer = engine.ask("What is kNN-LM?")
    assert answer.statements[0].text.startswith("We introduce kNN-LMs, which extend")
    assert "$" not in answer.text


def test_post_citation_carries_the_post_text(engine: Engine) -> None:
    """A cited post has its own words as citation text and the profile URL (no post ids exist)."""
    answer = engine.ask("What did he say about peer review?")
    citation = answer.citations[0]
    assert (citation.kind, citation.id, citation.date) == ("post", "2021-08-27-1", "2021-08-27")
    assert citation.text == engine.kb.post("2021-08-27-1").text  # type: ignore[union-attr]
    assert citation.url == "https://x.com/ml_perception"


def test_profile_questions(engine: Engine) -> None:
    """Where he is based and when he joined come from the profile, verbatim."""
    where = engine.ask("Where is he based?")
    assert where.text == "Location: Seattle [1]"
    assert where.intro == "Where his X profile says he is based:"
    assert where.citations[0].kind == "profile" and where.citations[0].date is None
    assert engine.ask("When did he join X?").text == "Joined September 2019 [1]"


def test_list_answer_is_newest_first(engine: Engine) -> None:
    """Papers with a co-author are listed and cited newest first, with a count in the intro."""
    answer = engine.ask("papers with Urvashi Khandelwal")
    assert (
        answer.intro
        == "He has 2 papers with Urvashi Khandelwal in this knowledge base, newest first:"
    )
    assert [c.id for c in answer.citations] == ["2010.00710", "1911.00172"]
    assert answer.text == (
        "- Nearest Neighbor Machine Translation [1]\n"
        "- Generalization through Memorization: Nearest Neighbor Language Models [2]"
    )


def test_recent_papers(engine: Engine) -> None:
    """ "His latest papers" gives the five newest."""
    answer = engine.ask("What are his latest papers?")
    assert answer.intro.startswith("His 5 most recent papers, newest first:")
    dates = [c.date or "" for c in answer.citations]
    assert len(dates) == 5 and dates == sorted(dates, reverse=True)


def test_doubtful_paper_keeps_its_caveat_in_lists(engine: Engine) -> None:
    """The doubtful Llama 4 write-up is never listed without its note."""
    answer = engine.ask("list his 2026 papers")
    assert "2601.11659" in [c.id for c in answer.citations]
    assert 'Note on "The Llama 4 Herd' in answer.intro


def test_decline_says_what_the_bot_covers(engine: Engine) -> None:
    """A decline has no citations, says what the bot covers, and suggests nothing unrelated."""
    answer = engine.ask("What's the weather in Paris today?")
    assert answer.declined and answer.citations == ()
    assert answer.text == f"I don't have anything on that in what I know. {COVERS}"


def test_decline_for_a_year_without_papers(engine: Engine) -> None:
    """Asking for a year he has no papers in is declined with that reason."""
    answer = engine.ask("what did he publish in 2018?")
    assert answer.declined
    assert answer.text.startswith("I know of no papers of his from 2018.")


@pytest.mark.parametrize(
    "question",
    ["", "   ", "?!", "\x00\x07", "🙂" * 50, "x" * 10_000, "东京的天气怎么样？", "Ελληνικά"],
)
def test_degenerate_questions_never_raise(engine: Engine, question: str) -> None:
    """Empty, punctuation-only, control-character, emoji and huge questions give an Answer."""
    answer = engine.ask(question)
    assert isinstance(answer, Answer)
    _assert_well_formed(answer)


@settings(max_examples=80, deadline=None)
@given(st.text(max_size=300))
def test_any_string_returns_a_well_formed_answer(engine: Engine, question: str) -> None:
    """Property: any string yields an Answer whose statements and markers line up."""
    answer = engine.ask(question)
    assert answer.question == question
    _assert_well_formed(answer)


def test_paper_record_questions(engine: Engine) -> None:
    """Who wrote a paper, when and where it appeared come from its record, cited."""
    authors = engine.ask("who wrote BART?")
    assert authors.citations[0].id == "1910.13461"
    assert authors.statements[0].text == (
        "Authors: Mike Lewis, Yinhan Liu, Naman Goyal, Marjan Ghazvininejad, Abdelrahman Mohamed, "
        "Omer Levy, Ves Stoyanov, Luke Zettlemoyer"
    )
    assert engine.ask("where was ALiBi published?").text == "Venue: ICLR 2022 [1]"
    when = engine.ask("When did the attention sinks paper come out?")
    assert when.text == "First arXiv version: 2023-09-29 [1]"


def test_unknown_venue_is_not_invented(engine: Engine) -> None:
    """A paper without a recorded venue says so and gives its arXiv date instead."""
    answer = engine.ask("where was the Llama 3 paper published?")
    assert (
        answer.intro
        == "No venue is recorded for “The Llama 3 Herd of Models”; it first appeared on arXiv:"
    )
    assert answer.text == "First arXiv version: 2024-07-31 [1]"


def test_latest_posts(engine: Engine) -> None:
    """ "His latest tweets" lists his posts newest first, each quoted whole."""
    answer = engine.ask("show me his 3 most recent posts")
    assert answer.intro == "His 3 most recent posts on X in this knowledge base, newest first:"
    assert [c.id for c in answer.citations] == ["2024-04-19-1", "2024-04-18-2", "2024-04-18-1"]
    assert answer.statements[0].text == engine.kb.post("2024-04-19-1").text  # type: ignore[union-attr]


def test_how_question_quotes_the_mechanism(engine: Engine) -> None:
    """ "How does ALiBi work?" quotes how it biases attention, not the abstract's opening."""
    answer = engine.ask("How does ALiBi work?")
    assert answer.statements[0].text.startswith(
        "ALiBi does not add positional embeddings to word embeddings; instead, it biases"
    )


def test_asking_what_he_said_puts_his_post_first(engine: Engine) -> None:
    """ "What did he say about MegaByte?" cites his post first, then the paper it names."""
    answer = engine.ask("what did he say about MegaByte?")
    assert [c.id for c in answer.citations][:2] == ["2023-05-15-1", "2305.07185"]
    assert answer.citations[0].kind == "post"
