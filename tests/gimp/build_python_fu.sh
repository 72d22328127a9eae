#!/usr/bin/env bash
# Builds Python-Fu (gimpfu for Python 2.7) into the GIMP 2.10.22 of a Debian bullseye chroot that
# build_gimp_env.sh bullseye made (Debian no longer packages it): pycairo 1.18.2 (PyPI, via pip on
# this machine), pygobject 2.28.7 and pygtk 2.24.0 into /usr/local, and GIMP's plug-ins/pygimp (2.10.34
# source, built against libgimp 2.10.22) into /usr/lib/gimp/2.0. The last three are not served by any
# registry: they are read from ../shared/vendor/gimp210/ beside the project (SOURCES.md there says
# where they come from), or from GIMP210_SOURCES. Can be run again on a root it did not finish.
# Usage: tests/gimp/build_python_fu.sh ROOT    (--check: only check that the sources are there)
set -euo pipefail
root="$1"
project="$(cd "$(dirname "$0")/../.." && pwd)"
sources="${GIMP210_SOURCES:-$project/../shared/vendor/gimp210}"
build=/usr/local/src/python-fu  # inside the chroot

if ! (cd "$sources" 2>/dev/null && sha256sum --check --quiet >/dev/null 2>&1) <<'EOF'
b01743585904421c5d510f0673331fb1490320f578a331e5beb1d4ae45c07fe7  pygobject-2.28.7.tar.xz
f04a86cae213746ef86fd9a60308781d82b4634e612e3ce4b391b7fa7027aae5  pygtk-2.24.0.tar.xz
c6a5c1d85f0b548287c4d999ae264eb68568cfe54b80abfe6d5fe92b3bf3a5f2  gimp-2.10.34-pygimp.tar.xz
EOF
then
  echo "$0: the Python-Fu sources (pygobject, pygtk, GIMP's pygimp) are missing or differ in $sources:" \
       "put the shared folder beside the project, or set GIMP210_SOURCES=FOLDER" >&2
  exit 1
