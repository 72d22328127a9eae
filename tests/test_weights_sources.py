"""Getting the weights when an address dies: sources tried in order, each file accepted only by its
SHA-256, a resumable part, ``hintcolor weights add FILE``, and what the user is told when all fail.

Every source is a loopback HTTP server (127.0.0.1); proxies point at a closed loopback port, so a
request that would leave this machine fails instead (``no_network``).
"""
from __future__ import annotations

import dataclasses
import hashlib
import http.server
import importlib.util
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from hintcolor.cli import main
from hintcolor.engines import weights
from hintcolor.engines.weights import WeightsFile, add_weights, download_weights, load_state_dict
from hintcolor.errors import WeightsError

from conftest import ROOT
from test_weights import _Exploit

NAME = weights.SIGGRAPH17_WEIGHTS.filename
UNREACHABLE = "http://127.0.0.1:9/siggraph17.pth"  # the discard port: nothing listens


@pytest.fixture(autouse=True)
def no_network(monkeypatch):
    """Requests (also of the subprocesses these tests start) reach only 127.0.0.1."""
    for variable in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.setenv(variable, "http://127.0.0.1:9")
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    monkeypatch.setenv("no_proxy", "127.0.0.1")


class _Server:
    """A loopback HTTP server for one file: answers ``status`` (e.g. 403) or the file, honouring Range
    requests; can drop its first connection after ``cut_first_at`` bytes. Each request is appended to
    ``log`` as (server name, Range header or None), shared by the servers of a test to show the order."""

    def __init__(self, name: str, payload: bytes, status: int, cut_first_at: int | None, log: list) -> None:
        self.name, self.payload, self.status, self.cut_first_at, self.log = name, payload, status, cut_first_at, log
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                header = self.headers.get("Range")
                server.log.append((server.name, header))
                if server.status != 200:
                    self.send_error(server.status)
                    return
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
        self.url = f"http://127.0.0.1:{self.httpd.server_port}/{name}/{NAME}"

    def requests(self) -> list:
        """The Range headers of the requests this server got, in order (None: the whole file)."""
        return [header for name, header in self.log if name == self.name]

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def serve():
    """``serve(payload=b"", status=200, cut_first_at=None)`` starts a loopback source; ``serve.log``
    lists every request to any of them in order."""
    started: list[_Server] = []
    log: list = []

    def start(payload: bytes = b"", status: int = 200, cut_first_at: int | None = None) -> _Server:
        started.append(_Server(f"s{len(started)}", payload, status, cut_first_at, log))
        return started[-1]

    start.log = log
    yield start
    for server in started:
        server.close()


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _spec(payload: bytes, *urls: str) -> WeightsFile:
    """The description of ``payload`` as the weights file, with ``urls`` as its sources."""
    return dataclasses.replace(weights.SIGGRAPH17_WEIGHTS, urls=urls, sha256=_sha256(payload), size=len(payload))


def _describe(monkeypatch, payload: bytes, *urls: str) -> WeightsFile:
    """Make the one description of the weights (what the command line uses) that of ``payload``."""
    spec = _spec(payload, *urls)
    monkeypatch.setattr(weights, "SIGGRAPH17_WEIGHTS", spec)
    return spec


@pytest.fixture(scope="module")
def good(tmp_path_factory) -> bytes:
    """Weights in the official layout (random values), as bytes: the file the sources should deliver."""
    from conftest import random_state_dict
    import torch

    path = tmp_path_factory.mktemp("good") / NAME
    torch.save(random_state_dict(5), path)
    return path.read_bytes()


