#!/usr/bin/env bash
# Compile installer/roadmaster.iss with Inno Setup 6 under wine, on Linux: a check of
# the installer script (syntax, sections, [Code], the defines build.py passes), not
# a release build.  Not part of CI (wine is large and slow to start).
#
#   installer/compile_windows.sh [DIST_DIR]
#
# DIST_DIR is a Windows bundle (dist\roadmaster from a Windows build).  Without one, a
# placeholder bundle of the same shape (empty roadmaster.exe, roadmaster-cli.exe,
# _internal\) is compiled, which checks the script but makes no usable installer.
#
# Needs: wine with 32-bit support (Debian: dpkg --add-architecture i386; apt-get
# install wine wine32:i386) and npm (Inno Setup's compiler comes from the npm package
# "innosetup", installed into .pyi-work/innosetup on first use).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
work=$root/.pyi-work/innosetup
out=$root/.pyi-work/installer-check

command -v wine >/dev/null || { echo "compile_windows: wine is not installed" >&2; exit 1; }
command -v npm >/dev/null || { echo "compile_windows: npm is not installed" >&2; exit 1; }

iscc=$work/node_modules/innosetup/bin/ISCC.exe
if [ ! -f "$iscc" ]; then
  mkdir -p "$work"
  npm install --prefix "$work" --no-audit --no-fund --silent innosetup@6 >/dev/null
fi

read -r version publisher < <(python3 - <<'EOF'
import tomllib
meta = tomllib.load(open("pyproject.toml", "rb"))["project"]
print(meta["version"], (meta.get("authors") or [{}])[0].get("name", "RoadMaster"))
EOF
)

dist=${1:-}
if [ -z "$dist" ]; then
  dist=$out/placeholder/roadmaster
  rm -rf "$out/placeholder"
  mkdir -p "$dist/_internal/resources/icons"
  : > "$dist/roadmaster.exe"
  : > "$dist/roadmaster-cli.exe"
  cp resources/icons/roadmaster.ico "$dist/_internal/resources/icons/"
  echo "compile_windows: no Windows bundle given; compiling against a placeholder"
fi
[ -f "$dist/roadmaster.exe" ] || { echo "compile_windows: $dist has no roadmaster.exe" >&2; exit 1; }
mkdir -p "$out"

export WINEDEBUG=-all WINEPREFIX=${WINEPREFIX:-$work/wineprefix}
rm -f "$out/RoadMaster-Setup-$version.exe"
wine "$iscc" /Q \
  "/DAppVersion=$version" "/DAppPublisher=$publisher" \
  "/DDistDir=$(winepath -w "$dist")" "/O$(winepath -w "$out")" \
  "$(winepath -w "$root/installer/roadmaster.iss")"
setup=$out/RoadMaster-Setup-$version.exe
if [ ! -f "$setup" ]; then
  echo "compile_windows: Inno Setup made no installer (ISCC.exe is a 32-bit program: does" \
    "this wine run 32-bit programs? Debian needs wine32:i386)" >&2
  exit 1
fi
echo "compile_windows: $setup ($(du -h "$setup" | cut -f1))"
