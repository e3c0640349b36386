"""Tests for bot.store: migrations, refusing bad files untouched, votes, forget and retention."""

from __future__ import annotations

import sqlite3
import time
from dataclasses import replace
from pathlib import Path

import pytest

from bot.core.curation import CitedSource, QuestionRecord
from bot.store import (
    APPLICATION_ID,
    MIGRATIONS,
    SCHEMA_VERSION,
    Store,
    StoreError,
    VoteOutcome,
    migrate,
)
from tests.logged import question_record

NOW = time.time()
ASKER = 2000
CITED = (CitedSource("paper", "1910.13461"), CitedSource("post", "2019-10-31-1"))
OTHER = 3000


def question(n: int, *, asked_at: float = NOW, text: str = "what is BART?") -> QuestionRecord:
    """A logged question citing a paper and a post."""
    return question_record(n, text, asked_at=asked_at, cited=CITED, latency_ms=12.5)


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "data" / "bot.sqlite3"


@pytest.fixture
def store(path: Path) -> Store:
    return Store.open(path)


def _pragma(path: Path, name: str) -> object:
    db = sqlite3.connect(path)
    try:
        return db.execute(f"PRAGMA {name}").fetchone()[0]
    finally:
        db.close()


def test_a_new_file_is_created_in_wal_mode_at_the_current_version(path: Path) -> None:
    """The folder and file are made; WAL, the schema version and our application id are set."""
    Store.open(path).close()
    assert path.is_file()
    assert _pragma(path, "journal_mode") == "wal"
    assert _pragma(path, "user_version") == SCHEMA_VERSION == len(MIGRATIONS)
    assert _pragma(path, "application_id") == APPLICATION_ID


def test_an_empty_file_is_migrated_from_version_0(path: Path) -> None:
    """A zero-byte file (SQLite's empty database) gets the whole schema."""
    path.parent.mkdir()
    path.write_bytes(b"")
    store = Store.open(path)
    store.record_question(question(1), user_id=ASKER)
    assert store.record_vote(1, ASKER, 1, at=NOW) is VoteOutcome.NEW
    store.close()
    assert _pragma(path, "user_version") == SCHEMA_VERSION


def test_a_file_from_the_previous_version_is_migrated_and_keeps_its_rows(path: Path) -> None:
    """A version N-1 file (questions, no votes table) keeps its rows, salt and hashes."""
    path.parent.mkdir()
    db = sqlite3.connect(path, isolation_level=None)
    assert migrate(db, target=SCHEMA_VERSION - 1) == SCHEMA_VERSION - 1
    salt = db.execute("SELECT value FROM meta WHERE key = 'salt'").fetchone()[0]
    db.execute(
        "INSERT INTO questions (id, asked_at, guild_id, channel_id, interface, user_hash,"
        " question, declined, confidence, latency_ms)"
        " VALUES (7, ?, 4000, 5000, 'ask', 'old-hash', 'what is BART?', 0, 'high', 3.0)",
        (NOW,),
    )
    tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert "votes" not in tables
    db.close()

    store = Store.open(path)
    assert _pragma(path, "user_version") == SCHEMA_VERSION
    [old] = store.questions(since=NOW - 10)
    assert (old.id, old.interface, old.question, old.cited) == (7, "ask", "what is BART?", ())
    assert store.record_vote(7, ASKER, -1, at=NOW) is VoteOutcome.NEW
    db = sqlite3.connect(path)
    assert db.execute("SELECT value FROM meta WHERE key = 'salt'").fetchone()[0] == salt
    db.close()
    store.close()


def test_migrating_twice_changes_nothing(path: Path) -> None:
    """Opening an up-to-date file runs no migration and keeps its rows."""
    store = Store.open(path)
    store.record_question(question(1), user_id=ASKER)
    store.close()
    store = Store.open(path)
    assert store.count() == 1
    store.close()


def test_corrupt_file_is_refused_and_left_untouched(path: Path) -> None:
    """Garbage where the database should be: a StoreError naming the file; bytes unchanged."""
    path.parent.mkdir()
    garbage = b"SQLite format 2\x00" + bytes(range(256)) * 20
    path.write_bytes(garbage)
    with pytest.raises(StoreError) as info:
        Store.open(path)
    assert str(info.value).startswith(f"{path}: not a readable SQLite database (")
    assert "left untouched" in str(info.value)
    assert path.read_bytes() == garbage
    assert not path.with_name("bot.sqlite3-wal").exists()


