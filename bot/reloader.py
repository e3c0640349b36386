"""Build a replacement engine for /reload without stalling the bot's event loop.

Loading, validating and indexing 100,000 papers takes minutes of CPU and makes millions of
objects. In a thread of the bot's own process that work competes with the event loop for the
interpreter lock, and the garbage collector walks all it made while holding the lock: the bot
froze for 20 s and more. So:

1. a child process (``python -m bot.reloader``) loads, validates and indexes the knowledge, and
   writes the engine, or the problems found, to a file in a private temporary folder;
2. the bot reads that file back in a thread, one small pickle at a time (``CHUNK`` items of a
   big container, ``ARRAY_CHUNK_BYTES`` of a big array), so the interpreter can hand the lock to
   the event loop in between; the cycle collector waits meanwhile;
3. the engine is then frozen out of the cycle collector's reach (``gc.freeze``: an engine is
   immutable and holds no cycles, so collecting over it only costs lock time);
4. once no answer in flight uses the replaced engine, a background thread frees it a part at a
   time (``retire_engine``).

Only our own child writes that file, in a folder only this user can read, so unpickling it is
safe. When the engine gets an on-disk cache, step 1 writes the cache and step 2 opens it:
``build_engine`` stays the one seam.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import gc
import logging
import os
import pickle
import shutil
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np

from bot.core.engine import Engine, load_engine
from bot.errors import KnowledgeError

log = logging.getLogger(__name__)

CHUNK = 2_000  # items of a long container unpickled between two chances for the loop to run
ARRAY_CHUNK_BYTES = 4_000_000  # bytes of a big numpy array copied back at a time
CHILD_NICENESS = 10  # how much lower the build's CPU priority is than the bot's
RETIRE_WAIT_SECONDS = 600.0  # answers in flight on a replaced engine end long before this
_FEW = 64  # containers up to this size are freed whole


async def build_engine(knowledge_dir: Path, *, python: str = sys.executable) -> Engine:
    """Load, validate and index ``knowledge_dir`` in a child process; raise KnowledgeError.

    The event loop keeps running meanwhile, and the returned engine is frozen (see above).
    ``python`` runs the child (tests give a failing one).
    """
    folder = Path(tempfile.mkdtemp(prefix="bot-reload-"))  # mode 0700: only this user
    try:
        out = folder / "engine.pickle"
        child = await asyncio.create_subprocess_exec(
            python,
            "-m",
            "bot.reloader",
            str(knowledge_dir),
            str(out),
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.PIPE,
        )
        _, stderr = await child.communicate()
        if child.returncode != 0 or not out.exists():
            detail = stderr.decode(errors="replace").strip().splitlines()[-1:] or ["no output"]
            raise RuntimeError(f"the reload process failed ({child.returncode}): {detail[0]}")
        return await asyncio.to_thread(_read_engine, out)
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


def _read_engine(path: Path) -> Engine:
    gc.collect()  # now, while it walks only what is new since the last engine was frozen
    was_enabled = gc.isenabled()
    gc.disable()  # collections while millions of objects are born would walk them all
    try:
        with path.open("rb") as handle:
            reader = pickle.Unpickler(handle)
            status, payload = reader.load()
            if status == "problems":
                raise KnowledgeError(payload)
            engine = _Reader(reader).value()
        if not isinstance(engine, Engine):
            raise TypeError(f"the reload process wrote a {type(engine).__name__}, not an Engine")
        # Before the collector runs again: its next collection would walk the whole new engine,
        # every object of it still young (0.1 s with the interpreter lock held at 100k papers).
        freeze_engine(collect=False)
    finally:
        if was_enabled:
            gc.enable()
    return engine


# --- the child process ---------------------------------------------------------------------------


def write_engine(knowledge_dir: Path, out: BinaryIO) -> None:
    """Build the engine and write it (or the problems found) to ``out``, in small pieces."""
    writer = pickle.Pickler(out, protocol=pickle.HIGHEST_PROTOCOL)
    try:
        engine = load_engine(knowledge_dir)
    except KnowledgeError as exc:
        writer.dump(("problems", list(exc.problems)))
        return
    writer.dump(("engine", None))
    _Writer(writer).value(engine)


# The stream: one pickle per piece, all through one Pickler, so its memo keeps objects that are
# reached twice (a paper in two tuples) one object on the other side too. A dataclass or a
# container worth cutting is written as a header and then its parts; anything else whole.
_OBJECT, _CONTAINER, _CHUNKS, _SEEN, _WHOLE, _ARRAY = _TAGS = range(6)
_CONTAINERS = {dict: "dict", list: "list", tuple: "tuple", set: "set", frozenset: "frozenset"}
_BUILDERS: dict[str, Any] = {"list": list, "tuple": tuple, "set": set, "frozenset": frozenset}


class _Writer:
    """Write a value as a stream of pieces that each unpickle in a short time."""

    def __init__(self, pickler: pickle.Pickler) -> None:
        self.pickler = pickler
        self.seen: dict[int, int] = {}  # id of a value cut into parts -> its number
        self.big: dict[int, bool] = {}
        self.keep: list[Any] = []  # keeps ids valid while writing

    def value(self, obj: Any) -> None:
        if not self._big(obj):
            self.pickler.dump((_WHOLE, obj))
            return
        if id(obj) in self.seen:
            self.pickler.dump((_SEEN, self.seen[id(obj)]))
            return
        self.seen[id(obj)] = len(self.seen)
        self.keep.append(obj)
        if type(obj) is np.ndarray:  # big: copied back a slice of bytes at a time
            data = memoryview(np.ascontiguousarray(obj)).cast("B")
            self.pickler.dump((_ARRAY, obj.dtype.str, obj.shape))
            for start in range(0, len(data), ARRAY_CHUNK_BYTES):
                self.pickler.dump(bytes(data[start : start + ARRAY_CHUNK_BYTES]))
            return
        kind = _CONTAINERS.get(type(obj))
        if kind is None:  # a dataclass
            names = [f.name for f in dataclasses.fields(obj)]
            self.pickler.dump((_OBJECT, type(obj), names))
            for name in names:
                self.value(getattr(obj, name))
            return
        items = list(obj.values()) if kind == "dict" else list(obj)
        keys = list(obj) if kind == "dict" else []
        if not any(self._big(v) for v in items):
            # Big but flat: slices of CHUNK items, each pickled whole; a dict's as a slice of its
            # keys and one of its values (pairs would be a million more objects in the memos).
            self.pickler.dump((_CHUNKS, kind, len(items)))
            for start in range(0, len(items), CHUNK):
                end = start + CHUNK
                self.pickler.dump((keys[start:end], items[start:end]) if keys else items[start:end])
            return
        self.pickler.dump((_CONTAINER, kind, len(items)))
        for key, item in zip(keys or items, items, strict=True):
            if kind == "dict":
                self.value(key)
            self.value(item)

    def _big(self, obj: Any) -> bool:
        """Whether ``obj`` is worth cutting: a long container, or one holding something that is."""
        known = self.big.get(id(obj))
        if known is not None:
            return known
        kind = type(obj)
        if kind is np.ndarray:
            big = obj.nbytes > ARRAY_CHUNK_BYTES and not obj.dtype.hasobject
        elif kind in _CONTAINERS:
            values = obj.values() if kind is dict else obj
            big = len(obj) > CHUNK or any(self._big(v) for v in values)
        elif dataclasses.is_dataclass(obj) and not isinstance(obj, type):
            big = any(self._big(getattr(obj, f.name)) for f in dataclasses.fields(obj))
        else:
            big = False
        self.big[id(obj)] = big
        self.keep.append(obj)
        return big


class _Reader:
    """Rebuild what ``_Writer`` wrote, one piece per unpickling call."""

    def __init__(self, unpickler: pickle.Unpickler) -> None:
        self.unpickler = unpickler
        self.seen: list[Any] = []

    def value(self) -> Any:
        header = self.unpickler.load()
        if not isinstance(header, tuple) or not header or header[0] not in _TAGS:
            raise ValueError("the reload file does not hold an engine")
        tag = header[0]
        if tag == _WHOLE:
            return header[1]
        if tag == _SEEN:
            return self.seen[header[1]]
        slot = len(self.seen)
        self.seen.append(None)
        if tag == _ARRAY:
            _, dtype, shape = header
            array = np.empty(shape, dtype=np.dtype(dtype))
            data = array.reshape(-1).view(np.uint8)
            done = 0
            while done < data.size:
                piece = self.unpickler.load()
                data[done : done + len(piece)] = np.frombuffer(piece, dtype=np.uint8)
                done += len(piece)
            self.seen[slot] = array
            return array
        if tag == _OBJECT:
            _, cls, names = header
            obj = cls.__new__(cls)
            self.seen[slot] = obj
            for name in names:
                object.__setattr__(obj, name, self.value())  # frozen dataclasses too
            return obj
        _, kind, count = header
        result: Any
        if kind == "dict":
            result = {}
            if tag == _CHUNKS:
                while len(result) < count:
                    keys, values = self.unpickler.load()
                    result.update(zip(keys, values, strict=True))
            else:
                for _ in range(count):
                    key = self.value()
                    result[key] = self.value()
        else:
            items: list[Any] = []
            if tag == _CHUNKS:
                while len(items) < count:
                    items += self.unpickler.load()
            else:
                items = [self.value() for _ in range(count)]
            result = _BUILDERS[kind](items)
        self.seen[slot] = result
        return result


def main(argv: Sequence[str] | None = None) -> int:
    """The child: ``python -m bot.reloader KNOWLEDGE_DIR OUT_FILE``."""
    parser = argparse.ArgumentParser(description="build an engine for /reload")
    parser.add_argument("knowledge_dir", type=Path)
    parser.add_argument("out", type=Path)
    args = parser.parse_args(argv)
    with contextlib.suppress(OSError):
        os.nice(CHILD_NICENESS)  # background work: the bot serving questions comes first
    with args.out.open("wb") as out:
        write_engine(args.knowledge_dir, out)
    return 0


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        sys.exit(main())
