"""A pooch downloader that resumes an interrupted download from a ``.part`` file.

The part file belongs to the file being downloaded (it is named after it), not to one address:
every source of a :class:`~hintcolor.engines.weights.WeightsFile` claims to serve the same bytes,
so any of them may continue it. That is safe because nothing is appended before the source has
shown that it serves a file of the expected size (``Content-Range``/``Content-Length``), and the
whole file's SHA-256 is checked before it is installed: a part continued with another file's bytes
is discarded, never installed (see ``weights._download_from``, which then starts that source over).
"""
from __future__ import annotations

import os
import re
from pathlib import Path

import requests
from tqdm.auto import tqdm


class DownloadFailed(Exception):
    """A source did not deliver the file; the message says why in a few words ("HTTP 403 Forbidden")."""


class _BrokenOff(Exception):
    """The body stopped before the end of the file; what arrived is kept in the part file."""


class ResumingDownloader:
    """Download ``url`` into a persistent ``part`` file, continuing it with HTTP Range requests.

    Called by pooch as ``downloader(url, output_file, pooch)``; when the part holds ``size`` bytes it
    is moved onto pooch's temporary ``output_file``, which pooch then hash-checks and moves into
    place (or deletes). A source that cannot be reached, answers an HTTP error or serves a file of
    another size fails at once with :class:`DownloadFailed` and leaves the part as it was; a body
    that breaks off is continued, up to ``attempts`` tries in all.
    """

    def __init__(self, part: Path, size: int, progress: bool = True, timeout: float = 30.0, attempts: int = 3) -> None:
        self.part = Path(part)
        self.size = size  # bytes of the whole file
        self.progress = progress
        self.timeout = timeout  # seconds without an answer or a byte
        self.attempts = attempts

    def __call__(self, url: str, output_file: str, pooch: object = None) -> None:
        for _ in range(self.attempts):
            try:
                self._continue(url)
            except _BrokenOff as e:
                broken = e
                continue
            os.replace(self.part, output_file)
            return
        raise DownloadFailed(f"the connection broke off {self.attempts} times ({broken})")

    def _done(self) -> int:
        """Bytes already in the part file; a part longer than the file cannot be its start and is deleted."""
        done = self.part.stat().st_size if self.part.exists() else 0
        if done > self.size:
            self.part.unlink()
            return 0
        return done

    def _continue(self, url: str) -> None:
        done = self._done()
        if done == self.size:  # complete already (a check interrupted): pooch checks its SHA-256
            return
        try:
            response = requests.get(url, headers={"Range": f"bytes={done}-"} if done else {}, stream=True,
                                    timeout=self.timeout)
        except requests.RequestException as e:
            raise DownloadFailed(f"cannot be reached ({type(e).__name__})") from e
        with response:
            start = self._start(response, done)
            self._receive(response, start)

    def _start(self, response: requests.Response, done: int) -> int:
        """Where ``response``'s body starts in the file: ``done`` (a range) or 0 (the whole file).
        :class:`DownloadFailed` unless it is a success for a file of ``size`` bytes."""
        if response.status_code >= 400:
            raise DownloadFailed(f"HTTP {response.status_code} {response.reason}".strip())
        if response.status_code == 206:
            match = re.fullmatch(r"bytes (\d+)-\d+/(\d+)", response.headers.get("Content-Range", ""))
            start, total = (int(match[1]), int(match[2])) if match else (-1, 0)
            if start != done:
                raise DownloadFailed(f"answered the request for bytes {done}- with another range")
        else:  # the whole file (a server that ignores ranges restarts the part)
            start, total = 0, int(response.headers.get("Content-Length") or 0)
        if total and total != self.size:
            raise DownloadFailed(f"serves {total:,} bytes, not {self.size:,}: another file")
        return start

    def _receive(self, response: requests.Response, start: int) -> None:
        """Write the body into the part from byte ``start``; :class:`_BrokenOff` if it ends early."""
        with open(self.part, "ab" if start else "wb") as out, tqdm(
            total=self.size, initial=start, unit="B", unit_scale=True, desc=self.part.name[: -len(".part")],
            disable=not self.progress,
        ) as bar:
            try:
                for chunk in response.iter_content(chunk_size=1 << 16):
                    out.write(chunk)
                    bar.update(len(chunk))
            except requests.RequestException as e:
                raise _BrokenOff(type(e).__name__) from e
        received = self.part.stat().st_size
        if received > self.size:
            self.part.unlink()
            raise DownloadFailed(f"sent more than the file's {self.size:,} bytes")
        if received < self.size:
            raise _BrokenOff(f"closed after {received:,} of {self.size:,} bytes")
