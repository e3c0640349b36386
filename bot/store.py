"""The question log: one SQLite file in WAL mode, versioned with ``PRAGMA user_version``.

Synchronous, one connection per ``Store``. The bot drives it from a single background thread
(``bot.recorder``), the terminal commands directly; WAL lets a ``report`` or ``forget`` run while
the bot writes. Users are stored only as a salted hash, and the salt lives in the file, so the
same person hashes the same way across restarts and ``forget`` can find their rows.
"""

from __future__ import annotations

import enum
import hashlib
import hmac
import secrets
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import TypeVar

from bot.core.curation import INTERFACES, CitedSource, QuestionRecord
from bot.errors import BotError

# Marks the file as ours (PRAGMA application_id): a foreign SQLite file is refused, not migrated.
APPLICATION_ID = 0x51414C47  # "QALG"
SECONDS_PER_DAY = 86_400
MAX_REASON_LENGTH = 200
# Rows per INSERT: 11 columns x 500 stays far below SQLite's 32,766 bound parameters.
ROWS_PER_STATEMENT = 500

# Forward migrations: MIGRATIONS[n] takes a file from version n to n + 1. Never edit a released
# step; append a new one. SCHEMA_VERSION is the version this code reads and writes.
MIGRATIONS: tuple[tuple[str, ...], ...] = (
    # 1: the questions, what each answer cited, and the hashing salt.
    (
        "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
        """CREATE TABLE questions (
            id INTEGER PRIMARY KEY,  -- the Discord id of the question's message or interaction
            asked_at REAL NOT NULL,  -- Unix seconds
            guild_id INTEGER,  -- NULL in DMs
            channel_id INTEGER,
            interface TEXT NOT NULL,
            user_hash TEXT,
            question TEXT NOT NULL,
            resolved TEXT NOT NULL DEFAULT '',
            declined INTEGER NOT NULL CHECK (declined IN (0, 1)),
            confidence TEXT CHECK (confidence IN ('high', 'low')),
            latency_ms REAL NOT NULL
        )""",
        "CREATE INDEX questions_by_time ON questions (asked_at)",
        "CREATE INDEX questions_by_user ON questions (user_hash)",
        """CREATE TABLE citations (
            question_id INTEGER NOT NULL REFERENCES questions (id) ON DELETE CASCADE,
            position INTEGER NOT NULL,
            kind TEXT NOT NULL,
            source_id TEXT NOT NULL,
            PRIMARY KEY (question_id, position)
        ) WITHOUT ROWID""",
    ),
    # 2: feedback on answers, one vote per user per answer.
    (
        """CREATE TABLE votes (
            question_id INTEGER NOT NULL REFERENCES questions (id) ON DELETE CASCADE,
            user_hash TEXT NOT NULL,
            vote INTEGER NOT NULL CHECK (vote IN (-1, 1)),
            reason TEXT NOT NULL DEFAULT '',
            voted_at REAL NOT NULL,
            PRIMARY KEY (question_id, user_hash)
        ) WITHOUT ROWID""",
        "CREATE INDEX votes_by_user ON votes (user_hash)",
    ),
)
SCHEMA_VERSION = len(MIGRATIONS)

T = TypeVar("T")


class StoreError(BotError):
    """The database file cannot be used; the message names the file and what to do."""


class VoteOutcome(enum.Enum):
    """What a button press did."""

    NEW = "new"
    CHANGED = "changed"
    SAME = "same"
    UNKNOWN_ANSWER = "unknown answer"  # never logged, purged or forgotten: nothing to vote on


