"""Find American Truck Simulator and Euro Truck Simulator 2 in the player's Steam
libraries, and tell whether the scs-telemetry plugin is installed in them.

Steam lists its libraries in ``steamapps/libraryfolders.vdf``, a Valve KeyValues
text file: quoted keys and values, ``{ }`` for nested blocks, ``//`` comments.  The
parser here reads that format and nothing more (no ``#include``, no conditionals):
it is what Steam writes.

Everything is a pure function of paths passed in (``roots``), so tests run on a
fake tree; :func:`steam_roots` is the one place that knows where Steam usually
lives on Windows and Linux.
"""

from __future__ import annotations

import enum
import os
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final, TypeAlias

from roadmaster.telemetry.frame import Game

# A parsed KeyValues block: keys to strings or nested blocks.
VdfBlock: TypeAlias = "dict[str, str | VdfBlock]"

PLUGIN_DLL: Final = "scs-telemetry.dll"
# The native Linux builds of the games load shared objects from linux_x64; the
# plugin's Linux builds are named either way.
PLUGIN_SO: Final = ("scs-telemetry.so", "libscs-telemetry.so")
WINDOWS_PLUGIN_DIR: Final = ("bin", "win_x64", "plugins")
LINUX_PLUGIN_DIR: Final = ("bin", "linux_x64", "plugins")
PLUGIN_URL: Final = "https://github.com/RenCloud/scs-sdk-plugin/releases"
# Upstream is Windows-only; this fork builds the native Linux plugin, which publishes
# the same revision-12 layout as POSIX shared memory /dev/shm/SCSTelemetry.
LINUX_PLUGIN_URL: Final = "https://github.com/truckermudgeon/scs-sdk-plugin/releases"


def on_linux() -> bool:
    return sys.platform.startswith("linux")


def plugin_folder(game_dir: Path | str | None = None, *, linux: bool | None = None) -> str:
    """Where the plugin goes: the game's own folder when known."""
    parts = LINUX_PLUGIN_DIR if (on_linux() if linux is None else linux) else WINDOWS_PLUGIN_DIR
    if game_dir is None:
        return "<game folder>/" + "/".join(parts)
    return str(Path(game_dir).joinpath(*parts))


def plugin_install_text(
    game_dir: Path | str | None = None, *, linux: bool | None = None, brief: bool = False
) -> str:
    """How to install the plugin on this system: which file, from where, into which
    folder ("copy … into …", to follow "Install the telemetry plugin:").  ``brief``:
    just the file, the download page and the folder (a one-line banner)."""
    linux = on_linux() if linux is None else linux
    folder = plugin_folder(game_dir, linux=linux)
    if brief:
        kind, url = ("the native Linux plugin", LINUX_PLUGIN_URL) if linux else ("", PLUGIN_URL)
        name = PLUGIN_SO[0] if linux else PLUGIN_DLL
        what = f"{name} ({kind}, {url})" if kind else f"{name} ({url})"
        return f"copy {what} into {folder}"
    if linux:
        return (
            f"copy {PLUGIN_SO[0]}, the native Linux build of the telemetry plugin "
            f"({LINUX_PLUGIN_URL}), into {folder} (create the folder if needed) and play "
            "the native Linux version of the game; it publishes /dev/shm/SCSTelemetry, "
            "which RoadMaster reads"
        )
    return f"copy {PLUGIN_DLL} ({PLUGIN_URL}) into {folder} (create the folder if needed)"


@dataclass(frozen=True, slots=True)
class SteamGame:
    """One game RoadMaster supports, as Steam knows it."""

    game: Game
    app_id: str
    name: str  # also the folder under steamapps/common


GAMES: Final = (
    SteamGame(Game.ATS, "270880", "American Truck Simulator"),
    SteamGame(Game.ETS2, "227300", "Euro Truck Simulator 2"),
)


class VdfError(ValueError):
    """A KeyValues text that cannot be parsed; the message names the line."""


# --- KeyValues text -------------------------------------------------------------------

_ESCAPES: Final = {"n": "\n", "t": "\t", "\\": "\\", '"': '"'}


