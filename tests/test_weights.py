"""Weights: safe strict loading, clear errors, resolution order, verified resumable download."""
import hashlib
import http.server
import os
import threading
from pathlib import Path

import pytest
import torch

from hintcolor.engines import weights
from hintcolor.errors import WeightsError
from hintcolor.engines.weights import WeightsFile, download_weights, find_weights, load_model, load_state_dict

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


class _Server:
    """A local HTTP server for one payload, with Range support; can drop the first connection."""

    def __init__(self, payload: bytes, cut_first_at: int | None = None):
        self.payload, self.cut_first_at, self.ranges = payload, cut_first_at, []
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                header = self.headers.get("Range")
                server.ranges.append(header)
                start = int(header.split("=")[1].rstrip("-")) if header else 0
                body = server.payload[start:]
                self.send_response(206 if header else 200)
                self.send_header("Content-Length", str(len(body)))
                if header:
                    self.send_header("Content-Range", f"bytes {start}-{len(server.payload) - 1}/{len(server.payload)}")
                self.end_headers()
                if server.cut_first_at is not None:
                    body, server.cut_first_at = body[: server.cut_first_at], None
                self.wfile.write(body)
                self.wfile.flush()
                self.close_connection = True

            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.httpd.server_port}/weights.pth"

    def spec(self, sha256=None) -> WeightsFile:
        digest = sha256 or hashlib.sha256(self.payload).hexdigest()
        return WeightsFile("weights.pth", self.url, digest, len(self.payload), {})

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def payload():
    return os.urandom(3 * 1024 * 1024 + 17)


def test_download_verifies_and_resumes_a_partial_file(tmp_path, payload):
    server = _Server(payload)
    try:
        (tmp_path / "weights.pth.part").write_bytes(payload[:1_000_000])
        path = download_weights(tmp_path, server.spec(), progress=False)
    finally:
        server.close()
    assert path == tmp_path / "weights.pth" and path.read_bytes() == payload
    assert server.ranges == ["bytes=1000000-"]
    assert not (tmp_path / "weights.pth.part").exists()


def test_download_resumes_after_a_dropped_connection(tmp_path, payload):
    server = _Server(payload, cut_first_at=500_000)
    try:
        path = download_weights(tmp_path, server.spec(), progress=False)
    finally:
        server.close()
    assert path.read_bytes() == payload
    assert server.ranges[0] is None and len(server.ranges) == 2
    resumed_at = int(server.ranges[1].split("=")[1].rstrip("-"))  # whole chunks before the cut were kept
    assert 400_000 < resumed_at <= 500_000


def test_download_with_wrong_hash_leaves_nothing(tmp_path, payload):
    server = _Server(payload)
    try:
        with pytest.raises(WeightsError, match="expected SHA-256"):
            download_weights(tmp_path, server.spec(sha256="0" * 64), progress=False)
    finally:
        server.close()
    assert sorted(p.name for p in tmp_path.iterdir()) == []


def test_download_keeps_an_intact_file_without_network(tmp_path, payload):
    (tmp_path / "weights.pth").write_bytes(payload)
    spec = WeightsFile("weights.pth", "http://127.0.0.1:9/unreachable", hashlib.sha256(payload).hexdigest(), 0, {})
    assert download_weights(tmp_path, spec, progress=False).read_bytes() == payload


def test_offline_download_says_what_to_do(tmp_path):
    spec = WeightsFile("weights.pth", "http://127.0.0.1:9/unreachable", "0" * 64, 0, {})
    with pytest.raises(WeightsError, match="could not download.*by hand into"):
        download_weights(tmp_path, spec, progress=False)
