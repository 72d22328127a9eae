#!/usr/bin/env bash
# Builds (once) a Debian chroot with a real GIMP and its Python plug-in support, plus Xvfb, openbox
# and xdotool for the tests that drive GIMP's window, and mounts /proc in it. A root that is complete
# (marker .hintcolor-ready) is reused; an unfinished one is completed. Needs root, and Debian's
# package mirror, which is taken from this machine's apt configuration.
# Usage: tests/gimp/build_gimp_env.sh [trixie|forky|bullseye] [ROOT]
#   trixie (default): GIMP 3.0 in .gimp-root;  forky: GIMP 3.2 in .gimp-root-3.2 (Debian testing,
#   bootstrapped with the sid script, as debootstrap on Debian 12 has none for forky);
#   bullseye: GIMP 2.10.22 (Debian 11) in .gimp210-root, with Python-Fu for its Python 2.7 built
#   from source (build_python_fu.sh: no Debian after 10 packages it)
set -euo pipefail
suite="${1:-trixie}"
project="$(cd "$(dirname "$0")/../.." && pwd)"
window="xvfb xdotool x11-apps imagemagick x11-utils xauth openbox"
gimp3="gimp python3-gi gir1.2-gimp-3.0 gir1.2-gimpui-3.0 $window"
# GIMP 2.10, what Python-Fu is built with, and icons and the pixmap theme engine (not recommended, but needed)
gimp210="gimp libgimp2.0-dev python2.7-dev libgtk2.0-dev libffi-dev gcc make pkg-config autoconf automake libtool xz-utils
         librsvg2-common gtk2-engines-pixbuf $window"
case "$suite" in
  trixie) root="${2:-$project/.gimp-root}"; script=""; packages="$gimp3"; check="gimp-console-3 --version" ;;
  forky) root="${2:-$project/.gimp-root-3.2}"; script=/usr/share/debootstrap/scripts/sid; packages="$gimp3"
         check="gimp-console-3 --version" ;;
  bullseye) root="${2:-$project/.gimp210-root}"; script=""; packages="$gimp210"; check="gimp-console-2.10 --version" ;;
  *) echo "usage: $0 [trixie|forky|bullseye] [ROOT]" >&2; exit 2 ;;
esac

debian_mirror() {
  # The first URI of the Debian archive (a path segment "debian", so not debian-security) among
  # this machine's apt sources, one-line (.list) or deb822 (.sources), in the order apt reads them.
  local file
  for file in /etc/apt/sources.list /etc/apt/sources.list.d/*; do
    [ -f "$file" ] || continue
    case "$file" in
      *.sources) awk 'function stanza() { if (deb && enabled) for (i = 1; i <= n; i++) print uris[i]; deb = n = 0; enabled = 1 }
                      BEGIN { enabled = 1 }
                      /^[ \t]*$/ { stanza(); next }
                      tolower($1) == "types:" { for (i = 2; i <= NF; i++) if ($i == "deb") deb = 1 }
                      tolower($1) == "uris:" { for (i = 2; i <= NF; i++) uris[++n] = $i }
                      tolower($1) == "enabled:" && tolower($2) == "no" { enabled = 0 }
                      END { stanza() }' "$file" ;;
      *.list|*/sources.list) awk '$1 == "deb" { sub(/^deb[ \t]+(\[[^]]*\][ \t]+)?/, ""); print $1 }' "$file" ;;
    esac
  done | grep -m1 -E '^[a-z+]+://[^/]+(/[^/]+)*/debian(/.*)?$' || true
}

if [ ! -f "$root/.hintcolor-ready" ]; then
  if [ "$suite" = bullseye ]; then
    bash "$project/tests/gimp/build_python_fu.sh" --check  # before minutes of downloads
  fi
  if ! command -v debootstrap >/dev/null; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null
  fi
  if [ ! -x "$root/usr/bin/apt-get" ]; then
    mirror="$(debian_mirror)"
    if [ -z "$mirror" ]; then
      echo "$0: no Debian archive in /etc/apt/sources.list or /etc/apt/sources.list.d/ (a deb source whose URI path has a /debian part): add this machine's Debian mirror there" >&2
      exit 1
    fi
    rm -rf "$root"
    # shellcheck disable=SC2086
    debootstrap --variant=minbase "$suite" "$root" "$mirror" $script >/dev/null
  fi
  mountpoint -q "$root/proc" || mount -t proc proc "$root/proc"
  # a testing suite's Release file may expire between the bootstrap and a later update
  chroot "$root" apt-get -o Acquire::Check-Valid-Until=false update -qq
  # shellcheck disable=SC2086
  chroot "$root" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $packages >/dev/null
  chroot "$root" apt-get clean  # the downloaded packages: 300 MB
  if [ "$suite" = bullseye ]; then
    bash "$project/tests/gimp/build_python_fu.sh" "$root"
  fi
  touch "$root/.hintcolor-ready"
fi
mountpoint -q "$root/proc" || mount -t proc proc "$root/proc"
# shellcheck disable=SC2086
echo "environment ready: $root ($(chroot "$root" $check 2>&1))"