def test_damaged_pages_are_refused_and_left_untouched(path: Path) -> None:
    """A database whose inner pages are overwritten fails the integrity check, untouched."""
    store = Store.open(path)
    for n in range(200):
        store.record_question(question(n, text=f"question number {n} " * 20), user_id=ASKER)
    store.close()
    data = bytearray(path.read_bytes())
    page = 4096
    data[page * 3 : page * 6] = b"\xff" * (page * 3)  # wreck three b-tree pages
    path.write_bytes(bytes(data))
    with pytest.raises(StoreError, match="left untouched") as info:
        Store.open(path)
    assert str(info.value).startswith(f"{path}: ")
    assert path.read_bytes() == bytes(data)


def test_newer_version_is_refused_and_left_untouched(path: Path) -> None:
    """A file written by a newer bot: the versions are named, nothing is changed."""
    Store.open(path).close()
    db = sqlite3.connect(path)
    db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    db.close()
    before = path.read_bytes()
    with pytest.raises(StoreError) as info:
        Store.open(path)
    assert str(info.value) == (
        f"{path}: the database has schema version {SCHEMA_VERSION + 1}, newer than this bot's "
        f"({SCHEMA_VERSION}); it was left untouched. Run the newer bot, or point `database:` at "
        "another file"
    )
    assert path.read_bytes() == before


def test_someone_elses_sqlite_file_is_refused(path: Path) -> None:
    """A SQLite file with tables but not ours is not migrated into."""
    path.parent.mkdir()
    db = sqlite3.connect(path)
    db.execute("CREATE TABLE notes (text TEXT)")
    db.commit()
    db.close()
    before = path.read_bytes()
    with pytest.raises(StoreError, match="is not the bot's question log"):
        Store.open(path)
    assert path.read_bytes() == before


def test_missing_file_is_an_error_without_create(path: Path) -> None:
    """report/forget never create a database: they say there is none yet."""
    with pytest.raises(StoreError) as info:
        Store.open(path, create=False)
    assert str(info.value) == (f"{path}: no database here yet; the bot creates it on its first run")
    assert not path.exists()


def test_question_round_trip_hashes_the_user(store: Store, path: Path) -> None:
    """What is written is read back; the user is a salted hash, never the id."""
    record = question(1)
    assert store.record_question(record, user_id=ASKER) is True
    assert store.record_question(record, user_id=ASKER) is False  # a replayed event
    assert store.questions(since=NOW - 1) == [record]
    db = sqlite3.connect(path)
    [(user_hash,)] = db.execute("SELECT user_hash FROM questions").fetchall()
    db.close()
    assert user_hash == store.user_hash(ASKER) != store.user_hash(OTHER)
    assert str(ASKER) not in user_hash and len(user_hash) == 32


def test_same_user_hashes_differently_in_another_file(tmp_path: Path) -> None:
    """Each file has its own salt, so hashes cannot be matched across databases."""
    one, two = Store.open(tmp_path / "a.db"), Store.open(tmp_path / "b.db")
    assert one.user_hash(ASKER) != two.user_hash(ASKER)
    one.close()
    two.close()


def test_unknown_interface_is_a_programming_error(store: Store) -> None:
    """Only the listed interfaces are logged."""
    with pytest.raises(ValueError, match="unknown interface 'followup'"):
        store.record_question(replace(question(1), interface="followup"), user_id=ASKER)


def test_votes_one_per_user_and_a_second_press_changes_it(store: Store) -> None:
    """New, same, changed, another user's vote, an unknown answer, and the reason rules."""
    store.record_question(question(1), user_id=ASKER)
    assert store.record_vote(1, ASKER, 1, at=NOW) is VoteOutcome.NEW
    assert store.record_vote(1, ASKER, 1, at=NOW) is VoteOutcome.SAME
    assert store.record_reason(1, ASKER, "no 👎 to attach this to") is False
    assert store.record_vote(1, ASKER, -1, at=NOW) is VoteOutcome.CHANGED
    assert store.record_reason(1, ASKER, "  cited the\nwrong paper " + "x" * 300) is True
    assert store.record_vote(1, OTHER, -1, at=NOW) is VoteOutcome.NEW
    assert store.record_vote(99, ASKER, 1, at=NOW) is VoteOutcome.UNKNOWN_ANSWER
    [read] = store.questions(since=NOW - 1)
    assert (read.up, read.down) == (0, 2)
    [reason] = read.reasons
    assert reason.startswith("cited the wrong paper xxx") and len(reason) == 200
    # Changing back to 👍 drops the reason that explained the 👎.
    assert store.record_vote(1, ASKER, 1, at=NOW) is VoteOutcome.CHANGED
    [read] = store.questions(since=NOW - 1)
    assert (read.up, read.down, read.reasons) == (1, 1, ())
    with pytest.raises(ValueError):
        store.record_vote(1, ASKER, 2, at=NOW)


