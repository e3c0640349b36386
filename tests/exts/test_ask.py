"""Tests for bot.exts.ask: chat answers, where the bot answers, /ask, cooldown, no pings."""

from __future__ import annotations

import discord
import pytest
from discord import app_commands

from bot.config import Config
from bot.exts.ask import COOLING_DOWN, TOO_LONG, AskCog, UserCooldowns
from tests.helpers import (
    BART_ANSWER,
    BOT_ID,
    CHANNEL_ID,
    NO_PINGS,
    OTHER_CHANNEL_ID,
    OTHER_ID,
    FakeEngine,
    make_bot,
    make_interaction,
    make_kb,
    make_message,
    sent_embeds,
)


def _cog(**config: object) -> tuple[AskCog, FakeEngine]:
    engine = FakeEngine(make_kb())
    bot = make_bot(Config(**config), engine)  # type: ignore[arg-type]
    return AskCog(bot), engine


async def test_mention_gets_a_reply_with_the_answer_embed() -> None:
    """A mention is answered as a reply (no author ping) with the cited answer, typing shown."""
    cog, engine = _cog()
    message = make_message(cog.bot, f"<@{BOT_ID}> What is BART?", mentions=[BOT_ID])
    await cog.on_message(message)
    assert engine.questions == ["What is BART?"]
    message.channel.typing.assert_called_once_with()
    message.reply.assert_awaited_once()
    call = message.reply.await_args
    assert call.kwargs["mention_author"] is False
    assert call.kwargs["allowed_mentions"] == NO_PINGS
    [embed] = sent_embeds(call)
    assert embed.title == "What is BART?"
    assert embed.description == BART_ANSWER.text
    assert embed.fields[0].name == "Sources"


async def test_mention_markup_is_removed_from_the_question() -> None:
    """Nickname mentions, role and channel mentions and @here are not part of the question."""
    cog, engine = _cog()
    text = f"hey <@!{BOT_ID}> <@&42> <#7> @here kNN-LM?"
    await cog.on_message(make_message(cog.bot, text, mentions=[BOT_ID]))
    assert engine.questions == ["hey kNN-LM?"]


@pytest.mark.parametrize(
    ("content", "kwargs"),
    [
        ("What is BART?", {}),  # not addressed to the bot
        (f"<@{BOT_ID}> hi", {"author_bot": True, "mentions": [BOT_ID]}),  # another bot
        (f"<@{BOT_ID}> hi", {"author_id": BOT_ID, "mentions": [BOT_ID]}),  # itself
        ("@everyone what is BART?", {}),  # @everyone is not a mention of the bot
    ],
)
async def test_messages_not_for_the_bot_are_ignored(content: str, kwargs: dict) -> None:
    """Un-mentioned messages, bots, itself and @everyone get no answer."""
    cog, engine = _cog()
    message = make_message(cog.bot, content, **kwargs)
    await cog.on_message(message)
    assert engine.questions == []
    message.reply.assert_not_awaited()


async def test_dms_answered_only_when_enabled() -> None:
    """A DM is a question when DMs are on, and ignored when they are off."""
    cog, engine = _cog()
    await cog.on_message(make_message(cog.bot, "What is BART?", dm=True))
    assert engine.questions == ["What is BART?"]
    cog, engine = _cog(answer_dms=False)
    await cog.on_message(make_message(cog.bot, "What is BART?", dm=True))
    assert engine.questions == []


async def test_allow_list_limits_mentions_to_listed_channels() -> None:
    """With channels listed, a mention elsewhere is ignored and one in a listed channel answered."""
    cog, engine = _cog(channels=frozenset({CHANNEL_ID}))
    text = f"<@{BOT_ID}> What is BART?"
    await cog.on_message(
        make_message(cog.bot, text, mentions=[BOT_ID], channel_id=OTHER_CHANNEL_ID)
    )
    assert engine.questions == []
    await cog.on_message(make_message(cog.bot, text, mentions=[BOT_ID], channel_id=CHANNEL_ID))
    assert engine.questions == ["What is BART?"]


async def test_every_message_mode_answers_unmentioned_in_listed_channels_only() -> None:
    """In every-message mode a plain message is answered in a listed channel, not elsewhere."""
    cog, engine = _cog(channels=frozenset({CHANNEL_ID}), answer_every_message=True)
    await cog.on_message(make_message(cog.bot, "What is BART?", channel_id=CHANNEL_ID))
    await cog.on_message(make_message(cog.bot, "Other?", channel_id=OTHER_CHANNEL_ID))
    assert engine.questions == ["What is BART?"]


async def test_too_long_question_is_refused_with_a_message() -> None:
    """A question over the configured length gets a short refusal, not an answer."""
    cog, engine = _cog(max_question_length=10)
    message = make_message(cog.bot, f"<@{BOT_ID}> " + "x" * 11, mentions=[BOT_ID])
    await cog.on_message(message)
    assert engine.questions == []
    message.reply.assert_awaited_once_with(
        TOO_LONG.format(length=11, limit=10), mention_author=False, allowed_mentions=NO_PINGS
    )
    assert message.reply.await_args.args[0] == (
        "That question is 11 characters long; please keep it under 10."
    )


async def test_bare_mention_gets_a_hint() -> None:
    """A mention with no question explains how to ask."""
    cog, _ = _cog()
    message = make_message(cog.bot, f"<@{BOT_ID}>", mentions=[BOT_ID])
    await cog.on_message(message)
    message.reply.assert_awaited_once_with(
        "Ask me a question about Mike Lewis's research, for example: “What is BART?”",
        mention_author=False,
        allowed_mentions=NO_PINGS,
    )


