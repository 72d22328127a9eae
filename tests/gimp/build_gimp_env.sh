#!/usr/bin/env bash
# Builds (once) a Debian trixie chroot with GIMP 3.0.4 and its Python plug-in support, for the
# tests and benchmarks that drive the real GIMP headless, and mounts /proc in it. Reused when it
# already exists. Needs root and Debian's package mirror.
# Usage: tests/gimp/build_gimp_env.sh [ROOT]   (default: .gimp-root in the project)
set -euo pipefail
root="${1:-$(cd "$(dirname "$0")/../.." && pwd)/.gimp-root}"
if [ ! -f "$root/.hintcolor-ready" ]; then
  if ! command -v debootstrap >/dev/null; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null
  fi
  if [ ! -x "$root/usr/bin/apt-get" ]; then
    rm -rf "$root"
    debootstrap --variant=minbase trixie "$root" http://deb.debian.org/debian >/dev/null
  fi
  chroot "$root" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    gimp python3-gi gir1.2-gimp-3.0 gir1.2-gimpui-3.0 >/dev/null
  touch "$root/.hintcolor-ready"
fi
mountpoint -q "$root/proc" || mount -t proc proc "$root/proc"
echo "GIMP environment ready: $root ($(chroot "$root" gimp-console-3.0 --version))"
