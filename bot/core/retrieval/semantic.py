"""The semantic layer: meaning-level similarity from static word-piece embeddings (wordllama).

wordllama ships a 256-dimensional embedding matrix and its tokenizer inside its wheel. This module
reads those two files itself, strictly offline: it never imports the ``wordllama`` package (whose
import adds a handler to the root logger) and never calls anything that can reach a model hub.
A text's vector is the mean of its word pieces' vectors, normalised, as wordllama computes it;
the texts are casefolded first, which matched the question sets slightly better than cased text.

Each sentence of each document keeps its vector (float16), and each document one vector (the mean
of all its pieces), so a question costs one embedding and a few dot products.
"""

from __future__ import annotations

import hashlib
import importlib.util
import logging
import mmap
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from bot.core.state import StateError, array_of

if TYPE_CHECKING:
    from tokenizers import Tokenizer

log = logging.getLogger(__name__)

EMBEDDING_PACKAGE = "wordllama"
TOKENIZER_FILE = Path("tokenizers", "l2_supercat_tokenizer_config.json")
WEIGHTS_FILE = Path("weights", "l2_supercat_256.safetensors")
TENSOR_KEY = "embedding.weight"
MAX_PIECES = 512  # word pieces kept per text: an abstract's length, never a pasted book
ENCODE_BATCH = 1_024  # texts the tokenizer encodes at once
WIDENED_SENTENCES = 32_768  # up to this many sentences, kept as float32 too (at most 32 MB)
BUILD_DOCS = 4_096  # documents embedded at once when building (about 100 MB of work arrays)
POOL_CHUNK = 65_536  # word pieces gathered at once when pooling (16 MB of float32 vectors)
# Words whose pieces the tokenizer caches. Its default, 10,000, fills with whatever words people
# type and never lets go: fed unseen words from 4 threads it held ~70 MB (benchmarks/soak.py).
# 1,000 costs nothing measurable (~90 us per question either way).
TOKENIZER_CACHE_WORDS = 1_000


class EmbeddingUnavailable(Exception):
    """The embedding files or the libraries that read them are not installed."""


@dataclass(frozen=True, slots=True, eq=False)
class Embedder:
    """Turns texts into unit vectors; immutable and safe to share between threads."""

    tokenizer: Tokenizer
    weights: np.ndarray  # (vocabulary, dim) float16
    source: str  # where the files were read from, for logs and `doctor`

    @property
    def dim(self) -> int:
        return int(self.weights.shape[1])

    def piece_ids(self, texts: Sequence[str]) -> list[np.ndarray]:
        """The word-piece ids of each casefolded text (uint16, at most ``MAX_PIECES``).

        Encoded a batch at a time: the tokenizer's encodings carry offsets and strings for
        every piece, so encoding a whole corpus at once took gigabytes."""
        encode = getattr(self.tokenizer, "encode_batch_fast", self.tokenizer.encode_batch)
        ids: list[np.ndarray] = []
        for start in range(0, len(texts), ENCODE_BATCH):
            batch = [t.casefold() for t in texts[start : start + ENCODE_BATCH]]
            encodings = encode(batch, add_special_tokens=False)
            ids += [np.asarray(e.ids[:MAX_PIECES], dtype=np.uint16) for e in encodings]
        return ids

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Unit vectors of ``texts`` (float32, one row each; a text without pieces gives zeros).

        The mean of a text's piece vectors has the direction of their sum, so the sum is kept.
        """
        return _unit(self.text_sums(texts))

    def text_sums(self, texts: Sequence[str]) -> np.ndarray:
        """The sum of each text's piece vectors (float32, one row each, not normalised)."""
        ids = self.piece_ids(texts)
        lengths = np.fromiter((len(i) for i in ids), dtype=np.int64, count=len(ids))
        flat = np.concatenate(ids) if ids else np.zeros(0, np.uint16)
        return self.sums(flat, lengths)

    def embed_one(self, text: str) -> np.ndarray:
        """``embed([text])[0]`` without the batch bookkeeping, which cost more than the sum
        itself for the one or two texts a question embeds (the same rows, added in the same
        order, so the same vector)."""
        ids = self.piece_ids([text])[0]
        if not ids.size:
            return np.zeros(self.dim, dtype=np.float32)
        vectors = self.weights[ids.astype(np.int64)].astype(np.float32)
        return _unit(np.add.reduceat(vectors, [0], axis=0))[0]

    def sums(self, flat_ids: np.ndarray, lengths: np.ndarray) -> np.ndarray:
        """The sum of the piece vectors of each consecutive run of ``flat_ids`` (float32),
        gathered a chunk of texts at a time so memory stays small for any corpus."""
        out = np.zeros((len(lengths), self.dim), dtype=np.float32)
        ends = np.cumsum(lengths)
        starts = ends - lengths
        first = 0
        while first < len(lengths):
            # Texts first..last-1 hold at most POOL_CHUNK pieces (or one longer text).
            last = int(np.searchsorted(ends, starts[first] + POOL_CHUNK, side="right"))
            last = max(last, first + 1)
            lo, hi = int(starts[first]), int(ends[last - 1])
            chunk_lengths = lengths[first:last]
            nonempty = chunk_lengths > 0
            if nonempty.any():
                vectors = self.weights[flat_ids[lo:hi].astype(np.int64)].astype(np.float32)
                offsets = (starts[first:last] - lo)[nonempty]
                out[first:last][nonempty] = np.add.reduceat(vectors, offsets, axis=0)
            first = last
        return out


