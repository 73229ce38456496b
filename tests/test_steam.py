"""Finding ATS/ETS2 in Steam libraries: a fake Steam tree with a real libraryfolders.vdf."""

from __future__ import annotations

from pathlib import Path

import pytest

from roadmaster.steam import (
    PLUGIN_DLL,
    PluginState,
    VdfError,
    describe_installs,
    find_games,
    parse_vdf,
    read_libraries,
    steam_roots,
)
from roadmaster.telemetry.frame import Game

# What Steam writes today (tabs, doubled backslashes on Windows paths, an "apps" block).
LIBRARYFOLDERS = r"""
"libraryfolders"
{
	"0"
	{
		"path"		"{root}"
		"label"		""
		"contentid"		"4812336154286367839"
		"totalsize"		"0"
		"apps"
		{
			"228980"		"239203211"
			"227300"		"12433812345"
		}
	}
	"1"
	{
		"path"		"{second}"
		"label"		"Games \"fast\" disk"
		"apps"
		{
			"270880"		"9876543210"
		}
	}
}
"""


def _steam_tree(tmp_path: Path, *, ats_plugin: bool = False) -> tuple[Path, Path]:
    root = tmp_path / "home" / ".local" / "share" / "Steam"
    second = tmp_path / "SteamLibrary"
    (root / "steamapps" / "common" / "Euro Truck Simulator 2" / "bin" / "win_x64").mkdir(
        parents=True
    )
    ats = second / "steamapps" / "common" / "American Truck Simulator"
    (ats / "bin" / "win_x64" / "plugins").mkdir(parents=True)
    if ats_plugin:
        (ats / "bin" / "win_x64" / "plugins" / PLUGIN_DLL).write_bytes(b"MZ")
    text = LIBRARYFOLDERS.replace("{root}", str(root).replace("\\", "\\\\")).replace(
        "{second}", str(second).replace("\\", "\\\\")
    )
    (root / "steamapps" / "libraryfolders.vdf").write_text(text, encoding="utf-8")
    return root, second


def test_parse_vdf_nested_blocks_escapes_and_comments() -> None:
    data = parse_vdf(
        '// a comment\n"a"\n{\n  "b" "C:\\\\Steam"  // trailing\n  "q" "say \\"hi\\""\n'
        '  "inner" { "x" "1" }\n  bare value\n}\n'
    )
    assert data == {"a": {"b": "C:\\Steam", "q": 'say "hi"', "inner": {"x": "1"}, "bare": "value"}}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('"a" { "b" "c"', "a '}' is missing"),
        ('"a" "b" }', "without a matching"),
        ('"a" { "b" }', "line 1: key 'b' has no value"),
        ('"a" "unterminated', "never closed"),
        ('{ "a" "b" }', "without a key"),
    ],
)
def test_parse_vdf_reports_malformed_text(text: str, message: str) -> None:
    with pytest.raises(VdfError, match=message):
        parse_vdf(text)


def test_read_libraries_lists_the_root_and_the_second_library(tmp_path: Path) -> None:
    root, second = _steam_tree(tmp_path)
    libraries = {lib.path: lib.app_ids for lib in read_libraries(root)}
    assert set(libraries) == {root, second}
    assert "227300" in libraries[root]
    assert libraries[second] == frozenset({"270880"})


def test_read_libraries_understands_the_old_flat_layout(tmp_path: Path) -> None:
    root = tmp_path / "Steam"
    (root / "steamapps").mkdir(parents=True)
    other = tmp_path / "D drive" / "SteamLibrary"
    (root / "steamapps" / "libraryfolders.vdf").write_text(
        f'"LibraryFolders"\n{{\n\t"TimeNextStatsReport"\t"1"\n\t"1"\t"{other}"\n}}\n'
    )
    assert [lib.path for lib in read_libraries(root)] == [root, other]


def test_a_corrupt_vdf_still_searches_the_steam_root(tmp_path: Path) -> None:
    root, _second = _steam_tree(tmp_path)
    (root / "steamapps" / "libraryfolders.vdf").write_text('"libraryfolders" {')
    games = find_games([root])
    assert [g.game for g in games] == [Game.ETS2]


