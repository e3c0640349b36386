"""The Discord client: intents, the command tree's channel allow-list and error handler, sync."""

from __future__ import annotations

import asyncio
import logging
import math
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import partial
from typing import Any, TypeVar

import discord
from discord import app_commands
from discord.ext import commands

from bot.config import Config
from bot.core.cache import resolve_cache_dir
from bot.core.diff import KnowledgeDiff, diff_knowledge
from bot.core.engine import Engine
from bot.core.knowledge import KnowledgeSummary, summarize
from bot.errors import KnowledgeError, Problem
from bot.recorder import Recorder
from bot.reloader import build_engine, freeze_engine, retire_engine

log = logging.getLogger(__name__)

EXTENSIONS = (
    "bot.exts.ask",
    "bot.exts.papers",
    "bot.exts.admin",
    "bot.exts.about",
    "bot.exts.watch",
    "bot.exts.feedback",
    "bot.exts.curation",
)
# Commands usable outside the channel allow-list: the admin commands are admin-checked, and
# admins often run them from a staff channel the bot does not answer in.
ALLOWED_ANYWHERE = frozenset({"reload", "unanswered", "stats"})
CORE_THREADS = 2  # threads answering questions and filtering lists; see QABot.__init__
_T = TypeVar("_T")

WRONG_CHANNEL = "I only answer in {channels}. Ask me there."
NO_DMS = "I don't answer in direct messages on this server's setup. Ask me in the server."
UNEXPECTED = "Sorry, something went wrong. The error was logged; please try again later."
COOLDOWN = "Slow down a little: you can use this again in {seconds} s."
GUILD_ONLY = "This command only works in a server."
BAD_INPUT = "I couldn't use that value: {error}"
NOT_ALLOWED = "You can't use this command here."
BAD_TOKEN = "Discord rejected the token in DISCORD_TOKEN; copy it again from the Developer Portal"


def build_intents(config: Config) -> discord.Intents:
    """Default intents, plus message content only when un-mentioned messages are answered."""
    intents = discord.Intents.default()
    # Privileged: Discord refuses the connection unless it is enabled in the Developer Portal,
    # so ask for it only in the one mode that needs it. Mentions and DMs carry content anyway.
    intents.message_content = config.needs_message_content
    return intents


def place_allowed(
    config: Config, *, in_guild: bool, channel_id: int | None, parent_id: int | None
) -> bool:
    """Whether the bot answers in this place: DMs if enabled; in a server, the listed channels
    (and their threads), or anywhere when no channel is listed."""
    if not in_guild:
        return config.answer_dms
    if not config.channels:
        return True
    return channel_id in config.channels or (parent_id is not None and parent_id in config.channels)


def _channels_text(config: Config) -> str:
    return ", ".join(f"<#{c}>" for c in sorted(config.channels))


def error_message(error: app_commands.AppCommandError) -> tuple[str, bool]:
    """The private reply for a command error, and whether the error was expected (no traceback)."""
    if isinstance(error, app_commands.CommandOnCooldown):
        return COOLDOWN.format(seconds=max(1, math.ceil(error.retry_after))), True
    if isinstance(error, app_commands.NoPrivateMessage):
        return GUILD_ONLY, True
    if isinstance(error, app_commands.TransformerError):
        return BAD_INPUT.format(error=discord.utils.escape_mentions(str(error))), True
    if isinstance(error, app_commands.CheckFailure):
        # Our checks raise CheckFailure subclasses whose message is written for the user.
        text = str(error) if type(error) is not app_commands.CheckFailure and str(error) else ""
        return text or NOT_ALLOWED, True
    return UNEXPECTED, False


async def reply_privately(interaction: discord.Interaction[Any], text: str) -> None:
    """Send an ephemeral message, as the response or, once responded or deferred, a followup."""
    none = discord.AllowedMentions.none()
    try:
        if interaction.response.is_done():
            await interaction.followup.send(text, ephemeral=True, allowed_mentions=none)
        else:
            await interaction.response.send_message(text, ephemeral=True, allowed_mentions=none)
    except discord.HTTPException:
        log.warning("could not send an error reply for interaction %s", interaction.id)


class QATree(app_commands.CommandTree["QABot"]):
    """The command tree: enforces the channel allow-list and handles every command error once."""

    async def interaction_check(self, interaction: discord.Interaction[QABot], /) -> bool:
        """Refuse commands outside the places the bot answers in, privately."""
        config = interaction.client.config
        command = interaction.command
        if command is not None and command.qualified_name in ALLOWED_ANYWHERE:
            return True
        allowed = place_allowed(
            config,
            in_guild=interaction.guild_id is not None,
            channel_id=interaction.channel_id,
            parent_id=getattr(interaction.channel, "parent_id", None),
        )
        # Autocomplete can only answer with choices, so it is refused silently.
        if not allowed and interaction.type is discord.InteractionType.application_command:
            if interaction.guild_id is None:
                await reply_privately(interaction, NO_DMS)
            else:
                await reply_privately(
                    interaction, WRONG_CHANNEL.format(channels=_channels_text(config))
                )
        return allowed

    async def on_error(
        self, interaction: discord.Interaction[QABot], error: app_commands.AppCommandError, /
    ) -> None:
        """Log the error and tell the user privately; the bot carries on."""
        text, expected = error_message(error)
        name = interaction.command.qualified_name if interaction.command else "?"
        if expected:
            log.info("/%s refused for user %s: %s", name, interaction.user.id, error)
        else:
            log.error("/%s failed for user %s", name, interaction.user.id, exc_info=error)
        await reply_privately(interaction, text)


@dataclass(frozen=True, slots=True)
class ReloadOutcome:
    """What one reload did: the new counts and diff, or the problems that kept the old engine."""

    summary: KnowledgeSummary | None  # None when the files had problems
    diff: KnowledgeDiff | None
    problems: tuple[Problem, ...] = ()


