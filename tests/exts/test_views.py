"""Tests for bot.views.PageView: next, previous, bounds, other users, timeout."""

from __future__ import annotations

import discord

from bot.core.pages import Page, paginate
from bot.views import NOT_YOURS, PageView
from tests.helpers import NO_PINGS, OTHER_ID, OWNER_ID, make_bot, make_interaction


def _render(page: Page[int]) -> discord.Embed:
    return discord.Embed(description=f"items {list(page.items)}")


def _view() -> PageView[int]:
    return PageView(paginate(list(range(7)), 3), render=_render, owner_id=OWNER_ID)


async def test_next_and_previous_turn_pages_and_update_buttons() -> None:
    """Next shows page 2 with both buttons live; Previous goes back with Previous disabled."""
    view, bot = _view(), make_bot()
    assert (view.previous_page.disabled, view.page_count.label, view.next_page.disabled) == (
        True,
        "1/3",
        False,
    )
    itx = make_interaction(bot)
    await view.next_page.callback(itx)
    itx.response.edit_message.assert_awaited_once()
    assert itx.response.edit_message.await_args.kwargs["embed"].description == "items [3, 4, 5]"
    assert itx.response.edit_message.await_args.kwargs["view"] is view
    assert (view.previous_page.disabled, view.page_count.label, view.next_page.disabled) == (
        False,
        "2/3",
        False,
    )
    back = make_interaction(bot)
    await view.previous_page.callback(back)
    assert back.response.edit_message.await_args.kwargs["embed"].description == "items [0, 1, 2]"
    assert view.previous_page.disabled and view.page_count.label == "1/3"


async def test_paging_stops_at_the_last_page() -> None:
    """Next past the end stays on the last page, whose Next button is disabled."""
    view, bot = _view(), make_bot()
    for _ in range(4):
        await view.next_page.callback(make_interaction(bot))
    assert view.page.number == 3
    assert view.next_page.disabled and not view.previous_page.disabled


async def test_another_user_cannot_page() -> None:
    """interaction_check refuses another user with a private message; the owner passes."""
    view, bot = _view(), make_bot()
    stranger = make_interaction(bot, user_id=OTHER_ID)
    assert await view.interaction_check(stranger) is False
    stranger.response.send_message.assert_awaited_once_with(
        NOT_YOURS, ephemeral=True, allowed_mentions=NO_PINGS
    )
    assert await view.interaction_check(make_interaction(bot)) is True


async def test_timeout_disables_every_button() -> None:
    """On timeout all buttons are disabled and the message is edited through the interaction."""
    view, bot = _view(), make_bot()
    view.interaction = make_interaction(bot)
    await view.on_timeout()
    assert all(item.disabled for item in view.children)
    view.interaction.edit_original_response.assert_awaited_once_with(view=view)
