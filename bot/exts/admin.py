"""``/reload``: admins swap in edited knowledge files without restarting the bot."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands

from bot import embeds

if TYPE_CHECKING:
    from bot.client import QABot

log = logging.getLogger(__name__)

NOT_ADMIN = "Only server administrators and the bot's configured admins can use this command."
RELOAD_FAILED = "Reload failed: I kept the knowledge I had. {count} {noun} to fix:"


class NotAdmin(app_commands.CheckFailure):
    """The member is neither a server administrator nor a configured bot admin."""


def is_admin(interaction: discord.Interaction[Any]) -> bool:
    """Allow server administrators and the config's admin users and roles; refuse anyone else.

    default_permissions only hides a command, and server owners can change who sees it, so this
    run-time check is the real gate.
    """
    if interaction.guild_id is None:
        raise app_commands.NoPrivateMessage()
    config = interaction.client.config  # type: ignore[attr-defined]
    user = interaction.user
    if interaction.permissions.administrator or user.id in config.admin_users:
        return True
    roles = getattr(user, "roles", ())  # a Member in a guild; a plain User has none
    if any(role.id in config.admin_roles for role in roles):
        return True
    raise NotAdmin(NOT_ADMIN)


class AdminCog(commands.Cog):
    """Reload the knowledge files on an admin's request."""

    def __init__(self, bot: QABot) -> None:
        self.bot = bot

    @app_commands.command()
    @app_commands.guild_only()
    @app_commands.default_permissions(administrator=True)
    @app_commands.check(is_admin)
    async def reload(self, interaction: discord.Interaction[Any]) -> None:
        """Reload the knowledge files (admins only); keeps the current ones if anything is wrong."""
        with self.bot.in_flight():  # a shutdown lets a reload finish and report first
            await self._reload(interaction)

    async def _reload(self, interaction: discord.Interaction[Any]) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        none = discord.AllowedMentions.none()
        outcome = await self.bot.reload_knowledge()
        if outcome.summary is None or outcome.diff is None:
            count = len(outcome.problems)
            log.warning("reload by %s failed with %d problems", interaction.user.id, count)
            header = RELOAD_FAILED.format(count=count, noun="problem" if count == 1 else "problems")
            text = embeds.problems_message(outcome.problems, header=header)
            await interaction.followup.send(text, ephemeral=True, allowed_mentions=none)
            return
        log.info("knowledge reloaded by %s: %s", interaction.user.id, outcome.summary)
        await interaction.followup.send(
            embed=embeds.reload_embed(summary=outcome.summary, diff=outcome.diff),
            ephemeral=True,
            allowed_mentions=none,
        )


async def setup(bot: QABot) -> None:
    """Load the cog (discord.py extension entry point)."""
    await bot.add_cog(AdminCog(bot))