def _tokens(text: str) -> Iterable[tuple[str, str, int]]:
    """Yield (kind, value, line): kind is "str" for a key or value, "{" or "}"."""
    i, line, n = 0, 1, len(text)
    while i < n:
        ch = text[i]
        if ch == "\n":
            line += 1
            i += 1
        elif ch.isspace():
            i += 1
        elif text.startswith("//", i):
            end = text.find("\n", i)
            i = n if end < 0 else end
        elif ch in "{}":
            yield ch, ch, line
            i += 1
        elif ch == '"':
            start_line = line
            out: list[str] = []
            i += 1
            while True:
                if i >= n:
                    raise VdfError(f"line {start_line}: a quoted string is never closed")
                ch = text[i]
                if ch == '"':
                    i += 1
                    break
                if ch == "\\" and i + 1 < n:
                    # Steam writes Windows paths with doubled backslashes ("D:\\Games").
                    out.append(_ESCAPES.get(text[i + 1], "\\" + text[i + 1]))
                    i += 2
                    continue
                if ch == "\n":
                    line += 1
                out.append(ch)
                i += 1
            yield "str", "".join(out), start_line
        else:
            # Unquoted token: runs to whitespace, a brace or a quote.
            start = i
            while i < n and not text[i].isspace() and text[i] not in '{}"':
                i += 1
            yield "str", text[start:i], line


def parse_vdf(text: str) -> VdfBlock:
    """Parse Valve KeyValues text into nested dicts of strings.

    Keys are kept as written; a repeated key keeps its last value, except that two
    blocks of the same key are merged (Steam never repeats keys in the files read
    here, but a hand-edited file may).  Raises :class:`VdfError` on malformed text."""
    root: VdfBlock = {}
    stack: list[VdfBlock] = [root]
    pending_key: str | None = None
    pending_line = 0
    for kind, value, line in _tokens(text.lstrip("\ufeff")):
        if kind == "str":
            if pending_key is None:
                pending_key, pending_line = value, line
            else:
                stack[-1][pending_key] = value
                pending_key = None
        elif kind == "{":
            if pending_key is None:
                raise VdfError(f"line {line}: '{{' without a key before it")
            existing = stack[-1].get(pending_key)
            block: VdfBlock = existing if isinstance(existing, dict) else {}
            stack[-1][pending_key] = block
            stack.append(block)
            pending_key = None
        else:  # "}"
            if pending_key is not None:
                raise VdfError(f"line {pending_line}: key {pending_key!r} has no value")
            if len(stack) == 1:
                raise VdfError(f"line {line}: '}}' without a matching '{{'")
            stack.pop()
    if pending_key is not None:
        raise VdfError(f"line {pending_line}: key {pending_key!r} has no value")
    if len(stack) != 1:
        raise VdfError("the text ends inside a block: a '}' is missing")
    return root


# --- Steam roots and libraries -----------------------------------------------------------


def _windows_registry_steam_path() -> Path | None:
    """HKCU\\Software\\Valve\\Steam\\SteamPath, where Steam records its own folder."""
    if sys.platform != "win32":
        return None
    import winreg

    try:
        with winreg.OpenKey(winreg.HKEY_CURRENT_USER, r"Software\Valve\Steam") as key:
            value, _kind = winreg.QueryValueEx(key, "SteamPath")
    except OSError:
        return None
    return Path(str(value)) if value else None


def steam_roots(
    *,
    platform: str | None = None,
    home: Path | None = None,
    env: Mapping[str, str] | None = None,
    registry: Callable[[], Path | None] = _windows_registry_steam_path,
) -> list[Path]:
    """The Steam installations that exist on this machine, most likely first,
    without duplicates (``~/.steam/steam`` is usually a symlink to another root)."""
    platform = platform or sys.platform
    home = home or Path.home()
    env = os.environ if env is None else env
    candidates: list[Path] = []
    if platform == "win32":
        from_registry = registry()
        if from_registry is not None:
            candidates.append(from_registry)
        for var in ("ProgramFiles(x86)", "ProgramFiles"):
            base = env.get(var)
            if base:
                candidates.append(Path(base) / "Steam")
        candidates.append(Path("C:/Program Files (x86)/Steam"))
    else:
        candidates += [
            home / ".steam" / "steam",
            home / ".local" / "share" / "Steam",
            home / ".steam" / "root",
            home / ".var" / "app" / "com.valvesoftware.Steam" / ".local" / "share" / "Steam",
        ]
    found: list[Path] = []
    seen: set[Path] = set()
    for path in candidates:
        if not (path / "steamapps").is_dir():
            continue
        real = path.resolve()
        if real not in seen:
            seen.add(real)
            found.append(path)
    return found


@dataclass(frozen=True, slots=True)
class Library:
    path: Path
    app_ids: frozenset[str]  # what libraryfolders.vdf says is installed there (may be empty)


