"""Questions and answers: mentions, DMs and listed channels in chat, and ``/ask``."""

from __future__ import annotations

import logging
import math
import re
import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands

from bot import embeds
from bot.client import place_allowed
from bot.exts.feedback import log_answer
from bot.followups import (
    DM_SCAN,
    is_mine,
    recent_turns,
    replied_message,
    reply_chain_turns,
    thread_turns,
)

if TYPE_CHECKING:
    from bot.client import QABot
    from bot.core.engine import Engine
    from bot.core.models import Answer, Turn

log = logging.getLogger(__name__)

EMPTY_QUESTION = "Ask me a question about {name}'s research, for example: “{example}”"
# The /ask description names the researcher of the profile (see ``embeds.command_description``).
ASK_DESCRIPTION = "Ask a question about {whose} research; the answer cites its sources."
TOO_LONG = "That question is {length} characters long; please keep it under {limit}."
COOLING_DOWN = "Slow down a little: you can ask again in {seconds} s."
FAILED = "Sorry, something went wrong while answering. The error was logged."
# Without the Message Content intent Discord sends an empty text for a reply that does not
# @mention the bot (the reply's "@ ON" switched off).
NO_CONTENT = (
    "I could not read that message: Discord only shows me messages that @mention me. "
    "Reply with the mention switched on, mention me, or use /ask."
)
THREAD_NAME_LIMIT = 100  # Discord's limit for a thread name
NO_THREAD = "The answer could not open a thread here ({reason}); ask in a server channel instead."
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


def answer_as_messages(
    engine: Engine, question: str, history: Sequence[Turn] = ()
) -> tuple[Answer, list[list[discord.Embed]]]:
    """Answer ``question`` and lay the answer out as messages: blocking work for a thread.

    Both steps grow with the knowledge and the answer, so neither may run on the event loop.
    """
    answer = engine.ask(question, history=history)
    return answer, embeds.answer_messages(answer)


def _seconds(wait: float) -> int:
    return max(1, math.ceil(wait))


