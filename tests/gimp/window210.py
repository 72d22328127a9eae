"""GIMP 2.10's real window under Xvfb in its chroot (tests/gimp/build_gimp_env.sh bullseye), driven
like a user with the keyboard and mouse (xdotool).

On its own display (:71; GIMP 3's window tests use :77), so that both can run at once. Windows are
found with xwininfo (xdotool's search raced in GIMP 2.10). Every process is started here and stopped
here by its own PID; waiting is on conditions with timeouts.
"""
from __future__ import annotations

import re
import subprocess
from pathlib import Path

from .harness import Gimp210Env
from .window import wait_for

DISPLAY = ":71"
SIZE = (1400, 900)
IMAGE_WINDOW = r".* – GIMP$"  # "[photo] (imported)-1.0 (RGB color 8-bit gamma integer, …, 2 layers) 768x512 – GIMP"
MESSAGE_WINDOWS = r"Message|Error|Warning"  # GIMP's message box ("GIMP Message"), gimpfu's error dialog


class Gimp210Window:
    """Xvfb + openbox + ``gimp-2.10`` in ``env``'s chroot, with ``work``'s home and GIMP profile."""

    def __init__(self, env: Gimp210Env, work: str):
        self.env, self.work = env, work
        self.host = env.host_path(work)
        self.processes: list[subprocess.Popen] = []

    def _spawn(self, *program: str, log: str) -> subprocess.Popen:
        out = open(self.host / log, "ab")
        process = subprocess.Popen(self.env.command(self.work, *program, DISPLAY=DISPLAY, NO_AT_BRIDGE="1",
                                                    XDG_RUNTIME_DIR=f"{self.work}/run"),
                                   stdout=out, stderr=out, stdin=subprocess.DEVNULL)
        out.close()
        self.processes.append(process)
        return process

    def start(self, *images: str) -> None:
        """Open ``images`` (chroot paths) in GIMP and wait for the image window."""
        (self.host / "run").mkdir(mode=0o700, exist_ok=True)
        socket = self.env.host_path(f"/tmp/.X11-unix/X{DISPLAY[1:]}")
        self.xvfb = self._spawn("Xvfb", DISPLAY, "-screen", "0", "%dx%dx24" % SIZE, "-nolisten", "tcp", log="xvfb.log")
        wait_for(lambda: socket.exists() or self.xvfb.poll() is not None, 30, "Xvfb")
        assert self.xvfb.poll() is None, (self.host / "xvfb.log").read_text()
        self._spawn("openbox", log="openbox.log")
        self.gimp = self._spawn("gimp-2.10", "--no-splash", *images, log="gimp.log")
        self.image_window = wait_for(lambda: self.find(IMAGE_WINDOW), 120, "GIMP's image window")[0]
        self.x("xdotool", "windowmove", "--sync", self.image_window, "0", "0")
        self.x("xdotool", "windowsize", "--sync", self.image_window, str(SIZE[0]), str(SIZE[1] - 40))

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

    def x(self, *args: str, check: bool = True) -> str:
        """An X client program (xdotool, xwininfo, import, ...) in the chroot, on the display."""
        done = subprocess.run(self.env.command(self.work, *args, DISPLAY=DISPLAY), capture_output=True, text=True,
                              timeout=60)
        if check and done.returncode:
            raise AssertionError(f"{' '.join(args)}: {done.stderr.strip()}")
        return done.stdout

    def windows(self) -> dict[str, str]:
        """{window id: title} of the named top-level windows that openbox manages (a window it
        manages is a child of its frame, one level below the root; a hidden one is not)."""
        tree = self.x("xwininfo", "-root", "-tree", check=False)
        return dict(re.findall(r'^ {8}(0x[0-9a-f]+) "(.*)": \(', tree, re.M))

    def find(self, title: str) -> list[str]:
        """Visible top-level windows whose title matches the regular expression ``title``."""
        return [window for window, name in self.windows().items() if re.search(title, name)]

    def title(self, window: str) -> str:
        return self.windows().get(window, "")

    def messages(self) -> list[str]:
        """Titles of the message windows on screen."""
        return sorted(name for name in self.windows().values() if re.search(MESSAGE_WINDOWS, name))

    def key(self, *keys: str, window: str | None = None) -> None:
        """Keys pressed in ``window`` (default: the image window), activated and focused first."""
        target = window or self.image_window
        self.x("xdotool", "windowactivate", "--sync", target)
        self.x("xdotool", "windowfocus", "--sync", target)
        self.x("xdotool", "key", "--clearmodifiers", *keys)

    def type(self, text: str) -> None:
        self.x("xdotool", "type", "--delay", "40", text)

    def action(self, label: str) -> None:
        """Run a menu entry through GIMP's action search ("/"): type its label, Return."""
        self.key("slash")
        search = wait_for(lambda: self.find("^Search Actions$"), 30, "the action search")[0]
        self.x("xdotool", "windowactivate", "--sync", search)
        self.x("xdotool", "windowfocus", "--sync", search)
        self.type(label)
        self.screenshot("action-%s.png" % label.replace(" ", "_"))
        self.x("xdotool", "key", "Return")
        wait_for(lambda: not self.find("^Search Actions$"), 30, "the action search to close")

    def sync(self) -> None:
        """Return once every window GIMP has shown so far is on screen: open the action search and wait
        until openbox shows it (it handles GIMP's windows in order), then close it."""
        self.key("slash")
        wait_for(lambda: self.find("^Search Actions$"), 30, "the action search")
        self.x("xdotool", "key", "Escape")
        wait_for(lambda: not self.find("^Search Actions$"), 30, "the action search to close")

    def dialog(self, title: str) -> str:
        """The window titled ``title`` (a regular expression) once it shows, activated."""
        window = wait_for(lambda: self.find(title), 60, f"the window {title}")[0]
        self.x("xdotool", "windowactivate", "--sync", window)
        self.x("xdotool", "windowfocus", "--sync", window)
        return window

    def click(self, x: int, y: int) -> None:
        """A left click at screen position (x, y)."""
        self.x("xdotool", "mousemove", "--sync", str(x), str(y), "click", "1")

    def screenshot(self, name: str) -> Path:
        self.x("import", "-window", "root", f"{self.work}/{name}")
        return self.host / name
