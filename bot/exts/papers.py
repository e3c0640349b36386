"""Browse the papers: ``/papers`` with filters and paging, ``/paper`` for one paper's card."""

from __future__ import annotations

import logging
from functools import partial
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands

from bot import embeds
from bot.core.models import Paper
from bot.core.pages import paginate
from bot.core.sanitize import QUOTE_LIMIT, clean_text
from bot.limits import AUTOCOMPLETE_CHOICES_LIMIT, CHOICE_NAME_LIMIT, MESSAGE_CONTENT_LIMIT
from bot.views import PageView

if TYPE_CHECKING:
    from bot.client import QABot

log = logging.getLogger(__name__)

PER_PAGE = 6
# The /papers description names the researcher of the profile (see embeds.command_description).
PAPERS_DESCRIPTION = (
    "List {whose} papers, newest first, optionally filtered by year, topic or words."
)
UNKNOWN_TOPIC = "Unknown topic “{topic}”. Pick one of: {topics}."
NO_MATCH = "No papers match {filters}."
NO_PAPER = (
    "No paper matches “{title}”. Start typing a title or a short name and pick from the list."
)


def choice_name(paper: Paper) -> str:
    """An autocomplete label: the title cut to fit 100 characters with its year kept.

    Discord shows a choice verbatim (no markdown), so mentions and URLs are only defused and
    hidden characters removed; a backslash escape would show.
    """
    suffix = f" ({paper.year})"
    title = embeds.defuse(clean_text(paper.title))
    return embeds.truncate(title, CHOICE_NAME_LIMIT - len(suffix)) + suffix


class PapersCog(commands.Cog):
    """List the papers with filters and paging, and show one paper's card."""

    def __init__(self, bot: QABot) -> None:
        self.bot = bot
        name = bot.engine.kb.profile.name
        self.papers.description = embeds.command_description(PAPERS_DESCRIPTION, name)

    @app_commands.command()
    @app_commands.describe(
        year="Only papers first submitted in this year",
        topic="Only papers on this topic",
        query="Only papers whose title or short name matches these words",
    )
    async def papers(
        self,
        interaction: discord.Interaction[Any],
        year: app_commands.Range[int, 1990, 2100] | None = None,
        topic: str | None = None,
        query: str | None = None,
    ) -> None:
        """List the papers, newest first, optionally filtered by year, topic or words."""
        engine = self.bot.engine
        none = discord.AllowedMentions.none()
        topic = topic.strip().lower() if topic else None
        query = query.strip() if query else None
        if topic is not None and topic not in engine.kb.topics:
            text = UNKNOWN_TOPIC.format(
                topic=embeds.truncate(embeds.escape_user_text(topic), QUOTE_LIMIT),
                topics=", ".join(engine.kb.topics),
            )
            await interaction.response.send_message(
                embeds.truncate(text, MESSAGE_CONTENT_LIMIT), ephemeral=True, allowed_mentions=none
            )
            return
        # A query runs the retriever (tens of ms at 100k papers): keep it off the event loop.
        found = await self.bot.run_core(engine.filter_papers, year=year, topic=topic, query=query)
        heading = embeds.papers_heading(engine.kb.profile.name, year=year, topic=topic, query=query)
        if not found:
            filters = heading.partition(" — ")[2] or "the filters"
            await interaction.response.send_message(
                NO_MATCH.format(filters=filters), ephemeral=True, allowed_mentions=none
            )
            return
        pages = paginate(found, PER_PAGE)
        render = partial(
            embeds.papers_page_embed, heading=heading, count=len(found), per_page=PER_PAGE
        )
        if len(pages) == 1:
            await interaction.response.send_message(embed=render(pages[0]), allowed_mentions=none)
            return
        view = PageView(pages, render=render, owner_id=interaction.user.id)
        await interaction.response.send_message(
            embed=view.current_embed(), view=view, allowed_mentions=none
        )
        view.interaction = interaction

    @papers.autocomplete("topic")
    async def topic_autocomplete(
        self, interaction: discord.Interaction[Any], current: str
    ) -> list[app_commands.Choice[str]]:
        """Offer the knowledge base's topics containing what was typed, prefix matches first."""
        needle = current.strip().lower()
        topics = [t for t in self.bot.engine.kb.topics if needle in t]
        topics.sort(key=lambda t: (not t.startswith(needle), t))
        return [app_commands.Choice(name=t, value=t) for t in topics[:AUTOCOMPLETE_CHOICES_LIMIT]]

    @app_commands.command()
    @app_commands.describe(title="The paper's title, or a short name such as an acronym")
    async def paper(self, interaction: discord.Interaction[Any], title: str) -> None:
        """Show one paper: title, date, venue, authors, abstract, short names and related posts."""
        engine = self.bot.engine
        # Autocomplete sends an arXiv id, but the user may type anything: check it again.
        wanted = title.strip()
        paper = engine.resolve_paper(wanted)
        if paper is None:
            await interaction.response.send_message(
                NO_PAPER.format(
                    title=embeds.truncate(embeds.escape_user_text(wanted), QUOTE_LIMIT)
                ),
                ephemeral=True,
                allowed_mentions=discord.AllowedMentions.none(),
            )
            return
        card = embeds.paper_embed(paper, engine.related_posts(paper))
        await interaction.response.send_message(
            embed=card, allowed_mentions=discord.AllowedMentions.none()
        )

    @paper.autocomplete("title")
    async def title_autocomplete(
        self, interaction: discord.Interaction[Any], current: str
    ) -> list[app_commands.Choice[str]]:
        """Offer up to 25 papers whose title or short names fuzzily match what was typed."""
        found = self.bot.engine.find_papers(current, limit=AUTOCOMPLETE_CHOICES_LIMIT)
        return [
            app_commands.Choice(name=choice_name(p), value=p.id)
            for p in found[:AUTOCOMPLETE_CHOICES_LIMIT]
        ]


async def setup(bot: QABot) -> None:
    """Load the cog (discord.py extension entry point)."""
    await bot.add_cog(PapersCog(bot))
