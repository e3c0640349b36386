"""The deployment files agree with the README and the code; nothing is built with Docker here.

The container itself is verified by hand (see the README's Deploy section): these tests keep the
Dockerfile, compose.yaml and the README's systemd unit from drifting away from the commands the
README documents and the code's own constants.
"""

from __future__ import annotations

import configparser
import json
import re
import shlex
from pathlib import Path

import yaml

from bot.cli import build_parser
from bot.client import EXIT_SETUP, SHUTDOWN_GRACE_SECONDS
from bot.config import Config

REPO = Path(__file__).resolve().parent.parent
README = (REPO / "README.md").read_text(encoding="utf-8")
DOCKERFILE = (REPO / "Dockerfile").read_text(encoding="utf-8")


def _instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) of the Dockerfile, continuation lines joined, comments dropped."""
    text = re.sub(r"\\\n\s*", " ", DOCKERFILE)
    lines = [line.strip() for line in text.splitlines()]
    return [
        (line.split(None, 1)[0].upper(), line.split(None, 1)[1])
        for line in lines
        if line and not line.startswith("#")
    ]


def _command(arguments: str) -> str:
    """A RUN/CMD argument as the shell command it runs (exec form joined with spaces)."""
    if arguments.startswith("["):
        return shlex.join(json.loads(arguments))
    return arguments


def _bot_commands() -> list[str]:
    """The Dockerfile's commands that install or run the bot (not its user set-up)."""
    found = []
    for instruction, arguments in _instructions():
        if instruction == "HEALTHCHECK":
            arguments = arguments.split(" CMD ", 1)[1]
        if instruction in ("RUN", "CMD", "HEALTHCHECK"):
            command = _command(arguments)
            if command.startswith(("pip ", "python ")):
                found.append(command)
    return found


def test_dockerfile_runs_the_readme_commands() -> None:
    """Install, run and health check in the image are commands the README documents verbatim."""
    commands = _bot_commands()
    assert commands == [
        "pip install -e .",
        "python -m bot health --health-file /tmp/bot-health",
        "python -m bot run --health-file /tmp/bot-health",
    ]
    for command in commands:
        assert command in README, command
    # ...and they parse as the CLI defines them today.
    for command in commands[1:]:
        build_parser().parse_args(shlex.split(command)[3:])


def test_dockerfile_is_slim_non_root_and_keeps_secrets_out() -> None:
    """A slim base, a non-root user, no token or config baked in, SIGTERM as stop signal."""
    instructions = _instructions()
    assert instructions[0][0] == "FROM" and "-slim" in instructions[0][1]
    users = [args for name, args in instructions if name == "USER"]
    assert users and users[-1] not in ("root", "0")
    assert ("STOPSIGNAL", "SIGTERM") in instructions
    assert not any("DISCORD_TOKEN" in args for _, args in instructions)  # comments may say so
    copied = " ".join(args for name, args in instructions if name == "COPY")
    assert "config.yaml " not in copied + " " and ".env" not in copied
    ignored = (REPO / ".dockerignore").read_text(encoding="utf-8").split()
    assert {".env", "config.yaml", ".git", ".venv"} <= set(ignored)


def test_compose_mounts_what_the_image_expects() -> None:
    """compose.yaml mounts knowledge and config read-only where the image reads them, and a named
    volume where the question log is written."""
    workdir = next(args for name, args in _instructions() if name == "WORKDIR")
    compose = yaml.safe_load((REPO / "compose.yaml").read_text(encoding="utf-8"))
    service = compose["services"]["bot"]
    mounts = {volume.split(":")[1]: volume.split(":")[2:] for volume in service["volumes"]}
    assert mounts == {
        f"{workdir}/knowledge": ["ro"],
        f"{workdir}/config.yaml": ["ro"],
        f"{workdir}/data": [],  # the question log, writable
    }
    data = next(volume.split(":")[0] for volume in service["volumes"] if volume.endswith("/data"))
    assert data in compose["volumes"]  # a named volume: it keeps the image folder's owner
    assert f'VOLUME ["{workdir}/data"]' in DOCKERFILE
    assert Config().database == Path("data/bot.sqlite3")  # relative to the config in /app
    assert service["environment"]["DISCORD_TOKEN"].startswith("${DISCORD_TOKEN")  # from .env
    grace = int(service["stop_grace_period"].removesuffix("s"))
    assert grace > SHUTDOWN_GRACE_SECONDS
    assert "/tmp" in service["tmpfs"] and service["read_only"] is True  # the health file's home
    assert ".env" in (REPO / ".gitignore").read_text(encoding="utf-8").split()


def test_readme_systemd_unit_matches_the_code() -> None:
    """The README's unit runs `python -m bot run`, never restarts on exit 2, outlasts the grace."""
    block = re.search(r"```ini\n(.*?)```", README, re.DOTALL)
    assert block is not None
    unit = configparser.ConfigParser(interpolation=None, strict=True)
    unit.optionxform = str  # type: ignore[assignment,method-assign]
    unit.read_string(block.group(1))
    service = unit["Service"]
    assert service["ExecStart"].endswith("/python -m bot run")
    assert service["RestartPreventExitStatus"] == str(EXIT_SETUP)
    assert service["KillSignal"] == "SIGTERM"
    assert int(service["TimeoutStopSec"]) > SHUTDOWN_GRACE_SECONDS
    assert "DISCORD_TOKEN" not in block.group(1).replace("EnvironmentFile", "")


def test_every_command_is_documented() -> None:
    """Each `python -m bot` command appears in the README (sqlite-utils' test_docs idea)."""
    subparsers = next(a for a in build_parser()._actions if a.dest == "command")
    for name in subparsers.choices:  # type: ignore[union-attr]
        assert f"python -m bot {name}" in README, name