_lock = threading.Lock()
_cached: Embedder | None = None


def load_embedder() -> Embedder:
    """The embedder, read once per process from the installed wheel; raises EmbeddingUnavailable.

    Only local files are read: the package is located with ``importlib.util.find_spec`` (which
    does not run it), the tokenizer with ``Tokenizer.from_file`` and the weights with
    ``safetensors``' memory-mapped reader.
    """
    global _cached
    with _lock:
        if _cached is None:
            _cached = _read_embedder()
        return _cached


def embedder_identity() -> str:
    """What the embedder would be built from: each file's name, size and sha256 (18 MB, about
    10 ms), or "none" where it is unavailable. Part of the engine cache's key, so new
    embeddings never meet vectors of old ones; the files are read, never run."""
    try:
        paths = _embedder_files()
        parts = []
        for path in paths:
            digest = hashlib.sha256(path.read_bytes()).hexdigest()
            parts.append(
                f"{path.relative_to(path.parent.parent).as_posix()}:{path.stat().st_size}:{digest}"
            )
    except (EmbeddingUnavailable, OSError):
        return "none"
    return " ".join(parts)


def _embedder_files() -> tuple[Path, Path]:
    """The tokenizer and weights files of the installed package; raises EmbeddingUnavailable."""
    try:
        spec = importlib.util.find_spec(EMBEDDING_PACKAGE)
        import safetensors  # noqa: F401 - both read the files below
        import tokenizers  # noqa: F401
    except ImportError as exc:
        raise EmbeddingUnavailable(f"{exc.name} is not installed") from exc
    if spec is None or not spec.submodule_search_locations:
        raise EmbeddingUnavailable(f"{EMBEDDING_PACKAGE} is not installed")
    package = Path(next(iter(spec.submodule_search_locations)))
    tokenizer_path, weights_path = package / TOKENIZER_FILE, package / WEIGHTS_FILE
    for path in (tokenizer_path, weights_path):
        if not path.is_file():
            raise EmbeddingUnavailable(f"{path} is missing from the {EMBEDDING_PACKAGE} package")
    return tokenizer_path, weights_path


def _read_embedder() -> Embedder:
    tokenizer_path, weights_path = _embedder_files()
    package = tokenizer_path.parent.parent
    from safetensors import safe_open
    from tokenizers import Tokenizer

    try:
        tokenizer = Tokenizer.from_file(str(tokenizer_path))
        handle: Any
        with safe_open(str(weights_path), framework="np") as handle:
            weights = np.ascontiguousarray(handle.get_tensor(TENSOR_KEY), dtype=np.float16)
    except Exception as exc:  # a damaged install: say which file, work on lexically
        raise EmbeddingUnavailable(f"cannot read {package}: {exc}") from exc
    tokenizer.no_padding()
    tokenizer.no_truncation()
    resize_cache = getattr(tokenizer.model, "_resize_cache", None)  # BPE models have it
    if resize_cache is not None:
        resize_cache(TOKENIZER_CACHE_WORDS)
    return Embedder(tokenizer, weights, str(package))