def _corrupted(data: bytes) -> bytes:
    """The same size, a few bytes changed: only the SHA-256 tells it apart."""
    changed = bytearray(data)
    for i in range(1000, len(changed), len(changed) // 7):
        changed[i] ^= 0xFF
    return bytes(changed)


def test_download_tries_the_sources_in_order_and_installs_only_the_right_file(serve, good, tmp_path, monkeypatch,
                                                                              capsys):
    forbidden = serve(status=403)
    moved = b"<html>the file has moved</html>"
    page = serve(moved)  # a 200 answer that is not the file
    corrupt = serve(_corrupted(good))
    right = serve(good)
    _describe(monkeypatch, good, UNREACHABLE, forbidden.url, page.url, corrupt.url, right.url)
    dest = tmp_path / "models"
    assert main(["weights", "download", "--dest", str(dest)]) == 0
    out, err = capsys.readouterr()
    assert out.strip() == str(dest / NAME)
    assert (dest / NAME).read_bytes() == good and sorted(p.name for p in dest.iterdir()) == [NAME]
    load_state_dict(dest / NAME)
    assert [name for name, _ in serve.log] == [forbidden.name, page.name, corrupt.name, right.name]
    assert all(header is None for _, header in serve.log)  # nothing of a wrong file was kept to resume
    assert "Traceback" not in err
    assert [line for line in err.splitlines() if line.startswith("hintcolor:")] == [  # besides progress bars
        f"hintcolor: downloading {NAME} from {UNREACHABLE}", "hintcolor: that failed: cannot be reached (ConnectionError)",
        f"hintcolor: downloading {NAME} from {forbidden.url}", "hintcolor: that failed: HTTP 403 Forbidden",
        f"hintcolor: downloading {NAME} from {page.url}",
        f"hintcolor: that failed: serves {len(moved)} bytes, not {len(good):,}: another file",
        f"hintcolor: downloading {NAME} from {corrupt.url}", "hintcolor: that failed: it served a file with another SHA-256 (deleted)",
        f"hintcolor: downloading {NAME} from {right.url}",
    ]


def test_when_every_source_fails_the_user_is_told_what_to_get_where_and_how(serve, good, tmp_path, monkeypatch,
                                                                            capsys):
    forbidden, corrupt = serve(status=403), serve(_corrupted(good))
    spec = _describe(monkeypatch, good, forbidden.url, corrupt.url)
    user = tmp_path / "user_models"
    monkeypatch.setattr(weights, "user_models_dir", lambda: user)
    assert main(["weights", "download", "--quiet"]) == 2
    lines = capsys.readouterr().err.strip().splitlines()
    message = lines[-1]
    assert message.startswith("hintcolor: error: could not download the siggraph17 weights (")
    assert f"{forbidden.url}: HTTP 403 Forbidden" in message and f"{corrupt.url}: it served" in message
    assert f"Get {NAME} ({len(good):,} bytes, {len(good) / 1e6:.1f} MB, SHA-256 {spec.sha256})" in message
    assert f"run 'hintcolor weights add FILE': it checks the file and installs it as {user / NAME}" in message
    assert not any("Traceback" in line for line in lines), "\n".join(lines)
    assert list(user.iterdir()) == []  # no file, no part, no temporary file


def test_with_another_folder_the_guidance_names_it(serve, tmp_path):
    dest = tmp_path / "elsewhere"
    with pytest.raises(WeightsError) as info:
        download_weights(dest, _spec(b"weights", serve(status=404).url), progress=False)
    assert f"'hintcolor weights add FILE --dest {dest}'" in str(info.value) and str(dest / NAME) in str(info.value)


@pytest.fixture
def payload() -> bytes:
    return os.urandom(3 * 1024 * 1024 + 17)


def test_a_part_is_continued_by_the_next_source(serve, payload, tmp_path):
    (tmp_path / f"{NAME}.part").write_bytes(payload[:1_000_000])
    forbidden, right = serve(status=403), serve(payload)
    path = download_weights(tmp_path, _spec(payload, forbidden.url, right.url), progress=False)
    assert path.read_bytes() == payload and sorted(p.name for p in tmp_path.iterdir()) == [NAME]
    assert right.requests() == ["bytes=1000000-"]


def test_a_source_of_another_file_leaves_the_part_alone(serve, payload, tmp_path):
    (tmp_path / f"{NAME}.part").write_bytes(payload[:1_000_000])
    other, right = serve(os.urandom(2_000_000)), serve(payload)
    path = download_weights(tmp_path, _spec(payload, other.url, right.url), progress=False)
    assert other.requests() == ["bytes=1000000-"]  # answered with the rest of a 2 MB file: refused, nothing appended
    assert right.requests() == ["bytes=1000000-"] and path.read_bytes() == payload


def test_a_part_holding_another_files_bytes_is_discarded_and_the_file_fetched_whole(serve, payload, tmp_path):
    (tmp_path / f"{NAME}.part").write_bytes(os.urandom(1_000_000))  # e.g. left by a copy that was wrong
    right = serve(payload)
    path = download_weights(tmp_path, _spec(payload, right.url), progress=False)
    assert right.requests() == ["bytes=1000000-", None]  # the mix failed its SHA-256: once more from the start
    assert path.read_bytes() == payload and sorted(p.name for p in tmp_path.iterdir()) == [NAME]


def test_download_resumes_after_a_dropped_connection(serve, payload, tmp_path):
    server = serve(payload, cut_first_at=500_000)
    path = download_weights(tmp_path, _spec(payload, server.url), progress=False)
    assert path.read_bytes() == payload
    first, second = server.requests()
    assert first is None
    resumed_at = int(second.split("=")[1].rstrip("-"))  # whole chunks before the cut were kept
    assert 400_000 < resumed_at <= 500_000


def test_download_keeps_an_intact_file_without_network(payload, tmp_path):
    (tmp_path / NAME).write_bytes(payload)
    assert download_weights(tmp_path, _spec(payload, UNREACHABLE), progress=False).read_bytes() == payload


def _run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "hintcolor", *args], capture_output=True, text=True, timeout=120)


