"""Command-line entry point: ``python -m bot <command>``.

Every command runs the same pure core as the Discord bot. User errors (bad arguments, bad knowledge,
bad config) print ``error: ...`` to stderr and exit non-zero, never with a traceback.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from bot.errors import BotError

DEFAULT_KNOWLEDGE_DIR = Path(__file__).resolve().parent.parent / "knowledge"


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
    _add_knowledge_option(p)
    p.set_defaults(handler=_cmd_eval)

    # --- Discord (issue 5) ---
    p = sub.add_parser("run", help="run the Discord bot (token from DISCORD_TOKEN)")
    p.add_argument("--config", type=Path, default=Path("config.yaml"), help="config file")
    p.set_defaults(handler=_cmd_run)

    p = sub.add_parser("sync", help="upload the slash commands to Discord")
    p.add_argument("--config", type=Path, default=Path("config.yaml"), help="config file")
    p.add_argument("--guild", type=int, default=None, help="sync to this guild only")
    p.set_defaults(handler=_cmd_sync)
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


# --- knowledge (issue 3) ---------------------------------------------------------------------


def _cmd_validate(args: argparse.Namespace) -> int:
    raise NotImplementedError


def _cmd_build_knowledge(args: argparse.Namespace) -> int:
    raise NotImplementedError


# --- answering (issue 4) ---------------------------------------------------------------------


def _cmd_ask(args: argparse.Namespace) -> int:
    raise NotImplementedError


def _cmd_chat(args: argparse.Namespace) -> int:
    raise NotImplementedError


def _cmd_eval(args: argparse.Namespace) -> int:
    raise NotImplementedError


# --- Discord (issue 5) -----------------------------------------------------------------------


def _cmd_run(args: argparse.Namespace) -> int:
    raise NotImplementedError


def _cmd_sync(args: argparse.Namespace) -> int:
    raise NotImplementedError
