"""Command-line entry point: ``python -m bot <command>``.

Every command runs the same pure core as the Discord bot. User errors (bad arguments, bad knowledge,
bad config) print ``error: ...`` to stderr and exit non-zero, never with a traceback.
"""

from __future__ import annotations

import argparse
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
    from bot.core.curation import QuestionRecord, Report
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
    p.set_defaults(handler=_cmd_run)

    p = sub.add_parser("sync", help="upload the slash commands to Discord, then exit")
    _add_config_option(p)
    p.add_argument(
        "--guild",
        metavar="ID",
        type=int,
        default=None,
        help="sync to this server only (instant); without it, sync globally",
    )
    p.set_defaults(handler=_cmd_sync)

    # --- the question log (issue 10) ---
    p = sub.add_parser(
        "report", help="summarise the question log: usage, answers, feedback, unanswered questions"
    )
    _add_days_option(p)
    p.add_argument(
        "--format", choices=("md", "csv", "json"), default="md", help="output format (default md)"
    )
    p.add_argument(
        "--guild", metavar="ID", type=int, default=None, help="only questions asked in this server"
    )
    _add_database_options(p)
    p.set_defaults(handler=_cmd_report)

    p = sub.add_parser(
        "export-questions",
        help="print logged questions as eval candidates (YAML, gold left empty to annotate)",
    )
    _add_days_option(p)
    p.add_argument(
        "--unanswered",
        action="store_true",
        help="only questions that were declined, answered with low confidence or voted 👎",
    )
    _add_database_options(p)
    p.set_defaults(handler=_cmd_export_questions)

    p = sub.add_parser("forget", help="delete one person's questions and votes from the log")
    p.add_argument(
        "--user", metavar="ID", type=_discord_id, required=True, help="their Discord user id"
    )
    _add_database_options(p)
    p.set_defaults(handler=_cmd_forget)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command and return its exit code."""
    args = build_parser().parse_args(argv)
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

    if args.question != "-" and not args.question.strip():
        raise BotError("the question is empty; pass a question or '-' to read stdin")
    engine = load_engine(args.knowledge)
    questions = _stdin_questions() if args.question == "-" else iter([args.question])
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
TOKEN_ENV = "DISCORD_TOKEN"


def _add_config_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--config",
        metavar="FILE",
        type=Path,
        default=None,
        help=f"config file (default: ./{DEFAULT_CONFIG} if it exists, else built-in defaults)",
    )


def _startup_error(lines: Sequence[object]) -> int:
    """Print why the bot cannot start, one ``error:`` line per problem; exit code 2."""
    for line in lines:
        print(f"error: {line}", file=sys.stderr)
    return 2


def _bot_inputs(args: argparse.Namespace) -> tuple[str, Config, Engine, str]:
    """The token, the config, the engine and where the config came from; BotError if bad.

    Checked before any network call. A missing ./config.yaml (the default) means built-in
    defaults; a --config file that does not exist is an error.
    """
    from bot.core.engine import load_engine

    token = os.environ.get(TOKEN_ENV, "").strip()
    if not token:
        raise BotError(
            f"{TOKEN_ENV} is not set: put the bot's token (Developer Portal > Bot) in this "
            "environment variable"
        )
    config, note = _read_config(args)
    return token, config, load_engine(config.knowledge_dir), note


def _read_config(args: argparse.Namespace) -> tuple[Config, str]:
    """The config (--config, else ./config.yaml if it exists, else the built-in defaults) and
    a line saying which; ConfigError if the file is bad."""
    from bot.config import Config, load_config

    if args.config is None and not DEFAULT_CONFIG.exists():
        return Config(), f"no {DEFAULT_CONFIG} here: running with the built-in defaults"
    path = args.config or DEFAULT_CONFIG
    return load_config(path), f"config loaded from {path}"


def _cmd_run(args: argparse.Namespace) -> int:
    import asyncio
    import logging

    from bot.client import run_bot
    from bot.log import setup_logging
    from bot.recorder import open_recorder

    try:
        token, config, engine, note = _bot_inputs(args)
        # A corrupt or newer database stops the bot here, before it connects.
        recorder = open_recorder(
            config.database,
            log_questions=config.log_questions,
            retention_days=config.retention_days,
        )
    except BotError as exc:
        return _startup_error(getattr(exc, "problems", None) or [exc])
    setup_logging(config.log_level)
    logging.getLogger("bot").info(note)
    logging.getLogger("bot").info(
        "question log: %s (%s)",
        config.database,
        f"questions kept {config.retention_days} days"
        if config.log_questions
        else "log_questions is false: nothing new is recorded",
    )
    problem = asyncio.run(run_bot(token, config=config, engine=engine, recorder=recorder))
    return _startup_error([problem]) if problem else 0


def _cmd_sync(args: argparse.Namespace) -> int:
    import asyncio

    from bot.client import sync_once
    from bot.log import setup_logging

    try:
        token, config, engine, _ = _bot_inputs(args)
    except BotError as exc:
        return _startup_error(getattr(exc, "problems", None) or [exc])
    setup_logging("WARNING")  # the result is printed below; discord.py's INFO lines are noise
    result = asyncio.run(sync_once(token, config=config, engine=engine, guild_id=args.guild))
    if isinstance(result, str):
        return _startup_error([result])
    where = "globally" if args.guild is None else f"to guild {args.guild}"
    print(f"synced {len(result)} commands {where}: {', '.join(sorted(result))}")
    return 0


# --- the question log (issue 10) -------------------------------------------------------------


def _add_days_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--days",
        metavar="N",
        type=_days,
        default=30,
        help="the last N days, today included, in UTC (default 30)",
    )


def _add_database_options(parser: argparse.ArgumentParser) -> None:
    _add_config_option(parser)
    parser.add_argument(
        "--database",
        metavar="FILE",
        type=Path,
        default=None,
        help="the question log file (default: `database` in the config, data/bot.sqlite3)",
    )


def _days(text: str) -> int:
    from bot.core.curation import MAX_REPORT_DAYS

    try:
        days = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number of days, got {text!r}") from None
    if not 1 <= days <= MAX_REPORT_DAYS:
        raise argparse.ArgumentTypeError(f"days must be in 1..{MAX_REPORT_DAYS}, got {days}")
    return days


def _discord_id(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"expected a Discord id (digits only), got {text!r}")
    return int(text)


def _database(args: argparse.Namespace, config: Config) -> Path:
    """The question log file: --database, else the config's `database`."""
    return args.database or config.database


