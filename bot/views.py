"""Interactive components: a Previous/Next pager that only its invoker may turn."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Any, Generic, TypeVar

import discord

from bot.core.pages import Page

log = logging.getLogger(__name__)

T = TypeVar("T")

PAGE_TIMEOUT = 180.0  # seconds of inactivity before the buttons are disabled
NOT_YOURS = "Only the person who ran this command can turn its pages. Run it yourself to browse."
VIEW_ERROR = "Sorry, something went wrong turning the page."


class PageView(discord.ui.View, Generic[T]):
    """Previous/Next buttons over prebuilt pages; the page count sits between them."""

    def __init__(
        self,
        pages: Sequence[Page[T]],
        *,
        render: Callable[[Page[T]], discord.Embed],
        owner_id: int,
        timeout: float = PAGE_TIMEOUT,
    ) -> None:
        super().__init__(timeout=timeout)
        if not pages:
            raise ValueError("PageView needs at least one page")
        self.pages = list(pages)
        self.render = render
        self.owner_id = owner_id
        self.index = 0
        # Set by the command after sending, so on_timeout can edit the message through the
        # interaction token (valid 15 minutes, far beyond the timeout) without fetching it.
        self.interaction: discord.Interaction[Any] | None = None
        self._update_buttons()

    @property
    def page(self) -> Page[T]:
        """The page on show."""
        return self.pages[self.index]

    def current_embed(self) -> discord.Embed:
        """Render the page on show."""
        return self.render(self.page)

    def _update_buttons(self) -> None:
        self.previous_page.disabled = self.index == 0
        self.next_page.disabled = self.index == len(self.pages) - 1
        self.page_count.label = f"{self.index + 1}/{len(self.pages)}"

    async def _show(self, interaction: discord.Interaction[Any], index: int) -> None:
        self.index = max(0, min(index, len(self.pages) - 1))
        self._update_buttons()
        await interaction.response.edit_message(embed=self.current_embed(), view=self)

    async def interaction_check(self, interaction: discord.Interaction[Any], /) -> bool:
        """Let only the invoker page; tell anyone else privately why nothing happened."""
        if interaction.user.id == self.owner_id:
            return True
        await interaction.response.send_message(
            NOT_YOURS, ephemeral=True, allowed_mentions=discord.AllowedMentions.none()
        )
        return False

    @discord.ui.button(
        label="Previous", style=discord.ButtonStyle.secondary, custom_id="pages:prev"
    )
    async def previous_page(
        self, interaction: discord.Interaction[Any], button: discord.ui.Button[PageView[T]]
    ) -> None:
        """Show the previous page."""
        await self._show(interaction, self.index - 1)

    @discord.ui.button(
        label="1/1", style=discord.ButtonStyle.grey, disabled=True, custom_id="pages:n"
    )
    async def page_count(
        self, interaction: discord.Interaction[Any], button: discord.ui.Button[PageView[T]]
    ) -> None:
        """Do nothing: this disabled button only shows the page count."""

    @discord.ui.button(label="Next", style=discord.ButtonStyle.primary, custom_id="pages:next")
    async def next_page(
        self, interaction: discord.Interaction[Any], button: discord.ui.Button[PageView[T]]
    ) -> None:
        """Show the next page."""
        await self._show(interaction, self.index + 1)

    async def on_timeout(self) -> None:
        """Disable every button so a stale pager cannot be clicked."""
        for item in self.children:
            if isinstance(item, discord.ui.Button):
                item.disabled = True
        if self.interaction is None:
            return
        try:
            await self.interaction.edit_original_response(view=self)
        except discord.HTTPException:
            # The message may have been deleted; nothing is left to disable.
            log.info("could not disable the pager after its timeout", exc_info=True)

    async def on_error(
        self, interaction: discord.Interaction[Any], error: Exception, item: discord.ui.Item[Any], /
    ) -> None:
        """Log the failure and tell the user privately, whether or not a response was sent."""
        log.exception("error in %s", type(item).__name__, exc_info=error)
        send = (
            interaction.followup.send
            if interaction.response.is_done()
            else interaction.response.send_message
        )
        await send(VIEW_ERROR, ephemeral=True, allowed_mentions=discord.AllowedMentions.none())
