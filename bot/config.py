"""The bot's settings: ``load_config(path) -> Config``, validated like the knowledge files.

Every problem is reported at once as ``path:line:col: message`` (unknown keys get a "did you
mean"), through the same strict YAML reader the knowledge loader uses. The token is not a setting:
it comes from the ``DISCORD_TOKEN`` environment variable only.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.cli import DEFAULT_KNOWLEDGE_DIR
from bot.core.sanitize import quoted
from bot.core.yamlio import Checker, MarkedDict, describe, read_yaml
from bot.errors import ConfigError

LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
MAX_QUESTION_LENGTH_CAP = 4000  # a slash-command string option can carry at most 6000; stay sane
# The question log. Relative paths are relative to the config file; without a config file, to
# the current directory (where ./config.yaml would be).
DEFAULT_DATABASE = Path("data/bot.sqlite3")
MAX_RETENTION_DAYS = 3650
MAX_COOLDOWN_SECONDS = 86_400  # a day: anything longer is a typo, not a cooldown
# Discord ids are 64-bit snowflakes whose top bits count milliseconds since 2015: they stay
# below 2**63 until the year 2084, so anything larger (or a float) is a typo or a paste error.
MAX_SNOWFLAKE = 2**63 - 1
MAX_SHARD_COUNT = 100_000  # Discord puts at most 2,500 servers on a shard: far beyond any bot

_KEYS = (
    "knowledge_dir",
    "answer_mentions",
    "answer_dms",
    "channels",
    "answer_every_message",
    "admin_users",
    "admin_roles",
    "cooldown_seconds",
    "max_question_length",
    "ask_private_by_default",
    "dev_guild_id",
    "log_level",
    "watch_knowledge",
    "admin_log_channel",
    "database",
    "log_questions",
    "retention_days",
    "answer_replies",
    "shard_count",
    "shard_ids",
    "engine_cache",
    "cache_dir",
)


@dataclass(frozen=True, slots=True)
class Config:
    """Validated settings; the defaults are what runs when there is no config file."""

    knowledge_dir: Path = DEFAULT_KNOWLEDGE_DIR
    answer_mentions: bool = True
    answer_dms: bool = True
    channels: frozenset[int] = field(default_factory=frozenset)
    answer_every_message: bool = False
    admin_users: frozenset[int] = field(default_factory=frozenset)
    admin_roles: frozenset[int] = field(default_factory=frozenset)
    cooldown_seconds: float = 10.0
    max_question_length: int = 500
    ask_private_by_default: bool = False
    dev_guild_id: int | None = None
    log_level: str = "INFO"
    # Reload by itself when a knowledge file changes (bot.exts.watch), reporting to the channel
    # below if one is set.
    watch_knowledge: bool = False
    admin_log_channel: int | None = None
    database: Path = DEFAULT_DATABASE
    log_questions: bool = True
    retention_days: int = 90
    # Answer a reply to one of the bot's answers as a follow-up of that answer's conversation.
    answer_replies: bool = True
    shard_count: int | None = None
    shard_ids: tuple[int, ...] | None = None
    # The on-disk engine cache (bot.core.cache): on by default; cache_dir None is the default
    # folder ($BOT_CACHE_DIR, else $XDG_CACHE_HOME or ~/.cache, /mikelewis-bot/engines).
    engine_cache: bool = True
    cache_dir: Path | None = None

    @property
    def needs_message_content(self) -> bool:
        """Whether the privileged message-content intent is needed (un-mentioned messages)."""
        return self.answer_every_message

    @property
    def sharded(self) -> bool:
        """Whether the bot runs as discord.py's AutoShardedBot (shard_count is set)."""
        return self.shard_count is not None


def is_snowflake(value: object) -> bool:
    """Whether ``value`` can be a Discord id: an integer (not a bool) in 1..MAX_SNOWFLAKE."""
    return isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= MAX_SNOWFLAKE


def _snowflake_problem(where: str, value: object, raw: str | None) -> str:
    return (
        f"{where} must be a Discord id (a whole number from 1 to 2^63-1), "
        f"got {describe(value, raw)}"
    )


def _ids(checker: Checker, m: MarkedDict, key: str) -> frozenset[int] | None:
    """A list of Discord ids (positive integers), each bad item reported at its own mark."""
    if key not in m or m[key] is None:
        return None
    items = checker.sequence(m[key], m.value_marks[key], where=key)
    if items is None:
        return None
    ids: set[int] = set()
    for i, item in enumerate(items):
        if is_snowflake(item):
            ids.add(item)
        else:
            checker.problem(
                items.item_marks[i], _snowflake_problem(f"{key}[{i}]", item, items.raw_items[i])
            )
    return frozenset(ids)


def _snowflake(checker: Checker, m: MarkedDict, key: str) -> int | None:
    """One Discord id, or None when absent or bad (reported)."""
    if key not in m or m[key] is None:
        return None
    if is_snowflake(m[key]):
        return int(m[key])
    checker.problem(m.value_marks[key], _snowflake_problem(key, m[key], m.raw[key]))
    return None