class Store:
    """Read and write the question log in one SQLite file."""

    def __init__(self, connection: sqlite3.Connection, path: Path, salt: bytes) -> None:
        self._db = connection
        self.path = path
        self._salt = salt

    @classmethod
    def open(cls, path: Path, *, create: bool = True, busy_timeout_ms: int = 5000) -> Store:
        """Open (and with ``create``, make) the file and migrate it to SCHEMA_VERSION.

        Raises StoreError, before writing anything, for a file that is missing (without
        ``create``), not SQLite, corrupt, someone else's, or from a newer version of the bot.
        """
        if not create and not path.is_file():
            raise StoreError(f"{path}: no database here yet; the bot creates it on its first run")
        if create:
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise StoreError(f"{path}: cannot create its folder: {exc.strerror}") from exc
        mode = "rwc" if create else "rw"
        try:
            db = sqlite3.connect(
                f"{path.resolve().as_uri()}?mode={mode}",
                uri=True,
                timeout=busy_timeout_ms / 1000,
                isolation_level=None,  # autocommit; transactions are explicit below
                check_same_thread=False,  # the recorder opens here and uses it on its thread
            )
        except sqlite3.Error as exc:
            raise StoreError(f"{path}: cannot open the database: {exc}") from exc
        try:
            try:
                version = _check(db, path)
            except sqlite3.DatabaseError as exc:
                raise StoreError(
                    f"{path}: not a readable SQLite database ({exc}); it was left untouched. "
                    "Move it away (the bot then starts a new one) or point `database:` elsewhere"
                ) from exc
            db.execute("PRAGMA journal_mode = WAL")
            db.execute("PRAGMA synchronous = NORMAL")  # WAL stays consistent; fsync at checkpoint
            db.execute("PRAGMA foreign_keys = ON")
            if version < SCHEMA_VERSION:
                migrate(db)
            salt = bytes.fromhex(
                db.execute("SELECT value FROM meta WHERE key = 'salt'").fetchone()[0]
            )
        except sqlite3.Error as exc:
            db.close()
            raise StoreError(f"{path}: cannot use the database: {exc}") from exc
        except StoreError:
            db.close()
            raise
        return cls(db, path, salt)

    def close(self) -> None:
        """Close the connection (a WAL checkpoint folds the log back into the file)."""
        self._db.close()

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        # IMMEDIATE takes the write lock up front, so a busy file fails here, not half-way.
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield self._db
        except BaseException:
            with suppress(sqlite3.Error):
                self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    def user_hash(self, user_id: int) -> str:
        """The salted hash stored instead of a Discord user id."""
        digest = hmac.new(self._salt, str(user_id).encode(), hashlib.sha256)
        return digest.hexdigest()[:32]

    # --- writes ------------------------------------------------------------------------------

    def record_question(self, record: QuestionRecord, *, user_id: int | None) -> bool:
        """Log one answered question; False when its id is already logged (a replayed event)."""
        return self.record_questions([(record, user_id)]) == 1

    def record_questions(self, items: Sequence[tuple[QuestionRecord, int | None]]) -> int:
        """Log answered questions (each with its asker's id) in one transaction; how many
        were new. Every record is checked before anything is written.

        A few multi-row statements rather than one per row: each statement hands Python's GIL
        to the event loop and back, and those hand-offs, not SQLite, are what a busy bot feels.
        """
        for record, _ in items:
            if record.interface not in INTERFACES:
                raise ValueError(
                    f"unknown interface {record.interface!r}; one of {list(INTERFACES)}"
                )
        with self._write() as db:
            # A replayed event (an id already logged) is skipped whole, its citations too.
            ids = [record.id for record, _ in items]
            known = {
                row[0]
                for chunk in _chunks(ids, ROWS_PER_STATEMENT)
                for row in db.execute(
                    f"SELECT id FROM questions WHERE id IN ({', '.join('?' * len(chunk))})", chunk
                )
            }
            fresh = {record.id: (record, user) for record, user in items if record.id not in known}
            self._insert_questions(db, list(fresh.values()))
        return len(fresh)

    def _insert_questions(
        self, db: sqlite3.Connection, items: Sequence[tuple[QuestionRecord, int | None]]
    ) -> None:
        rows = [
            (
                record.id,
                record.asked_at,
                record.guild_id,
                record.channel_id,
                record.interface,
                None if user_id is None else self.user_hash(user_id),
                record.question,
                record.resolved,
                int(record.declined),
                record.confidence,
                round(record.latency_ms, 3),
            )
            for record, user_id in items
        ]
        cited = [
            (record.id, n, c.kind, c.id) for record, _ in items for n, c in enumerate(record.cited)
        ]
        for chunk in _chunks(rows, ROWS_PER_STATEMENT):
            db.execute(
                "INSERT INTO questions (id, asked_at, guild_id, channel_id, interface, user_hash,"
                " question, resolved, declined, confidence, latency_ms)"
                f" VALUES {_placeholders(len(chunk), 11)}",
                [value for row in chunk for value in row],
            )
        for chunk in _chunks(cited, ROWS_PER_STATEMENT):
            db.execute(
                "INSERT INTO citations (question_id, position, kind, source_id)"
                f" VALUES {_placeholders(len(chunk), 4)}",
                [value for row in chunk for value in row],
            )

    def record_vote(self, question_id: int, user_id: int, vote: int, *, at: float) -> VoteOutcome:
        """Record ``vote`` (+1 or -1) by one user on one answer; a second press changes it."""
        if vote not in (1, -1):
            raise ValueError(f"a vote is +1 or -1, got {vote}")
        user = self.user_hash(user_id)
        with self._write() as db:
            if (
                db.execute("SELECT 1 FROM questions WHERE id = ?", (question_id,)).fetchone()
                is None
            ):
                return VoteOutcome.UNKNOWN_ANSWER
            row = db.execute(
                "SELECT vote FROM votes WHERE question_id = ? AND user_hash = ?",
                (question_id, user),
            ).fetchone()
            if row is not None and row[0] == vote:
                return VoteOutcome.SAME
            db.execute(
                "INSERT INTO votes (question_id, user_hash, vote, voted_at) VALUES (?, ?, ?, ?)"
                " ON CONFLICT (question_id, user_hash)"
                " DO UPDATE SET vote = excluded.vote, voted_at = excluded.voted_at, reason = ''",
                (question_id, user, vote, at),
            )
        return VoteOutcome.NEW if row is None else VoteOutcome.CHANGED

    def record_reason(self, question_id: int, user_id: int, reason: str) -> bool:
        """Attach what was wrong to this user's 👎 on this answer; False without such a vote."""
        text = " ".join(reason.split())[:MAX_REASON_LENGTH]
        with self._write() as db:
            changed = db.execute(
                "UPDATE votes SET reason = ? WHERE question_id = ? AND user_hash = ? AND vote = -1",
                (text, question_id, self.user_hash(user_id)),
            ).rowcount
        return bool(changed)

    def purge(self, *, before: float) -> int:
        """Delete questions asked before ``before`` (Unix time), with their votes; the count."""
        with self._write() as db:
            return db.execute("DELETE FROM questions WHERE asked_at < ?", (before,)).rowcount

    def forget_user(self, user_id: int) -> tuple[int, int]:
        """Delete one person's questions and votes; (questions, votes) deleted."""
        user = self.user_hash(user_id)
        with self._write() as db:
            votes = db.execute("DELETE FROM votes WHERE user_hash = ?", (user,)).rowcount
            questions = db.execute("DELETE FROM questions WHERE user_hash = ?", (user,)).rowcount
        return questions, votes

    # --- reads -------------------------------------------------------------------------------

    def questions(self, *, since: float, guild_id: int | None = None) -> list[QuestionRecord]:
        """Questions asked at or after ``since``, oldest first, with their citations and votes.

        ``guild_id`` keeps one server's questions only; None keeps every place, DMs included.
        """
        where, params = "asked_at >= ?", [since]
        if guild_id is not None:
            where += " AND guild_id = ?"
            params.append(guild_id)
        chosen = f"SELECT id FROM questions WHERE {where}"
        cited: dict[int, list[CitedSource]] = {}
        for question_id, kind, source_id in self._db.execute(
            f"SELECT question_id, kind, source_id FROM citations WHERE question_id IN ({chosen})"
            " ORDER BY question_id, position",
            params,
        ):
            cited.setdefault(question_id, []).append(CitedSource(kind, source_id))
        votes: dict[int, tuple[int, int, list[str]]] = {}
        for question_id, vote, reason in self._db.execute(
            f"SELECT question_id, vote, reason FROM votes WHERE question_id IN ({chosen})"
            " ORDER BY voted_at DESC",
            params,
        ):
            up, down, reasons = votes.get(question_id, (0, 0, []))
            if reason:
                reasons.append(reason)
            votes[question_id] = (up + (vote > 0), down + (vote < 0), reasons)
        records = []
        for row in self._db.execute(
            "SELECT id, asked_at, guild_id, channel_id, interface, question, resolved, declined,"
            f" confidence, latency_ms FROM questions WHERE {where} ORDER BY asked_at, id",
            params,
        ):
            up, down, reasons = votes.get(row[0], (0, 0, []))
            records.append(
                QuestionRecord(
                    id=row[0],
                    asked_at=row[1],
                    guild_id=row[2],
                    channel_id=row[3],
                    interface=row[4],
                    question=row[5],
                    resolved=row[6],
                    declined=bool(row[7]),
                    confidence=row[8],
                    cited=tuple(cited.get(row[0], ())),
                    latency_ms=row[9],
                    up=up,
                    down=down,
                    reasons=tuple(reasons),
                )
            )
        return records

    def count(self) -> int:
        """How many questions the file holds."""
        return int(self._db.execute("SELECT count(*) FROM questions").fetchone()[0])


