"""Tests for bot.followups: which messages a conversation is rebuilt from, and when it stops."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any
from unittest.mock import AsyncMock, create_autospec

import discord

from bot import embeds
from bot.core.models import Turn
from bot.followups import reply_chain_turns
from tests.helpers import BART_ANSWER

ME = 1000
ASKER = 2000
CHANNEL = 5000


def _message(
    message_id: int,
    author: int,
    *,
    embeds_: Sequence[discord.Embed] = (),
    replies_to: Any = None,
) -> Any:
    message = create_autospec(discord.Message, instance=True, spec_set=True)
    message.id = message_id
    message.author = create_autospec(discord.Member, instance=True, spec_set=True)
    message.author.id = author
    message.embeds = list(embeds_)
    message.channel = create_autospec(discord.TextChannel, instance=True)
    message.channel.id = CHANNEL
    message.channel.fetch_message = AsyncMock()  # every reference below is resolved already
    if replies_to is None:
        message.reference = None
    else:
        message.reference = discord.MessageReference(message_id=replies_to.id, channel_id=CHANNEL)
        message.reference.resolved = replies_to
    return message


def _me() -> Any:
    user = create_autospec(discord.ClientUser, instance=True, spec_set=True)
    user.id = ME
    return user


async def test_a_reply_to_an_answers_second_message_finds_the_first() -> None:
    """An answer split in two: the second message replies to the first, which has the title."""
    answer = replace(BART_ANSWER, question="what is BART?")
    [part_one] = embeds.answer_messages(answer)
    question = _message(1, ASKER)
    first = _message(2, ME, embeds_=part_one, replies_to=question)
    sources_only = [discord.Embed(colour=embeds.ANSWER_COLOUR).add_field(name="Sources", value="…")]
    second = _message(3, ME, embeds_=sources_only, replies_to=first)
    turns = await reply_chain_turns(second, _me())
    assert turns == [Turn("what is BART?", tuple(c.id for c in answer.citations))]
    second.channel.fetch_message.assert_not_awaited()


async def test_the_chain_stops_at_a_message_that_is_not_the_bots_answer() -> None:
    earlier = replace(BART_ANSWER, question="what is BART?")
    later = replace(BART_ANSWER, question="who wrote it?", resolved="who wrote BART?")
    q1 = _message(1, ASKER)
    a1 = _message(2, ME, embeds_=embeds.answer_messages(earlier)[0], replies_to=q1)
    q2 = _message(3, ASKER, replies_to=a1)
    a2 = _message(4, ME, embeds_=embeds.answer_messages(later)[0], replies_to=q2)
    ids = tuple(c.id for c in BART_ANSWER.citations)
    assert await reply_chain_turns(a2, _me()) == [
        Turn("what is BART?", ids),
        Turn("who wrote BART?", ids),
    ]
    assert await reply_chain_turns(a2, _me(), limit=1) == [Turn("who wrote BART?", ids)]
    # Someone else's message in the middle ends the conversation there.
    a1.author.id = ASKER
    assert await reply_chain_turns(a2, _me()) == [Turn("who wrote BART?", ids)]
