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
from collections import deque
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from bot.core.models import Answer, Turn
from bot.errors import BotError

if TYPE_CHECKING:
    from bot.config import Config
    from bot.core.curation import QuestionRecord, Report
    from bot.core.engine import Engine
    from bot.core.models import KnowledgeBase
    from bot.importers.merge import ImportReport, ImportResult

DEFAULT_KNOWLEDGE_DIR = Path(__file__).resolve().parent.parent / "knowledge"
EVAL_DIR = Path(__file__).resolve().parent.parent / "eval"
DEFAULT_EVAL_FILES = ("dev.yaml", "questions.yaml", "holdout.yaml", "conversations.yaml")
DEFAULT_CALIBRATION_FILES = ("dev.yaml",)
DEFAULT_RANKING_FILES = ("questions.yaml",)  # more phrasings for the ranker only
FROZEN_FILES = ("test.yaml", "holdout.yaml")
# "what each layer adds": each is switched off in turn (see bot.core.retrieval.Layers)
ABLATIONS = ("semantic", "typo", "synonyms", "aliases", "learned")


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
    _add_cache_options(p)
    p.set_defaults(handler=_cmd_ask)

    p = sub.add_parser("chat", help="ask questions in an interactive loop")
    _add_knowledge_option(p)
    _add_cache_options(p)
    p.set_defaults(handler=_cmd_chat)

    p = sub.add_parser(
        "eval", help="score answers on question files beside bm25s (default: dev + regression)"
    )
    p.add_argument(
        "files",
        metavar="FILE",
        type=Path,
        nargs="*",
        help="question files (default: eval/dev.yaml eval/questions.yaml eval/holdout.yaml)",
    )
    p.add_argument("--misses", action="store_true", help="also list the questions we get wrong")
    p.add_argument(
        "--layers", action="store_true", help="also score with each retrieval layer switched off"
    )
    p.add_argument(
        "--split",
        choices=("dev", "test", "all"),
        default="dev",
        help="which conversations of a conversation file to run (default: dev; test is frozen)",
    )
    _add_knowledge_option(p)
    p.set_defaults(handler=_cmd_eval)

    p = sub.add_parser(
        "calibrate", help="refit the ranker and the answer-or-decline decision on dev questions"
    )
    p.add_argument(
        "files",
        metavar="FILE",
        type=Path,
        nargs="*",
        help="question files to fit on (default: eval/dev.yaml)",
    )
    p.add_argument(
        "--ranking",
        metavar="FILE",
        type=Path,
        action="append",
        help="more question files for the ranker only (default: eval/questions.yaml)",
    )
    p.add_argument(
        "--cv",
        metavar="K",
        type=int,
        help="instead of fitting, print K-fold cross-validation figures (writes nothing)",
    )
    _add_knowledge_option(p)
    p.set_defaults(handler=_cmd_calibrate)

    # --- Discord (issue 5) ---
    p = sub.add_parser("run", help="run the Discord bot (token from DISCORD_TOKEN)")
    _add_config_option(p)
    _add_health_option(p)
    _add_cache_options(p)
    p.set_defaults(handler=_cmd_run)

    p = sub.add_parser("sync", help="upload the slash commands to Discord, then exit")
    _add_config_option(p)
    _add_cache_options(p)
    p.add_argument(
        "--guild",
        metavar="ID",
        type=_discord_id,
        default=None,
        help="sync to this server only (instant); without it, sync globally",
    )
    p.set_defaults(handler=_cmd_sync)

    # --- importers and init (issue 11) ---
    _add_import_commands(sub)

    # --- the question log (issue 10) ---
    p = sub.add_parser(
        "report", help="summarise the question log: usage, answers, feedback, unanswered questions"
    )
    _add_days_option(p)
    p.add_argument(
        "--format", choices=("md", "csv", "json"), default="md", help="output format (default md)"
    )
    p.add_argument(
        "--guild",
        metavar="ID",
        type=_discord_id,
        default=None,
        help="only questions asked in this server",
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
    # --- the engine cache (issue 13) ---
    p = sub.add_parser("cache", help="show or empty the on-disk cache of built engines")
    p.add_argument("action", choices=("info", "clear"), help="info: list entries; clear: delete")
    p.add_argument(
        "--cache-dir",
        metavar="DIR",
        type=Path,
        default=None,
        help="the cache folder (default: cache_dir of the config, else the default folder)",
    )
    _add_knowledge_option(p)
    _add_config_option(p)
    p.set_defaults(handler=_cmd_cache)
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
    engine = load_engine(args.knowledge, cache_dir=_engine_cache_dir(args))
    if question != "-":
        answer = engine.ask(question)
        print(
            json.dumps(answer_to_json(answer), ensure_ascii=False)
            if args.json
            else format_answer(answer)
        )
        return 0
    for number, line in enumerate(_stdin_lines(), start=1):
        try:
            question, earlier = read_request(line)
        except ValueError as exc:
            print(f"error: stdin line {number}: {exc}", file=sys.stderr)
            error = {"question": line, "error": f"line {number}: {exc}"}
            print(json.dumps(error, ensure_ascii=False), flush=True)
            continue
        answer = engine.ask(question, history=engine.replay(earlier))
        if args.json:
            print(json.dumps(answer_to_json(answer), ensure_ascii=False), flush=True)
        else:
            print(format_answer(answer), flush=True)
    return 0


def _stdin_lines() -> Iterator[str]:
    """Yield each stdin line (blank lines too: one output line per input line)."""
    for line in sys.stdin:
        yield line.rstrip("\r\n")


def read_request(line: str) -> tuple[str, list[str]]:
    """A stdin line as (question, earlier questions): a plain line is a question alone; a JSON
    object ``{"question": ..., "history": [earlier question, ...]}`` is a follow-up."""
    if not line.lstrip().startswith("{"):
        return line, []
    try:
        data = json.loads(line)
    except json.JSONDecodeError:
        return line, []  # a question that happens to start with "{"
    if not isinstance(data, dict):
        return line, []
    question, history = data.get("question"), data.get("history", [])
    if not isinstance(question, str):
        raise ValueError('"question" must be a string')
    if not isinstance(history, list) or not all(isinstance(h, str) for h in history):
        raise ValueError('"history" must be a list of earlier questions (strings)')
    return question, history


def answer_to_json(answer: Answer) -> dict[str, object]:
    """The ``ask --json`` object; its keys and their order are a contract with other tools."""
    return {
        "question": answer.question,
        "resolved": answer.resolved or answer.question,
        "answer": "\n".join(part for part in (answer.intro, answer.text) if part),
        "declined": answer.declined,
        "confidence": answer.confidence,
        "notes": list(answer.notes),
        "citations": [
            {
                "kind": c.kind,
                "id": c.id,
                "title": c.title,
                "date": c.date,
                "url": c.url,
                "text": c.text,
                "score": c.score,
                "note": c.note,
            }
            for c in answer.citations
        ],
    }


def format_answer(answer: Answer) -> str:
    """The answer for a person: the text, then a numbered source list with links and caveats."""
    lines = []
    if answer.resolved and answer.resolved != answer.question:
        lines.append(f"(read as: {answer.resolved})")
    lines += [part for part in (answer.intro, answer.text) if part]
    if answer.citations:
        lines += ["", "Sources:"]
        for number, c in enumerate(answer.citations, start=1):
            when = f" ({c.date})" if c.date else ""
            lines.append(f"  [{number}] {c.title}{when} {c.url}")
            if c.note:
                lines.append(f"      note: {c.note}")
    return "\n".join(lines)


def _cmd_chat(args: argparse.Namespace) -> int:
    from bot.core.conversation import MAX_TURNS
    from bot.core.engine import load_engine, turn_of

    engine = load_engine(args.knowledge, cache_dir=_engine_cache_dir(args))
    name = engine.kb.profile.name
    print(
        f"Ask about {name}'s papers, posts and profile. Follow-ups refer to the last answers; "
        "'/new' starts over, 'quit' or Ctrl-D leaves."
    )
    history: deque[Turn] = deque(maxlen=MAX_TURNS)  # older turns are never read
    while True:
        try:
            question = input("> ")
        except (EOFError, KeyboardInterrupt):
            print()
            return 0
        command = question.strip().lower()
        if command in {"quit", "exit", "q"}:
            return 0
        if command == "/new":
            history.clear()
            print("(new conversation)\n", flush=True)
            continue
        if question.strip():
            answer = engine.ask(question, history=list(history))
            history.append(turn_of(answer))
            print(format_answer(answer), end="\n\n", flush=True)


def _cmd_eval(args: argparse.Namespace) -> int:
    from bot.core.baselines import BM25sBaseline
    from bot.core.engine import Engine
    from bot.core.evaluation import (
        answer_outcome,
        evaluate,
        evaluate_conversations,
        format_conversation_scores,
        format_layers,
        format_reports,
        is_conversation_file,
        load_conversations,
        load_questions,
        misses,
        ranking_system,
    )
    from bot.core.knowledge import load_knowledge
    from bot.core.retrieval import Layers

    files = args.files or [EVAL_DIR / name for name in DEFAULT_EVAL_FILES]
    conversation_files = [path for path in files if is_conversation_file(path)]
    sets = [(path, load_questions(path)) for path in files if path not in conversation_files]
    conversations = [(path, load_conversations(path)) for path in conversation_files]
    kb = load_knowledge(args.knowledge)
    engine = Engine.build(kb)
    bm25 = BM25sBaseline.build(kb)
    variants = (
        [(f"without {name}", Engine.build(kb, layers=Layers.without(name))) for name in ABLATIONS]
        if args.layers
        else []
    )

    def ours(e: Engine):  # type: ignore[no-untyped-def]
        return lambda question: answer_outcome(e.ask(question))

    for i, (path, questions) in enumerate(sets):
        if i:
            print()
        answerable = sum(bool(q.gold) for q in questions)
        print(
            f"{_shown_path(path)}: {len(questions)} questions "
            f"({answerable} answerable, {len(questions) - answerable} out of scope)"
        )
        print()
        reports = [
            evaluate("ours", ours(engine), questions),
            evaluate(bm25.name, ranking_system(bm25.rank), questions),
        ]
        print(format_reports(reports))
        if variants:
            rows = [("all layers", reports[0].overall)]
            rows += [(label, evaluate(label, ours(e), questions).overall) for label, e in variants]
            print()
            print(format_layers(rows))
        if args.misses:
            print("\nMisses (ours):")
            for line in misses(ours(engine), questions) or ["none"]:
                print(f"  {line}")
    for path, items in conversations:
        chosen = [c for c in items if args.split == "all" or c.split == args.split]
        turns = sum(len(c.turns) for c in chosen)
        print(f"\n{_shown_path(path)} ({args.split}): {len(chosen)} conversations, {turns} turns")
        print()
        print(format_conversation_scores(evaluate_conversations(_converse(engine), chosen)))
    return 0


def _converse(engine: Engine):  # type: ignore[no-untyped-def]
    return lambda question, history: engine.ask(question, history=history)


def _shown_path(path: Path) -> str:
    """``path`` relative to the repository when inside it, else as given."""
    resolved = path.resolve()
    root = EVAL_DIR.parent
    return str(resolved.relative_to(root)) if resolved.is_relative_to(root) else str(path)


def _cmd_calibrate(args: argparse.Namespace) -> int:
    from bot.core.calibration import calibrate, cross_validate
    from bot.core.evaluation import load_questions
    from bot.core.knowledge import load_knowledge

    files = args.files or [EVAL_DIR / name for name in DEFAULT_CALIBRATION_FILES]
    ranking = args.ranking or [EVAL_DIR / name for name in DEFAULT_RANKING_FILES]
    if any(path.name in FROZEN_FILES for path in (*files, *ranking)):
        raise BotError("eval/test.yaml and eval/holdout.yaml are never fitted on")
    questions = [q for path in files for q in load_questions(path)]
    extra = [q for path in ranking for q in load_questions(path)]
    kb = load_knowledge(args.knowledge)
    if args.cv is not None:
        print(cross_validate(kb, questions, ranking=extra, folds=args.cv))
        return 0
    for line in calibrate(kb, questions, ranking=extra):
        print(line)
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
    config, note = _read_config(args)
    config = _with_cache_options(args, config)
    cache_dir = _engine_cache_dir(args, config)
    return token, config, load_engine(config.knowledge_dir, cache_dir=cache_dir), note


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

    from bot.client import StartupError, run_bot
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
    try:
        asyncio.run(
            run_bot(
                token,
                config=config,
                engine=engine,
                recorder=recorder,
                health_file=args.health_file,
            )
        )
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


# --- importers and init (issue 11) -----------------------------------------------------------


def _add_import_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("init", help="create an empty, valid knowledge folder for a researcher")
    p.add_argument("directory", metavar="DIR", type=Path, help="the folder to create (or empty)")
    p.add_argument("--name", required=True, help='the researcher\'s name, e.g. "Ada Lovelace"')
    p.add_argument("--handle", required=True, help="their X handle, e.g. @ada")
    p.add_argument("--url", help="their profile URL (default: https://x.com/<handle>)")
    p.set_defaults(handler=_cmd_init)

    p = sub.add_parser("import", help="import papers or posts from arXiv, BibTeX or the X archive")
    sources = p.add_subparsers(dest="source", required=True, parser_class=_Parser)
    p = sources.add_parser(
        "arxiv", help="papers from an arXiv API Atom feed (a file, - or --author)"
    )
    p.add_argument("file", nargs="?", metavar="FILE", help="a saved Atom feed, or '-' for stdin")
    p.add_argument("--author", help='query the arXiv API for this author, e.g. "Lewis, Mike"')
    p.add_argument(
        "--max",
        type=int,
        default=None,
        metavar="N",
        help="with --author: at most N papers, newest first (default 100, at most 2000)",
    )
    _add_import_options(p)
    p.set_defaults(handler=_cmd_import_arxiv)

    p = sources.add_parser("bibtex", help="venues and DOIs for known papers from a BibTeX file")
    p.add_argument("file", metavar="FILE", type=Path, help="the .bib file")
    _add_import_options(p)
    p.set_defaults(handler=_cmd_import_bibtex)

    p = sources.add_parser("x-archive", help="posts from the data/tweets.js of an X data export")
    p.add_argument(
        "path",
        metavar="PATH",
        type=Path,
        help="the unzipped archive folder, its data/ folder, or a tweets.js file",
    )
    p.add_argument("--include-retweets", action="store_true", help="also import reposts (RT @...)")
    _add_import_options(p)
    p.set_defaults(handler=_cmd_import_x_archive)


def _add_import_options(parser: argparse.ArgumentParser) -> None:
    _add_knowledge_option(parser)
    parser.add_argument(
        "--dry-run", action="store_true", help="show what would change; write nothing"
    )


def _cmd_init(args: argparse.Namespace) -> int:
    from bot.core.knowledge import summarize
    from bot.writer import init_knowledge

    kb = init_knowledge(args.directory, name=args.name, handle=args.handle, url=args.url)
    print(f"created {args.directory} for {kb.profile.name} ({kb.profile.handle})")
    print(summarize(kb))
    print(f'next: python -m bot import arxiv --author "LAST, FIRST" --knowledge {args.directory}')
    return 0


def _cmd_import_arxiv(args: argparse.Namespace) -> int:
    from bot.importers.arxiv import DEFAULT_MAX_RESULTS, author_query_url, fetch_feed, import_feed
    from bot.importers.inputs import read_input

    if (args.file is None) == (args.author is None):
        raise BotError("import arxiv needs a FILE (or '-' for stdin) or --author NAME, not both")
    if args.max is not None and args.author is None:
        raise BotError("--max only goes with --author")
    kb = _load_for_import(args)
    if args.author is not None:
        url = author_query_url(args.author, max_results=args.max or DEFAULT_MAX_RESULTS)
        print(f"querying {url}", file=sys.stderr)
        data, source = fetch_feed(url), "arXiv API"
    elif args.file == "-":
        data, source = sys.stdin.buffer.read(), "<stdin>"
    else:
        data, source = read_input(Path(args.file)), args.file
    return _finish_import(args, import_feed(kb, data, source=source))


def _cmd_import_bibtex(args: argparse.Namespace) -> int:
    from bot.importers.bibtex import import_bibtex, parse_bibtex
    from bot.importers.inputs import decode_utf8, read_input

    kb = _load_for_import(args)
    source = str(args.file)
    text = decode_utf8(read_input(args.file), source=source)
    return _finish_import(args, import_bibtex(kb, parse_bibtex(text, source=source), source=source))


def _cmd_import_x_archive(args: argparse.Namespace) -> int:
    from bot.importers.inputs import decode_utf8, read_input
    from bot.importers.xarchive import archive_files, import_tweets, parse_tweets_js, read_account

    kb = _load_for_import(args)
    files, account = archive_files(args.path)
    if not files:
        raise BotError(f"{args.path}: no tweets.js here (expected PATH/data/tweets.js)")
    if account is not None:
        owner = read_account(
            decode_utf8(read_input(account), source=str(account)), source=str(account)
        )
        if owner and owner.lower() != kb.profile.handle.lstrip("@").lower():
            raise BotError(
                f"{account}: this archive is @{owner}'s, but the knowledge base is "
                f"{kb.profile.handle}'s; nothing was changed"
            )
    tweets = [
        tweet
        for path in files
        for tweet in parse_tweets_js(
            decode_utf8(read_input(path), source=str(path)), source=str(path)
        )
    ]
    source = str(files[0]) if len(files) == 1 else f"{args.path} ({len(files)} files)"
    result = import_tweets(kb, tweets, source=source, include_retweets=args.include_retweets)
    return _finish_import(args, result)


def _load_for_import(args: argparse.Namespace) -> KnowledgeBase:
    from bot.core.knowledge import load_knowledge

    return load_knowledge(args.knowledge, display_dir=_shown_dir(args.knowledge))


def _finish_import(args: argparse.Namespace, result: ImportResult) -> int:
    """Write the merged knowledge (unless --dry-run), then print the diff."""
    from bot.writer import save_knowledge

    if result.report.changed_anything:
        result.report.written = save_knowledge(
            args.knowledge,
            result.kb,
            display_dir=_shown_dir(args.knowledge),
            dry_run=args.dry_run,
        )
    for line in format_import_report(result.report, dry_run=args.dry_run):
        print(line)
    return 0


def format_import_report(report: ImportReport, *, dry_run: bool) -> list[str]:
    """The import's diff for a person: counts, then one line per record that is not plain."""
    plural = {"paper": "papers", "post": "posts"}[report.kind]
    lines = [
        f"{report.source}: {report.read} read",
        f"{plural}: {report.count('added')} added, {report.count('changed')} changed, "
        f"{report.count('unchanged')} unchanged",
    ]
    for c in report.changes:
        if c.status == "unchanged" and not (c.kept or c.note):
            continue
        details = []
        if c.filled:
            details.append("filled " + ", ".join(c.filled))
        if c.kept:
            details.append("kept " + ", ".join(c.kept) + " (the source differs)")
        detail = f": {'; '.join(details)}" if details else ""
        note = f"  [{c.note}]" if c.note else ""
        lines.append(f"  {c.status:<9} {c.kind} {c.id}  {c.label}{detail}{note}")
    lines += [f"  skipped   {line}" for line in report.skipped]
    lines += [f"  ambiguous {line}" for line in report.ambiguous]
    lines += [f"  unmatched {line}" for line in report.unmatched]
    files = ", ".join(report.written)
    if dry_run:
        lines.append(f"dry run: would write {files}" if files else "dry run: nothing to write")
    else:
        lines.append(f"wrote {files}" if files else "nothing to write: the knowledge is up to date")
    return lines


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
    """A Discord id argument (server or user): a snowflake, as the config's ids must be."""
    from bot.config import is_snowflake
    from bot.core.sanitize import quoted

    if not text.isdigit() or not is_snowflake(int(text)):
        raise argparse.ArgumentTypeError(
            f"expected a Discord id (digits only, at most 2^63-1), got {quoted(text)}"
        )
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


# --- the engine cache (issue 13) -------------------------------------------------------------


def _add_cache_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_mutually_exclusive_group()
    group.add_argument(
        "--cache-dir",
        metavar="DIR",
        type=Path,
        default=None,
        help="engine cache folder (default: $BOT_CACHE_DIR, else ~/.cache/mikelewis-bot/engines)",
    )
    group.add_argument(
        "--no-cache",
        action="store_true",
        help="build the engine without reading or writing a cache",
    )


def _with_cache_options(args: argparse.Namespace, config: Config) -> Config:
    """``config`` with --cache-dir / --no-cache applied (the bot's reloads use them too)."""
    import dataclasses

    if getattr(args, "no_cache", False):
        return dataclasses.replace(config, engine_cache=False)
    if getattr(args, "cache_dir", None) is not None:
        return dataclasses.replace(config, engine_cache=True, cache_dir=args.cache_dir)
    return config


def _engine_cache_dir(args: argparse.Namespace, config: Config | None = None) -> Path | None:
    """The engine cache folder for this command, or None when caching is off."""
    from bot.core.cache import resolve_cache_dir

    if config is not None:
        return resolve_cache_dir(config.cache_dir, enabled=config.engine_cache)
    return resolve_cache_dir(args.cache_dir, enabled=not args.no_cache)


def _cmd_cache(args: argparse.Namespace) -> int:
    from bot.core.cache import EngineCache, cache_key, resolve_cache_dir

    root = args.cache_dir
    if root is None:
        config = _read_config(args)[0]
        root = resolve_cache_dir(config.cache_dir)
    cache = EngineCache(root)
    if args.action == "clear":
        count, size = cache.clear()
        print(f"deleted {count} engine{'s' if count != 1 else ''} ({_mb(size)}) from {root}")
        return 0
    try:
        current = cache_key(args.knowledge)
    except OSError:
        current = None
    entries = cache.entries()
    count = f"{len(entries)} entr{'y' if len(entries) == 1 else 'ies'}"
    print(f"engine cache: {root} ({count}, {_mb(sum(e.size for e in entries))})")
    for entry in entries:
        import datetime as dt

        used = dt.datetime.fromtimestamp(entry.used).isoformat(sep=" ", timespec="seconds")
        papers = "?" if entry.papers is None else f"{entry.papers:,}"
        mark = f"  <- {_shown_dir(args.knowledge)}" if entry.key == current else ""
        print(f"  {entry.key[:16]}  {papers:>9} papers  {_mb(entry.size):>9}  used {used}{mark}")
    return 0


def _mb(size: int) -> str:
    return f"{size / 1e6:.1f} MB"
