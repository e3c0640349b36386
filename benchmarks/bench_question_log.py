"""Question-log benchmark: does recording every question slow answers down or lose rows?

Drives the real bot (discord.py client, AskCog, the shipped knowledge) through the fake Discord
of the end-to-end tests on 127.0.0.1: USERS users ask QUESTIONS questions in all. By default each
user asks again as soon as the previous answer arrived, all users at once, which keeps the bot
at full load; `--rate R` sends R questions per second instead, answered or not. Each round runs
a bot without the question log and one with it (a fresh SQLite file per round) at the same
time, in two processes, so both see the same machine load; the first round warms up and is not
reported (`--alternate` runs one bot at a time instead, off/on in ABBA order). For each answer it
measures the time from the MESSAGE_CREATE event to the reply reaching the fake Discord; with the
log it also checks that the file holds one row per question and that every reply carried the
👍/👎 buttons.

Run by hand (not a test):  python benchmarks/bench_question_log.py [--rounds 6] [--rate R]
                           [--alternate] [--no-gc-freeze]
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import logging
import statistics
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import discord
import yaml
from aiohttp import web

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))  # the fake Discord lives with the end-to-end tests

from bot.cli import DEFAULT_KNOWLEDGE_DIR  # noqa: E402
from bot.client import QABot  # noqa: E402
from bot.config import Config  # noqa: E402
from bot.core.engine import Engine, load_engine  # noqa: E402
from bot.recorder import open_recorder  # noqa: E402
from bot.reloader import freeze_engine  # noqa: E402
from tests.e2e.conftest import GUILD  # noqa: E402
from tests.e2e.fake_discord import (  # noqa: E402
    BOT_ID,
    FakeDiscord,
    Request,
    message_create,
    user_payload,
)

QUESTIONS_FILE = REPO / "eval" / "questions.yaml"


class TimedDiscord(FakeDiscord):
    """The fake Discord, noting when the reply to each question message arrives."""

    def __init__(self) -> None:
        super().__init__()
        self.waiting: dict[int, asyncio.Future[tuple[float, Request]]] = {}  # by question id

    def _reply(self, r: Request) -> Any:
        arrived = time.perf_counter()
        result = super()._reply(r)
        reference = (r.body or {}).get("message_reference") if r.method == "POST" else None
        future = self.waiting.pop(int(reference["message_id"]), None) if reference else None
        if future is not None and not future.done():
            future.set_result((arrived, r))
        return result


@dataclass(frozen=True, slots=True)
class Round:
    """One run of all questions: per-answer latencies (ms), and what the log kept."""

    logged: bool
    latencies: list[float]
    seconds: float
    cpu_seconds: float  # this process, all threads: stable even when the machine is busy
    rows: int | None
    with_buttons: int

    def pct(self, share: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))]


async def _one_round(
    engine: Engine,
    questions: list[str],
    *,
    users: int,
    rate: float,
    logged: bool,
    folder: Path,
    freeze: bool = True,
) -> Round:
    fake = TimedDiscord()
    runner = web.AppRunner(fake.app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    discord.http.Route.BASE = f"http://127.0.0.1:{runner.addresses[0][1]}/api/v10"  # type: ignore[misc]
    database = folder / f"round-{time.monotonic_ns()}.sqlite3"
    recorder = open_recorder(database, log_questions=True, retention_days=90) if logged else None
    config = Config(knowledge_dir=DEFAULT_KNOWLEDGE_DIR, cooldown_seconds=0, database=database)
    bot = QABot(config=config, engine=engine, sync_on_start=False, recorder=recorder)
    await bot.login("fake-token")
    bot._connection._add_guild_from_data(GUILD)  # type: ignore[arg-type]
    if freeze:
        freeze_engine()  # as `python -m bot run` does
    ids = itertools.count(10_000_000)
    latencies: list[float] = []
    buttons = 0

    async def ask(user: int, question: str) -> None:
        nonlocal buttons
        message_id = next(ids)
        event = message_create(message_id, f"<@{BOT_ID}> {question}", mentions=[BOT_ID])
        event["author"] = user_payload(500_000 + user, f"user{user}")
        future = fake.waiting[message_id] = asyncio.get_running_loop().create_future()
        sent = time.perf_counter()
        bot._connection.parse_message_create(event)
        arrived, reply = await asyncio.wait_for(future, 120)
        latencies.append((arrived - sent) * 1000)
        buttons += bool(reply.body.get("components"))

    async def user(number: int) -> None:
        """Closed loop: the next question as soon as the previous answer arrived."""
        for question in questions[number::users]:
            await ask(number, question)

    async def open_loop() -> None:
        """Question n is sent at n / rate seconds by user n % users, answered or not."""
        start, asked = time.perf_counter(), []
        for n, question in enumerate(questions):
            await asyncio.sleep(max(0.0, start + n / rate - time.perf_counter()))
            asked.append(asyncio.ensure_future(ask(n % users, question)))
        await asyncio.gather(*asked)

    started, cpu = time.perf_counter(), time.process_time()
    if rate:
        await open_loop()
    else:
        await asyncio.gather(*(user(n) for n in range(users)))
    rows = None
    if recorder is not None:
        await recorder.flush()  # the writes' cost counts too
        rows = recorder.store.count()
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    await bot.close()  # also closes the recorder
    await runner.cleanup()
    return Round(logged, latencies, seconds, cpu, rows, buttons)


def _table(rounds: list[Round], total: int) -> str:
    lines = [
        "| round | question log | p50 (ms) | p95 (ms) | p99 (ms) | max (ms) | answers/s "
        "| CPU per answer (ms) | rows written | replies with buttons |",
        "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for n, r in enumerate(rounds, start=1):
        rows = "–" if r.rows is None else f"{r.rows:,}/{total:,}"
        lines.append(
            f"| {n} | {'on' if r.logged else 'off'} | {r.pct(0.5):.1f} | {r.pct(0.95):.1f} "
            f"| {r.pct(0.99):.1f} | {max(r.latencies):.1f} | {total / r.seconds:,.0f} "
            f"| {r.cpu_seconds / total * 1000:.2f} | {rows} | {r.with_buttons:,} |"
        )
    return "\n".join(lines)


_WORKER: dict[str, Any] = {}  # per worker process: the engine and the questions


def _start_worker(questions: list[str], freeze: bool) -> None:
    _WORKER.update(engine=load_engine(DEFAULT_KNOWLEDGE_DIR), questions=questions, freeze=freeze)


def _worker_round(logged: bool, users: int, rate: float, folder: str) -> Round:
    run = _one_round(
        _WORKER["engine"],
        _WORKER["questions"],
        users=users,
        rate=rate,
        logged=logged,
        folder=Path(folder),
        freeze=_WORKER["freeze"],
    )
    return asyncio.run(run)


def _side_by_side(
    questions: list[str], *, users: int, rate: float, rounds: int, folder: str, freeze: bool
) -> list[Round]:
    """Each round runs a bot without the log and one with it at the same time, in two
    processes (two GILs), so both see the same machine load; the first round warms up."""
    results: list[Round] = []
    with ProcessPoolExecutor(2, initializer=_start_worker, initargs=(questions, freeze)) as pool:
        for n in range(rounds + 1):
            pair = [
                pool.submit(_worker_round, logged, users, rate, folder) for logged in (False, True)
            ]
            if n:
                results += [job.result() for job in pair]
            else:
                wait(pair)
    return results


def _alternating(
    questions: list[str], *, users: int, rate: float, rounds: int, folder: str, freeze: bool
) -> list[Round]:
    """One bot at a time: a warm-up round, then off/on in ABBA order (off, on, on, off, ...),
    which cancels a steady drift of the machine's speed."""
    engine = load_engine(DEFAULT_KNOWLEDGE_DIR)
    order = [False] + [n % 4 in (1, 2) for n in range(rounds)]
    results = []
    for logged in order:
        run = _one_round(
            engine,
            questions,
            users=users,
            rate=rate,
            logged=logged,
            folder=Path(folder),
            freeze=freeze,
        )
        results.append(asyncio.run(run))
    return results[1:]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--questions", type=int, default=1000, help="questions per round")
    parser.add_argument("--users", type=int, default=50, help="users asking at the same time")
    parser.add_argument("--rounds", type=int, default=6, help="measured rounds of each kind")
    parser.add_argument(
        "--rate",
        type=float,
        default=0.0,
        help="send this many questions per second whatever the answers (open loop); default 0: "
        "each user asks again as soon as answered (closed loop, the bot at full load)",
    )
    parser.add_argument(
        "--no-gc-freeze",
        action="store_true",
        help="leave out the gc.freeze() that `python -m bot run` does after start-up",
    )
    parser.add_argument(
        "--alternate",
        action="store_true",
        help="run one bot at a time, off/on in ABBA order, instead of both at once",
    )
    parser.add_argument(
        "--keep",
        type=Path,
        metavar="DIR",
        help="keep each round's question log in DIR (for `python -m bot report --database`)",
    )
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    pool = [item["q"] for item in yaml.safe_load(QUESTIONS_FILE.read_text(encoding="utf-8"))]
    questions = [pool[n % len(pool)] for n in range(args.questions)]
    run = _alternating if args.alternate else _side_by_side
    if args.keep:
        args.keep.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as scratch:
        folder = str(args.keep or scratch)
        count = args.rounds * 2 if args.alternate else args.rounds
        rounds = run(
            questions,
            users=args.users,
            rate=args.rate,
            rounds=count,
            folder=folder,
            freeze=not args.no_gc_freeze,
        )
    how = (
        "one bot at a time, off/on in ABBA order"
        if args.alternate
        else "each round: both bots at once, in two processes"
    )
    pace = (
        f"{args.rate:g} questions/s whatever the answers"
        if args.rate
        else "each asking again as soon as answered"
    )
    print(
        f"{args.questions:,} questions from {args.users} users per bot, {pace}; real bot and "
        f"fake Discord on 127.0.0.1, shipped knowledge; {how}"
        f"{'; no gc.freeze()' if args.no_gc_freeze else ''}; latency = MESSAGE_CREATE to "
        "reply received\n"
    )
    print(_table(rounds, args.questions))
    off = [r for r in rounds if not r.logged]
    on = [r for r in rounds if r.logged]
    if args.alternate:
        pairs = [
            sorted(rounds[n : n + 2], key=lambda r: r.logged) for n in range(0, len(rounds), 2)
        ]
    else:
        pairs = [[rounds[n], rounds[n + 1]] for n in range(0, len(rounds), 2)]
    diffs = [b.pct(0.99) - a.pct(0.99) for a, b in pairs]
    print(
        f"\nmedian p99: {statistics.median(r.pct(0.99) for r in off):.1f} ms without the log, "
        f"{statistics.median(r.pct(0.99) for r in on):.1f} ms with it; p99 difference per pair "
        f"(on - off): {', '.join(f'{d:+.1f}' for d in diffs)} ms "
        f"(median {statistics.median(diffs):+.1f} ms)"
    )
    off_cpu = statistics.median(r.cpu_seconds for r in off) / args.questions * 1000
    on_cpu = statistics.median(r.cpu_seconds for r in on) / args.questions * 1000
    print(
        f"median CPU per answer: {off_cpu:.2f} ms without the log, {on_cpu:.2f} ms with it "
        f"({(on_cpu / off_cpu - 1) * 100:+.1f} %)"
    )
    lost = [r for r in on if r.rows != args.questions]
    print("lost writes: none" if not lost else f"LOST WRITES in {len(lost)} round(s)")


if __name__ == "__main__":
    main()
