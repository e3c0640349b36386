"""Scale benchmark: the whole bot on realistic knowledge folders of 1k, 10k and 100k papers,
beside bm25s in the same run.

Run by hand (not a test; needs the `bench` extra):

    python benchmarks/bench_scale.py                       # 1k, 10k and 100k papers
    python benchmarks/bench_scale.py --sizes 1000,10000    # quicker

The folders are generated once by ``benchmarks/corpus.py`` under ``benchmarks/results/`` (not in
git) and loaded through the normal path. Each measurement runs in a fresh process:

- ``validate``: ``python -m bot validate`` (wall and CPU seconds);
- cold start without the engine cache: ``python -m bot ask --no-cache`` of one question;
- a build worker: loads and indexes (``load_knowledge``, ``Engine.build``) and writes the engine
  cache's entry (``bot.core.cache``), which leaves the cache warm;
- cold start with the warm cache: ``python -m bot ask`` of the same question, and
  ``bm25s_cli.py`` of the same shape;
- a serving worker that reads the engine from the cache, answers the questions of
  ``questions()`` (twice each after a warm-up; whole ``Engine.ask`` calls), then drives the real
  discord.py client against the fake Discord of ``tests/e2e`` while a sampler measures how late the
  event loop's ticks come: 10 concurrent /ask, typing titles into /paper's autocomplete, /papers
  with filters, /about, and a /reload (with autocomplete typed during it);
- a bm25s worker: reading, indexing, the same questions.

The engine cache lives in ``benchmarks/results/engine-cache`` (``BOT_CACHE_DIR``) for the run.

Peak RSS is the process's maxrss. Prints markdown tables; ``--json FILE`` also saves the figures.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Callable, Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script from anywhere; tests/ holds the fake Discord
    sys.path.insert(0, str(ROOT))

from benchmarks.corpus import ensure_corpus  # noqa: E402
from bot.core.cache import EngineCache  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results"
CACHE_DIR = RESULTS / "engine-cache"
SIZES = (1_000, 10_000, 100_000)
COLD_QUESTION = "What is BART?"
REPEATS = 2  # timed passes over the questions, after one warm-up pass
LAG_INTERVAL = 0.005  # the sampler's sleep; a tick is "late" by what it overslept
LATE_MS = 50  # ticks later than this are listed with when they came
PRIORITY_BOOST = -10  # os.nice() increment, when the user may raise priority
CONCURRENT_ASKS = 10
IDLE_SECONDS = 5.0
TYPED = ("attention sinks", "strreaming lang", "byte latent transformr")

# Questions people ask, answerable and not; more are drawn from the corpus by questions().
FIXED_QUESTIONS = (
    "What is BART?",
    "How much memory does LLM.int8() save?",
    "what did he say about peer review?",
    "papers with Ofir Press",
    "where was ALiBi published?",
    "Who wrote kNN-LM?",
    "how do attention sinks work",
    "How does retrieval-augmented generation work?",
    "what are his most recent papers?",
    "papers from 2021",
    "papers on mixture of experts",
    "When did he join X?",
    "what is the megabyt model",
    "explain contrastive decodng",
    "how many papers on retrieval",
    "What's the weather in Seattle?",
    "best pizza in town",
    "who won the world cup in 2018",
    "how do I train my dog",
    "what is the capital of France",
)


def questions(knowledge_dir: Path, *, seed: int = 7) -> list[str]:
    """The fixed questions plus questions about synthetic papers of this folder (their names,
    authors, years, topics and title words, some misspelt), drawn with a fixed seed."""
    from bot.core.knowledge import load_knowledge

    kb = load_knowledge(knowledge_dir)
    rng = random.Random(seed)
    synthetic = [p for p in kb.papers if p.id.split(".")[1] >= "30000"] or list(kb.papers)
    named = [p for p in synthetic if p.aliases] or synthetic
    out = list(FIXED_QUESTIONS)
    for paper in rng.sample(named, min(4, len(named))):
        alias = paper.aliases[0] if paper.aliases else paper.title
        out += [f"What is {alias}?", f"where was {alias} published"]
    for paper in rng.sample(synthetic, min(4, len(synthetic))):
        title = paper.title.split(": ", 1)[-1]
        out.append(f"papers by {paper.authors[0]}")
        out.append(f"work on {title.lower()}")
        typo = list(title.lower())
        spot = rng.randrange(len(typo))
        typo.insert(spot, typo[spot])
        out.append(f"who wrote {''.join(typo)}")
    year = rng.choice(synthetic).year
    out += [f"papers from {year}", f"how many papers on retrieval in {year}"]
    return out


# --- measuring processes -------------------------------------------------------------------------


def run_process(command: Sequence[str]) -> dict[str, float]:
    """Run a command to the end; its wall and CPU seconds and peak RSS (MB)."""
    start = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - start
    stderr = process.stderr.read().decode() if process.stderr else ""
    if os.waitstatus_to_exitcode(status) != 0:
        raise RuntimeError(f"{' '.join(command)} failed:\n{stderr[-2000:]}")
    return {
        "wall_s": wall,
        "cpu_s": usage.ru_utime + usage.ru_stime,
        "rss_mb": usage.ru_maxrss / 1024,
    }


def best_of(runs: int, command: Sequence[str]) -> dict[str, float]:
    """The run with the median wall time of ``runs``."""
    results = sorted((run_process(command) for _ in range(runs)), key=lambda r: r["wall_s"])
    return results[len(results) // 2]


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def current_rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def rss_kinds_mb() -> dict[str, float]:
    """This process's resident memory by kind: anonymous (its own) and file-backed (pages of
    mapped files, the engine cache's arrays among them: shared, and given back under pressure)."""
    kinds = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(("RssAnon:", "RssFile:")):
            name, value = line.split(":")
            kinds[name] = int(value.split()[0]) / 1024
    return kinds