fi
[ "$root" != --check ] || exit 0
rm -rf "${root:?}$build"
mkdir -p "$root$build"
cp "$sources"/*.tar.xz "$root$build/"
python3 -m pip download --quiet --no-deps --no-binary :all: --dest "$root$build" pycairo==1.18.2 2>"$root$build/pip.log" ||
  { cat "$root$build/pip.log" >&2; exit 1; }

log="$root/var/log/hintcolor-python-fu.log"
chroot "$root" env -i PATH=/usr/local/bin:/usr/bin:/usr/sbin:/bin:/sbin HOME=/root PYTHON=/usr/bin/python2.7 \
  bash -euo pipefail -s "$build" > "$log" 2>&1 <<'EOF' || { tail -n 30 "$log" >&2; echo "$0: building Python-Fu failed (whole log: $log)" >&2; exit 1; }
cd "$1"
cores="$(nproc)"
site=/usr/local/lib/python2.7/dist-packages  # Debian's python2.7 does not read site-packages
pythondir=(am_cv_python_pythondir="$site" am_cv_python_pyexecdir="$site")
for archive in *.tar.*; do tar xf "$archive"; done

(cd pycairo-1.18.2 && python2.7 setup.py --quiet install --prefix=/usr/local)

(cd pygobject-2.28.7 && autoreconf -fi
 ./configure --quiet --prefix=/usr/local --disable-introspection --disable-docs "${pythondir[@]}"
 make --quiet -j"$cores" && make --quiet install)
ldconfig  # libpyglib-2.0-python2.7.so

(cd pygtk-2.24.0
 sed -i '/^(define-virtual find_shaper/,/^)/d' pango.defs  # gone from pango >= 1.44
 ACLOCAL='aclocal -I m4' autoreconf -fi
 ./configure --quiet --prefix=/usr/local --disable-docs --disable-numpy --without-glade "${pythondir[@]}"
 make --quiet -j"$cores" && make --quiet install)

# GIMP's plug-ins/pygimp, as its Makefile.am builds it
cd gimp-2.10.34/plug-ins/pygimp
gimpdir=/usr/lib/gimp/2.0
defs="$(pkg-config --variable=defsdir pygtk-2.0)"
for module in gimpui gimpthumb; do
  pygtk-codegen-2.0 --override "$module.override" --register "$defs/gdk-types.defs" --register "$defs/gtk-types.defs" \
    --register gimp-types.defs --register gimpcolor-types.defs --register gimpenums-types.defs \
    --prefix "$module" "$module.defs" > "$module.c"
done
packages="python-2.7 pygtk-2.0 pycairo gimpui-2.0 gimpthumb-2.0 gegl-0.4"
read -r -a cflags <<< "-shared -fPIC -O2 -I. -DGETTEXT_PACKAGE=\"gimp20\" -DHAVE_BIND_TEXTDOMAIN_CODESET $(pkg-config --cflags $packages)"
read -r -a libs <<< "$(pkg-config --libs $packages)"
mkdir -p "$gimpdir/python"
gcc "${cflags[@]}" -o "$gimpdir/python/gimp.so" gimpmodule.c pygimp-item.c pygimp-display.c pygimp-drawable.c \
    pygimp-image.c pygimp-parasite.c pygimp-pdb.c pygimp-tile.c pygimp-vectors.c "${libs[@]}" &
gcc "${cflags[@]}" -o "$gimpdir/python/_gimpenums.so" gimpenumsmodule.c "${libs[@]}" &
gcc "${cflags[@]}" -o "$gimpdir/python/gimpcolor.so" gimpcolormodule.c pygimp-colors.c "${libs[@]}" &
gcc "${cflags[@]}" -o "$gimpdir/python/_gimpui.so" gimpuimodule.c gimpui.c "${libs[@]}" &
gcc "${cflags[@]}" -o "$gimpdir/python/gimpthumb.so" gimpthumbmodule.c gimpthumb.c "${libs[@]}" &
for job in $(jobs -p); do wait "$job"; done
install -m 644 gimpenums.py gimpfu.py gimpplugin.py gimpshelf.py gimpui.py pygimp-logo.png "$gimpdir/python/"
mkdir -p "$gimpdir/environ" "$gimpdir/interpreters" "$gimpdir/plug-ins/python-eval" "$gimpdir/plug-ins/python-console"
echo ': PYTHONPATH=${gimp_plug_in_dir}/python' > "$gimpdir/environ/pygimp.env"
printf '%s\n' python=/usr/bin/python2.7 python2=/usr/bin/python2.7 python2.7=/usr/bin/python2.7 \
  /usr/bin/python=/usr/bin/python2.7 :Python:E::py::python2.7: > "$gimpdir/interpreters/pygimp.interp"
install -m 755 plug-ins/python-eval.py "$gimpdir/plug-ins/python-eval/"
install -m 755 plug-ins/python-console.py "$gimpdir/plug-ins/python-console/"
install -m 644 plug-ins/pyconsole.py "$gimpdir/plug-ins/python-console/"
# python2 dlopens with RTLD_NOW: a symbol libgimp 2.10.22 lacks shows here
PYTHONPATH="$gimpdir/python" python2.7 -c 'import gimp, gimpcolor, _gimpenums, _gimpui, gimpthumb, gtk, cairo'
# and GIMP runs Python-Fu (a batch's exit status is 0 whatever happens: look for what it prints)
home="$(mktemp -d)"
said="$(HOME="$home" timeout 120 gimp-console-2.10 -idf --batch-interpreter python-fu-eval -b 'print("Python-Fu runs")' \
        -b 'pdb.gimp_quit(1)' 2>&1)"
rm -rf "$home"
[[ "$said" == *"Python-Fu runs"* ]] || { echo "$said"; echo "GIMP 2.10 does not run Python-Fu"; exit 1; }
EOF
rm -rf "${root:?}$build"
