"""Build a replacement engine for /reload without stalling the bot's event loop.

Loading, validating and indexing 100,000 papers takes minutes of CPU and makes millions of
objects. In a thread of the bot's own process that work competes with the event loop for the
interpreter lock, and the garbage collector walks all it made while holding the lock: the bot
froze for 20 s and more. So:

1. a child process (``python -m bot.reloader``) loads, validates and indexes the knowledge and
   writes the engine as an engine-cache entry (``bot.core.cache``): into the cache folder when
   the cache is on (where an entry for these very files may already be waiting), else into a
   private temporary folder; or it writes the problems found;
2. the bot reads the entry back in a thread: arrays memory-mapped, records a chunk of JSON at a
   time, so the interpreter hands the lock to the event loop in between; the cycle collector
   waits meanwhile;
3. the engine is then frozen out of the cycle collector's reach (``gc.freeze``: an engine is
   immutable and holds no cycles, so collecting over it only costs lock time);
4. once no answer in flight uses the replaced engine, a background thread frees it a part at a
   time (``retire_engine``).

Nothing crosses the process boundary as a pickle: the entry is read like any cache entry,
checked against its manifest.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import gc
import json
import logging
import os
import shutil
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bot.core.cache import CacheError, EngineCache, cache_key, read_entry, verify_entry, write_entry
from bot.core.engine import Engine
from bot.errors import KnowledgeError, Problem

log = logging.getLogger(__name__)

CHILD_NICENESS = 10  # how much lower the build's CPU priority is than the bot's
RETIRE_WAIT_SECONDS = 600.0  # answers in flight on a replaced engine end long before this
RESULT_FILE = "result.json"
_FEW = 64  # containers up to this size are freed whole
_CONTAINERS = (dict, list, tuple, set, frozenset)


async def build_engine(
    knowledge_dir: Path, *, cache_dir: Path | None = None, python: str = sys.executable
) -> Engine:
    """Load, validate and index ``knowledge_dir`` in a child process; raise KnowledgeError.

    With ``cache_dir`` the child uses and fills that engine cache. The event loop keeps running
    meanwhile, and the returned engine is frozen (see above). ``python`` runs the child (tests
    give a failing one).
    """
    folder = Path(tempfile.mkdtemp(prefix="bot-reload-"))  # mode 0700: only this user
    try:
        command = [python, "-m", "bot.reloader", str(knowledge_dir), str(folder)]
        if cache_dir is not None:
            command += ["--cache-dir", str(cache_dir)]
        child = await asyncio.create_subprocess_exec(
            *command,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.PIPE,
        )
        _, stderr = await child.communicate()
        result_file = folder / RESULT_FILE
        if child.returncode != 0 or not result_file.exists():
            detail = stderr.decode(errors="replace").strip().splitlines()[-1:] or ["no output"]
            raise RuntimeError(f"the reload process failed ({child.returncode}): {detail[0]}")
        result = json.loads(result_file.read_text(encoding="utf-8"))
        if result.get("status") == "problems":
            raise KnowledgeError([Problem(**p) for p in result["problems"]])
        entry = Path(result["path"])
        # An entry in the private folder is deleted below: read its arrays, don't map them.
        private = entry.parent == folder
        return await asyncio.to_thread(_read_engine, entry, result["key"], use_mmap=not private)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def freeze_engine(*, collect: bool = True) -> None:
    """Move everything alive now, the engine included, out of the cycle collector's reach.

    Call it once the engine is in place (at start and after each reload): later collections then
    walk only new objects, not the hundreds of thousands an engine holds. Frozen objects are still
    freed as usual when nothing refers to them any more. ``collect`` first clears cyclic garbage,
    so none is frozen; skip it where a collection would walk a fresh engine.
    """
    if collect:
        gc.collect()
    gc.freeze()


def retire_engine(holder: list[Any]) -> None:
    """Free a replaced engine, handed over as the only item of ``holder``, without a stall.

    Freeing 100k papers' engine at once took 0.5 s, all of it holding the interpreter lock. A
    background thread waits until no answer in flight still uses it, then takes it apart a
    container at a time (see ``_take_apart``), so each step frees little.
    """
    threading.Thread(target=_retire, args=(holder,), name="retire-engine", daemon=True).start()


def _retire(holder: list[Any]) -> None:
    deadline = time.monotonic() + RETIRE_WAIT_SECONDS
    # Two references, the list's and getrefcount's argument; more are answers in flight.
    while sys.getrefcount(holder[0]) > 2:
        if time.monotonic() > deadline:
            log.warning("a replaced engine is still in use; it is freed when that use ends")
            holder.clear()
            return
        time.sleep(0.05)
    _take_apart(holder)


def _take_apart(pending: list[Any]) -> None:
    """Free what ``pending`` holds a part at a time; parts others still hold are left whole."""
    while pending:
        part = pending.pop()
        # Two references, this variable and getrefcount's argument, mean nothing else holds it.
        if sys.getrefcount(part) <= 2 and _worth_taking_apart(part):
            kind = type(part)
            if kind is dict:
                while part:
                    pending.append(part.popitem()[1])
            elif kind is list:
                while part:
                    pending.append(part.pop())
            elif kind in _CONTAINERS:  # immutable: hold the items, so the container frees alone
                pending.extend(part)
            else:  # a dataclass
                for field in dataclasses.fields(part):
                    pending.append(getattr(part, field.name))
                    object.__setattr__(part, field.name, None)
        del part  # frees it now if nothing else holds it: little, its parts are in ``pending``


def _worth_taking_apart(obj: Any) -> bool:
    """A container of more than a few items, or a dataclass holding one or another dataclass."""
    if type(obj) in _CONTAINERS:
        return len(obj) > _FEW
    if not dataclasses.is_dataclass(obj) or isinstance(obj, type):
        return False
    return any(
        (type(v) in _CONTAINERS and len(v) > _FEW)
        or (dataclasses.is_dataclass(v) and not isinstance(v, type))
        for v in (getattr(obj, f.name) for f in dataclasses.fields(obj))
    )


def _read_engine(entry: Path, key: str, *, use_mmap: bool) -> Engine:
    gc.collect()  # now, while it walks only what is new since the last engine was frozen
    was_enabled = gc.isenabled()
    gc.disable()  # collections while millions of objects are born would walk them all
    try:
        try:
            engine = read_entry(entry, key, use_mmap=use_mmap)
        except CacheError as exc:
            raise RuntimeError(f"the reload's engine could not be read back: {exc}") from exc
        if use_mmap:
            with contextlib.suppress(OSError):
                os.utime(entry)  # most recently used: pruned last
        # Before the collector runs again: its next collection would walk the whole new engine,
        # every object of it still young (0.1 s with the interpreter lock held at 100k papers).
        freeze_engine(collect=False)
    finally:
        if was_enabled:
            gc.enable()
    return engine


# --- the child process ---------------------------------------------------------------------------


def write_engine(knowledge_dir: Path, folder: Path, *, cache_dir: Path | None = None) -> None:
    """Build the engine (or find it in the cache) and write where it is, or the problems found,
    to ``folder/result.json``."""
    from bot.core.knowledge import load_knowledge

    cache = EngineCache(cache_dir) if cache_dir is not None else None
    try:
        key = cache_key(knowledge_dir)
    except OSError:
        key = None  # the loader says what is wrong
    result: dict[str, Any]
    if cache is not None and key is not None and _usable(cache.path(key), key):
        result = {"status": "engine", "path": str(cache.path(key)), "key": key}
    else:
        try:
            engine = Engine.build(load_knowledge(knowledge_dir))
        except KnowledgeError as exc:
            problems = [dataclasses.asdict(p) for p in exc.problems]
            result = {"status": "problems", "problems": problems}
        else:
            key = key or "0" * 64
            path = cache.save(engine, key) if cache is not None else None
            if path is None:
                path = folder / "engine"
                write_entry(engine, path, key)
            result = {"status": "engine", "path": str(path), "key": key}
    (folder / RESULT_FILE).write_text(json.dumps(result), encoding="utf-8")


def _usable(entry: Path, key: str) -> bool:
    if not entry.is_dir():
        return False
    try:
        verify_entry(entry, key)
    except CacheError as exc:
        log.warning("engine cache entry %s ignored, rebuilding: %s", entry, exc)
        return False
    return True


def main(argv: Sequence[str] | None = None) -> int:
    """The child: ``python -m bot.reloader KNOWLEDGE_DIR FOLDER [--cache-dir DIR]``."""
    parser = argparse.ArgumentParser(description="build an engine for /reload")
    parser.add_argument("knowledge_dir", type=Path)
    parser.add_argument("folder", type=Path)
    parser.add_argument("--cache-dir", type=Path, default=None)
    args = parser.parse_args(argv)
    with contextlib.suppress(OSError):
        os.nice(CHILD_NICENESS)  # background work: the bot serving questions comes first
    write_engine(args.knowledge_dir, args.folder, cache_dir=args.cache_dir)
    return 0


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        sys.exit(main())
