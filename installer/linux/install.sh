#!/bin/sh
# Install the RoadMaster bundle for the current user (no root needed):
#   the bundle      -> ~/.local/lib/roadmaster/
#   the command     -> ~/.local/bin/roadmaster (a symlink)
#   the menu entry  -> ~/.local/share/applications/roadmaster.desktop
#   the icon        -> ~/.local/share/icons/hicolor/{scalable,256x256}/apps/
#
#   ./install.sh [--autostart [--minimised]] [BUNDLE]   install or upgrade
#   ./install.sh --uninstall                            remove it; your data stays
#
# BUNDLE is the folder holding the `roadmaster` executable (default: ./roadmaster
# beside this script, else ../../dist/roadmaster in a source checkout).
# --autostart starts RoadMaster when you log in (~/.config/autostart); --minimised
# starts it minimised to the tray there.  Your data (~/.local/share/RoadMaster) is
# never touched, not even by --uninstall.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
data_home=${XDG_DATA_HOME:-$HOME/.local/share}
config_home=${XDG_CONFIG_HOME:-$HOME/.config}
prefix=$HOME/.local/lib/roadmaster
bin_dir=$HOME/.local/bin
apps_dir=$data_home/applications
icons_dir=$data_home/icons/hicolor
autostart_file=$config_home/autostart/roadmaster.desktop

say() { printf 'roadmaster install: %s\n' "$*"; }
fail() { printf 'roadmaster install: %s\n' "$*" >&2; exit 1; }

refresh_menus() {
  command -v update-desktop-database >/dev/null 2>&1 && update-desktop-database -q "$apps_dir" 2>/dev/null || true
  command -v gtk-update-icon-cache >/dev/null 2>&1 && gtk-update-icon-cache -q -t "$icons_dir" 2>/dev/null || true
}

uninstall() {
  [ -L "$bin_dir/roadmaster" ] && rm -f "$bin_dir/roadmaster"
  rm -f "$apps_dir/roadmaster.desktop" "$autostart_file" \
    "$icons_dir/scalable/apps/roadmaster.svg" "$icons_dir/256x256/apps/roadmaster.png"
  rm -rf "$prefix"
  refresh_menus
  say "removed RoadMaster; your data in $data_home/RoadMaster is kept"
}

autostart=no
minimised=no
bundle=
while [ $# -gt 0 ]; do
  case "$1" in
    --uninstall) uninstall; exit 0 ;;
    --autostart) autostart=yes ;;
    --minimised|--minimized) minimised=yes ;;
    -h|--help) sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) fail "unknown option $1 (see --help)" ;;
    *) bundle=$1 ;;
  esac
  shift
done

if [ -z "$bundle" ]; then
  for candidate in "$here/roadmaster" "$here/../../dist/roadmaster"; do
    if [ -x "$candidate/roadmaster" ]; then bundle=$candidate; break; fi
  done
fi
[ -n "$bundle" ] || fail "no bundle found: pass the folder that holds the roadmaster executable"
[ -x "$bundle/roadmaster" ] || fail "$bundle holds no roadmaster executable: pass the bundle folder (dist/roadmaster)"
bundle=$(cd "$bundle" && pwd)
icons=$bundle/_internal/resources/icons
[ -f "$icons/roadmaster.svg" ] || fail "$bundle has no icons ($icons): is it a RoadMaster bundle?"
[ -f "$here/roadmaster.desktop" ] || fail "roadmaster.desktop is missing beside $0"

# Copy first, then swap: an interrupted copy never leaves a half-installed app.
if [ "$bundle" != "$prefix" ]; then
  mkdir -p "$(dirname "$prefix")"
  rm -rf "$prefix.new"
  cp -a "$bundle" "$prefix.new"
  rm -rf "$prefix"
  mv "$prefix.new" "$prefix"
fi

mkdir -p "$bin_dir" "$apps_dir" "$icons_dir/scalable/apps" "$icons_dir/256x256/apps"
ln -sfn "$prefix/roadmaster" "$bin_dir/roadmaster"
cp "$prefix/_internal/resources/icons/roadmaster.svg" "$icons_dir/scalable/apps/roadmaster.svg"
cp "$prefix/_internal/resources/icons/roadmaster-256.png" "$icons_dir/256x256/apps/roadmaster.png"
# The menu entry runs the installed executable by its full path (~/.local/bin is not
# on every desktop session's PATH).
sed "s|^Exec=roadmaster|Exec=\"$prefix/roadmaster\"|" "$here/roadmaster.desktop" > "$apps_dir/roadmaster.desktop"

if [ "$autostart" = yes ]; then
  mkdir -p "$(dirname "$autostart_file")"
  flags=""
  [ "$minimised" = yes ] && flags=" --minimised"
  sed -e "s|^Exec=roadmaster --demo|Exec=\"$prefix/roadmaster\" --demo|" \
      -e "s|^Exec=roadmaster$|Exec=\"$prefix/roadmaster\"$flags|" \
      "$here/roadmaster.desktop" > "$autostart_file"
else
  rm -f "$autostart_file"
fi
refresh_menus

say "installed $("$prefix/roadmaster" --version 2>/dev/null || echo RoadMaster) in $prefix"
case ":$PATH:" in
  *":$bin_dir:"*) ;;
  *) say "add $bin_dir to your PATH to run \`roadmaster\` from a terminal" ;;
esac
