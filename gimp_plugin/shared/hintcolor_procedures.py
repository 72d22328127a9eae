"""Every GIMP procedure of hintcolor, declared once for both plug-ins (GIMP 3 and GIMP 2.10).

One table: for each procedure its PDB name, menu label (with its mnemonic), blurb, help, image
types and parameters (name, label, kind, default, choices or limits); what differs between the
two GIMPs is written as that GIMP's variant beside what they share. Each plug-in registers from
it through a thin adapter: GIMP 3's ``create_procedure`` (gimp_plugin/hintcolor/hintcolor.py:
Gimp.ImageProcedure and its add_*_argument) and GIMP 2.10's ``register_procedure``
(gimp_plugin/gimp2/hintcolor.py: gimpfu's register() and PF_* tuples). Scripts call the
procedures by these names, arguments and defaults, and GIMP's pluginrc keys on them: change them
only on purpose. Standard library only, Python 2.7-compatible.
"""
import os
from collections import namedtuple

import hintcolor_protocol as protocol

GIMP3, GIMP2 = "3", "2.10"
MENU = "<Image>/Filters/Colors"
AUTHORS = "hintcolor authors"
COPYRIGHT = "hintcolor authors; network by Zhang et al. (SIGGRAPH 2017)"
DATE = "2026"

ADD_HINT_LAYER = "plug-in-hintcolor-add-hint-layer"
COLORIZE = "plug-in-hintcolor-colorize"
LIVE = "plug-in-hintcolor-live"
SUGGEST = "plug-in-hintcolor-suggest"
EXPORT = "plug-in-hintcolor-export-hints"
IMPORT = "plug-in-hintcolor-import-hints"

# The kinds of parameter (what a kind becomes in each GIMP: the adapters beside the registrations)
CHOICE = "choice"  # one of ``choices`` (nick, label), the default a nick; GIMP 2.10 passes its index
INT = "int"  # an integer in ``limits`` (min, max, step: the step of GIMP 2.10's spinner)
BOOL = "bool"
STRING = "string"
LAYER = "layer"  # a layer of the image, or none (default None)
OPEN_FILE = "open-file"  # an existing file chosen (default None: none chosen)
SAVE_FILE = "save-file"  # a file to write, chosen (default None)
FOLDER = "folder"


class Parameter(namedtuple("Parameter", "name kind label blurb default choices limits")):
    """One argument after the image and its drawables. ``name``: the PDB argument name (scripts set
    it by name in GIMP 3, by position in GIMP 2.10); ``label``: the dialog's label with its mnemonic
    (GIMP 3: the argument's nick, GIMP 2.10: its description); ``blurb``: the tooltip (GIMP 3 only:
    gimpfu has no such text); ``kind``, ``default``, ``choices``, ``limits``: see the kinds above."""

    __slots__ = ()

    def nicks(self):
        """A choice's nicks in their order (GIMP 2.10 passes the index into this list)."""
        return [nick for nick, _ in self.choices]


def parameter(name, kind, label, blurb="", default=None, choices=(), limits=None):
    return Parameter(name, kind, label, blurb, default, choices, limits)


class Procedure(namedtuple("Procedure", "name label blurb help image_types needs_layer params")):
    """One procedure as one GIMP registers it: ``label`` the menu label (in MENU) with its mnemonic,
    ``blurb`` one line, ``help`` a paragraph, ``image_types`` as GIMP writes them ("RGB*, GRAY*"),
    ``needs_layer`` False where it runs with no layer selected (GIMP 3's sensitivity), ``params``
    its Parameters in order."""

    __slots__ = ()

    def param(self, name):
        """The parameter ``name``."""
        return [p for p in self.params if p.name == name][0]


def declare(name, label, blurb, image_types, help=None, params=(), needs_layer=True, gimps=(GIMP3, GIMP2),
            gimp3=None, gimp2=None):
    """{GIMP: Procedure} for each of ``gimps`` (the GIMPs that have it): the fields given, with those
    that differ in one GIMP given in its ``gimp3`` / ``gimp2`` dict."""
    shared = Procedure(name, label, blurb, help, image_types, needs_layer, tuple(params))
    changes = {GIMP3: gimp3 or {}, GIMP2: gimp2 or {}}
    return dict((gimp, shared._replace(**changes[gimp])) for gimp in gimps)

OWN_HINT_LAYER = ("auto", "The photo's hint layer")
NO_HINTS = ("none", "None (automatic colors)")
ENGINE = parameter("engine", CHOICE, "_Engine", "How colors are found", "auto", (
    ("auto", "Automatic (network if installed)"), ("siggraph17", "Network (SIGGRAPH 2017)"),
    ("propagate", "Propagate hints along edges (no network)")))
DEVICE = parameter("device", CHOICE, "_Device", "Where the network runs", "auto", (
    ("auto", "Automatic (GPU if available)"), ("cpu", "CPU"), ("gpu", "GPU")))
WORK_SIZE = parameter("work-size", INT, "_Working resolution",
                      "Short side of the network's working grid in pixels (256: as trained)", protocol.DEFAULT_WORK_SIZE,
                      limits=(64, protocol.MAX_WORK_SIZE, 16))
PRECISION = parameter("precision", CHOICE, "_Precision", "Arithmetic of the network", "auto", (
    ("auto", "Automatic (fast where exact enough)"), ("fp32", "Full (32-bit float)")))
SNAP_HINTS = parameter("snap-hints", BOOL, "Snap hints into _gamut",
                       "Pull each hint's color into the colors the photo can show at its lightness", True)
HINTS_FILE = parameter("file", OPEN_FILE, "_File", "The hints file to read (.json)")

