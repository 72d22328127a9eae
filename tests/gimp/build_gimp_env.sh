#!/usr/bin/env bash
# Builds (once) a Debian chroot with a real GIMP 3 and its Python plug-in support, plus Xvfb,
# openbox and xdotool for the tests that drive GIMP's window, and mounts /proc in it. A root
# that is complete (marker .hintcolor-ready) is reused; an unfinished one is completed. Needs
# root and Debian's package mirror.
# Usage: tests/gimp/build_gimp_env.sh [trixie|forky] [ROOT]
#   trixie (default): GIMP 3.0 in .gimp-root;  forky: GIMP 3.2 in .gimp-root-3.2 (Debian testing,
#   bootstrapped with the sid script, as debootstrap on Debian 12 has none for forky)
set -euo pipefail
suite="${1:-trixie}"
project="$(cd "$(dirname "$0")/../.." && pwd)"
case "$suite" in
  trixie) root="${2:-$project/.gimp-root}"; script="" ;;
  forky) root="${2:-$project/.gimp-root-3.2}"; script=/usr/share/debootstrap/scripts/sid ;;
  *) echo "usage: $0 [trixie|forky] [ROOT]" >&2; exit 2 ;;
esac
if [ ! -f "$root/.hintcolor-ready" ]; then
  if ! command -v debootstrap >/dev/null; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null
  fi
  if [ ! -x "$root/usr/bin/apt-get" ]; then
    rm -rf "$root"
    debootstrap --variant=minbase "$suite" "$root" http://deb.debian.org/debian $script >/dev/null
  fi
  mountpoint -q "$root/proc" || mount -t proc proc "$root/proc"
  # a testing suite's Release file may expire between the bootstrap and a later update
  chroot "$root" apt-get -o Acquire::Check-Valid-Until=false update -qq
  chroot "$root" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    gimp python3-gi gir1.2-gimp-3.0 gir1.2-gimpui-3.0 \
    xvfb xdotool x11-apps imagemagick x11-utils xauth openbox >/dev/null
  touch "$root/.hintcolor-ready"
fi
mountpoint -q "$root/proc" || mount -t proc proc "$root/proc"
echo "GIMP environment ready: $root ($(chroot "$root" gimp-console-3 --version))"
