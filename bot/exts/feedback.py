"""Feedback on answers: 👍/👎 under every logged answer, still working after a restart.

The buttons are discord.py dynamic items: the answer's question id is in each ``custom_id``, so
any running bot can handle a press on any old answer, ephemeral ones included. After 👎 a modal
asks, optionally, what was wrong. The cog also purges old rows at start and once a day.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from typing import TYPE_CHECKING, Any

import discord
from discord.ext import commands, tasks

from bot.core.curation import CitedSource, QuestionRecord
from bot.core.models import Answer
from bot.store import MAX_REASON_LENGTH, VoteOutcome

if TYPE_CHECKING:
    from bot.client import QABot

log = logging.getLogger(__name__)

VOTE_ID = re.compile(r"vote:(?P<vote>up|down):(?P<question>[0-9]{1,20})")
VOTES = {"up": 1, "down": -1}
EMOJI = {"up": "👍", "down": "👎"}
# Discord wants a response within 3 s; a vote that takes longer (a locked file) still lands later.
VOTE_WAIT_SECONDS = 2.0
REASON_TIMEOUT = 15 * 60.0  # how long an unanswered "what was wrong?" modal is kept

THANKS_UP = "Thanks for the 👍!"
CHANGED = "Changed your vote to {emoji}."
SAME_UP = "You already gave this answer a 👍."
THANKS_DOWN = "Thanks for the 👎."
THANKS_REASON = "Thanks, noted. It helps whoever keeps the knowledge up to date."
UNKNOWN_ANSWER = "I no longer keep a record of this answer, so I can't count a vote on it."
NOT_SAVED = "Thanks! I couldn't save that just now; please try again later."
FEEDBACK_OFF = "Feedback isn't being recorded on this bot at the moment."
FEEDBACK_FAILED = "Sorry, something went wrong recording that."


async def _reply(interaction: discord.Interaction[Any], text: str) -> None:
    none = discord.AllowedMentions.none()
    if interaction.response.is_done():
        await interaction.followup.send(text, ephemeral=True, allowed_mentions=none)
    else:
        await interaction.response.send_message(text, ephemeral=True, allowed_mentions=none)


def answer_record(
    answer: Answer,
    *,
    question_id: int,
    guild_id: int | None,
    channel_id: int | None,
    interface: str,
    started: float,
) -> QuestionRecord:
    """What the log keeps about one answer; ``started`` is when the question came in
    (``time.perf_counter()``), so the latency is the bot's own time to an answer."""
    latency = time.perf_counter() - started
    return QuestionRecord(
        id=question_id,
        asked_at=time.time() - latency,
        guild_id=guild_id,
        channel_id=channel_id,
        interface=interface,
        question=answer.question,
        resolved=answer.resolved,
        declined=answer.declined,
        confidence=None if answer.declined else answer.confidence,
        cited=tuple(CitedSource(c.kind, c.id) for c in answer.citations),
        latency_ms=latency * 1000,
    )


def log_answer(
    bot: QABot,
    answer: Answer,
    *,
    question_id: int,
    user_id: int,
    guild_id: int | None,
    channel_id: int | None,
    interface: str,
    started: float,
) -> discord.ui.View:
    """Queue the answer for the log and return the 👍/👎 buttons to send under it.

    Returns ``discord.utils.MISSING`` (send no view) when logging is off, since a vote needs a
    logged answer. Never waits for the database. ``interface`` is a key of
    ``bot.core.curation.INTERFACES``.
    """
    recorder = bot.recorder
    if recorder is None or not recorder.log_questions:
        return discord.utils.MISSING
    record = answer_record(
        answer,
        question_id=question_id,
        guild_id=guild_id,
        channel_id=channel_id,
        interface=interface,
        started=started,
    )
    if not recorder.record_question(record, user_id=user_id):
        return discord.utils.MISSING
    return feedback_view(question_id)


def feedback_view(question_id: int) -> discord.ui.View:
    """The 👍/👎 row under one answer."""
    view = discord.ui.View(timeout=None)
    view.add_item(VoteButton(question_id, "up"))
    view.add_item(VoteButton(question_id, "down"))
    return view


