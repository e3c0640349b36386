"""Follow-ups in Discord: rebuild a conversation from the bot's own answer messages.

A reply to one of the bot's answers continues that answer's conversation. Its turns are read
back from the answers in the reply chain (each answer's title and small print, see
``embeds.answer_turn``), walking answer -> the question it replied to -> the answer that question
replied to, up to ``MAX_TURNS``. In a thread the bot opened, a question that mentions the bot
continues the thread: its turns are the answer the thread was opened on and the bot's latest
answers there. In a DM, a question continues the last few exchanges. Nothing is stored; a
deleted message simply ends the chain.
"""

from __future__ import annotations

import logging

import discord

from bot import embeds
from bot.core.conversation import MAX_TURNS
from bot.core.models import Turn

log = logging.getLogger(__name__)

THREAD_SCAN = 25  # messages read back in a thread to find the bot's latest answers
DM_SCAN = 2 * MAX_TURNS  # in a DM, only the last few questions and answers are the conversation


def replied_message(message: discord.Message) -> discord.Message | None:
    """The message ``message`` replies to, as far as the gateway and the cache know it.

    Discord sends a reply with the message it replies to (``referenced_message``); a deleted
    one arrives as ``DeletedReferencedMessage`` and counts as no message.
    """
    reference = message.reference
    if reference is None or reference.message_id is None:
        return None
    if isinstance(reference.resolved, discord.Message):
        return reference.resolved
    if isinstance(reference.resolved, discord.DeletedReferencedMessage):
        return None
    return reference.cached_message


async def fetch_replied(message: discord.Message) -> discord.Message | None:
    """The message ``message`` replies to, fetched when it is not at hand; None when gone."""
    known = replied_message(message)
    reference = message.reference
    if known is not None or reference is None or reference.message_id is None:
        return known
    if isinstance(reference.resolved, discord.DeletedReferencedMessage):
        return None
    if reference.channel_id != message.channel.id:
        return None  # a forward or a cross-channel reference is no conversation
    try:
        return await message.channel.fetch_message(reference.message_id)
    except discord.HTTPException as error:  # deleted, or no longer readable
        log.debug("reply chain ends at message %s: %s", reference.message_id, error)
        return None


def is_mine(message: discord.Message | None, me: discord.abc.User) -> bool:
    return message is not None and message.author.id == me.id


async def _answer_head(message: discord.Message, me: discord.abc.User) -> discord.Message:
    """The first message of the answer ``message`` belongs to (an answer's second message
    replies to its first, which carries the title and the small print)."""
    if embeds.answer_turn(message.embeds) is None:
        first = await fetch_replied(message)
        if first is not None and is_mine(first, me):
            return first
    return message


async def reply_chain_turns(
    answer: discord.Message, me: discord.abc.User, *, limit: int = MAX_TURNS
) -> list[Turn]:
    """The conversation that ends with the bot's ``answer``, oldest turn first."""
    turns: list[Turn] = []
    current: discord.Message | None = answer
    while current is not None and len(turns) < limit:
        head = await _answer_head(current, me)
        turn = embeds.answer_turn(head.embeds)
        if turn is None:
            break
        turns.append(turn)
        question = await fetch_replied(head)
        previous = await fetch_replied(question) if question is not None else None
        current = previous if is_mine(previous, me) else None
    return turns[::-1]


async def recent_turns(
    channel: discord.abc.Messageable,
    me: discord.abc.User,
    *,
    before: discord.Message,
    scan: int,
    limit: int = MAX_TURNS,
) -> list[Turn]:
    """The bot's latest answers among the ``scan`` messages before ``before``; oldest first."""
    turns: list[Turn] = []
    try:
        async for message in channel.history(limit=scan, before=before):
            turn = embeds.answer_turn(message.embeds) if is_mine(message, me) else None
            if turn is not None:
                turns.append(turn)
                if len(turns) == limit:
                    break
    except discord.HTTPException as error:
        log.warning(
            "could not read the recent messages of channel %s: %s", before.channel.id, error
        )
    return turns[::-1]


async def thread_turns(
    thread: discord.Thread,
    me: discord.abc.User,
    *,
    before: discord.Message,
    limit: int = MAX_TURNS,
) -> list[Turn]:
    """The bot's latest answers in a thread it opened, after its opening answer; oldest first."""
    turns = await recent_turns(thread, me, before=before, scan=THREAD_SCAN, limit=limit)
    if len(turns) < limit:
        starter = await _thread_starter(thread)
        turn = embeds.answer_turn(starter.embeds) if is_mine(starter, me) else None
        if turn is not None:
            turns.insert(0, turn)
    return turns


async def _thread_starter(thread: discord.Thread) -> discord.Message | None:
    """The message a thread was opened on: it shares the thread's id and lives in the parent."""
    if thread.starter_message is not None:
        return thread.starter_message
    parent = thread.parent
    if not isinstance(parent, discord.TextChannel):
        return None
    try:
        return await parent.fetch_message(thread.id)
    except discord.HTTPException:
        return None  # a thread opened without a message, or the message is gone
