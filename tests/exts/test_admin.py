"""Tests for bot.exts.admin: the two-layer admin gate and /reload's failure and success reports."""

from __future__ import annotations

from pathlib import Path

import discord
import pytest
from discord import app_commands

from bot.config import Config
from bot.core.engine import Engine, load_engine
from bot.exts.admin import NOT_ADMIN, AdminCog, NotAdmin, is_admin
from tests.helpers import ADMIN_ROLE_ID, OTHER_ID, make_bot, make_interaction


def _cog(knowledge: Path, **config: object) -> AdminCog:
    engine = load_engine(knowledge)
    return AdminCog(make_bot(Config(knowledge_dir=knowledge, **config), engine))  # type: ignore[arg-type]


def test_reload_is_hidden_guild_only_and_checked_at_run_time() -> None:
    """/reload carries default_permissions(administrator), guild_only AND the is_admin check."""
    command = AdminCog.reload
    assert command.checks == [is_admin]
    assert command.default_permissions == discord.Permissions(administrator=True)
    assert command.guild_only is True


def test_non_admin_is_refused_by_the_run_time_check(tiny_knowledge_dir: Path) -> None:
    """A member without Administrator, not listed in the config, is refused with a message."""
    cog = _cog(tiny_knowledge_dir)
    with pytest.raises(NotAdmin, match=NOT_ADMIN):
        is_admin(make_interaction(cog.bot, user_id=OTHER_ID))


def test_admins_by_permission_user_or_role_pass(tiny_knowledge_dir: Path) -> None:
    """Administrator permission, a configured admin user or a configured admin role passes."""
    cog = _cog(
        tiny_knowledge_dir,
        admin_users=frozenset({OTHER_ID}),
        admin_roles=frozenset({ADMIN_ROLE_ID}),
    )
    admin = discord.Permissions(administrator=True)
    assert is_admin(make_interaction(cog.bot, user_id=1, permissions=admin)) is True
    assert is_admin(make_interaction(cog.bot, user_id=OTHER_ID)) is True
    assert is_admin(make_interaction(cog.bot, user_id=2, role_ids=[ADMIN_ROLE_ID])) is True
    with pytest.raises(app_commands.NoPrivateMessage):
        is_admin(make_interaction(cog.bot, guild_id=None, permissions=admin))


async def test_broken_files_keep_the_old_knowledge_and_report_problems(
    tiny_knowledge_dir: Path,
) -> None:
    """A broken papers.yaml leaves the engine untouched and lists path:line:col problems."""
    cog = _cog(tiny_knowledge_dir)
    before = cog.bot.engine
    papers = tiny_knowledge_dir / "papers.yaml"
    papers.write_text(papers.read_text().replace("date: '2019-10-29'", "date: 2019-10-29"))
    itx = make_interaction(cog.bot, permissions=discord.Permissions(administrator=True))
    await cog.reload.callback(cog, itx)
    assert cog.bot.engine is before
    itx.response.defer.assert_awaited_once_with(ephemeral=True, thinking=True)
    call = itx.followup.send.await_args
    assert call.kwargs["ephemeral"] is True
    text = call.args[0]
    assert text.startswith("Reload failed: I kept the knowledge I had. 1 problem to fix:\n```\n")
    assert f"{tiny_knowledge_dir}/papers.yaml:" in text
    assert "unquoted YAML date 2019-10-29" in text


async def test_successful_reload_swaps_engine_and_reports_the_diff(
    tiny_knowledge_dir: Path,
) -> None:
    """Removing a post swaps in a new engine and reports the removal and the new counts."""
    cog = _cog(tiny_knowledge_dir)
    before = cog.bot.engine
    posts = tiny_knowledge_dir / "posts.yaml"
    text = posts.read_text()
    posts.write_text(text[: text.index("  - id: 2019-10-31-1")])
    itx = make_interaction(cog.bot, permissions=discord.Permissions(administrator=True))
    await cog.reload.callback(cog, itx)
    assert isinstance(cog.bot.engine, Engine) and cog.bot.engine is not before
    assert len(cog.bot.engine.kb.posts) == 1
    embed = itx.followup.send.await_args.kwargs["embed"]
    assert embed.title == "Knowledge reloaded"
    assert embed.description == (
        "Now 3 papers (newest 2023-05-12), 1 post (newest 2023-05-15), 3 topics."
    )
    assert [(f.name, f.value) for f in embed.fields] == [("Removed (1)", "`post 2019-10-31-1`")]