def test_forget_deletes_one_persons_questions_and_votes(store: Store) -> None:
    """Their questions (with others' votes on them) and their votes on others' answers go."""
    store.record_question(question(1), user_id=ASKER)
    store.record_question(question(2), user_id=OTHER)
    store.record_question(question(3), user_id=ASKER)
    store.record_vote(1, OTHER, 1, at=NOW)
    store.record_vote(2, ASKER, -1, at=NOW)
    assert store.forget_user(ASKER) == (2, 1)
    [left] = store.questions(since=NOW - 1)
    assert (left.id, left.up, left.down) == (2, 0, 0)
    assert store.forget_user(ASKER) == (0, 0)


def test_purge_deletes_questions_older_than_the_cut_with_their_votes(store: Store) -> None:
    """Retention: rows before the cut go, with their votes; newer rows stay."""
    old, new = NOW - 91 * 86_400, NOW - 89 * 86_400
    store.record_question(question(1, asked_at=old), user_id=ASKER)
    store.record_question(question(2, asked_at=new), user_id=ASKER)
    store.record_vote(1, OTHER, 1, at=NOW)
    assert store.purge(before=NOW - 90 * 86_400) == 1
    assert [q.id for q in store.questions(since=0)] == [2]
    assert store.record_vote(1, OTHER, -1, at=NOW) is VoteOutcome.UNKNOWN_ANSWER


def test_questions_filter_by_guild_and_time(store: Store) -> None:
    """A server's admins see that server's questions; the terminal sees every place."""
    store.record_question(question(1), user_id=ASKER)
    store.record_question(replace(question(2), guild_id=None), user_id=ASKER)  # a DM
    store.record_question(replace(question(3), guild_id=9), user_id=ASKER)
    store.record_question(question(4, asked_at=NOW - 100), user_id=ASKER)
    assert [q.id for q in store.questions(since=NOW - 10, guild_id=4000)] == [1]
    assert [q.id for q in store.questions(since=NOW - 10)] == [1, 2, 3]
    assert [q.id for q in store.questions(since=0)] == [4, 1, 2, 3]


def test_locked_file_makes_writes_fail_after_the_busy_timeout(path: Path) -> None:
    """Another process holding the write lock: the write raises instead of waiting forever."""
    store = Store.open(path, busy_timeout_ms=20)
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        with pytest.raises(sqlite3.OperationalError, match="database is locked"):
            store.record_question(question(1), user_id=ASKER)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert store.record_question(question(1), user_id=ASKER) is True
    store.close()


def test_full_file_makes_writes_fail(path: Path) -> None:
    """A disk-full error surfaces as sqlite3.OperationalError (the recorder turns it into a log)."""
    store = Store.open(path)
    db = store._db
    pages = db.execute("PRAGMA page_count").fetchone()[0]
    db.execute(f"PRAGMA max_page_count = {pages}")
    with pytest.raises(sqlite3.OperationalError, match="full"):
        for n in range(1000):
            store.record_question(question(n, text="x" * 2000), user_id=ASKER)
    store.close()


def test_a_large_batch_is_written_whole_and_replays_are_skipped(store: Store) -> None:
    """1,200 questions in one call (three statements) land with their citations; ids already
    logged are skipped and keep their first citations."""
    store.record_question(replace(question(5), cited=CITED[:1]), user_id=ASKER)
    batch = [(question(n), ASKER if n % 2 else None) for n in range(1200)]
    assert store.record_questions(batch) == 1199
    assert store.record_questions(batch[:3] + batch[:3]) == 0
    records = store.questions(since=0)
    assert len(records) == 1200
    assert [r.cited for r in records if r.id == 5] == [CITED[:1]]
    assert all(r.cited == CITED for r in records if r.id != 5)
    db = store._db
    assert db.execute("SELECT count(*) FROM citations").fetchone()[0] == 2399
    users = db.execute("SELECT count(*) FROM questions WHERE user_hash IS NULL").fetchone()[0]
    assert users == 600  # the even ones, logged without a user
