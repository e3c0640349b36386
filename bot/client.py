"""The Discord client: intents, the command tree's channel allow-list and error handler, sync."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import signal
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

import aiohttp
import discord
from discord import app_commands
from discord.ext import commands

from bot.config import Config
from bot.core.cache import resolve_cache_dir
from bot.core.diff import KnowledgeDiff, diff_knowledge
from bot.core.engine import Engine
from bot.core.knowledge import KnowledgeSummary, summarize
from bot.errors import BotError, KnowledgeError, Problem
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
NO_INTENT = (
    "the Message Content intent is off for this bot: enable it in the Developer Portal "
    "(Bot > Privileged Gateway Intents) or set answer_every_message: false"
)
SHUTTING_DOWN = "I'm restarting: ask again in a minute."

# Exit codes of `run` and `sync` (documented in the README): a supervisor restarts on
# EXIT_UNREACHABLE but not on EXIT_SETUP, which needs a person to fix something first.
EXIT_SETUP = 2  # bad config, knowledge or token, or an intent the portal does not grant
EXIT_UNREACHABLE = 3  # Discord could not be reached (network, gateway, Discord errors)
SHUTDOWN_GRACE_SECONDS = 5.0  # answers in flight get this long after SIGTERM/SIGINT
HEALTH_INTERVAL_SECONDS = 30.0  # how often a connected bot touches its health file


class StartupError(BotError):
    """The bot could not start or stay connected; ``exit_code`` says whether retrying helps."""

    def __init__(self, message: str, *, exit_code: int) -> None:
        super().__init__(message)
        self.exit_code = exit_code


class GatewayUnreachable(Exception):
    """The first gateway connection never opened."""


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
        """Refuse commands outside the places the bot answers in, or while it shuts down."""
        config = interaction.client.config
        command = interaction.command
        if interaction.client.draining:
            if interaction.type is discord.InteractionType.application_command:
                await reply_privately(interaction, SHUTTING_DOWN)
            return False
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
        health_file: Path | None = None,
        **options: Any,
    ) -> None:
        super().__init__(
            command_prefix=commands.when_mentioned,  # unused: there are no prefix commands
            help_command=None,
            intents=build_intents(config),
            allowed_mentions=discord.AllowedMentions.none(),
            tree_cls=QATree,
            **options,
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
        self.health_file = health_file
        self.draining = False  # set on SIGTERM/SIGINT: no new questions, in-flight ones finish
        self._in_flight: set[asyncio.Task[Any]] = set()
        self._background: set[asyncio.Task[Any]] = set()

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
        if self.health_file is not None:
            self.spawn(self._write_health(self.health_file))

    def spawn(self, coro: Any) -> asyncio.Task[Any]:
        """Run ``coro`` as a task the bot keeps a reference to until it ends."""
        task = asyncio.create_task(coro)
        self._background.add(task)
        task.add_done_callback(self._background.discard)
        return task

    @contextlib.contextmanager
    def in_flight(self) -> Iterator[None]:
        """Mark the running task as answering: a shutdown waits for it (up to a grace period)."""
        task = asyncio.current_task()
        if task is not None:
            self._in_flight.add(task)
        try:
            yield
        finally:
            if task is not None:
                self._in_flight.discard(task)

    async def shutdown(self, *, grace: float = SHUTDOWN_GRACE_SECONDS) -> None:
        """Stop taking questions, let those in flight finish for up to ``grace`` s, then close."""
        self.draining = True
        pending = {task for task in self._in_flight if not task.done()}
        if pending:
            log.info("waiting up to %.0f s for %d answers in flight", grace, len(pending))
            _, pending = await asyncio.wait(pending, timeout=grace)
            for task in pending:
                task.cancel()
            if pending:
                log.warning("%d answers did not finish in %.0f s: cancelled", len(pending), grace)
        await self.close()

    def connected(self) -> bool:
        """Whether every gateway connection (shard) is open and the bot is ready."""
        if self.is_closed() or not self.is_ready():
            return False
        shards = getattr(self, "shards", None)
        if shards is not None:  # AutoShardedBot
            return bool(shards) and not any(shard.is_closed() for shard in shards.values())
        return self.ws is not None and self.ws.open

    async def _write_health(self, path: Path) -> None:
        """Touch ``path`` while connected, for `python -m bot health` (Docker's check).

        A file left by an earlier run is removed first, and this one is removed on the way out,
        so the file's age always tells how long ago this bot was last seen connected.
        """
        await asyncio.to_thread(path.unlink, missing_ok=True)
        try:
            await self.wait_until_ready()
            while not self.is_closed():
                if self.connected():
                    try:
                        await asyncio.to_thread(path.write_text, f"{time.time():.0f}\n")
                    except OSError as exc:
                        log.warning("cannot write the health file %s: %s", path, exc.strerror)
                await asyncio.sleep(HEALTH_INTERVAL_SECONDS)
        finally:
            with contextlib.suppress(OSError):
                path.unlink(missing_ok=True)

    async def connect(self, *, reconnect: bool = True) -> None:
        """Connect to the gateway; raise GatewayUnreachable if the first connection never opens.

        After a failed attempt discord.py's reconnect loop reads ``self.ws``, which is None until
        a connection has opened: an unreachable gateway at start-up ended in an AttributeError
        traceback. Its context is the real network error, which this reports instead.
        """
        quiet = _QuietFirstConnect(self)
        logging.getLogger("discord.client").addFilter(quiet)
        try:
            await super().connect(reconnect=reconnect)
        except AttributeError as exc:
            cause = exc.__context__
            if self.ws is not None or cause is None:
                raise
            raise GatewayUnreachable(str(cause) or type(cause).__name__) from cause
        finally:
            logging.getLogger("discord.client").removeFilter(quiet)

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


class _QuietFirstConnect(logging.Filter):
    """Drop discord.py's reconnect traceback while no connection has opened yet.

    That failure ends the run with one clear line (GatewayUnreachable); once connected,
    discord.py's reconnect logging is kept as it is.
    """

    def __init__(self, bot: QABot) -> None:
        super().__init__()
        self.bot = bot

    def filter(self, record: logging.LogRecord) -> bool:
        return not (self.bot.ws is None and str(record.msg).startswith("Attempting a reconnect"))


class ShardedQABot(QABot, commands.AutoShardedBot):
    """QABot over several gateway shards (discord.py's AutoShardedBot): config shard_count/_ids."""

    def __init__(self, *, config: Config, engine: Engine, **options: Any) -> None:
        shard_ids = list(config.shard_ids) if config.shard_ids is not None else None
        super().__init__(
            config=config,
            engine=engine,
            shard_count=config.shard_count,
            shard_ids=shard_ids,
            **options,
        )


def create_bot(
    *,
    config: Config,
    engine: Engine,
    sync_on_start: bool = True,
    recorder: Recorder | None = None,
    health_file: Path | None = None,
) -> QABot:
    """The bot the config asks for: sharded when ``shard_count`` is set, else one connection."""
    cls = ShardedQABot if config.sharded else QABot
    return cls(
        config=config,
        engine=engine,
        sync_on_start=sync_on_start,
        recorder=recorder,
        health_file=health_file,
    )


@contextlib.contextmanager
def _graceful_signals(bot: QABot) -> Iterator[None]:
    """On SIGTERM or SIGINT, shut down gracefully; a second signal closes at once."""
    loop = asyncio.get_running_loop()
    signals = (signal.SIGTERM, signal.SIGINT)
    previous = {sig: signal.getsignal(sig) for sig in signals}

    def on_signal(sig: signal.Signals) -> None:
        if bot.draining:
            log.warning("%s again: closing now", sig.name)
            bot.spawn(bot.close())
            return
        log.info(
            "%s: finishing the answers in flight (up to %.0f s), then closing",
            sig.name,
            SHUTDOWN_GRACE_SECONDS,
        )
        bot.spawn(bot.shutdown())

    for sig in signals:
        loop.add_signal_handler(sig, on_signal, sig)
    try:
        yield
    finally:
        for sig in signals:
            loop.remove_signal_handler(sig)
            signal.signal(sig, previous[sig])


# Gateway close codes that no retry can fix (Discord's docs, "Gateway Close Event Codes").
_SETUP_CLOSE_CODES = {
    4004: BAD_TOKEN,
    4010: "Discord refused the shard settings: shard_ids must be below shard_count",
    4011: (
        "Discord requires sharding for this bot (it is in 2,500 servers or more): set "
        "shard_count in config.yaml (see Many servers in the README)"
    ),
    4013: "Discord refused the intents the bot asked for",
    4014: NO_INTENT,
}


def _closed_by_discord(exc: discord.ConnectionClosed) -> StartupError:
    """The StartupError for a gateway connection Discord closed for good (4004, 4011, ...).

    discord.py reconnects by itself after every other close code, so any code that reaches
    here is one a restart would not fix either.
    """
    reason = f": {exc.reason}" if exc.reason else ""
    message = _SETUP_CLOSE_CODES.get(
        exc.code or 0, f"Discord closed the gateway connection (code {exc.code}{reason})"
    )
    return StartupError(message, exit_code=EXIT_SETUP)


async def run_bot(
    token: str,
    *,
    config: Config,
    engine: Engine,
    recorder: Recorder | None = None,
    health_file: Path | None = None,
) -> None:
    """Connect and serve until stopped by a signal; raise StartupError when it cannot."""
    freeze_engine()  # the engine lives as long as the bot: keep the cycle collector off it
    bot = create_bot(config=config, engine=engine, recorder=recorder, health_file=health_file)
    async with bot:
        with _graceful_signals(bot):
            try:
                await bot.start(token)
            except discord.LoginFailure:
                raise StartupError(BAD_TOKEN, exit_code=EXIT_SETUP) from None
            except discord.PrivilegedIntentsRequired:
                raise StartupError(NO_INTENT, exit_code=EXIT_SETUP) from None
            except GatewayUnreachable as exc:
                raise StartupError(
                    f"could not reach Discord's gateway: {exc}", exit_code=EXIT_UNREACHABLE
                ) from None
            except discord.ConnectionClosed as exc:
                raise _closed_by_discord(exc) from None
            except (
                discord.HTTPException,
                discord.GatewayNotFound,
                aiohttp.ClientError,
                OSError,
            ) as exc:
                raise StartupError(
                    f"could not connect to Discord: {exc}", exit_code=EXIT_UNREACHABLE
                ) from None


async def sync_once(
    token: str, *, config: Config, engine: Engine, guild_id: int | None
) -> list[str]:
    """Log in over REST only (no gateway), upload the commands, close; the names synced."""
    bot = QABot(config=config, engine=engine, sync_on_start=False)
    async with bot:
        try:
            await bot.login(token)
        except discord.LoginFailure:
            raise StartupError(BAD_TOKEN, exit_code=EXIT_SETUP) from None
        except (discord.HTTPException, aiohttp.ClientError, OSError) as exc:
            raise StartupError(
                f"could not connect to Discord: {exc}", exit_code=EXIT_UNREACHABLE
            ) from None
        try:
            synced = await sync_commands(bot, guild_id=guild_id)
        except discord.HTTPException as exc:
            raise StartupError(
                f"Discord refused the command sync: {exc.status} {exc.text}",
                exit_code=EXIT_UNREACHABLE if exc.status >= 500 else EXIT_SETUP,
            ) from None
    return [command.name for command in synced]
