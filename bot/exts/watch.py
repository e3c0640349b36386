"""The watched knowledge folder: with ``watch_knowledge: true`` a saved knowledge file reloads the
knowledge by itself, through the same validate-and-swap path as ``/reload``.

watchfiles groups a burst of file events (an editor's save, an importer writing two files) into
one batch, so each save reloads once. The outcome goes to the log and, if ``admin_log_channel`` is
set, to that channel without pinging anyone: the changed records, or each problem as
``path:line:col`` while the old knowledge keeps serving.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

import discord
from discord.ext import commands
from watchfiles import Change, awatch

from bot import embeds

if TYPE_CHECKING:
    from bot.client import QABot, ReloadOutcome

log = logging.getLogger(__name__)

# watchfiles yields a batch once no new event came for STEP_MS, or after DEBOUNCE_MS at most.
STEP_MS = 400
DEBOUNCE_MS = 2000
KNOWLEDGE_SUFFIXES = (".yaml", ".yml")
WATCH_RELOADED = "Knowledge reloaded after {files} changed."
WATCH_FAILED = (
    "{files} changed but the knowledge has problems: I kept the knowledge I had. "
    "{count} {noun} to fix:"
)


def is_knowledge_file(change: Change, path: str) -> bool:
    """Whether a file event concerns a knowledge file: YAML and not hidden (the writer's temporary
    files and editors' swap and lock files start with ".")."""
    name = Path(path).name
    return name.endswith(KNOWLEDGE_SUFFIXES) and not name.startswith(".")


class KnowledgeWatchCog(commands.Cog):
    """Reload the knowledge when its files change, when the config asks for it."""

    def __init__(self, bot: QABot) -> None:
        self.bot = bot
        self.step_ms = STEP_MS
        self.debounce_ms = DEBOUNCE_MS
        self._stop = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    async def cog_load(self) -> None:
        """Start watching (in the background) if ``watch_knowledge`` is on."""
        if self.bot.config.watch_knowledge:
            self._task = asyncio.create_task(self.watch(), name="knowledge-watch")

    async def cog_unload(self) -> None:
        """Stop watching."""
        self._stop.set()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def watch(self) -> None:
        """Reload after each batch of changes to the knowledge files, until unloaded."""
        directory = self.bot.config.knowledge_dir
        log.info("watching %s for knowledge changes", directory)
        async for changes in awatch(
            directory,
            watch_filter=is_knowledge_file,
            step=self.step_ms,
            debounce=self.debounce_ms,
            stop_event=self._stop,
        ):
            try:
                await self.on_change(path for _, path in changes)
            except Exception:  # one bad batch must not end the watching
                log.exception("reloading after a knowledge change failed")

    async def on_change(self, paths: Iterable[str]) -> None:
        """Reload once for a batch of changed files and report the outcome."""
        names = sorted({Path(p).name for p in paths})
        files = ", ".join(names) or "a knowledge file"
        outcome = await self.bot.reload_knowledge()
        await self.report(outcome, files=files)

    async def report(self, outcome: ReloadOutcome, *, files: str) -> None:
        """Log the outcome; send it to the admin log channel, if one is set and there is news."""
        if outcome.summary is None or outcome.diff is None:
            count = len(outcome.problems)
            log.warning("knowledge change in %s rejected with %d problems", files, count)
            noun = "problem" if count == 1 else "problems"
            header = WATCH_FAILED.format(files=files, count=count, noun=noun)
            await self._send(embeds.problems_message(outcome.problems, header=header))
            return
        if outcome.diff.is_empty:
            log.info("knowledge files %s changed; no record changed", files)
            return
        log.info("knowledge reloaded after %s changed: %s", files, outcome.summary)
        embed = embeds.reload_embed(summary=outcome.summary, diff=outcome.diff)
        await self._send(WATCH_RELOADED.format(files=files), embed=embed)

    async def _send(self, text: str, *, embed: discord.Embed | None = None) -> None:
        channel_id = self.bot.config.admin_log_channel
        if channel_id is None:
            return
        channel = self.bot.get_partial_messageable(channel_id)
        try:
            await channel.send(text, embed=embed, allowed_mentions=discord.AllowedMentions.none())
        except discord.HTTPException as exc:
            log.warning("could not report to admin log channel %s: %s", channel_id, exc)


async def setup(bot: QABot) -> None:
    """Load the cog (discord.py extension entry point)."""
    await bot.add_cog(KnowledgeWatchCog(bot))
