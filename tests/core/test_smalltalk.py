"""Tests for bot.core.smalltalk and its answers: thanks and greetings are not questions."""

from __future__ import annotations

import pytest

from bot.core.engine import Engine, turn_of
from bot.core.smalltalk import SmallTalk, small_talk


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("thanks!", SmallTalk.THANKS),
        ("Thank you so much 🙏", SmallTalk.THANKS),
        ("great, thx", SmallTalk.THANKS),
        ("hi", SmallTalk.GREETING),
        ("Good morning everyone", SmallTalk.GREETING),
        ("bye!", SmallTalk.GOODBYE),
        ("see you", SmallTalk.GOODBYE),
        ("ok cool", SmallTalk.ACKNOWLEDGEMENT),
        ("got it, makes sense", SmallTalk.ACKNOWLEDGEMENT),
        ("👍", SmallTalk.ACKNOWLEDGEMENT),
    ],
)
def test_small_talk_is_recognised(text: str, kind: SmallTalk) -> None:
    assert small_talk(text) is kind


@pytest.mark.parametrize(
    "text",
    [
        "",
        "?",
        "thanks, who wrote it?",
        "hi, what is BART",
        "cool paper on retrieval",
        "is it good",
        "nice work on Llama 3",
        "ok ok ok ok ok ok ok ok ok",  # long: a question, whatever its words
    ],
)
def test_questions_are_not_small_talk(text: str) -> None:
    assert small_talk(text) is None


def test_thanks_after_an_answer_is_not_read_as_a_follow_up(engine: Engine) -> None:
    first = engine.ask("what is BART?")
    thanks = engine.ask("ok cool, thanks!", history=[turn_of(first)])
    assert thanks.declined and thanks.citations == () and thanks.resolved == ""
    assert thanks.text.startswith("You're welcome!")
    hello = engine.ask("hello")
    assert engine.kb.profile.name in hello.text and hello.declined
