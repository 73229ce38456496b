"""Build the frozen app: ``python build/build.py`` (with the ``build`` extra installed:
``pip install -e '.[build]'``).

- PyInstaller runs ``build/roadmaster.spec``: work files in ``.pyi-work/``, the
  one-folder bundle in ``dist/roadmaster/`` (``roadmaster``, or ``roadmaster.exe``
  plus the console twin ``roadmaster-cli.exe`` on Windows).
- Then the bundle is checked the way a player's copy would be: its size (under
  250 MB), ``--version`` (the project's version) and ``--self-test``.
- ``--package`` (Linux) makes ``dist/RoadMaster-<version>-linux-x86_64.tar.gz``: the
  bundle, ``install.sh`` and the desktop entry.
- ``--installer`` (Windows) compiles ``installer/roadmaster.iss`` with Inno Setup 6,
  passing the name, version and publisher from ``pyproject.toml``.

Every failure is one line and a non-zero exit.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import time
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SPEC = ROOT / "build" / "roadmaster.spec"
WORK = ROOT / ".pyi-work"
DIST = ROOT / "dist"
BUNDLE = DIST / "roadmaster"
ISS = ROOT / "installer" / "roadmaster.iss"
MAX_MB = 250
WINDOWS = sys.platform == "win32"


class BuildError(Exception):
    """What went wrong, in one line."""


def project() -> dict[str, str]:
    """Name, version, description and publisher from pyproject.toml."""
    with (ROOT / "pyproject.toml").open("rb") as fh:
        meta = tomllib.load(fh)["project"]
    authors = meta.get("authors") or [{}]
    return {
        "name": meta["name"],
        "version": meta["version"],
        "description": meta.get("description", ""),
        "publisher": authors[0].get("name", "RoadMaster"),
    }


def size_mb(folder: Path) -> float:
    total = sum(p.stat().st_size for p in folder.rglob("*") if p.is_file() and not p.is_symlink())
    return total / 1_000_000


def write_version_info(meta: dict[str, str]) -> Path:
    """The Windows version resource (Explorer's Details tab) for the spec."""
    numbers = [int(part) for part in meta["version"].split(".")[:4] if part.isdigit()]
    quad = tuple([*numbers, 0, 0, 0, 0][:4])
    strings = {
        "CompanyName": meta["publisher"],
        "FileDescription": "RoadMaster Desktop",
        "FileVersion": meta["version"],
        "InternalName": meta["name"],
        "OriginalFilename": f"{meta['name']}.exe",
        "ProductName": "RoadMaster Desktop",
        "ProductVersion": meta["version"],
    }
    entries = ",\n".join(f"          StringStruct({k!r}, {v!r})" for k, v in strings.items())
    text = f"""VSVersionInfo(
  ffi=FixedFileInfo(filevers={quad}, prodvers={quad}, mask=0x3f, flags=0x0, OS=0x40004,
                    fileType=0x1, subtype=0x0, date=(0, 0)),
  kids=[
    StringFileInfo([StringTable('040904B0', [
{entries}
    ])]),
    VarFileInfo([VarStruct('Translation', [1033, 1200])])
  ]
)
"""
    WORK.mkdir(parents=True, exist_ok=True)
    path = WORK / "version_info.txt"
    path.write_text(text, encoding="utf-8")
    return path


def check_environment() -> None:
    """The bundle freezes this interpreter and Qt binding: run the self-test here
    first (it includes the reference-count check that PySide6 6.12.0 on CPython 3.11
    fails), so that a bad combination stops the build in seconds, not after it."""
    done = subprocess.run(
        [sys.executable, "-m", "roadmaster", "--self-test"],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    if done.returncode != 0:
        lines = (done.stdout.strip() or done.stderr.strip()).splitlines()
        raise BuildError(
            "this Python environment fails the self-test, so its bundle would too: "
            + " / ".join(lines[-2:])
        )
    print(f"environment: Python {sys.version.split()[0]}, self-test passed")


def run_pyinstaller() -> None:
    try:
        import PyInstaller.__main__ as pyinstaller  # type: ignore[import-untyped]
    except ImportError as exc:
        raise BuildError(
            "PyInstaller is not installed: run `pip install -e '.[build]'` in this venv first"
        ) from exc
    args = [str(SPEC), "--workpath", str(WORK), "--distpath", str(DIST), "--noconfirm"]
    try:
        pyinstaller.run(args)
    except SystemExit as exc:
        if exc.code not in (None, 0):
            raise BuildError(f"PyInstaller failed (exit {exc.code}); its log is above") from exc


def executable(console: bool = True) -> Path:
    if WINDOWS:
        return BUNDLE / ("roadmaster-cli.exe" if console else "roadmaster.exe")
    return BUNDLE / "roadmaster"


def run_bundle(*args: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    env.pop("DISPLAY", None)  # the self-test needs no screen; prove it
    env.pop("WAYLAND_DISPLAY", None)
    return subprocess.run(
        [str(executable()), *args],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        check=False,
    )


def check_bundle(meta: dict[str, str], max_mb: float) -> None:
    exe = executable()
    if not exe.is_file():
        raise BuildError(f"the build produced no {exe}")
    mb = size_mb(BUNDLE)
    print(f"bundle: {BUNDLE} ({mb:.0f} MB)")
    if mb > max_mb:
        raise BuildError(f"the bundle is {mb:.0f} MB, over the {max_mb:.0f} MB limit")
    done = run_bundle("--version")
    expected = f"roadmaster {meta['version']}"
    if done.returncode != 0 or done.stdout.strip() != expected:
        raise BuildError(
            f"`{exe.name} --version` gave {done.stdout.strip() or done.stderr.strip()!r} "
            f"(exit {done.returncode}), expected {expected!r}"
        )
    print(f"--version: {done.stdout.strip()}")
    t0 = time.perf_counter()
    done = run_bundle("--self-test")
    wall = time.perf_counter() - t0
    print(done.stdout, end="")
    if done.returncode != 0:
        raise BuildError(
            f"the bundle's self-test failed (exit {done.returncode}): "
            f"{(done.stderr.strip() or done.stdout.strip()).splitlines()[-1:]}"
        )
    print(f"--self-test: passed, {wall:.2f} s including start-up")


def find_iscc() -> Path | None:
    found = shutil.which("ISCC") or shutil.which("iscc")
    if found:
        return Path(found)
    for env in ("ProgramFiles(x86)", "ProgramFiles", "LOCALAPPDATA"):
        base = os.environ.get(env)
        for sub in ("Inno Setup 6", "Programs/Inno Setup 6"):
            if base and (Path(base) / sub / "ISCC.exe").is_file():
                return Path(base) / sub / "ISCC.exe"
    return None


def compile_installer(meta: dict[str, str]) -> None:
    if not WINDOWS:
        raise BuildError(
            "the Windows installer is compiled on Windows (or, to check the script only, "
            "with installer/compile_windows.sh under wine)"
        )
    iscc = find_iscc()
    if iscc is None:
        raise BuildError("Inno Setup 6 is not installed: get it from https://jrsoftware.org")
    cmd = [
        str(iscc),
        f"/DAppVersion={meta['version']}",
        f"/DAppPublisher={meta['publisher']}",
        f"/DDistDir={BUNDLE}",
        f"/O{DIST}",
        str(ISS),
    ]
    if subprocess.run(cmd, check=False).returncode != 0:
        raise BuildError("Inno Setup failed; its messages are above")
    print(f"installer: {DIST / ('RoadMaster-Setup-' + meta['version'] + '.exe')}")


def package_linux(meta: dict[str, str]) -> Path:
    """What a Linux player downloads: the bundle with the install script and the
    desktop entry beside it (``./install.sh`` finds ``./roadmaster``)."""
    import tarfile

    top = f"RoadMaster-{meta['version']}-linux-x86_64"
    archive = DIST / f"{top}.tar.gz"
    with tarfile.open(archive, "w:gz", compresslevel=6) as tar:
        tar.add(BUNDLE, arcname=f"{top}/roadmaster")
        for name in ("install.sh", "roadmaster.desktop"):
            tar.add(ROOT / "installer" / "linux" / name, arcname=f"{top}/{name}")
    print(f"package: {archive} ({archive.stat().st_size / 1_000_000:.0f} MB)")
    return archive


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Build the RoadMaster bundle (and installer).")
    parser.add_argument(
        "--no-check", action="store_true", help="skip the size/--version/--self-test check"
    )
    parser.add_argument(
        "--check-only", action="store_true", help="check an existing dist/roadmaster"
    )
    parser.add_argument(
        "--installer", action="store_true", help="Windows: compile the Inno Setup installer"
    )
    parser.add_argument(
        "--package", action="store_true", help="Linux: also make the .tar.gz players download"
    )
    parser.add_argument("--max-mb", type=float, default=MAX_MB, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    meta = project()
    try:
        if not args.check_only:
            check_environment()
            t0 = time.perf_counter()
            if WINDOWS:
                write_version_info(meta)
            run_pyinstaller()
            print(f"built {meta['name']} {meta['version']} in {time.perf_counter() - t0:.0f} s")
        if not args.no_check:
            check_bundle(meta, args.max_mb)
        if args.installer:
            compile_installer(meta)
        if args.package:
            if WINDOWS:
                raise BuildError("--package makes the Linux archive; on Windows use --installer")
            package_linux(meta)
    except BuildError as exc:
        print(f"build: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