def test_find_games_in_both_libraries_and_check_the_plugin(tmp_path: Path) -> None:
    root, second = _steam_tree(tmp_path, ats_plugin=True)
    games = {g.game: g for g in find_games([root])}
    assert set(games) == {Game.ATS, Game.ETS2}
    ats, ets2 = games[Game.ATS], games[Game.ETS2]
    assert ats.app_id == "270880" and ets2.app_id == "227300"
    assert ats.plugin is PluginState.INSTALLED and ats.plugin_installed
    assert ats.path == second / "steamapps" / "common" / "American Truck Simulator"
    assert not ets2.plugin_installed
    assert ets2.plugin_path == ets2.path / "bin" / "win_x64" / "plugins" / PLUGIN_DLL

    text = describe_installs(list(games.values()), linux=False)
    assert "✔ American Truck Simulator: plugin installed" in text
    assert "✘ Euro Truck Simulator 2: the telemetry plugin is missing" in text
    # What to do, with the exact folder to create.
    assert str(ets2.path / "bin" / "win_x64" / "plugins") in text
    assert "restart the game" in text


def test_linux_native_plugin_counts_as_installed(tmp_path: Path) -> None:
    root, _ = _steam_tree(tmp_path)
    plugins = root / "steamapps/common/Euro Truck Simulator 2/bin/linux_x64/plugins"
    plugins.mkdir(parents=True)
    (plugins / "libscs-telemetry.so").write_bytes(b"\x7fELF")
    (ets2,) = [g for g in find_games([root]) if g.game is Game.ETS2]
    assert ets2.plugin is PluginState.INSTALLED_LINUX
    assert "Proton" in describe_installs([ets2])


def test_no_games_found_says_what_to_do() -> None:
    assert "Steam was not found" in describe_installs([], roots_found=False)
    assert "scs-telemetry.dll" in describe_installs([], linux=False)
    assert "bin/win_x64/plugins" in describe_installs([], linux=False)


def test_on_linux_the_native_plugin_its_file_and_folder_are_named(tmp_path: Path) -> None:
    """A Linux player was told to copy a .dll into bin/win_x64/plugins."""
    root, _ = _steam_tree(tmp_path)
    (ets2,) = [g for g in find_games([root]) if g.game is Game.ETS2]
    for text in (describe_installs([ets2], linux=True), describe_installs([], linux=True)):
        assert "scs-telemetry.so" in text and "native Linux" in text
        assert "bin/linux_x64/plugins" in text and "/dev/shm/SCSTelemetry" in text
        assert ".dll" not in text and "win_x64" not in text
    assert str(ets2.path / "bin" / "linux_x64" / "plugins") in describe_installs([ets2], linux=True)


def test_steam_roots_on_linux_include_flatpak_and_skip_symlink_duplicates(
    tmp_path: Path,
) -> None:
    home = tmp_path / "home"
    native = home / ".local" / "share" / "Steam"
    (native / "steamapps").mkdir(parents=True)
    (home / ".steam").mkdir()
    (home / ".steam" / "steam").symlink_to(native)  # what Steam's installer does
    flatpak = home / ".var/app/com.valvesoftware.Steam/.local/share/Steam"
    (flatpak / "steamapps").mkdir(parents=True)
    roots = steam_roots(platform="linux", home=home, env={})
    assert roots == [home / ".steam" / "steam", flatpak]


def test_steam_roots_on_windows_use_the_registry_then_program_files(tmp_path: Path) -> None:
    from_registry = tmp_path / "Games" / "Steam"
    (from_registry / "steamapps").mkdir(parents=True)
    program_files = tmp_path / "PF86"
    (program_files / "Steam" / "steamapps").mkdir(parents=True)
    roots = steam_roots(
        platform="win32",
        home=tmp_path,
        env={"ProgramFiles(x86)": str(program_files)},
        registry=lambda: from_registry,
    )
    assert roots == [from_registry, program_files / "Steam"]


def test_the_same_library_listed_from_two_roots_is_reported_once(tmp_path: Path) -> None:
    root, _ = _steam_tree(tmp_path)
    games = find_games([root, root])
    assert sorted(g.game for g in games) == [Game.ATS, Game.ETS2]
