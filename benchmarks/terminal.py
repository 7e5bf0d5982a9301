"""A real terminal for TUI benchmarks: tmux, watched in control mode.

tmux's control mode (`tmux -C`) reports every byte a program writes to its terminal as an
`%output` line the moment tmux reads it, so a benchmark sees a frame when it reaches the
terminal — not when Textual has merely rendered it, as a headless run or Pilot would.
The server runs on a private socket and is killed at the end.
"""

from __future__ import annotations

import contextlib
import os
import queue
import re
import shlex
import subprocess
import threading
import time
from collections.abc import Sequence

_OCTAL = re.compile(rb"\\([0-7]{3})")


def _unescape(data: bytes) -> bytes:
    """Control mode writes bytes below 32 and backslashes as \\ooo octal escapes."""
    return _OCTAL.sub(lambda m: bytes([int(m.group(1), 8)]), data)


class TerminalGone(RuntimeError):
    """The tmux server ended under a measurement (the run is measured again)."""


class Terminal:
    """One tmux server with one window of `width` x `height`, and a control client on it."""

    def __init__(self, socket: str = "kpitui-bench", width: int = 100, height: int = 30) -> None:
        self.socket = socket
        self.width, self.height = width, height
        self._open()

    def _open(self) -> None:
        """Start the server, its window and the control client."""
        width, height = self.width, self.height
        self.tmux(["new-session", "-d", "-s", "bench", "-x", str(width), "-y", str(height), "sleep 100000"])
        self.tmux(["set-option", "-g", "remain-on-exit", "on"])
        self.client = subprocess.Popen(
            ["tmux", "-L", self.socket, "-C", "attach-session", "-t", "bench"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )
        self._lines: queue.Queue[tuple[float, bytes]] = queue.Queue()
        threading.Thread(target=self._read, args=(self.client, self._lines), daemon=True).start()
        self.command(f"refresh-client -C {width}x{height}")

    def tmux(self, args: Sequence[str]) -> str:
        """Run one tmux command on this server; its output."""
        return subprocess.run(["tmux", "-L", self.socket, *args], check=True, capture_output=True, text=True).stdout

    def _read(self, client: subprocess.Popen[bytes], lines: queue.Queue[tuple[float, bytes]]) -> None:
        assert client.stdout is not None
        for line in client.stdout:
            lines.put((time.perf_counter(), line))

    def command(self, text: str) -> None:
        """Send one tmux command through the control client."""
        assert self.client.stdin is not None
        self.client.stdin.write(text.encode() + b"\n")
        self.client.stdin.flush()

    def drain(self) -> None:
        """Forget everything the terminal has received so far."""
        while True:
            try:
                self._lines.get_nowait()
            except queue.Empty:
                return

    def start(self, args: Sequence[str], env: dict[str, str] | None = None) -> float:
        """Run a program in the window (replacing what runs there); the time it was started.

        Control mode reads one command a line: the arguments must not contain a newline
        (write a script to a file instead of passing it with -c).
        """
        if any("\n" in a for a in args):
            raise ValueError("a newline in the command line; put the script in a file")
        with contextlib.suppress(BrokenPipeError):
            self.stop_program()
        self.settle()
        if self.client.poll() is not None or not self._server_alive():
            # tmux 3.3 here crashes now and then as a Textual app starts or ends (`%exit server
            # exited unexpectedly`, the minimal app too): a new server for the next run.
            subprocess.run(["tmux", "-L", self.socket, "kill-server"], check=False, capture_output=True)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.client.wait(timeout=5)
            self._open()
            self.settle()
        prefix = " ".join(f"{k}={shlex.quote(v)}" for k, v in (env or {}).items())
        line = f"cd {shlex.quote(os.getcwd())} && exec env TERM=xterm-256color {prefix} {shlex.join(args)}"
        started = time.perf_counter()
        self.command(f"respawn-pane -k -t bench {shlex.quote(line)}")
        return started

    def _server_alive(self) -> bool:
        done = subprocess.run(["tmux", "-L", self.socket, "has-session", "-t", "bench"], capture_output=True)
        return done.returncode == 0

    def settle(self, quiet: float = 0.3, limit: float = 60.0) -> None:
        """Wait until the terminal has received nothing for `quiet` seconds (at most `limit`
        seconds in all), and forget it all."""
        deadline = time.perf_counter() + limit
        while time.perf_counter() < deadline:
            try:
                self._lines.get(timeout=quiet)
            except queue.Empty:
                return

    def wait_for(self, *needles: bytes, timeout: float) -> float:
        """The time the terminal received output containing one of `needles` (searched in the stream)."""
        seen = b""
        deadline = time.perf_counter() + timeout
        while True:
            left = deadline - time.perf_counter()
            if left <= 0:
                screen = self.tmux(["capture-pane", "-p", "-t", "bench"])
                raise TimeoutError(f"{needles!r} not shown within {timeout} s; the screen:\n{screen}")
            try:
                when, line = self._lines.get(timeout=left)
            except queue.Empty:
                continue
            if line.startswith(b"%exit"):
                raise TerminalGone(line.decode(errors="replace").strip())
            if not line.startswith(b"%output "):
                continue
            seen = (seen + _unescape(line.split(b" ", 2)[2].rstrip(b"\n")))[-100_000:]
            if any(needle in seen for needle in needles):
                return when

    def wait_screen(self, text: str, timeout: float, every: float = 0.05) -> float:
        """The time `text` is first seen on the screen (polled with capture-pane, every `every` s).

        For text that styles or partial redraws may split in the output stream.
        """
        deadline = time.perf_counter() + timeout
        while time.perf_counter() < deadline:
            if text in self.tmux(["capture-pane", "-p", "-t", "bench"]):
                return time.perf_counter()
            time.sleep(every)
        screen = self.tmux(["capture-pane", "-p", "-t", "bench"])
        raise TimeoutError(f"{text!r} not on the screen within {timeout} s; the screen:\n{screen}")

    def next_output(self, timeout: float, quiet: float = 0.0) -> float:
        """The time the next output arrives; with `quiet`, the time of the last output of a burst
        that is followed by `quiet` seconds of silence (a whole frame, not its first bytes)."""
        deadline = time.perf_counter() + timeout
        last: float | None = None
        while True:
            wait = quiet if last is not None else deadline - time.perf_counter()
            if wait <= 0 and last is None:
                raise TimeoutError(f"no output within {timeout} s")
            try:
                when, line = self._lines.get(timeout=max(wait, 0.0))
            except queue.Empty:
                if last is not None:
                    return last
                continue
            if line.startswith(b"%output "):
                if not quiet:
                    return when
                last = when

    def keys(self, *keys: str) -> float:
        """Press keys in the window (tmux key names); the time they were sent."""
        self.drain()
        sent = time.perf_counter()
        self.command("send-keys -t bench " + " ".join(shlex.quote(k) for k in keys))
        return sent

    def stop_program(self) -> None:
        """End what runs in the window, leaving the window for the next program."""
        self.command("respawn-pane -k -t bench 'sleep 100000'")

    def close(self) -> None:
        """Kill this tmux server (only this one: its private socket)."""
        if self.client.stdin is not None:
            with contextlib.suppress(BrokenPipeError):  # the server may have ended already
                self.client.stdin.close()
        self.client.wait(timeout=5)
        subprocess.run(["tmux", "-L", self.socket, "kill-server"], check=False, capture_output=True)