def percentile(values: Sequence[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def timed_questions(ask: Callable[[str], object], asked: Sequence[str]) -> dict[str, float]:
    """Ask each question once untimed, then REPEATS times timed; p50/p99/mean in ms."""
    for question in asked:
        ask(question)
    times = []
    for _ in range(REPEATS):
        for question in asked:
            start = time.perf_counter()
            ask(question)
            times.append((time.perf_counter() - start) * 1000)
    return {
        "p50_ms": percentile(times, 0.5),
        "p99_ms": percentile(times, 0.99),
        "mean_ms": statistics.fmean(times),
        "questions": len(asked),
    }


# --- the event loop ------------------------------------------------------------------------------


class LoopLag:
    """Sleeps LAG_INTERVAL over and over and records how late each tick wakes up."""

    def __init__(self) -> None:
        self.lags: list[float] = []
        self.late: list[tuple[float, float]] = []  # (seconds into the block, ms late) past LATE_MS
        self._task: asyncio.Task[None] | None = None
        self._began = 0.0

    async def _run(self) -> None:
        while True:
            start = time.perf_counter()
            await asyncio.sleep(LAG_INTERVAL)
            lag = time.perf_counter() - start - LAG_INTERVAL
            self.lags.append(lag)
            if lag * 1000 > LATE_MS:
                self.late.append((round(start - self._began, 2), round(lag * 1000)))

    @contextlib.asynccontextmanager
    async def measure(self, into: dict[str, float]) -> AsyncIterator[None]:
        """Record the worst and the 99th-percentile lateness (ms) of the ticks inside the block."""
        self.lags, self.late, self._began = [], [], time.perf_counter()
        self._task = asyncio.create_task(self._run())
        await asyncio.sleep(0)
        try:
            yield
        finally:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            lags = self.lags or [0.0]
            into["lag_max_ms"] = max(lags) * 1000
            into["lag_p99_ms"] = percentile(lags, 0.99) * 1000
            into["late_ticks"] = self.late[:20]  # type: ignore[assignment]


async def discord_scenarios(knowledge_dir: Path, engines: list[Any], asked: Sequence[str]) -> dict:
    """Drive the real client against the fake Discord; latency and loop lag per scenario.

    The engine comes as the only item of ``engines``: the bot holds the only reference, as in
    production, so /reload can free the old one.
    """
    import discord

    from tests.e2e.fake_discord import FakeDiscord, serving

    fake = FakeDiscord()
    async with serving(fake) as base:
        discord.http.Route.BASE = base
        return await _scenarios(fake, knowledge_dir, engines, asked)


async def _scenarios(
    fake: Any, knowledge_dir: Path, engines: list[Any], asked: Sequence[str]
) -> dict[str, dict[str, float]]:
    from bot.client import QABot
    from bot.config import Config
    from tests.e2e.conftest import GUILD
    from tests.e2e.fake_discord import ALL_PERMISSIONS, APP_ID, command_data, interaction_create

    config = Config(knowledge_dir=knowledge_dir, cooldown_seconds=0, cache_dir=CACHE_DIR)
    bot = QABot(config=config, engine=engines.pop(), sync_on_start=False)
    await bot.login("fake-token")
    bot._connection._add_guild_from_data(GUILD)  # type: ignore[arg-type]
    ids = iter(range(10_000, 10**9))
    lag = LoopLag()
    results: dict[str, dict[str, float]] = {}

    async def interact(data: dict, *, kind: int = 2, admin: bool = False, user: int = 2000) -> str:
        number = next(ids)
        extra = {"permissions": ALL_PERMISSIONS} if admin else {}
        bot._connection.parse_interaction_create(
            interaction_create(number, kind, data, user_id=user, **extra)  # type: ignore[arg-type]
        )
        return f"token-{number}"

    async def reply(token: str, *, followup: bool, timeout: float = 600.0) -> float:
        start = time.perf_counter()
        path = f"/webhooks/{APP_ID}/{token}" if followup else None
        await fake.wait_for(
            lambda r: (
                (r.path == path)
                if path
                else (r.path.endswith(f"/{token}/callback") and r.method == "POST")
            ),
            timeout=timeout,
        )
        return time.perf_counter() - start

    # One of each first: the first use of a command imports and builds things once per process.
    await reply(await interact(command_data("ask", question="What is BART?")), followup=True)
    data = command_data("paper", title="bart", focused="title")
    await reply(await interact(data, kind=4), followup=False)
    await reply(await interact(command_data("papers", query="bart")), followup=False)

    # Nothing happening: how late ticks come on this machine anyway (other processes, the OS).
    stats: dict[str, float] = {}
    async with lag.measure(stats):
        await asyncio.sleep(IDLE_SECONDS)
    results["idle"] = stats

    # 10 questions at once, as from 10 people.
    stats = {}
    async with lag.measure(stats):
        start = time.perf_counter()
        tokens = []
        for i, question in enumerate(asked[:CONCURRENT_ASKS]):
            tokens.append(await interact(command_data("ask", question=question), user=3000 + i))
            await asyncio.sleep(0)  # one gateway event per turn of the loop, as in production
        waits = await asyncio.gather(*(reply(t, followup=True) for t in tokens))
        stats["all_s"] = time.perf_counter() - start
        stats["slowest_s"] = max(waits)
    results["ask_x10"] = stats

    # Typing titles into /paper, one autocomplete request per keystroke.
    stats, keystrokes = {}, []
    async with lag.measure(stats):
        for text in TYPED:
            for end in range(1, len(text) + 1):
                data = command_data("paper", title=text[:end], focused="title")
                start = time.perf_counter()
                await reply(await interact(data, kind=4), followup=False)
                keystrokes.append((time.perf_counter() - start) * 1000)
    stats["keystroke_p50_ms"] = percentile(keystrokes, 0.5)
    stats["keystroke_max_ms"] = max(keystrokes)
    results["autocomplete"] = stats

    # /papers with filters, and /about.
    stats, calls = {}, []
    async with lag.measure(stats):
        for options in (
            {"query": "retrieval augmented"},
            {"query": "attention sinks"},
            {"topic": "retrieval"},
            {"year": 2021, "topic": "mixture-of-experts"},
            {"year": 2019, "query": "nearest neighbor"},
        ):
            start = time.perf_counter()
            await reply(await interact(command_data("papers", **options)), followup=False)
            calls.append((time.perf_counter() - start) * 1000)
        start = time.perf_counter()
        await reply(await interact(command_data("about")), followup=False)
        stats["about_ms"] = (time.perf_counter() - start) * 1000
    stats["papers_max_ms"] = max(calls)
    results["papers"] = stats

    # /reload, while someone keeps typing into /paper.
    stats, during = {}, []
    rss_before = peak_rss_mb()
    async with lag.measure(stats):
        start = time.perf_counter()
        token = await interact(command_data("reload"), admin=True)
        done = asyncio.create_task(reply(token, followup=True))
        while not done.done():
            data = command_data("paper", title="attention si", focused="title")
            begin = time.perf_counter()
            await reply(await interact(data, kind=4), followup=False)
            during.append((time.perf_counter() - begin) * 1000)
            await asyncio.sleep(0.2)
        await done
        stats["reload_s"] = time.perf_counter() - start
    stats["keystroke_max_ms"] = max(during) if during else float("nan")
    stats["rss_before_mb"] = rss_before
    stats["rss_after_mb"] = peak_rss_mb()
    reloaded = [r for r in fake.requests if r.path == f"/webhooks/{APP_ID}/{token}"]
    if not reloaded or "embeds" not in (reloaded[0].body or {}):
        raise RuntimeError(f"/reload failed: {reloaded[0].body if reloaded else 'no reply'}")
    results["reload"] = stats

    await bot.close()
    return results


# --- workers -------------------------------------------------------------------------------------


def worker_build(knowledge_dir: Path, out: Path) -> None:
    """Load, index and cache the engine in this process; write the figures to ``out``."""
    from bot.core.cache import EngineCache, cache_key
    from bot.core.engine import Engine
    from bot.core.knowledge import load_knowledge

    gc.collect()
    start, cpu = time.perf_counter(), time.process_time()
    kb = load_knowledge(knowledge_dir)
    load = {"wall_s": time.perf_counter() - start, "cpu_s": time.process_time() - cpu}
    start, cpu = time.perf_counter(), time.process_time()
    engine = Engine.build(kb)
    build = {"wall_s": time.perf_counter() - start, "cpu_s": time.process_time() - cpu}
    start, cpu = time.perf_counter(), time.process_time()
    cache = EngineCache(CACHE_DIR)
    entry = cache.save(engine, cache_key(knowledge_dir))
    if entry is None:
        raise RuntimeError(f"could not write the engine cache in {CACHE_DIR}")
    save = {"wall_s": time.perf_counter() - start, "cpu_s": time.process_time() - cpu}
    size_mb = sum(f.stat().st_size for f in entry.iterdir()) / 1e6
    figures = {
        "load": load,
        "build": build,
        "save": save,
        "cache_mb": size_mb,
        "rss_peak_mb": peak_rss_mb(),
    }
    out.write_text(json.dumps(figures, indent=2), encoding="utf-8")


def worker_ours(knowledge_dir: Path, out: Path) -> None:
    """Read the engine from the cache, answer and drive the bot in this process; write the
    figures to ``out``."""
    from bot.core.cache import EngineCache, cache_key
    from bot.reloader import freeze_engine

    asked = questions(knowledge_dir)
    gc.collect()
    start, cpu = time.perf_counter(), time.process_time()
    engine = EngineCache(CACHE_DIR).load(cache_key(knowledge_dir))
    if engine is None:
        raise RuntimeError(f"no engine in the cache {CACHE_DIR} for {knowledge_dir}")
    cached = {"wall_s": time.perf_counter() - start, "cpu_s": time.process_time() - cpu}
    gc.collect()
    rss_loaded = current_rss_mb()
    freeze_engine()  # as `python -m bot run` does before connecting
    answers = timed_questions(engine.ask, asked)
    declined = sum(engine.ask(q).declined for q in asked)
    rss_answered = current_rss_mb()
    rss_kinds = rss_kinds_mb()
    engines = [engine]
    del engine
    serving = asyncio.run(discord_scenarios(knowledge_dir, engines, asked))
    figures = {
        "cache_load": cached,
        "rss_loaded_mb": rss_loaded,
        "rss_answered_mb": rss_answered,
        "rss_answered_kinds_mb": rss_kinds,
        "answers": {**answers, "declined": declined},
        "discord": serving,
        "rss_peak_mb": peak_rss_mb(),
    }
    out.write_text(json.dumps(figures, indent=2), encoding="utf-8")


def worker_bm25s(knowledge_dir: Path, out: Path) -> None:
    """Read and index with bm25s, then ask the same questions; write the figures to ``out``."""
    from benchmarks import bm25s_cli

    asked = questions(knowledge_dir)
    cpu = time.process_time()
    _, texts = bm25s_cli.read_documents(knowledge_dir)
    load_s = time.process_time() - cpu
    cpu = time.process_time()
    index = bm25s_cli.build(texts)
    build_s = time.process_time() - cpu
    del texts
    gc.collect()
    rss_built = current_rss_mb()
    answers = timed_questions(lambda q: bm25s_cli.search(index, q), asked)
    figures = {
        "load_s": load_s,
        "build_s": build_s,
        "rss_built_mb": rss_built,
        "answers": answers,
        "rss_peak_mb": peak_rss_mb(),
    }
    out.write_text(json.dumps(figures, indent=2), encoding="utf-8")


def worker(kind: str, knowledge_dir: Path) -> dict[str, Any]:
    """Run one worker in a fresh process and read back its figures."""
    out = RESULTS / f"worker-{kind}-{os.getpid()}.json"
    command = [sys.executable, __file__, "--worker", kind, str(knowledge_dir), str(out)]
    process = run_process(command)
    figures = json.loads(out.read_text(encoding="utf-8"))
    out.unlink()
    return {**figures, "process": process}


# --- the run -------------------------------------------------------------------------------------


def measure(size: int, *, cold_runs: int) -> dict[str, Any]:
    """Every figure for one folder size."""
    folder = RESULTS / f"kb-{size}"
    print(f"[{size}] corpus {'generated' if ensure_corpus(size, folder) else 'reused'}", flush=True)
    size_mb = sum(p.stat().st_size for p in folder.rglob("*.yaml")) / 1e6
    python = sys.executable
    validate = best_of(cold_runs, [python, "-m", "bot", "validate", "--knowledge", str(folder)])
    print(f"[{size}] validate {validate['wall_s']:.1f} s", flush=True)
    ask = [python, "-m", "bot", "ask", "--knowledge", str(folder), COLD_QUESTION]
    uncached = best_of(cold_runs, [*ask, "--no-cache"])
    print(f"[{size}] cold ask without the cache {uncached['wall_s']:.1f} s", flush=True)
    EngineCache(CACHE_DIR).clear()
    build = worker("build", folder)
    print(f"[{size}] built and cached in {build['process']['wall_s']:.1f} s", flush=True)
    cold = best_of(3, ask)
    bm25s_cli = str(ROOT / "benchmarks" / "bm25s_cli.py")
    cold_bm25s = best_of(cold_runs, [python, bm25s_cli, "--knowledge", str(folder), COLD_QUESTION])
    print(
        f"[{size}] cold ask with a warm cache {cold['wall_s']:.1f} s, "
        f"bm25s {cold_bm25s['wall_s']:.1f} s",
        flush=True,
    )
    ours = worker("ours", folder)
    print(f"[{size}] serving worker done", flush=True)
    bm25s = worker("bm25s", folder)
    return {
        "papers": size,
        "yaml_mb": size_mb,
        "validate": validate,
        "uncached": uncached,
        "cold": cold,
        "cold_bm25s": cold_bm25s,
        "build": build,
        "ours": ours,
        "bm25s": bm25s,
    }


def tables(rows: Sequence[dict[str, Any]]) -> str:
    """The figures as two markdown tables."""
    out = [
        "| papers (YAML MB) | validate: wall (CPU) | cold `ask`, wall (CPU): warm cache / "
        "no cache / bm25s | build + cache it (CPU): ours / bm25s | read from the cache "
        "(cache MB) | RSS serving: ours / bm25s | answer p50 / p99: ours | bm25s | declined |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        ours, bm, build = r["ours"], r["bm25s"], r["build"]
        a, b = ours["answers"], bm["answers"]
        out.append(
            f"| {r['papers'] // 1000}k ({r['yaml_mb']:.0f}) "
            f"| {r['validate']['wall_s']:.1f} s ({r['validate']['cpu_s']:.1f} s) "
            f"| {r['cold']['wall_s']:.1f} ({r['cold']['cpu_s']:.1f}) / "
            f"{r['uncached']['wall_s']:.1f} ({r['uncached']['cpu_s']:.1f}) / "
            f"{r['cold_bm25s']['wall_s']:.1f} ({r['cold_bm25s']['cpu_s']:.1f}) s "
            f"| {build['load']['cpu_s']:.1f} + {build['build']['cpu_s']:.1f} + "
            f"{build['save']['cpu_s']:.1f} / {bm['load_s']:.1f} + {bm['build_s']:.1f} s "
            f"| {ours['cache_load']['wall_s']:.1f} s ({build['cache_mb']:.0f}) "
            f"| {ours['discord']['reload']['rss_before_mb']:.0f} / {bm['rss_peak_mb']:.0f} MB "
            f"| {a['p50_ms']:.1f} / {a['p99_ms']:.1f} ms "
            f"| {b['p50_ms']:.2f} / {b['p99_ms']:.2f} ms "
            f"| {a['declined']}/{a['questions']} |"
        )
    out += [
        "",
        "| papers | idle: worst tick | 10 × /ask at once: all answered, worst tick | "
        "/paper typing: keystroke p50 / max, worst tick | /papers filters: slowest, worst tick | "
        "/about | /reload: time, worst tick, keystroke max, RSS after |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        d = r["ours"]["discord"]
        ask, typing, papers, reload = d["ask_x10"], d["autocomplete"], d["papers"], d["reload"]
        out.append(
            f"| {r['papers'] // 1000}k "
            f"| {d['idle']['lag_max_ms']:.0f} ms "
            f"| {ask['all_s']:.2f} s, {ask['lag_max_ms']:.0f} ms "
            f"| {typing['keystroke_p50_ms']:.1f} / {typing['keystroke_max_ms']:.1f} ms, "
            f"{typing['lag_max_ms']:.0f} ms "
            f"| {papers['papers_max_ms']:.0f} ms, {papers['lag_max_ms']:.0f} ms "
            f"| {papers['about_ms']:.1f} ms "
            f"| {reload['reload_s']:.1f} s, {reload['lag_max_ms']:.0f} ms, "
            f"{reload['keystroke_max_ms']:.0f} ms, {reload['rss_after_mb']:.0f} MB |"
        )
    return "\n".join(out)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--sizes",
        default=",".join(map(str, SIZES)),
        help="comma-separated paper counts (default: 1000,10000,100000)",
    )
    parser.add_argument("--json", type=Path, help="also write every figure to this file")
    parser.add_argument(
        "--tables", type=Path, metavar="JSON", help="print the tables of an earlier --json file"
    )
    parser.add_argument("--worker", nargs=3, metavar=("KIND", "DIR", "OUT"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    with contextlib.suppress(PermissionError):
        # On a shared machine other processes' load shows up as event-loop lag too; ahead of
        # them (where allowed), the lag measured is the bot's own. The processes started here
        # inherit it. The idle row shows what noise is left.
        os.nice(PRIORITY_BOOST)
    os.environ["BOT_CACHE_DIR"] = str(CACHE_DIR)  # the processes started here use it too
    if args.worker:
        kind, folder, out = args.worker
        workers = {"build": worker_build, "ours": worker_ours, "bm25s": worker_bm25s}
        workers[kind](Path(folder), Path(out))
        return 0
    if args.tables:
        print(tables(json.loads(args.tables.read_text(encoding="utf-8"))))
        return 0
    RESULTS.mkdir(parents=True, exist_ok=True)
    rows = []
    for size in sorted(int(s) for s in args.sizes.split(",")):
        rows.append(measure(size, cold_runs=1 if size >= 100_000 else 3))
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2), encoding="utf-8")
    print(tables(rows))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
