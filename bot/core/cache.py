"""An on-disk cache of built engines, so a start or a reload skips loading and indexing.

Indexing 100,000 papers takes minutes; reading the engine back from this cache takes seconds.
One entry per key, in ``<cache dir>/<key>/``; the key is a sha256 over everything an engine is
built from (``cache_key``): the knowledge files' paths and bytes, ``CACHE_VERSION``, the core's
source and ``decision.json``, the embedder's files, the versions of the libraries that analyse
text, the tuning and the layers. Any change gives a new key, so an entry is never updated, only
written whole.

An entry holds no pickle and nothing that can run code when read (the folder may be one others
can write to): numpy arrays as ``.npy`` read with ``allow_pickle=False`` and memory-mapped, so
the vectors and postings cost memory only where a question touches them; strings and records as
text and JSON (see ``bot.core.state``); and ``manifest.json`` with each file's size and sha256.
An entry is written into a temporary folder beside its place and renamed into it, so readers see
a whole entry or none, and two writers of one key cannot mix their files. On reading, the
manifest must name this key and version, and every file must be there with its size and hash;
anything else (a stale, truncated, swapped or foreign entry) is logged with the reason and the
engine rebuilt, never trusted. Every file is hashed in full: about 0.6 s for the 800 MB entry of
100,000 papers, worth it against trusting a damaged file.
"""

from __future__ import annotations

import contextlib
import functools
import gc
import hashlib
import importlib
import json
import logging
import math
import mmap
import os
import re
import shutil
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from bot.core import schema
from bot.core.engine import Engine
from bot.core.retrieval import ALL_LAYERS, Layers
from bot.core.retrieval.semantic import embedder_identity
from bot.core.state import Lines, Rows, StateError
from bot.core.tuning import TUNING

log = logging.getLogger(__name__)

CACHE_VERSION = 1  # bump whenever what an entry holds, or how, changes
CACHE_ENV = "BOT_CACHE_DIR"
PACKAGE_NAME = "mikelewis-bot"
FORMAT = f"{PACKAGE_NAME} engine cache"
MANIFEST = "manifest.json"
STATE = "state.json"
KEEP = 4  # entries kept (the most recently used); older ones are deleted
STALE_TEMP_SECONDS = 3600.0  # a temporary folder this old is a crashed writer's
SEPARATORS = ("\n", "\0")  # what a text of strings is split on: the first none of them holds
ROW_CHUNK = 1_000  # JSON rows per line of a .jsonl file: each parse stays short
TEXT_CHUNK = 4 << 20  # bytes of a text file split at a time
READ_BYTES = 1 << 20
CORE_DIR = Path(__file__).resolve().parent
_KEY_RE = re.compile(r"[0-9a-f]{64}")
_FILE_RE = re.compile(r"[A-Za-z0-9_.-]+\.(npy|txt|jsonl)")
_warned: set[str] = set()


class CacheError(Exception):
    """An entry that cannot be used; the message says why."""


def default_cache_dir() -> Path:
    """``$BOT_CACHE_DIR``, else ``$XDG_CACHE_HOME`` (or ``~/.cache``) ``/mikelewis-bot/engines``."""
    explicit = os.environ.get(CACHE_ENV, "").strip()
    if explicit:
        return Path(explicit).expanduser()
    base = os.environ.get("XDG_CACHE_HOME", "").strip()
    return (Path(base) if base else Path.home() / ".cache") / PACKAGE_NAME / "engines"


def resolve_cache_dir(cache_dir: Path | None, *, enabled: bool = True) -> Path | None:
    """Where engines are cached: ``cache_dir`` if given, else the default; None when disabled."""
    if not enabled:
        return None
    return cache_dir if cache_dir is not None else default_cache_dir()


def knowledge_paths(knowledge_dir: Path) -> list[Path]:
    """Every file ``load_knowledge`` reads from ``knowledge_dir``, in its order."""
    from bot.core.knowledge import knowledge_files

    found = [knowledge_dir / schema.PROFILE_FILE]
    found += knowledge_files(knowledge_dir, schema.PAPERS_FILE, schema.PAPERS_DIR)
    found += knowledge_files(knowledge_dir, schema.POSTS_FILE, schema.POSTS_DIR)
    found += [knowledge_dir / schema.SYNONYMS_FILE, knowledge_dir / schema.EXCLUDE_FILE]
    return [p for p in found if p.is_file()]


