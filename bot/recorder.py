"""The bot's side of the question log: every database call on one background thread.

Answers never wait for the database and never fail because of it. A question is queued and the
answer goes out at once; votes and reports wait for their result, but a database problem only
turns into ``None`` for the caller. A failing file (locked, full, corrupt) is logged once, with
its path, until a call succeeds again.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from pathlib import Path
from typing import TypeVar

from bot.core.curation import INTERFACES, QuestionRecord
from bot.store import SECONDS_PER_DAY, Store, VoteOutcome

log = logging.getLogger(__name__)

T = TypeVar("T")

# A writer waits this long for another process's lock (a `forget` at the terminal) before the
# write counts as failed; short, so a stuck lock cannot pile up a long queue behind it.
BUSY_TIMEOUT_MS = 1000
# Questions answered within this window are written in one transaction (and one statement).
BATCH_SECONDS = 0.5


class Recorder:
    """Log questions, votes and reasons, and read them back, off the event loop."""

    def __init__(self, store: Store, *, log_questions: bool = True, retention_days: int = 90):
        self.store = store
        self.log_questions = log_questions
        self.retention_days = retention_days
        # One thread: SQLite allows one writer at a time anyway, and order is kept (queued
        # questions are written before any other call, so a vote finds its question).
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="question-log")
        self._failing = False  # read and written on the database thread only
        self._pending: list[tuple[QuestionRecord, int | None]] = []  # questions not yet written
        self._lock = threading.Lock()  # guards _pending between the loop and the thread
        self._closed = False

    @property
    def path(self) -> Path:
        return self.store.path

    def record_question(self, record: QuestionRecord, *, user_id: int | None) -> bool:
        """Queue one answered question and return at once; False when it will not be logged.

        Call it from the event loop. Questions queued within BATCH_SECONDS are written together
        in one transaction, which keeps what the log costs a busy bot low and waits once per
        batch on a locked file.
        """
        if not self.log_questions or self._closed:
            return False
        if record.interface not in INTERFACES:  # a bug in a caller: never lose the answer for it
            log.error("not logging question %s: unknown interface %r", record.id, record.interface)
            return False
        with self._lock:
            self._pending.append((record, user_id))
            first = len(self._pending) == 1
        if first:  # otherwise a batch is already due
            asyncio.get_running_loop().call_later(BATCH_SECONDS, self._submit_batch)
        return True

    def _submit_batch(self) -> None:
        if not self._closed:  # aclose() writes what is left itself
            self._thread.submit(self._guarded, lambda: None)  # every call writes the batch first

    def _write_pending(self) -> None:
        """Write the queued questions: first thing on every database call, so a vote or a
        report never misses a question answered before it."""
        with self._lock:
            batch, self._pending = self._pending, []
        if batch:
            self.store.record_questions(batch)

    async def vote(self, question_id: int, user_id: int, vote: int) -> VoteOutcome | None:
        """Record a vote; what it did, or None when the database failed."""
        call = partial(self.store.record_vote, question_id, user_id, vote, at=time.time())
        return await self._run(call)

    async def reason(self, question_id: int, user_id: int, reason: str) -> bool | None:
        """Attach a 👎 reason; whether a 👎 was there to attach it to, None on failure."""
        return await self._run(partial(self.store.record_reason, question_id, user_id, reason))

    async def questions(
        self, *, since: float, guild_id: int | None = None
    ) -> list[QuestionRecord] | None:
        """The logged questions since ``since``, or None when the database failed."""
        return await self._run(partial(self.store.questions, since=since, guild_id=guild_id))

    async def purge(self, *, now: float | None = None) -> int | None:
        """Delete questions older than the retention period; how many, None on failure."""
        before = (time.time() if now is None else now) - self.retention_days * SECONDS_PER_DAY
        return await self._run(partial(self.store.purge, before=before))

    async def flush(self) -> None:
        """Wait until every queued write is done (tests, benchmarks, shutdown)."""
        await self._run(lambda: None)

    async def aclose(self) -> None:
        """Finish the queued writes, close the file and stop the thread; later calls do nothing."""
        if self._closed:
            return
        self._closed = True
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(self._thread, self._guarded, lambda: None)  # the last batch
        await loop.run_in_executor(self._thread, self.store.close)
        self._thread.shutdown(wait=True)

    async def _run(self, call: Callable[[], T]) -> T | None:
        if self._closed:  # a late button press during shutdown gets None, not an exception
            return None
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._thread, self._guarded, call)

    def _guarded(self, call: Callable[[], T]) -> T | None:
        """Write the queued questions, then run ``call``, on the database thread; turn any
        failure into None and log it once."""
        try:
            self._write_pending()
            result = call()
        except sqlite3.Error as exc:
            if not self._failing:
                self._failing = True
                log.warning(
                    "question log %s failed (%s: %s); answers go on without it. "
                    "Not repeated until it works again",
                    self.path,
                    type(exc).__name__,
                    exc,
                )
            return None
        except Exception:
            log.exception("question log %s: unexpected error", self.path)
            return None
        if self._failing:
            self._failing = False
            log.info("question log %s works again", self.path)
        return result


def open_recorder(
    path: Path, *, log_questions: bool, retention_days: int, busy_timeout_ms: int = BUSY_TIMEOUT_MS
) -> Recorder:
    """Open (or create) the database at start-up; StoreError stops the bot before it connects."""
    store = Store.open(path, busy_timeout_ms=busy_timeout_ms)
    return Recorder(store, log_questions=log_questions, retention_days=retention_days)
