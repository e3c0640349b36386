"""Command-line entry point: ``python -m bot <command>``.

Every command runs the same pure core as the Discord bot. User errors (bad arguments, bad knowledge,
bad config) print ``error: ...`` to stderr and exit non-zero, never with a traceback.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from bot.core.models import Answer
from bot.errors import BotError

if TYPE_CHECKING:
    from bot.config import Config
    from bot.core.engine import Engine

DEFAULT_KNOWLEDGE_DIR = Path(__file__).resolve().parent.parent / "knowledge"
DEFAULT_QUESTIONS = Path(__file__).resolve().parent.parent / "eval" / "questions.yaml"


class _Parser(argparse.ArgumentParser):
    """argparse that exits with 2 and one clear line instead of a usage dump on bad arguments."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        self.exit(2, f"error: {message}\n")


def _add_knowledge_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--knowledge",
        metavar="DIR",
        type=Path,
        default=DEFAULT_KNOWLEDGE_DIR,
        help="knowledge directory (default: the repo's knowledge/)",
    )


def build_parser() -> argparse.ArgumentParser:
    """Build the argument parser with every subcommand."""
    parser = _Parser(prog="python -m bot", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    # --- knowledge (issue 3) ---
    p = sub.add_parser("validate", help="load and validate the knowledge files")
    _add_knowledge_option(p)
    p.set_defaults(handler=_cmd_validate)

    p = sub.add_parser(
        "build-knowledge", help="rebuild the knowledge YAML from the raw sources, keeping curation"
    )
    _add_knowledge_option(p)
    p.set_defaults(handler=_cmd_build_knowledge)

    # --- answering (issue 4) ---
    p = sub.add_parser("ask", help="answer one question (or one per stdin line with '-')")
    p.add_argument("question", help="the question, or '-' to read one question per stdin line")
    p.add_argument("--json", action="store_true", help="print JSON instead of text")
    _add_knowledge_option(p)
    p.set_defaults(handler=_cmd_ask)

    p = sub.add_parser("chat", help="ask questions in an interactive loop")
    _add_knowledge_option(p)
    p.set_defaults(handler=_cmd_chat)

    p = sub.add_parser("eval", help="score the retriever on eval/questions.yaml beside baselines")
    p.add_argument(
        "--questions",
        metavar="FILE",
        type=Path,
        default=DEFAULT_QUESTIONS,
        help="evaluation set (default: eval/questions.yaml; eval/holdout.yaml is the held-out set)",
    )
    p.add_argument("--misses", action="store_true", help="also list the questions we get wrong")
    _add_knowledge_option(p)
    p.set_defaults(handler=_cmd_eval)

    # --- Discord (issue 5) ---
    p = sub.add_parser("run", help="run the Discord bot (token from DISCORD_TOKEN)")
    _add_config_option(p)
    _add_health_option(p)
    p.set_defaults(handler=_cmd_run)

    p = sub.add_parser("sync", help="upload the slash commands to Discord, then exit")
    _add_config_option(p)
    p.add_argument(
        "--guild",
        metavar="ID",
        type=_guild_id,
        default=None,
        help="sync to this server only (instant); without it, sync globally",
    )
    p.set_defaults(handler=_cmd_sync)

    # --- operations (issue 12) ---
    p = sub.add_parser(
        "doctor", help="check config, knowledge, token, intents and write access; no network"
    )
    _add_config_option(p)
    _add_health_option(p)
    p.add_argument(
        "--online",
        action="store_true",
        help="also log in to Discord to check the token and the intents the portal grants",
    )
    p.set_defaults(handler=_cmd_doctor)

    p = sub.add_parser("health", help="exit 0 if a running bot wrote its health file recently")
    _add_health_option(p, required=True)
    p.add_argument(
        "--max-age",
        metavar="SECONDS",
        type=float,
        default=HEALTH_MAX_AGE,
        help=f"older than this is unhealthy (default: {HEALTH_MAX_AGE:g})",
    )
    p.set_defaults(handler=_cmd_health)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command and return its exit code."""
    args = build_parser().parse_args(argv)
    _use_utf8_streams()
    try:
        return int(args.handler(args))
    except BotError as exc:
        for line in str(exc).splitlines() or ["unknown error"]:
            print(f"error: {line}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # The reader left (`... | head`): not an error of ours. Point stdout at devnull so the
        # interpreter's final flush does not raise again (the recipe in Python's signal docs).
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141


def _use_utf8_streams() -> None:
    """Read and write UTF-8 whatever the locale; undecodable input bytes become U+FFFD.

    Other tools pipe UTF-8 into ``ask -`` and parse its JSON lines, which must be UTF-8 (RFC
    8259). With the default locale Python would pass bad bytes through as surrogates and write
    them back raw; with ``PYTHONIOENCODING=utf-8`` it would raise instead.
    """
    for stream in (sys.stdin, sys.stdout):
        if isinstance(stream, io.TextIOWrapper):  # not a StringIO put there by a test
            stream.reconfigure(encoding="utf-8", errors="replace")


def _text_argument(value: str) -> str:
    """A free-text command-line argument with undecodable bytes as U+FFFD.

    Python hands such bytes over as lone surrogates (PEP 383), which no UTF-8 output can hold.
    """
    return os.fsencode(value).decode("utf-8", errors="replace")


# --- knowledge (issue 3) ---------------------------------------------------------------------


def _shown_dir(directory: Path) -> str:
    """Name ``directory`` as given; the default is shown relative to the cwd when inside it."""
    if directory != DEFAULT_KNOWLEDGE_DIR:
        return str(directory)
    try:
        return str(directory.relative_to(Path.cwd()))
    except ValueError:
        return str(directory)


def _cmd_validate(args: argparse.Namespace) -> int:
    from bot.core.knowledge import load_knowledge, summarize
    from bot.errors import KnowledgeError

    try:
        kb = load_knowledge(args.knowledge, display_dir=_shown_dir(args.knowledge))
    except KnowledgeError as exc:
        # Compiler-style lines (path:line:col: message) so editors can jump to each problem.
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        count = len(exc.problems)
        print(f"error: {count} problem{'s' if count != 1 else ''} found", file=sys.stderr)
        return 1
    print(summarize(kb))
    return 0


def _cmd_build_knowledge(args: argparse.Namespace) -> int:
    from bot.build import build_knowledge

    report = build_knowledge(args.knowledge, display_dir=_shown_dir(args.knowledge))
    for line in report.lines():
        print(line)
    return 0


# --- answering (issue 4) ---------------------------------------------------------------------


def _cmd_ask(args: argparse.Namespace) -> int:
    from bot.core.engine import load_engine

    question = _text_argument(args.question)
    if question != "-" and not question.strip():
        raise BotError("the question is empty; pass a question or '-' to read stdin")
    engine = load_engine(args.knowledge)
    questions = _stdin_questions() if question == "-" else iter([question])
    for question in questions:
        answer = engine.ask(question)
        if args.json:
            print(json.dumps(answer_to_json(answer), ensure_ascii=False), flush=True)
        else:
            print(format_answer(answer), flush=True)
    return 0


def _stdin_questions() -> Iterator[str]:
    """Yield one question per stdin line (blank lines too: one output line per input line)."""
    for line in sys.stdin:
        yield line.rstrip("\r\n")


def answer_to_json(answer: Answer) -> dict[str, object]:
    """The ``ask --json`` object; its keys and their order are a contract with other tools."""
    return {
        "question": answer.question,
        "answer": "\n".join(part for part in (answer.intro, answer.text) if part),
        "declined": answer.declined,
        "citations": [
            {
                "kind": c.kind,
                "id": c.id,
                "title": c.title,
                "date": c.date,
                "url": c.url,
                "text": c.text,
                "score": c.score,
            }
            for c in answer.citations
        ],
    }


def format_answer(answer: Answer) -> str:
    """The answer for a person: the text, then a numbered source list with links."""
    lines = [part for part in (answer.intro, answer.text) if part]
    if answer.citations:
        lines += ["", "Sources:"]
        for number, c in enumerate(answer.citations, start=1):
            when = f" ({c.date})" if c.date else ""
            lines.append(f"  [{number}] {c.title}{when} {c.url}")
    return "\n".join(lines)


def _cmd_chat(args: argparse.Namespace) -> int:
    from bot.core.engine import load_engine

    engine = load_engine(args.knowledge)
    print("Ask about Mike Lewis's papers, posts and profile. 'quit' or Ctrl-D to leave.")
    while True:
        try:
            question = input("> ")
        except (EOFError, KeyboardInterrupt):
            print()
            return 0
        if question.strip().lower() in {"quit", "exit", "q"}:
            return 0
        if question.strip():
            print(format_answer(engine.ask(question)), end="\n\n", flush=True)


def _cmd_eval(args: argparse.Namespace) -> int:
    from bot.core.baselines import BM25sBaseline, TitleFuzzBaseline
    from bot.core.engine import load_engine
    from bot.core.evaluation import engine_ranker, evaluate, format_reports, load_questions, misses

    questions = load_questions(args.questions)
    engine = load_engine(args.knowledge)
    bm25 = BM25sBaseline.build(engine.kb)
    titles = TitleFuzzBaseline.build(engine.kb)
    ours = engine_ranker(engine)
    reports = [
        evaluate("ours", ours, questions),
        evaluate(bm25.name, bm25.rank, questions),
        evaluate(titles.name, titles.rank, questions),
    ]
    shown = args.questions.resolve()
    if shown.is_relative_to(DEFAULT_QUESTIONS.parent.parent):
        shown = shown.relative_to(DEFAULT_QUESTIONS.parent.parent)
    print(f"{len(questions)} questions from {shown}")
    print(format_reports(reports))
    if args.misses:
        print("\nMisses (ours):")
        for line in misses(ours, questions) or ["none"]:
            print(f"  {line}")
    return 0


# --- Discord (issue 5) -----------------------------------------------------------------------


DEFAULT_CONFIG = Path("config.yaml")
HEALTH_MAX_AGE = 90.0  # seconds: three missed beats of a bot that writes every 30 s


def _add_config_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--config",
        metavar="FILE",
        type=Path,
        default=None,
        help=f"config file (default: ./{DEFAULT_CONFIG} if it exists, else built-in defaults)",
    )


def _add_health_option(parser: argparse.ArgumentParser, *, required: bool = False) -> None:
    parser.add_argument(
        "--health-file",
        metavar="FILE",
        type=Path,
        default=None,
        required=required,
        help="the file a connected bot touches every 30 s (for container health checks)",
    )


def _guild_id(text: str) -> int:
    """A server id for ``sync --guild``: a Discord snowflake, like the config's ids."""
    from bot.config import is_snowflake

    value = int(text) if text.isdigit() else 0
    if not is_snowflake(value):
        raise argparse.ArgumentTypeError("must be a Discord server id (a whole number)")
    return value


def _startup_error(lines: Sequence[object], *, code: int = 2) -> int:
    """Print why the bot cannot start, one ``error:`` line per problem; return ``code``."""
    for line in lines:
        print(f"error: {line}", file=sys.stderr)
    return code


def _bot_inputs(args: argparse.Namespace) -> tuple[str, Config, Engine, str]:
    """The token, the config, the engine and where the config came from; BotError if bad.

    Checked before any network call. A missing ./config.yaml (the default) means built-in
    defaults; a --config file that does not exist is an error.
    """
    from bot.core.engine import load_engine
    from bot.credentials import read_token, token_problem

    token = read_token()
    problem = token_problem(token)
    if problem is not None:
        raise BotError(problem)
    config, note = _load_config(args.config)
    return token, config, load_engine(config.knowledge_dir), note


def _load_config(given: Path | None) -> tuple[Config, str]:
    """The config and where it came from: ``given``, else ./config.yaml, else the defaults."""
    from bot.config import Config, load_config

    if given is None and not DEFAULT_CONFIG.exists():
        return Config(), f"no {DEFAULT_CONFIG} here: running with the built-in defaults"
    path = given or DEFAULT_CONFIG
    return load_config(path), f"config loaded from {path}"


def _cmd_run(args: argparse.Namespace) -> int:
    import asyncio
    import logging

    from bot.client import StartupError, run_bot
    from bot.log import setup_logging

    try:
        token, config, engine, note = _bot_inputs(args)
    except BotError as exc:
        return _startup_error(getattr(exc, "problems", None) or [exc])
    setup_logging(config.log_level)
    logging.getLogger("bot").info(note)
    try:
        asyncio.run(run_bot(token, config=config, engine=engine, health_file=args.health_file))
    except StartupError as exc:
        return _startup_error([exc], code=exc.exit_code)
    return 0


def _cmd_sync(args: argparse.Namespace) -> int:
    import asyncio

    from bot.client import StartupError, sync_once
    from bot.log import setup_logging

    try:
        token, config, engine, _ = _bot_inputs(args)
    except BotError as exc:
        return _startup_error(getattr(exc, "problems", None) or [exc])
    setup_logging("WARNING")  # the result is printed below; discord.py's INFO lines are noise
    try:
        synced = asyncio.run(sync_once(token, config=config, engine=engine, guild_id=args.guild))
    except StartupError as exc:
        return _startup_error([exc], code=exc.exit_code)
    where = "globally" if args.guild is None else f"to guild {args.guild}"
    print(f"synced {len(synced)} commands {where}: {', '.join(sorted(synced))}")
    return 0


# --- operations (issue 12) -------------------------------------------------------------------


def _cmd_doctor(args: argparse.Namespace) -> int:
    from bot.doctor import run_checks

    checks = run_checks(
        config_path=args.config,
        default_config=DEFAULT_CONFIG,
        health_file=args.health_file,
        online=args.online,
    )
    width = max(len(c.name) for c in checks)
    for check in checks:
        print(f"{check.status:<4}  {check.name:<{width}}  {check.detail}", flush=True)
    failed = sum(c.status == "FAIL" for c in checks)
    return 1 if failed else 0


def _cmd_health(args: argparse.Namespace) -> int:
    import time

    try:
        age = time.time() - args.health_file.stat().st_mtime
    except OSError:
        print(f"unhealthy: no health file {args.health_file} (starting, stopped or not connected)")
        return 1
    if age > args.max_age:
        print(f"unhealthy: not connected for {age:.0f} s (health file {args.health_file})")
        return 1
    print(f"healthy: connected {age:.0f} s ago")
    return 0
