"""Soak benchmark: 100,000 varied questions through one engine, resident memory sampled as it runs.

A bot runs for weeks and hears words nobody has said before. Anything that remembers what it saw
without a bound (a cache keyed by words or questions) makes memory climb with every question;
this run shows whether it does.

Run by hand (not a test):  python benchmarks/soak.py            (~3-5 minutes on 2 cores)
                           python benchmarks/soak.py --questions 20000 --every 2000   (quicker)
Each question is answered with ``Engine.ask`` and rendered into Discord embeds as the bot does
(``bot.embeds.answer_messages``), in ``--threads`` worker threads (default: as many as the bot's
pool for core work, ``bot.client.CORE_THREADS``). RSS (``VmRSS`` in /proc/self/status, Linux)
and the interpreter's live memory blocks (``sys.getallocatedblocks``, a count of live Python
allocations) are sampled before the first question and after every ``--every`` questions. Memory
rises at first while bounded caches fill and the allocator reaches its working set; the run
passes when RSS then grows by at most ``--tolerance-mb`` from the first sample after warm-up
(20 % of the run) to the last, and exits 1 otherwise.
"""

from __future__ import annotations

import argparse
import random
import string
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import yaml

from bot import embeds
from bot.cli import DEFAULT_KNOWLEDGE_DIR
from bot.client import CORE_THREADS
from bot.core.engine import Engine
from bot.core.knowledge import load_knowledge
from bot.core.models import KnowledgeBase

ROOT = Path(__file__).resolve().parent.parent
# Evaluation questions the benchmark may draw on; the blind sets (dev, test) are never read.
EVAL_FILES = ("questions.yaml", "holdout.yaml")
HIDDEN = ("\u200b", "\u200d", "\u202e", "\u2066", "\u00ad", "\ufeff", "\x00", "\u2028")
OTHER_SCRIPTS = ("東京の天気", "Ελληνικά", "привет мир", "مرحبا", "🙂🙃🤖", "नमस्ते")
TEMPLATES = (
    "what is {alias}?",
    "who wrote {title}?",
    "when did {title} come out",
    "papers from {year}",
    "papers with {author}",
    "anything on {topic}?",
    "what did he say about {word} and {word2}",
    "how does {alias} compare to {word}",
    "{title}",
)


def rss_mb() -> float:
    """This process's resident set size in MB (Linux)."""
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS in /proc/self/status: this benchmark needs Linux")


class QuestionMaker:
    """An endless, seeded stream of varied questions, a good share of them never seen before."""

    def __init__(self, kb: KnowledgeBase, *, seed: int) -> None:
        self.rng = random.Random(seed)
        self.eval = [
            item["q"]
            for name in EVAL_FILES
            for item in yaml.safe_load((ROOT / "eval" / name).read_text(encoding="utf-8"))
        ]
        self.titles = [p.title for p in kb.papers]
        self.aliases = [a for p in kb.papers for a in p.aliases] or self.titles
        self.authors = sorted({a for p in kb.papers for a in p.authors})
        self.topics = list(kb.topics)
        self.words = sorted({w for p in kb.papers for w in p.abstract.split() if w.isalpha()})

    def _made_up_word(self) -> str:
        return "".join(self.rng.choices(string.ascii_lowercase, k=self.rng.randint(3, 12)))

    def _typo(self, text: str) -> str:
        if len(text) < 4:
            return text
        i = self.rng.randrange(len(text) - 1)
        return text[:i] + text[i + 1] + text[i] + text[i + 2 :]

    def _template(self) -> str:
        rng = self.rng
        return rng.choice(TEMPLATES).format(
            alias=rng.choice(self.aliases),
            title=rng.choice(self.titles),
            year=rng.randint(2010, 2027),
            author=rng.choice(self.authors),
            topic=rng.choice(self.topics).replace("-", " "),
            word=rng.choice(self.words),
            word2=self._made_up_word(),
        )

    def _hostile(self) -> str:
        rng = self.rng
        base = rng.choice(self.eval)
        kind = rng.randrange(4)
        if kind == 0:  # hidden characters inside words
            i = rng.randrange(len(base))
            return base[:i] + rng.choice(HIDDEN) + base[i:]
        if kind == 1:  # other scripts and emoji
            return f"{rng.choice(OTHER_SCRIPTS)} {base}"
        if kind == 2:  # as long as a question may be
            return " ".join(self._made_up_word() for _ in range(80))[:500]
        return f"<@123> @everyone {base} <#456> {rng.randint(0, 10**12)}"

    def __iter__(self) -> Iterator[str]:
        rng = self.rng
        while True:
            roll = rng.random()
            if roll < 0.25:
                yield rng.choice(self.eval)
            elif roll < 0.40:
                yield self._typo(rng.choice(self.eval))
            elif roll < 0.65:
                yield self._template()
            elif roll < 0.90:  # never-seen words: what grows an unbounded cache
                yield " ".join(self._made_up_word() for _ in range(rng.randint(1, 8)))
            else:
                yield self._hostile()


