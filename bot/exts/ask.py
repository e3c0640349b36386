"""Questions and answers: mentions, DMs and listed channels in chat, and ``/ask``."""

from __future__ import annotations

import asyncio
import logging
import math
import re
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands

from bot import embeds
from bot.client import place_allowed

if TYPE_CHECKING:
    from bot.client import QABot
    from bot.core.engine import Engine
    from bot.core.models import Answer

log = logging.getLogger(__name__)

EMPTY_QUESTION = "Ask me a question about {name}'s research, for example: “What is BART?”"
TOO_LONG = "That question is {length} characters long; please keep it under {limit}."
COOLING_DOWN = "Slow down a little: you can ask again in {seconds} s."
FAILED = "Sorry, something went wrong while answering. The error was logged."
_PRUNE_AT = 10_000  # forget old cooldown entries once this many users are tracked
_MARKUP = re.compile(r"<@[!&]?\d+>|<#\d+>|@(?:everyone|here)\b")


class UserCooldowns:
    """One question per ``per`` seconds per user, shared by chat and /ask."""

    def __init__(self, per: float, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.per = per
        self.clock = clock
        self._last: dict[int, float] = {}

    def retry_after(self, user_id: int) -> float | None:
        """Record a question now and return None, or return the seconds left to wait."""
        if self.per <= 0:
            return None
        now = self.clock()
        last = self._last.get(user_id)
        if last is not None and now - last < self.per:
            return self.per - (now - last)
        if len(self._last) >= _PRUNE_AT:
            self._last = {u: t for u, t in self._last.items() if now - t < self.per}
        self._last[user_id] = now
        return None


def clean_question(text: str) -> str:
    """Drop Discord mention markup (users, roles, channels, @everyone/@here) and extra spaces.

    It is never part of the question, and left in it only distracts the retriever.
    """
    return " ".join(_MARKUP.sub(" ", text).split())


def answer_as_messages(engine: Engine, question: str) -> tuple[Answer, list[list[discord.Embed]]]:
    """Answer ``question`` and lay the answer out as messages: blocking work for a thread.

    Both steps grow with the knowledge and the answer, so neither may run on the event loop.
    """
    answer = engine.ask(question)
    return answer, embeds.answer_messages(answer, notes=embeds.paper_notes(engine.kb))


def _seconds(wait: float) -> int:
    return max(1, math.ceil(wait))


class AskCog(commands.Cog):
    """Answer questions in chat (mentions, DMs, listed channels) and with /ask."""

    def __init__(self, bot: QABot) -> None:
        self.bot = bot
        self.cooldowns = UserCooldowns(bot.config.cooldown_seconds)

    # --- chat ------------------------------------------------------------------------------

    def question_from(self, message: discord.Message) -> str | None:
        """The question a message asks the bot, or None when the bot should stay silent."""
        config, me = self.bot.config, self.bot.user
        if message.author.bot or me is None or message.author.id == me.id:
            return None
        if isinstance(message.channel, discord.DMChannel):
            return clean_question(message.content) if config.answer_dms else None
        channel_id = message.channel.id
        if not place_allowed(
            config,
            in_guild=True,
            channel_id=channel_id,
            parent_id=getattr(message.channel, "parent_id", None),
        ):
            return None
        # message.mentions holds users only: @everyone and role mentions never count as asking.
        if config.answer_mentions and any(u.id == me.id for u in message.mentions):
            return clean_question(message.content)
        if config.answer_every_message and channel_id in config.channels:
            return clean_question(message.content)
        return None

    @commands.Cog.listener()
    async def on_message(self, message: discord.Message) -> None:
        """Answer a message addressed to the bot, as a reply that pings no one."""
        question = self.question_from(message)
        if question is None or self.bot.draining:  # shutting down: take no new question
            return
        try:
            with self.bot.in_flight():  # a shutdown lets this answer finish first
                await self._answer_message(message, question)
        except Exception:
            log.exception("failed to answer message %s", message.id)
            try:
                await self._reply(message, FAILED)
            except discord.HTTPException:
                log.warning("could not send the failure reply to message %s", message.id)

    async def _reply(self, message: discord.Message, text: str) -> None:
        await message.reply(
            text, mention_author=False, allowed_mentions=discord.AllowedMentions.none()
        )

    async def _answer_message(self, message: discord.Message, question: str) -> None:
        limit = self.bot.config.max_question_length
        if not question:
            await self._reply(
                message,
                EMPTY_QUESTION.format(name=embeds.plain_text(self.bot.engine.kb.profile.name)),
            )
            return
        if len(question) > limit:
            await self._reply(message, TOO_LONG.format(length=len(question), limit=limit))
            return
        wait = self.cooldowns.retry_after(message.author.id)
        if wait is not None:
            await self._reply(message, COOLING_DOWN.format(seconds=_seconds(wait)))
            return
        engine = self.bot.engine  # one snapshot: a /reload meanwhile does not mix two KBs
        async with message.channel.typing():
            answer, (first, *rest) = await asyncio.to_thread(answer_as_messages, engine, question)
        none = discord.AllowedMentions.none()
        await message.reply(embeds=first, mention_author=False, allowed_mentions=none)
        for extra in rest:
            await message.channel.send(embeds=extra, allowed_mentions=none)
        log.info(
            "replied to message %s from user %s (%s, %d sources)",
            message.id,
            message.author.id,
            "declined" if answer.declined else "answered",
            len(answer.citations),
        )

    # --- /ask ------------------------------------------------------------------------------

    async def interaction_check(self, interaction: discord.Interaction[Any], /) -> bool:
        """Apply the per-user cooldown to /ask (the same one chat questions use)."""
        wait = self.cooldowns.retry_after(interaction.user.id)
        if wait is not None:
            cooldown = app_commands.Cooldown(1, self.cooldowns.per)
            raise app_commands.CommandOnCooldown(cooldown, wait)
        return True

    @app_commands.command()
    @app_commands.describe(
        question="What you want to know about his research",
        private="Only you see the answer (default: the server's setting)",
    )
    async def ask(
        self, interaction: discord.Interaction[Any], question: str, private: bool | None = None
    ) -> None:
        """Ask a question about Mike Lewis's research; the answer cites its sources."""
        config = self.bot.config
        ephemeral = config.ask_private_by_default if private is None else private
        question = clean_question(question)
        none = discord.AllowedMentions.none()
        if not question:
            text = EMPTY_QUESTION.format(name=embeds.plain_text(self.bot.engine.kb.profile.name))
            await interaction.response.send_message(text, ephemeral=True, allowed_mentions=none)
            return
        if len(question) > config.max_question_length:
            text = TOO_LONG.format(length=len(question), limit=config.max_question_length)
            await interaction.response.send_message(text, ephemeral=True, allowed_mentions=none)
            return
        # Answering may take longer than Discord's 3-second window: acknowledge first.
        await interaction.response.defer(thinking=True, ephemeral=ephemeral)
        with self.bot.in_flight():  # a shutdown lets this answer finish first
            _, messages = await asyncio.to_thread(answer_as_messages, self.bot.engine, question)
            for message in messages:
                await interaction.followup.send(
                    embeds=message, ephemeral=ephemeral, allowed_mentions=none
                )


async def setup(bot: QABot) -> None:
    """Load the cog (discord.py extension entry point)."""
    await bot.add_cog(AskCog(bot))