def _check(db: sqlite3.Connection, path: Path) -> int:
    """The file's schema version, after making sure it is an intact database of ours."""
    # Reading the header is the first real I/O: a file that is not SQLite fails here.
    version = int(db.execute("PRAGMA user_version").fetchone()[0])
    problems = [row[0] for row in db.execute("PRAGMA quick_check(5)")]
    if problems != ["ok"]:
        raise StoreError(
            f"{path}: the database is corrupt ({'; '.join(problems)}); it was left untouched. "
            "Move it away (the bot then starts a new one) or repair it with sqlite3's .recover"
        )
    app_id = int(db.execute("PRAGMA application_id").fetchone()[0])
    tables = db.execute("SELECT count(*) FROM sqlite_master WHERE type = 'table'").fetchone()[0]
    if (version or tables) and app_id != APPLICATION_ID:
        raise StoreError(
            f"{path}: this SQLite file is not the bot's question log; it was left untouched. "
            "Point `database:` in the config at another file"
        )
    if version > SCHEMA_VERSION:
        raise StoreError(
            f"{path}: the database has schema version {version}, newer than this bot's "
            f"({SCHEMA_VERSION}); it was left untouched. Run the newer bot, or point `database:` "
            "at another file"
        )
    return version


def migrate(db: sqlite3.Connection, *, target: int = SCHEMA_VERSION) -> int:
    """Apply the missing migrations up to ``target`` in one transaction; the version reached.

    A new file also gets the application id and the hashing salt.
    """
    db.execute("BEGIN IMMEDIATE")
    try:
        # Read under the write lock: another process may have migrated the file meanwhile.
        version = int(db.execute("PRAGMA user_version").fetchone()[0])
        for step in _steps(version, target):
            db.execute(step)
        if version == 0 and target > 0:
            db.execute(f"PRAGMA application_id = {APPLICATION_ID}")
            db.execute("INSERT INTO meta (key, value) VALUES ('salt', ?)", (secrets.token_hex(32),))
        if target > version:
            db.execute(f"PRAGMA user_version = {target}")
    except BaseException:
        db.execute("ROLLBACK")
        raise
    db.execute("COMMIT")
    return max(version, target)


def _chunks(rows: list[T], size: int) -> Iterator[list[T]]:
    for start in range(0, len(rows), size):
        yield rows[start : start + size]


def _placeholders(rows: int, columns: int) -> str:
    """``(?, ?), (?, ?)`` for a multi-row VALUES clause."""
    row = "(" + ", ".join("?" * columns) + ")"
    return ", ".join([row] * rows)


def _steps(version: int, target: int) -> Sequence[str]:
    return [step for migration in MIGRATIONS[version:target] for step in migration]