TABLE = (
    declare(ADD_HINT_LAYER, "Add Color _Hint Layer", "Add a transparent layer to paint color hints on", "*",
            needs_layer=False, gimp3=dict(help=(
                "Adds a transparent 'Color Hints' layer above the selected photo layer (converting a grayscale "
                "image to RGB) and selects it; if the photo has one already, shows and selects it. Paint dots "
                "of the colors you want, then run Filters > Colors > Colorize with Hints.")), gimp2=dict(help=(
                "Adds a transparent 'Color Hints' layer above the selected photo layer (converting a grayscale "
                "image to RGB) and makes it the active layer; if the photo has one already, shows and activates "
                "it. Paint dots of the colors you want, then run Filters > Colors > Colorize with Hints."))),
    declare(COLORIZE, "Colorize with _Hints...", "Colorize a photo layer, guided by painted color hints", "RGB*, GRAY*",
            gimp3=dict(help=(
                "Colorizes the selected photo layer (or the photo of the selected hint or result layer) with the "
                "SIGGRAPH 2017 user-guided network, or by propagating the hints along edges. Dots painted on the "
                "hint layer say which color belongs where. The result goes into a layer 'Colorized (hintcolor)' "
                "above the photo, replaced on each run; the photo and the hint layer are not changed."), params=(
                parameter("hint-layer", LAYER, "_Hint layer", "Layer with painted color dots (none: as 'hints' says)"),
                parameter("hints", CHOICE, "Hints", "Without a hint layer argument: where the hints come from", "auto",
                          (OWN_HINT_LAYER, NO_HINTS)),
                ENGINE, DEVICE, WORK_SIZE, PRECISION, SNAP_HINTS._replace(blurb=SNAP_HINTS.blurb + (
                    " (same hue, less chroma where needed)")))),
            gimp2=dict(help=(
                "Colorizes the active photo layer (or the photo of the active hint or result layer) with the "
                "SIGGRAPH 2017 user-guided network, or by propagating the hints along edges. Dots painted on the "
                "hint layer say which color belongs where. The result goes into a layer 'Colorized (hintcolor)' "
                "above the photo, replaced on each run; the photo and the hint layer are not changed."), params=(
                parameter("hints", CHOICE, "H_ints", default="auto",
                          choices=(OWN_HINT_LAYER, ("chosen", "The layer chosen below"), NO_HINTS)),
                parameter("hint-layer", LAYER, "_Hint layer (when chosen above)"),
                ENGINE, DEVICE, WORK_SIZE, PRECISION, SNAP_HINTS))),
    declare(LIVE, "Colorize with Hints - _Live...", "Colorize a photo while you paint color hints", "RGB*, GRAY*",
            help=("Opens a window bound to the selected photo and its hint layer (added if missing): each change of "
                  "the hint layer recolors the photo at once (a preview, then full quality when you pause), with "
                  "suggested colors for the last dot. Apply keeps the result as one undo step; Close without "
                  "applying leaves the image as it was."), gimps=(GIMP3,)),
    declare(SUGGEST, "Suggest Hint _Colors", None, "RGB*, GRAY*", params=(
                parameter("count", INT, "Colors per _point", "Suggestions per point, most likely first", 5,
                          limits=(1, protocol.MAX_SUGGESTIONS, 1)),
                SNAP_HINTS),
            gimp3=dict(blurb="Fill the palette 'hintcolor suggestions' with the colors likely at each sample point",
                       help=("For each sample point on the image (or, with none, each painted dot of the photo's "
                             "hint layer) the colors the network thinks likely there, given the hints painted so far, "
                             "go into the palette 'hintcolor suggestions' (one row per point; entries named by "
                             "position and probability), which becomes the active palette: click a swatch and "
                             "paint. Needs the network's weights.")),
            gimp2=dict(blurb="Fill the palette 'hintcolor suggestions' with the colors likely at each painted dot",
                       help=("For each painted dot of the photo's hint layer, the colors the network thinks likely "
                             "there, given the hints painted so far, go into the palette 'hintcolor suggestions' (one "
                             "row per dot; entries named by position and probability), which becomes the active "
                             "palette. Needs the network's weights."))),
    declare(EXPORT, "E_xport Hints...", "Save the hint layer's dots as a hintcolor hints file (JSON)", "RGB*, GRAY*",
            help=("Writes the dots of the photo's hint layer as the hints JSON that 'hintcolor colorize --hints' "
                  "reads, with the photo's size (hints are scaled on a larger scan)."),
            gimp3=dict(params=(parameter("file", SAVE_FILE, "_File", "The hints file to write (.json)"),)),
            gimp2=dict(params=(  # gimpfu has no file chooser that saves
                parameter("folder", FOLDER, "_Folder", default=os.path.expanduser("~")),
                parameter("filename", STRING, "File _name", default="hints.json")))),
    declare(IMPORT, "I_mport Hints...", "Paint a hintcolor hints file (JSON) as dots on a new hint layer", "*",
            params=(HINTS_FILE,), gimp3=dict(help=(
                "Reads a hints JSON file (as written by Export Hints or for 'hintcolor colorize --hints') and "
                "paints its hints as dots on a new hint layer of the selected photo, scaled if the file "
                "records another image size.")), gimp2=dict(help=(
                "Reads a hints JSON file (as written by Export Hints or for 'hintcolor colorize --hints') and paints "
                "its hints as dots on a new hint layer of the active photo, scaled if the file records another "
                "size."))),
)


def procedures(gimp):
    """The procedures GIMP ``gimp`` (GIMP3 or GIMP2) registers, in menu order."""
    return [entry[gimp] for entry in TABLE if gimp in entry]


def procedure(gimp, name):
    """The procedure ``name`` as GIMP ``gimp`` registers it."""
    return [entry[gimp] for entry in TABLE if gimp in entry and entry[gimp].name == name][0]
