"""Quitting GIMP while the live panel is open, in GIMP's real window (3.0 and 3.2): GIMP exits as
usual, the panel's plug-in process ends with it, and the worker serves on.

A module of its own: it needs a GIMP session of its own (it ends it), after tests/test_gimp_live.py's.
"""
import pytest

from gimp.harness import GIMPS
from gimp.live import live_gimp, open_panel, pencil_dot, shown
from gimp.window import wait_for
from test_gimp_window import plugin_process

WORK = "/tmp/hintcolor-live-quit"


@pytest.mark.parametrize("env", GIMPS, ids=lambda env: f"gimp{env.version}")
def test_quitting_gimp_ends_the_panel(env, suggest_weights_file):
    env.require()
    with live_gimp(env, WORK, suggest_weights_file) as gimp:
        open_panel(gimp)
        previews = len(shown(gimp.host, "preview"))
        pencil_dot(gimp, 640, 450)
        wait_for(lambda: len(shown(gimp.host, "preview")) > previews, 60, "the preview after the stroke")
        assert plugin_process() is not None
        gimp.key("ctrl+q")
        wait_for(lambda: gimp.gimp.poll() is not None or gimp.find("^Quit GIMP"), 60, "GIMP to quit or ask")
        if gimp.gimp.poll() is None:
            gimp.x("xdotool", "key", "ctrl+d")  # Discard Changes
        wait_for(lambda: gimp.gimp.poll() is not None, 60, "GIMP to exit")
        wait_for(lambda: plugin_process() is None, 30, "the panel's plug-in process to end")
        assert gimp.gimp.returncode == 0
        assert gimp.worker.poll() is None, "the worker must outlive GIMP"
        assert "Traceback" not in (gimp.host / "gimp.log").read_text()
