"""Retrieval benchmark: our retriever beside bm25s and rank_bm25, on the real knowledge base and on
synthetic corpora of 1k, 10k and 100k documents drawn from its vocabulary.

Run by hand (not a test; needs the `bench` extra):  python benchmarks/bench_retrieval.py
Prints a markdown table: index build time (the median of 5 builds for corpora up to 1,000
documents, one build above that), per-question latency p50/p99 (batch mode: index built once,
questions answered one after another) and peak traced memory of the build.
"""

from __future__ import annotations

import argparse
import gc
import random
import statistics
import time
import tracemalloc
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import bm25s
import numpy as np
import Stemmer
import yaml
from rank_bm25 import BM25Okapi

from bot.cli import DEFAULT_KNOWLEDGE_DIR
from bot.core.baselines import document_texts
from bot.core.engine import Engine
from bot.core.index import IndexedDocument
from bot.core.knowledge import load_knowledge
from bot.core.models import KnowledgeBase
from bot.core.retrieval import Retriever
from bot.core.text import analyze

ROOT = Path(__file__).resolve().parent.parent
SIZES = (1_000, 10_000, 100_000)
BUILD_REPEATS = 5  # builds timed per small corpus; the median is reported
BUILD_REPEAT_MAX_DOCS = 1_000  # above this one build takes seconds and its noise is small
RANK_BM25_MAX_QUERIES = {1_000: 200, 10_000: 50, 100_000: 10}  # it is O(docs) in Python per query
TITLE_WORDS, ABSTRACT_WORDS = 10, 90


@dataclass(frozen=True, slots=True)
class Row:
    """One line of the table."""

    corpus: str
    system: str
    build_ms: float
    mean_ms: float
    p50_ms: float
    p99_ms: float
    queries: int
    peak_mb: float


def questions() -> list[str]:
    """The answerable questions of both evaluation sets (they include typos)."""
    out = []
    for name in ("questions.yaml", "holdout.yaml"):
        for item in yaml.safe_load((ROOT / "eval" / name).read_text(encoding="utf-8")):
            if item["gold"] and item["category"] not in ("structured", "profile"):
                out.append(item["q"])
    return out


def synthetic_corpus(kb: KnowledgeBase, n: int, *, seed: int = 0) -> list[tuple[str, str]]:
    """``n`` (title, abstract) pairs of words sampled from the knowledge base's word frequencies."""
    rng = random.Random(seed)
    words = " ".join(p.title + " " + p.abstract for p in kb.papers).split()
    title_words = " ".join(p.title for p in kb.papers).split()
    return [
        (
            " ".join(rng.choices(title_words, k=TITLE_WORDS)),
            " ".join(rng.choices(words, k=ABSTRACT_WORDS)),
        )
        for _ in range(n)
    ]


def timed(fn: Callable[[], object], *, repeats: int = 1) -> tuple[object, float]:
    """Run ``fn`` ``repeats`` times; return its last result and the median wall time in ms.

    One build of a small corpus is dominated by noise on a shared machine (a first run also
    pays warm-up), so small corpora are built several times and the median is reported.
    """
    times = []
    for _ in range(repeats):
        gc.collect()
        start = time.perf_counter()
        result = fn()
        times.append((time.perf_counter() - start) * 1000)
    return result, statistics.median(times)


def peak_mb(fn: Callable[[], object]) -> float:
    """Peak memory traced while ``fn`` runs, in MB (a separate run: tracing slows it down)."""
    gc.collect()
    tracemalloc.start()
    fn()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak / 1e6


def latencies(fn: Callable[[str], object], qs: Sequence[str]) -> tuple[float, float, float]:
    """Mean, p50 and p99 of per-question latency in milliseconds (after one warm-up question)."""
    fn(qs[0])
    times = []
    for q in qs:
        start = time.perf_counter()
        fn(q)
        times.append((time.perf_counter() - start) * 1000)
    return statistics.fmean(times), statistics.median(times), float(np.percentile(times, 99))


def build_ours(kb: KnowledgeBase, corpus: list[tuple[str, str]]) -> Retriever:
    """Our retriever over a synthetic corpus (typo vocabulary from the same knowledge base)."""
    docs = [
        IndexedDocument(str(i), {"title": analyze(t), "abstract": analyze(a)})
        for i, (t, a) in enumerate(corpus)
    ]
    return Retriever.from_documents(
        docs,
        kinds=dict.fromkeys((d.doc_id for d in docs), "paper"),
        aliases={},
        titles={},
        title_texts={},
        texts=[p.title + " " + p.abstract for p in kb.papers],
    )


