"""The ``hintcolor`` command line.

Errors the user can fix print one line (``hintcolor: error: …``) and exit 2; ``--debug`` shows
the traceback instead.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Sequence

from . import __version__
from .engines import ENGINES
from .errors import HintcolorError, InputError, WeightsError

if TYPE_CHECKING:
    from PIL import Image

    from .hints import Hint

# Modules beyond these (numpy, Pillow, torch) are imported where they are needed, so that --help,
# usage errors and every path the user typed (checked before PyTorch is imported: 1–2 s) answer at once.


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        return args.run(args)
    except HintcolorError as e:
        if args.debug:
            raise
        print(f"hintcolor: error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("hintcolor: interrupted", file=sys.stderr)
        return 130
    except Exception as e:  # an unexpected failure: still one line unless --debug
        if args.debug:
            raise
        print(f"hintcolor: unexpected error: {type(e).__name__}: {e} (run with --debug for details)", file=sys.stderr)
        return 1


class _Parser(argparse.ArgumentParser):
    """Usage errors in one line, like every other error."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def _parser() -> argparse.ArgumentParser:
    common = _Parser(add_help=False)
    common.add_argument("--debug", action="store_true", help="show full tracebacks on errors")
    parser = _Parser(
        prog="hintcolor", description="Colorize black-and-white photos, guided by color hints.", parents=[common]
    )
    parser.add_argument("--version", action="version", version=f"hintcolor {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    photo = _Parser(add_help=False)  # options of both commands that run the network on one photo
    photo.add_argument("--hint", action="append", default=[], metavar="X,Y,COLOR[,SIZE]", type=_hint_arg,
                       help="a color hint at pixel X,Y, e.g. 120,80,#2e7d32,5 (repeatable)")
    photo.add_argument("--hints", metavar="FILE.json", type=_hints_file_arg, help="hints saved as JSON (see README)")
    photo.add_argument("--hint-image", metavar="PNG", type=_readable_file_arg,
                       help="transparent RGBA image of the photo's size with painted hints")
    photo.add_argument("--no-snap-hints", dest="snap_hints", action="store_false",
                       help="use hint colors as given, even where the photo is too dark or too light to show them "
                            "(default: each hint's chroma is pulled into the displayable range at its lightness)")
    photo.add_argument("--weights", metavar="PATH", type=_readable_file_arg,
                       help="siggraph17 weights file (default: see 'hintcolor weights path')")
    photo.add_argument("--device", default="auto", help="auto (CUDA, then MPS, then CPU), cpu, cuda, cuda:N or mps")
    photo.add_argument("--work-size", type=int, default=256, metavar="N", help="short side of the network's working grid (default 256)")
    photo.add_argument("--resize", choices=("aspect", "squash"), default="aspect",
                       help="fit the photo to the working grid keeping its aspect ratio (default) or squashed square, as the released demo")

    colorize = commands.add_parser("colorize", parents=[common, photo], help="colorize photos", description=_COLORIZE_HELP)
    colorize.add_argument("inputs", nargs="+", metavar="INPUT", help="image file(s) or a folder of images")
    colorize.add_argument("-o", "--output", required=True, help="output file (one input) or folder")
    colorize.add_argument("--engine", choices=ENGINES, default="auto",
                          help="siggraph17: the network; propagate: spread the hints along edges (no weights needed, "
                               "hints required); auto (default): the network if its weights are found, else propagate")
    colorize.add_argument("--precision", choices=("auto", "fp32", "bf16", "fp16"), default="auto",
                          help="what the network computes in: auto (default) uses bf16 on a CPU with native bf16 and fp16 "
                               "on CUDA, fp32 elsewhere; fp16 needs a GPU")
    colorize.add_argument("--overwrite", action="store_true", help="replace output files that already exist")
    colorize.add_argument("--region", metavar="X,Y,W,H", type=_region_arg,
                          help="colorize this box of the photo in more detail (W×H pixels from pixel X,Y; on the working "
                               "grid, with the hints inside it and the whole photo's colors around it) and blend it into "
                               "the whole-photo result; the rest of the photo stays as it is")
    colorize.add_argument("--feather", type=_feather_arg, default=0, metavar="PX",
                          help="with --region: blend the box in over PX pixels inside its edge (default 0: a hard edge)")
    colorize.set_defaults(run=_colorize)

    suggest = commands.add_parser("suggest", parents=[common, photo], description=_SUGGEST_HELP,
                                  help="list the colors the network thinks likely at a point")
    suggest.add_argument("input", metavar="IMAGE", help="the photo")
    suggest.add_argument("--at", required=True, metavar="X,Y", type=_point_arg, help="the pixel to suggest colors for, e.g. 410,220")
    suggest.add_argument("--k", type=int, default=8, metavar="N", help="at most N suggestions (default 8)")
    suggest.add_argument("--json", action="store_true", help='print a JSON array of {"color", "ab", "probability"}, most likely first')
    suggest.set_defaults(run=_suggest)

    weights = commands.add_parser("weights", parents=[common], help="find, verify or download the network weights")
    actions = weights.add_subparsers(dest="action", required=True, metavar="ACTION")
    path = actions.add_parser("path", parents=[common], help="print the weights file that would be used")
    path.set_defaults(run=_weights_path)
    verify = actions.add_parser("verify", parents=[common], help="check a weights file: SHA-256 and layout")
    verify.add_argument("file", nargs="?", help="file to check (default: the one 'path' prints)")
    verify.set_defaults(run=_weights_verify)
    download = actions.add_parser("download", parents=[common], help="download the official weights: the authors' "
                                  "address, then public copies, each accepted only by its SHA-256 (resumes)")
    download.add_argument("--dest", metavar="DIR", help="folder to save into (default: the per-user data folder)")
    download.add_argument("--quiet", action="store_true", help="no progress bar")
    download.set_defaults(run=_weights_download)
    add = actions.add_parser("add", parents=[common], help="install a weights file you got elsewhere (checks SHA-256 "
                             "and layout, copies it; your file is left as it is)")
    add.add_argument("file", metavar="FILE", type=_readable_file_arg, help="the downloaded siggraph17-df00044c.pth")
    add.add_argument("--dest", metavar="DIR", help="folder to install into (default: the per-user data folder)")
    add.set_defaults(run=_weights_add)

    serve = commands.add_parser("serve", parents=[common], help="run the worker the GIMP plug-in talks to",
                                description="Run the local worker that keeps the model loaded for the GIMP plug-in. "
                                            "The plug-in starts it on demand; start it by hand when GIMP runs in a "
                                            "sandbox (Flatpak, a chroot) that cannot start it.")
    serve.add_argument("--state-dir", metavar="DIR", help="folder for worker.json and the per-user secret "
                                                          "(default: HINTCOLOR_STATE_DIR or the per-user config folder)")
    serve.add_argument("--weights", metavar="PATH", help="siggraph17 weights file")
    serve.add_argument("--idle-timeout", type=float, default=600, metavar="SECONDS", help="exit after this long without requests (default 600)")
    serve.add_argument("--keep-memory", type=float, default=30, metavar="SECONDS",
                       help="hand the memory a request freed back to the system after this long without requests; "
                            "until then the next request reuses it, which is faster (default 30)")
    serve.add_argument("--port", type=int, default=0, help="TCP port on 127.0.0.1 (default: any free port)")
    serve.add_argument("--stop", action="store_true", help="stop the running worker instead")
    serve.set_defaults(run=_serve)
    return parser


def _serve(args: argparse.Namespace) -> int:
    from .worker.server import serve, stop

    if args.stop:
        return stop(args.state_dir)
    return serve(args.state_dir, args.weights, args.idle_timeout, args.port, args.keep_memory)


_COLORIZE_HELP = (
    "Colorize one photo (-o FILE) or several / a folder (-o FOLDER). Hints (--hint, --hints, "
    "--hint-image) are in the photo's pixel coordinates and apply to a single input. The output "
    "keeps the photo's size, lightness and transparency; its format follows the extension."
)


_SUGGEST_HELP = (
    "List the colors the network thinks likely at pixel X,Y of the photo, given the hints chosen so far, "
    "most likely first: each as it would look at that pixel's lightness, with its probability. "
    "Needs the network weights."
)


def _point_arg(text: str) -> tuple[float, float]:
    try:
        x, y = (float(part) for part in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"point {text!r} is not X,Y (e.g. 410,220)") from None
    return x, y


def _region_arg(text: str) -> tuple[int, int, int, int]:
    try:
        x, y, w, h = (int(part) for part in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"region {text!r} is not X,Y,W,H in whole pixels (e.g. 400,300,640,480)") from None
    if x < 0 or y < 0 or w <= 0 or h <= 0:
        raise argparse.ArgumentTypeError(f"region {text!r} needs X, Y ≥ 0 and a positive W and H (e.g. 400,300,640,480)")
    return x, y, w, h


def _feather_arg(text: str) -> float:
    try:
        feather = float(text)
    except ValueError:
        feather = -1.0
    if not 0 <= feather < float("inf"):
        raise argparse.ArgumentTypeError(f"feather {text!r} is not a number of pixels ≥ 0 (e.g. 16)")
    return feather


def _hint_arg(text: str) -> Hint:
    from .hints import Hint

    try:
        return Hint.parse(text)
    except InputError as e:
        raise argparse.ArgumentTypeError(str(e)) from None


def _colorize(args: argparse.Namespace) -> int:
    targets, batch = _colorize_targets(args)
    from .colorizer import Colorizer  # torch: imported once what the user typed is known to be usable

    colorizer = Colorizer(args.weights, args.device, args.work_size, args.resize, args.engine, args.precision,
                          snap_hints=args.snap_hints)
    if colorizer.notice:
        print(f"hintcolor: {colorizer.notice}", file=sys.stderr)
    if not batch:
        _colorize_one(colorizer, *targets[0], args)
        print(f"wrote {targets[0][1]}")
        return 0
    return _colorize_batch(colorizer, targets, args)


def _colorize_batch(colorizer: object, targets: list[tuple[Path, Path]], args: argparse.Namespace) -> int:
    from tqdm import tqdm

    failures = []
    for src, dst in tqdm(targets, unit="photo", desc="colorizing"):
        try:
            _colorize_one(colorizer, src, dst, args)
        except InputError as e:
            failures.append(f"{src}: {e}")
    done = len(targets) - len(failures)
    print(f"wrote {done} of {len(targets)} photos to {Path(args.output)}")
    for line in failures:
        print(f"hintcolor: error: {line}", file=sys.stderr)
    return 1 if failures else 0


def _colorize_one(colorizer, src: Path, dst: Path, args: argparse.Namespace) -> None:
    from .images import carried_info, open_image, save_image

    image = open_image(src)
    hints, hint_image = _given_hints(image, args)
    if args.region:
        from .region import check_region

        try:
            check_region(args.region, *image.size)
        except InputError as e:
            raise InputError(f"--region: {e}") from None
    result = colorizer.colorize(image, hints, hint_image, region=args.region, feather=args.feather)
    save_image(result, dst, carried_info(image))


def _given_hints(image: Image.Image, args: argparse.Namespace) -> tuple[list[Hint], Image.Image | None]:
    """--hint, --hints (read by _hints_file_arg; scaled to the photo if saved for another size) and --hint-image."""
    from .hints import fit_hints
    from .images import open_image

    hints = list(args.hint)
    if args.hints:
        saved, saved_size = args.hints
        hints += fit_hints(saved, saved_size, image.size)
    return hints, open_image(args.hint_image) if args.hint_image else None


def _suggest(args: argparse.Namespace) -> int:
    _readable_file(Path(args.input), "input")  # told before numpy and Pillow load, too
    from .images import open_image

    image = open_image(args.input)
    hints, hint_image = _given_hints(image, args)
    from .colorizer import Colorizer  # torch: imported once what the user typed is known to be usable

    try:
        colorizer = Colorizer(args.weights, args.device, args.work_size, args.resize, "siggraph17", snap_hints=args.snap_hints)
    except WeightsError as e:
        raise WeightsError(f"color suggestions need the network: {e}") from e
    suggestions = colorizer.suggest(image, *args.at, hints, args.k, hint_image)
    if args.json:
        print(json.dumps([s.to_json() for s in suggestions]))
        return 0
    x, y = args.at
    print(f"colors likely at ({x:g}, {y:g}) of {args.input}, most likely first:" if suggestions
          else f"no color stands out at ({x:g}, {y:g}) of {args.input}; paint a hint nearby and ask again")
    for s in suggestions:
        print(f"  {s.color}  {100 * s.probability:5.1f} %   a* {s.ab.a:6.1f}  b* {s.ab.b:6.1f}")
    return 0


def _colorize_targets(args: argparse.Namespace) -> tuple[list[tuple[Path, Path]], bool]:
    """(input, output) of each photo, and whether they are a batch (several inputs or a folder), once
    every path typed is usable (InputError otherwise): inputs readable, outputs new (or --overwrite) and
    not inputs, their folder writable (a batch's made). Needs no PyTorch, so a mistake is told at once."""
    inputs = _expand_inputs(args.inputs)
    output = Path(args.output)
    batch = len(inputs) > 1 or Path(args.inputs[0]).is_dir() or output.is_dir()
    if batch and (args.hint or args.hints or args.hint_image or args.region):
        raise InputError("--hint, --hints, --hint-image and --region describe one photo: give a single INPUT with them")
    if args.feather and not args.region:
        raise InputError("--feather softens the edge of a --region: give --region X,Y,W,H too")
    targets = [(src, output / src.name if batch else output) for src in inputs]
    _check_targets(targets, args.overwrite)
    if batch:
        try:
            output.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise InputError(f"cannot make the output folder {output} ({e.strerror or e}); choose another -o") from None
    _writable_folder(output if batch else output.parent)
    return targets, batch


def _expand_inputs(names: list[str]) -> list[Path]:
    paths: list[Path] = []
    for name in names:
        path = Path(name)
        if path.is_dir():
            paths += _images_in(path)
        else:
            _readable_file(path, "input")
            paths.append(path)
    return paths


def _images_in(folder: Path) -> list[Path]:
    """The image files of ``folder`` (by extension, hidden ones left out), sorted; InputError if none."""
    from PIL import Image

    suffixes = {suffix for suffix, fmt in Image.registered_extensions().items() if fmt in Image.OPEN}
    try:
        found = sorted(p for p in folder.iterdir() if p.suffix.lower() in suffixes and not p.name.startswith("."))
    except OSError as e:
        raise InputError(f"cannot read folder {folder} ({e.strerror or e})") from None
    if not found:
        raise InputError(f"folder {folder} holds no images")
    return found


def _readable_file(path: Path, what: str) -> None:
    """InputError unless ``path`` is a file this user may read; ``what`` names it in the message ("input", "--hints")."""
    if not path.exists():
        raise InputError(f"{what} {path} does not exist")
    if not path.is_file():
        raise InputError(f"{what} {path} is not a file")
    try:
        with open(path, "rb"):
            pass
    except OSError as e:
        raise InputError(f"{what} {path} cannot be read ({e.strerror or e}); check its permissions") from None


def _writable_folder(folder: Path) -> None:
    """InputError unless ``folder`` exists and this user may write files into it."""
    if not folder.is_dir():
        raise InputError(f"output folder {folder} does not exist")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise InputError(f"output folder {folder} is not writable; choose another -o")


def _readable_file_arg(text: str) -> str:
    """An option naming a file to read (``~`` expanded): checked while the command line is read."""
    path = Path(text).expanduser()
    try:
        _readable_file(path, "file")
    except InputError as e:
        raise argparse.ArgumentTypeError(str(e)) from None
    return str(path)


def _hints_file_arg(text: str) -> tuple[list[Hint], tuple[int, int] | None]:
    """--hints: the file read while the command line is read (hints, the image size they were saved for)."""
    from .hints import load_hints

    try:
        _readable_file(Path(text), "file")
        return load_hints(text)
    except InputError as e:
        raise argparse.ArgumentTypeError(str(e)) from None


def _check_targets(targets: list[tuple[Path, Path]], overwrite: bool) -> None:
    """Refuse, before any work, outputs that would replace an input, an existing file, or each other."""
    from PIL import Image

    inputs = {src.resolve() for src, _ in targets}
    seen: set[Path] = set()
    for src, dst in targets:
        if dst.resolve() in inputs:
            raise InputError(f"output {dst} is an input photo; choose another output so the original is kept")
        if dst.resolve() in seen:
            raise InputError(f"two inputs would both be written to {dst}; colorize them into separate folders")
        seen.add(dst.resolve())
        if dst.exists() and not overwrite:
            raise InputError(f"output {dst} already exists; add --overwrite to replace it")
        if dst.suffix.lower() not in Image.registered_extensions():
            raise InputError(f"output {dst}: unknown image extension {dst.suffix!r}; use .png, .jpg, .tif or .webp")


def _weights_path(args: argparse.Namespace) -> int:
    from .engines.weights import find_weights

    print(find_weights())
    return 0


def _weights_verify(args: argparse.Namespace) -> int:
    from .engines.weights import SIGGRAPH17_WEIGHTS, find_weights, load_state_dict, sha256_of

    path = find_weights(args.file)
    load_state_dict(path)
    digest = sha256_of(path)
    if digest != SIGGRAPH17_WEIGHTS.sha256:
        print(f"{path}: a valid siggraph17 state_dict, but not the official file (SHA-256 {digest})")
        return 1
    print(f"{path}: official siggraph17 weights, SHA-256 verified, layout ok")
    return 0


def _weights_download(args: argparse.Namespace) -> int:
    from .engines.weights import SIGGRAPH17_WEIGHTS, download_weights

    print(download_weights(args.dest, SIGGRAPH17_WEIGHTS, progress=not args.quiet))
    return 0


def _weights_add(args: argparse.Namespace) -> int:
    from .engines.weights import SIGGRAPH17_WEIGHTS, add_weights

    path, copied = add_weights(args.file, args.dest, SIGGRAPH17_WEIGHTS)
    print(f"installed {path}" if copied else f"already installed: {path} (SHA-256 verified)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
