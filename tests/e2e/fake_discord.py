"""A fake Discord REST API on 127.0.0.1 that records every request discord.py sends.

discord.py builds every URL from ``discord.http.Route.BASE`` (interaction callbacks and webhooks
too), so pointing that one attribute here makes the real client talk to this server. The
replies are the smallest payloads discord.py 2.7.1 accepts; see ../shared/docs/discord-testing.md.

A minimal gateway is served at ``/gateway`` too, for the tests that run ``bot.start()`` (start-up,
shutdown, sharding): point ``DiscordWebSocket.DEFAULT_GATEWAY`` at ``gateway_url``. It says HELLO,
acknowledges heartbeats, records each IDENTIFY (with its shard) and answers READY; ``dispatch``
sends an event to every connected shard.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import re
from collections.abc import AsyncIterator, Callable, Coroutine
from dataclasses import dataclass
from typing import Any, TypeVar

from aiohttp import BodyPartReader, web

_T = TypeVar("_T")

API_PREFIX = "/api/v10"
APP_ID = 1000  # the application id; the bot user shares it, as on Discord
BOT_ID = 1000
GUILD_ID = 4000
CHANNEL_ID = 5000
TIMESTAMP = "2026-01-01T00:00:00+00:00"

BOT_USER = {
    "id": str(BOT_ID),
    "username": "LewisBot",
    "discriminator": "0",
    "global_name": None,
    "avatar": None,
    "bot": True,
}
APPLICATION = {
    "id": str(APP_ID),
    "name": "LewisBot",
    "description": "",
    "icon": None,
    "bot_public": True,
    "bot_require_code_grant": False,
    "owner": {"id": "1", "username": "owner", "discriminator": "0", "avatar": None},
    "verify_key": "0" * 64,
    "flags": 0,
}


@dataclass(frozen=True, slots=True)
class Request:
    """One request the client sent: method, path below /api/v10, query string and JSON body."""

    method: str
    path: str
    query: str
    body: Any
    reply: Any = None  # what the fake answered (None for 204 or 404)
    files: tuple[str, ...] = ()  # names of the files sent with a multipart body

    @property
    def kind(self) -> str:
        """What the request is, for choosing the limits that apply to its body."""
        if re.fullmatch(r"/applications/\d+(/guilds/\d+)?/commands", self.path):
            return "commands"
        if re.fullmatch(r"/interactions/\d+/[^/]+/callback", self.path):
            return "callback"
        if re.fullmatch(r"/channels/\d+/messages", self.path) or self.path.startswith("/webhooks/"):
            return "message"
        return "other"


def user_payload(user_id: int, name: str) -> dict[str, Any]:
    """A user object as the gateway sends it."""
    return {
        "id": str(user_id),
        "username": name,
        "discriminator": "0",
        "global_name": None,
        "avatar": None,
    }


def message_payload(message_id: int, channel_id: int, body: dict[str, Any]) -> dict[str, Any]:
    """The message Discord would return for a created message body."""
    return {
        "id": str(message_id),
        "channel_id": str(channel_id),
        "author": BOT_USER,
        "content": body.get("content") or "",
        "timestamp": TIMESTAMP,
        "edited_timestamp": None,
        "tts": False,
        "mention_everyone": False,
        "mentions": [],
        "mention_roles": [],
        "attachments": [],
        "embeds": body.get("embeds") or [],
        "components": body.get("components") or [],
        "pinned": False,
        "type": 0,
        "flags": body.get("flags") or 0,
    }


NOT_FOUND = object()  # a deliberate 404 (a deleted message), not a request the fake lacks


def thread_payload(thread_id: int, parent_id: int, name: str, *, owner_id: int) -> dict[str, Any]:
    """A public thread channel, as Discord returns it when a thread is opened on a message."""
    return {
        "id": str(thread_id),
        "type": 11,
        "guild_id": str(GUILD_ID),
        "parent_id": str(parent_id),
        "owner_id": str(owner_id),
        "name": name,
        "last_message_id": None,
        "rate_limit_per_user": 0,
        "message_count": 0,
        "member_count": 1,
        "thread_metadata": {
            "archived": False,
            "auto_archive_duration": 1440,
            "archive_timestamp": TIMESTAMP,
            "locked": False,
        },
        "flags": 0,
    }


class FakeDiscord:
    """Answer discord.py's REST calls and keep every request for the test to inspect.

    It also keeps the messages: those the bot sends and those a test ``remember``s (the
    gateway's), so fetching a message or a channel's history answers as Discord would.
    """

    def __init__(self) -> None:
        self.messages: dict[int, dict[str, Any]] = {}
        self.requests: list[Request] = []
        self.unhandled: list[Request] = []
        self.reject_token = False  # answer 401 to the login call, as Discord does for a bad token
        self.identifies: list[dict[str, Any]] = []  # IDENTIFY payloads, token removed
        self.close_on_identify: int | None = None  # a gateway close code to answer IDENTIFY with
        self.url = ""  # http://127.0.0.1:PORT, set by the fixture that serves it
        self.loop: asyncio.AbstractEventLoop | None = None  # set when served from a thread
        self._sockets: list[web.WebSocketResponse] = []
        self._sequence = itertools.count(1)
        self._ids = itertools.count(900_000)
        self._changed = asyncio.Condition()
        self.app = web.Application()
        self.app.router.add_get("/gateway", self._gateway)
        self.app.router.add_route("*", API_PREFIX + "/{tail:.*}", self._handle)

    async def _gateway(self, request: web.Request) -> web.WebSocketResponse:
        socket = web.WebSocketResponse()
        await socket.prepare(request)
        await socket.send_json({"op": 10, "d": {"heartbeat_interval": 45_000}})
        async for frame in socket:
            payload = json.loads(frame.data)
            if payload["op"] == 1:  # heartbeat
                await socket.send_json({"op": 11})
            elif payload["op"] == 2 and self.close_on_identify is not None:
                await socket.close(code=self.close_on_identify)
            elif payload["op"] == 2:  # identify
                data = {k: v for k, v in payload["d"].items() if k != "token"}
                shard = data.get("shard", [0, 1])
                ready = {
                    "v": 10,
                    "user": BOT_USER,
                    "guilds": [],
                    "session_id": f"session-{shard[0]}",
                    "resume_gateway_url": str(request.url.with_query(None)),
                    "application": {"id": str(APP_ID), "flags": 0},
                    "shard": shard,
                }
                await socket.send_json(
                    {"op": 0, "t": "READY", "s": next(self._sequence), "d": ready}
                )
                self._sockets.append(socket)
                async with self._changed:
                    self.identifies.append(data)
                    self._changed.notify_all()
        if socket in self._sockets:
            self._sockets.remove(socket)
        return socket

    @property
    def gateway_url(self) -> str:
        """Where the fake gateway listens (for ``DiscordWebSocket.DEFAULT_GATEWAY``)."""
        return self.url.replace("http://", "ws://", 1) + "/gateway"

    def call(self, coro: Coroutine[Any, Any, _T], *, timeout: float = 20.0) -> _T:
        """Run ``coro`` on the fake's own loop, from another thread (fake served from a thread)."""
        assert self.loop is not None, "only for a fake served from its own thread"
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    async def dispatch(self, event: str, data: dict[str, Any]) -> None:
        """Send a gateway event to every identified connection."""
        for socket in self._sockets:
            await socket.send_json({"op": 0, "t": event, "s": next(self._sequence), "d": data})

    async def wait_for_identifies(self, count: int, *, timeout: float = 10.0) -> None:
        """Wait until ``count`` connections have identified."""
        async with self._changed:
            await asyncio.wait_for(
                self._changed.wait_for(lambda: len(self.identifies) >= count), timeout
            )

    def next_id(self) -> int:
        """A fresh snowflake-like id."""
        return next(self._ids)

    async def wait_for(
        self, predicate: Callable[[Request], bool], *, timeout: float = 5.0
    ) -> Request:
        """Return the first recorded request matching ``predicate``, waiting for it if needed."""

        def found() -> Request | None:
            return next((r for r in self.requests if predicate(r)), None)

        async with self._changed:
            await asyncio.wait_for(self._changed.wait_for(lambda: found() is not None), timeout)
        result = found()
        assert result is not None
        return result

    def remember(self, message: dict[str, Any]) -> dict[str, Any]:
        """Keep a message (a gateway payload) so the bot can fetch it; returns it."""
        self.messages[int(message["id"])] = message
        return message

    def delete(self, message_id: int) -> None:
        """The message is gone: fetching it answers 404 from now on."""
        self.messages.pop(message_id, None)

    def _created(self, channel_id: int, body: dict[str, Any]) -> dict[str, Any]:
        """Store and return the message a POST creates; a reply carries what it replies to."""
        message = message_payload(self.next_id(), channel_id, body)
        reference = body.get("message_reference")
        if reference:
            replied = self.messages.get(int(reference["message_id"]))
            message["type"] = 19
            message["message_reference"] = {
                "type": 0,
                "message_id": str(reference["message_id"]),
                "channel_id": str(channel_id),
                "guild_id": str(GUILD_ID),
            }
            message["referenced_message"] = _without_reference(replied) if replied else None
        return self.remember(message)

    def _fetched(self, channel_id: int, message_id: int) -> Any:
        message = self.messages.get(message_id)
        if message is None or int(message["channel_id"]) != channel_id:
            return NOT_FOUND
        reference = message.get("message_reference")
        if not reference:
            return message
        replied = self.messages.get(int(reference["message_id"]))
        return {**message, "referenced_message": _without_reference(replied) if replied else None}

    def _history(self, channel_id: int, query: str) -> list[dict[str, Any]]:
        params = dict(p.split("=", 1) for p in query.split("&") if "=" in p)
        before = int(params.get("before", 1 << 62))
        limit = int(params.get("limit", 50))
        ids = sorted(
            (i for i, m in self.messages.items() if int(m["channel_id"]) == channel_id),
            reverse=True,
        )
        return [self._fetched(channel_id, i) for i in ids if i < before][:limit]

    def find(self, method: str, pattern: str) -> list[Request]:
        """Recorded requests with this method whose path fully matches ``pattern``."""
        return [r for r in self.requests if r.method == method and re.fullmatch(pattern, r.path)]

    async def _handle(self, request: web.Request) -> web.Response:
        path = "/" + request.match_info["tail"]
        body, files = await _read_body(request)
        if self.reject_token and path == "/users/@me":
            self.requests.append(Request(request.method, path, request.query_string, body))
            return _json({"message": "401: Unauthorized", "code": 0}, status=401)
        result = self._reply(Request(request.method, path, request.query_string, body))
        record = Request(
            request.method,
            path,
            request.query_string,
            body,
            None if result == 204 or result is NOT_FOUND else result,
            files,
        )
        async with self._changed:
            self.requests.append(record)
            self._changed.notify_all()
        if result is NOT_FOUND:
            return _json({"message": "Unknown Message", "code": 10008}, status=404)
        if result is None:
            self.unhandled.append(record)
            return _json({"message": "404: Not Found", "code": 0}, status=404)
        if result == 204:
            return web.Response(status=204)
        return _json(result)

    def _reply(self, r: Request) -> Any:
        if r.method == "GET" and r.path == "/users/@me":
            return BOT_USER
        if r.method == "GET" and r.path == "/oauth2/applications/@me":
            return APPLICATION
        if r.method == "PUT" and r.kind == "commands":
            return [
                {**c, "id": str(self.next_id()), "application_id": str(APP_ID), "version": "1"}
                for c in r.body
            ]
        if r.method == "POST" and re.fullmatch(r"/channels/\d+/typing", r.path):
            return 204
        if r.method == "POST" and r.kind == "message" and r.path.startswith("/channels/"):
            return self._created(int(r.path.split("/")[2]), r.body)
        if r.method == "GET" and (match := re.fullmatch(r"/channels/(\d+)/messages/(\d+)", r.path)):
            return self._fetched(int(match[1]), int(match[2]))
        if (match := re.fullmatch(r"/channels/(\d+)/messages", r.path)) and r.method == "GET":
            return self._history(int(match[1]), r.query)
        threads = re.fullmatch(r"/channels/(\d+)/messages/(\d+)/threads", r.path)
        if r.method == "POST" and threads:
            return thread_payload(int(threads[2]), int(threads[1]), r.body["name"], owner_id=BOT_ID)
        if r.method == "POST" and r.kind == "callback":
            return self._callback(r)
        if r.path.startswith("/webhooks/") and r.method == "POST":
            return self.remember(message_payload(self.next_id(), CHANNEL_ID, r.body or {}))
        if r.path.startswith("/webhooks/") and r.method == "PATCH":
            return message_payload(self.next_id(), CHANNEL_ID, r.body or {})
        return None

    def _callback(self, r: Request) -> dict[str, Any]:
        interaction_id = r.path.split("/")[2]
        kind = r.body["type"]
        data = r.body.get("data") or {}
        message_id = self.next_id()
        reply: dict[str, Any] = {
            "interaction": {
                "id": interaction_id,
                "type": 2,
                "response_message_id": str(message_id),
                "response_message_loading": kind == 5,
                "response_message_ephemeral": bool((data.get("flags") or 0) & 64),
            }
        }
        if kind in (4, 7):
            reply["resource"] = {
                "type": kind,
                "message": message_payload(message_id, CHANNEL_ID, data),
            }
        return reply


def _without_reference(message: dict[str, Any]) -> dict[str, Any]:
    # Discord nests one level only: a replied-to message comes without its own replied-to one.
    return {k: v for k, v in message.items() if k != "referenced_message"}


async def _read_body(request: web.Request) -> tuple[Any, tuple[str, ...]]:
    """The JSON body, from a plain JSON request or the payload_json part of a multipart one
    (how discord.py sends attachments), and the names of the files sent."""
    if not request.body_exists:
        return None, ()
    if not request.content_type.startswith("multipart/"):
        return await request.json(), ()
    body: Any = None
    files: list[str] = []
    reader = await request.multipart()
    while (part := await reader.next()) is not None:
        assert isinstance(part, BodyPartReader)
        if part.name == "payload_json":
            body = json.loads(await part.text())
        else:
            await part.read()
            files.append(part.filename or "")
    return body, tuple(files)


@contextlib.asynccontextmanager
async def serving(server: FakeDiscord) -> AsyncIterator[str]:
    """Serve ``server`` on 127.0.0.1 while the block runs; yield the base URL for Route.BASE."""
    runner = web.AppRunner(server.app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    server.url = f"http://127.0.0.1:{runner.addresses[0][1]}"
    try:
        yield f"{server.url}{API_PREFIX}"
    finally:
        await runner.cleanup()


def _json(data: Any, *, status: int = 200) -> web.Response:
    # Exactly "application/json": discord.py parses nothing else (aiohttp would add a charset).
    return web.Response(
        body=json.dumps(data).encode(), status=status, headers={"Content-Type": "application/json"}
    )


# --- gateway events the tests inject -----------------------------------------------------

ASKER_ID = 2000
OTHER_ID = 3000
ALL_PERMISSIONS = str((1 << 50) - 1)
MEMBER_PERMISSIONS = "104324673"  # the default @everyone set: no Administrator


def member_payload(user_id: int, *, permissions: str = MEMBER_PERMISSIONS) -> dict[str, Any]:
    """A guild member as an interaction carries it (with resolved permissions)."""
    return {
        "user": user_payload(user_id, f"user{user_id}"),
        "roles": [],
        "joined_at": TIMESTAMP,
        "deaf": False,
        "mute": False,
        "flags": 0,
        "permissions": permissions,
    }


def message_create(
    message_id: int,
    content: str,
    *,
    mentions: list[int],
    reply_to: dict[str, Any] | None = None,
    channel_id: int = CHANNEL_ID,
    author_id: int = ASKER_ID,
) -> dict[str, Any]:
    """A MESSAGE_CREATE event from the asker in the test channel; ``reply_to`` makes it a reply
    to that message (a deleted one when it has "deleted": True), as the gateway sends it."""
    payload = {
        "id": str(message_id),
        "channel_id": str(channel_id),
        "guild_id": str(GUILD_ID),
        "author": user_payload(author_id, f"user{author_id}"),
        "member": {k: v for k, v in member_payload(author_id).items() if k != "user"},
        "content": content,
        "timestamp": TIMESTAMP,
        "edited_timestamp": None,
        "tts": False,
        "mention_everyone": False,
        "mentions": [BOT_USER if m == BOT_ID else user_payload(m, "x") for m in mentions],
        "mention_roles": [],
        "attachments": [],
        "embeds": [],
        "pinned": False,
        "type": 0,
        "flags": 0,
    }
    if reply_to is not None:
        payload["type"] = 19
        payload["message_reference"] = {
            "type": 0,
            "message_id": reply_to["id"],
            "channel_id": reply_to["channel_id"],
            "guild_id": str(GUILD_ID),
        }
        deleted = reply_to.get("deleted", False)
        payload["referenced_message"] = None if deleted else _without_reference(reply_to)
    return payload


def interaction_create(
    interaction_id: int,
    kind: int,
    data: dict[str, Any],
    *,
    user_id: int = ASKER_ID,
    permissions: str = MEMBER_PERMISSIONS,
    message: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """An INTERACTION_CREATE event in the test channel (2 command, 3 component, 4 autocomplete)."""
    payload: dict[str, Any] = {
        "id": str(interaction_id),
        "application_id": str(APP_ID),
        "type": kind,
        "token": f"token-{interaction_id}",
        "version": 1,
        "attachment_size_limit": 8 * 1024 * 1024,  # discord.py 2.7 requires it
        "guild_id": str(GUILD_ID),
        "channel_id": str(CHANNEL_ID),
        "channel": {"id": str(CHANNEL_ID), "type": 0, "guild_id": str(GUILD_ID), "name": "ask-me"},
        "member": member_payload(user_id, permissions=permissions),
        "app_permissions": ALL_PERMISSIONS,
        "locale": "en-US",
        "guild_locale": "en-US",
        "entitlements": [],
        "authorizing_integration_owners": {"0": str(GUILD_ID)},
        "context": 0,
        "data": data,
    }
    if message is not None:
        payload["message"] = message
    return payload


def command_data(name: str, **options: Any) -> dict[str, Any]:
    """The data of a chat-input command with string/int/bool options (focus with focused=name)."""
    focused = options.pop("focused", None)
    kinds = {str: 3, int: 4, bool: 5}
    return {
        "id": "1",
        "name": name,
        "type": 1,
        "options": [
            {
                "name": k,
                "type": kinds[type(v)],
                "value": v,
                **({"focused": True} if k == focused else {}),
            }
            for k, v in options.items()
        ],
    }