class AskCog(commands.Cog):
    """Answer questions in chat (mentions, DMs, listed channels) and with /ask."""

    def __init__(self, bot: QABot) -> None:
        self.bot = bot
        self.cooldowns = UserCooldowns(bot.config.cooldown_seconds)
        name = bot.engine.kb.profile.name
        self.ask.description = embeds.command_description(ASK_DESCRIPTION, name)

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
        if config.answer_replies and is_mine(replied_message(message), me):
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

    def _interface(self, message: discord.Message, history: list[Turn]) -> str:
        """How a chat question reached the bot, for the question log."""
        if history:
            return "follow-up"
        if isinstance(message.channel, discord.DMChannel):
            return "dm"
        me = self.bot.user
        if me is not None and any(u.id == me.id for u in message.mentions):
            return "mention"
        return "channel"

    async def _history(self, message: discord.Message) -> list[Turn]:
        """The earlier turns a chat question continues: the answer it replies to and the reply
        chain above it; in a thread the bot opened, or a DM, the bot's latest answers there."""
        me = self.bot.user
        if me is None:
            return []
        replied = replied_message(message)
        if is_mine(replied, me):
            assert replied is not None
            return await reply_chain_turns(replied, me)
        channel = message.channel
        if replied is not None:  # a reply to someone else's message is no follow-up of the bot
            return []
        if isinstance(channel, discord.Thread) and channel.owner_id == me.id:
            return await thread_turns(channel, me, before=message)
        if isinstance(channel, discord.DMChannel):
            return await recent_turns(channel, me, before=message, scan=DM_SCAN)
        return []

    def _unreadable(self, message: discord.Message) -> bool:
        """Whether an empty question is Discord hiding the text (no Message Content intent)."""
        me = self.bot.user
        return (
            not self.bot.intents.message_content
            and message.guild is not None
            and not message.content
            and not (me is not None and any(u.id == me.id for u in message.mentions))
        )

    async def _answer_message(
        self, message: discord.Message, question: str, *, interface: str | None = None
    ) -> None:
        """Answer one chat question; ``interface`` overrides how it is logged ("follow-up")."""
        started = time.perf_counter()
        limit = self.bot.config.max_question_length
        if not question:
            unreadable = self._unreadable(message)
            await self._reply(message, NO_CONTENT if unreadable else self._empty_question())
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
            history = await self._history(message)
            answer, (first, *rest) = await self.bot.run_core(
                answer_as_messages, engine, question, history
            )
        view = log_answer(
            self.bot,
            answer,
            question_id=message.id,
            user_id=message.author.id,
            guild_id=message.guild.id if message.guild else None,
            channel_id=message.channel.id,
            interface=interface or self._interface(message, history),
            started=started,
        )
        none = discord.AllowedMentions.none()
        # The 👍/👎 buttons go under the last message of the answer. Each further message replies
        # to the first, so a reply to any part of the answer finds its title and small print.
        sent = await message.reply(
            embeds=first,
            mention_author=False,
            allowed_mentions=none,
            view=discord.utils.MISSING if rest else view,
        )
        for n, extra in enumerate(rest, start=1):
            last = n == len(rest)
            await sent.reply(
                embeds=extra,
                mention_author=False,
                allowed_mentions=none,
                view=view if last else discord.utils.MISSING,
            )
        log.info(
            "replied to message %s from user %s (%s, %d sources)",
            message.id,
            message.author.id,
            "declined" if answer.declined else "answered",
            len(answer.citations),
        )

    def _empty_question(self) -> str:
        kb = self.bot.engine.kb
        return EMPTY_QUESTION.format(
            name=embeds.plain_text(kb.profile.name), example=embeds.example_question(kb)
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
        question="What you want to know about the research",
        private="Only you see the answer (default: the server's setting)",
        thread="Open a thread on the answer for follow-up questions",
    )
    async def ask(
        self,
        interaction: discord.Interaction[Any],
        question: str,
        private: bool | None = None,
        thread: bool = False,
    ) -> None:
        """Ask a question about the researcher's work; the answer cites its sources."""
        started = time.perf_counter()
        config = self.bot.config
        ephemeral = config.ask_private_by_default if private is None else private
        question = clean_question(question)
        none = discord.AllowedMentions.none()
        if not question:
            text = self._empty_question()
            await interaction.response.send_message(text, ephemeral=True, allowed_mentions=none)
            return
        if len(question) > config.max_question_length:
            text = TOO_LONG.format(length=len(question), limit=config.max_question_length)
            await interaction.response.send_message(text, ephemeral=True, allowed_mentions=none)
            return
        # Answering may take longer than Discord's 3-second window: acknowledge first.
        await interaction.response.defer(thinking=True, ephemeral=ephemeral)
        with self.bot.in_flight():  # a shutdown lets this answer finish first
            answer, messages = await self.bot.run_core(
                answer_as_messages, self.bot.engine, question
            )
            view = log_answer(
                self.bot,
                answer,
                question_id=interaction.id,
                user_id=interaction.user.id,
                guild_id=interaction.guild_id,
                channel_id=interaction.channel_id,
                interface="ask",
                started=started,
            )
            first: discord.WebhookMessage | None = None
            for n, message in enumerate(messages, start=1):
                sent = await interaction.followup.send(
                    embeds=message,
                    ephemeral=ephemeral,
                    allowed_mentions=none,
                    view=view if n == len(messages) else discord.utils.MISSING,
                    wait=True,
                )
                first = first or sent
            if thread and first is not None:
                problem = _thread_refusal(interaction, ephemeral=ephemeral)
                channel = interaction.channel
                if not problem and isinstance(channel, discord.TextChannel):
                    problem = await _open_thread(channel, first, question)
                if problem:
                    text = NO_THREAD.format(reason=problem)
                    await interaction.followup.send(text, ephemeral=True, allowed_mentions=none)


def _thread_refusal(interaction: discord.Interaction[Any], *, ephemeral: bool) -> str:
    """Why an /ask answer cannot open a thread here, or "" when it can."""
    if ephemeral:
        return "a private answer cannot have one"
    if interaction.guild is None:
        return "threads exist only in servers"
    if not isinstance(interaction.channel, discord.TextChannel):
        return "this channel cannot hold threads"
    return ""


async def _open_thread(channel: discord.TextChannel, answer: discord.Message, question: str) -> str:
    """Open a public thread on ``answer``, named after the question; "" or what went wrong."""
    name = embeds.truncate(question, THREAD_NAME_LIMIT)
    try:
        await channel.create_thread(name=name, message=answer)
    except discord.Forbidden:
        return "the bot may not create threads in this channel"
    except discord.HTTPException as error:
        log.warning("could not open a thread on message %s: %s", answer.id, error)
        return "Discord refused"
    return ""


async def setup(bot: QABot) -> None:
    """Load the cog (discord.py extension entry point)."""
    await bot.add_cog(AskCog(bot))