class QABot(commands.Bot):
    """The bot: slash commands plus chat answers, over ONE engine reference that /reload swaps."""

    def __init__(
        self,
        *,
        config: Config,
        engine: Engine,
        sync_on_start: bool = True,
        recorder: Recorder | None = None,
    ) -> None:
        super().__init__(
            command_prefix=commands.when_mentioned,  # unused: there are no prefix commands
            help_command=None,
            intents=build_intents(config),
            allowed_mentions=discord.AllowedMentions.none(),
            tree_cls=QATree,
        )
        self.config = config
        # Readers take one snapshot (engine = bot.engine) per request, so a /reload swap never
        # mixes two knowledge bases within one answer.
        self.engine = engine
        self.sync_on_start = sync_on_start
        # The question log; None when the bot runs without one (`sync`, most tests).
        self.recorder = recorder
        self._reload_lock = asyncio.Lock()  # /reload and the watcher never build two at once
        # Answers are Python work under the interpreter lock: more threads than this add no
        # speed, only event-loop lag (40 answers queued at once at 100k papers: worst tick with 6
        # threads 73-107 ms, 2 threads 32-35 ms, 1 thread 14-16 ms; all done in ~1 s each time).
        self.core_pool = ThreadPoolExecutor(max_workers=CORE_THREADS, thread_name_prefix="core")

    async def run_core(self, call: Callable[..., _T], /, *args: Any, **kwargs: Any) -> _T:
        """Run blocking core work (an answer, a filtered list) in the bot's small thread pool."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self.core_pool, partial(call, *args, **kwargs))

    async def reload_knowledge(self) -> ReloadOutcome:
        """Load, validate and index the knowledge files in a child process (the bot keeps
        answering meanwhile, see bot.reloader), then swap the engine in one assignment; on any
        problem keep the engine serving and return the problems.

        The one path for /reload and the knowledge watcher.
        """
        async with self._reload_lock:
            old = self.engine
            try:
                cache_dir = resolve_cache_dir(
                    self.config.cache_dir, enabled=self.config.engine_cache
                )
                new = await build_engine(self.config.knowledge_dir, cache_dir=cache_dir)
            except KnowledgeError as exc:
                return ReloadOutcome(summary=None, diff=None, problems=tuple(exc.problems))
            self.engine = new  # questions in flight keep their old snapshot
            diff = await asyncio.to_thread(diff_knowledge, old.kb, new.kb)  # 100k pairs at scale
            outcome = ReloadOutcome(summary=summarize(new.kb), diff=diff)
            retired = [old]
            del old  # the list holds this coroutine's last reference: retire_engine frees it
            retire_engine(retired)
            return outcome

    async def setup_hook(self) -> None:
        """Load every extension; sync the commands to the development guild only, if one is set."""
        for extension in EXTENSIONS:
            await self.load_extension(extension)
        if self.sync_on_start and self.config.dev_guild_id is not None:
            synced = await sync_commands(self, guild_id=self.config.dev_guild_id)
            log.info("synced %d commands to dev guild %s", len(synced), self.config.dev_guild_id)

    async def on_message(self, message: discord.Message, /) -> None:
        """Skip prefix-command parsing: AskCog's listener handles questions."""

    async def close(self) -> None:
        """Disconnect, let the core threads finish what they started, then finish the queued
        question-log writes and close the file."""
        await super().close()
        self.core_pool.shutdown(wait=False)
        if self.recorder is not None:
            await self.recorder.aclose()

    async def on_ready(self) -> None:
        """Log who we are and which mode runs."""
        log.info(
            "ready as %s (id %s) in %d guilds; message content intent %s",
            self.user,
            self.user.id if self.user else "?",
            len(self.guilds),
            "on" if self.intents.message_content else "off",
        )


async def sync_commands(bot: QABot, *, guild_id: int | None) -> list[app_commands.AppCommand]:
    """Upload the command tree: to one guild (instant) or globally (Discord rate-limits this)."""
    if guild_id is None:
        return await bot.tree.sync()
    guild = discord.Object(id=guild_id)
    bot.tree.copy_global_to(guild=guild)
    return await bot.tree.sync(guild=guild)


async def run_bot(
    token: str, *, config: Config, engine: Engine, recorder: Recorder | None = None
) -> str | None:
    """Connect and serve until stopped; return why it could not start, or None."""
    freeze_engine()  # the engine lives as long as the bot: keep the cycle collector off it
    bot = QABot(config=config, engine=engine, recorder=recorder)
    async with bot:
        try:
            await bot.start(token)
        except discord.LoginFailure:
            return BAD_TOKEN
        except discord.PrivilegedIntentsRequired:
            return (
                "the Message Content intent is off for this bot: enable it in the Developer Portal "
                "(Bot > Privileged Gateway Intents) or set answer_every_message: false"
            )
        except (discord.HTTPException, discord.GatewayNotFound, OSError) as exc:
            return f"could not connect to Discord: {exc}"
    return None


async def sync_once(
    token: str, *, config: Config, engine: Engine, guild_id: int | None
) -> list[str] | str:
    """Log in over REST only (no gateway), upload the commands, close; names synced or a problem."""
    bot = QABot(config=config, engine=engine, sync_on_start=False)
    async with bot:
        try:
            await bot.login(token)
        except discord.LoginFailure:
            return BAD_TOKEN
        except (discord.HTTPException, OSError) as exc:
            return f"could not connect to Discord: {exc}"
        try:
            synced = await sync_commands(bot, guild_id=guild_id)
        except discord.HTTPException as exc:
            return f"Discord refused the command sync: {exc.status} {exc.text}"
    return [command.name for command in synced]
