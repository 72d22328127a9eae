#!/usr/bin/env bash
# Builds (once) a Debian chroot with a real GIMP 3 and its Python plug-in support, plus Xvfb,
# openbox and xdotool for the tests that drive GIMP's window, and mounts /proc in it; or, for
# the GIMP 2.10 plug-in, a chroot with a real Python 2.7 (no GIMP 2.10 with Python is packaged
# any more: its code runs there against a stand-in for gimpfu, tests/gimp2/). A root that is
# complete (marker .hintcolor-ready) is reused; an unfinished one is completed. Needs root and
# Debian's package mirror.
# Usage: tests/gimp/build_gimp_env.sh [trixie|forky|bullseye] [ROOT]
#   trixie (default): GIMP 3.0 in .gimp-root;  forky: GIMP 3.2 in .gimp-root-3.2 (Debian testing,
#   bootstrapped with the sid script, as debootstrap on Debian 12 has none for forky);
#   bullseye: Python 2.7 in .py27-root (Debian 11, the last with python2.7)
set -euo pipefail
suite="${1:-trixie}"
project="$(cd "$(dirname "$0")/../.." && pwd)"
gimp="gimp python3-gi gir1.2-gimp-3.0 gir1.2-gimpui-3.0 xvfb xdotool x11-apps imagemagick x11-utils xauth openbox"
case "$suite" in
  trixie) root="${2:-$project/.gimp-root}"; script=""; packages="$gimp"; check="gimp-console-3 --version" ;;
  forky) root="${2:-$project/.gimp-root-3.2}"; script=/usr/share/debootstrap/scripts/sid; packages="$gimp"
         check="gimp-console-3 --version" ;;
  bullseye) root="${2:-$project/.py27-root}"; script=""; packages="python2.7"; check="python2.7 -V" ;;
  *) echo "usage: $0 [trixie|forky|bullseye] [ROOT]" >&2; exit 2 ;;
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
  # shellcheck disable=SC2086
  chroot "$root" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $packages >/dev/null
  touch "$root/.hintcolor-ready"
fi
mountpoint -q "$root/proc" || mount -t proc proc "$root/proc"
echo "environment ready: $root ($(chroot "$root" $check 2>&1))"