def build_bm25s(texts: list[str]) -> tuple[bm25s.BM25, Stemmer.Stemmer]:
    """bm25s with English stopwords and PyStemmer, tokenisation included in the build."""
    stemmer = Stemmer.Stemmer("english")
    tokens = bm25s.tokenize(texts, stopwords="en", stemmer=stemmer, show_progress=False)
    model = bm25s.BM25()
    model.index(tokens, show_progress=False)
    return model, stemmer


def query_bm25s(
    model: bm25s.BM25, stemmer: Stemmer.Stemmer, n_docs: int
) -> Callable[[str], object]:
    def run(q: str) -> object:
        tokens = bm25s.tokenize([q], stopwords="en", stemmer=stemmer, show_progress=False)
        if not tokens.ids[0]:
            return None
        return model.retrieve(tokens, k=min(10, n_docs), show_progress=False)

    return run


def build_rank_bm25(texts: list[str]) -> BM25Okapi:
    """rank_bm25's Okapi BM25 over the same analysed words as ours (it has no tokenizer)."""
    return BM25Okapi([analyze(t) or ["_"] for t in texts])


def query_rank_bm25(model: BM25Okapi) -> Callable[[str], object]:
    def run(q: str) -> object:
        scores = model.get_scores(analyze(q))
        return np.argsort(-scores)[:10]

    return run


def bench_corpus(
    label: str,
    texts: list[str],
    build_ours_fn: Callable[[], object],
    ask_ours: Callable[[object], Callable[[str], object]],
    qs: list[str],
    *,
    rank_queries: int,
    ours_label: str = "ours",
) -> list[Row]:
    """Build and query the three systems on one corpus."""
    rows = []
    repeats = BUILD_REPEATS if len(texts) <= BUILD_REPEAT_MAX_DOCS else 1
    ours, ms = timed(build_ours_fn, repeats=repeats)
    mean, p50, p99 = latencies(ask_ours(ours), qs)
    rows.append(Row(label, ours_label, ms, mean, p50, p99, len(qs), peak_mb(build_ours_fn)))

    (model, stemmer), ms = timed(lambda: build_bm25s(texts), repeats=repeats)  # type: ignore[misc]
    mean, p50, p99 = latencies(query_bm25s(model, stemmer, len(texts)), qs)
    rows.append(
        Row(label, "bm25s", ms, mean, p50, p99, len(qs), peak_mb(lambda: build_bm25s(texts)))
    )

    rank, ms = timed(lambda: build_rank_bm25(texts), repeats=repeats)
    few = qs[:rank_queries]
    mean, p50, p99 = latencies(query_rank_bm25(rank), few)  # type: ignore[arg-type]
    mem = peak_mb(lambda: build_rank_bm25(texts))
    rows.append(Row(label, "rank_bm25", ms, mean, p50, p99, len(few), mem))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0].replace("\n", " "),
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument(
        "--knowledge", type=Path, default=DEFAULT_KNOWLEDGE_DIR, help="knowledge directory"
    )
    parser.add_argument(
        "--sizes",
        type=int,
        nargs="*",
        default=list(SIZES),
        help="synthetic corpus sizes; none (`--sizes`) times the real knowledge base only",
    )
    args = parser.parse_args()

    kb = load_knowledge(args.knowledge)
    qs = questions()
    texts = list(document_texts(kb).values())
    rows = bench_corpus(
        f"real KB ({len(texts)} docs)",
        texts,
        lambda: Engine.build(kb),
        lambda engine: engine.ask,  # type: ignore[attr-defined]
        qs,
        rank_queries=len(qs),
        ours_label="ours (Engine.ask: full answer)",
    )
    engine = Engine.build(kb)
    mean, p50, p99 = latencies(engine.retriever.retrieve, qs)
    rows.insert(
        1,
        Row(
            rows[0].corpus,
            "ours (retrieve only)",
            rows[0].build_ms,
            mean,
            p50,
            p99,
            len(qs),
            rows[0].peak_mb,
        ),
    )
    for n in args.sizes:
        corpus = synthetic_corpus(kb, n)
        texts = [f"{t} {a}" for t, a in corpus]
        rows += bench_corpus(
            f"synthetic {n:,}",
            texts,
            lambda corpus=corpus: build_ours(kb, corpus),
            lambda retriever: retriever.retrieve,  # type: ignore[attr-defined]
            qs,
            rank_queries=RANK_BM25_MAX_QUERIES.get(n, 10),
        )

    print(
        "| corpus | system | index build (ms) | mean (ms/question) | p50 | p99 "
        "| questions | peak build memory (MB) |"
    )
    print("|---|---|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        print(
            f"| {r.corpus} | {r.system} | {r.build_ms:,.1f} | {r.mean_ms:.3f} | {r.p50_ms:.3f} "
            f"| {r.p99_ms:.3f} | {r.queries} | {r.peak_mb:,.1f} |"
        )


if __name__ == "__main__":
    main()
