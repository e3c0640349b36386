"""Every cache in the bot is bounded: a bot that runs for weeks must not grow with what it hears.

The memory over 100,000 questions is measured by ``benchmarks/soak.py``; these tests pin the
property that makes it flat.
"""

from __future__ import annotations

import gc
import importlib
import pkgutil
import random
import string
import tracemalloc

import bot
from bot.core.text import stem

NEW_WORDS = 20_000  # per round: more than the cache of stems keeps


def _bot_modules() -> list[object]:
    return [
        importlib.import_module(info.name)
        for info in pkgutil.walk_packages(bot.__path__, prefix="bot.")
        if info.name != "bot.__main__"  # importing it runs the CLI
    ]


def test_every_functools_cache_has_a_size_limit() -> None:
    """No lru_cache/cache in the package is unbounded (maxsize=None)."""
    caches = [
        (module.__name__, name)  # type: ignore[attr-defined]
        for module in _bot_modules()
        for name, value in vars(module).items()
        if callable(getattr(value, "cache_parameters", None))
        and value.cache_parameters()["maxsize"] is None
    ]
    assert caches == []


def _random_words(rng: random.Random, n: int) -> list[str]:
    letters = string.ascii_lowercase
    return ["".join(rng.choices(letters, k=rng.randint(6, 12))) for _ in range(n)]


def test_stemming_unseen_words_does_not_keep_growing() -> None:
    """A third round of 20,000 unseen words retains no more memory than the second left."""
    rng = random.Random(12)
    tracemalloc.start()
    try:
        rounds = []
        for _ in range(3):
            words = _random_words(rng, NEW_WORDS)
            stem(words)
            del words
            gc.collect()
            rounds.append(tracemalloc.get_traced_memory()[0])
    finally:
        tracemalloc.stop()
    # Unbounded, each round keeps its 20,000 stems (about 3.5 MB); bounded, the cache is full after
    # the first round and later rounds only replace entries.
    assert rounds[2] - rounds[1] < 1_000_000, rounds
