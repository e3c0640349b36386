"""``python -m bot doctor``: check what the bot needs before it runs, one line per check.

Checks the config, the knowledge, that ``DISCORD_TOKEN`` is present and well-formed (never
showing it), the intents the config needs, and write access where the bot writes (the question
log's folder, the health file's). Offline by default, so it works in CI and on a fresh clone with
a dummy token; ``--online`` also logs in over REST to check the token and the intents the
Developer Portal grants.
"""

from __future__ import annotations

import asyncio
import os
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import NamedTuple

from bot.config import Config, load_config
from bot.credentials import read_token, token_bot_id, token_format_problem
from bot.errors import ConfigError, KnowledgeError, Problem

OK, FAIL, SKIP = "ok", "FAIL", "skip"
PORTAL_INTENTS = "Developer Portal > Bot > Privileged Gateway Intents"


class Check(NamedTuple):
    """One line of the report: ``status`` is ok, FAIL or skip."""

    status: str
    name: str
    detail: str


def run_checks(
    *,
    config_path: Path | None,
    default_config: Path,
    health_file: Path | None,
    online: bool = False,
    environ: Mapping[str, str] = os.environ,
) -> list[Check]:
    """Run every check in order; a check whose input failed earlier is skipped, not failed."""
    config_check, config = _config(config_path, default_config)
    token = read_token(environ)
    checks = [
        config_check,
        _knowledge(config),
        _token(token),
        _intents(config),
        _write_access(config, health_file),
    ]
    if online:
        checks += _online(token, config, token_ok=checks[2].status == OK)
    return checks


def _first(problems: Sequence[Problem]) -> str:
    more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
    return f"{problems[0]}{more}"


def _config(given: Path | None, default: Path) -> tuple[Check, Config | None]:
    if given is None and not default.exists():
        return Check(OK, "config", f"no {default} here: the built-in defaults apply"), Config()
    path = given or default
    try:
        config = load_config(path)
    except ConfigError as exc:
        return Check(FAIL, "config", _first(exc.problems)), None
    return Check(OK, "config", f"{path} is valid"), config


def _knowledge(config: Config | None) -> Check:
    from bot.core.knowledge import load_knowledge, summarize

    if config is None:
        return Check(SKIP, "knowledge", "needs a valid config (its knowledge_dir)")
    try:
        summary = summarize(load_knowledge(config.knowledge_dir))
    except KnowledgeError as exc:
        detail = f"{_first(exc.problems)}; `python -m bot validate` lists every problem"
        return Check(FAIL, "knowledge", detail)
    counts = str(summary).removeprefix("knowledge OK: ")
    return Check(OK, "knowledge", f"{config.knowledge_dir}: {counts}")


def _token(token: str) -> Check:
    problem = token_format_problem(token)
    if problem is not None:
        return Check(FAIL, "token", problem)
    return Check(OK, "token", f"set and well-formed, for bot id {token_bot_id(token)}")


def _intents(config: Config | None) -> Check:
    if config is None:
        return Check(SKIP, "intents", "needs a valid config")
    if not config.needs_message_content:
        return Check(OK, "intents", "default intents only: nothing to switch on in the portal")
    return Check(
        OK,
        "intents",
        "answer_every_message needs the privileged Message Content intent: switch it on "
        f"({PORTAL_INTENTS}); --online checks that it is",
    )


def _write_access(config: Config | None, health_file: Path | None) -> Check:
    """Where the bot writes: the question log's folder (made on the first run) and the health
    file's folder."""
    targets = []
    if config is not None:
        targets.append(("question log", config.database))
    if health_file is not None:
        targets.append(("health file", health_file))
    if not targets:
        return Check(SKIP, "write access", "needs a valid config")
    shown = []
    for what, path in targets:
        problem = _unwritable(path.parent)
        if problem is not None:
            return Check(FAIL, "write access", f"{what} {path}: {problem}")
        shown.append(f"{what} {path}")
    return Check(OK, "write access", "can write the " + " and the ".join(shown))


def _unwritable(folder: Path) -> str | None:
    """Why nothing can be written in ``folder`` (or where it would be created), or None."""
    existing = folder
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent  # the bot creates the missing folders below this one
    try:
        with tempfile.NamedTemporaryFile(dir=existing, prefix=".doctor-"):
            pass
    except OSError as exc:
        return f"cannot write in {existing}: {exc.strerror or exc}"
    return None


def _online(token: str, config: Config | None, *, token_ok: bool) -> list[Check]:
    if not token_ok:
        return [Check(SKIP, "discord", "needs a well-formed token")]
    return asyncio.run(_online_checks(token, config))


async def _online_checks(token: str, config: Config | None) -> list[Check]:
    import aiohttp
    import discord

    client = discord.Client(intents=discord.Intents.none())
    async with client:
        try:
            await client.login(token)  # fetches the bot user and the application with its flags
        except discord.LoginFailure:
            return [Check(FAIL, "discord", "Discord rejected the token; copy it again")]
        except (discord.HTTPException, aiohttp.ClientError, OSError) as exc:
            return [Check(FAIL, "discord", f"could not reach Discord: {exc}")]
    user, app = client.user, client.application
    checks = [Check(OK, "discord", f"logged in as {user} (id {user.id if user else '?'})")]
    if config is not None and config.needs_message_content and app is not None:
        flags = app.flags
        if flags.gateway_message_content or flags.gateway_message_content_limited:
            checks.append(Check(OK, "portal intents", "Message Content is switched on"))
        else:
            detail = f"Message Content is off but the config needs it ({PORTAL_INTENTS})"
            checks.append(Check(FAIL, "portal intents", detail))
    return checks
