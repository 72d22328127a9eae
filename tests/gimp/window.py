"""GIMP's real window under Xvfb in a chroot, driven like a user with the keyboard (xdotool).

Every process is started here and stopped here by its own PID. Waiting is on conditions (a window
title, a file) with timeouts. ``screenshot`` saves what the screen shows, to look at.
"""
from __future__ import annotations

import re
import subprocess
import time
from pathlib import Path

from .harness import Gimp210Env, GimpEnv

IMAGE_WINDOW = r"[0-9]+x[0-9]+ .+ GIMP$"  # "photo.xcf-1.0 (RGB color …) 768x512 – GIMP"
#: A line of GIMP's output about a hintcolor window: a GTK (or GDK, GLib, GObject, Pango) warning or
#: critical of a hintcolor plug-in process ("(hintcolor:123): Gtk-WARNING **: …"; GimpUi.init names the
#: process), or GIMP's procedure dialog complaining about one of its procedures ("Procedure
#: 'plug-in-hintcolor-colorize': duplicate mnemonic s for label of property snap-hints and dialog button …").
OUR_WARNING = re.compile(r"^\(hintcolor[^:]*:[0-9]+\): (Gtk|Gdk|GLib|GLib-GObject|Pango)-(WARNING|CRITICAL)"
                         r"|^Procedure 'plug-in-hintcolor-")


class Timeout(AssertionError):
    pass


