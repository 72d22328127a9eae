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


def test_plugin_install_is_idempotent_and_uninstalls(tmp_path):
    gimp = tmp_path / "GIMP" / "3.0"
    env = dict(os.environ, GIMP3_DIRECTORY=str(gimp))
    for _ in range(2):
        result = _install("--plugin-only", env=env)
        assert f"GIMP plug-in installed in {gimp / 'plug-ins' / 'hintcolor'}" in result.stdout
    folder = gimp / "plug-ins" / "hintcolor"
    modules = sorted(p.name for p in (ROOT / "gimp_plugin" / "hintcolor").glob("*.py"))
    assert "hintcolor_layers.py" in modules and "hintcolor_dialog.py" in modules
    assert sorted(p.name for p in folder.iterdir()) == sorted(modules + ["hintcolor.json", "hintcolor_client.py"])
    assert os.stat(folder / "hintcolor.py").st_mode & stat.S_IXUSR
    assert (folder / "hintcolor_client.py").read_text() == (ROOT / "hintcolor" / "client.py").read_text()
    config = json.loads((folder / "hintcolor.json").read_text())
    assert os.path.samefile(config["python"], os.path.join(sys.prefix, "bin", "python"))
    assert config["state_dir"] and config["version"]
    _install("--uninstall", env=env)
    assert not folder.exists() and (gimp / "plug-ins").is_dir()


def test_finds_every_gimp3_user_folder(tmp_path):
    home = tmp_path / "home"
    for folder in (".config/GIMP/3.0", ".config/GIMP/3.2", ".var/app/org.gimp.GIMP/config/GIMP/3.0", ".config/GIMP/2.10"):
        (home / folder).mkdir(parents=True)
    env = {k: v for k, v in os.environ.items() if k not in ("GIMP3_DIRECTORY", "XDG_CONFIG_HOME", "APPDATA")}
    env["HOME"] = str(home)
    out = _install("--plugin-only", "--worker-dir", str(tmp_path / "state"), env=env).stdout
    for folder in (".config/GIMP/3.0", ".config/GIMP/3.2", ".var/app/org.gimp.GIMP/config/GIMP/3.0"):
        assert (home / folder / "plug-ins" / "hintcolor" / "hintcolor.py").is_file(), folder
        config = json.loads((home / folder / "plug-ins" / "hintcolor" / "hintcolor.json").read_text())
        assert config["state_dir"] == str(tmp_path / "state")
    assert not (home / ".config/GIMP/2.10/plug-ins").exists()  # GIMP 2.10 is not a GIMP 3 folder
    assert out.count("GIMP plug-in installed") == 3


def test_no_gimp_found_is_said_not_an_error(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("GIMP3_DIRECTORY", "XDG_CONFIG_HOME", "APPDATA")}
    env["HOME"] = str(tmp_path)
    assert "no user folder found" in _install("--plugin-only", env=env).stdout