def test_add_installs_a_copy_where_weights_path_looks_and_leaves_the_users_file(good, tmp_path, monkeypatch, capsys):
    _describe(monkeypatch, good, UNREACHABLE)
    user = tmp_path / "user_models"
    monkeypatch.setattr(weights, "user_models_dir", lambda: user)
    monkeypatch.setattr(weights, "PROJECT_MODELS_DIR", tmp_path / "no_checkout")
    monkeypatch.delenv(weights.ENV_VAR, raising=False)
    mine = tmp_path / "Downloads" / "siggraph17 (1).pth"
    mine.parent.mkdir()
    mine.write_bytes(good)
    assert main(["weights", "add", str(mine)]) == 0
    assert capsys.readouterr().out.strip() == f"installed {user / NAME}"
    assert (user / NAME).read_bytes() == good and sorted(p.name for p in user.iterdir()) == [NAME]
    assert mine.read_bytes() == good
    assert main(["weights", "path"]) == 0 and capsys.readouterr().out.strip() == str(user / NAME)
    assert main(["weights", "add", str(mine)]) == 0
    assert capsys.readouterr().out.strip() == f"already installed: {user / NAME} (SHA-256 verified)"


def test_add_replaces_a_damaged_installed_copy(good, tmp_path):
    (tmp_path / NAME).write_bytes(good[:1000])
    mine = tmp_path / "mine.pth"
    mine.write_bytes(good)
    assert add_weights(mine, tmp_path, _spec(good)) == (tmp_path / NAME, True)
    assert (tmp_path / NAME).read_bytes() == good and sorted(p.name for p in tmp_path.iterdir()) == sorted([NAME, "mine.pth"])


def test_add_refuses_a_wrong_file_in_one_line_and_installs_nothing(tmp_path):
    wrong = tmp_path / NAME
    wrong.write_bytes(b"<html>403 Forbidden</html>")  # what a dead link saves under the right name
    dest = tmp_path / "models"
    result = _run_cli("weights", "add", str(wrong), "--dest", str(dest))
    assert result.returncode == 2 and result.stdout == ""
    spec = weights.SIGGRAPH17_WEIGHTS
    assert result.stderr == (f"hintcolor: error: {wrong} is not {NAME}: its SHA-256 is {_sha256(wrong.read_bytes())} "
                             f"(26 bytes), the official file's {spec.sha256} ({spec.size:,} bytes); nothing installed\n")
    assert not dest.exists() and wrong.read_bytes() == b"<html>403 Forbidden</html>"


def test_add_a_missing_file_is_one_line(tmp_path):
    result = _run_cli("weights", "add", str(tmp_path / "nope.pth"), "--dest", str(tmp_path / "models"))
    assert result.returncode == 2 and len(result.stderr.splitlines()) == 1
    assert f"file {tmp_path / 'nope.pth'} does not exist" in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "models").exists()


def test_add_checks_the_layout_safely_too(tmp_path):
    """A file with the expected SHA-256 is still read with weights_only=True before it is installed."""
    import torch

    marker = tmp_path / "pwned"
    evil = tmp_path / "evil.pth"
    torch.save({"model1.0.weight": _Exploit(str(marker))}, evil)
    with pytest.raises(WeightsError, match=r"evil\.pth.*refused"):
        add_weights(evil, tmp_path / "models", _spec(evil.read_bytes()))
    assert not marker.exists() and not (tmp_path / "models").exists()


def _install_module():
    spec = importlib.util.spec_from_file_location("hintcolor_install_script", ROOT / "install.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_install_without_reachable_weights_says_what_to_get_and_goes_on(tmp_path, monkeypatch, capfd):
    if (ROOT / "models" / NAME).exists():
        pytest.skip(f"{ROOT / 'models' / NAME} exists: 'hintcolor weights path' finds it, nothing is downloaded")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.delenv(weights.ENV_VAR, raising=False)
    dest = tmp_path / "models"
    python = Path(sys.executable)
    assert _install_module().fetch_weights(python, dest) is None
    out, err = capfd.readouterr()
    spec = weights.SIGGRAPH17_WEIGHTS
    for url in spec.urls:  # the real sources, each failing here (no network)
        assert f"{url}: cannot be reached" in err
    guidance = err.strip().splitlines()[-1]
    assert guidance.startswith("hintcolor: error: could not download the siggraph17 weights (")
    assert f"Get {NAME} ({spec.size:,} bytes, {spec.size / 1e6:.1f} MB, SHA-256 {spec.sha256})" in guidance
    assert f"run 'hintcolor weights add FILE --dest {dest}': it checks the file and installs it as {dest / NAME}" in guidance
    assert "Traceback" not in err
    assert f"[install] network weights not installed, as said above ('hintcolor' is {python.parent / 'hintcolor'})" in out
    assert not dest.exists() or list(dest.iterdir()) == []

