"""Read an importer's input file, reporting an unreadable one as a located problem."""

from __future__ import annotations

from pathlib import Path

from bot.core.yamlio import utf8_problem
from bot.errors import KnowledgeError, Problem

MAX_INPUT_BYTES = 512_000_000  # a big X archive's tweets.js is ~100 MB; more is a mistake


def read_input(path: Path, *, shown: str | None = None) -> bytes:
    """The bytes of ``path``; a missing, unreadable or oversized file is a ``KnowledgeError``."""
    name = shown if shown is not None else str(path)
    try:
        if not path.is_file():
            what = "not a file" if path.exists() else "file not found"
            raise KnowledgeError([Problem(name, None, None, what)])
        if path.stat().st_size > MAX_INPUT_BYTES:
            raise KnowledgeError(
                [Problem(name, None, None, f"file is larger than {MAX_INPUT_BYTES} bytes")]
            )
        return path.read_bytes()
    except OSError as exc:
        raise KnowledgeError([Problem(name, None, None, f"cannot read: {exc.strerror}")]) from None


def decode_utf8(data: bytes, *, source: str) -> str:
    """``data`` as text; invalid UTF-8 is reported at its line and column."""
    try:
        return data.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError as exc:
        raise KnowledgeError([utf8_problem(data, exc, source)]) from None