def cache_key(knowledge_dir: Path, *, layers: Layers = ALL_LAYERS) -> str:
    """The sha256 naming the engine ``knowledge_dir`` would build with ``layers`` and this code;
    raises OSError when a knowledge file cannot be read."""
    digest = hashlib.sha256(_code_digest(layers).encode())
    for path in knowledge_paths(knowledge_dir):
        _part(digest, "file", path.relative_to(knowledge_dir).as_posix())
        file_digest = hashlib.sha256()
        with path.open("rb") as handle:
            while chunk := handle.read(READ_BYTES):
                file_digest.update(chunk)
        _part(digest, "bytes", file_digest.digest())
    return digest.hexdigest()


@functools.lru_cache(maxsize=8)
def _code_digest(layers: Layers) -> str:
    """The part of the key that is this process's code and models, computed once: the code
    that builds an engine is the code imported when the process started."""
    digest = hashlib.sha256()
    _part(digest, "format", f"{FORMAT} {CACHE_VERSION}")
    _part(digest, "python", f"{sys.version_info[0]}.{sys.version_info[1]}")
    _part(digest, "libraries", _library_versions())
    # The core's code and data (decision.json among them): a change of analysis or ranking
    # must not meet an index built by the code before it.
    for path in sorted(CORE_DIR.rglob("*")):
        if path.suffix in (".py", ".json") and "__pycache__" not in path.parts:
            _part(digest, path.relative_to(CORE_DIR).as_posix(), path.read_bytes())
    _part(digest, "embedder", embedder_identity() if layers.semantic else "none")
    _part(digest, "layers", json.dumps(asdict(layers), sort_keys=True))
    _part(digest, "tuning", repr(TUNING))
    return digest.hexdigest()


def _part(digest: Any, label: str, value: str | bytes) -> None:
    data = value.encode() if isinstance(value, str) else value
    digest.update(f"{label}\0{len(data)}\0".encode())
    digest.update(data)


def _library_versions() -> str:
    """The versions of the libraries whose output an index holds (stems, folded names, word
    pieces, arrays); read from the modules, which the engine imports anyway (package metadata
    took 60 ms)."""
    import rapidfuzz
    import Stemmer

    versions = [f"PyStemmer {Stemmer.version()}", f"rapidfuzz {rapidfuzz.__version__}"]
    versions.append(f"numpy {np.__version__}")
    try:
        tokenizers = importlib.import_module("tokenizers")
        versions.append(f"tokenizers {tokenizers.__version__}")
    except ImportError:
        versions.append("tokenizers none")
    return ", ".join(versions)


@dataclass(frozen=True, slots=True)
class CacheEntry:
    """One entry of a cache folder, for ``python -m bot cache info``."""

    key: str
    path: Path
    size: int  # bytes
    used: float  # when last written or read (seconds since the epoch)
    papers: int | None  # as its manifest says; None when the manifest cannot be read


