"""Bytes that are not UTF-8 on stdin or in argv: U+FFFD in, valid UTF-8 JSON out, no traceback.

These run ``python -m bot`` in a subprocess: the bugs live in how the interpreter sets up its
standard streams for the locale and ``PYTHONIOENCODING``, which ``capsys`` would hide.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


def _run(args: list[bytes], stdin: bytes, **env: str) -> subprocess.CompletedProcess[bytes]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("LC_", "PYTHONIO"))}
    environ.update(PYTHONPATH=str(REPO), LANG="C.UTF-8", **env)
    return subprocess.run(
        [os.fsencode(sys.executable), b"-m", b"bot", *args],
        input=stdin,
        capture_output=True,
        env=environ,
        cwd=REPO,
        timeout=120,
        check=False,
    )


def _json_lines(out: bytes) -> list[dict[str, object]]:
    """Decode strictly: a stray byte that is not UTF-8 fails here."""
    return [json.loads(line) for line in out.decode("utf-8", errors="strict").splitlines()]


@pytest.mark.parametrize("io_encoding", [None, "utf-8"])
def test_bad_stdin_bytes_become_replacement_characters(io_encoding: str | None) -> None:
    """`printf '\\xff\\xfe bad\\n' | ask --json -`: one valid JSON line, the bytes as U+FFFD."""
    env = {"PYTHONIOENCODING": io_encoding} if io_encoding else {}
    done = _run([b"ask", b"--json", b"-"], b"\xff\xfe bad\nWhat is B\xc3\x83RT?\n", **env)
    assert done.returncode == 0, done.stderr.decode(errors="replace")
    assert b"Traceback" not in done.stderr
    first, second = _json_lines(done.stdout)
    assert first["question"] == "\ufffd\ufffd bad" and first["declined"] is True
    assert second["question"] == "What is BÃRT?"


def test_bad_argv_bytes_become_replacement_characters() -> None:
    """`ask --json $'BART \\xff'` answers about BART and echoes the byte as U+FFFD."""
    done = _run([b"ask", b"--json", b"BART \xff"], b"", PYTHONIOENCODING="utf-8")
    assert done.returncode == 0, done.stderr.decode(errors="replace")
    [answer] = _json_lines(done.stdout)
    assert answer["question"] == "BART \ufffd"
    assert answer["declined"] is False


def test_chat_reads_bad_bytes_without_a_traceback() -> None:
    """`chat` answers a line holding bad bytes and carries on to the next one."""
    stdin = b"\xff\xfe bad\nWhen did he join X?\nquit\n"
    done = _run([b"chat"], stdin, PYTHONIOENCODING="utf-8")
    assert done.returncode == 0, done.stderr.decode(errors="replace")
    assert done.stderr == b""
    assert "Joined September 2019 [1]" in done.stdout.decode("utf-8", errors="strict")