def _read_log(
    args: argparse.Namespace, path: Path, *, guild_id: int | None = None
) -> tuple[list[QuestionRecord], Report]:
    """The questions of the last ``args.days`` days in ``path``, and their report."""
    import sqlite3
    import time

    from bot.core.curation import build_report, window_start
    from bot.store import Store

    store = Store.open(path, create=False)
    now = time.time()
    since = window_start(now, args.days)
    try:
        records = store.questions(since=since, guild_id=guild_id)
    except sqlite3.Error as exc:
        raise BotError(f"{path}: cannot read the question log: {exc}") from exc
    finally:
        store.close()
    return records, build_report(records, since=since, until=now, days=args.days)


def _cmd_report(args: argparse.Namespace) -> int:
    from bot.core.knowledge import load_knowledge
    from bot.errors import KnowledgeError
    from bot.reports import FORMATS, source_titles

    config = _read_config(args)[0]
    path = _database(args, config)
    _, report = _read_log(args, path, guild_id=args.guild)
    try:
        titles = source_titles(load_knowledge(config.knowledge_dir))
    except KnowledgeError as exc:
        # The numbers do not need the knowledge; only the titles of the cited sources do.
        print(
            f"note: sources shown by id only: the knowledge in {config.knowledge_dir} has "
            f"{len(exc.problems)} problem(s) (python -m bot validate lists them)",
            file=sys.stderr,
        )
        titles = {}
    where = str(path) if args.guild is None else f"{path}, server {args.guild} only"
    print(FORMATS[args.format](report, titles, where), end="")
    return 0


def _cmd_export_questions(args: argparse.Namespace) -> int:
    from bot.core.curation import group_questions
    from bot.reports import eval_candidates

    path = _database(args, _read_config(args)[0])
    records, report = _read_log(args, path)
    groups = report.unanswered if args.unanswered else group_questions(records)
    text = eval_candidates(groups, report=report, source=str(path), unanswered_only=args.unanswered)
    print(text, end="")
    return 0


def _cmd_forget(args: argparse.Namespace) -> int:
    import sqlite3

    from bot.store import Store

    path = _database(args, _read_config(args)[0])
    store = Store.open(path, create=False)
    try:
        questions, votes = store.forget_user(args.user)
    except sqlite3.Error as exc:
        raise BotError(f"{path}: could not delete the rows: {exc}") from exc
    finally:
        store.close()
    print(
        f"forgot user {args.user}: deleted {questions} question{'s' if questions != 1 else ''} "
        f"and {votes} vote{'s' if votes != 1 else ''} from {path}"
    )
    return 0
