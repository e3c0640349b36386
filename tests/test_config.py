"""Tests for bot.config: defaults, the example file, and each error with its exact message."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from bot.cli import DEFAULT_KNOWLEDGE_DIR
from bot.config import Config, load_config
from bot.errors import ConfigError

REPO = Path(__file__).resolve().parent.parent
EXAMPLE = REPO / "config.example.yaml"


def _errors(tmp_path: Path, text: str) -> list[str]:
    path = tmp_path / "config.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_config(path)
    prefix = f"{path}:"
    return [str(p).removeprefix(prefix) for p in info.value.problems]


def test_example_config_loads_to_the_defaults() -> None:
    """config.example.yaml is valid and spells out exactly the built-in defaults.

    The database path is relative to the config file, so the example's is in the repo; the
    built-in default is the same relative path, taken from the current directory.
    """
    assert load_config(EXAMPLE) == replace(Config(), database=REPO / "data" / "bot.sqlite3")
    assert Config().database == Path("data/bot.sqlite3")
    assert Config().knowledge_dir == DEFAULT_KNOWLEDGE_DIR


def test_example_config_documents_every_option() -> None:
    """Every Config field appears as a key in the example file."""
    text = EXAMPLE.read_text(encoding="utf-8")
    for name in Config.__dataclass_fields__:
        assert f"\n{name}:" in text, name


def test_full_config_is_read(tmp_path: Path) -> None:
    """Every key is read into the typed Config; knowledge_dir is relative to the file."""
    path = tmp_path / "config.yaml"
    path.write_text(
        "knowledge_dir: kb\nanswer_mentions: false\nanswer_dms: false\nchannels: [11, 12]\n"
        "answer_every_message: true\nadmin_users: [21]\nadmin_roles: [31]\ncooldown_seconds: 2.5\n"
        "max_question_length: 300\nask_private_by_default: true\ndev_guild_id: 41\n"
        "log_level: debug\n",
        encoding="utf-8",
    )
    assert load_config(path) == Config(
        knowledge_dir=tmp_path / "kb",
        answer_mentions=False,
        answer_dms=False,
        channels=frozenset({11, 12}),
        answer_every_message=True,
        admin_users=frozenset({21}),
        admin_roles=frozenset({31}),
        cooldown_seconds=2.5,
        max_question_length=300,
        ask_private_by_default=True,
        dev_guild_id=41,
        log_level="DEBUG",
    )
    assert load_config(path).needs_message_content is True


def test_empty_file_gives_defaults(tmp_path: Path) -> None:
    """An empty config file means every default."""
    path = tmp_path / "config.yaml"
    path.write_text("# nothing set\n", encoding="utf-8")
    assert load_config(path) == Config()


def test_missing_file_is_an_error(tmp_path: Path) -> None:
    """A config file that does not exist is named."""
    with pytest.raises(ConfigError) as info:
        load_config(tmp_path / "nope.yaml")
    assert str(info.value) == f"{tmp_path}/nope.yaml: file not found"


def test_unknown_key_gets_a_suggestion(tmp_path: Path) -> None:
    """A misspelt key is reported at its line and column with the closest real key."""
    assert _errors(tmp_path, "log_level: INFO\ncooldown_secs: 5\n") == [
        "2:1: unknown key 'cooldown_secs' (did you mean 'cooldown_seconds'?)"
    ]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("answer_dms: yes\n", "1:13: answer_dms must be true or false, got 'yes'"),
        ("answer_dms: 'true'\n", "1:13: answer_dms must be true or false, got 'true'"),
        (
            "channels: 123\n",
            "1:11: channels must be a list, got the number 123 (quote it if you mean the text: "
            "'123')",
        ),
        (
            "channels:\n  - 1\n  - '42'\n",
            "3:5: channels[1] must be a Discord id (a whole number from 1 to 2^63-1), got '42'",
        ),
        (
            "admin_roles: [0]\n",
            "1:15: admin_roles[0] must be a Discord id (a whole number from 1 to 2^63-1), got the "
            "number 0 (quote it if you mean the text: '0')",
        ),
        (
            "cooldown_seconds: -1\n",
            "1:19: cooldown_seconds must be a number of seconds from 0 to 86400, got the number -1 "
            "(quote it if you mean the text: '-1')",
        ),
        ("max_question_length: 0\n", "1:22: max_question_length must be in 1..4000, got 0"),
        (
            "max_question_length: 1.5\n",
            "1:22: max_question_length must be an integer, got the number 1.5 (quote it if you "
            "mean the text: '1.5')",
        ),
        (
            "dev_guild_id: true\n",
            "1:15: dev_guild_id must be a Discord id (a whole number from 1 to 2^63-1), got the "
            "YAML boolean true (quote it if you mean the text: 'true')",
        ),
        (
            "log_level: LOUD\n",
            "1:12: log_level must be one of DEBUG, INFO, WARNING, ERROR, CRITICAL, got 'LOUD'",
        ),
        (
            "knowledge_dir: 12\n",
            "1:16: knowledge_dir must be a string, got the number 12 (quote it if you mean the "
            "text: '12')",
        ),
        (
            "answer_every_message: true\n",
            "1:1: answer_every_message: true needs at least one channel id in channels",
        ),
        (
            "log_level: INFO\nlog_level: DEBUG\n",
            "2:1: duplicate key 'log_level' (first defined at line 1)",
        ),
        ("log_level: [INFO\n", "2:1: invalid YAML: expected ',' or ']', but got '<stream end>'"),
    ],
)
def test_each_error_has_an_exact_message(tmp_path: Path, text: str, message: str) -> None:
    """Each kind of bad value gives one problem with its line, column and exact message."""
    assert _errors(tmp_path, text) == [message]


def test_not_a_mapping(tmp_path: Path) -> None:
    """A list at the top level is reported as such."""
    assert _errors(tmp_path, "- a\n- b\n") == [" the config file must be a mapping, got a list"]


def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    """Several bad keys give several problems at once: unknown keys first, then bad values."""
    assert _errors(tmp_path, "answer_dms: 1\nlog_level: x\nbogus: 1\n") == [
        "3:1: unknown key 'bogus'",
        "1:13: answer_dms must be true or false, got the number 1 (quote it if you mean the "
        "text: '1')",
        "2:12: log_level must be one of DEBUG, INFO, WARNING, ERROR, CRITICAL, got 'x'",
    ]


def test_question_log_keys_are_read(tmp_path: Path) -> None:
    """database is relative to the config file; log_questions and retention_days are read."""
    path = tmp_path / "config.yaml"
    path.write_text(
        "database: state/questions.db\nlog_questions: false\nretention_days: 7\n", encoding="utf-8"
    )
    config = load_config(path)
    assert config.database == tmp_path / "state" / "questions.db"
    assert config.log_questions is False
    assert config.retention_days == 7
    absolute = tmp_path / "elsewhere.db"
    path.write_text(f"database: {absolute}\n", encoding="utf-8")
    assert load_config(path).database == absolute


_SECONDS = "must be a number of seconds from 0 to 86400"
_ID = "must be a Discord id (a whole number from 1 to 2^63-1)"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("cooldown_seconds: .inf\n", f"1:19: cooldown_seconds {_SECONDS}, got the number .inf"),
        (
            "cooldown_seconds: 1.0e+308\n",
            f"1:19: cooldown_seconds {_SECONDS}, got the number 1.0e+308",
        ),
        ("cooldown_seconds: .nan\n", f"1:19: cooldown_seconds {_SECONDS}, got the number .nan"),
        ("cooldown_seconds: 86401\n", f"1:19: cooldown_seconds {_SECONDS}, got the number 86401"),
        (
            "channels: [99999999999999999999999]\n",
            f"1:12: channels[0] {_ID}, got the number 99999999999999999999999",
        ),
        (
            "admin_users: [9223372036854775808]\n",
            f"1:15: admin_users[0] {_ID}, got the number 9223372036854775808",
        ),
        (
            "dev_guild_id: 18446744073709551616\n",
            f"1:15: dev_guild_id {_ID}, got the number 18446744073709551616",
        ),
        ("dev_guild_id: 1.5e3\n", f"1:15: dev_guild_id {_ID}, got '1.5e3'"),
    ],
)
def test_numbers_must_be_finite_and_in_range(tmp_path: Path, text: str, message: str) -> None:
    """Infinite, not-a-number and out-of-range numbers and ids are errors with their place."""
    # The "(quote it if you mean the text: ...)" hint after a number is tested above.
    found = _errors(tmp_path, text)
    assert [line.split(" (quote it")[0] for line in found] == [message]


def test_largest_snowflake_and_longest_cooldown_are_accepted(tmp_path: Path) -> None:
    """The range ends are valid: 2^63-1 as an id, a day as a cooldown, 0 to switch it off."""
    path = tmp_path / "config.yaml"
    path.write_text(
        "dev_guild_id: 9223372036854775807\ncooldown_seconds: 86400\nchannels: [1]\n",
        encoding="utf-8",
    )
    config = load_config(path)
    assert config.dev_guild_id == 2**63 - 1 and config.cooldown_seconds == 86400.0
    path.write_text("cooldown_seconds: 0\n", encoding="utf-8")
    assert load_config(path).cooldown_seconds == 0.0


def test_a_duplicate_key_does_not_hide_other_problems(tmp_path: Path) -> None:
    """A duplicate key is reported together with every bad value, not instead of them."""
    assert _errors(
        tmp_path, "cooldown_seconds: .inf\nlog_level: INFO\nlog_level: x\nchannels: [0]\n"
    ) == [
        "3:1: duplicate key 'log_level' (first defined at line 2)",
        f"4:12: channels[0] {_ID}, got the number 0 (quote it if you mean the text: '0')",
        f"1:19: cooldown_seconds {_SECONDS}, got the number .inf (quote it if you mean the "
        "text: '.inf')",
    ]


def test_a_huge_value_is_quoted_briefly(tmp_path: Path) -> None:
    """A 900 KB value is quoted by its first 80 characters and its length, not in full."""
    [line] = _errors(tmp_path, f"log_level: {'A' * 900_000}\n")
    assert line == (
        "1:12: log_level must be one of DEBUG, INFO, WARNING, ERROR, CRITICAL, got "
        f"'{'A' * 80}'… (900,000 characters)"
    )


def test_shards_are_read(tmp_path: Path) -> None:
    """shard_count alone runs every shard here; with shard_ids only those; both mean sharded."""
    path = tmp_path / "config.yaml"
    path.write_text("shard_count: 4\nshard_ids: [2, 3]\n", encoding="utf-8")
    config = load_config(path)
    assert (config.shard_count, config.shard_ids, config.sharded) == (4, (2, 3), True)
    assert Config().sharded is False and Config().shard_ids is None


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("retention_days: 0\n", "1:17: retention_days must be in 1..3650, got 0"),
        (
            "database: 12\n",
            "1:11: database must be a string, got the number 12 (quote it if you mean the "
            "text: '12')",
        ),
        ("log_questions: no\n", "1:16: log_questions must be true or false, got 'no'"),
        (
            "retention_dayz: 5\n",
            "1:1: unknown key 'retention_dayz' (did you mean 'retention_days'?)",
        ),
    ],
)
def test_question_log_key_errors(tmp_path: Path, text: str, message: str) -> None:
    """Bad question-log settings are reported with their line, column and exact message."""
    assert _errors(tmp_path, text) == [message]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("shard_count: 0\n", "1:14: shard_count must be in 1..100000, got 0"),
        ("shard_ids: [0]\n", "1:1: shard_ids needs shard_count: the total number of shards"),
        ("shard_count: 2\nshard_ids: []\n", "2:12: shard_ids must list at least one shard id"),
        (
            "shard_count: 2\nshard_ids: [0, 2]\n",
            "2:16: shard_ids[1] must be a shard number from 0 to 1, got the number 2 (quote it "
            "if you mean the text: '2')",
        ),
        ("shard_count: 2\nshard_ids: [1, 1]\n", "2:16: shard_ids[1]: shard 1 is listed twice"),
    ],
)
def test_shard_errors(tmp_path: Path, text: str, message: str) -> None:
    """Each bad sharding setting is one problem at its place."""
    assert _errors(tmp_path, text) == [message]
