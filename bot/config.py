"""The bot's settings: ``load_config(path) -> Config``, validated like the knowledge files.

Every problem is reported at once as ``path:line:col: message`` (unknown keys get a "did you
mean"), through the same strict YAML reader the knowledge loader uses. The token is not a setting:
it comes from the ``DISCORD_TOKEN`` environment variable only.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.cli import DEFAULT_KNOWLEDGE_DIR
from bot.core.yamlio import Checker, MarkedDict, describe, read_yaml
from bot.errors import ConfigError

LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
MAX_QUESTION_LENGTH_CAP = 4000  # a slash-command string option can carry at most 6000; stay sane
# The question log. Relative paths are relative to the config file; without a config file, to
# the current directory (where ./config.yaml would be).
DEFAULT_DATABASE = Path("data/bot.sqlite3")
MAX_RETENTION_DAYS = 3650

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
    # The on-disk engine cache (bot.core.cache): on by default; cache_dir None is the default
    # folder ($BOT_CACHE_DIR, else $XDG_CACHE_HOME or ~/.cache, /mikelewis-bot/engines).
    engine_cache: bool = True
    cache_dir: Path | None = None

    @property
    def needs_message_content(self) -> bool:
        """Whether the privileged message-content intent is needed (un-mentioned messages)."""
        return self.answer_every_message


def _ids(checker: Checker, m: MarkedDict, key: str) -> frozenset[int] | None:
    """A list of Discord ids (positive integers), each bad item reported at its own mark."""
    if key not in m or m[key] is None:
        return None
    items = checker.sequence(m[key], m.value_marks[key], where=key)
    if items is None:
        return None
    ids: set[int] = set()
    for i, item in enumerate(items):
        if isinstance(item, bool) or not isinstance(item, int) or item < 1:
            checker.problem(
                items.item_marks[i],
                f"{key}[{i}] must be a Discord id (a positive integer), "
                f"got {describe(item, items.raw_items[i])}",
            )
        else:
            ids.add(item)
    return frozenset(ids)


def _seconds(checker: Checker, m: MarkedDict, key: str) -> float | None:
    if key not in m or m[key] is None:
        return None
    value = m[key]
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        checker.problem(
            m.value_marks[key],
            f"{key} must be a number of seconds >= 0, got {describe(value, m.raw[key])}",
        )
        return None
    return float(value)


def _log_level(checker: Checker, m: MarkedDict) -> str | None:
    value = checker.string(m, "log_level", required=False)
    if value is None:
        return None
    if value.upper() not in LOG_LEVELS:
        checker.problem(
            m.value_marks["log_level"],
            f"log_level must be one of {', '.join(LOG_LEVELS)}, got {value!r}",
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
    ):
        values[key] = checker.boolean(m, key, required=False)
    for key in ("channels", "admin_users", "admin_roles"):
        values[key] = _ids(checker, m, key)
    values["cooldown_seconds"] = _seconds(checker, m, "cooldown_seconds")
    values["max_question_length"] = checker.integer(
        m, "max_question_length", required=False, minimum=1, maximum=MAX_QUESTION_LENGTH_CAP
    )
    values["dev_guild_id"] = checker.integer(m, "dev_guild_id", required=False, minimum=1)
    values["log_level"] = _log_level(checker, m)
    values["admin_log_channel"] = checker.integer(m, "admin_log_channel", required=False, minimum=1)
    database = checker.string(m, "database", required=False)
    if database is not None:
        values["database"] = base_dir / database
    values["log_questions"] = checker.boolean(m, "log_questions", required=False)
    values["retention_days"] = checker.integer(
        m, "retention_days", required=False, minimum=1, maximum=MAX_RETENTION_DAYS
    )
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
    """Read and validate a config file; raise ConfigError with every problem found."""
    data, problems = read_yaml(path)
    if problems:
        raise ConfigError(problems)
    return parse_config(data, display_path=str(path), base_dir=path.parent)
