"""The config file: theme (remembered from the palette), keymap by binding id, default --fail-on."""

from __future__ import annotations

from pathlib import Path

import pytest

from kpitui.cli import main
from kpitui.io.config import config_path, load_config, remember_theme
from kpitui.model.domain import TreeLoadError
from kpitui.tui.app import make_app
from tests.conftest import SAMPLES

SIZE = (100, 30)


def write_config(text: str) -> Path:
    path = config_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_the_config_lives_under_xdg_config_home(tmp_path: Path) -> None:
    assert config_path() == tmp_path / "config" / "kpitui" / "config.toml"
    assert load_config().theme is None  # no file: defaults


async def test_theme_and_keymap_from_the_config(samples: Path) -> None:
    write_config('theme = "nord"\n\n[keymap]\n"app.search" = "ctrl+f"\n')
    app = make_app(samples / "sales.toml", config=load_config())
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert app.theme == "nord"
        await pilot.press("ctrl+f")
        await pilot.pause()
        assert app.main.query_one("#search").display  # the search box opened on the remapped key


async def test_a_theme_picked_later_is_remembered_keeping_the_rest(samples: Path) -> None:
    path = write_config('# my settings\ntheme = "nord"\nfail_on = "error"\n\n[keymap]\n"app.search" = "ctrl+f"\n')
    app = make_app(samples / "sales.toml", config=load_config())
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        app.theme = "gruvbox"  # what the palette's "Change theme" does
        await pilot.pause()
    assert path.read_text(encoding="utf-8") == (
        '# my settings\ntheme = "gruvbox"\nfail_on = "error"\n\n[keymap]\n"app.search" = "ctrl+f"\n'
    )


def test_picking_a_theme_keeps_the_comment_on_its_line() -> None:
    # The whole `theme = ...` line was rewritten, and the comment on it was lost.
    path = write_config('theme = "nord"   # dark, for the office\n  theme2 = 1\n')
    remember_theme("gruvbox")
    assert path.read_text(encoding="utf-8") == 'theme = "gruvbox"   # dark, for the office\n  theme2 = 1\n'
    path.write_text("theme = 'a#b' # quoted '#'\r\n[keymap]\n", encoding="utf-8")
    remember_theme("nord")
    assert path.read_bytes() == b"theme = \"nord\" # quoted '#'\r\n[keymap]\n"


async def test_a_keymap_id_no_binding_has_is_named_with_the_nearest(samples: Path) -> None:
    # Textual's set_keymap passes over an id it does not know: a typo silently did nothing.
    path = write_config('[keymap]\n"app.serach" = "ctrl+f"\n"tree.down" = "ctrl+n"\n"zzz" = "x"\n')
    app = make_app(samples / "sales.toml", config=load_config())
    async with app.run_test(size=SIZE) as pilot:
        for _ in range(100):
            await pilot.pause(0.05)
            notes = [n for n in app._notifications if n.title == "Keymap"]
            if notes:
                break
        assert [(n.message, n.severity) for n in notes] == [
            (
                f"{path} [keymap]: 'app.serach' is no binding's id (did you mean 'app.search'?); 'zzz' is no "
                "binding's id. `?` lists the ids.",
                "warning",
            )
        ]


async def test_a_keymap_of_known_ids_says_nothing(samples: Path) -> None:
    write_config('[keymap]\n"app.search" = "ctrl+f"\n')
    app = make_app(samples / "sales.toml", config=load_config())
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause(0.5)
        assert not [n for n in app._notifications if n.title == "Keymap"]


async def test_the_theme_flag_wins_for_one_run_and_is_not_written(samples: Path) -> None:
    path = write_config('theme = "nord"\n')
    app = make_app(samples / "sales.toml", theme="dracula", config=load_config())
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert app.theme == "dracula"
    assert path.read_text(encoding="utf-8") == 'theme = "nord"\n'


async def test_an_unknown_theme_is_named_not_fatal(samples: Path) -> None:
    app = make_app(samples / "sales.toml", theme="no-such-theme")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert app.theme == "textual-dark"
        assert any("Unknown theme 'no-such-theme'" in str(n.message) for n in app._notifications)


async def test_a_first_theme_choice_creates_the_config(samples: Path) -> None:
    app = make_app(samples / "sales.toml", config=load_config())
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        app.theme = "nord"
        await pilot.pause()
    assert config_path().read_text(encoding="utf-8") == 'theme = "nord"\n'


async def test_screenshots_go_to_the_current_folder_without_downloads(
    samples: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.delenv("XDG_DOWNLOAD_DIR", raising=False)
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    app = make_app(samples / "sales.toml")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        app.deliver_screenshot()
        for _ in range(20):
            await pilot.pause(0.05)
            if list(work.glob("*.svg")):
                break
        await pilot.pause(0.2)
        (shot,) = work.glob("*.svg")
        assert "<svg" in shot.read_text(encoding="utf-8")
        assert any(str(shot) in str(n.message) for n in app._notifications)


def test_check_ignores_a_personal_fail_on(capsys: pytest.CaptureFixture[str]) -> None:
    # What fails a check is the project's to decide (tests/cli/test_project_config.py), not one person's.
    tree = str(SAMPLES / "spijkerfabriek.toml")  # warnings, no errors
    assert main(["check", tree, "--format", "json"]) == 1  # warnings fail by default
    path = write_config('fail_on = "error"\n')
    assert main(["check", tree, "--format", "json"]) == 1
    assert f"kpitui: {path}: fail_on is ignored there" in capsys.readouterr().err
    assert main(["check", tree, "--format", "json", "--fail-on", "error"]) == 0


def test_a_wrong_config_is_a_clear_error(capsys: pytest.CaptureFixture[str]) -> None:
    path = write_config('theme = "nord"\nfail_on = "sometimes"\ncolour = 1\n')
    with pytest.raises(TreeLoadError) as info:
        load_config()
    assert [str(e) for e in info.value.errors] == [
        f"{path}:3: unknown setting `colour`; known: theme, fail_on, keymap",
        f"{path}:2: `fail_on` is 'sometimes'; use one of: error | warning | info | never",
    ]
    assert main(["check", str(SAMPLES / "sales.toml")]) == 2
    assert f"{path}:2: `fail_on` is 'sometimes'" in capsys.readouterr().err