async def test_chat_cooldown_refuses_a_second_question() -> None:
    """A second question within the cooldown gets the wait time instead of an answer."""
    cog, engine = _cog(cooldown_seconds=30.0)
    cog.cooldowns = UserCooldowns(30.0, clock=iter([100.0, 105.0]).__next__)
    for _ in range(2):
        message = make_message(cog.bot, f"<@{BOT_ID}> BART?", mentions=[BOT_ID])
        await cog.on_message(message)
    assert engine.questions == ["BART?"]
    message.reply.assert_awaited_once_with(
        COOLING_DOWN.format(seconds=25), mention_author=False, allowed_mentions=NO_PINGS
    )


def test_user_cooldowns_are_per_user_and_expire() -> None:
    """Each user has a separate limit; after the period they may ask again; 0 disables it."""
    times = iter([0.0, 1.0, 2.0, 11.0])
    cooldowns = UserCooldowns(10.0, clock=lambda: next(times))
    assert cooldowns.retry_after(1) is None
    assert cooldowns.retry_after(1) == 9.0
    assert cooldowns.retry_after(2) is None
    assert cooldowns.retry_after(1) is None
    assert UserCooldowns(0).retry_after(1) is None


async def test_ask_command_cooldown_check_raises_on_cooldown() -> None:
    """The cog check lets the first /ask through and raises CommandOnCooldown for the second."""
    cog, _ = _cog(cooldown_seconds=60.0)
    itx = make_interaction(cog.bot)
    assert await cog.interaction_check(itx) is True
    with pytest.raises(app_commands.CommandOnCooldown) as info:
        await cog.interaction_check(itx)
    assert 59 < info.value.retry_after <= 60


async def test_ask_defers_with_thinking_then_follows_up() -> None:
    """/ask acknowledges at once (defer, thinking) and sends the answer as a followup."""
    cog, engine = _cog()
    itx = make_interaction(cog.bot)
    await cog.ask.callback(cog, itx, question="  What is BART? ")
    itx.response.defer.assert_awaited_once_with(thinking=True, ephemeral=False)
    itx.followup.send.assert_awaited_once()
    call = itx.followup.send.await_args
    assert call.kwargs["ephemeral"] is False
    assert call.kwargs["allowed_mentions"] == NO_PINGS
    assert sent_embeds(call)[0].description == BART_ANSWER.text
    assert engine.questions == ["What is BART?"]


async def test_ask_private_option_and_default() -> None:
    """private=True answers ephemerally; the config default applies when private is omitted."""
    cog, _ = _cog(ask_private_by_default=True)
    itx = make_interaction(cog.bot)
    await cog.ask.callback(cog, itx, question="BART?")
    itx.response.defer.assert_awaited_once_with(thinking=True, ephemeral=True)
    itx = make_interaction(cog.bot)
    await cog.ask.callback(cog, itx, question="BART?", private=False)
    itx.response.defer.assert_awaited_once_with(thinking=True, ephemeral=False)


async def test_ask_refuses_too_long_question_privately() -> None:
    """An over-long /ask question is refused privately before deferring."""
    cog, engine = _cog(max_question_length=5)
    itx = make_interaction(cog.bot)
    await cog.ask.callback(cog, itx, question="abcdefg")
    itx.response.send_message.assert_awaited_once_with(
        "That question is 7 characters long; please keep it under 5.",
        ephemeral=True,
        allowed_mentions=NO_PINGS,
    )
    itx.response.defer.assert_not_awaited()
    assert engine.questions == []


@pytest.mark.parametrize("question", ["@everyone what is BART?", "<@&123> what is BART?"])
async def test_question_with_mass_or_role_mention_never_pings(question: str) -> None:
    """The echoed question is defused and every send carries AllowedMentions.none()."""
    cog, _ = _cog()
    message = make_message(cog.bot, f"<@{BOT_ID}> {question}", mentions=[BOT_ID])
    await cog.on_message(message)
    call = message.reply.await_args
    assert call.kwargs["allowed_mentions"].to_dict() == {"parse": []}
    assert sent_embeds(call)[0].title == "what is BART?"
    itx = make_interaction(cog.bot, user_id=OTHER_ID)
    await cog.ask.callback(cog, itx, question=question)
    assert itx.followup.send.await_args.kwargs["allowed_mentions"].to_dict() == {"parse": []}
    assert cog.bot.allowed_mentions is not None
    assert cog.bot.allowed_mentions.to_dict() == {"parse": []}


async def test_chat_failure_is_logged_and_answered(caplog: pytest.LogCaptureFixture) -> None:
    """If answering raises, the user gets a short apology and the error is logged."""
    cog, engine = _cog()

    def boom(question: str) -> None:
        raise RuntimeError("index exploded")

    engine.ask = boom  # type: ignore[method-assign]
    message = make_message(cog.bot, f"<@{BOT_ID}> BART?", mentions=[BOT_ID])
    await cog.on_message(message)
    message.reply.assert_awaited_once_with(
        "Sorry, something went wrong while answering. The error was logged.",
        mention_author=False,
        allowed_mentions=NO_PINGS,
    )
    assert "failed to answer message 7777" in caplog.text
    assert isinstance(message.channel, discord.TextChannel)
