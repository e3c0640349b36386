"""Tests for bot.recorder: writes queued off the event loop, failures logged once, never raised."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import time
from pathlib import Path

import pytest

from bot.recorder import Recorder, open_recorder
from bot.store import Store, VoteOutcome
from tests.test_store import ASKER, question


def _count(path: Path) -> int:
    db = sqlite3.connect(path)  # a reader: WAL lets it read while another connection writes
    try:
        return db.execute("SELECT count(*) FROM questions").fetchone()[0]
    finally:
        db.close()


async def test_a_question_is_queued_not_written_inline(tmp_path: Path) -> None:
    """With the file locked, record_question returns at once; the row lands after the lock."""
    path = tmp_path / "bot.sqlite3"
    recorder = open_recorder(path, log_questions=True, retention_days=90, busy_timeout_ms=5000)
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    assert recorder.record_question(question(1), user_id=ASKER) is True
    assert _count(path) == 0  # not written yet: the caller did not wait for the lock
    holder.execute("ROLLBACK")
    holder.close()
    await recorder.flush()
    assert _count(path) == 1
    await recorder.aclose()


async def test_failures_are_logged_once_with_the_path_then_recovery(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Three failing calls give one warning naming the file; the first success says so."""
    path = tmp_path / "bot.sqlite3"
    recorder = open_recorder(path, log_questions=True, retention_days=90, busy_timeout_ms=10)
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    with caplog.at_level(logging.INFO, logger="bot.recorder"):
        recorder.record_question(question(1), user_id=ASKER)
        recorder.record_question(question(2), user_id=ASKER)
        assert await recorder.vote(1, ASKER, 1) is None
        holder.execute("ROLLBACK")
        holder.close()
        recorder.record_question(question(3), user_id=ASKER)
        assert await recorder.vote(3, ASKER, 1) is VoteOutcome.NEW
    messages = [(r.levelname, r.getMessage()) for r in caplog.records]
    assert messages == [
        (
            "WARNING",
            f"question log {path} failed (OperationalError: database is locked); answers go on "
            "without it. Not repeated until it works again",
        ),
        ("INFO", f"question log {path} works again"),
    ]
    assert _count(path) == 1
    await recorder.aclose()


async def test_logging_off_records_nothing(tmp_path: Path) -> None:
    """log_questions: false queues nothing and leaves the file empty."""
    path = tmp_path / "bot.sqlite3"
    recorder = open_recorder(path, log_questions=False, retention_days=90)
    assert recorder.record_question(question(1), user_id=ASKER) is False
    await recorder.flush()
    assert _count(path) == 0
    await recorder.aclose()


async def test_purge_uses_the_retention_period(tmp_path: Path) -> None:
    """purge() deletes what is older than retention_days and keeps the rest."""
    path = tmp_path / "bot.sqlite3"
    recorder = open_recorder(path, log_questions=True, retention_days=7)
    now = time.time()
    recorder.record_question(question(1, asked_at=now - 8 * 86_400), user_id=ASKER)
    recorder.record_question(question(2, asked_at=now - 6 * 86_400), user_id=ASKER)
    assert await recorder.purge(now=now) == 1
    records = await recorder.questions(since=0)
    assert records is not None and [r.id for r in records] == [2]
    await recorder.aclose()


async def test_concurrent_writes_are_all_kept(tmp_path: Path) -> None:
    """500 questions and votes queued from many tasks at once: none is lost."""
    path = tmp_path / "bot.sqlite3"
    recorder = Recorder(Store.open(path))

    async def user(n: int) -> None:
        for k in range(10):
            recorder.record_question(question(n * 100 + k), user_id=n)
            await asyncio.sleep(0)
        assert await recorder.vote(n * 100, n + 1, 1) is VoteOutcome.NEW

    await asyncio.gather(*(user(n) for n in range(50)))
    await recorder.flush()
    records = await recorder.questions(since=0)
    assert records is not None and len(records) == 500
    assert sum(r.up for r in records) == 50
    await recorder.aclose()
    await recorder.aclose()  # a second close does nothing
    assert await recorder.vote(1, 1, 1) is None  # a late press after closing is not an error
    assert recorder.record_question(question(9999), user_id=1) is False


async def test_a_bad_interface_is_logged_as_a_bug_and_not_queued(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A caller's typo never raises into the answer path: an ERROR line, no row, no buttons."""
    from dataclasses import replace

    recorder = open_recorder(tmp_path / "bot.sqlite3", log_questions=True, retention_days=90)
    record = replace(question(1), interface="followup")
    with caplog.at_level(logging.ERROR, logger="bot.recorder"):
        assert recorder.record_question(record, user_id=ASKER) is False
    assert caplog.messages == ["not logging question 1: unknown interface 'followup'"]
    await recorder.flush()
    assert _count(tmp_path / "bot.sqlite3") == 0
    await recorder.aclose()


def _fill_up(recorder: Recorder) -> None:
    db = recorder.store._db
    db.execute(f"PRAGMA max_page_count = {db.execute('PRAGMA page_count').fetchone()[0]}")


def _corrupt(recorder: Recorder) -> None:
    # A damaged page under a running bot: SQLite raises DatabaseError on the next write.
    def malformed(*args: object, **kwargs: object) -> None:
        raise sqlite3.DatabaseError("database disk image is malformed")

    recorder.store.record_questions = malformed  # type: ignore[method-assign]


@pytest.mark.parametrize(
    ("breakage", "error"),
    [
        (_fill_up, "OperationalError: database or disk is full"),
        (_corrupt, "DatabaseError: database disk image is malformed"),
    ],
)
async def test_a_full_or_corrupt_file_is_logged_once_and_never_raises(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, breakage: object, error: str
) -> None:
    """Writes after the file filled up or broke: no exception reaches the caller, one warning."""
    path = tmp_path / "bot.sqlite3"
    recorder = open_recorder(path, log_questions=True, retention_days=90)
    breakage(recorder)  # type: ignore[operator]
    with caplog.at_level(logging.WARNING, logger="bot.recorder"):
        for n in range(3):
            assert recorder.record_question(question(n, text="x" * 3000), user_id=ASKER)
            await recorder.flush()
    assert caplog.messages == [
        f"question log {path} failed ({error}); answers go on without it. "
        "Not repeated until it works again"
    ]
    await recorder.aclose()
