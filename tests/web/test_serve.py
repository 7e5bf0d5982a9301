"""`kpitui serve`: a real headless Chromium opens the served app and receives the tree.

The page draws the terminal on a canvas, so the test reads what the app sends the
browser over its websocket (the DevTools protocol reports every frame the page gets)
and looks for the tree's node names there. Skipped when Chromium is not installed.
"""

from __future__ import annotations

import base64
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
from pathlib import Path

import pytest

from tests.conftest import SAMPLES

CHROMIUM = next((p for p in map(shutil.which, ("chromium", "chromium-browser", "google-chrome")) if p), None)
pytest.importorskip("textual_serve")
websockets_sync = pytest.importorskip("websockets.sync.client")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed")

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


@pytest.fixture
def served(tmp_path: Path) -> Iterator[str]:
    """The web shop sample served on a free local port; yields its URL."""
    for name in ("webshop.toml", "webshop_measurements.csv"):
        shutil.copy(SAMPLES / name, tmp_path / name)
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "kpitui", "serve", str(tmp_path / "webshop.toml"), "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    try:
        url = f"http://127.0.0.1:{port}/"
        wait_for(url, 30)
        yield url
    finally:
        stop(server)


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
