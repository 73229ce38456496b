"""The Linux install script installs a bundle for the current user and removes it
again without touching the player's data; the Windows script carries the project's
metadata.  (The bundle here is a stand-in folder with the same shape: building the
real one takes a minute, and CI checks that one with --self-test.)"""

import configparser
import os
import shutil
import subprocess
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
INSTALL = ROOT / "installer" / "linux" / "install.sh"
ICONS = ROOT / "resources" / "icons"


def _bundle(tmp_path: Path) -> Path:
    bundle = tmp_path / "download" / "roadmaster"
    icons = bundle / "_internal" / "resources" / "icons"
    icons.mkdir(parents=True)
    for name in ("roadmaster.svg", "roadmaster-256.png"):
        shutil.copy(ICONS / name, icons / name)
    exe = bundle / "roadmaster"
    exe.write_text('#!/bin/sh\necho "roadmaster 9.9.9 $*"\n')
    exe.chmod(0o755)
    return bundle


def _run(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {"HOME": str(home), "PATH": "/usr/bin:/bin"}
    return subprocess.run(
        ["sh", str(INSTALL), *args], env=env, capture_output=True, text=True, check=False
    )


def _desktop(path: Path) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read(path)
    return parser


def test_install_puts_the_app_in_the_menu_and_on_the_path(tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    bundle = _bundle(tmp_path)
    done = _run(home, str(bundle))
    assert done.returncode == 0, done.stderr
    assert "installed roadmaster 9.9.9 --version" in done.stdout
    assert "add " in done.stdout and "to your PATH" in done.stdout

    installed = home / ".local" / "lib" / "roadmaster"
    link = home / ".local" / "bin" / "roadmaster"
    assert link.is_symlink() and link.resolve() == (installed / "roadmaster").resolve()
    out = subprocess.run([str(link), "watch"], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "roadmaster 9.9.9 watch"

    entry = _desktop(home / ".local/share/applications/roadmaster.desktop")
    main = entry["Desktop Entry"]
    assert main["Exec"] == f'"{installed}/roadmaster"'
    assert main["Icon"] == "roadmaster" and main["Type"] == "Application"
    assert entry["Desktop Action demo"]["Exec"] == f'"{installed}/roadmaster" --demo'
    hicolor = home / ".local/share/icons/hicolor"
    assert (hicolor / "scalable/apps/roadmaster.svg").read_bytes() == (
        ICONS / "roadmaster.svg"
    ).read_bytes()
    assert (hicolor / "256x256/apps/roadmaster.png").is_file()
    assert not (home / ".config/autostart/roadmaster.desktop").exists()


def test_autostart_minimised_and_uninstall_keeps_the_players_data(tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    data = home / ".local/share/RoadMaster"
    data.mkdir(parents=True)
    (data / "roadmaster.db").write_bytes(b"the job log")
    bundle = _bundle(tmp_path)

    assert _run(home, "--autostart", "--minimised", str(bundle)).returncode == 0
    installed = home / ".local/lib/roadmaster"
    auto = _desktop(home / ".config/autostart/roadmaster.desktop")["Desktop Entry"]
    assert auto["Exec"] == f'"{installed}/roadmaster" --minimised'

    # an upgrade without --autostart removes the autostart entry
    assert _run(home, str(bundle)).returncode == 0
    assert not (home / ".config/autostart/roadmaster.desktop").exists()

    done = _run(home, "--uninstall")
    assert done.returncode == 0, done.stderr
    assert "your data in" in done.stdout
    assert not installed.exists()
    assert not (home / ".local/bin/roadmaster").exists()
    assert not (home / ".local/share/applications/roadmaster.desktop").exists()
    assert (data / "roadmaster.db").read_bytes() == b"the job log"


def test_a_folder_that_is_not_a_bundle_is_refused_in_one_line(tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    done = _run(home, str(tmp_path))
    assert done.returncode == 1
    assert done.stderr.strip().splitlines() == [
        f"roadmaster install: {tmp_path} holds no roadmaster executable: pass the bundle "
        "folder (dist/roadmaster)"
    ]
    assert not (home / ".local").exists()


def test_the_windows_installer_is_per_user_and_carries_the_projects_metadata():
    iss = (ROOT / "installer" / "roadmaster.iss").read_text()
    assert "PrivilegesRequired=lowest" in iss
    assert 'ValueData: """{app}\\{#AppExe}"" --minimised"' in iss
    assert "Software\\Microsoft\\Windows\\CurrentVersion\\Run" in iss
    build = (ROOT / "build" / "build.py").read_text()
    assert "/DAppVersion=" in build and "/DAppPublisher=" in build
    with (ROOT / "pyproject.toml").open("rb") as fh:
        meta = tomllib.load(fh)["project"]
    assert meta["authors"][0]["name"]


@pytest.mark.skipif(os.name != "posix", reason="a POSIX shell script")
def test_the_script_is_executable():
    assert os.access(INSTALL, os.X_OK)
