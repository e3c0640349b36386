"""Tests for bot.client (intents, allow-list for commands, error replies) and /about."""

from __future__ import annotations

import discord
import pytest
from discord import app_commands

from bot.client import (
    COOLDOWN,
    UNEXPECTED,
    QATree,
    build_intents,
    error_message,
    place_allowed,
)
from bot.config import Config
from bot.exts.about import AboutCog
from bot.exts.admin import NOT_ADMIN, NotAdmin
from bot.exts.ask import AskCog
from tests.helpers import (
    CHANNEL_ID,
    NO_PINGS,
    OTHER_CHANNEL_ID,
    FakeEngine,
    make_bot,
    make_interaction,
    make_kb,
)


def test_message_content_intent_only_for_every_message_mode() -> None:
    """The privileged intent is requested only when un-mentioned messages are answered."""
    assert build_intents(Config()).message_content is False
    every = Config(channels=frozenset({1}), answer_every_message=True)
    assert build_intents(every).message_content is True
    assert build_intents(Config()).guild_messages and build_intents(Config()).dm_messages


def test_client_pings_no_one_by_default() -> None:
    """The whole client sends AllowedMentions.none() unless a call says otherwise."""
    bot = make_bot()
    assert bot.allowed_mentions == NO_PINGS
    assert isinstance(bot.tree, QATree)


def test_place_allowed_rules() -> None:
    """No list: every channel; a list: those channels and their threads; DMs by setting."""
    listed = Config(channels=frozenset({CHANNEL_ID}), answer_dms=False)
    assert place_allowed(Config(), in_guild=True, channel_id=9, parent_id=None)
    assert place_allowed(listed, in_guild=True, channel_id=CHANNEL_ID, parent_id=None)
    assert place_allowed(listed, in_guild=True, channel_id=77, parent_id=CHANNEL_ID)
    assert not place_allowed(listed, in_guild=True, channel_id=OTHER_CHANNEL_ID, parent_id=None)
    assert not place_allowed(listed, in_guild=False, channel_id=1, parent_id=None)
    assert place_allowed(Config(), in_guild=False, channel_id=1, parent_id=None)


async def test_tree_check_refuses_commands_outside_listed_channels() -> None:
    """A slash command in an unlisted channel is refused privately, naming the channels."""
    bot = make_bot(Config(channels=frozenset({CHANNEL_ID})))
    itx = make_interaction(bot, channel_id=OTHER_CHANNEL_ID, command="ask")
    assert await bot.tree.interaction_check(itx) is False
    itx.response.send_message.assert_awaited_once_with(
        f"I only answer in <#{CHANNEL_ID}>. Ask me there.",
        ephemeral=True,
        allowed_mentions=NO_PINGS,
    )
    assert await bot.tree.interaction_check(make_interaction(bot, command="ask")) is True


async def test_tree_check_lets_reload_through_and_mutes_autocomplete() -> None:
    """/reload (admin-checked) works anywhere; refused autocomplete sends nothing."""
    bot = make_bot(Config(channels=frozenset({CHANNEL_ID})))
    reload = make_interaction(bot, channel_id=OTHER_CHANNEL_ID, command="reload")
    assert await bot.tree.interaction_check(reload) is True
    auto = make_interaction(
        bot,
        channel_id=OTHER_CHANNEL_ID,
        command="paper",
        kind=discord.InteractionType.autocomplete,
    )
    assert await bot.tree.interaction_check(auto) is False
    auto.response.send_message.assert_not_awaited()


def test_error_messages() -> None:
    """Each expected error gets its own short text; anything else the generic one."""
    cooldown = app_commands.CommandOnCooldown(app_commands.Cooldown(1, 10), 3.2)
    assert error_message(cooldown) == (COOLDOWN.format(seconds=4), True)
    assert error_message(NotAdmin(NOT_ADMIN)) == (NOT_ADMIN, True)
    assert error_message(app_commands.NoPrivateMessage()) == (
        "This command only works in a server.",
        True,
    )
    assert error_message(app_commands.CheckFailure()) == ("You can't use this command here.", True)
    failure = app_commands.CommandInvokeError(AskCog.ask, RuntimeError("x"))
    assert error_message(failure) == (UNEXPECTED, False)


async def test_on_error_uses_followup_after_defer(caplog: pytest.LogCaptureFixture) -> None:
    """An unexpected error after defer() is logged with its traceback and sent as a followup."""
    bot = make_bot()
    itx = make_interaction(bot, command="ask")
    await itx.response.defer(thinking=True)
    try:
        raise RuntimeError("index exploded")
    except RuntimeError as exc:
        error = app_commands.CommandInvokeError(AskCog.ask, exc)
    await bot.tree.on_error(itx, error)
    itx.followup.send.assert_awaited_once_with(
        UNEXPECTED, ephemeral=True, allowed_mentions=NO_PINGS
    )
    itx.response.send_message.assert_not_awaited()
    assert "/ask failed for user 2000" in caplog.text
    assert "index exploded" in caplog.text


async def test_on_error_replies_directly_when_nothing_was_sent() -> None:
    """A refused check (nothing sent yet) is answered with response.send_message."""
    bot = make_bot()
    itx = make_interaction(bot, command="reload")
    await bot.tree.on_error(itx, NotAdmin(NOT_ADMIN))
    itx.response.send_message.assert_awaited_once_with(
        NOT_ADMIN, ephemeral=True, allowed_mentions=NO_PINGS
    )


async def test_about_shows_counts_newest_items_and_note() -> None:
    """/about answers privately with counts, the newest paper (with its note) and post."""
    bot = make_bot(Config(), FakeEngine(make_kb()))
    cog = AboutCog(bot)
    itx = make_interaction(bot)
    await cog.about.callback(cog, itx)
    call = itx.response.send_message.await_args
    assert call.kwargs["ephemeral"] is True and call.kwargs["allowed_mentions"] == NO_PINGS
    embed = call.kwargs["embed"]
    assert embed.title == "About LewisBot"
    assert "I know 2 papers (newest 2026-01-16), 1 post (newest 2022-11-22), 1 topic." in (
        embed.description
    )
    assert [f.name for f in embed.fields] == [
        "Newest paper",
        "Newest post",
        "How to ask",
        "Where the sources come from",
    ]
    assert "⚠️ Doubtful provenance" in embed.fields[0].value