class VoteButton(discord.ui.DynamicItem[discord.ui.Button[discord.ui.View]], template=VOTE_ID):
    """👍 or 👎 on one answer; anyone who can see the answer may vote once, and change it."""

    def __init__(self, question_id: int, vote: str) -> None:
        super().__init__(
            discord.ui.Button(
                style=discord.ButtonStyle.secondary,
                emoji=EMOJI[vote],
                custom_id=f"vote:{vote}:{question_id}",
            )
        )
        self.question_id = question_id
        self.vote = vote

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction[Any],
        item: discord.ui.Item[Any],
        match: re.Match[str],
        /,
    ) -> VoteButton:
        """Rebuild the button from a press, on any bot process (dynamic items are persistent)."""
        return cls(int(match["question"]), match["vote"])

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        """Record the vote and reply privately; 👎 opens the optional "what was wrong?" modal."""
        try:
            await self._vote(interaction)
        except Exception:
            # discord.py would only log it; the voter should hear that it did not work.
            log.exception("vote on question %s failed", self.question_id)
            try:
                await _reply(interaction, FEEDBACK_FAILED)
            except discord.HTTPException:
                log.warning("could not tell user %s that the vote failed", interaction.user.id)

    async def _vote(self, interaction: discord.Interaction[Any]) -> None:
        recorder = interaction.client.recorder
        if recorder is None or not recorder.log_questions:
            await _reply(interaction, FEEDBACK_OFF)
            return
        pending = asyncio.ensure_future(
            recorder.vote(self.question_id, interaction.user.id, VOTES[self.vote])
        )
        try:
            outcome = await asyncio.wait_for(asyncio.shield(pending), VOTE_WAIT_SECONDS)
        except TimeoutError:
            # Still queued behind a slow file: it will most likely land. Answer now.
            log.info("vote on question %s is still being written", self.question_id)
            outcome = VoteOutcome.NEW
        if outcome is None:
            await _reply(interaction, NOT_SAVED)
        elif outcome is VoteOutcome.UNKNOWN_ANSWER:
            await _reply(interaction, UNKNOWN_ANSWER)
        elif self.vote == "down":
            # The modal is the reply; closing it keeps the vote.
            await interaction.response.send_modal(ReasonModal(self.question_id))
        elif outcome is VoteOutcome.CHANGED:
            await _reply(interaction, CHANGED.format(emoji=EMOJI[self.vote]))
        elif outcome is VoteOutcome.SAME:
            await _reply(interaction, SAME_UP)
        else:
            await _reply(interaction, THANKS_UP)


class ReasonModal(discord.ui.Modal, title="What was wrong? (optional)"):
    """Asks a 👎 voter what was wrong, in at most 200 characters; empty is fine."""

    reason: discord.ui.TextInput[ReasonModal] = discord.ui.TextInput(
        label="What was wrong with the answer?",
        style=discord.TextStyle.paragraph,
        placeholder="For example: it cited the wrong paper, or missed his newest one.",
        required=False,
        max_length=MAX_REASON_LENGTH,
    )

    def __init__(self, question_id: int) -> None:
        super().__init__(timeout=REASON_TIMEOUT)
        self.question_id = question_id

    async def on_submit(self, interaction: discord.Interaction[Any], /) -> None:
        """Store the reason with the voter's 👎 and thank them privately."""
        text = " ".join(self.reason.value.split())
        recorder = interaction.client.recorder
        if not text or recorder is None:
            await _reply(interaction, THANKS_DOWN)
            return
        saved = await recorder.reason(self.question_id, interaction.user.id, text)
        await _reply(interaction, THANKS_REASON if saved else NOT_SAVED)

    async def on_error(self, interaction: discord.Interaction[Any], error: Exception, /) -> None:
        """Log the failure and tell the voter privately."""
        log.exception("saving the reason for question %s failed", self.question_id, exc_info=error)
        await _reply(interaction, FEEDBACK_FAILED)


class FeedbackCog(commands.Cog):
    """Handle 👍/👎 presses on any answer, and purge rows past the retention period daily."""

    def __init__(self, bot: QABot) -> None:
        self.bot = bot

    async def cog_load(self) -> None:
        """Register the buttons (so presses on old answers work) and start the daily purge."""
        self.bot.add_dynamic_items(VoteButton)
        if self.bot.recorder is not None:
            self.purge_old_questions.start()

    async def cog_unload(self) -> None:
        """Stop handling presses and stop the purge."""
        self.bot.remove_dynamic_items(VoteButton)
        self.purge_old_questions.cancel()

    @tasks.loop(hours=24)
    async def purge_old_questions(self) -> None:
        """Delete questions older than retention_days; the first run is at start."""
        recorder = self.bot.recorder
        if recorder is None:
            return
        deleted = await recorder.purge()
        if deleted:
            log.info(
                "deleted %d questions older than %d days from %s",
                deleted,
                recorder.retention_days,
                recorder.path,
            )


async def setup(bot: QABot) -> None:
    """Load the cog (discord.py extension entry point)."""
    await bot.add_cog(FeedbackCog(bot))