class EngineCache:
    """The engines cached in one folder."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def path(self, key: str) -> Path:
        return self.root / key

    # --- reading -----------------------------------------------------------------------------

    def load(self, key: str, *, use_mmap: bool = True) -> Engine | None:
        """The engine cached under ``key``, or None (missing, or unusable: logged and deleted)."""
        path = self.path(key)
        try:
            found = path.is_dir()
        except OSError as exc:  # an unreadable folder: build, as without a cache
            log.warning("engine cache %s cannot be read: %s", self.root, exc)
            return None
        if not found:
            log.info("engine cache: no entry for this knowledge yet in %s", self.root)
            return None
        try:
            engine = read_entry(path, key, use_mmap=use_mmap)
        except CacheError as exc:
            log.warning("engine cache entry %s ignored, rebuilding: %s", path, exc)
            shutil.rmtree(path, ignore_errors=True)
            return None
        with contextlib.suppress(OSError):
            os.utime(path)  # most recently used: pruned last
        log.info("engine read from the cache %s", path)
        return engine

    def entries(self) -> list[CacheEntry]:
        """The entries of this folder, most recently used first."""
        found = []
        with contextlib.suppress(OSError):
            for path in self.root.iterdir():
                if not (_KEY_RE.fullmatch(path.name) and path.is_dir()):
                    continue
                papers = None
                with contextlib.suppress(OSError, ValueError, TypeError, AttributeError):
                    papers = int(json.loads((path / MANIFEST).read_bytes()).get("papers"))
                size = sum(f.stat().st_size for f in path.iterdir() if f.is_file())
                found.append(CacheEntry(path.name, path, size, path.stat().st_mtime, papers))
        return sorted(found, key=lambda e: -e.used)

    # --- writing -----------------------------------------------------------------------------

    def save(self, engine: Engine, key: str) -> Path | None:
        """Write ``engine`` under ``key``; its path, or None when it could not be written (a
        warning, once per folder: the bot answers all the same)."""
        target = self.path(key)
        try:
            self.root.mkdir(parents=True, exist_ok=True, mode=0o700)
            temp = self.root / f".tmp-{key[:16]}-{os.getpid()}-{uuid.uuid4().hex[:8]}"
            try:
                write_entry(engine, temp, key)
                try:
                    os.rename(temp, target)
                except OSError:
                    if not target.is_dir():
                        raise
                    # Another process wrote this key meanwhile: same key, same engine; keep its.
            finally:
                shutil.rmtree(temp, ignore_errors=True)
        except Exception as exc:  # a cache that cannot be written never stops an answer
            if str(self.root) not in _warned:
                _warned.add(str(self.root))
                log.warning("engine cache off: cannot write to %s: %s", self.root, exc)
            return None
        self.prune(keep_key=key)
        log.info("engine written to the cache %s", target)
        return target

    def prune(self, *, keep: int = KEEP, keep_key: str | None = None) -> None:
        """Delete all but the ``keep`` most recently used entries (never ``keep_key``'s), and
        temporary folders that crashed writers left."""
        now = time.time()
        with contextlib.suppress(OSError):
            for path in self.root.glob(".tmp-*"):
                with contextlib.suppress(OSError):
                    if now - path.stat().st_mtime > STALE_TEMP_SECONDS:
                        shutil.rmtree(path, ignore_errors=True)
        old = [e for e in self.entries() if e.key != keep_key][max(0, keep - 1) :]
        for entry in old:
            shutil.rmtree(entry.path, ignore_errors=True)

    def clear(self) -> tuple[int, int]:
        """Delete every entry; how many there were and their bytes."""
        entries = self.entries()
        for entry in entries:
            shutil.rmtree(entry.path, ignore_errors=True)
        return len(entries), sum(e.size for e in entries)


def load_or_build(knowledge_dir: Path, *, layers: Layers = ALL_LAYERS, cache_dir: Path) -> Engine:
    """The engine of ``knowledge_dir``: from the cache in ``cache_dir`` when it holds one for the
    files as they are now, else loaded, validated, built and cached. Raises KnowledgeError."""
    from bot.core.knowledge import load_knowledge

    cache = EngineCache(cache_dir)
    try:
        key: str | None = cache_key(knowledge_dir, layers=layers)
    except OSError as exc:  # the loader reports what is wrong with the files
        log.info("engine cache skipped: %s", exc)
        key = None
    if key is not None:
        engine = cache.load(key)
        if engine is not None:
            return engine
    engine = Engine.build(load_knowledge(knowledge_dir), layers=layers)
    if key is not None:
        try:
            unchanged = cache_key(knowledge_dir, layers=layers) == key
        except OSError:
            unchanged = False
        if unchanged:
            cache.save(engine, key)
        else:
            log.info("engine not cached: the knowledge files changed while they were read")
    return engine


# --- the entry format --------------------------------------------------------------------------


def write_entry(engine: Engine, folder: Path, key: str) -> None:
    """Write ``engine`` as a cache entry into the new folder ``folder``."""
    folder.mkdir(mode=0o700)
    files: dict[str, dict[str, Any]] = {}

    def store(value: Any, name: str) -> Any:
        if isinstance(value, dict):
            return {k: store(v, f"{name}.{k}" if name else k) for k, v in value.items()}
        if isinstance(value, np.ndarray):
            if value.dtype.hasobject:
                raise ValueError(f"{name}: an array of objects cannot be cached")
            filename = f"{name}.npy"
            np.save(folder / filename, np.ascontiguousarray(value), allow_pickle=False)
            files[filename] = {}
            return {"$file": filename}
        if isinstance(value, Lines):
            separator = next((c for c in SEPARATORS if not any(c in s for s in value)), None)
            if separator is not None:
                filename = f"{name}.txt"
                (folder / filename).write_bytes(separator.join(value).encode())
                files[filename] = {}
                return {"$file": filename, "count": len(value), "separator": separator}
            value = Rows(value)  # strings holding every separator: as JSON
        if isinstance(value, Rows):
            filename = f"{name}.jsonl"
            with (folder / filename).open("w", encoding="utf-8") as out:
                for start in range(0, len(value), ROW_CHUNK):
                    rows = list(value[start : start + ROW_CHUNK])
                    out.write(json.dumps(rows, ensure_ascii=False, allow_nan=False) + "\n")
            files[filename] = {}
            return {"$file": filename, "count": len(value)}
        return value

    tree = store(engine.to_state(), "")
    (folder / STATE).write_text(json.dumps(tree, ensure_ascii=False), encoding="utf-8")
    files[STATE] = {}
    for filename in files:
        files[filename] = _describe(folder / filename)
    manifest = {
        "format": FORMAT,
        "version": CACHE_VERSION,
        "key": key,
        "papers": len(engine.kb.papers),
        "files": files,
    }
    (folder / MANIFEST).write_text(json.dumps(manifest, indent=1), encoding="utf-8")


def verify_entry(folder: Path, key: str) -> dict[str, Any]:
    """The files the entry in ``folder`` lists (name -> size and sha256); CacheError unless its
    manifest names ``key`` and this version and every file is there, whole and unchanged."""
    try:
        manifest = json.loads((folder / MANIFEST).read_bytes())
    except (OSError, ValueError) as exc:
        raise CacheError(f"no readable manifest ({exc})") from exc
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise CacheError("not an engine cache entry")
    if manifest.get("version") != CACHE_VERSION:
        raise CacheError(f"version {manifest.get('version')!r}, this code reads {CACHE_VERSION}")
    if manifest.get("key") != key:
        raise CacheError("an entry of other knowledge or code (its key differs)")
    files = manifest.get("files")
    if not isinstance(files, dict) or STATE not in files:
        raise CacheError("a manifest without its list of files")
    for filename, expected in files.items():
        if filename != STATE and not _FILE_RE.fullmatch(filename):
            raise CacheError(f"a manifest naming {filename!r}")
        if not isinstance(expected, dict):
            raise CacheError(f"{filename}: no size or hash in the manifest")
        try:
            size = (folder / filename).stat().st_size
        except OSError as exc:
            raise CacheError(f"{filename} is missing") from exc
        if size != expected.get("size"):
            raise CacheError(
                f"{filename} has {size} bytes, the manifest says {expected.get('size')}"
            )
    for filename, expected in files.items():
        try:
            digest = _describe(folder / filename)["sha256"]
        except OSError as exc:
            raise CacheError(f"{filename} cannot be read: {exc}") from exc
        if digest != expected.get("sha256"):
            raise CacheError(f"{filename} differs from what was written (its sha256)")
    return files


def read_entry(folder: Path, key: str, *, use_mmap: bool = True) -> Engine:
    """The engine of the entry in ``folder``; CacheError unless it is whole and for ``key``.

    ``use_mmap``: map the arrays rather than read them (off where the folder is deleted soon, on
    systems that cannot delete a mapped file)."""
    files = verify_entry(folder, key)

    def load(value: Any) -> Any:
        if isinstance(value, list):
            return [load(v) for v in value]
        if not isinstance(value, dict):
            return value
        filename = value.get("$file")
        if filename is None:
            return {k: load(v) for k, v in value.items()}
        if filename not in files or filename == STATE:
            raise CacheError(f"the state names {filename!r}, which the manifest does not list")
        return _read_file(folder / filename, value, maps=maps)

    maps: list[mmap.mmap] | None = [] if use_mmap else None
    gc.collect()  # what is garbage now is not frozen below
    was_enabled = gc.isenabled()
    # Collections while millions of objects are born walk them all, again and again: with them
    # a 100k-paper entry took 6 s to read, without them 2.7 s.
    gc.disable()
    try:
        tree = json.loads((folder / STATE).read_bytes())
        engine = Engine.from_state(load(tree))
    except CacheError:
        raise
    except (StateError, OSError, ValueError, TypeError, KeyError, IndexError) as exc:
        raise CacheError(f"{type(exc).__name__}: {exc}") from exc
    finally:
        # The engine is immutable and holds no cycles: out of the collector's reach for good,
        # or the next collections would walk all of it (see bot.reloader.freeze_engine).
        gc.freeze()
        if was_enabled:
            gc.enable()
    if hasattr(mmap, "MADV_DONTNEED"):
        # Checking the arrays read them whole; give those pages back (they stay in the page
        # cache): the process keeps only what questions touch.
        for mapped in maps or ():
            mapped.madvise(mmap.MADV_DONTNEED)
    return engine


def _read_file(path: Path, placeholder: dict[str, Any], *, maps: list[mmap.mmap] | None) -> Any:
    if path.suffix == ".npy":
        return _read_array(path, maps=maps)
    count = placeholder.get("count")
    if not isinstance(count, int) or count < 0:
        raise CacheError(f"{path.name}: no count in the state")
    if path.suffix == ".txt":
        separator = placeholder.get("separator")
        if separator not in SEPARATORS:
            raise CacheError(f"{path.name}: no separator in the state")
        lines = _split_text(path, separator.encode()) if count else []
        if len(lines) != count:
            raise CacheError(f"{path.name}: {len(lines)} lines, the state says {count}")
        return lines
    rows: list[Any] = []
    for line in _lines(path):
        rows += json.loads(line)
    if len(rows) != count:
        raise CacheError(f"{path.name}: {len(rows)} rows, the state says {count}")
    return rows


def _read_array(path: Path, *, maps: list[mmap.mmap] | None) -> np.ndarray:
    """A ``.npy`` array (never of objects: nothing is unpickled); memory-mapped, read-only,
    when ``maps`` collects the maps, else read."""
    with path.open("rb") as handle:
        version = np.lib.format.read_magic(handle)
        if version == (1, 0):
            shape, fortran, dtype = np.lib.format.read_array_header_1_0(handle)
        elif version == (2, 0):
            shape, fortran, dtype = np.lib.format.read_array_header_2_0(handle)
        else:
            raise CacheError(f"{path.name}: .npy version {version}")
        if dtype.hasobject or fortran:
            raise CacheError(f"{path.name}: an array of objects or in Fortran order")
        count = math.prod(shape)
        offset = handle.tell()
        if offset + count * dtype.itemsize != os.fstat(handle.fileno()).st_size:
            raise CacheError(f"{path.name}: its size does not match its header")
        if maps is None or count == 0:
            return np.fromfile(handle, dtype=dtype, count=count).reshape(shape)
        mapped = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)
    if hasattr(mmap, "MADV_RANDOM"):
        # Questions read scattered rows: without this, each read pulls its neighbours in too
        # (the kernel's read-ahead), and the process's memory fills with rows no one asked for.
        mapped.madvise(mmap.MADV_RANDOM)
    maps.append(mapped)
    return np.frombuffer(mapped, dtype=dtype, count=count, offset=offset).reshape(shape)


def _split_text(path: Path, separator: bytes) -> list[str]:
    """The strings of a text file split on ``separator``, read and split a piece at a time:
    one split of 95 MB of abstracts held the interpreter lock for 100 ms."""
    found: list[str] = []
    rest = b""
    with path.open("rb") as handle:
        while chunk := handle.read(TEXT_CHUNK):
            piece = rest + chunk
            end = piece.rfind(separator)
            if end < 0:
                rest = piece
                continue
            # The separator is one ASCII byte: it never cuts a character in two.
            found += piece[:end].decode().split(separator.decode())
            rest = piece[end + 1 :]
    found += rest.decode().split(separator.decode())
    return found


def _lines(path: Path) -> Iterator[bytes]:
    with path.open("rb") as handle:
        yield from handle


def _describe(path: Path) -> dict[str, Any]:
    digest = hashlib.sha256()
    size = 0
    with path.open("rb") as handle:
        while chunk := handle.read(READ_BYTES):
            digest.update(chunk)
            size += len(chunk)
    return {"size": size, "sha256": digest.hexdigest()}
