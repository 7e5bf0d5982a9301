"""`kpitui serve`: a real headless Chromium opens the served app and receives the tree;
only whoever holds the printed token, from a page of the served address, gets in.

The page draws the terminal on a canvas, so the test reads what the app sends the
browser over its websocket (the DevTools protocol reports every frame the page gets)
and looks for the tree's node names there. Skipped when Chromium is not installed.
"""

from __future__ import annotations

import base64
import http.client
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import SAMPLES

CHROMIUM = next((p for p in map(shutil.which, ("chromium", "chromium-browser", "google-chrome")) if p), None)
pytest.importorskip("textual_serve")
websockets_sync = pytest.importorskip("websockets.sync.client")
InvalidStatus = pytest.importorskip("websockets.exceptions").InvalidStatus
needs_chromium = pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed")
TREE_TEXT = "Online omzet"  # a node of the web shop sample: the app is drawing the tree

FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--window-size=1200,800",
)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def wait_for(url: str, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)


@dataclass
class Served:
    process: subprocess.Popen[bytes]
    port: int
    token: str

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def ws(self, token: str | None = None) -> str:
        return f"ws://127.0.0.1:{self.port}/ws" + ("" if token is None else f"?token={token}")


def printed_url(log: Path, process: subprocess.Popen[bytes], seconds: float) -> str:
    """The address with its token that `kpitui serve` prints on stderr."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if match := re.search(r"http://localhost:\d+/\?token=[\w-]+", log.read_text(encoding="utf-8")):
            return match[0]
        if process.poll() is not None:
            break
        time.sleep(0.1)
    raise AssertionError(f"kpitui serve printed no address with a token: {log.read_text(encoding='utf-8')!r}")


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Served]:
    """The web shop sample served on a free local port."""
    for name in ("webshop.toml", "webshop_measurements.csv"):
        shutil.copy(SAMPLES / name, tmp_path / name)
    port = free_port()
    log = tmp_path / "serve.log"
    with log.open("wb") as errors:
        process = subprocess.Popen(
            [sys.executable, "-m", "kpitui", "serve", str(tmp_path / "webshop.toml"), "--port", str(port)],
            stdout=subprocess.DEVNULL,
            stderr=errors,
            start_new_session=True,
        )
    try:
        url = printed_url(log, process, 30).replace("localhost", "127.0.0.1")
        wait_for(url, 30)
        yield Served(process, port, url.partition("token=")[2])
    finally:
        stop(process)


@pytest.fixture
def served(server: Served) -> str:
    """The served page's URL, with its token."""
    return f"{server.origin}/?token={server.token}"


def devtools(process: subprocess.Popen[bytes]) -> int:
    """The DevTools port Chromium prints on stderr."""
    assert process.stderr is not None
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        line = process.stderr.readline().decode("utf-8", "replace")
        if match := re.search(r"DevTools listening on ws://127\.0\.0\.1:(\d+)/", line):
            return int(match[1])
        if not line and process.poll() is not None:
            break
    raise AssertionError("Chromium did not start its DevTools endpoint")


def frames_until(page_ws: str, wanted: list[str], seconds: float, shot: Path) -> str:
    """Text the page receives over websockets, until every wanted string appeared (or time runs out)."""
    received = ""
    with websockets_sync.connect(page_ws, max_size=None, open_timeout=30) as cdp:
        ids = iter(range(1, 1_000_000))
        cdp.send(json.dumps({"id": next(ids), "method": "Network.enable"}))
        cdp.send(json.dumps({"id": next(ids), "method": "Page.enable"}))
        cdp.send(json.dumps({"id": next(ids), "method": "Page.reload"}))
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline and not all(w in received for w in wanted):
            try:
                message = json.loads(cdp.recv(timeout=1))
            except TimeoutError:
                continue
            if message.get("method") == "Network.webSocketFrameReceived":
                response = message["params"]["response"]
                data = response["payloadData"]
                raw = base64.b64decode(data) if response.get("opcode") == 2 else data.encode("utf-8")
                received += raw.decode("utf-8", "replace")
        shot_id = next(ids)
        cdp.send(json.dumps({"id": shot_id, "method": "Page.captureScreenshot", "params": {"format": "png"}}))
        while True:
            message = json.loads(cdp.recv(timeout=30))
            if message.get("id") == shot_id:
                shot.write_bytes(base64.b64decode(message["result"]["data"]))
                break
    return received


@needs_chromium
def test_headless_chromium_shows_the_served_tree(served: str, tmp_path: Path) -> None:
    assert CHROMIUM is not None
    browser = subprocess.Popen(
        [CHROMIUM, *FLAGS, "--remote-debugging-port=0", f"--user-data-dir={tmp_path / 'profile'}", served],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    try:
        port = devtools(browser)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=10) as answer:
            targets = json.load(answer)
        page = next(t for t in targets if t["type"] == "page" and t["url"].startswith(served))
        wanted = ["Online omzet", "SEA: winstgevend adverteren", "Instagram-volgers"]
        received = frames_until(page["webSocketDebuggerUrl"], wanted, 90, tmp_path / "page.png")
        if os.environ.get("KPITUI_KEEP_SCREENSHOT"):
            shutil.copy(tmp_path / "page.png", os.environ["KPITUI_KEEP_SCREENSHOT"])
        for text in wanted:
            assert text in received
    finally:
        stop(browser)