def read_libraries(steam_root: Path) -> list[Library]:
    """The libraries listed in ``steam_root/steamapps/libraryfolders.vdf``, plus the
    root itself (always a library, even when the file is missing or unreadable).

    Both layouts are read: the current one (``"0" { "path" "…" "apps" { … } }``) and
    the pre-2021 one (``"1" "D:\\\\SteamLibrary"``)."""
    libraries: dict[Path, Library] = {steam_root: Library(steam_root, frozenset())}
    vdf = steam_root / "steamapps" / "libraryfolders.vdf"
    try:
        data = parse_vdf(vdf.read_text(encoding="utf-8", errors="replace"))
    except (OSError, VdfError):
        return list(libraries.values())
    top = data.get("libraryfolders") or data.get("LibraryFolders") or {}
    if not isinstance(top, dict):
        return list(libraries.values())
    for key, entry in top.items():
        if not key.isdigit():
            continue  # "contentstatsid" and friends
        if isinstance(entry, str):
            path, apps = Path(entry), frozenset[str]()
        else:
            raw = entry.get("path")
            if not isinstance(raw, str) or not raw:
                continue
            apps_block = entry.get("apps")
            apps = frozenset(apps_block) if isinstance(apps_block, dict) else frozenset()
            path = Path(raw)
        same_as_root = path == steam_root or (
            path.exists() and steam_root.exists() and path.resolve() == steam_root.resolve()
        )
        if same_as_root:
            path = steam_root
        old = libraries.get(path)
        libraries[path] = Library(path, apps | (old.app_ids if old else frozenset()))
    return list(libraries.values())


# --- games and the plugin ----------------------------------------------------------------


class PluginState(enum.StrEnum):
    INSTALLED = "installed"  # the Windows DLL (what Proton and Windows load)
    INSTALLED_LINUX = "installed-linux"  # only a native Linux build of the plugin
    MISSING = "missing"


@dataclass(frozen=True, slots=True)
class GameInstall:
    game: Game
    app_id: str
    name: str
    path: Path  # steamapps/common/<name>
    plugin: PluginState
    plugin_path: Path  # where the plugin is, or where it must go

    @property
    def plugin_installed(self) -> bool:
        return self.plugin is not PluginState.MISSING


def plugin_state(game_dir: Path) -> tuple[PluginState, Path]:
    """Whether ``game_dir`` has the telemetry plugin, and its (expected) path."""
    dll = game_dir.joinpath(*WINDOWS_PLUGIN_DIR, PLUGIN_DLL)
    if dll.is_file():
        return PluginState.INSTALLED, dll
    linux_dir = game_dir.joinpath(*LINUX_PLUGIN_DIR)
    for name in PLUGIN_SO:
        if (linux_dir / name).is_file():
            return PluginState.INSTALLED_LINUX, linux_dir / name
    return PluginState.MISSING, dll


def find_games(roots: Sequence[Path] | None = None) -> list[GameInstall]:
    """Every installed copy of ATS and ETS2 in the Steam libraries under ``roots``
    (default: :func:`steam_roots`).  A game counts as installed when its folder
    under ``steamapps/common`` exists, whatever the vdf says: the vdf's app list is
    only refreshed by Steam, and a copied-in game folder is just as playable."""
    roots = steam_roots() if roots is None else roots
    found: list[GameInstall] = []
    seen: set[Path] = set()
    for root in roots:
        for library in read_libraries(root):
            for spec in GAMES:
                game_dir = library.path / "steamapps" / "common" / spec.name
                if not game_dir.is_dir():
                    continue
                key = game_dir.resolve()
                if key in seen:
                    continue
                seen.add(key)
                state, plugin = plugin_state(game_dir)
                found.append(
                    GameInstall(spec.game, spec.app_id, spec.name, game_dir, state, plugin)
                )
    return found


def describe_installs(
    installs: Sequence[GameInstall], *, roots_found: bool = True, linux: bool | None = None
) -> str:
    """What the Game check tells the user: what was found and, where the plugin is
    missing, exactly what to do on this system (``linux``: default, this one)."""
    if not installs:
        where = (
            "No Steam library on this computer holds ATS or ETS2"
            if roots_found
            else "Steam was not found in its usual places"
        )
        return (
            f"{where}. If the game is installed elsewhere, "
            f"{plugin_install_text(linux=linux)}; or choose a telemetry file path above."
        )
    lines: list[str] = []
    for inst in installs:
        if inst.plugin is PluginState.INSTALLED:
            lines.append(f"✔ {inst.name}: plugin installed ({inst.plugin_path}).")
        elif inst.plugin is PluginState.INSTALLED_LINUX:
            lines.append(
                f"✔ {inst.name}: Linux plugin installed ({inst.plugin_path}); it works with "
                "the native Linux game. If you play the Windows version through Proton, "
                f"also put {PLUGIN_DLL} into {inst.plugin_path.parents[1] / 'win_x64' / 'plugins'}."
            )
        else:
            lines.append(
                f"✘ {inst.name}: the telemetry plugin is missing: "
                f"{plugin_install_text(inst.path, linux=linux)}. Then restart the game "
                "(answer OK when it asks about the advanced SDK features)."
            )
    return "\n".join(lines)