@dataclass(frozen=True, slots=True, eq=False)
class SemanticIndex:
    """One unit vector per document and per sentence (a document's context counts as one)."""

    embedder: Embedder
    doc_vectors: np.ndarray  # (documents, dim) float32, unit rows
    sentence_vectors: np.ndarray  # (sentences, dim) float16, unit rows, documents in order
    doc_sentences: np.ndarray  # int64 (documents + 1): each document's first sentence
    # The sentence vectors widened once, when they are few: converting the candidates' rows
    # on every question was a tenth of a small knowledge base's answer time (the same values).
    widened: np.ndarray | None = field(init=False, default=None)

    def __post_init__(self) -> None:
        if len(self.sentence_vectors) <= WIDENED_SENTENCES:
            object.__setattr__(self, "widened", self.sentence_vectors.astype(np.float32))

    @classmethod
    def build(cls, embedder: Embedder, docs: Sequence[tuple[str, Sequence[str]]]) -> SemanticIndex:
        """Embed each document's (context, sentences): every sentence, and the whole document
        as the mean of all its word pieces.

        A slice of ``BUILD_DOCS`` documents at a time: the float32 sums of every sentence of
        100,000 papers, with their normalised copy, took 2.4 GB, several times the float16
        result (each row is computed alone, so slicing changes no value)."""
        counts = np.fromiter((1 + len(s) for _, s in docs), dtype=np.int64, count=len(docs))
        doc_sentences = np.zeros(len(docs) + 1, dtype=np.int64)
        np.cumsum(counts, out=doc_sentences[1:])
        sentence_vectors = np.zeros((int(doc_sentences[-1]), embedder.dim), dtype=np.float16)
        doc_sums = np.zeros((len(docs), embedder.dim), dtype=np.float32)
        for first in range(0, len(docs), BUILD_DOCS):
            last = min(first + BUILD_DOCS, len(docs))
            texts = [
                text for context, sentences in docs[first:last] for text in (context, *sentences)
            ]
            sums = embedder.text_sums(texts)
            lo, hi = int(doc_sentences[first]), int(doc_sentences[last])
            sentence_vectors[lo:hi] = _unit(sums).astype(np.float16)
            doc_sums[first:last] = np.add.reduceat(sums, doc_sentences[first:last] - lo, axis=0)
        return cls(embedder, _unit(doc_sums), sentence_vectors, doc_sentences)

    def to_state(self) -> dict[str, Any]:
        """The vectors, for the engine cache (the embedder is read from its package again)."""
        return {
            "doc_vectors": self.doc_vectors,
            "sentence_vectors": self.sentence_vectors,
            "doc_sentences": self.doc_sentences,
        }

    @classmethod
    def from_state(cls, state: dict[str, Any], embedder: Embedder, *, docs: int) -> SemanticIndex:
        """The index ``to_state`` described, for ``docs`` documents embedded by ``embedder``."""
        doc_vectors = array_of(state, "doc_vectors", "float32", ndim=2)
        sentence_vectors = array_of(state, "sentence_vectors", "float16", ndim=2)
        doc_sentences = array_of(state, "doc_sentences", "int64")
        if (
            doc_vectors.shape != (docs, embedder.dim)
            or sentence_vectors.shape[1] != embedder.dim
            or doc_sentences.size != docs + 1
            or int(doc_sentences[0]) != 0
            or int(doc_sentences[-1]) != sentence_vectors.shape[0]
            or bool((np.diff(doc_sentences) < 0).any())
        ):
            raise StateError("semantic arrays that do not fit the documents or the embedder")
        return cls(embedder, doc_vectors, sentence_vectors, doc_sentences)

    def embed_question(self, text: str) -> np.ndarray:
        """The question's unit vector."""
        return self.embedder.embed_one(text)

    def doc_scores(self, vector: np.ndarray) -> np.ndarray:
        """Cosine similarity of every document to ``vector``."""
        return self.doc_vectors @ vector

    def sentence_scores(self, vector: np.ndarray, doc: int) -> np.ndarray:
        """Cosine similarity of each sentence of document ``doc`` (context first) to ``vector``."""
        lo, hi = int(self.doc_sentences[doc]), int(self.doc_sentences[doc + 1])
        return self._rows(slice(lo, hi)) @ vector

    def best_sentences(self, vector: np.ndarray, docs: np.ndarray) -> np.ndarray:
        """Per document of ``docs``: the best similarity of one of its sentences or its context."""
        starts = self.doc_sentences[docs]
        ends = self.doc_sentences[docs + 1]
        counts = ends - starts
        out = np.zeros(len(docs), dtype=np.float64)
        has = counts > 0
        if not has.any():
            return out
        rows = np.concatenate(
            [np.arange(a, b) for a, b in zip(starts[has], ends[has], strict=True)]
        )
        sims = self._rows(rows) @ vector
        firsts = np.concatenate(([0], np.cumsum(counts[has])[:-1]))
        out[has] = np.maximum.reduceat(sims, firsts)
        return out

    def release_pages(self) -> None:
        """Unmap the pages of vectors memory-mapped from the engine cache that questions read.

        The data stays in the page cache and is mapped again when next read (a minor fault).
        Without this the process keeps every row any question ever touched. On kernels whose
        page cache holds large folios, touching one 1 KB row maps up to about a megabyte.
        At 100,000 papers that was 300 MB after 84 questions, and growing."""
        if not hasattr(mmap, "MADV_DONTNEED"):
            return
        for array in (self.doc_vectors, self.sentence_vectors):
            mapped = _mapping_of(array)
            if mapped is not None:
                mapped.madvise(mmap.MADV_DONTNEED)

    def _rows(self, rows: slice | np.ndarray) -> np.ndarray:
        """Sentence vectors as float32."""
        if self.widened is not None:
            return self.widened[rows]
        return self.sentence_vectors[rows].astype(np.float32)


def _mapping_of(array: np.ndarray) -> mmap.mmap | None:
    """The read-only file mapping ``array`` is a view of, if any (``np.frombuffer`` over an
    ``mmap``, as the engine cache reads arrays)."""
    base: Any = array.base
    while base is not None:
        if isinstance(base, mmap.mmap):
            return base
        base = base.obj if isinstance(base, memoryview) else getattr(base, "base", None)
    return None


def _unit(vectors: np.ndarray) -> np.ndarray:
    """Rows scaled to unit length (zero rows stay zero)."""
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return np.divide(vectors, norms, out=np.zeros_like(vectors), where=norms > 0)
