"""Question understanding: one Query per question, an intent from one table, names from the
profile."""

from __future__ import annotations

import pytest

from bot.core.engine import Engine
from bot.core.query import Cue, Intent, IntentTable, person_words

TABLE = IntentTable.build(person_words("Mike Lewis", "@ml_perception"))

# (question as typed, intent, aspects): the table's rows, each in several wordings.
INTENTS = [
    ("where is he based", Intent.PROFILE, ("location",)),
    ("which city is he in?", Intent.PROFILE, ("location",)),
    ("where does mike lewis live", Intent.PROFILE, ("location",)),
    ("when did he join x", Intent.PROFILE, ("joined",)),
    ("how long has @ml_perception been on X?", Intent.PROFILE, ("joined",)),
    ("how many followers does he have", Intent.PROFILE, ("counts",)),
    ("roughly how many times has he posted on there", Intent.PROFILE, ("counts",)),
    ("what's his twitter handle", Intent.PROFILE, ("handle",)),
    ("who is mike lewis?", Intent.PROFILE, ("bio",)),
    ("what is he known for", Intent.PROFILE, ("bio",)),
    ("who wrote the BART paper?", Intent.PAPER_FACT, ("authors",)),
    ("who else worked on it", Intent.PAPER_FACT, ("authors",)),
    ("where was ALiBi published?", Intent.PAPER_FACT, ("venue",)),
    ("what day did the attention sinks paper hit arxiv?", Intent.PAPER_FACT, ("date",)),
    ("when and where did mbart come out", Intent.PAPER_FACT, ("venue", "date")),
    ("link to the lima paper pls", Intent.PAPER_FACT, ("link",)),
    ("kNN-LM vs kNN-MT", Intent.COMPARE, ("both",)),
    ("what's the difference between BTM and BTS", Intent.COMPARE, ("both",)),
    ("what did he say about peer review?", Intent.OPINION, ("posts",)),
    ("what does he think about small llms", Intent.OPINION, ("posts",)),
    ("what is BART?", Intent.TOPIC, ("",)),
]


@pytest.mark.parametrize(("question", "intent", "aspects"), INTENTS)
def test_intent_table(engine: Engine, question: str, intent: Intent, aspects: tuple[str]) -> None:
    """Each row of the intent table catches its wordings, and only the first matching intent
    counts."""
    query = engine.understand(question)
    assert (query.intent, query.aspects) == (intent, aspects)


@pytest.mark.parametrize(
    "question",
    [
        "who did the follow-up on contrastive decoding with him",  # "follow-up", not followers
        "what did he post when Llama 3 came out?",  # about a post, not a paper's date
        "where are the posts about Diplomacy?",  # not his location
    ],
)
def test_intent_table_does_not_misread(engine: Engine, question: str) -> None:
    """Words that look like a profile or record cue in another sense do not trigger it."""
    query = engine.understand(question)
    assert query.intent not in (Intent.PROFILE, Intent.PAPER_FACT) or query.aspect == "authors"


def test_person_words_come_from_the_profile() -> None:
    """His names and handle, casefolded; a two-letter name part is not a word of his."""
    assert person_words("Mike Lewis", "@ml_perception") == [
        "mike",
        "lewis",
        "ml_perception",
        "perception",
    ]
    table = IntentTable.build(person_words("Ada Lovelace", "@ada"))
    assert table.classify("where is lovelace based")[0] is Intent.PROFILE
    assert table.classify("where is lewis based")[0] is not Intent.PROFILE


def test_query_holds_everything_later_stages_read(engine: Engine) -> None:
    """Normalised text, years, cues, the papers named, typo corrections and the counted unit."""
    query = engine.understand("How many tokens did the Lory paper from 2024 use?")
    assert query.normalized.startswith("how many tokens")
    assert query.years == (2024,)
    assert query.has(Cue.NUMBER) and not query.has(Cue.DEFINITION)
    assert query.named == {"2405.03133"}
    assert query.unit == "token"
    typo = engine.understand("attension sinks")
    attention = next(w for w in typo.words if w.surface == "attension")
    assert attention.corrected and not attention.exact and attention.terms


def test_his_own_names_carry_no_information(engine: Engine) -> None:
    """ "mike lewis" in a question is not a word to match: every paper has him as an author."""
    words = {w.surface for w in engine.understand("what did mike lewis write about bytes").words}
    assert words == {"bytes"}


def test_synonyms_from_the_knowledge_expand_words(engine: Engine) -> None:
    """knowledge/synonyms.yaml's "language model" = "LM": the word gains the LM term."""
    query = engine.understand("a nearest neighbour language model")
    language = next(w for w in query.words if w.surface == "language")
    lm_row = engine.retriever.term_row("lm")
    assert any(row == lm_row for row, _ in language.terms)


def test_slang_and_filler_are_not_content(engine: Engine) -> None:
    """ "eli5", "tbh", "pls", "u" say how someone asks, not what about."""
    words = {w.surface for w in engine.understand("eli5 contrastive decoding pls tbh u").words}
    assert words == {"contrastive", "decoding"}