def answer_and_render(engine: Engine, question: str) -> int:
    """What the bot does per question, minus the network; returns the messages it would send."""
    answer = engine.ask(question)
    return len(embeds.answer_messages(answer))


def main(argv: list[str] | None = None) -> int:
    """Run the soak and print the RSS table; exit 1 when memory did not stay flat."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--questions", type=int, default=100_000)
    parser.add_argument("--every", type=int, default=10_000, help="sample RSS this often")
    parser.add_argument(
        "--threads", type=int, default=CORE_THREADS, help="worker threads (default: the bot's)"
    )
    parser.add_argument("--seed", type=int, default=12)
    parser.add_argument("--tolerance-mb", type=float, default=5.0)
    parser.add_argument("--knowledge", type=Path, default=DEFAULT_KNOWLEDGE_DIR)
    args = parser.parse_args(argv)

    engine = Engine.build(load_knowledge(args.knowledge))
    stream = iter(QuestionMaker(engine.kb, seed=args.seed))
    answer_and_render(engine, "warm up: what is BART?")
    start = time.perf_counter()
    rows: list[tuple[int, float, int, float]] = [(0, rss_mb(), sys.getallocatedblocks(), 0.0)]
    done = 0
    with ThreadPoolExecutor(max_workers=args.threads) as pool:
        while done < args.questions:
            # A few questions in flight per thread, as in a busy bot; never a whole batch queued.
            wave = [next(stream) for _ in range(min(args.threads * 4, args.questions - done))]
            for _ in pool.map(lambda q: answer_and_render(engine, q), wave):
                pass
            done += len(wave)
            if done % args.every and done < args.questions:
                continue
            rows.append((done, rss_mb(), sys.getallocatedblocks(), time.perf_counter() - start))
            print(f"{done:>9,} questions  {rows[-1][1]:7.1f} MB", file=sys.stderr)

    warm = next(r for r in rows if r[0] >= args.questions // 5)
    growth = rows[-1][1] - warm[1]
    print(f"\n{args.questions:,} questions, {args.threads} threads, seed {args.seed}\n")
    print(
        "| questions | RSS (MB) | change since warm-up (MB) | live Python blocks (k) "
        "| elapsed (s) | questions/s |"
    )
    print("|---:|---:|---:|---:|---:|---:|")
    for count, mb, blocks, elapsed in rows:
        since = f"{mb - warm[1]:+.1f}" if count >= warm[0] else ""
        rate = f"{count / elapsed:,.0f}" if elapsed else ""
        print(f"| {count:,} | {mb:.1f} | {since} | {blocks / 1000:,.0f} | {elapsed:.0f} | {rate} |")
    flat = growth <= args.tolerance_mb
    verdict = "flat" if flat else "NOT flat"
    print(
        f"\nRSS {verdict}: {growth:+.1f} MB from {warm[0]:,} to {rows[-1][0]:,} questions "
        f"(tolerance {args.tolerance_mb:g} MB); peak {max(r[1] for r in rows):.1f} MB."
    )
    return 0 if flat else 1


if __name__ == "__main__":
    raise SystemExit(main())