def _seconds(checker: Checker, m: MarkedDict, key: str) -> float | None:
    """A finite number of seconds in 0..MAX_COOLDOWN_SECONDS (.inf and .nan are not numbers)."""
    if key not in m or m[key] is None:
        return None
    value = m[key]
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or not math.isfinite(value)
        or not 0 <= value <= MAX_COOLDOWN_SECONDS
    ):
        checker.problem(
            m.value_marks[key],
            f"{key} must be a number of seconds from 0 to {MAX_COOLDOWN_SECONDS}, "
            f"got {describe(value, m.raw[key])}",
        )
        return None
    return float(value)


def _shards(checker: Checker, m: MarkedDict) -> tuple[int | None, tuple[int, ...] | None]:
    """shard_count (1..MAX_SHARD_COUNT) and shard_ids (distinct, each below shard_count)."""
    count = checker.integer(m, "shard_count", required=False, minimum=1, maximum=MAX_SHARD_COUNT)
    if "shard_ids" not in m or m["shard_ids"] is None:
        return count, None
    items = checker.sequence(m["shard_ids"], m.value_marks["shard_ids"], where="shard_ids")
    if items is None:
        return count, None
    if "shard_count" not in m or m["shard_count"] is None:
        checker.problem(
            m.key_marks["shard_ids"], "shard_ids needs shard_count: the total number of shards"
        )
        return count, None
    if not items:
        checker.problem(items.mark, "shard_ids must list at least one shard id")
        return count, None
    ids: list[int] = []
    top = count - 1 if count is not None else MAX_SHARD_COUNT - 1
    for i, item in enumerate(items):
        if isinstance(item, bool) or not isinstance(item, int) or not 0 <= item <= top:
            checker.problem(
                items.item_marks[i],
                f"shard_ids[{i}] must be a shard number from 0 to {top}, "
                f"got {describe(item, items.raw_items[i])}",
            )
        elif item in ids:
            checker.problem(items.item_marks[i], f"shard_ids[{i}]: shard {item} is listed twice")
        else:
            ids.append(item)
    return count, tuple(ids)


def _log_level(checker: Checker, m: MarkedDict) -> str | None:
    value = checker.string(m, "log_level", required=False)
    if value is None:
        return None
    if value.upper() not in LOG_LEVELS:
        checker.problem(
            m.value_marks["log_level"],
            f"log_level must be one of {', '.join(LOG_LEVELS)}, got {quoted(value)}",
        )
        return None
    return value.upper()


def parse_config(data: Any, *, display_path: str, base_dir: Path) -> Config:
    """Validate loaded YAML into a Config; relative paths are relative to ``base_dir``."""
    checker = Checker(display_path)
    if data is None:  # an empty file: every default
        return Config()
    m = checker.mapping(data, None, where="the config file")
    if m is None:
        raise ConfigError(checker.problems)
    checker.keys(m, allowed=_KEYS)
    values: dict[str, Any] = {}
    knowledge = checker.string(m, "knowledge_dir", required=False)
    if knowledge is not None:
        values["knowledge_dir"] = (base_dir / knowledge).resolve()
    for key in (
        "answer_mentions",
        "answer_dms",
        "answer_every_message",
        "ask_private_by_default",
        "watch_knowledge",
        "answer_replies",
    ):
        values[key] = checker.boolean(m, key, required=False)
    for key in ("channels", "admin_users", "admin_roles"):
        values[key] = _ids(checker, m, key)
    values["cooldown_seconds"] = _seconds(checker, m, "cooldown_seconds")
    values["max_question_length"] = checker.integer(
        m, "max_question_length", required=False, minimum=1, maximum=MAX_QUESTION_LENGTH_CAP
    )
    values["dev_guild_id"] = _snowflake(checker, m, "dev_guild_id")
    values["log_level"] = _log_level(checker, m)
    values["admin_log_channel"] = _snowflake(checker, m, "admin_log_channel")
    database = checker.string(m, "database", required=False)
    if database is not None:
        values["database"] = base_dir / database
    values["log_questions"] = checker.boolean(m, "log_questions", required=False)
    values["retention_days"] = checker.integer(
        m, "retention_days", required=False, minimum=1, maximum=MAX_RETENTION_DAYS
    )
    values["shard_count"], values["shard_ids"] = _shards(checker, m)
    values["engine_cache"] = checker.boolean(m, "engine_cache", required=False)
    cache_dir = checker.string(m, "cache_dir", required=False)
    if cache_dir is not None:
        values["cache_dir"] = base_dir / Path(cache_dir).expanduser()
    if values["answer_every_message"] and not values["channels"]:
        checker.problem(
            m.key_marks["answer_every_message"],
            "answer_every_message: true needs at least one channel id in channels",
        )
    if checker.problems:
        raise ConfigError(checker.problems)
    return Config(**{k: v for k, v in values.items() if v is not None})


def load_config(path: Path) -> Config:
    """Read and validate a config file; raise ConfigError with every problem found.

    Problems found while reading (a duplicate key, an unsupported tag) do not hide those in
    the values: both are reported, reading problems first.
    """
    data, problems = read_yaml(path)
    if data is None and problems:  # missing, unreadable or not YAML: nothing to check
        raise ConfigError(problems)
    try:
        config = parse_config(data, display_path=str(path), base_dir=path.parent)
    except ConfigError as exc:
        raise ConfigError([*problems, *exc.problems]) from None
    if problems:
        raise ConfigError(problems)
    return config
