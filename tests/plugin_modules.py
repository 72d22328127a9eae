"""The plug-ins' shared modules (gimp_plugin/shared/), imported here as the plug-ins import them:
beside the worker's client and protocol, which install.py copies there as hintcolor_client.py and
hintcolor_protocol.py (here: the package's own modules under those names, so that a WorkerError
raised by a client the plug-in side makes is the one tests catch)."""
import importlib
import sys

import hintcolor.worker.client
import hintcolor.worker.protocol
from conftest import ROOT


def shared_module(name: str):
    """The module ``name`` of gimp_plugin/shared/ (e.g. "hintcolor_requests")."""
    sys.modules.setdefault("hintcolor_client", hintcolor.worker.client)
    sys.modules.setdefault("hintcolor_protocol", hintcolor.worker.protocol)
    shared = str(ROOT / "gimp_plugin" / "shared")
    if shared not in sys.path:
        sys.path.append(shared)
    return importlib.import_module(name)
