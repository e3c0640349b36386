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
            "3:5: channels[1] must be a Discord id (a positive integer), got '42'",
        ),
        (
            "admin_roles: [0]\n",
            "1:15: admin_roles[0] must be a Discord id (a positive integer), got the number 0 "
            "(quote it if you mean the text: '0')",
        ),
        (
            "cooldown_seconds: -1\n",
            "1:19: cooldown_seconds must be a number of seconds >= 0, got the number -1 "
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
            "1:15: dev_guild_id must be an integer, got the YAML boolean true (quote it if you "
            "mean the text: 'true')",
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
