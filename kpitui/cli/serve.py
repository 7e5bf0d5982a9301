"""`kpitui serve`: textual-serve's server, answering only whoever holds the token it printed.

Every request must name the address served in its Host header (a page of another site
whose name was pointed at 127.0.0.1, "DNS rebinding", names that site instead) and carry
the token, in the URL or in the cookie the page sets once opened with it. A websocket,
which starts an app process, must also come from a page of the served address (its
Origin), and only `sessions` of them run at once. Imported only by `kpitui serve`.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import hmac
import ipaddress
import os
import secrets
import socket
from pathlib import Path
from typing import TYPE_CHECKING

import aiohttp_jinja2
from aiohttp import web
from textual_serve.server import Server

if TYPE_CHECKING:
    from aiohttp.typedefs import Handler

LOOPBACK_NAMES = ("localhost", "127.0.0.1", "[::1]")
SESSION_WAIT = 5.0  # seconds a new session waits for a place: a reloaded tab's old app is still quitting
FULL_HOLD = 600.0  # seconds a refused tab keeps its message before "Session ended" covers it


def new_token() -> str:
    return secrets.token_urlsafe(32)


def is_wildcard(host: str) -> bool:
    return host in ("", "0.0.0.0", "::")


def is_loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def literal(host: str) -> str:
    """A host as it stands in a URL or a Host header: an IPv6 address in brackets."""
    return f"[{host}]" if ":" in host and not host.startswith("[") else host


def url_host(host: str) -> str:
    """The name the printed URL uses for a bind address."""
    if is_loopback(host):
        return "localhost"
    if is_wildcard(host):
        return socket.gethostname()
    return literal(host)


def host_names(host: str, port: int) -> frozenset[str]:
    """The Host headers that name a server bound to `host`:`port` (lower case).

    The address itself; for a loopback or wildcard bind localhost, 127.0.0.1 and [::1]
    too; for a wildcard bind this machine's names. (The address a connection arrived on
    is accepted as well, see `Guarded._host_ok`.)
    """
    names = {literal(host).lower()}
    if is_loopback(host) or is_wildcard(host):
        names.update(LOOPBACK_NAMES)
    if is_wildcard(host):
        names.update({socket.gethostname().lower(), socket.getfqdn().lower()})
    names.discard("")
    headers = {f"{name}:{port}" for name in names}
    if port == 80:
        headers.update(names)
    return frozenset(headers)


def bind_problem(host: str, port: int) -> OSError | None:
    """Why the server could not listen on `host`:`port` (tried by binding as it will), or None.

    An IPv6 address the system does not have is no problem: the server skips it too.
    """
    try:
        infos = socket.getaddrinfo(host or None, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except OSError as exc:
        return exc
    for family, kind, proto, _name, address in infos:
        with socket.socket(family, kind, proto) as sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                sock.bind(address)
            except OSError as exc:
                if not (exc.errno == errno.EADDRNOTAVAIL and family == socket.AF_INET6):
                    return exc
    return None


def write_token(path: Path, token: str) -> None:
    """Write the token to `path`, readable by its owner only (a link there is refused)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        os.fchmod(fd, 0o600)
        handle.write(token + "\n")


def refuse(status: int, text: str) -> web.Response:
    return web.Response(status=status, text=f"kpitui serve: {text}\n")


