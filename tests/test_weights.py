"""Weights: safe strict loading, clear errors, resolution order (downloads: test_weights_sources.py)."""
import os
from pathlib import Path

import pytest
import torch

from hintcolor.engines import weights
from hintcolor.errors import WeightsError
from hintcolor.engines.weights import find_weights, load_model, load_state_dict

from conftest import ROOT, random_state_dict


def test_loads_with_and_without_num_batches_tracked(tmp_path, weights_file):
    with_tracked = tmp_path / "tracked.pth"
    torch.save(random_state_dict(with_batches_tracked=True), with_tracked)
    a, b = load_model(weights_file), load_model(with_tracked)
    for key, value in a.state_dict().items():
        assert torch.equal(value, b.state_dict()[key]), key


def test_random_bytes_are_rejected_with_the_file_name(tmp_path):
    path = tmp_path / "noise.pth"
    path.write_bytes(os.urandom(4096))
    with pytest.raises(WeightsError, match=r"noise\.pth.*not a PyTorch weights file"):
        load_state_dict(path)


def test_wrong_keys_and_shapes_are_named(tmp_path):
    state = random_state_dict()
    del state["model1.0.weight"]
    state["extra.weight"] = torch.zeros(1)
    state["model_out.0.bias"] = torch.zeros(3)
    path = tmp_path / "other.pth"
    torch.save(state, path)
    with pytest.raises(WeightsError) as info:
        load_state_dict(path)
    message = str(info.value)
    assert "other.pth" in message and "not a siggraph17 state_dict" in message
    assert "missing model1.0.weight" in message and "unexpected extra.weight" in message
    assert "wrong shape model_out.0.bias" in message


class _Exploit:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (Path.touch, (Path(self.marker),))


def test_a_pickle_that_runs_code_is_refused(tmp_path):
    marker = tmp_path / "pwned"
    path = tmp_path / "evil.pth"
    torch.save({"model1.0.weight": _Exploit(str(marker))}, path)
    with pytest.raises(WeightsError, match=r"evil\.pth.*refused"):
        load_state_dict(path)
    assert not marker.exists()


@pytest.fixture
def places(tmp_path, monkeypatch):
    """Isolated project models/ and per-user folders; no env var."""
    project, user = tmp_path / "project_models", tmp_path / "user_models"
    project.mkdir()
    monkeypatch.setattr(weights, "PROJECT_MODELS_DIR", project)
    monkeypatch.setattr(weights, "user_models_dir", lambda: user)
    monkeypatch.delenv(weights.ENV_VAR, raising=False)
    return project, user


def test_resolution_order(places, tmp_path, monkeypatch):
    project, user = places
    name = weights.SIGGRAPH17_WEIGHTS.filename
    user.mkdir()
    (user / name).write_bytes(b"u")
    assert find_weights() == user / name
    (project / name).write_bytes(b"p")
    assert find_weights() == project / name
    env_file = tmp_path / "env.pth"
    env_file.write_bytes(b"e")
    monkeypatch.setenv(weights.ENV_VAR, str(env_file))
    assert find_weights() == env_file
    explicit = tmp_path / "explicit.pth"
    explicit.write_bytes(b"x")
    assert find_weights(explicit) == explicit


def test_missing_weights_say_what_to_do(places):
    project, user = places
    with pytest.raises(WeightsError) as info:
        find_weights()
    message = str(info.value)
    assert "hintcolor weights download" in message and str(project) in message and str(user) in message
    spec = weights.SIGGRAPH17_WEIGHTS  # what to get elsewhere, and the command that installs it
    assert f"{spec.filename} ({spec.size:,} bytes" in message and spec.sha256 in message
    assert "'hintcolor weights add FILE'" in message
    assert "HINTCOLOR_WEIGHTS" in message and "\n" not in message


def test_a_source_checkouts_models_folder_is_searched_first():
    """install.py downloads into the top-level models/; 'hintcolor weights path' must look there."""
    assert (ROOT / "models" / "README.md").is_file()
    assert weights.search_dirs()[0] == ROOT / "models"


def test_env_var_pointing_nowhere_is_an_error_not_a_fallback(places, tmp_path, monkeypatch):
    project, _ = places
    (project / weights.SIGGRAPH17_WEIGHTS.filename).write_bytes(b"p")
    monkeypatch.setenv(weights.ENV_VAR, str(tmp_path / "nope.pth"))
    with pytest.raises(WeightsError, match="nope.pth.*HINTCOLOR_WEIGHTS"):
        find_weights()
