"""install.py's GIMP part: where the plug-in goes, what it writes, idempotence, uninstall."""
import json
import os
import stat
import subprocess
import sys

from conftest import ROOT


def _install(*args, env=None):
    return subprocess.run([sys.executable, str(ROOT / "install.py"), "--venv", sys.prefix, *args],
                          capture_output=True, text=True, env=env, check=True)


def _home(tmp_path):
    """The environment of a user whose home is ``tmp_path/home`` (no GIMP folder set by variables)."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("GIMP3_DIRECTORY", "GIMP2_DIRECTORY", "XDG_CONFIG_HOME", "APPDATA")}
    env["HOME"] = str(tmp_path / "home")
    return env


def test_plugin_install_is_idempotent_and_uninstalls(tmp_path):
    gimp = tmp_path / "GIMP" / "3.0"
    env = dict(_home(tmp_path), GIMP3_DIRECTORY=str(gimp))
    for _ in range(2):
        result = _install("--plugin-only", env=env)
        assert f"GIMP plug-in installed in {gimp / 'plug-ins' / 'hintcolor'}" in result.stdout
    folder = gimp / "plug-ins" / "hintcolor"
    modules = sorted(p.name for p in (ROOT / "gimp_plugin" / "hintcolor").glob("*.py"))
    assert "hintcolor_layers.py" in modules and "hintcolor_dialog.py" in modules
    shared = sorted(p.name for p in (ROOT / "gimp_plugin" / "shared").glob("*.py"))
    assert shared == ["hintcolor_links.py", "hintcolor_procedures.py", "hintcolor_requests.py", "hintcolor_steps.py"]
    assert sorted(p.name for p in folder.iterdir()) == sorted(modules + shared + ["hintcolor.json", "hintcolor_client.py",
                                                                                   "hintcolor_protocol.py"])
    assert os.stat(folder / "hintcolor.py").st_mode & stat.S_IXUSR
    for module in ("client", "protocol"):  # the worker's transport and protocol, under the names the plug-ins import
        assert (folder / f"hintcolor_{module}.py").read_text() == (ROOT / "hintcolor" / "worker" / f"{module}.py").read_text()
    config = json.loads((folder / "hintcolor.json").read_text())
    assert os.path.samefile(config["python"], os.path.join(sys.prefix, "bin", "python"))
    assert config["state_dir"] and config["version"]
    _install("--uninstall", env=env)
    assert not folder.exists() and (gimp / "plug-ins").is_dir()


GIMP3_FOLDERS = (".config/GIMP/3.0", ".config/GIMP/3.2", ".var/app/org.gimp.GIMP/config/GIMP/3.0")
GIMP2_FOLDERS = (".config/GIMP/2.10", ".var/app/org.gimp.GIMP/config/GIMP/2.10", "Library/Application Support/GIMP/2.10")


def test_finds_every_gimp3_and_gimp210_user_folder(tmp_path):
    home = tmp_path / "home"
    for folder in GIMP3_FOLDERS + GIMP2_FOLDERS:
        (home / folder).mkdir(parents=True)
    out = _install("--plugin-only", "--worker-dir", str(tmp_path / "state"), env=_home(tmp_path)).stdout
    for folder in GIMP3_FOLDERS:
        assert (home / folder / "plug-ins" / "hintcolor" / "hintcolor.py").is_file(), folder
        config = json.loads((home / folder / "plug-ins" / "hintcolor" / "hintcolor.json").read_text())
        assert config["state_dir"] == str(tmp_path / "state")
    for folder in GIMP2_FOLDERS:  # GIMP 2.10: plug-ins/hintcolor.py, its modules in plug-ins/hintcolor_lib/
        plugins = home / folder / "plug-ins"
        assert sorted(p.name for p in plugins.iterdir()) == ["hintcolor.py", "hintcolor_lib"], folder
        config = json.loads((plugins / "hintcolor_lib" / "hintcolor.json").read_text())
        assert config["state_dir"] == str(tmp_path / "state")
    assert out.count("GIMP plug-in installed") == 3 and out.count("GIMP 2.10 plug-in installed") == 3


def test_windows_appdata_gimp210_folder(tmp_path):
    appdata = tmp_path / "AppData" / "Roaming"
    (appdata / "GIMP" / "2.10").mkdir(parents=True)
    out = _install("--plugin-only", env=dict(_home(tmp_path), APPDATA=str(appdata))).stdout
    assert (appdata / "GIMP" / "2.10" / "plug-ins" / "hintcolor.py").is_file()
    assert out.count("installed") == 1


def test_gimp210_install_is_idempotent_and_uninstalls(tmp_path):
    folders = [tmp_path / "a" / "2.10", tmp_path / "b" / "2.10"]
    (folders[0] / "plug-ins").mkdir(parents=True)
    (folders[0] / "plug-ins" / "other.py").write_text("# another plug-in, left alone\n")
    (tmp_path / "home" / ".config/GIMP/3.0").mkdir(parents=True)  # not used: only the folders named are
    args = [arg for folder in folders for arg in ("--gimp2-dir", str(folder))]
    for _ in range(2):
        out = _install("--plugin-only", *args, env=_home(tmp_path)).stdout
        assert out.count("GIMP 2.10 plug-in installed") == 2 and "GIMP plug-in installed" not in out
    plugins = folders[0] / "plug-ins"
    assert sorted(p.name for p in plugins.iterdir()) == ["hintcolor.py", "hintcolor_lib", "other.py"]
    assert os.stat(plugins / "hintcolor.py").st_mode & stat.S_IXUSR
    assert (plugins / "hintcolor.py").read_text() == (ROOT / "gimp_plugin" / "gimp2" / "hintcolor.py").read_text()
    assert sorted(p.name for p in (plugins / "hintcolor_lib").iterdir()) == [
        "hintcolor.json", "hintcolor2_adapter.py", "hintcolor2_hints.py", "hintcolor2_layers.py", "hintcolor_client.py",
        "hintcolor_links.py", "hintcolor_procedures.py", "hintcolor_protocol.py", "hintcolor_requests.py",
        "hintcolor_steps.py"]
    for module in ("client", "protocol"):
        assert (plugins / "hintcolor_lib" / f"hintcolor_{module}.py").read_text() == \
            (ROOT / "hintcolor" / "worker" / f"{module}.py").read_text()
    assert not (tmp_path / "home" / ".config/GIMP/3.0/plug-ins").exists()
    out = _install("--uninstall", *args, env=_home(tmp_path)).stdout
    assert out.count("removed") == 2
    assert sorted(p.name for p in plugins.iterdir()) == ["other.py"]


def test_gimp210_files_stay_python27_compatible():
    """GIMP 2.10 runs its plug-ins with Python 2.7: every file the 2.10 plug-in loads (tests/test_gimp2.py
    also runs them under a real Python 2.7)."""
    files = [str(p) for folder in ("gimp2", "shared") for p in (ROOT / "gimp_plugin" / folder).glob("*.py")]
    result = subprocess.run([os.path.join(os.path.dirname(sys.executable), "vermin"), "--target=2.7-", "--target=3.6-",
                             "--violations", "--no-tips", *files], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout
    for path in files:
        with open(path, "rb") as f:
            f.read().decode("ascii")  # Python 2 refuses other characters without a coding line


def test_no_gimp_found_is_said_not_an_error(tmp_path):
    assert "no GIMP 3 or GIMP 2.10 user folder found" in _install("--plugin-only", env=_home(tmp_path)).stdout
