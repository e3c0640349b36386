"""Follow-up questions, each kind on the tiny knowledge base, and history never hijacking."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.core.engine import Engine, load_engine, turn_of
from bot.core.models import Turn

MEGABYTE, KNN_LM, BART = "2305.07185", "1911.00172", "1910.13461"


@pytest.fixture
def tiny(tiny_knowledge_dir: Path) -> Engine:
    """The engine over the tiny knowledge base: MegaByte, kNN-LM, BART and two posts."""
    return load_engine(tiny_knowledge_dir)


def _after(engine: Engine, *questions: str) -> list[Turn]:
    return engine.replay(questions)


@pytest.mark.parametrize(
    ("follow_up", "resolved", "aspect_line"),
    [
        ("who wrote it?", "who wrote MegaByte?", "Authors: Lili Yu, Mike Lewis"),
        ("when was that paper out", "when was MegaByte out", "First arXiv version: 2023-05-12"),
        ("where was it published?", "where was MegaByte published?", "Venue: NeurIPS 2023"),
        ("link?", "link — MegaByte?", "arXiv: https://arxiv.org/abs/2305.07185"),
        ("venue?", "venue — MegaByte?", "Venue: NeurIPS 2023"),
    ],
)
def test_record_follow_ups_are_answered_from_the_focus(
    tiny: Engine, follow_up: str, resolved: str, aspect_line: str
) -> None:
    """Pronouns and bare record questions refer to the last answer's first source."""
    history = _after(tiny, "what is megabyte?")
    assert history[0].cited[0] == MEGABYTE
    answer = tiny.ask(follow_up, history=history)
    assert answer.resolved == resolved
    assert answer.question == follow_up
    assert answer.citations[0].id == MEGABYTE
    assert answer.text == f"{aspect_line} [1]"


def test_a_position_in_the_last_list(tiny: Engine) -> None:
    """ "The second one" is the second paper the list answer cited."""
    history = _after(tiny, "papers with Mike Lewis from 2019")
    assert history[0].cited == (KNN_LM, BART)
    second = tiny.ask("the second one", history=history)
    assert second.resolved == "BART"
    assert second.citations[0].id == BART
    last = tiny.ask("who wrote the last one", history=history)
    assert last.citations[0].id == BART and last.text.startswith("Authors:")
    older = tiny.ask("the older one", history=history)
    assert older.citations[0].id == BART  # 2019-10-29, before kNN-LM's 2019-11-01


def test_a_post_follow_up_is_answered_from_the_post(tiny: Engine) -> None:
    """ "When was that posted" about a post gives the post's own date, citing it."""
    history = [Turn("what did he post about bytes?", ("2023-05-15-1",))]
    answer = tiny.ask("who wrote it?", history=history)
    assert answer.citations[0].id == "2023-05-15-1"
    assert answer.text == "Posted on X by Mike Lewis (@ml_perception) on 2023-05-15 [1]"
    assert answer.resolved == (
        "who wrote the post “New paper on scaling language models to sequences…”?"
    )


def test_a_question_with_its_own_topic_ignores_the_history(tiny: Engine) -> None:
    """Naming another paper, asking about him, or asking something else entirely is not a
    follow-up: history never hijacks a new topic."""
    history = _after(tiny, "what is megabyte?")
    for question in ("what is kNN-LM?", "where is he based?", "papers from 2019"):
        answer = tiny.ask(question, history=history)
        assert answer.resolved == "", question
        assert answer == tiny.ask(question), question
    unrelated = tiny.ask("can you help me fix a CUDA out of memory error?", history=history)
    assert unrelated.declined and unrelated.resolved == ""


def test_a_follow_up_without_a_conversation_asks_which_paper(tiny: Engine) -> None:
    """ "Who wrote it?" alone names no paper: the bot asks instead of guessing."""
    answer = tiny.ask("who wrote it?")
    assert answer.declined
    assert answer.text.startswith("Which paper do you mean?")


def test_a_declined_turn_gives_no_focus(tiny: Engine) -> None:
    """After a declined turn there is nothing to refer to."""
    history = [Turn("what's the weather?", ())]
    assert tiny.ask("who wrote it?", history=history).declined


def test_the_next_post_of_a_thread(engine: Engine) -> None:
    """ "And the next one?" after a post of a thread is the thread's next post."""
    history = [Turn("the first post of his Diplomacy thread", ("2022-11-22-1",))]
    answer = engine.ask("and the next one?", history=history)
    assert answer.citations[0].id == "2022-11-22-2"


def test_turn_of_records_the_question_as_read(tiny: Engine) -> None:
    """A turn keeps the resolved question and the cited ids, best first."""
    history = _after(tiny, "what is megabyte?")
    turn = turn_of(tiny.ask("who wrote it?", history=history))
    assert turn == Turn("who wrote MegaByte?", (MEGABYTE,))


def test_a_described_item_of_the_list_by_a_part_of_its_name(engine: Engine) -> None:
    """ "The int8 one" is LLM.int8() among two quantization papers: "int8" is inside its name."""
    history = [Turn("quantization papers", ("2110.02861", "2208.07339"))]
    answer = engine.ask("the int8 one, who wrote it?", history=history)
    assert answer.citations[0].id == "2208.07339"
    assert "Tim Dettmers" in answer.text


def test_which_of_those_picks_the_listed_paper_with_that_co_author(engine: Engine) -> None:
    history = engine.replay(["list his 2021 papers"])
    assert len(history[0].cited) > 2
    answer = engine.ask("which of those had jacob andreas on it", history=history)
    paper = engine.kb.paper(answer.citations[0].id)
    assert paper is not None and "Jacob Andreas" in paper.authors and paper.year == 2021


def test_a_question_about_a_person_is_not_read_about_the_focus(engine: Engine) -> None:
    """Luke Zettlemoyer wrote BTM with him, but "who is he" is not a question about BTM."""
    history = engine.replay(["what is BTM?"])
    alone = engine.ask("who is luke zettlemoyer")
    assert engine.ask("who is luke zettlemoyer", history=history) == alone
    about_it = engine.ask("did luke zettlemoyer work on it?", history=history)
    assert about_it.resolved == "did luke zettlemoyer work on BTM?"


def test_a_comparison_cites_the_works_in_the_order_asked(engine: Engine) -> None:
    """So "the first one" after "BTM vs BTS" is BTM; naming both makes it a confident answer."""
    for question, first in (("BTM vs BTS, whats the diff", "2208.03306"),
                            ("BTS vs BTM, whats the diff", "2502.00075")):  # fmt: skip
        answer = engine.ask(question)
        assert answer.citations[0].id == first and answer.confidence == "high"
    history = engine.replay(["BTM vs BTS, whats the diff"])
    assert engine.ask("when was the first one", history=history).citations[0].id == "2208.03306"
