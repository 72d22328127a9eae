"""The hintcolor command line: colorize with hints, batch, weights commands, errors."""
import os
import shutil
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from hintcolor import Hint, save_hints
from hintcolor.cli import main

from conftest import gray_photo, photo_path


@pytest.fixture
def photo(tmp_path):
    path = tmp_path / "photo.png"
    gray_photo("kodim23.png").save(path)
    return path


def test_colorize_with_every_kind_of_hint(weights_env, photo, tmp_path, capsys):
    hints_file = tmp_path / "hints.json"
    save_hints(hints_file, [Hint(400, 300, "#204080", 7)], image_size=(768, 512))
    layer = Image.new("RGBA", (768, 512))
    layer.paste((230, 200, 40, 255), (100, 100, 104, 104))
    layer.save(tmp_path / "layer.png")
    out = tmp_path / "out.jpg"
    code = main(["colorize", str(photo), "-o", str(out), "--hint", "600,100,#d02020,9", "--hints", str(hints_file),
                 "--hint-image", str(tmp_path / "layer.png"), "--device", "cpu"])
    assert code == 0 and f"wrote {out}" in capsys.readouterr().out
    result = Image.open(out)
    assert result.size == (768, 512) and result.mode == "RGB"
    plain = tmp_path / "plain.png"
    assert main(["colorize", str(photo), "-o", str(plain)]) == 0
    difference = np.abs(np.asarray(result, dtype=int) - np.asarray(Image.open(plain), dtype=int)).sum(2)
    for x, y in [(600, 100), (400, 300), (102, 102)]:
        assert difference[y - 2 : y + 3, x - 2 : x + 3].mean() > 1, (x, y)


def test_hints_json_made_on_a_smaller_preview_are_scaled(weights_env, photo, tmp_path):
    preview_hints = tmp_path / "preview.json"
    save_hints(preview_hints, [Hint(191.5, 127.5, "#00ff00", 2)], image_size=(384, 256))
    assert main(["colorize", str(photo), "-o", str(tmp_path / "a.png"), "--hints", str(preview_hints)]) == 0
    assert main(["colorize", str(photo), "-o", str(tmp_path / "b.png"), "--hint", "383.5,255.5,#00ff00,4"]) == 0
    a, b = (np.asarray(Image.open(tmp_path / n), dtype=int) for n in ("a.png", "b.png"))
    assert np.abs(a - b).max() <= 1


def test_batch_over_a_folder(weights_env, tmp_path, capsys):
    folder = tmp_path / "in"
    folder.mkdir()
    for name in ("kodim03.png", "kodim05.png"):
        Image.open(photo_path(name)).convert("L").resize((192, 128)).save(folder / name)
    (folder / "notes.txt").write_text("not an image")
    assert main(["colorize", str(folder), "-o", str(tmp_path / "out")]) == 0
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["kodim03.png", "kodim05.png"]
    assert "wrote 2 of 2 photos" in capsys.readouterr().out


def test_batch_reports_bad_files_and_goes_on(weights_env, tmp_path, capsys):
    good, bad = tmp_path / "good.png", tmp_path / "bad.png"
    gray_photo().resize((64, 48)).save(good)
    bad.write_bytes(b"garbage")
    assert main(["colorize", str(good), str(bad), "-o", str(tmp_path / "out")]) == 1
    captured = capsys.readouterr()
    assert "wrote 1 of 2" in captured.out and "bad.png" in captured.err
    assert [p.name for p in (tmp_path / "out").iterdir()] == ["good.png"]


def _run(*args, env_weights=None):
    import os

    env = dict(os.environ)
    if env_weights:
        env["HINTCOLOR_WEIGHTS"] = str(env_weights)
    return subprocess.run([sys.executable, "-m", "hintcolor", *args], capture_output=True, text=True, env=env)


#: Runs the command line like ``hintcolor ARGS``, then says on a last line of stdout whether PyTorch was imported.
TELLS_TORCH = ("import sys\nfrom hintcolor.cli import main\n"
               "try:\n    status = main(sys.argv[1:])\nexcept SystemExit as e:\n    status = e.code\n"
               "print('torch imported:', 'torch' in sys.modules)\nsys.exit(status)")
#: As root, a command run under this prefix is refused what file permissions refuse (as any user is).
AS_A_USER = ["setpriv", "--bounding-set=-dac_override,-dac_read_search"] if os.geteuid() == 0 else []


@pytest.fixture
def given(tmp_path, photo):
    """Files a user may name by mistake, beside ``photo``: an unreadable photo, a folder without images,
    a folder that cannot be written, a hints file that is not JSON."""
    folder = tmp_path / "given"
    (folder / "empty").mkdir(parents=True)
    (folder / "readonly").mkdir(mode=0o555)
    (folder / "locked.png").write_bytes(photo.read_bytes())
    (folder / "locked.png").chmod(0)
    (folder / "bad.json").write_text("{not json")
    return folder


