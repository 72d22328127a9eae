"""STAND-IN, NOT GIMP: GIMP 2.10's ``gimpfu`` as far as the hintcolor plug-in and its tests need it.

``register`` checks its arguments as GIMP 2.10's gimpfu does (parameter tuples of at least four
elements, integer types, names of letters, digits, '-' and '_'; the "python-fu-" prefix for other
names) and records them; ``main`` records that it was called. ``_run`` runs a registered procedure
as gimpfu does for RUN_NONINTERACTIVE (the arguments given) and RUN_WITH_LAST_VALS (Filters >
Repeat Last: the image and drawable given, the other arguments as last saved, layers kept by their
ID as gimpfu's shelf keeps them). There is no dialog: ``_set_defaults`` stands for its OK button.
See gimp.py: this does not show that the plug-in runs in GIMP 2.10.
"""
import string

import gimp
from gimpenums import *  # noqa: F401,F403 (gimpfu re-exports every constant)
from gimpenums import PDB_DRAWABLE, PDB_FLOAT, PDB_IMAGE, PDB_INT32, PDB_LAYER, PDB_STRING, PLUGIN, RUN_WITH_LAST_VALS

pdb = gimp.pdb

PF_INT32, PF_INT, PF_FLOAT, PF_STRING = PDB_INT32, PDB_INT32, PDB_FLOAT, PDB_STRING
PF_IMAGE, PF_LAYER, PF_DRAWABLE = PDB_IMAGE, PDB_LAYER, PDB_DRAWABLE
PF_TOGGLE, PF_BOOL, PF_SLIDER, PF_SPINNER, PF_ADJUSTMENT = 1000, 1000, 1001, 1002, 1002
PF_FILE, PF_RADIO, PF_TEXT, PF_PALETTE, PF_FILENAME, PF_DIRNAME, PF_OPTION = 1004, 1008, 1009, 1010, 1011, 1012, 1013

_registered_plugins_ = {}
_shelf = {}
MAIN_CALLED = []


class error(RuntimeError):
    pass


def _valid_name(name):
    return all(ch in string.ascii_letters + string.digits + "_-" for ch in name)


def register(proc_name, blurb, help, author, copyright, date, label, imagetypes, params, results, function,
             menu=None, domain=None, on_query=None, on_run=None):
    if not _valid_name(proc_name):
        raise error("procedure name contains illegal characters")
    for entry in params:
        if len(entry) < 4:
            raise error("parameter definition must contain at least 4 elements (%s given: %s)" % (len(entry), entry))
        if type(entry[0]) != int:
            raise error("parameter types must be integers")
        if not _valid_name(entry[1]):
            raise error("parameter name contains illegal characters")
    if not proc_name.startswith(("python-", "python_", "extension-", "extension_", "plug-in-", "plug_in_",
                                 "file-", "file_")):
        proc_name = "python-fu-" + proc_name
    _registered_plugins_[proc_name] = dict(
        blurb=blurb, help=help, author=author, copyright=copyright, date=date, label=label, imagetypes=imagetypes,
        plugin_type=PLUGIN, params=params, results=results, function=function, menu=menu, domain=domain)


def main():
    MAIN_CALLED.append(True)


def _set_defaults(proc_name, params):
    """What gimpfu saves when the dialog's OK runs the procedure (layers, images by ID)."""
    _shelf[proc_name] = [("item", value.ID) if isinstance(value, (gimp.Item, gimp.Image)) else ("value", value)
                         for value in params]


def _get_defaults(proc_name):
    if proc_name in _shelf:
        return [gimp._id2drawable(value) if kind == "item" else value for kind, value in _shelf[proc_name]]
    return [entry[3] for entry in _registered_plugins_[proc_name]["params"]]


def _run(proc_name, params):
    """Run a registered procedure; ``params`` starts with the run mode (interactive runs are not imitated)."""
    function = _registered_plugins_[proc_name]["function"]
    if params[0] == RUN_WITH_LAST_VALS:
        given = len(params) - 1  # GIMP passes the image and drawable; the rest are the last values
        params = list(params) + _get_defaults(proc_name)[given:]
    return function(*params[1:])
