"""``/about``: what the bot knows, how to ask it, and where its sources come from."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands

from bot import embeds
from bot.core.knowledge import summarize

if TYPE_CHECKING:
    from bot.client import QABot


# The /about description names the researcher of the profile (see embeds.command_description).
ABOUT_DESCRIPTION = (
    "What I know about {whose} research, how to ask, and where my sources come from."
)


class AboutCog(commands.Cog):
    """Describe the bot and its knowledge."""

    def __init__(self, bot: QABot) -> None:
        self.bot = bot
        name = bot.engine.kb.profile.name
        self.about.description = embeds.command_description(ABOUT_DESCRIPTION, name)

    @app_commands.command()
    async def about(self, interaction: discord.Interaction[Any]) -> None:
        """What I know, how to ask, and where my sources come from."""
        kb = self.bot.engine.kb
        name = self.bot.user.name if self.bot.user else "this bot"
        embed = embeds.about_embed(kb, summary=summarize(kb), bot_name=name)
        await interaction.response.send_message(
            embed=embed, ephemeral=True, allowed_mentions=discord.AllowedMentions.none()
        )


async def setup(bot: QABot) -> None:
    """Load the cog (discord.py extension entry point)."""
    await bot.add_cog(AboutCog(bot))