@pytest.mark.parametrize(
    "args, message, before_torch",
    [
        (["missing.png", "-o", "{tmp}/o.png"], "input missing.png does not exist", True),
        (["{given}/locked.png", "-o", "{tmp}/o.png"], "locked.png cannot be read (Permission denied)", True),
        (["{given}/empty", "-o", "{tmp}/out"], "holds no images", True),
        (["{photo}", "-o", "{photo}", "--overwrite"], "is an input photo", True),
        (["{photo}", "-o", "{tmp}/nofolder/o.png"], "output folder", True),
        (["{photo}", "-o", "{given}/readonly/o.png"], "readonly is not writable", True),
        (["{photo}", "-o", "{tmp}/o.xyz"], "unknown image extension", True),
        (["{photo}", "-o", "{tmp}/o.png", "--hint", "1,2"], "X,Y,COLOR", True),
        (["{photo}", "-o", "{tmp}/o.png", "--hints", "{tmp}/none.json"], "none.json does not exist", True),
        (["{photo}", "-o", "{tmp}/o.png", "--hints", "{given}/bad.json"], "is not valid JSON", True),
        (["{photo}", "-o", "{tmp}/o.png", "--hint-image", "{tmp}/none.png"], "none.png does not exist", True),
        (["{photo}", "-o", "{tmp}/o.png", "--weights", "{tmp}/none.pth"], "does not exist", True),
        (["{photo}", "{photo}", "-o", "{tmp}/dir", "--hint", "1,2,#ffffff"], "single INPUT", True),
        (["{photo}", "-o", "{tmp}/o.png", "--hint", "5000,2,#ffffff"], "outside the 768×512 image", False),
        (["{photo}", "-o", "{tmp}/o.png", "--device", "cuda:7"], "not available", False),
        (["{photo}", "-o", "{tmp}/o.png", "--device", "cpu", "--precision", "fp16"], "fp16 needs a GPU", False),
    ],
)
def test_errors_are_one_line_without_traceback_and_leave_nothing(weights_file, photo, given, tmp_path, args, message,
                                                                   before_torch):
    """Each mistake: exit status 2, one line saying what is wrong, no traceback, no file written. A path or
    value the command can check alone is told before PyTorch (1-2 s to import) is loaded."""
    if AS_A_USER and not shutil.which(AS_A_USER[0]):
        pytest.skip("as root, the permission cases need setpriv (util-linux)")
    files = sorted(tmp_path.rglob("*"))
    before = photo.read_bytes()
    args = [a.format(tmp=tmp_path, photo=photo, given=given) for a in args]
    result = subprocess.run([*AS_A_USER, sys.executable, "-c", TELLS_TORCH, "colorize", *args], capture_output=True,
                            text=True, env=dict(os.environ, HINTCOLOR_WEIGHTS=str(weights_file)), timeout=120)
    assert result.returncode == 2, result.stderr
    assert message in result.stderr and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    if before_torch:
        assert result.stdout.strip().splitlines()[-1] == "torch imported: False"
    assert photo.read_bytes() == before
    assert sorted(tmp_path.rglob("*")) == files  # no output, no temporary files


def test_suggest_tells_a_missing_photo_before_pytorch(tmp_path):
    result = subprocess.run([sys.executable, "-c", TELLS_TORCH, "suggest", str(tmp_path / "none.png"), "--at", "1,2"],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 2 and result.stderr.strip() == f"hintcolor: error: input {tmp_path / 'none.png'} does not exist"
    assert result.stdout.strip() == "torch imported: False"


def test_existing_output_needs_overwrite(weights_env, photo, tmp_path, capsys):
    out = tmp_path / "out.png"
    out.write_bytes(b"precious")
    assert main(["colorize", str(photo), "-o", str(out)]) == 2
    assert "already exists; add --overwrite" in capsys.readouterr().err
    assert out.read_bytes() == b"precious"
    assert main(["colorize", str(photo), "-o", str(out), "--overwrite"]) == 0
    assert Image.open(out).size == (768, 512)


def test_missing_weights_explain_what_to_do(photo, tmp_path, monkeypatch, capsys):
    from hintcolor.engines import weights

    monkeypatch.delenv("HINTCOLOR_WEIGHTS", raising=False)
    monkeypatch.setattr(weights, "search_dirs", lambda: [tmp_path / "models"])
    assert main(["colorize", str(photo), "-o", str(tmp_path / "o.png")]) == 2
    error = capsys.readouterr().err
    assert "weights not found" in error and "hintcolor weights download" in error and str(tmp_path / "models") in error
    assert not (tmp_path / "o.png").exists()


def test_debug_shows_the_traceback(weights_file, tmp_path):
    result = _run("colorize", "missing.png", "-o", str(tmp_path / "o.png"), "--debug", env_weights=weights_file)
    assert result.returncode != 0 and "Traceback" in result.stderr


def test_weights_commands(weights_env, capsys):
    assert main(["weights", "path"]) == 0
    assert capsys.readouterr().out.strip() == str(weights_env)
    assert main(["weights", "verify"]) == 1
    assert "valid siggraph17 state_dict, but not the official file" in capsys.readouterr().out


def test_weights_verify_rejects_a_foreign_file(tmp_path, capsys):
    path = tmp_path / "x.pth"
    path.write_bytes(b"\x00" * 100)
    assert main(["weights", "verify", str(path)]) == 2
    assert "x.pth" in capsys.readouterr().err


@pytest.mark.parametrize("args", [["--help"], ["colorize", "--help"], ["colorize", "a.jpg"], ["weights", "nonsense"]])
def test_help_and_usage_errors_do_not_load_torch(args):
    """`hintcolor --help` and argument errors answer at once: PyTorch (1–2 s to import) is not loaded."""
    code = ("import sys; from hintcolor.cli import main\n"
            f"try:\n    main({args!r})\nexcept SystemExit:\n    pass\n"
            "print(sorted(m for m in ('torch', 'numpy') if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.stdout.strip().splitlines()[-1] == "[]", done.stdout + done.stderr


def test_package_names_load_on_first_use():
    done = subprocess.run([sys.executable, "-c", "import sys, hintcolor; print('torch' in sys.modules); "
                           "from hintcolor import Colorizer, Hint; print(Colorizer.__module__, 'torch' in sys.modules)"],
                          capture_output=True, text=True, timeout=120)
    assert done.stdout.split() == ["False", "hintcolor.colorizer", "True"], done.stdout + done.stderr
