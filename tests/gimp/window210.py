"""GIMP 2.10's real window under Xvfb in its chroot (tests/gimp/build_gimp_env.sh bullseye), driven
like a user with the keyboard and mouse (xdotool).

The driver is window.py's (Xvfb, openbox, the processes, started and stopped by their own PIDs),
on its own display (:71; GIMP 3's window tests use :77), so that both can run at once. Windows are
found with xwininfo (xdotool's search raced in GIMP 2.10); waiting is on conditions with timeouts.
"""
from __future__ import annotations

import re

from .window import Window, wait_for

IMAGE_WINDOW = r".* – GIMP$"  # "[photo] (imported)-1.0 (RGB color 8-bit gamma integer, …, 2 layers) 768x512 – GIMP"
MESSAGE_WINDOWS = r"Message|Error|Warning"  # GIMP's message box ("GIMP Message"), gimpfu's error dialog


class Gimp210Window(Window):
    """GIMP 2.10 (``gimp-2.10``) on display :71."""

    program, display, size, window_size, image_title = "gimp-2.10", ":71", (1400, 900), (1400, 860), IMAGE_WINDOW

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
