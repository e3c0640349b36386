"""Answer benchmark on the real knowledge base: per-question time, build time and cold start.

Run by hand (not a test; needs the `bench` extra):  python benchmarks/bench_answer.py
Times a whole answer (``Engine.ask``: question understanding, structured answers, retrieval,
the decision, sentence choice and the ``Answer``) in batch mode, the index built once and the
questions answered one after another, with the semantic layer on and off, beside bm25s's
retrieval alone over the same documents. Then the cold start of ``python -m bot ask`` in a fresh
process (the median of ``--cold`` runs) and that process's peak RSS. The questions are those of
every evaluation file but the frozen test set; timing them tunes nothing.

Scale (1k to 100k papers) is ``benchmarks/bench_scale.py``.
"""

from __future__ import annotations

import argparse
import gc
import math
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import bm25s
import numpy as np
import Stemmer

from bot.cli import DEFAULT_KNOWLEDGE_DIR
from bot.core.baselines import document_texts
from bot.core.engine import Engine
from bot.core.evaluation import load_questions
from bot.core.knowledge import load_knowledge
from bot.core.retrieval import ALL_LAYERS, Layers

ROOT = Path(__file__).resolve().parent.parent
QUESTION_FILES = ("questions.yaml", "holdout.yaml", "dev.yaml")
BUILD_REPEATS = 5


def questions() -> list[str]:
    """Every question of the evaluation files but the frozen test set, declines included."""
    return [q.question for name in QUESTION_FILES for q in load_questions(ROOT / "eval" / name)]


def median_ms(fn: Callable[[], object], repeats: int) -> tuple[object, float]:
    """The last result of ``fn`` and the median of its wall times in ms."""
    times = []
    result: object = None
    for _ in range(repeats):
        gc.collect()
        start = time.perf_counter()
        result = fn()
        times.append((time.perf_counter() - start) * 1000)
    return result, statistics.median(times)


def latencies(
    fn: Callable[[str], object], qs: Sequence[str], runs: int = 1
) -> tuple[float, float, float]:
    """Mean, p50 and p99 per question in ms, after one warm-up question; with ``runs`` above 1,
    each question's fastest of that many passes (a shared machine's noise only adds time)."""
    fn(qs[0])
    times = [math.inf] * len(qs)
    for _ in range(runs):
        for i, q in enumerate(qs):
            start = time.perf_counter()
            fn(q)
            times[i] = min(times[i], (time.perf_counter() - start) * 1000)
    return statistics.fmean(times), statistics.median(times), float(np.percentile(times, 99))


def bm25s_system(texts: list[str]) -> Callable[[str], object]:
    """bm25s with English stopwords and PyStemmer; ranks, writes no answer."""
    stemmer = Stemmer.Stemmer("english")
    tokens = bm25s.tokenize(texts, stopwords="en", stemmer=stemmer, show_progress=False)
    model = bm25s.BM25()
    model.index(tokens, show_progress=False)

    def run(q: str) -> object:
        asked = bm25s.tokenize([q], stopwords="en", stemmer=stemmer, show_progress=False)
        if not asked.ids[0]:
            return None
        return model.retrieve(asked, k=min(10, len(texts)), show_progress=False)

    return run


def cold_start(knowledge: Path, runs: int) -> tuple[float, float]:
    """Median seconds of ``python -m bot ask`` in a fresh process, and its peak RSS in MB."""
    command = [sys.executable, "-m", "bot", "ask", "--knowledge", str(knowledge), "What is BART?"]
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(command, check=True, capture_output=True, cwd=ROOT)
        times.append(time.perf_counter() - start)
    peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return statistics.median(times), peak_kb / 1024


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.ArgumentDefaultsHelpFormatter
    )
    parser.add_argument("--knowledge", type=Path, default=DEFAULT_KNOWLEDGE_DIR)
    parser.add_argument("--cold", type=int, default=5, help="cold `ask` runs (0: skip)")
    parser.add_argument(
        "--runs",
        type=int,
        default=1,
        help="time each question this many times and keep its fastest (steadier on a busy machine)",
    )
    args = parser.parse_args()

    kb = load_knowledge(args.knowledge)
    qs = questions()
    each = f", each question's fastest of {args.runs} runs" if args.runs > 1 else ""
    print(f"{len(qs)} questions{each}; {len(kb.papers)} papers, {len(kb.posts)} posts\n")
    print("| system | build (ms, median of 5) | mean (ms/question) | p50 | p99 |")
    print("|---|---:|---:|---:|---:|")
    for label, layers in (
        ("ours, whole answer (semantic on)", ALL_LAYERS),
        ("ours, whole answer (lexical only)", Layers.without("semantic")),
    ):
        engine, build = median_ms(lambda layers=layers: Engine.build(kb, layers=layers), 5)
        assert isinstance(engine, Engine)
        mean, p50, p99 = latencies(engine.ask, qs, args.runs)
        print(f"| {label} | {build:.1f} | {mean:.3f} | {p50:.3f} | {p99:.3f} |")
    texts = list(document_texts(kb).values())
    run, build = median_ms(lambda: bm25s_system(texts), BUILD_REPEATS)
    mean, p50, p99 = latencies(run, qs, args.runs)  # type: ignore[arg-type]
    print(f"| bm25s, ranking only | {build:.1f} | {mean:.3f} | {p50:.3f} | {p99:.3f} |")
    if args.cold:
        seconds, rss = cold_start(args.knowledge, args.cold)
        print(
            f"\ncold `python -m bot ask`: {seconds:.2f} s (median of {args.cold}), "
            f"peak RSS {rss:.0f} MB"
        )


if __name__ == "__main__":
    main()
