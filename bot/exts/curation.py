"""What admins learn from the question log: ``/unanswered`` and ``/stats``, both private.

Both use /reload's admin check and show only the questions asked in the server they are run in:
a server's admins never see questions asked elsewhere or in DMs (``python -m bot report`` at the
terminal shows everything).
"""

from __future__ import annotations

import asyncio
import io
import logging
import time
from functools import partial
from typing import TYPE_CHECKING, Any, TypeVar

import discord
from discord import app_commands
from discord.ext import commands

from bot import embeds
from bot.charts import CHART_FILENAME, questions_chart
from bot.core.curation import MAX_REPORT_DAYS, Report, build_report, window_start
from bot.core.pages import paginate
from bot.exts.admin import is_admin
from bot.views import PageView

if TYPE_CHECKING:
    from bot.client import QABot

log = logging.getLogger(__name__)

T = TypeVar("T")

PER_PAGE = 5
DEFAULT_DAYS = 30
CHART_MIN_DAYS = 4  # for fewer days the numbers read better than bars
SCOPE = "This server only"
NO_LOG = "This bot runs without a question log, so there is nothing to show."
LOG_FAILED = "I couldn't read the question log just now; the problem was logged."
NOTHING_UNANSWERED = (
    "Nothing to look at: no declined, low-confidence or 👎 questions here in the last {period}."
)
LOGGING_OFF = "Logging is off (log_questions: false): nothing new is being recorded."


def _admin_report(callback: T) -> T:
    """/reload's two-layer admin gate (hidden by default, checked when run), server only, and
    the ``days`` option's description."""
    for decorate in (
        app_commands.describe(days=f"How many days back to look (default {DEFAULT_DAYS})"),
        app_commands.check(is_admin),
        app_commands.default_permissions(administrator=True),
        app_commands.guild_only(),
    ):
        callback = decorate(callback)
    return callback


def _period(days: int) -> str:
    """ "day" or "30 days", as in "in the last 30 days"."""
    return "day" if days == 1 else f"{days} days"


class CurationCog(commands.Cog):
    """Show admins the questions the bot could not answer well, and how it is used."""

    def __init__(self, bot: QABot) -> None:
        self.bot = bot

    async def _report(self, interaction: discord.Interaction[Any], days: int) -> Report | None:
        """This server's report for the last ``days`` UTC days, acknowledged privately first.

        None after telling the admin why there is none (no log, or it could not be read).
        """
        recorder = self.bot.recorder
        if recorder is None:
            await interaction.response.send_message(
                NO_LOG, ephemeral=True, allowed_mentions=discord.AllowedMentions.none()
            )
            return None
        # Reading and grouping may take a moment: acknowledge within Discord's 3 seconds.
        await interaction.response.defer(ephemeral=True, thinking=True)
        now = time.time()
        since = window_start(now, days)
        records = await recorder.questions(since=since, guild_id=interaction.guild_id)
        if records is None:
            await self._send(interaction, content=LOG_FAILED)
            return None
        # Grouping compares every unanswered question with the groups so far: off the loop.
        return await asyncio.to_thread(build_report, records, since=since, until=now, days=days)

    async def _send(self, interaction: discord.Interaction[Any], **kwargs: Any) -> None:
        recorder = self.bot.recorder
        if recorder is not None and not recorder.log_questions and "content" not in kwargs:
            kwargs["content"] = LOGGING_OFF
        await interaction.followup.send(
            ephemeral=True, allowed_mentions=discord.AllowedMentions.none(), **kwargs
        )

    @app_commands.command()
    @_admin_report
    async def unanswered(
        self,
        interaction: discord.Interaction[Any],
        days: app_commands.Range[int, 1, MAX_REPORT_DAYS] = DEFAULT_DAYS,
    ) -> None:
        """Questions the bot declined, was unsure of or got 👎 for, grouped (admins only)."""
        report = await self._report(interaction, days)
        if report is None:
            return
        groups = report.unanswered
        if not groups:
            await self._send(interaction, content=NOTHING_UNANSWERED.format(period=_period(days)))
            return
        pages = paginate(groups, PER_PAGE)
        render = partial(
            embeds.unanswered_page_embed,
            days=days,
            groups=len(groups),
            questions=sum(g.count for g in groups),
            per_page=PER_PAGE,
        )
        if len(pages) == 1:
            await self._send(interaction, embed=render(pages[0]))
            return
        view = PageView(pages, render=render, owner_id=interaction.user.id)
        await self._send(interaction, embed=view.current_embed(), view=view)
        view.interaction = interaction

    @app_commands.command()
    @_admin_report
    async def stats(
        self,
        interaction: discord.Interaction[Any],
        days: app_commands.Range[int, 1, MAX_REPORT_DAYS] = DEFAULT_DAYS,
    ) -> None:
        """Questions per day, share answered, share 👍 and the most-cited sources (admins only)."""
        report = await self._report(interaction, days)
        if report is None:
            return
        chart = None
        if report.questions and days >= CHART_MIN_DAYS:
            # Drawing takes tens of ms (the first one, while matplotlib loads, about a second).
            chart = await asyncio.to_thread(questions_chart, report.all_days())
        embed = embeds.stats_embed(
            report, self.bot.engine.kb, chart_file=CHART_FILENAME if chart else None, scope=SCOPE
        )
        if chart is None:
            await self._send(interaction, embed=embed)
        else:
            image = discord.File(io.BytesIO(chart), filename=CHART_FILENAME)
            await self._send(interaction, embed=embed, file=image)


async def setup(bot: QABot) -> None:
    """Load the cog (discord.py extension entry point)."""
    await bot.add_cog(CurationCog(bot))