class Guarded(Server):
    """textual-serve's Server behind a token, Host and Origin checks and a session limit."""

    def __init__(self, command: str, *, host: str, port: int, title: str, token: str, sessions: int = 1) -> None:
        super().__init__(command, host=host, port=port, title=title, public_url=f"http://{url_host(host)}:{port}")
        self.token = token.encode("utf-8")
        self.sessions = sessions
        self.open_sessions = 0
        self.names = host_names(host, port)
        self.cookie = f"kpitui-token-{port}"

    async def _make_app(self) -> web.Application:
        app = await super()._make_app()
        app.middlewares.append(self._guard)
        return app

    async def on_startup(self, app: web.Application) -> None:
        """Nothing to print: `kpitui serve` prints the address with its token."""

    # ── every request ────────────────────────────────────────────────────

    @web.middleware
    async def _guard(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        host = request.headers.get("Host", "").lower()
        if not self._host_ok(request, host):
            return refuse(403, f"this server answers to {self.public_url} only, not to Host {host!r}")
        origin = request.headers.get("Origin")
        websocket = request.path == "/ws" or request.headers.get("Upgrade", "").lower() == "websocket"
        if (origin is not None or websocket) and (origin or "").lower() not in self._origins(host):
            came = f"one of {origin}" if origin else "one that does not say (no Origin)"
            return refuse(403, f"only a page of {self.public_url} may use this server, not {came}")
        given = request.query.get("token") or request.cookies.get(self.cookie) or ""
        if not hmac.compare_digest(given.encode("utf-8"), self.token):
            what = "a wrong token" if given else "no token"
            return refuse(403, f"{what}: open the whole address kpitui serve printed ({self.public_url}/?token=…)")
        if getattr(request.match_info.route.resource, "name", None) == "static" and not self._static_file(
            request.match_info.get("filename", "")
        ):
            return refuse(404, "not found")
        return await handler(request)

    def _host_ok(self, request: web.Request, host: str) -> bool:
        if host in self.names:
            return True
        # The address the connection arrived on, as a literal: someone who typed this machine's IP.
        arrived = request.transport.get_extra_info("sockname") if request.transport is not None else None
        if isinstance(arrived, tuple) and arrived:
            return host == f"{literal(str(arrived[0]))}:{self.port}".lower()
        return False

    @staticmethod
    def _origins(host: str) -> tuple[str, ...]:
        """The Origin a page of `host` (a Host header) sends: the default port left out."""
        return (f"http://{host}", f"http://{host.removesuffix(':80')}")

    def _static_file(self, name: str) -> bool:
        """A file of textual-serve's statics folder: no listing of a folder, nothing outside it."""
        folder = self.statics_path.resolve()
        path = (folder / name.lstrip("/")).resolve()
        return path.is_relative_to(folder) and path.is_file()

    # ── the page and its websocket ───────────────────────────────────────

    async def handle_index(self, request: web.Request) -> web.StreamResponse:
        """The page, its websocket and statics on the address it was opened with.

        Opened with the token in the URL, it sets the token as an HttpOnly cookie of this
        site only, so that its websocket and statics need no token in their URLs.
        """
        host = request.headers["Host"]
        router = request.app.router
        font_size = request.query.get("fontsize", "16")
        context = {
            "font_size": int(font_size) if font_size.isdigit() else 16,
            "app_websocket_url": f"ws://{host}{router['websocket'].url_for()}",
            "config": {"static": {"url": f"http://{host}{router['static'].url_for(filename='/')}".rstrip("/") + "/"}},
            "application": {"name": self.title},
        }
        response = aiohttp_jinja2.render_template("app_index.html", request, context)
        response.headers["Referrer-Policy"] = "no-referrer"
        response.headers["X-Frame-Options"] = "DENY"
        response.headers["Cache-Control"] = "no-store"
        if "token" in request.query:
            response.set_cookie(self.cookie, self.token.decode("utf-8"), httponly=True, samesite="Strict", path="/")
        return response

    async def handle_websocket(self, request: web.Request) -> web.WebSocketResponse:
        """An app process for this websocket if fewer than `sessions` run, else a message and none."""
        if not await self._take_session():
            return await self._turn_away(request)
        try:
            return await super().handle_websocket(request)
        finally:
            self.open_sessions -= 1

    async def _take_session(self) -> bool:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + SESSION_WAIT
        while self.open_sessions >= self.sessions:
            if loop.time() >= deadline:
                return False
            await asyncio.sleep(0.1)
        self.open_sessions += 1  # no await since the test above: no other session slips in between
        return True

    async def _turn_away(self, request: web.Request) -> web.WebSocketResponse:
        """Say in the tab's terminal why no app starts; closed at once, the page would cover it."""
        websocket = web.WebSocketResponse(heartbeat=15)
        await websocket.prepare(request)
        many = "another browser tab has" if self.sessions == 1 else f"{self.sessions} browser tabs have"
        lines = (
            f"kpitui serve: refused, {many} this tree open already.",
            f"It allows {self.sessions} at a time (kpitui serve --sessions N allows more).",
            "Close one, then reload this tab.",
        )
        await websocket.send_bytes("".join(f"\r\n  {line}" for line in lines).encode() + b"\r\n")
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(FULL_HOLD):
                async for _message in websocket:
                    pass
        await websocket.close(code=1013, message=b"session limit reached")
        return websocket
