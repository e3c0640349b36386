"""Tests for bot.exts.watch: which files count, and what each reload outcome reports where."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from unittest.mock import AsyncMock, MagicMock

import pytest
from watchfiles import Change

from bot.client import ReloadOutcome
from bot.config import Config
from bot.core.diff import KnowledgeDiff, Ref
from bot.core.engine import load_engine
from bot.core.knowledge import summarize
from bot.errors import Problem
from bot.exts.watch import KnowledgeWatchCog, is_knowledge_file
from tests.helpers import NO_PINGS, make_bot

LOG_CHANNEL = 7000


@pytest.mark.parametrize(
    ("path", "counts"),
    [
        ("/k/papers.yaml", True),
        ("/k/papers/2024.yml", True),
        ("/k/.papers.yaml.abc123.tmp", False),  # the writer's temporary file
        ("/k/.papers.yaml.swp", False),  # an editor's swap file
        ("/k/papers.yaml~", False),
        ("/k/sources/papers_meta.tsv", False),
    ],
)
def test_only_knowledge_yaml_files_count(path: str, counts: bool) -> None:
    """YAML files count; hidden, temporary and backup files and the raw sources do not."""
    assert is_knowledge_file(Change.modified, path) is counts


def _cog(knowledge: Path, channel: int | None = LOG_CHANNEL) -> tuple[KnowledgeWatchCog, Any]:
    config = Config(knowledge_dir=knowledge, watch_knowledge=True, admin_log_channel=channel)
    bot = make_bot(config, load_engine(knowledge))
    sent = MagicMock()
    sent.send = AsyncMock()
    bot.get_partial_messageable = MagicMock(return_value=sent)  # type: ignore[method-assign]
    return KnowledgeWatchCog(bot), sent


async def test_problems_go_to_the_admin_channel_without_pings(tiny_knowledge_dir: Path) -> None:
    """A rejected change sends every problem, in a code block, pinging no one."""
    cog, channel = _cog(tiny_knowledge_dir)
    problem = Problem("k/papers.yaml", 9, 11, "paper 1910.13461: date must be YYYY-MM-DD")
    await cog.report(ReloadOutcome(None, None, (problem,)), files="papers.yaml")
    cog.bot.get_partial_messageable.assert_called_once_with(LOG_CHANNEL)
    channel.send.assert_awaited_once_with(
        "papers.yaml changed but the knowledge has problems: I kept the knowledge I had. "
        "1 problem to fix:\n```\n"
        "k/papers.yaml:9:11: paper 1910.13461: date must be YYYY-MM-DD\n```",
        embed=None,
        allowed_mentions=NO_PINGS,
    )


async def test_a_diff_goes_out_as_the_reload_embed(tiny_knowledge_dir: Path) -> None:
    """A change that reloads sends the /reload report; one that changes no record sends nothing."""
    cog, channel = _cog(tiny_knowledge_dir)
    summary = summarize(cog.bot.engine.kb)
    diff = KnowledgeDiff(added=(), removed=(), changed=(Ref("paper", "1910.13461"),))
    await cog.report(ReloadOutcome(summary, diff), files="papers.yaml")
    call = channel.send.await_args
    assert call.args == ("Knowledge reloaded after papers.yaml changed.",)
    embed = call.kwargs["embed"]
    assert embed.title == "Knowledge reloaded"
    assert [(f.name, f.value) for f in embed.fields] == [("Changed (1)", "`paper 1910.13461`")]
    assert call.kwargs["allowed_mentions"] == NO_PINGS
    channel.send.reset_mock()
    await cog.report(ReloadOutcome(summary, KnowledgeDiff((), (), ())), files="posts.yaml")
    channel.send.assert_not_awaited()


async def test_without_a_channel_the_outcome_is_only_logged(
    tiny_knowledge_dir: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """No admin_log_channel: nothing is sent; the log says what happened."""
    cog, channel = _cog(tiny_knowledge_dir, channel=None)
    problem = Problem("k/posts.yaml", 3, 5, "post 2019-10-31-1: text must not be empty")
    with caplog.at_level("WARNING", logger="bot.exts.watch"):
        await cog.report(ReloadOutcome(None, None, (problem,)), files="posts.yaml")
    channel.send.assert_not_awaited()
    assert "knowledge change in posts.yaml rejected with 1 problems" in caplog.text


async def test_watching_starts_only_when_configured(tiny_knowledge_dir: Path) -> None:
    """watch_knowledge: false (the default) starts no task."""
    bot = make_bot(Config(knowledge_dir=tiny_knowledge_dir), load_engine(tiny_knowledge_dir))
    cog = KnowledgeWatchCog(bot)
    await cog.cog_load()
    assert cog._task is None
    await cog.cog_unload()
