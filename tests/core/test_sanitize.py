"""Invisible, control and bidi characters leave questions before matching and before echoing."""

from __future__ import annotations

import pytest

from bot.core.engine import Engine
from bot.core.models import KnowledgeBase
from bot.core.sanitize import clean_text, quoted


@pytest.fixture(scope="module")
def engine(kb: KnowledgeBase) -> Engine:
    """The engine over the shipped knowledge."""
    return Engine.build(kb)


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("What is BART?", "What is BART?"),
        ("B\u200bART", "BART"),  # zero-width space
        ("B\u200c\u200dA\u2060R\ufeffT", "BART"),  # joiners, word joiner, BOM
        ("\u202eTRAB\u202c is what?", "TRAB is what?"),  # right-to-left override, pop
        ("\u2067BART\u2069", "BART"),  # isolates
        ("pre\u00adtraining", "pretraining"),  # soft hyphen
        ("BART\U000e0041\U000e0042", "BART"),  # invisible tag characters
        ("what\x00is\x07 BART\r\n", "what is BART"),  # controls become spaces
        ("one\u2028two\u2029three", "one two three"),  # line and paragraph separators
        ("\udcff\udcfe bad", "\ufffd\ufffd bad"),  # bytes that were not UTF-8 (PEP 383)
        ("  kNN-LM\t\tpaper  ", "kNN-LM paper"),
        ("東京 Ελληνικά é 🙂", "東京 Ελληνικά é 🙂"),  # visible text is kept as it is
    ],
)
def test_clean_text(raw: str, clean: str) -> None:
    """Each kind of invisible character is dropped (or spaced), visible text is untouched."""
    assert clean_text(raw) == clean


def test_quoted_keeps_short_values_and_cuts_long_ones() -> None:
    """Up to 80 characters are quoted whole; longer values by their start and length."""
    assert quoted("abc") == "'abc'"
    assert quoted("x" * 80) == repr("x" * 80)
    assert quoted("y" * 900_000) == f"'{'y' * 80}'… (900,000 characters)"


@pytest.mark.parametrize(
    "question",
    [
        "What is B\u200bART?",
        "What is \u2066BART\u2069?",
        "What is BA\u00adRT?",
        "What\x00 is BART?",
        "What is BART?\u200f",
    ],
)
def test_hidden_characters_do_not_change_the_answer(engine: Engine, question: str) -> None:
    """A question with hidden characters is answered exactly as its visible text is."""
    answer = engine.ask(question)
    plain = engine.ask("What is BART?")
    assert not answer.declined
    assert answer.question == "What is BART?"  # the echo carries no hidden characters either
    assert (answer.text, answer.citations) == (plain.text, plain.citations)


def test_paper_lookups_ignore_hidden_characters(engine: Engine) -> None:
    """/paper and its autocomplete resolve a name typed with a zero-width space."""
    assert engine.resolve_paper("B\u200bART") == engine.resolve_paper("BART")
    assert engine.find_papers("kNN\u200b-LM", limit=1) == engine.find_papers("kNN-LM", limit=1)
