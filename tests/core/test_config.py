"""The personal config file is read only when it is a small regular file, and never waited on."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from pathlib import Path

import pytest

from kpitui.cli import main
from kpitui.io.config import config_path, load_config, remember_theme
from kpitui.model.domain import TreeLoadError
from tests.conftest import SAMPLES

WEBSHOP = str(SAMPLES / "webshop.toml")


def place() -> Path:
    path = config_path()  # under the test's own XDG_CONFIG_HOME (tests/conftest.py)
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


def within(seconds: float, run: Callable[[], object]) -> BaseException | None:
    """Run `run` in a daemon thread; the exception it raised (None if none), or fail if it is still waiting."""
    raised: list[BaseException | None] = []

    def target() -> None:
        try:
            run()
        except BaseException as exc:  # handed to the test
            raised.append(exc)
        else:
            raised.append(None)

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    thread.join(seconds)
    if thread.is_alive():
        pytest.fail(f"still waiting after {seconds} s")
    return raised[0]


def test_a_config_nested_too_deep_is_refused_at_its_line(capsys: pytest.CaptureFixture[str]) -> None:
    # The standard library's TOML reader recurses once per level: RecursionError, exit 3.
    path = place()
    path.write_text('theme = "nord"\n\nx = ' + "[" * 5000 + "]" * 5000 + "\n", encoding="utf-8")
    assert main(["check", WEBSHOP]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"{path}:3: nests arrays or tables deeper than the TOML reader can read")
    assert "internal error" not in err


def test_a_config_that_is_a_device_is_refused_not_read_without_end(capsys: pytest.CaptureFixture[str]) -> None:
    # A symlink to /dev/zero was read until memory ran out: MemoryError, exit 3.
    place().symlink_to("/dev/zero")
    assert main(["check", WEBSHOP]) == 2
    err = capsys.readouterr().err
    assert f"{config_path()}: cannot be read: it is not a regular file (a pipe, a device or a folder)" in err


def test_a_config_that_is_a_fifo_is_refused_at_once() -> None:
    # Opening a FIFO for reading waits for a writer: `kpitui check` hung.
    os.mkfifo(place())
    raised = within(10, load_config)
    assert isinstance(raised, TreeLoadError)
    assert "it is not a regular file" in str(raised.errors[0])
    assert isinstance(within(10, lambda: remember_theme("nord")), OSError)


def test_a_config_bigger_than_a_mebibyte_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    place().write_text("# settings\n" + "#" * (1 << 20) + "\n", encoding="utf-8")
    assert main(["check", WEBSHOP]) == 2
    assert "cannot be read: it is more than 1 MiB" in capsys.readouterr().err


def test_a_small_config_with_long_comments_is_read() -> None:
    place().write_text('fail_on = "error"\n# ' + "." * 500 + "\n" + "# x\n" * 10_000, encoding="utf-8")
    assert load_config().fail_on == "error"