def test_serve_binds_to_localhost_by_default() -> None:
    from kpitui.cli import _parser

    options = _parser("serve").parse_args([])
    assert options.host == "127.0.0.1"
    assert _parser("serve").parse_args(["--host", "0.0.0.0"]).host == "0.0.0.0"


# ── who gets in ──────────────────────────────────────────────────────────


def app_processes(server: Served) -> int:
    """The app processes the server started: its children (one per session)."""
    count = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text(encoding="utf-8").rpartition(")")[2].split()
        except OSError:
            continue
        count += int(fields[1]) == server.process.pid
    return count


def refused(url: str, origin: str | None) -> tuple[int, str]:
    """The status and message a websocket handshake is refused with."""
    with pytest.raises(InvalidStatus) as caught:
        websockets_sync.connect(url, origin=origin, open_timeout=10).close()
    response = caught.value.response
    return response.status_code, bytes(response.body).decode("utf-8")


def shows_the_tree(websocket: websockets_sync.ClientConnection, seconds: float = 30) -> bool:
    received = b""
    deadline = time.monotonic() + seconds
    while TREE_TEXT.encode() not in received and time.monotonic() < deadline:
        try:
            message = websocket.recv(timeout=1)
        except TimeoutError:
            continue
        if isinstance(message, bytes):
            received += message
    return TREE_TEXT.encode() in received


def get(server: Served, path: str, host: str | None = None) -> tuple[int, str, dict[str, str]]:
    """A GET exactly as written (no path clean-up), with this Host header."""
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    try:
        connection.putrequest("GET", path, skip_host=True)
        connection.putheader("Host", host or f"127.0.0.1:{server.port}")
        connection.endheaders()
        answer = connection.getresponse()
        return answer.status, answer.read().decode("utf-8", "replace"), dict(answer.getheaders())
    finally:
        connection.close()


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="counts app processes in /proc")
def test_only_the_token_holder_on_the_served_page_gets_in(server: Served) -> None:
    other_site = "http://evil.example"
    assert refused(server.ws(server.token), other_site)[0] == 403
    assert refused(server.ws(server.token), None)[0] == 403  # no Origin: not a page of this address
    assert refused(server.ws(server.token), f"http://localhost:{server.port + 1}")[0] == 403
    status, message = refused(server.ws(), server.origin)
    assert status == 403 and "no token" in message
    status, message = refused(server.ws("x" + server.token), server.origin)
    assert status == 403 and "wrong token" in message
    assert app_processes(server) == 0
    with websockets_sync.connect(server.ws(server.token), origin=server.origin, open_timeout=10) as websocket:
        assert shows_the_tree(websocket)
        assert app_processes(server) == 1
    # The page's own websocket carries the cookie the page set, not the token.
    status, _text, headers = get(server, f"/?token={server.token}")
    assert status == 200
    cookie = headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie
    assert get(server, "/static/css/xterm.css", None)[0] == 403
    jar = {"Cookie": cookie.split(";")[0], "Origin": server.origin}
    with websockets_sync.connect(server.ws(), additional_headers=jar, open_timeout=10) as websocket:
        assert shows_the_tree(websocket)


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="counts app processes in /proc")
def test_a_second_session_is_refused_by_default(server: Served) -> None:
    with websockets_sync.connect(server.ws(server.token), origin=server.origin, open_timeout=10) as first:
        assert shows_the_tree(first)
        with websockets_sync.connect(server.ws(server.token), origin=server.origin, open_timeout=10) as second:
            message = second.recv(timeout=30)
            assert isinstance(message, bytes)
            assert "refused, another browser tab has this tree open already" in message.decode("utf-8")
            assert "--sessions" in message.decode("utf-8")
            assert app_processes(server) == 1
    # Once the first tab is closed, a new one gets in.
    with websockets_sync.connect(server.ws(server.token), origin=server.origin, open_timeout=10) as third:
        assert shows_the_tree(third)


def test_the_page_needs_the_token(server: Served) -> None:
    assert get(server, "/")[0] == 403
    assert get(server, "/?token=" + "x" * len(server.token))[0] == 403
    status, text, _headers = get(server, f"/?token={server.token}")
    assert status == 200 and f"ws://127.0.0.1:{server.port}/ws" in text


def test_static_lists_no_folder_and_nothing_outside_it(server: Served) -> None:
    token = f"?token={server.token}"
    assert get(server, f"/static/css/xterm.css{token}")[0] == 200
    for folder in ("/static/", "/static/js/", "/static/css"):
        status, text, _headers = get(server, folder + token)
        assert status == 404 and "xterm.css" not in text and "Index of" not in text
    for escape in ("/static/../server.py", "/static/%2e%2e/server.py", "/static/..%2fserver.py"):
        status, text, _headers = get(server, escape + token)
        assert status in (403, 404) and "class Server" not in text


def test_another_host_name_is_refused(server: Served) -> None:
    path = f"/?token={server.token}"
    for host in (f"evil.example:{server.port}", "localhost", f"127.0.0.1.nip.io:{server.port}"):
        status, text, _headers = get(server, path, host)
        assert status == 403 and "Host" in text, host
    for host in (f"localhost:{server.port}", f"127.0.0.1:{server.port}", f"[::1]:{server.port}"):
        assert get(server, path, host)[0] == 200, host


def test_a_port_in_use_is_named(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run(
            [sys.executable, "-m", "kpitui", "serve", str(SAMPLES / "webshop.toml"), "--port", str(port)],
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert result.returncode == 2
    assert result.stderr.strip() == f"kpitui: port {port} is in use; pick another with --port"