def wait_for(condition, timeout: float, what: str, interval: float = 0.2):
    """condition()'s first true value, polled until ``timeout`` seconds; Timeout saying ``what`` otherwise."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise Timeout(f"timed out after {timeout:g} s waiting for {what}")
        time.sleep(interval)


class Window:
    """Xvfb + openbox + a GIMP in ``env``'s chroot, with ``work``'s home and GIMP folder: the driver
    every window test shares. A GIMP's own is in its subclass: the ``program`` it starts, the
    ``display`` it is on (each GIMP its own, so that they can run at once), the screen's ``size``
    and the image window's (``window_size``), the image window's title (``image_title``, a regular
    expression), ``prepare`` (its profile before it starts) and how windows are found (``find``)."""

    program: str
    display: str
    size: tuple[int, int]
    window_size: tuple[int, int]
    image_title: str

    def __init__(self, env: GimpEnv | Gimp210Env, work: str):
        self.env, self.work = env, work
        self.host = env.host_path(work)
        self.processes: list[subprocess.Popen] = []

    def _spawn(self, *program: str, log: str) -> subprocess.Popen:
        out = open(self.host / log, "ab")
        process = subprocess.Popen(self.env.command(self.work, *program, DISPLAY=self.display, NO_AT_BRIDGE="1",
                                                    XDG_RUNTIME_DIR=f"{self.work}/run"),
                                   stdout=out, stderr=out, stdin=subprocess.DEVNULL)
        out.close()
        self.processes.append(process)
        return process

    def prepare(self) -> None:
        """The GIMP profile under ``work`` made ready before GIMP starts (nothing to do by default)."""

    def start(self, *images: str) -> None:
        """Open ``images`` (chroot paths) in GIMP and wait for its image window, moved to the top left
        and sized ``window_size``."""
        (self.host / "run").mkdir(mode=0o700, exist_ok=True)
        self.prepare()
        # -noreset: an X server resets when its last client leaves (answers' xdotool), refusing clients
        # meanwhile: openbox, started then, failed to open the display
        self.xvfb = self._spawn("Xvfb", self.display, "-screen", "0", "%dx%dx24" % self.size, "-nolisten", "tcp",
                                "-noreset", log="xvfb.log")
        # the display answering (a socket file may be left from an earlier run)
        wait_for(lambda: self.xvfb.poll() is not None or self.answers(), 30, "Xvfb")
        assert self.xvfb.poll() is None, (self.host / "xvfb.log").read_text()
        self._spawn("openbox", log="openbox.log")
        self.gimp = self._spawn(self.program, "--no-splash", *images, log="gimp.log")
        self.image_window = wait_for(lambda: self.find(self.image_title), 120, "GIMP's image window")[0]
        self.x("xdotool", "windowmove", "--sync", self.image_window, "0", "0")
        self.x("xdotool", "windowsize", "--sync", self.image_window, *map(str, self.window_size))

    def answers(self) -> bool:
        """Whether the X display accepts clients."""
        return subprocess.run(self.env.command(self.work, "xdotool", "getdisplaygeometry", DISPLAY=self.display),
                              capture_output=True, timeout=60).returncode == 0

    def stop(self) -> None:
        for process in reversed(self.processes):
            if process.poll() is None:
                process.terminate()
                try:
                    process.wait(10)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()
        self.processes.clear()

    def type(self, text: str) -> None:
        self.x("xdotool", "type", "--delay", "40", text)

    def x(self, *args: str, check: bool = True) -> str:
        """An X client program (xdotool, xwininfo, import, ...) in the chroot, on the display."""
        done = subprocess.run(self.env.command(self.work, *args, DISPLAY=self.display), capture_output=True,
                              text=True, timeout=60)
        if check and done.returncode:
            raise AssertionError(f"{' '.join(args)}: {done.stderr.strip()}")
        return done.stdout

    def drag(self, start: tuple[int, int], end: tuple[int, int]) -> None:
        """Drag with the left button from screen ``start`` to ``end`` over half a second, as a hand
        drags (GIMP dropped drags whose press, motions and release came at once), the pointer moved
        over the start first."""
        steps = []
        for step in range(1, 11):
            x, y = (round(a + (b - a) * step / 10) for a, b in zip(start, end))
            steps += ["mousemove", "--sync", str(x), str(y), "sleep", "0.05"]
        self.x("xdotool", "mousemove", "--sync", str(start[0] - 5), str(start[1] - 5), "sleep", "0.05",
               "mousemove", "--sync", *map(str, start), "sleep", "0.05", "mousedown", "1", "sleep", "0.05",
               *steps, "mouseup", "1")

    def screenshot(self, name: str) -> Path:
        self.x("import", "-window", "root", f"{self.work}/{name}")
        return self.host / name


class GimpWindow(Window):
    """GIMP 3 (``gimp-3``) on display :77."""

    program, display, size, window_size, image_title = "gimp-3", ":77", (1600, 1000), (1600, 940), IMAGE_WINDOW

    def prepare(self) -> None:
        """A known version in gimprc: no welcome dialog."""
        version = self.x("gimp-console-3", "--version").split()[-1]
        (self.host / "gimp" / "gimprc").write_text(f'(config-version "{version}")\n(show-welcome-dialog no)\n')

    def find(self, name: str) -> list[str]:
        """Visible windows whose title matches the regular expression ``name``."""
        return self.x("xdotool", "search", "--onlyvisible", "--name", name, check=False).split()

    def title(self, window: str) -> str:
        return self.x("xdotool", "getwindowname", window, check=False).strip()

    def titles(self) -> list[str]:
        """Titles of all visible named windows."""
        return sorted(filter(None, (self.title(w) for w in self.find("."))))

    def key(self, *keys: str) -> None:
        """Keys pressed in the image window (focused first)."""
        self.x("xdotool", "windowactivate", "--sync", self.image_window)
        self.x("xdotool", "key", "--clearmodifiers", *keys)

    def action(self, label: str) -> None:
        """Run a menu entry through GIMP's action search ("/"): type its label, Enter."""
        self.key("slash")
        wait_for(lambda: self.find("Search Actions"), 20, "the action search")
        self.type(label)
        self.screenshot("action-%s.png" % label.replace(" ", "_"))
        self.x("xdotool", "key", "Return")

    def click_progress_cancel(self) -> None:
        """Click the Cancel button of the image window's status-bar progress (GIMP's default layout:
        284 px left of the right edge, 38 px above the bottom of the geometry xdotool reports under openbox)."""
        geometry = dict(line.split("=") for line in self.x("xdotool", "getwindowgeometry", "--shell",
                                                            self.image_window).split())
        x = int(geometry["X"]) + int(geometry["WIDTH"]) - 284
        y = int(geometry["Y"]) + int(geometry["HEIGHT"]) - 38
        self.x("xdotool", "mousemove", "--sync", str(x), str(y), "click", "1")

    def our_warnings(self) -> list[str]:
        """The lines of GIMP's output (its stdout and stderr, its plug-ins' included) about our windows."""
        lines = (self.host / "gimp.log").read_text(errors="replace").splitlines()
        return [line for line in lines if OUR_WARNING.search(line)]
